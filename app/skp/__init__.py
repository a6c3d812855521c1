"""SKP pages (issue 27): a person's RHK for a year ("SKP saya"), a head's cascade tree for a
unit, the RHK import, and the card's RHK picker."""

from flask import Blueprint

bp = Blueprint("skp", __name__)

from app.skp import views  # noqa: E402,F401
