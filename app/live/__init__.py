"""Live board pages (Server-Sent Events) and the health check for load balancers."""

from flask import Blueprint

bp = Blueprint("live", __name__)

from app.live import views  # noqa: E402,F401
