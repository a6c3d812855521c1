from flask import Blueprint

bp = Blueprint("boards", __name__, url_prefix="/boards")

from app.boards import (  # noqa: E402,F401
    archive_views,
    bulk_views,  # bulk actions (issue 25)
    filter_views,  # saved filters (issue 25)
    recurrence_views,
    template_views,
    type_views,
    views,
    webhook_views,
)
