"""The deadline calendar (issue 25): a month or a week of due dates, for one board or for the
cards assigned to a person ("My work"), with the unit's days off.

Read-only. Each page is a fixed number of queries whatever the number of cards: the cards of the
period (with their column and board in the same query), the unit's own calendar days, and the
national holidays from the `holidays` package (no query).

Archived cards (they have left the board) are not shown: the calendar is for the work still on
the boards; search, reports and exports keep the archived ones.
"""

import calendar as stdlib_calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Board, BoardColumn, Card, Membership, Unit, UnitCalendarDay, User
from app.services import access
from app.workcal import DEFAULT_TIMEZONE, national_holidays, work_calendar

MODES = ("month", "week")
# How far from today the calendar goes (either way): enough for any plan, and a bound for URLs.
MAX_YEARS = 10


@dataclass
class Entry:
    card: Card
    board_name: str
    done: bool
    overdue: bool


@dataclass
class Day:
    day: date
    in_period: bool
    weekend: bool
    today: bool
    off: bool  # not a working day of the unit
    note: str = ""  # the holiday, cuti bersama or the unit's own day off (or working day)
    entries: list[Entry] = field(default_factory=list)


@dataclass
class CalendarPage:
    mode: str
    anchor: date
    start: date
    end: date
    today: date
    weeks: list[list[Day]]
    previous: date
    next: date
    unit: Unit | None
    board: Board | None = None

    @property
    def count(self) -> int:
        return sum(len(day.entries) for week in self.weeks for day in week if day.in_period)


def parse_anchor(value, today: date) -> date:
    """The date the page shows (`?date=YYYY-MM-DD`, or `YYYY-MM` for a month); today when
    missing or unusable (a calendar is never refused for a bad date)."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 7:
            text += "-01"
        try:
            day = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        if day is not None and abs(day.year - today.year) <= MAX_YEARS:
            return day
    return today


def parse_mode(value) -> str:
    return value if value in MODES else "month"


def period(mode: str, anchor: date) -> tuple[date, date, date, date, date, date]:
    """(first shown day, last shown day, first day of the period, last day, previous anchor,
    next anchor). Weeks start on Monday; a month shows whole weeks."""
    if mode == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        return first, last, first, last, first - timedelta(days=7), first + timedelta(days=7)
    first = anchor.replace(day=1)
    last = first.replace(day=stdlib_calendar.monthrange(first.year, first.month)[1])
    shown_first = first - timedelta(days=first.weekday())
    shown_last = last + timedelta(days=6 - last.weekday())
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    return shown_first, shown_last, first, last, previous, following


def _chain(unit: Unit) -> list[int]:
    """The unit and the units above it, nearest first (a few steps in the unit tree)."""
    chain, current = [], unit
    while current is not None and current.id not in chain:
        chain.append(current.id)
        current = current.parent
    return chain


def _days(unit: Unit | None, mode, anchor, today) -> tuple[list[Day], tuple]:
    shown_first, shown_last, first, last, previous, following = period(mode, anchor)
    cal = work_calendar(unit) if unit is not None else None
    own: dict[date, tuple[str, str]] = {}
    if unit is not None:
        chain = _chain(unit)
        rows = db.session.execute(
            select(
                UnitCalendarDay.unit_id,
                UnitCalendarDay.day,
                UnitCalendarDay.kind,
                UnitCalendarDay.note,
            ).where(
                UnitCalendarDay.unit_id.in_(chain),
                UnitCalendarDay.day.between(shown_first, shown_last),
            )
        ).all()
        # The nearest unit's override wins (as in app/workcal.py).
        for row in sorted(rows, key=lambda r: chain.index(r.unit_id), reverse=True):
            own[row.day] = (row.kind, row.note)
    holidays: dict[date, str] = {}
    for year in {shown_first.year, shown_last.year}:
        holidays.update(national_holidays(year))
    days = []
    day = shown_first
    while day <= shown_last:
        weekend = day.weekday() >= 5
        off = not cal.is_working_day(day) if cal is not None else (weekend or day in holidays)
        note = holidays.get(day, "")
        if day in own:
            kind, text = own[day]
            if kind == "off":
                note = text or _("Day off of the unit")
            else:
                note = text or _("Working day of the unit")
        days.append(Day(day, first <= day <= last, weekend, day == today, off, note))
        day += timedelta(days=1)
    return days, (shown_first, shown_last, previous, following)


def _weeks(days: list[Day]) -> list[list[Day]]:
    return [days[i : i + 7] for i in range(0, len(days), 7)]


def _place(days: list[Day], rows, today_of) -> None:
    """Put each (card, board name, column kind, zone) on its due day."""
    by_day = {day.day: day for day in days}
    for card, board_name, kind, zone in rows:
        day = by_day.get(card.due_date)
        if day is None:
            continue
        done = kind == "done"
        overdue = not done and card.due_date < today_of(zone)
        day.entries.append(Entry(card, board_name, done, overdue))


def board_calendar(actor: User, board_id, mode: str, anchor_value) -> CalendarPage:
    """The due dates of a board's cards in the month or week around `anchor_value`."""
    board = access.visible_board(actor, board_id)
    zone = board.unit.timezone or DEFAULT_TIMEZONE
    today = access.local_today(zone)
    mode = parse_mode(mode)
    anchor = parse_anchor(anchor_value, today)
    days, (first, last, previous, following) = _days(board.unit, mode, anchor, today)
    rows = db.session.execute(
        select(Card, BoardColumn.kind)
        .join(BoardColumn, Card.column_id == BoardColumn.id)
        .where(
            Card.board_id == board.id,
            Card.archived_at.is_(None),
            Card.due_date.between(first, last),
        )
        .options(selectinload(Card.assignee))
        .order_by(Card.due_date, BoardColumn.position, Card.position, Card.id)
    ).all()
    _place(days, [(card, board.name, kind, zone) for card, kind in rows], lambda _zone: today)
    return CalendarPage(
        mode, anchor, first, last, today, _weeks(days), previous, following, board.unit, board
    )


def home_unit(user: User) -> Unit | None:
    """The unit whose calendar a person's own pages show: their first unit (heads' units
    first), None for someone in no unit (the national calendar, WIB)."""
    return db.session.scalar(
        select(Unit)
        .join(Membership, Membership.unit_id == Unit.id)
        .where(Membership.user_id == user.id)
        .order_by((Membership.role == "head").desc(), Unit.id)
        .limit(1)
    )


def my_calendar(actor: User, mode: str, anchor_value) -> CalendarPage:
    """The due dates of the cards assigned to `actor` on the boards they see."""
    unit = home_unit(actor)
    zone = unit.timezone if unit is not None and unit.timezone else DEFAULT_TIMEZONE
    today = access.local_today(zone)
    mode = parse_mode(mode)
    anchor = parse_anchor(anchor_value, today)
    days, (first, last, previous, following) = _days(unit, mode, anchor, today)
    rows = db.session.execute(
        select(Card, Board.name, BoardColumn.kind, Unit.timezone)
        .join(Board, Card.board_id == Board.id)
        .join(Unit, Board.unit_id == Unit.id)
        .join(BoardColumn, Card.column_id == BoardColumn.id)
        .where(
            Card.assignee_id == actor.id,
            Card.archived_at.is_(None),
            Card.due_date.between(first, last),
            access.visible_boards_clause(actor),
        )
        .order_by(Card.due_date, Board.name, Card.id)
    ).all()
    todays: dict[str, date] = {}

    def today_of(zone_of_card):
        zone_of_card = zone_of_card or DEFAULT_TIMEZONE
        if zone_of_card not in todays:
            todays[zone_of_card] = access.local_today(zone_of_card)
        return todays[zone_of_card]

    _place(days, rows, today_of)
    return CalendarPage(mode, anchor, first, last, today, _weeks(days), previous, following, unit)
