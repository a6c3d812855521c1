"""An administrator's page of someone's sign-ins: where they are signed in, their recent
sign-in attempts, and ending one session or all of them, with a reason for the administrative
log (app/services/sessions_admin.py decides who may)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.auth.words import browser_of, label_of, outcome_words
from app.people import bp
from app.services import notifications, sessions_admin
from app.services.errors import Invalid, NotFound


def actor():
    return current_user._get_current_object()


def sessions_page(login, *, errors=None, values=None, status=200):
    seen = sessions_admin.sessions_of(actor(), login)
    page = render_template(
        "people/sessions.html",
        person=seen.person,
        sessions=seen.sessions,
        recent=seen.recent,
        errors=errors or {},
        values=values or {},
        timezone=notifications.reader_timezone(actor()),
        browser_of=browser_of,
        method_label=label_of,
        outcome_words=outcome_words,
    )
    return page, status


@bp.get("/people/<login>/sessions")
@login_required
def sessions(login):
    return sessions_page(login)


def _values() -> dict:
    return {
        "reason": request.form.get("reason", "")[:400],
        "tokens": request.form.get("tokens") == "1",
        "session": request.form.get("session", ""),
    }


@bp.post("/people/<login>/sessions/<id:session_id>/end")
@login_required
def end_session(login, session_id: int):
    values = _values()
    values["session"] = str(session_id)
    try:
        sessions_admin.end_session(actor(), login, session_id, values["reason"])
    except Invalid as exc:
        errors = {f"reason-{session_id}": exc.fields.get("reason", exc.message)}
        return sessions_page(login, errors=errors, values=values, status=422)
    except NotFound as exc:
        sessions_admin.person_of(actor(), login)  # an unknown person stays a 404
        flash(exc.message, "error")
        return redirect(url_for("people.sessions", login=login), code=303)
    flash(_("The session was ended; that browser must log in again."), "success")
    return redirect(url_for("people.sessions", login=login), code=303)


@bp.post("/people/<login>/sessions/end")
@login_required
def end_all_sessions(login):
    values = _values()
    try:
        ended = sessions_admin.end_all(actor(), login, values["reason"], tokens=values["tokens"])
    except Invalid as exc:
        return sessions_page(login, errors=exc.fields, values=values, status=422)
    message = ngettext("%(num)d session ended.", "%(num)d sessions ended.", ended.sessions)
    if values["tokens"]:
        message += " " + ngettext(
            "%(num)d API token revoked.", "%(num)d API tokens revoked.", ended.tokens
        )
    flash(message, "success")
    return redirect(url_for("people.sessions", login=login), code=303)
