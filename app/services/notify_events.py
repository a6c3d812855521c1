"""Who is told of what: the core events that notify without any plugin (issue 24).

Each function is called by the service that makes the change, inside its write transaction, so
the notifications (and, through `notify()`, their deliveries) commit with the change or not at
all, whatever path made it: a page, the API, the CLI, a plugin helper such as `assign_card`.

- `card_assigned`: the new assignee, when someone else gave them the card.
- `card_commented`: the card's creator, assignee and followers (app/services/follows.py), less
  those who unfollowed it, the commenter, and anyone mentioned (they get `mentioned`, once).
- `mentioned`: `@login` (NIP or username) in a comment, for people who may see the card.
- `card_done`: the creator of a card that entered a done column, when someone else moved it.
- `deadline_tomorrow`, `deadline_today`, `deadline_passed`: the assignee, by the unit's
  working-day calendar, sent by `cergas tick` (`run_reminders`) once the unit's local time
  passes NOTIFY_REMINDER_HOUR, each exactly once per card, person, kind and due date.

Titles and bodies are stored in the site's default language (Indonesian): they are written
once, for a person who is not the one making the change.
"""

import logging
import re
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_date
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Board, BoardColumn, Card, ReminderSent, Unit, User, utcnow
from app.services import access, follows, tx
from app.services.notifications import notify

log = logging.getLogger(__name__)

DEADLINE_KINDS = ("deadline_tomorrow", "deadline_today", "deadline_passed")
DEFAULT_REMINDER_HOUR = 7
# A card overdue for longer than this when reminders first look at it (a new install, a host
# that was off for weeks) is not told "passed": the board shows it overdue already.
PASSED_LOOKBACK_DAYS = 7
# How far ahead a "tomorrow" can be: the next working day after a long holiday (Lebaran and
# its cuti bersama) is some ten days away.
AHEAD_DAYS = 16

# `@login`: a NIP (digits) or a username (person_fields.USERNAME_PATTERN), not inside a word
# or an e-mail address.
MENTION = re.compile(r"(?<![\w@.])@([A-Za-z0-9][A-Za-z0-9._-]{1,59})")


@contextmanager
def _site_language():
    """Write in the site's default language, whoever's request this is."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "id"):
        yield


def mentioned_logins(body: str) -> list[str]:
    """The `@login` tokens of a text, in order, each once (a trailing dot or dash is
    punctuation, not part of the login)."""
    seen: list[str] = []
    for match in MENTION.finditer(body or ""):
        login = match.group(1).rstrip(".-_")
        if login and login not in seen:
            seen.append(login)
    return seen


def _others(users: Iterable[User | None], actor: User | None) -> list[User]:
    found: dict[int, User] = {}
    for user in users:
        if user is None or not user.active:
            continue
        if actor is not None and user.id == actor.id:
            continue
        found.setdefault(user.id, user)
    return list(found.values())


# --- card events -------------------------------------------------------------------------------


def card_assigned(actor: User | None, card: Card, assignee: User | None) -> None:
    """`assignee` was given the card by `actor` (nothing when they took it themselves)."""
    if assignee is None or not assignee.active or (actor is not None and assignee.id == actor.id):
        return
    with _site_language():
        title = _("Card assigned to you: %(title)s", title=card.title)
        body = _("%(name)s assigned the card to you.", name=actor.name) if actor is not None else ""
    notify(assignee, title, body, card=card, kind="card_assigned")


def card_entered_done(actor: User | None, card: Card, source, target) -> None:
    """The card moved into a done column: its creator hears of it (not when they moved it)."""
    if not moves_notify(actor, card, source, target):
        return
    creator = db.session.get(User, card.created_by_id)
    if creator is None or not creator.active:
        return
    with _site_language():
        title = _("Card done: %(title)s", title=card.title)
        body = _(
            "%(name)s moved the card to %(column)s.",
            name=actor.name if actor is not None else _("System"),
            column=target.name,
        )
    notify(creator, title, body, card=card, kind="card_done")


def moves_notify(actor: User | None, card: Card, source, target) -> bool:
    """Whether moving `card` from `source` to `target` tells its creator (a move's fast path,
    which commits on its own, is skipped for these)."""
    return (
        target.kind == "done"
        and (source is None or source.kind != "done")
        and card.created_by_id is not None
        and (actor is None or card.created_by_id != actor.id)
    )


def card_commented(actor: User, card: Card, comment) -> None:
    """Tell the card's people of a new comment, and the people it mentions."""
    board = card.board
    viewers = {user.id: user for user in access.board_viewers(board)}
    by_login: dict[str, User] = {}
    for user in viewers.values():
        for login in (user.nip, user.username):
            if login:
                by_login[login] = user
    mentioned = _others((by_login.get(login) for login in mentioned_logins(comment.body)), actor)
    mentioned_ids = {user.id for user in mentioned}
    watching = follows.followers_of([card.id]).get(card.id, set())
    readers = _others((viewers.get(user_id) for user_id in sorted(watching)), actor)
    readers = [user for user in readers if user.id not in mentioned_ids]
    excerpt = comment.body if len(comment.body) <= 300 else comment.body[:297] + "..."
    with _site_language():
        mention_title = _("%(name)s mentioned you on %(title)s", name=actor.name, title=card.title)
        comment_title = _("%(name)s commented on %(title)s", name=actor.name, title=card.title)
    link = f"{_card_link(card)}#comments"
    for user in mentioned:
        notify(user, mention_title, excerpt, card=card, link=link, kind="mentioned")
    for user in readers:
        notify(user, comment_title, excerpt, card=card, link=link, kind="card_commented")


def _card_link(card: Card) -> str:
    from app.services.notifications import card_link

    return card_link(card.id)


# --- deadline reminders ------------------------------------------------------------------------


def reminder_hour() -> int:
    value = current_app.config.get("NOTIFY_REMINDER_HOUR", DEFAULT_REMINDER_HOUR)
    try:
        hour = int(value)
    except (TypeError, ValueError):
        return DEFAULT_REMINDER_HOUR
    return min(max(hour, 0), 23)


def reminder_kind(due: date, today: date, calendar) -> str | None:
    """Which reminder a card due on `due` gets on the unit's day `today`, if any: "tomorrow"
    is the next working day (a card due Monday hears it on Friday, one due on the Tuesday after
    a Monday holiday too)."""
    if due == today:
        return "deadline_today"
    if due < today:
        return "deadline_passed" if (today - due).days <= PASSED_LOOKBACK_DAYS else None
    if due <= calendar.next_working_day(today):
        return "deadline_tomorrow"
    return None


@dataclass
class ReminderReport:
    sent: int = 0
    already: int = 0


def _claim(card_id: int, user_id: int, kind: str, due: date) -> bool:
    """Record the reminder as sent; False when it was already (by this or another tick)."""
    values = {
        "card_id": card_id,
        "user_id": user_id,
        "kind": kind,
        "due_date": due,
        "sent_at": utcnow(),
    }
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:  # pragma: no cover - Cergas runs on these two
        upsert = None
    if upsert is not None:
        statement = (
            upsert(ReminderSent)
            .values(**values)
            .on_conflict_do_nothing()
            .returning(ReminderSent.card_id)
        )
        return db.session.execute(statement).first() is not None
    try:
        with db.session.begin_nested():
            db.session.execute(insert(ReminderSent).values(**values))
    except IntegrityError:
        return False
    return True


def run_reminders(now: datetime) -> ReminderReport:
    """Send the deadline reminders that are due at `now` (aware, or naive UTC): each card's
    assignee hears once per kind and due date, after the reminder hour of the card's unit, in
    one transaction; two ticks at once send each reminder once (the second one's insert finds
    the first one's row)."""
    from zoneinfo import ZoneInfo

    from app.workcal import work_calendars

    report = ReminderReport()
    if now.tzinfo is None:
        from datetime import UTC

        now = now.replace(tzinfo=UTC)
    hour = reminder_hour()
    utc_day = now.date()
    rows = db.session.execute(
        select(Card, Board.unit_id, Unit.timezone)
        .join(Board, Card.board_id == Board.id)
        .join(Unit, Board.unit_id == Unit.id)
        .join(BoardColumn, Card.column_id == BoardColumn.id)
        .where(
            Card.assignee_id.is_not(None),
            Card.due_date.is_not(None),
            BoardColumn.kind != "done",
            Card.archived_at.is_(None),
            Card.due_date >= utc_day - timedelta(days=PASSED_LOOKBACK_DAYS + 1),
            Card.due_date <= utc_day + timedelta(days=AHEAD_DAYS),
        )
        .order_by(Card.id)
    ).all()
    if not rows:
        return report
    calendars = work_calendars({unit_id for _card, unit_id, _zone in rows})
    todo = []
    for card, unit_id, zone in rows:
        local = now.astimezone(ZoneInfo(zone))
        if local.hour < hour:
            continue
        kind = reminder_kind(card.due_date, local.date(), calendars[unit_id])
        if kind is not None:
            todo.append((card, kind))
    if not todo:
        return report
    people = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_({card.assignee_id for card, _kind in todo}))
        )
    }
    with tx.write_transaction():
        for card, kind in todo:
            person = people.get(card.assignee_id)
            if person is None or not person.active:
                continue
            if not _claim(card.id, person.id, kind, card.due_date):
                report.already += 1
                continue
            _remind(person, card, kind)
            report.sent += 1
    return report


def _remind(person: User, card: Card, kind: str) -> None:
    with _site_language():
        if kind == "deadline_tomorrow":
            title = _("Due on the next working day: %(title)s", title=card.title)
        elif kind == "deadline_today":
            title = _("Due today: %(title)s", title=card.title)
        else:
            title = _("Past its due date: %(title)s", title=card.title)
        body = _("Due date: %(day)s", day=format_date(card.due_date, format="long"))
    notify(person, title, body, card=card, kind=kind)
