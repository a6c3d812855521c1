from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import (  # noqa: E402,F401
    attachments,
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
    sessions,
    sprints,
    teams,
    units,
    views,
    webhooks,
)
