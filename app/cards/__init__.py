from flask import Blueprint

bp = Blueprint("cards", __name__, url_prefix="/cards")

from app.cards import archive, attachments, checklists, views  # noqa: E402,F401
