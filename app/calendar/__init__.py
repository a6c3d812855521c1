"""Calendar pages (issue 25): the deadline calendar of a board and of "My work", the person's
iCal feed on a secret address, and the page that manages that address ("Calendar on your
phone")."""

from flask import Blueprint

bp = Blueprint("calendar", __name__)

from app.calendar import views  # noqa: E402,F401
