from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import oidc, passwords, views  # noqa: E402,F401
