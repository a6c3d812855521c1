from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import backends, oidc, passwords, views, words  # noqa: E402,F401
