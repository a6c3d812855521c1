from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import (  # noqa: E402,F401
    archive,
    attachments,
    bulk,  # bulk actions and saved filters (issue 25)
    calendar_feed,
    card_templates,
    checklists,
    imports,
    notification_preferences,
    notifications,
    passwords,
    people,
    performance,
    plugins,
    recurrences,
    reference,
    rhk,
    search,
    sessions,
    sprints,
    teams,
    units,
    views,
    webhooks,
)
