from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import imports, notifications, plugins, reference, sprints, views  # noqa: E402,F401
