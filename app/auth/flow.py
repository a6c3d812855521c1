"""The end of every sign-in method, in one place.

A method (the password form, LDAP behind it, single sign-on, a plugin's backend) proves who
someone is and calls `finish(user, method)`. From there it is the same for all: a person with an
authenticator, or one the office requires to have one, is asked for it first (the sign-in waits
in the session as `PENDING`, for at most PENDING_SECONDS, and nobody is signed in meanwhile);
then the login session starts (app/services/signin.py), the session cookie is renewed, and the
browser goes where it was going.

The login page shows one button per other method (`sign_in_options`), gathered from the
sources registered with `option_source` (single sign-on, plugins). Logging out asks the
handler registered for the session's method (`logout_handler`) where to go afterwards, so that
a single sign-on can end the provider's session too."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import redirect, request, session, url_for
from flask_login import login_user
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import User
from app.services import signin

PENDING = "signin_pending"
PENDING_SECONDS = 5 * 60


@dataclass(frozen=True)
class SignInOption:
    """A button on the login page: another way to sign in."""

    name: str  # the method, e.g. `oidc` or a plugin backend's name
    label: str  # what the button says
    url: str  # where it leads (a GET)
    description: str = ""


_option_sources: list[Callable[[], list[SignInOption]]] = []
_logout_handlers: dict[str, Callable[[], str | None]] = {}


def option_source(source: Callable[[], list[SignInOption]]):
    """Register a function that lists login-page buttons (called on each login page)."""
    _option_sources.append(source)
    return source


def logout_handler(method: str):
    """Register, for sessions started by `method`, a function called at logout that returns the
    address to send the browser to afterwards (e.g. the provider's logout page), or None."""

    def register(handler: Callable[[], str | None]):
        _logout_handlers[method] = handler
        return handler

    return register


def sign_in_options() -> list[SignInOption]:
    options: list[SignInOption] = []
    for source in _option_sources:
        options.extend(source())
    return options


def after_logout(method: str | None) -> str | None:
    handler = _logout_handlers.get(method or "")
    return handler() if handler is not None else None


def client() -> tuple[str, str]:
    """(address, browser) of the current request, as the sign-in log keeps them."""
    return request.remote_addr or "", request.user_agent.string


def _fresh_session() -> None:
    """Nothing from before the sign-in (a planted cookie, a half-finished sign-in) carries over,
    but the chosen language."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


def finish(user: User, method: str, *, next_path: str | None = None, login: str = "") -> Response:
    """`user` has proved who they are by `method`: ask for the second factor when due, else
    sign them in. Returns the redirect to send."""
    step = signin.second_factor_step(user)
    if step is not None:
        _fresh_session()
        session[PENDING] = {
            "uid": user.id,
            "method": method,
            "next": next_path,
            "login": login,
            "at": int(time.time()),
        }
        return redirect(url_for("auth.second_factor"))
    return complete(user, method, next_path=next_path, login=login)


def pending() -> tuple[User, dict] | None:
    """The person whose sign-in waits for a second factor (still active, asked less than
    PENDING_SECONDS ago) and the waiting sign-in; None otherwise (and it is forgotten)."""
    waiting = session.get(PENDING)
    if not isinstance(waiting, dict):
        return None
    fresh = isinstance(waiting.get("at"), int) and time.time() - waiting["at"] < PENDING_SECONDS
    user = db.session.get(User, waiting.get("uid")) if fresh else None
    if user is None or not user.active:
        session.pop(PENDING, None)
        return None
    return user, waiting


def complete(
    user: User,
    method: str,
    *,
    next_path: str | None = None,
    two_factor: bool = False,
    login: str = "",
) -> Response:
    """Start the login session (the cookie's id rotates) and go where the person was going."""
    _fresh_session()
    address, browser = client()
    session["sid"] = signin.start(
        user, method, address=address, user_agent=browser, two_factor=two_factor, login=login
    )
    session["method"] = method
    login_user(user)
    return redirect(next_path or url_for("home.index"))
