"""Recurring cards: a rule on the working-day calendar of the board's unit ("every Monday", "the
last working day of each month", "the 5th working day of each quarter", "every 17 August; on a
holiday the working day before") that makes a card from one of the board's templates.

Who: the board's managers keep the rules (the same people as for its card templates); every
change is a `recurrence_*` event of the board. Everyone who sees the board reads them.

The days: `occurrences(rule, calendar, start, end)` computes them on the unit's calendar
(app/workcal.py: weekends, national holidays, cuti bersama and the unit's own days). For the
kinds that name a calendar day (weekly, monthly_day, yearly) `on_holiday` says what happens when
that day is not a working day: the working day `before`, the one `after`, or `skip` (no card
that time). The working-day kinds (last working day of the month, n-th working day of a
period) only ever name working days. A day of the month the month lacks (31 in April, 29
February) is the month's last day.

Exactly once: `run_due(now)` (from `cergas tick`) makes, for every active rule, each day from
the later of its start and the day after its last card up to the unit's today that has no card
yet, oldest first: a tick that ran late catches up. Each card is made in one transaction with
its `recurrence_occurrences` row, whose UNIQUE (recurrence_id, occurs_on) lets the database
refuse a second card for the day when another host's tick made it at the same moment (that
transaction is rolled back and the tick goes on). At most `MAX_CATCH_UP` cards per rule a tick;
the rest come with the next ticks.

Refusals: the card is made in the name of the rule's owner (who last saved or resumed it) through
the normal card creation, so WIP limits, the plugins' vetoes and the board's rules hold. When the
card is refused (a full column, an archived template, an owner whose account was closed or who
no longer sees the board), the day is not lost: nothing is recorded for it, the rule keeps the
reason in `problem` (shown on the settings page and in the API) and the later days of that rule
wait, so the next tick tries the same day again, and its cards keep their order. Other rules go
on. A manager fixes the cause (or saves the rule, becoming its owner).

Pause and resume: a paused rule makes nothing; resuming does not make up for the paused days
(a weekly briefing missed during a pause is of no use afterwards): the days from the resume on
count, today's included.
"""

import calendar as monthcalendar
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import (
    ON_HOLIDAY,
    RECURRENCE_KINDS,
    RECURRENCE_PERIODS,
    Board,
    BoardColumn,
    CardTemplate,
    Recurrence,
    RecurrenceOccurrence,
    User,
    utcnow,
)
from app.services import validation as v
from app.services.access import local_today, managed_board, visible_board
from app.services.audit import record
from app.services.card_templates import create_card_from_template, due_date_for, fill_title
from app.services.errors import NotFound, ServiceError
from app.services.tx import lock_board, write_transaction
from app.workcal import WorkCalendar, work_calendar

log = logging.getLogger("cergas.recurrences")

RULE_FIELDS = ("kind", "weekday", "day", "month", "n", "period", "on_holiday")
FIELDS = ("template_id", "column_id", *RULE_FIELDS, "starts_on", "ends_on")
MAX_RECURRENCES = 100
MAX_CATCH_UP = 50
# The working-day kinds name working days only: `on_holiday` does not apply to them.
WORKING_DAY_KINDS = ("monthly_last_working_day", "nth_working_day")
_PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


# --- the days ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: str
    weekday: int | None = None
    day: int | None = None
    month: int | None = None
    n: int | None = None
    period: str | None = None
    on_holiday: str = "before"

    @classmethod
    def of(cls, row: Recurrence) -> "Rule":
        return cls(**{name: getattr(row, name) for name in RULE_FIELDS})


def _day_in_month(year: int, month: int, day: int) -> date:
    """That day of the month, or the month's last day when it has fewer."""
    return date(year, month, min(day, monthcalendar.monthrange(year, month)[1]))


def _previous_working_day(cal: WorkCalendar, day: date) -> date | None:
    for _step in range(366):
        day -= timedelta(days=1)
        if cal.is_working_day(day):
            return day
    return None


def _adjusted(cal: WorkCalendar, day: date, on_holiday: str) -> date | None:
    if cal.is_working_day(day):
        return day
    if on_holiday == "before":
        return _previous_working_day(cal, day)
    if on_holiday == "after":
        return cal.next_working_day(day)
    return None


def _months(first: date, last: date, step: int) -> Iterator[date]:
    """The first days of the periods of `step` months (1, 3 or 12, aligned on the year) that
    overlap [first, last]."""
    month = (first.month - 1) // step * step + 1
    current = date(first.year, month, 1)
    while current <= last:
        yield current
        month_index = current.month - 1 + step
        current = date(current.year + month_index // 12, month_index % 12 + 1, 1)


def _nominal(rule: Rule, cal: WorkCalendar, first: date, last: date) -> Iterator[date | None]:
    """The rule's days around [first, last], before any holiday adjustment for the calendar-day
    kinds (the working-day kinds are final)."""
    if rule.kind == "weekly":
        day = first + timedelta(days=(rule.weekday - first.weekday()) % 7)
        while day <= last:
            yield day
            day += timedelta(days=7)
    elif rule.kind == "monthly_day":
        for start in _months(first, last, 1):
            yield _day_in_month(start.year, start.month, rule.day)
    elif rule.kind == "yearly":
        for year in range(first.year, last.year + 1):
            yield _day_in_month(year, rule.month, rule.day)
    elif rule.kind == "monthly_last_working_day":
        for start in _months(first, last, 1):
            end = _day_in_month(start.year, start.month, 31)
            day = end if cal.is_working_day(end) else _previous_working_day(cal, end)
            yield day if day is not None and day >= start else None
    elif rule.kind == "nth_working_day":
        step = _PERIOD_MONTHS[rule.period]
        for start in _months(first, last, step):
            month_index = start.month - 1 + step
            end = date(start.year + month_index // 12, month_index % 12 + 1, 1)
            day = start if cal.is_working_day(start) else cal.next_working_day(start)
            for _count in range(rule.n - 1):
                day = cal.next_working_day(day)
            # A period with fewer working days than n has none.
            yield day if day < end else None


# How far a holiday adjustment may move a day (the longest run of days off, Lebaran with its
# cuti bersama, is well within it): the rule's days are looked for this much around a range.
_MARGIN = timedelta(days=20)


def occurrences(rule: Rule, cal: WorkCalendar, first: date, last: date) -> list[date]:
    """The rule's days in [first, last], in order, on the calendar `cal`."""
    if last < first:
        return []
    adjust = rule.kind not in WORKING_DAY_KINDS
    found = set()
    for day in _nominal(rule, cal, first - _MARGIN, last + _MARGIN):
        if day is not None and adjust:
            day = _adjusted(cal, day, rule.on_holiday)
        if day is not None and first <= day <= last:
            found.add(day)
    return sorted(found)


def _calendar(row: Recurrence) -> WorkCalendar:
    return work_calendar(db.session.get(Board, row.board_id).unit_id)


def _unit_today(row: Recurrence, now: datetime | None = None) -> date:
    board = db.session.get(Board, row.board_id)
    if now is None:
        return local_today(board.unit.timezone)
    return now.astimezone(ZoneInfo(board.unit.timezone)).date()


def next_dates(row: Recurrence, n: int = 5, after: date | None = None) -> list[date]:
    """The rule's next `n` days from `after` (default: the unit's today), today included,
    within its start and end (whether paused or not: the preview shows what it would do)."""
    cal = _calendar(row)
    first = max(after or _unit_today(row), row.starts_on)
    rule = Rule.of(row)
    found: list[date] = []
    # A year at a time, for at most ten years (a yearly rule needs five of them).
    for _year in range(10):
        last = first + timedelta(days=366)
        if row.ends_on is not None:
            last = min(last, row.ends_on)
        found += occurrences(rule, cal, first, last)
        if len(found) >= n or (row.ends_on is not None and last >= row.ends_on):
            break
        first = last + timedelta(days=1)
    return found[:n]


# --- the rule in words ---------------------------------------------------------------------------


def _weekday_name(weekday: int) -> str:
    return get_day_names("wide", locale=get_locale())[weekday]


def _month_name(month: int) -> str:
    return get_month_names("wide", locale=get_locale())[month]


def describe(row) -> str:
    """The rule in words, e.g. "Every 17 August; on a holiday, the working day before"."""
    kind = row.kind
    if kind == "weekly":
        text = _("Every %(weekday)s", weekday=_weekday_name(row.weekday))
    elif kind == "monthly_day":
        text = _("Day %(day)d of each month", day=row.day)
    elif kind == "yearly":
        text = _("Every %(day)d %(month)s", day=row.day, month=_month_name(row.month))
    elif kind == "monthly_last_working_day":
        return _("Last working day of each month")
    elif row.period == "quarter":
        return _("Working day %(n)d of each quarter", n=row.n)
    elif row.period == "year":
        return _("Working day %(n)d of each year", n=row.n)
    else:
        return _("Working day %(n)d of each month", n=row.n)
    if row.on_holiday == "after":
        return _("%(rule)s; on a holiday, the working day after", rule=text)
    if row.on_holiday == "skip":
        return _("%(rule)s; none when it is a holiday", rule=text)
    return _("%(rule)s; on a holiday, the working day before", rule=text)


def long_date(day: date) -> str:
    """E.g. "Kamis, 31 Desember 2026"."""
    return format_date(day, "EEEE, d MMMM y")


# --- values ----------------------------------------------------------------------------------


def _in_range(value, lo, hi, *, required=True):
    number = v.optional_int(value, minimum=lo, maximum=hi)
    if number is None and required:
        raise v.FieldError(_("This field is required."))
    return number


def clean(board: Board, data: dict, *, today: date) -> dict:
    """The rule's fields from `data` (a form or a JSON body, all fields), or Invalid naming each
    bad one. Parameters the kind does not use are dropped (the form shows them all)."""
    if not isinstance(data, dict):
        raise v.invalid({"": _("Must be an object.")})
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown})
    fields = v.Fields()
    kind = fields.clean("kind", v.choice, data.get("kind"), RECURRENCE_KINDS)
    cleaned = {name: None for name in RULE_FIELDS} | {"kind": kind, "on_holiday": "before"}
    template_id = fields.clean("template_id", v.record_id, data.get("template_id"))
    if template_id is not None:
        template = db.session.get(CardTemplate, template_id)
        if template is None or template.board_id != board.id or template.archived_at:
            fields.errors["template_id"] = _("Choose an active card template of this board.")
    cleaned["template_id"] = template_id
    column_id = fields.clean("column_id", v.optional_int, data.get("column_id"), maximum=v.MAX_ID)
    if column_id is not None:
        column = db.session.get(BoardColumn, column_id)
        if column is None or column.board_id != board.id:
            fields.errors["column_id"] = _("Choose a column of this board.")
    cleaned["column_id"] = column_id
    if kind == "weekly":
        cleaned["weekday"] = fields.clean("weekday", _in_range, data.get("weekday"), 0, 6)
    if kind in ("monthly_day", "yearly"):
        cleaned["day"] = fields.clean("day", _in_range, data.get("day"), 1, 31)
    if kind == "yearly":
        cleaned["month"] = fields.clean("month", _in_range, data.get("month"), 1, 12)
        if cleaned["day"] and cleaned["month"]:
            longest = monthcalendar.monthrange(2024, cleaned["month"])[1]
            if cleaned["day"] > longest:
                fields.errors["day"] = _("This month has at most %(n)d days.", n=longest)
    if kind == "nth_working_day":
        cleaned["period"] = fields.clean("period", v.choice, data.get("period"), RECURRENCE_PERIODS)
        most = {"month": 15, "quarter": 50, "year": 200}.get(cleaned["period"], 200)
        cleaned["n"] = fields.clean("n", _in_range, data.get("n"), 1, most)
    if kind not in (None, *WORKING_DAY_KINDS):
        cleaned["on_holiday"] = fields.clean(
            "on_holiday", v.choice, data.get("on_holiday"), ON_HOLIDAY, default="before"
        )
    starts_on = fields.clean("starts_on", v.optional_date, data.get("starts_on"))
    ends_on = fields.clean("ends_on", v.optional_date, data.get("ends_on"))
    cleaned["starts_on"] = starts_on or today
    cleaned["ends_on"] = ends_on
    if ends_on is not None and ends_on < cleaned["starts_on"]:
        fields.errors["ends_on"] = _("The end must not be before the start.")
    fields.raise_if_any()
    return cleaned


# --- reading -------------------------------------------------------------------------------------


def board_recurrences(actor: User, board_id) -> list[Recurrence]:
    """Every rule of the board (everyone who sees the board)."""
    board = visible_board(actor, board_id)
    query = select(Recurrence).where(Recurrence.board_id == board.id).order_by(Recurrence.id)
    return list(db.session.scalars(query))


def get_recurrence(actor: User, recurrence_id) -> Recurrence:
    row = db.session.get(Recurrence, recurrence_id) if isinstance(recurrence_id, int) else None
    if row is None:
        raise NotFound("not_found", _("Recurring card not found."))
    try:
        visible_board(actor, row.board_id)
    except NotFound:
        raise NotFound("not_found", _("Recurring card not found.")) from None
    return row


def _managed(actor: User, recurrence_id) -> Recurrence:
    row = get_recurrence(actor, recurrence_id)
    managed_board(actor, row.board_id)
    lock_board(row.board_id)
    return row


def state(row: Recurrence) -> str | None:
    """What keeps the rule from making cards, in words; None when nothing does."""
    if row.template is not None and row.template.archived_at is not None:
        return _("Its card template is archived: restore it or choose another.")
    return row.problem


# --- changing ------------------------------------------------------------------------------------


def _described(row: Recurrence) -> dict:
    return {
        "recurrence_id": row.id,
        "template": row.template.name if row.template else None,
        "rule": {name: getattr(row, name) for name in RULE_FIELDS if getattr(row, name)},
    }


def create_recurrence(actor: User, board_id, data: dict) -> Recurrence:
    with write_transaction():
        board = managed_board(actor, board_id)
        lock_board(board.id)
        cleaned = clean(board, data, today=local_today(board.unit.timezone))
        count = db.session.scalar(
            select(func.count(Recurrence.id)).where(Recurrence.board_id == board.id)
        )
        if count >= MAX_RECURRENCES:
            raise v.invalid({"": _("A board has at most %(n)d recurring cards.", n=100)})
        row = Recurrence(board_id=board.id, created_by_id=actor.id, owner_id=actor.id, **cleaned)
        db.session.add(row)
        db.session.flush()
        record("recurrence_created", actor, board_id=board.id, **_described(row))
    return row


def update_recurrence(actor: User, recurrence_id, data: dict) -> Recurrence:
    """Change the rule (the fields given; the others stay). Whoever saves it becomes its owner:
    the cards are made in their name from now on, and a recorded problem is cleared (the next
    tick tries again)."""
    if not isinstance(data, dict):
        raise v.invalid({"": _("Must be an object.")})
    with write_transaction():
        row = _managed(actor, recurrence_id)
        board = db.session.get(Board, row.board_id)
        current = {name: getattr(row, name) for name in FIELDS}
        cleaned = clean(board, current | data, today=local_today(board.unit.timezone))
        changes = {
            name: [getattr(row, name), new]
            for name, new in cleaned.items()
            if getattr(row, name) != new
        }
        for name, (_old, new) in changes.items():
            setattr(row, name, new)
        row.owner_id = actor.id
        row.problem = None
        row.problem_at = None
        if changes:
            record(
                "recurrence_updated",
                actor,
                board_id=row.board_id,
                **_described(row),
                changes=changes,
            )
    return row


def pause_recurrence(actor: User, recurrence_id) -> Recurrence:
    with write_transaction():
        row = _managed(actor, recurrence_id)
        if row.paused_at is None:
            row.paused_at = utcnow()
            record("recurrence_paused", actor, board_id=row.board_id, **_described(row))
    return row


def resume_recurrence(actor: User, recurrence_id) -> Recurrence:
    """Resume from the unit's today: the paused days are not made up for."""
    with write_transaction():
        row = _managed(actor, recurrence_id)
        if row.paused_at is not None:
            row.paused_at = None
            row.resumed_on = _unit_today(row)
            row.owner_id = actor.id
            row.problem = None
            row.problem_at = None
            record("recurrence_resumed", actor, board_id=row.board_id, **_described(row))
    return row


def delete_recurrence(actor: User, recurrence_id) -> None:
    """Gone with its bookkeeping; the cards it made stay."""
    with write_transaction():
        row = _managed(actor, recurrence_id)
        record("recurrence_deleted", actor, board_id=row.board_id, **_described(row))
        db.session.delete(row)


# --- making the cards ----------------------------------------------------------------------------


@dataclass
class TickReport:
    made: int = 0
    made_elsewhere: int = 0
    problems: int = 0


def due_dates(row: Recurrence, today: date) -> list[date]:
    """The days up to `today` that are due and have no card yet, oldest first."""
    last = db.session.scalar(
        select(func.max(RecurrenceOccurrence.occurs_on)).where(
            RecurrenceOccurrence.recurrence_id == row.id
        )
    )
    first = max(row.starts_on, row.resumed_on or row.starts_on)
    if last is not None:
        first = max(first, last + timedelta(days=1))
    end = min(today, row.ends_on) if row.ends_on is not None else today
    return occurrences(Rule.of(row), _calendar(row), first, end)[:MAX_CATCH_UP]


def _make_card(recurrence_id: int, day: date) -> None:
    """The card of one day and its occurrence row, in one transaction. IntegrityError: another
    tick made it; ServiceError: refused (the transaction is rolled back either way)."""
    with write_transaction():
        row = db.session.get(Recurrence, recurrence_id)
        occurrence = RecurrenceOccurrence(recurrence_id=row.id, occurs_on=day)
        db.session.add(occurrence)
        # First: a second tick waits here for the first one's commit, then fails on the key.
        db.session.flush()
        owner = db.session.get(User, row.owner_id) if row.owner_id else None
        if owner is None or not owner.active:
            raise NotFound(
                "owner_inactive",
                _("The person it makes cards for has left; save the rule again to take it over."),
            )
        template = db.session.get(CardTemplate, row.template_id)
        board = db.session.get(Board, row.board_id)
        overrides = {"title": fill_title(template.title_pattern, day)}
        due = due_date_for(board, template.due_in_working_days, day)
        if due is not None:
            overrides["due_date"] = due.isoformat()
        try:
            result = create_card_from_template(
                owner, row.template_id, column_id=row.column_id, **overrides
            )
        except NotFound as exc:
            if exc.code != "not_found":
                raise
            raise NotFound(
                "owner_cannot_see",
                _(
                    "The person it makes cards for no longer sees this board; save the rule "
                    "again to take it over."
                ),
            ) from None
        occurrence.card_id = result.card.id
        row.problem = None
        row.problem_at = None


def _note_problem(recurrence_id: int, day: date, message: str) -> None:
    with write_transaction():
        row = db.session.get(Recurrence, recurrence_id)
        if row is not None:
            row.problem = _("%(day)s: %(reason)s", day=long_date(day), reason=message)[:500]
            row.problem_at = utcnow()


def run_due(now: datetime) -> TickReport:
    """Make every due card of every active rule (see the module's docstring); one rule's
    failure does not stop the others."""
    report = TickReport()
    ids = list(
        db.session.scalars(
            select(Recurrence.id).where(Recurrence.paused_at.is_(None)).order_by(Recurrence.id)
        )
    )
    for recurrence_id in ids:
        try:
            row = db.session.get(Recurrence, recurrence_id)
            if row is None or row.paused_at is not None:
                continue
            days = due_dates(row, _unit_today(row, now))
        except Exception:
            log.exception("recurrence %s: could not compute its days", recurrence_id)
            db.session.rollback()
            report.problems += 1
            continue
        for day in days:
            try:
                _make_card(recurrence_id, day)
                report.made += 1
            except IntegrityError:
                # Another host's tick made this day's card at the same moment.
                report.made_elsewhere += 1
            except ServiceError as exc:
                log.warning("recurrence %s: no card for %s: %s", recurrence_id, day, exc.message)
                _note_problem(recurrence_id, day, exc.message)
                report.problems += 1
                break  # the later days wait for this one (the next tick tries again)
            except Exception as exc:
                log.exception("recurrence %s: no card for %s", recurrence_id, day)
                db.session.rollback()
                _note_problem(
                    recurrence_id, day, _("Unexpected error: %(e)s", e=type(exc).__name__)
                )
                report.problems += 1
                break
    return report
