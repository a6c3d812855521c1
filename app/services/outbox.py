"""The outbox: deliveries written with the change that causes them, sent outside any request.

`enqueue` adds one `Delivery` to the current write transaction (it commits or rolls back with the
change). The worker side (claiming due rows, sending through `app.services.channels`, retrying
with growing delays, the dead-letter list) lives below.
"""

from datetime import datetime

from sqlalchemy import insert

from app.extensions import db
from app.models import Delivery, utcnow
from app.services import tx


def _values(
    channel: str,
    *,
    notification_id: int | None = None,
    user_id: int | None = None,
    webhook_id: int | None = None,
    payload: dict | None = None,
    event_id: str | None = None,
    at: datetime | None = None,
    held: bool = False,
) -> dict:
    now = utcnow()
    return {
        "channel": channel,
        "notification_id": notification_id,
        "user_id": user_id,
        "webhook_id": webhook_id,
        "payload": payload,
        "event_id": event_id,
        "state": "held" if held else "pending",
        "attempts": 0,
        "next_attempt_at": at or now,
        "created_at": now,
    }


def enqueue(channel: str, **fields) -> None:
    """Write one delivery in the current write transaction (or a transaction of its own).

    Written by one INSERT at once rather than through the session's unit of work, so that it
    can sit beside a move's statements (which bypass the unit of work too); the notification
    it names must be flushed already. Fields: `notification_id`, `user_id`, `webhook_id`,
    `payload`, `event_id`, `at` (not before; default now), `held` (waits for a digest)."""
    values = _values(channel, **fields)

    def write():
        db.session.connection().execute(insert(Delivery.__table__), [values])

    tx.within_write(write)
