"""Logging in and out, the page of one's sessions and API tokens, and choosing the interface
language."""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import format_timedelta, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.auth import bp, flow, words
from app.auth.words import browser_of  # how a session's browser is named (moved there)
from app.extensions import htmx, login_manager
from app.home.templating import here, local_referrer, safe_next
from app.models import User, utcnow
from app.services import accounts, notifications, ratelimit, signin
from app.services.errors import Invalid, TooManyAttempts, Unauthorized


@login_manager.unauthorized_handler
def unauthorized():
    """Send people who are not logged in to the login page, coming back here afterwards."""
    if request.path.startswith("/api/"):
        abort(401)
    target = url_for("auth.login", next=here() if request.method == "GET" else None)
    if htmx:
        # An htmx request follows redirects silently; make the browser itself go to the login page.
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    flash(_("Please log in to continue."), "info")
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(next_path or url_for("home.index"))
        return render_template(
            "auth/login.html",
            next_path=next_path,
            login_value="",
            options=flow.sign_in_options(),
        )
    login_value = request.form.get("username", "")
    address, browser = flow.client()
    try:
        user, method = ratelimit.sign_in_from(
            request.remote_addr, login_value, request.form.get("password", "")
        )
    except (Unauthorized, TooManyAttempts) as exc:
        locked = isinstance(exc, TooManyAttempts)
        signin.record(
            # The directory's own refusals (unreachable, unknown person) name their method.
            getattr(exc, "sign_in_method", signin.PASSWORD),
            "too_many_attempts" if locked else getattr(exc, "sign_in_outcome", "wrong_credentials"),
            user=accounts.find_login(login_value[:200]),
            login=login_value.strip(),
            address=address,
            user_agent=browser,
        )
        page = render_template(
            "auth/login.html",
            next_path=next_path,
            login_value=login_value[:200],
            error=exc.message,
            locked=locked,
            options=flow.sign_in_options(),
        )
        retry_after = getattr(exc, "retry_after", None)
        return page, exc.status, {"Retry-After": str(retry_after)} if retry_after else {}
    return flow.finish(user, method, next_path=next_path, login=login_value.strip())


@bp.post("/logout")
def logout():
    method = session.get("method")
    accounts.end_session(session.pop("sid", None))
    logout_user()
    session.pop("method", None)
    flash(_("You are logged out."), "info")
    # A single sign-on may end the provider's session too, which then sends the browser back.
    return redirect(flow.after_logout(method) or url_for("auth.login"))


@bp.post("/language")
def language():
    locale = request.form.get("locale")
    if locale not in current_app.config["LANGUAGES"]:
        flash(_("This language is not available."), "error")
    else:
        if current_user.is_authenticated:
            accounts.set_locale(current_user._get_current_object(), locale)
        # Kept in the session too, so the choice survives logging out.
        session["locale"] = locale
    back = safe_next(request.form.get("next")) or local_referrer()
    return redirect(back or url_for("home.index"))


# Sessions and API tokens ---------------------------------------------------------------------

TOKEN_LIFETIMES = (30, 90, 365)  # days offered on the page; the API takes any 1..3650


def me() -> User:
    return current_user._get_current_object()


def sessions_page(new_token=None, errors=None, values=None, status=200):
    user = me()
    idle, absolute = accounts.session_lifetimes()
    page = render_template(
        "auth/sessions.html",
        sessions=accounts.list_sessions(user),
        current=accounts.session_digest(session.get("sid")),
        tokens=accounts.list_tokens(user),
        now=utcnow(),
        new_token=new_token,
        errors=errors or {},
        values=values or {},
        lifetimes=TOKEN_LIFETIMES,
        timezone=notifications.reader_timezone(user),
        browser_of=browser_of,
        idle_text=format_timedelta(idle, threshold=1),
        max_text=format_timedelta(absolute, threshold=1),
        # How each session began and the latest sign-in attempts (app/auth/words.py).
        recent=signin.recent(user),
        method_label=words.label_of,
        outcome_words=words.outcome_words,
    )
    return page, status


@bp.get("/account/sessions")
@login_required
def sessions():
    return sessions_page()


@bp.post("/account/tokens")
@login_required
def create_token():
    values = {"name": request.form.get("name", ""), "days": request.form.get("days", "")}
    try:
        row, secret = accounts.issue_token(me(), values["name"], values["days"] or None)
    except Invalid as exc:
        errors = {"days" if k == "expires_in_days" else k: m for k, m in exc.fields.items()}
        return sessions_page(errors=errors, values=values, status=422)
    # Shown on this answer only (never stored, never cached: Cache-Control no-store).
    return sessions_page(new_token={"name": row.name, "secret": secret})


@bp.post("/account/tokens/<id:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    row = accounts.revoke_token(me(), token_id)
    flash(_("The API token %(name)s was revoked.", name=row.name or f"#{row.id}"), "success")
    return redirect(url_for("auth.sessions"), code=303)


@bp.post("/account/sessions/<id:session_id>/end")
@login_required
def end_session(session_id: int):
    row = accounts.end_session_by_id(me(), session_id)
    if row.sid_hash == accounts.session_digest(session.get("sid")):
        return _signed_out(_("You are logged out."))
    flash(_("The session was ended; that browser must log in again."), "success")
    return redirect(url_for("auth.sessions"), code=303)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    sessions_ended, tokens = accounts.sign_out_everywhere(me())
    message = ngettext(
        "You are logged out everywhere (%(num)d session); every API token was revoked.",
        "You are logged out everywhere (%(num)d sessions); every API token was revoked.",
        sessions_ended,
    )
    return _signed_out(message)


def _signed_out(message: str):
    session.pop("sid", None)
    logout_user()
    flash(message, "info")
    return redirect(url_for("auth.login"), code=303)
