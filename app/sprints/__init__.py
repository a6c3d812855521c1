from flask import Blueprint

bp = Blueprint("sprints", __name__)

from app.sprints import views  # noqa: E402,F401
