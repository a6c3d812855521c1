"""Password pages: changing one's own, "forgot password" (a link by email), the reset link's
page (also the first sign-in of an account made without a password), and issuing a reset link
for someone (admins and heads, from the person's page)."""

from urllib.parse import quote

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, logout_user

from app.auth import bp
from app.models import User
from app.services import mail, notifications, password_rules, passwords
from app.services.errors import Invalid, NotFound, TooManyAttempts

NO_STORE = {"Cache-Control": "no-store"}


def me() -> User:
    return current_user._get_current_object()


def absolute_url(path: str) -> str:
    """A link of this site to hand to someone: BASE_URL when set, else the address this
    request came to (the person issuing the link is looking at this very site)."""
    return (mail.base_url() or request.host_url.rstrip("/")) + path


@bp.app_template_global()
def may_issue_reset_link(person) -> bool:
    """For templates/people/_password_actions.html: may the signed-in person issue a reset
    link for `person`?"""
    return current_user.is_authenticated and passwords.may_issue_link(me(), person)


@bp.app_template_global()
def account_never_activated(person) -> bool:
    """True when `person` has never had a password (their reset link activates the account)."""
    return passwords.never_had_password(person)


# Changing one's own password -------------------------------------------------------------------


def password_page(errors=None, alert=None, status=200, headers=None):
    page = render_template(
        "auth/password.html",
        errors=errors or {},
        alert=alert,
        password_min_length=password_rules.min_length(),
    )
    return page, status, headers or {}


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    if request.method == "GET":
        return password_page()
    form = request.form
    try:
        changed = passwords.change_password(
            me(),
            form.get("current_password", ""),
            form.get("new_password", ""),
            form.get("confirm_password", ""),
            client=request.remote_addr,
            keep_session=session.get("sid"),
        )
    except Invalid as exc:
        return password_page(errors=exc.fields, status=422)
    except TooManyAttempts as exc:
        return password_page(alert=exc.message, status=429, headers=_retry(exc))
    ended = changed.sessions_ended + changed.tokens_revoked
    message = _("Your password was changed.")
    if ended:
        message += " " + ngettext(
            "%(num)d other session or API token was ended.",
            "%(num)d other sessions and API tokens were ended.",
            ended,
        )
    flash(message, "success")
    return redirect(url_for("auth.sessions"), code=303)


def _retry(exc: TooManyAttempts) -> dict:
    return {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}


# Forgot password ------------------------------------------------------------------------------


@bp.route("/auth/forgot", methods=["GET", "POST"])
def forgot_password():
    if request.method == "GET":
        return render_template("auth/forgot.html", errors={}, value="", sent=False)
    value = request.form.get("login", "")
    try:
        passwords.request_link(value, client=request.remote_addr)
    except Invalid as exc:
        page = render_template("auth/forgot.html", errors=exc.fields, value=value[:200])
        return page, 422
    except TooManyAttempts as exc:
        page = render_template("auth/forgot.html", errors={}, value="", alert=exc.message)
        return page, 429, _retry(exc)
    return render_template("auth/forgot.html", errors={}, value="", sent=True)


# The reset link -------------------------------------------------------------------------------


def reset_page(token: str, person: User, errors=None, status=200):
    page = render_template(
        "auth/reset.html",
        token=token,
        person=person,
        activation=passwords.never_had_password(person),
        errors=errors or {},
        password_min_length=password_rules.min_length(),
    )
    return page, status, NO_STORE


def dead_link_page():
    page = render_template("auth/reset_dead.html")
    return page, 410, NO_STORE


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    person = passwords.link_owner(token)
    if person is None:
        return dead_link_page()
    if request.method == "GET":
        return reset_page(token, person)
    activation = passwords.never_had_password(person)
    try:
        passwords.use_link(
            token, request.form.get("new_password", ""), request.form.get("confirm_password", "")
        )
    except Invalid as exc:
        return reset_page(token, person, errors=exc.fields, status=422)
    except NotFound:
        return dead_link_page()
    # Whoever this browser was signed in as, it now signs in afresh.
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    if activation:
        flash(
            _("Your account is active. Log in with your NIP or username and password."), "success"
        )
    else:
        flash(_("Your new password is set. Log in with it."), "success")
    return redirect(url_for("auth.login"), code=303)


# Issuing a reset link for someone ---------------------------------------------------------------


@bp.post("/people/<login>/reset-link")
@login_required
def issue_reset_link(login: str):
    issued = passwords.issue_link(me(), login, send_email=request.form.get("send_email") == "1")
    page = render_template(
        "people/reset_link.html",
        person=issued.user,
        link=absolute_url(issued.path),
        expires_at=issued.expires_at,
        emailed=issued.emailed,
        activation=issued.activation,
        whatsapp=_whatsapp_link(issued.user, absolute_url(issued.path)),
        timezone=notifications.reader_timezone(me()),
    )
    return page, 200, NO_STORE


def _whatsapp_link(person: User, link: str) -> str | None:
    """A wa.me link that opens WhatsApp with the message ready for the person's phone."""
    phone = (getattr(person, "phone", None) or "").lstrip("+")
    if not (phone.isascii() and phone.isdigit()):
        return None
    text = _("Cergas: set your password with this link (it works once): %(link)s", link=link)
    return f"https://wa.me/{phone}?text={quote(text, safe='')}"
