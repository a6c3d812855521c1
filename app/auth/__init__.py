from flask import Blueprint

bp = Blueprint("auth", __name__)

from app.auth import passwords, two_factor, views  # noqa: E402,F401
