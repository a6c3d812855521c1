"""A person's calendar feed (issue 25): a secret address (`/ical/<token>.ics`) a phone's calendar
subscribes to, listing the due dates of the cards assigned to the person on the boards they still
see (archived cards and cards in done columns left out).

Only the token's SHA-256 is stored (`CalendarFeed.token_hash`); a person has at most one live
address: a new one revokes the old. A revoked or unknown token finds nothing (the page answers
404). Creating and revoking an address are in the administration log (`user.calendar_feed_*`).

Each card is one all-day VEVENT on its due date (the date in the unit's time zone, which is what
a due date is: an all-day event has no time zone), with a UID that stays the same for the card
whatever changes, DTSTAMP (when the feed was made) and LAST-MODIFIED (the card's last change).
The feed is written here as RFC 5545 text (escaped, lines folded at 75 octets).
"""

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.models import Board, BoardColumn, CalendarFeed, Card, User, utcnow
from app.services import access, admin_log
from app.services.errors import NotFound
from app.services.tx import write_transaction

TOKEN_BYTES = 32
# A feed read writes `last_used_at` only when the stored one is older than this.
LAST_USE_PRECISION = timedelta(hours=1)
# How far back the feed goes: phones need the coming deadlines and recent ones, not years.
PAST_DAYS = 120
MAX_EVENTS = 2000


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def active_feed(user: User) -> CalendarFeed | None:
    """The person's live address, if any (its secret cannot be shown again)."""
    return db.session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
        .limit(1)
    )


def _revoke_all(user: User, now: datetime) -> int:
    result = db.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount or 0


def create_feed(actor: User) -> tuple[CalendarFeed, str]:
    """A new secret address for the actor, revoking the old one: (row, token). Only the token's
    hash is stored, so the caller shows the token (the address) once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction():
        now = utcnow()
        revoked = _revoke_all(actor, now)
        row = CalendarFeed(user_id=actor.id, token_hash=_hash(token), created_at=now)
        db.session.add(row)
        admin_log.record(
            "user.calendar_feed_created", actor, "user", actor, after={"replaced": revoked}
        )
    return row, token


def revoke_feed(actor: User) -> int:
    """Revoke the actor's address (the phone's subscription stops working): how many were live
    (0: nothing to revoke, which is no error)."""
    with write_transaction():
        revoked = _revoke_all(actor, utcnow())
        if revoked:
            admin_log.record("user.calendar_feed_revoked", actor, "user", actor)
    return revoked


def owner_of(token) -> User:
    """The active person whose live address this token is; NotFound otherwise. Records the use
    (to LAST_USE_PRECISION)."""
    missing = NotFound("not_found", _("This calendar address does not exist or was revoked."))
    if not isinstance(token, str) or not token or len(token) > 100:
        raise missing
    row = db.session.execute(
        select(CalendarFeed, User)
        .join(User, User.id == CalendarFeed.user_id)
        .where(CalendarFeed.token_hash == _hash(token), CalendarFeed.revoked_at.is_(None))
    ).first()
    if row is None or not row[1].active:
        raise missing
    feed, user = row
    now = utcnow()
    if feed.last_used_at is None or now - feed.last_used_at >= LAST_USE_PRECISION:
        with write_transaction(keep=(user,)):
            db.session.execute(
                update(CalendarFeed).where(CalendarFeed.id == feed.id).values(last_used_at=now)
            )
    return user


@dataclass
class FeedEvent:
    card_id: int
    title: str
    board_name: str
    due: date
    modified: datetime
    created: datetime


def events_for(user: User) -> list[FeedEvent]:
    """The person's deadlines: open cards assigned to them, on boards they still see, due from
    PAST_DAYS ago on. One query."""
    since = access.local_today("Asia/Jakarta") - timedelta(days=PAST_DAYS)
    rows = db.session.execute(
        select(Card.id, Card.title, Board.name, Card.due_date, Card.updated_at, Card.created_at)
        .join(Board, Card.board_id == Board.id)
        .join(BoardColumn, Card.column_id == BoardColumn.id)
        .where(
            Card.assignee_id == user.id,
            Card.archived_at.is_(None),
            Card.due_date.is_not(None),
            Card.due_date >= since,
            BoardColumn.kind != "done",
            access.visible_boards_clause(user),
        )
        .order_by(Card.due_date, Card.id)
        .limit(MAX_EVENTS)
    ).all()
    return [FeedEvent(*row) for row in rows]


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line: str) -> str:
    """RFC 5545 3.1: lines of at most 75 octets, continued with CRLF and a space; never split
    inside a UTF-8 character."""
    out, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        limit = 75 if not out else 74
        if size + width > limit:
            out.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n ".join(out)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")  # naive UTC, as every timestamp here


def render(
    events: list[FeedEvent],
    *,
    name: str,
    host: str,
    link_for: Callable[[int], str],
    now: datetime | None = None,
) -> str:
    """The feed as iCalendar text. `host` makes the UIDs unique to this installation;
    `link_for(card_id)` is the card page's absolute address."""
    now = now or utcnow()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Cergas//Tenggat kartu//ID",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        link = link_for(event.card_id)
        lines += [
            "BEGIN:VEVENT",
            f"UID:card-{event.card_id}@{host}",
            f"DTSTAMP:{_stamp(now)}",
            f"CREATED:{_stamp(event.created)}",
            f"LAST-MODIFIED:{_stamp(event.modified or event.created)}",
            f"DTSTART;VALUE=DATE:{event.due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{event.due + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{_escape(event.title)}",
            f"DESCRIPTION:{_escape(event.board_name + chr(10) + link)}",
            f"LOCATION:{_escape(event.board_name)}",
            f"URL:{link}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
