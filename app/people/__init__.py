from flask import Blueprint

bp = Blueprint("people", __name__)

from app.people import views  # noqa: E402,F401
