from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import (  # noqa: E402,F401
    chat_channels,
    deliveries,
    hub,
    imports,
    log,
    sign_in,
    units,
    views,
    webhooks,
)
