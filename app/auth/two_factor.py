"""Two-factor sign-in pages: the second step of signing in (`/login/code`: the code from the
authenticator app, or a recovery code; or, where the office requires two-factor sign-in of
someone who has none yet, enrolment before the session starts), and the person's own page
(`/account/two-factor`: turn it on, new recovery codes, turn it off). The rules are in
app/services/two_factor.py."""

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.auth import bp, flow
from app.models import User
from app.services import signin, two_factor
from app.services.errors import Conflict, Forbidden, Invalid, TooManyAttempts, Unauthorized

NO_STORE = {"Cache-Control": "no-store"}


def _client(login: str = "") -> two_factor.Client:
    address, browser = flow.client()
    return two_factor.Client(address=address, user_agent=browser, login=login)


def _retry(exc) -> dict:
    seconds = getattr(exc, "retry_after", None)
    return {"Retry-After": str(seconds)} if seconds else {}


# The second step of signing in ---------------------------------------------------------------


def _step_page(user: User, mode: str, *, error=None, codes=None, status=200, headers=None):
    page = render_template(
        "auth/second_factor.html",
        person=user,
        mode=mode,
        error=error,
        codes=codes,
        enrolment=two_factor.enrolment(user) if mode == "enrol" else None,
    )
    return page, status, {**NO_STORE, **(headers or {})}


def _touch(waiting: dict) -> None:
    """Give the waiting sign-in its full time again (enrolment takes a while)."""
    waiting["at"] = int(time.time())
    session[flow.PENDING] = waiting


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor():
    found = flow.pending()
    if found is None:
        session.pop(flow.PENDING, None)
        flash(_("Your sign-in took too long or was not started. Please log in again."), "info")
        return redirect(url_for("auth.login"), code=303)
    user, waiting = found
    action = request.form.get("action", "") if request.method == "POST" else ""
    if action == "cancel":
        session.pop(flow.PENDING, None)
        return redirect(url_for("auth.login"), code=303)
    step = signin.second_factor_step(user)
    if waiting.get("enrolled") and step == "code" and action == "continue":
        # Enrolled at this sign-in and the recovery codes were shown: the session starts now.
        return _complete(user, waiting, two_factor_used=True)
    if step is None:
        # Reset by an administrator meanwhile, and not required: nothing more to ask.
        return _complete(user, waiting, two_factor_used=False)
    if step == "enrol":
        return _enrol_step(user, waiting, action)
    mode = "recovery" if request.values.get("use") == "recovery" else "code"
    if request.method == "GET":
        return _step_page(user, mode)
    client = _client(waiting.get("login", ""))
    try:
        if mode == "recovery":
            left = two_factor.use_recovery_code(user, request.form.get("code", ""), client)
        else:
            two_factor.verify_code(user, request.form.get("code", ""), client)
            left = None
    except (Unauthorized, TooManyAttempts) as exc:
        return _step_page(user, mode, error=exc.message, status=exc.status, headers=_retry(exc))
    response = _complete(user, waiting, two_factor_used=True)
    if left is not None:
        flash(_left_message(left), "warning" if left <= 3 else "info")
    return response


def _left_message(left: int) -> str:
    if left == 0:
        return _(
            "You have used your last recovery code. Make new ones on your two-factor sign-in page."
        )
    return ngettext(
        "Recovery code accepted. %(num)d code is left; make new ones soon.",
        "Recovery code accepted. %(num)d codes are left; make new ones when few are left.",
        left,
    )


def _complete(user: User, waiting: dict, *, two_factor_used: bool):
    return flow.complete(
        user,
        waiting["method"],
        next_path=waiting.get("next"),
        two_factor=two_factor_used,
        login=waiting.get("login", ""),
    )


def _enrol_step(user: User, waiting: dict, action: str):
    """Enrolment required by the office, before the session starts: a fresh secret for this
    sign-in (not one made earlier, which someone else may have seen), then the first code,
    then the recovery codes."""
    if not waiting.get("secret_made"):
        two_factor.start_enrolment(user)
        waiting["secret_made"] = True
        _touch(waiting)
    if action != "enrol":
        return _step_page(user, "enrol")
    try:
        codes = two_factor.confirm_enrolment(
            user, request.form.get("code", ""), _client(waiting.get("login", ""))
        )
    except (Unauthorized, TooManyAttempts) as exc:
        return _step_page(user, "enrol", error=exc.message, status=exc.status, headers=_retry(exc))
    waiting["enrolled"] = True
    _touch(waiting)
    return _step_page(user, "codes", codes=codes)


# The person's own page -------------------------------------------------------------------------


def me() -> User:
    return current_user._get_current_object()


def own_page(*, codes=None, errors=None, form=None, alert=None, status=200, headers=None):
    user = me()
    page = render_template(
        "auth/two_factor.html",
        enabled=two_factor.is_enabled(user),
        enrolment=two_factor.enrolment(user),
        codes=codes,
        left=two_factor.recovery_codes_left(user) if two_factor.is_enabled(user) else 0,
        required=signin.two_factor_required(user),
        has_password=two_factor.has_password(user),
        errors=errors or {},
        form=form or "",
        alert=alert,
    )
    return page, status, {**NO_STORE, **(headers or {})}


def _refused(exc, form: str):
    """A refused action of the own page: field errors next to the fields, else an alert."""
    if isinstance(exc, Invalid):
        return own_page(errors=exc.fields, form=form, status=exc.status)
    return own_page(alert=exc.message, form=form, status=exc.status, headers=_retry(exc))


@bp.get("/account/two-factor")
@login_required
def two_factor_page():
    return own_page()


@bp.post("/account/two-factor/start")
@login_required
def two_factor_start():
    try:
        two_factor.start_enrolment(me())
    except Conflict as exc:
        flash(exc.message, "info")
    return redirect(url_for("auth.two_factor_page"), code=303)


@bp.post("/account/two-factor/confirm")
@login_required
def two_factor_confirm():
    try:
        codes = two_factor.confirm_enrolment(me(), request.form.get("code", ""), _client())
    except Unauthorized as exc:
        return own_page(errors={"code": exc.message}, form="enrol", status=exc.status)
    except (Conflict, TooManyAttempts) as exc:
        return _refused(exc, "enrol")
    flash(_("Two-factor sign-in is on."), "success")
    return own_page(codes=codes)


@bp.post("/account/two-factor/recovery-codes")
@login_required
def two_factor_renew():
    form = request.form
    try:
        codes = two_factor.renew_recovery_codes(
            me(), code=form.get("code", ""), password=form.get("password", ""), client=_client()
        )
    except (Invalid, Conflict, TooManyAttempts) as exc:
        return _refused(exc, "renew")
    return own_page(codes=codes)


@bp.post("/account/two-factor/off")
@login_required
def two_factor_off():
    form = request.form
    try:
        two_factor.turn_off(
            me(), password=form.get("password", ""), code=form.get("code", ""), client=_client()
        )
    except (Invalid, Conflict, Forbidden, TooManyAttempts) as exc:
        return _refused(exc, "off")
    flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for("auth.two_factor_page"), code=303)
