from flask import Blueprint

bp = Blueprint("boards", __name__, url_prefix="/boards")

from app.boards import (  # noqa: E402,F401
    recurrence_views,
    template_views,
    type_views,
    views,
    webhook_views,
)
