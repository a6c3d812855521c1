"""Bearer-token authentication for the JSON API.

Only `Authorization: Bearer <token>` authenticates an API request; a browser session cookie does
not, so a page a user has open can never be turned against the API.
"""

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from app.models import User
from app.services import accounts

REALM = 'Bearer realm="cergas"'


def public(view):
    """Mark a view that needs no bearer token (the token endpoint itself)."""
    view.api_public = True
    return view


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorized(message: str, challenge: str):
    response = jsonify({"error": {"code": "unauthorized", "message": message}})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = challenge
    return response


def require_token():
    """before_request: find the caller from the bearer token, or answer 401."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "api_public", False):
        return None
    token = bearer_token()
    if token is None:
        return _unauthorized(
            _("Send an API token in the header: Authorization: Bearer <token>."), REALM
        )
    user = accounts.user_for_token(token)
    if user is None:
        return _unauthorized(
            _("This API token is not valid or has been revoked."),
            REALM + ', error="invalid_token"',
        )
    g.api_user = user
    return None


def caller() -> User:
    """The user the current API request acts for."""
    return g.api_user


def add_challenge(response):
    """after_request: every 401 from the API names the scheme it expects."""
    if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
        response.headers["WWW-Authenticate"] = REALM
    response.headers.setdefault("Cache-Control", "no-store")
    return response
