"""Digests: the daily digest of a person who asked for one, and the heads' morning unit digest.

- Daily digest: the person's deliveries wait `held`; at their digest hour (their unit's zone)
  every held delivery written before that hour is marked sent and one delivery per channel
  carries them all (payload `{"kind": "digest", "subject", "text", "count"}`).
- Unit digest (heads who opted in): once per working day of their unit, at their digest hour,
  a notification of kind `unit_digest` (in-app, and through the channels they chose for it)
  with the unit tree's overdue cards, cards at risk (due within 2 working days), cards waiting
  for paraf (approvals plugin) and columns over their WIP limit.

Both run from `outbox.run_due` (so from `cergas worker` and `cergas tick`); a digest already
made is never made again, whichever worker runs first.
"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, inspect, select, text, update

from app.extensions import db
from app.models import (
    Board,
    BoardColumn,
    Card,
    Delivery,
    Notification,
    NotificationPreference,
    User,
    utcnow,
)
from app.services import mail, tx
from app.services import notification_preferences as prefs_service

DIGEST_LOCK_KEY = 0x43455248  # PostgreSQL advisory lock: one digest run at a time
AT_RISK_WORKING_DAYS = 2
LISTED = 10  # cards listed per section; the rest are counted
_last_run: dict[str, datetime] = {}


def _local_digest_moment(prefs, unit, now: datetime) -> tuple[datetime, datetime]:
    """(local now, today's digest moment) in the person's zone."""
    zone = ZoneInfo(unit.timezone if unit is not None else "Asia/Jakarta")
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), time(prefs.digest_hour), tzinfo=zone)
    return local, moment


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _locale(user: User | None) -> str:
    return (getattr(user, "locale", None) or current_app.config.get("BABEL_DEFAULT_LOCALE")) or "id"


def run_due(now: datetime, *, throttle: bool = True) -> int:
    """Make the digests that are due at `now` (aware); returns how many messages were made.
    Runs at most once a minute per process (the worker loops far more often)."""
    minute = now.replace(second=0, microsecond=0)
    key = str(db.engine.url)
    if throttle and _last_run.get(key) == minute:
        return 0
    _last_run[key] = minute
    made = 0
    with tx.write_transaction():
        if db.session.get_bind().dialect.name == "postgresql":
            got = db.session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": DIGEST_LOCK_KEY}
            )
            if not got:
                return 0
        made += _daily_digests(now)
        made += _unit_digests(now)
    return made


# --- daily digest ---------------------------------------------------------------------------


def digest_text(rows: list[Delivery]) -> tuple[str, str]:
    lines = []
    for row in rows:
        notification = row.notification
        if notification is None:
            continue
        link = notification.link or (
            f"/cards/{notification.card_id}" if notification.card_id else None
        )
        line = f"- {notification.title}"
        if notification.body:
            line += f"\n  {notification.body}"
        if link:
            line += f"\n  {mail.absolute_link(link)}"
        lines.append(line)
    subject = ngettext(
        "Your daily digest: %(num)d notification",
        "Your daily digest: %(num)d notifications",
        len(lines),
    )
    return subject, "\n\n".join(lines)


def _daily_digests(now: datetime) -> int:
    user_ids = list(
        db.session.scalars(select(Delivery.user_id).where(Delivery.state == "held").distinct())
    )
    user_ids = [uid for uid in user_ids if uid is not None]
    if not user_ids:
        return 0
    prefs = prefs_service.preferences_by_user(user_ids)
    made = 0
    for user_id in user_ids:
        pref = prefs.get(user_id) or prefs_service._from_settings(None)
        unit = prefs_service.home_unit(user_id)
        local, moment = _local_digest_moment(pref, unit, now)
        if local < moment:
            continue
        rows = list(
            db.session.scalars(
                select(Delivery)
                .where(
                    Delivery.user_id == user_id,
                    Delivery.state == "held",
                    Delivery.created_at < _naive(moment),
                )
                .order_by(Delivery.id)
            )
        )
        if not rows:
            continue
        user = db.session.get(User, user_id)
        by_channel: dict[str, list[Delivery]] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row)
        sent_at = utcnow()
        for channel, items in by_channel.items():
            with force_locale(_locale(user)):
                subject, body = digest_text(items)
            payload = {"kind": "digest", "subject": subject, "text": body, "count": len(items)}
            from app.services import outbox

            outbox.enqueue(channel, user_id=user_id, payload=payload)
            made += 1
        db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_([row.id for row in rows]))
            .values(state="sent", sent_at=sent_at, last_answer="daily digest")
            .execution_options(synchronize_session=False)
        )
    return made


# --- unit digest ----------------------------------------------------------------------------


def _waiting_for_paraf(board_ids: list[int]) -> list[int]:
    """Card ids whose paraf round waits (approvals plugin loaded and its table present)."""
    host = current_app.extensions.get("cergas_plugins")
    if host is None or "approvals" not in host.loaded() or not board_ids:
        return []
    if not inspect(db.session.connection()).has_table("approvals_rounds"):
        return []
    rows = db.session.execute(
        text(
            "SELECT card_id FROM approvals_rounds WHERE state = 'pending' AND board_id IN "
            "(" + ",".join(str(int(b)) for b in board_ids) + ")"
        )
    )
    return [row[0] for row in rows]


def unit_digest_text(head: User, today, calendar) -> tuple[str, str] | None:
    """(title, body) of a head's unit digest, or None when there is nothing to report."""
    from app.services import access

    unit_ids = access.managed_unit_ids(head)
    if not unit_ids:
        return None
    board_ids = list(db.session.scalars(select(Board.id).where(Board.unit_id.in_(list(unit_ids)))))
    if not board_ids:
        return None
    at_risk_until = today
    for _step in range(AT_RISK_WORKING_DAYS):
        at_risk_until = calendar.next_working_day(at_risk_until)
    open_cards = list(
        db.session.execute(
            select(Card.id, Card.title, Card.due_date, Board.name)
            .join(BoardColumn, BoardColumn.id == Card.column_id)
            .join(Board, Board.id == Card.board_id)
            .where(
                Card.board_id.in_(board_ids),
                BoardColumn.kind != "done",
                Card.archived_at.is_(None),
                Card.due_date.is_not(None),
                Card.due_date <= at_risk_until,
            )
            .order_by(Card.due_date, Card.id)
        )
    )
    overdue = [row for row in open_cards if row.due_date < today]
    at_risk = [row for row in open_cards if row.due_date >= today]
    paraf_ids = _waiting_for_paraf(board_ids)
    paraf = []
    if paraf_ids:
        paraf = list(
            db.session.execute(
                select(Card.id, Card.title, Card.due_date, Board.name)
                .join(Board, Board.id == Card.board_id)
                .where(Card.id.in_(paraf_ids))
                .order_by(Card.id)
            )
        )
    counts = (
        select(Card.column_id, func.count(Card.id).label("n"))
        .where(Card.board_id.in_(board_ids), Card.archived_at.is_(None))
        .group_by(Card.column_id)
        .subquery()
    )
    over_wip = list(
        db.session.execute(
            select(BoardColumn.name, BoardColumn.wip_limit, counts.c.n, Board.name.label("board"))
            .join(counts, counts.c.column_id == BoardColumn.id)
            .join(Board, Board.id == BoardColumn.board_id)
            .where(BoardColumn.wip_limit.is_not(None), counts.c.n > BoardColumn.wip_limit)
            .order_by(Board.name, BoardColumn.position)
        )
    )
    if not (overdue or at_risk or paraf or over_wip):
        return None
    sections = []

    def cards(heading, rows):
        if not rows:
            return
        lines = [f"{heading} ({len(rows)})"]
        for row in rows[:LISTED]:
            due = f", {row.due_date.isoformat()}" if row.due_date else ""
            link = mail.absolute_link(f"/cards/{row.id}")
            lines.append(f"- {row.title} ({row.name}{due}) {link}")
        if len(rows) > LISTED:
            lines.append(_("... and %(num)d more", num=len(rows) - LISTED))
        sections.append("\n".join(lines))

    cards(_("Overdue"), overdue)
    cards(_("At risk (due within 2 working days)"), at_risk)
    cards(_("Waiting for paraf"), paraf)
    if over_wip:
        lines = [f"{_('Columns over their WIP limit')} ({len(over_wip)})"]
        for row in over_wip[:LISTED]:
            lines.append(f"- {row.board}: {row.name} ({row.n}/{row.wip_limit})")
        sections.append("\n".join(lines))
    title = _(
        "Unit digest: %(overdue)d overdue, %(risk)d at risk",
        overdue=len(overdue),
        risk=len(at_risk),
    )
    return title, "\n\n".join(sections)


def _unit_digests(now: datetime) -> int:
    from app.services import notifications
    from app.workcal import default_calendar, work_calendar

    rows = db.session.scalars(select(NotificationPreference))
    heads = [
        (row.user_id, prefs_service._from_settings(row.settings))
        for row in rows
        if isinstance(row.settings, dict) and row.settings.get("unit_digest")
    ]
    made = 0
    for user_id, pref in heads:
        user = db.session.get(User, user_id)
        if user is None or not user.active:
            continue
        unit = prefs_service.home_unit(user_id)
        calendar = work_calendar(unit) if unit is not None else default_calendar()
        local, moment = _local_digest_moment(pref, unit, now)
        if local < moment or not calendar.is_working_day(local.date()):
            continue
        day_start = _naive(datetime.combine(local.date(), time(0), tzinfo=local.tzinfo))
        done = db.session.scalar(
            select(Notification.id)
            .where(
                Notification.user_id == user_id,
                Notification.kind == "unit_digest",
                Notification.created_at >= day_start,
                Notification.created_at < day_start + timedelta(days=1),
            )
            .limit(1)
        )
        if done is not None:
            continue
        with force_locale(_locale(user)):
            content = unit_digest_text(user, local.date(), calendar)
        if content is None:
            continue
        title, body = content
        # Made at `now`, the moment the day's "already made?" check above reads.
        notification = Notification(
            user_id=user.id,
            title=title[:200],
            body=body,
            link="",
            kind="unit_digest",
            created_at=_naive(now),
        )
        db.session.add(notification)
        db.session.flush()
        notifications.queue_deliveries(user, notification, now=now, digest=False)
        made += 1
    return made
