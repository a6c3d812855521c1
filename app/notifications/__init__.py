"""The in-app notifications: the bell in the header and the list with mark-as-read."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

from app.notifications import views  # noqa: E402,F401
