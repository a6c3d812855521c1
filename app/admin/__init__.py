from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import chat_channels, hub, imports, log, sign_in, units, views, webhooks  # noqa: E402,F401
