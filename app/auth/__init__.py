from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import backends, channels, oidc, passwords, two_factor, views, words  # noqa: E402,F401
