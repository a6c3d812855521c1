from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import deliveries, hub, imports, log, sign_in, units, views  # noqa: E402,F401
