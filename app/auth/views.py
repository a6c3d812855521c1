"""Logging in and out, and choosing the interface language."""

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app.auth import bp
from app.extensions import htmx, login_manager
from app.home.templating import here, local_referrer, safe_next
from app.services import accounts, ratelimit
from app.services.errors import TooManyAttempts, Unauthorized


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
        return render_template("auth/login.html", next_path=next_path, login_value="")
    login_value = request.form.get("username", "")
    try:
        user = ratelimit.authenticate_from(
            request.remote_addr, login_value, request.form.get("password", "")
        )
    except (Unauthorized, TooManyAttempts) as exc:
        page = render_template(
            "auth/login.html",
            next_path=next_path,
            login_value=login_value[:200],
            error=exc.message,
            locked=isinstance(exc, TooManyAttempts),
        )
        return page, exc.status
    # A fresh session: nothing from before the login (a planted cookie) carries over.
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session["sid"] = accounts.start_session(user)
    login_user(user)
    return redirect(next_path or url_for("home.index"))


@bp.post("/logout")
def logout():
    accounts.end_session(session.pop("sid", None))
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


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
