from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import (  # noqa: E402,F401
    attachments,
    card_templates,
    checklists,
    imports,
    notification_preferences,
    notifications,
    passwords,
    people,
    plugins,
    recurrences,
    reference,
    search,
    sessions,
    sprints,
    teams,
    units,
    views,
    webhooks,
)
