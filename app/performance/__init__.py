"""Performance pages (issue 27): a person's evidence (*bukti dukung*) for a period with its
exports and the heads' feedback, the heads' coverage view, and the dialogue notes of a sprint
review. The rules are app/services/evidence.py's and feedback.py's."""

from flask import Blueprint

bp = Blueprint("performance", __name__)

from app.performance import views  # noqa: E402,F401
