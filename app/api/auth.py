"""Bearer-token authentication for the JSON API.

Only `Authorization: Bearer <token>` authenticates an API request; a browser session cookie does
not, so a page a user has open can never be turned against the API.
"""

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from app.models import User
from app.services import accounts
from app.services.errors import Unauthorized

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


def _unauthorized(message: str, challenge: str, code: str = "unauthorized"):
    response = jsonify({"error": {"code": code, "message": message}})
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
    try:
        g.api_user = accounts.check_token(token)
    except Unauthorized as exc:
        # `unauthorized` (unknown or revoked) or `token_expired`: both are RFC 6750's
        # invalid_token for a client library; the body's code tells a person which.
        return _unauthorized(exc.message, REALM + ', error="invalid_token"', exc.code)
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
