"""JSON API for the caller's calendar address (issue 25): whether one is active, a new one (its
URL is in this answer only: only its hash is stored), and revoking it."""

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import ApiResponse, operation
from app.services import ical_feeds, mail

TAGS = ("calendar",)


class CalendarFeedOut(ApiResponse):
    active: bool = Field(description="Whether the caller has a live calendar address.")
    created_at: str | None = Field(description="When the live address was made (UTC).")
    last_used_at: str | None = Field(description="When a calendar last read it (UTC, ~1 hour).")


class CalendarFeedCreated(ApiResponse):
    url: str = Field(description="The secret address of the iCal feed. Shown once.")
    created_at: str


class CalendarFeedRevoked(ApiResponse):
    revoked: bool = Field(description="False when there was no live address to revoke.")


def feed_json(feed) -> dict:
    from app.api.serializers import timestamp

    return {
        "active": feed is not None,
        "created_at": timestamp(feed.created_at) if feed else None,
        "last_used_at": timestamp(feed.last_used_at) if feed else None,
    }


@bp.get("/me/calendar-feed")
@operation(_l("Your calendar address"), responses={200: CalendarFeedOut}, tags=TAGS)
def get_calendar_feed():
    """Whether you have a live iCal address, and when a calendar last read it; never the address
    itself (only its hash is stored)."""
    return jsonify(feed_json(ical_feeds.active_feed(caller())))


@bp.post("/me/calendar-feed")
@operation(
    _l("Make a new calendar address"),
    description=_l(
        "Revokes your old address. The answer holds the new address, which is not shown again."
    ),
    responses={201: CalendarFeedCreated},
    tags=TAGS,
)
def create_calendar_feed():
    from app.api.serializers import timestamp

    row, token = ical_feeds.create_feed(caller())
    base = mail.base_url() or request.host_url.rstrip("/")
    body = {
        "url": base + url_for("calendar.feed", token=token),
        "created_at": timestamp(row.created_at),
    }
    return jsonify(body), 201, {"Cache-Control": "no-store"}


@bp.delete("/me/calendar-feed")
@operation(
    _l("Revoke your calendar address"),
    description=_l("Calendars subscribed to it get nothing more. Nothing to revoke is no error."),
    responses={200: CalendarFeedRevoked},
    tags=TAGS,
)
def revoke_calendar_feed():
    return jsonify({"revoked": bool(ical_feeds.revoke_feed(caller()))})
