"""The first start in the browser: the setup code, the first administrator, the office's top
unit (app/services/setup.py). While the database has no users at all, every page leads here."""

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from app.models import TIMEZONES
from app.services import accounts, units
from app.services import setup as service
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts
from app.setup import bp

# The core's pages lead to /setup while nobody exists. Plugins' pages are their own business:
# those that need a login go to the login page, which leads here. Form posts are answered as
# usual (a login fails: there is nobody), so only page visits are redirected.
LED_BLUEPRINTS = frozenset(
    {"auth", "home", "boards", "cards", "admin", "notifications", "people", "sprints", "reports"}
)
OPEN_ENDPOINTS = frozenset({"auth.language"})
SESSION_KEY = "setup_code_id"
HAS_USERS = "cergas_has_users"


@bp.before_app_request
def lead_to_setup():
    """On a database without users, send every page to /setup. Once someone exists the answer
    is kept for the life of the process (people are never deleted), so it costs no query."""
    if current_app.extensions.get(HAS_USERS) or request.method not in ("GET", "HEAD"):
        return None
    if request.blueprint not in LED_BLUEPRINTS or request.endpoint in OPEN_ENDPOINTS:
        return None
    if session.get("sid") or service.users_exist():
        # A browser with a login session was signed in by someone: there are people.
        current_app.extensions[HAS_USERS] = True
        return None
    return redirect(url_for("setup.start"))


def _require_setup_open() -> None:
    if service.admin_exists():
        abort(404)


@bp.route("/setup", methods=["GET", "POST"])
def start():
    """Step 1: the setup code from the server's log."""
    _require_setup_open()
    if request.method == "GET":
        return render_template("setup/code.html", errors={}, form={})
    try:
        code_id = service.check_code(request.form.get("code"), request.remote_addr)
    except Invalid as exc:
        return render_template("setup/code.html", errors=exc.fields, form=request.form), 422
    except TooManyAttempts as exc:
        page = render_template("setup/code.html", errors={"code": exc.message}, form=request.form)
        return page, 429, {"Retry-After": str(exc.retry_after)}
    session[SESSION_KEY] = code_id
    return redirect(url_for("setup.admin"))


@bp.route("/setup/admin", methods=["GET", "POST"])
def admin():
    """Step 2: the first administrator, who is then signed in."""
    _require_setup_open()
    code_id = session.get(SESSION_KEY)
    if not service.code_is_live(code_id):
        session.pop(SESSION_KEY, None)
        flash(_("Enter the setup code first."), "info")
        return redirect(url_for("setup.start"))
    if request.method == "GET":
        return render_template("setup/admin.html", errors={}, form={})
    form = {key: request.form.get(key, "") for key in service.ADMIN_FIELDS}
    try:
        user = service.create_first_admin(code_id, form)
    except (Invalid, Conflict) as exc:
        errors = exc.fields or {"nip": exc.message}
        shown = {key: value for key, value in form.items() if not key.startswith("password")}
        status = 409 if isinstance(exc, Conflict) else 422
        return render_template("setup/admin.html", errors=errors, form=shown), status
    except NotFound:
        abort(404)
    current_app.extensions[HAS_USERS] = True
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session["sid"] = accounts.start_session(
        user, request.user_agent.string, request.remote_addr or ""
    )
    login_user(user)
    flash(_("Your administrator account is ready and you are signed in."), "success")
    return redirect(url_for("setup.unit"))


@bp.route("/setup/unit", methods=["GET", "POST"])
@login_required
def unit():
    """Step 3: the office's top unit (the Dinas, Badan or Kantor itself)."""
    me = current_user._get_current_object()
    if not me.is_admin:
        raise Forbidden("forbidden", _("Only an administrator may open this page."))
    if units.has_units():
        return redirect(url_for("admin.units"))
    if request.method == "GET":
        form = {"timezone": "Asia/Jakarta"}
        return render_template("setup/unit.html", errors={}, form=form, zones=TIMEZONES)
    form = {key: request.form.get(key, "") for key in ("code", "name", "timezone")}
    try:
        made = units.create_unit(form["code"], form["name"], None, form["timezone"], actor=me)
    except Invalid as exc:
        page = render_template("setup/unit.html", errors=exc.fields, form=form, zones=TIMEZONES)
        return page, 422
    except Conflict as exc:
        errors = {"code": exc.message}
        page = render_template("setup/unit.html", errors=errors, form=form, zones=TIMEZONES)
        return page, 409
    flash(
        _(
            "%(name)s is set up. Add its bidang and seksi below, then the people.",
            name=made.name,
        ),
        "success",
    )
    return redirect(url_for("admin.units"))
