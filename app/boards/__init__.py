from flask import Blueprint

bp = Blueprint("boards", __name__, url_prefix="/boards")

from app.boards import views  # noqa: E402,F401
