"""JSON API for the caller's own notifications: the list (all or unread), and marking as read."""

import re

from flask import jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api import models as m
from app.api import payload as p
from app.api.auth import caller
from app.api.contract import QueryParam, operation
from app.api.serializers import timestamp
from app.models import Notification
from app.services import notifications

FLAGS = {"1": True, "true": True, "0": False, "false": False}


def notification_json(notification: Notification) -> dict:
    return {
        "id": notification.id,
        "kind": notification.kind,
        "plugin": notification.plugin,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "card_id": notification.card_id,
        "created_at": timestamp(notification.created_at),
        "read_at": timestamp(notification.read_at),
    }


def _query_options() -> tuple[bool, int]:
    """`unread` (1/0/true/false) and `limit` (1 to MAX_LIMIT) from the query string; a bad value
    is a 422 `validation_error` naming it."""
    errors = {}
    unread_value = request.args.get("unread", "0").strip().lower()
    unread = FLAGS.get(unread_value)
    if unread is None:
        errors["unread"] = _("Must be 1 or 0.")
    limit_value = request.args.get("limit", str(notifications.DEFAULT_LIMIT)).strip()
    limit = int(limit_value) if re.fullmatch(r"[0-9]{1,4}", limit_value) else None
    if limit is None or not 1 <= limit <= notifications.MAX_LIMIT:
        errors["limit"] = _("Must be between %(lo)d and %(hi)d.", lo=1, hi=notifications.MAX_LIMIT)
    p.raise_if_any(errors)
    return bool(unread), limit


@bp.get("/notifications")
@operation(
    _l("Your notifications"),
    responses={200: m.NotificationList},
    errors=(422,),
    tags=("notifications",),
    query=(
        QueryParam(
            "unread",
            {"type": "string", "enum": ["1", "0", "true", "false"], "default": "0"},
            _l("1: only the unread ones."),
        ),
        QueryParam(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": notifications.MAX_LIMIT, "default": 50},
            _l("How many at most, newest first."),
        ),
    ),
)
def list_notifications():
    """{"notifications": [...newest first], "unread": N}; `?unread=1` lists only unread ones,
    `?limit=N` (default 50, at most 200) caps the list. "unread" counts all unread ones."""
    unread_only, limit = _query_options()
    user = caller()
    items = notifications.list_notifications(user, unread_only=unread_only, limit=limit)
    return jsonify(
        {
            "notifications": [notification_json(item) for item in items],
            "unread": notifications.unread_count(user),
        }
    )


@bp.post("/notifications/<id:notification_id>/read")
@operation(
    _l("Mark a notification as read"), responses={200: m.Notification}, tags=("notifications",)
)
def read_notification(notification_id: int):
    """Mark one of the caller's notifications as read; answers with the notification. Someone
    else's (or an unknown id) is 404 `not_found`."""
    return jsonify(notification_json(notifications.mark_read(caller(), notification_id)))


@bp.post("/notifications/read-all")
@operation(
    _l("Mark all your notifications as read"),
    responses={200: m.MarkedRead},
    tags=("notifications",),
)
def read_all_notifications():
    """Mark every unread notification of the caller as read: {"marked": N, "unread": 0}."""
    user = caller()
    marked = notifications.mark_all_read(user)
    return jsonify({"marked": marked, "unread": notifications.unread_count(user)})
