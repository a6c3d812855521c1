from flask import Blueprint

bp = Blueprint("people", __name__)

from app.people import admin_views, sessions_views, views  # noqa: E402,F401
