"""The outbox: deliveries written with the change that causes them, sent outside any request.

`enqueue` adds one `Delivery` to the current write transaction (it commits or rolls back with the
change). The worker side (claiming due rows, sending through `app.services.channels`, retrying
with growing delays, the dead-letter list) lives below.
"""

import logging
import os
import random
import socket
import threading
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import Delivery, Notification, utcnow
from app.services import channels, tx
from app.services.channels import DeliveryFailed

log = logging.getLogger("cergas.outbox")


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


# --- the worker -----------------------------------------------------------------------------

# Minutes to wait after the 1st, 2nd, ... failure; after the last one the delivery is dead.
RETRY_MINUTES = (1, 5, 15, 60, 180, 720)
JITTER = 0.1  # each delay is stretched or shrunk by up to 10 %
DEFAULT_BATCH = 50
# How long a claimed row stays a worker's; a worker that died leaves it to another after that.
DEFAULT_LEASE_SECONDS = 600
ERROR_LENGTH = 2000


def worker_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}"


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after the `attempts`-th failure (with jitter), or None: give up."""
    if attempts > len(RETRY_MINUTES):
        return None
    minutes = RETRY_MINUTES[attempts - 1]
    return timedelta(minutes=minutes * (1 + random.uniform(-JITTER, JITTER)))


def _lease() -> timedelta:
    seconds = current_app.config.get("OUTBOX_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
    return timedelta(seconds=float(seconds))


def claim(limit: int, worker: str, now: datetime) -> list[int]:
    """Take up to `limit` due rows for this worker and commit: pending, due, and not held by a
    live claim. PostgreSQL: SKIP LOCKED lets workers on several hosts take different rows at
    once. SQLite: the write transaction holds the database's one write lock (and the writers'
    file lock of tx.py), so claims of several processes follow one another."""
    due = (
        select(Delivery.id)
        .where(
            Delivery.state == "pending",
            Delivery.next_attempt_at <= now,
            or_(Delivery.locked_until.is_(None), Delivery.locked_until < now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    claimed: list[int] = []
    with tx.write_transaction():
        if db.session.get_bind().dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claimed = list(db.session.scalars(due))
        if claimed:
            db.session.execute(
                update(Delivery)
                .where(Delivery.id.in_(claimed))
                .values(locked_by=worker, locked_until=now + _lease())
                .execution_options(synchronize_session=False)
            )
    return claimed


def _end_read() -> None:
    """End the read transaction without forgetting what was loaded: nothing is held open (no
    snapshot, no lock) while a channel takes its time."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _load(ids: list[int]) -> list[Delivery]:
    rows = db.session.scalars(
        select(Delivery)
        .where(Delivery.id.in_(ids))
        .options(
            selectinload(Delivery.notification).selectinload(Notification.user),
            selectinload(Delivery.user),
        )
        .order_by(Delivery.id)
    )
    return list(rows)


def _send(delivery: Delivery) -> dict:
    """Send one delivery through its channel; what to record about it."""
    send = channels.sender_for(delivery.channel)
    if send is None:
        return {"error": f"no sender for channel {delivery.channel!r}", "retry": True}
    try:
        answer = send(delivery)
    except DeliveryFailed as exc:
        return {
            "error": exc.message,
            "retry": exc.retry,
            "status": exc.status,
            "answer": exc.answer,
        }
    except Exception as exc:  # noqa: BLE001 - any failure of a channel is retried
        log.warning("delivery %s through %s failed: %r", delivery.id, delivery.channel, exc)
        return {"error": f"{type(exc).__name__}: {exc}", "retry": True}
    result = {"error": None}
    if isinstance(answer, dict):
        result.update(status=answer.get("status"), answer=answer.get("answer"))
    return result


def _outcome(attempts: int, result: dict, now: datetime) -> dict:
    """The values one outcome writes: sent, pending again after a growing delay, or dead."""
    values = {"attempts": attempts + 1, "locked_by": None, "locked_until": None}
    if result.get("status") is not None:
        values["last_status"] = result["status"]
    if result.get("answer") is not None:
        values["last_answer"] = str(result["answer"])[:ERROR_LENGTH]
    if result["error"] is None:
        values.update(state="sent", sent_at=now, last_error=None)
    else:
        values["last_error"] = str(result["error"])[:ERROR_LENGTH]
        delay = retry_delay(attempts + 1) if result.get("retry", True) else None
        if delay is None:
            values["state"] = "dead"
        else:
            values.update(state="pending", next_attempt_at=now + delay)
    return values


def _record_all(outcomes: list[tuple[int, int, dict]], worker: str) -> None:
    """Write the outcomes of a batch in one transaction, each only while the row is still this
    worker's claim (a worker whose lease ran out does not overwrite its successor's answer).
    Plain successes (nothing else to note) share one UPDATE per attempt count."""
    now = utcnow()
    plain: dict[int, list[int]] = {}
    others = []
    for delivery_id, attempts, result in outcomes:
        if result["error"] is None and result.get("status") is None and not result.get("answer"):
            plain.setdefault(attempts, []).append(delivery_id)
        else:
            others.append((delivery_id, _outcome(attempts, result, now)))
    with tx.write_transaction():
        for attempts, ids in plain.items():
            db.session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.locked_by == worker)
                .values(_outcome(attempts, {"error": None}, now))
                .execution_options(synchronize_session=False)
            )
        for delivery_id, values in others:
            db.session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.locked_by == worker)
                .values(**values)
                .execution_options(synchronize_session=False)
            )


def _record(delivery_id: int, attempts: int, worker: str, result: dict) -> None:
    _record_all([(delivery_id, attempts, result)], worker)


def run_due(limit: int = DEFAULT_BATCH, worker: str | None = None, now=None) -> int:
    """Send what is due (at most `limit`), outside any transaction; returns how many were
    handled (sent, rescheduled or given up). First builds the digests that are due."""
    worker = worker or worker_name()
    moment = now or clock.now()
    from app.services import digests

    digests.run_due(moment)
    ids = claim(limit, worker, moment.astimezone(UTC).replace(tzinfo=None))
    if not ids:
        return 0
    rows = _load(ids)
    _end_read()
    outcomes = [(delivery.id, delivery.attempts, _send(delivery)) for delivery in rows]
    _record_all(outcomes, worker)
    return len(rows)


def retry(delivery_ids=None, *, actor=None) -> int:
    """Send failed (pending after an error) and dead deliveries again now, from the first
    attempt's delays; `None`: every one of them. Recorded in the admin log (the console's
    `cergas deliveries retry` as no actor). Returns how many."""
    from app.services import admin_log

    _require_admin(actor)

    query = (
        update(Delivery)
        .where(or_(Delivery.state == "dead", Delivery.last_error.is_not(None)))
        .where(Delivery.state.in_(("pending", "dead")))
        .values(
            state="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            locked_by=None,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    if delivery_ids is not None:
        query = query.where(Delivery.id.in_(list(delivery_ids)))
    with tx.write_transaction():
        count = db.session.execute(query).rowcount or 0
        if count:
            ids = "all" if delivery_ids is None else ", ".join(str(i) for i in delivery_ids)
            admin_log.record(
                "delivery.retried",
                actor,
                "delivery",
                label=ids[:300],
                after={"deliveries": count},
            )
    return count


def message_text(delivery: Delivery) -> tuple[str, str]:
    """(subject, text) of what a delivery carries, for channels that send text: a
    notification's title, and its body followed by its link (absolute with BASE_URL); or a
    digest's subject and text (payload `{"subject", "text"}`)."""
    from app.services import mail

    payload = delivery.payload or {}
    notification = delivery.notification
    if notification is None:
        return str(payload.get("subject") or ""), str(payload.get("text") or "")
    link = notification.link
    if not link and notification.card_id is not None:
        link = f"/cards/{notification.card_id}"
    body = notification.body or ""
    link = mail.absolute_link(link)
    if link:
        body = f"{body}\n\n{link}" if body else link
    return notification.title or "", body


def recipient(delivery: Delivery):
    """The person a delivery is for (its own, or its notification's)."""
    if delivery.user is not None:
        return delivery.user
    return delivery.notification.user if delivery.notification is not None else None


def _require_admin(actor) -> None:
    """The dead-letter list is the administrators' (the console, `actor=None`, is too)."""
    from flask_babel import gettext as _

    from app.services.errors import Forbidden

    if actor is not None and not actor.is_admin:
        raise Forbidden("forbidden", _("Only administrators can do this."))


def problem_deliveries(actor, limit: int = 200) -> list[Delivery]:
    """Failed (waiting for another try after an error) and dead deliveries, newest first, with
    their person: the admin's dead-letter list."""
    _require_admin(actor)
    query = (
        select(Delivery)
        .where(
            or_(
                Delivery.state == "dead",
                (Delivery.state == "pending") & Delivery.last_error.is_not(None),
            )
        )
        .options(selectinload(Delivery.user), selectinload(Delivery.notification))
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
