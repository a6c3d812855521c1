"""Notifications: stored for the in-app bell, and queued in the outbox for the channels the
person chose (app/services/notification_preferences.py), in the same transaction; the worker
(`cergas worker` or `cergas tick`, app/services/outbox.py) sends them outside any request.

The stored row is the in-app copy; reading the list, the unread count and marking as read are
for the person the notification is addressed to only. Someone else's notification is "not
found", so its existence does not leak.
"""

from datetime import datetime

from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select, text, update

from app import clock
from app.extensions import db
from app.models import TIMEZONES, Card, Delivery, Membership, Notification, Unit, User, utcnow
from app.services import bell, tx
from app.services.errors import Invalid, NotFound
from app.services.validation import MAX_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def notify(
    user: User,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    card: Card | None = None,
    kind: str = "info",
    plugin: str | None = None,
) -> Notification:
    """Tell one person something. The in-app copy is stored with the current use case (or on its
    own), with one outbox delivery per channel the person's preferences choose for the event
    (sent later by the worker: nothing is sent in the request). With a `card` and no `link`,
    the notification links to the card's page (`link=""` for no link)."""
    if link is None and card is not None:
        link = card_link(card.id)
    notification = Notification(
        user_id=user.id,
        title=title[:200],
        body=body or "",
        link=link,
        card_id=card.id if card is not None else None,
        kind=kind[:60],
        plugin=plugin,
    )

    def write():
        if db.session.get_bind().dialect.name == "postgresql":
            _write_in_one_statement(user, notification)
            return
        db.session.add(notification)
        db.session.flush()
        queue_deliveries(user, notification)

    tx.within_write(write)
    bell.ring(user.id)
    return notification


# PostgreSQL: the notification, the person's preferences and the deliveries they choose in one
# round trip (a request pays for one statement, not three: docs/benchmarks.md). The channels
# usable for the person are worked out in Python; which of them the event goes through, and
# whether they wait for a daily digest, follow the stored settings as `Preferences` reads them.
_ONE_STATEMENT = text(
    """
WITH n AS (
    INSERT INTO notifications (user_id, kind, plugin, title, body, link, card_id, created_at)
    VALUES (:user_id, :kind, :plugin, :title, :body, :link, :card_id, :now)
    RETURNING id
), p AS (
    SELECT settings FROM notification_preferences WHERE user_id = :user_id
), d AS (
    INSERT INTO deliveries (notification_id, user_id, channel, state, attempts,
                            next_attempt_at, created_at)
    SELECT n.id, :user_id, ch,
           CASE WHEN (SELECT settings->>'digest' FROM p) = 'daily' THEN 'held' ELSE 'pending' END,
           0, :now, :now
    FROM n, unnest(CAST(:channels AS varchar[])) AS ch
    WHERE NOT EXISTS (
        SELECT 1 FROM p
        WHERE json_typeof(p.settings->'events'->:event) = 'array'
          AND NOT EXISTS (
              SELECT 1 FROM json_array_elements_text(p.settings->'events'->:event) AS e
              WHERE e = ch
          )
    )
    RETURNING 1
)
SELECT n.id, (SELECT settings FROM p) AS settings, (SELECT count(*) FROM d) AS queued FROM n
"""
)


def _write_in_one_statement(user: User, notification: Notification) -> None:
    from sqlalchemy.orm import make_transient_to_detached

    from app.services import notification_preferences as prefs_service

    db.session.flush()  # what the use case wrote before (the card the notification names)
    now = utcnow()
    row = db.session.execute(
        _ONE_STATEMENT,
        {
            "user_id": user.id,
            "kind": notification.kind,
            "plugin": notification.plugin,
            "title": notification.title,
            "body": notification.body,
            "link": notification.link,
            "card_id": notification.card_id,
            "now": now,
            "channels": prefs_service.usable_channels(user),
            "event": prefs_service.event_of(notification.kind),
        },
    ).one()
    notification.id = row.id
    notification.created_at = now
    notification.read_at = None
    make_transient_to_detached(notification)
    db.session.add(notification)
    prefs = prefs_service._from_settings(row.settings)
    if row.queued and prefs.digest != "daily" and prefs.quiet.get("enabled"):
        # Quiet hours (the person's zone and working days): the deliveries wait for their end.
        until = prefs_service.quiet_until(prefs, prefs_service.home_unit(user.id), clock.now())
        if until is not None:
            db.session.execute(
                update(Delivery)
                .where(Delivery.notification_id == row.id)
                .values(next_attempt_at=prefs_service.naive_utc(until))
                .execution_options(synchronize_session=False)
            )


def queue_deliveries(
    user: User, notification: Notification, now: datetime | None = None, digest: bool = True
) -> int:
    """Write the outbox deliveries of a flushed notification: one per channel the person chose
    for its event, waiting for the end of their quiet time, or held for their daily digest."""
    from app.services import notification_preferences as prefs_service
    from app.services import outbox

    prefs = prefs_service.preferences_of(user)
    usable = prefs_service.usable_channels(user)
    chosen = prefs.channels_for(prefs_service.event_of(notification.kind), usable)
    if not chosen:
        return 0
    at = None
    held = digest and prefs.digest == "daily"
    if not held and prefs.quiet.get("enabled"):
        now = now or clock.now()
        until = prefs_service.quiet_until(prefs, prefs_service.home_unit(user.id), now)
        at = prefs_service.naive_utc(until) if until is not None else None
    for channel in chosen:
        outbox.enqueue(channel, notification_id=notification.id, user_id=user.id, at=at, held=held)
    return len(chosen)


def card_link(card_id: int) -> str:
    """The path of a card's page: built by Flask in a request (it knows the site's prefix),
    the plain path elsewhere (periodic work has no request)."""
    if has_request_context():
        return url_for("cards.card", card_id=card_id)
    return f"/cards/{card_id}"


def list_notifications(
    user: User, unread_only: bool = False, limit: int = DEFAULT_LIMIT
) -> list[Notification]:
    """The person's notifications, newest first; at most `limit` (1 to MAX_LIMIT)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        message = _("Must be between %(lo)d and %(hi)d.", lo=1, hi=MAX_LIMIT)
        raise Invalid("validation_error", _("Some fields are not valid."), {"limit": message})
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def unread_count(user: User) -> int:
    """How many of the person's notifications are unread (one query)."""
    query = select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    return db.session.scalar(query) or 0


def _own(user: User, notification_id) -> Notification:
    """The person's notification with this id; anyone else's (or none) is 404 `not_found`."""
    found = None
    is_int = isinstance(notification_id, int) and not isinstance(notification_id, bool)
    if is_int and 1 <= notification_id <= MAX_ID:
        found = db.session.get(Notification, notification_id)
    if found is None or found.user_id != user.id:
        raise NotFound("not_found", _("Notification not found."))
    return found


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the person's notifications as read; reading it again keeps the first time."""
    with tx.write_transaction():
        notification = _own(user, notification_id)
        if notification.read_at is None:
            notification.read_at = utcnow()
            # The person's other open pages count again (after the commit).
            bell.ring(user.id)
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the person as read; returns how many were unread."""
    with tx.write_transaction():
        marked = db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session="fetch")
        ).rowcount
        if marked:
            bell.ring(user.id)
    return marked or 0


def reader_timezone(user: User) -> str:
    """The time zone the person reads times in: that of their first unit (WIB when none)."""
    zone = db.session.scalar(
        select(Unit.timezone)
        .join(Membership, Membership.unit_id == Unit.id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.id)
        .limit(1)
    )
    return zone if zone in TIMEZONES else "Asia/Jakarta"
