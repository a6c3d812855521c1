from flask import Blueprint

bp = Blueprint("boards", __name__, url_prefix="/boards")

from app.boards import recurrence_views, template_views, views, webhook_views  # noqa: E402,F401
