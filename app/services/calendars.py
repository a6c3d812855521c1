"""Editing a unit's working calendar (admins): hours, working every day, extra days off and
extra working days. Reading it is app/workcal.py.

Unit calendars belong to no board, so these changes are not board events: each row keeps who
made it and when, and every change is logged (logger `cergas.calendars`). What the boards of the
unit and the units below it show does change (SLA badges count working time), so their open pages
are told to redraw, which also renews their cached columns (app/boards/cache.py).
"""

import logging
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import (
    CALENDAR_DAY_KINDS,
    Board,
    Unit,
    UnitCalendar,
    UnitCalendarDay,
    User,
    utcnow,
)
from app.services import live
from app.services import validation as v
from app.services.access import subtree
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.tx import write_transaction
from app.workcal import DEFAULT_HOURS, parse_hours, work_calendar

log = logging.getLogger("cergas.calendars")
TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
MAX_NOTE = 200


@dataclass(frozen=True)
class CalendarView:
    unit: Unit
    every_day: bool
    hours: list[tuple[str, str]]  # seven (start, end), Monday first, defaults filled in
    own_hours: bool  # False: the defaults (or a parent's hours) apply
    days: list[UnitCalendarDay]  # this unit's own days, by date


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("forbidden", _("Only an administrator may change working calendars."))


def _unit(code) -> Unit:
    unit = None
    if isinstance(code, str) and code.strip():
        unit = db.session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None:
        raise NotFound("not_found", _("Unit not found."))
    return unit


def _redraw_boards(unit: Unit) -> None:
    """Within the write: the boards under this calendar redraw once it commits."""
    units = subtree(unit.id)
    for board_id in db.session.scalars(select(Board.id).where(Board.unit_id.in_(units))):
        live.refresh_board(board_id)


def all_units(actor: User) -> list[Unit]:
    _require_admin(actor)
    return list(db.session.scalars(select(Unit).order_by(Unit.code)))


def calendar_view(actor: User, code) -> CalendarView:
    _require_admin(actor)
    unit = _unit(code)
    row = db.session.get(UnitCalendar, unit.id)
    days = list(
        db.session.scalars(
            select(UnitCalendarDay)
            .where(UnitCalendarDay.unit_id == unit.id)
            .order_by(UnitCalendarDay.day)
        )
    )
    own = row.hours if row and row.hours else None
    hours = [tuple(own[i]) if own and own[i] else DEFAULT_HOURS[i] for i in range(7)]
    return CalendarView(unit, bool(row and row.every_day), hours, own is not None, days)


def clean_hours(pairs) -> list[list[str]]:
    """Seven (start, end) texts as HH:MM, Monday first; Invalid naming each bad weekday
    (fields `start_0`.. `end_6`)."""
    errors, cleaned = {}, []
    if not isinstance(pairs, list | tuple) or len(pairs) != 7:
        raise v.invalid({"hours": _("Give the hours of all seven days.")})
    for weekday, pair in enumerate(pairs):
        start, end = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, None)
        start = start.strip() if isinstance(start, str) else ""
        end = end.strip() if isinstance(end, str) else ""
        if not TIME.fullmatch(start):
            errors[f"start_{weekday}"] = _("Use the format HH:MM, e.g. 07:30.")
        if not TIME.fullmatch(end):
            errors[f"end_{weekday}"] = _("Use the format HH:MM, e.g. 16:00.")
        valid = f"start_{weekday}" not in errors and f"end_{weekday}" not in errors
        if valid and parse_hours(end) <= parse_hours(start):
            errors[f"end_{weekday}"] = _("The end must be after the start.")
        cleaned.append([start, end])
    if errors:
        raise v.invalid(errors)
    return cleaned


def set_calendar(actor: User, code, *, every_day: bool, hours) -> None:
    """Save how a unit works: every day or not, and its hours (None: the defaults)."""
    _require_admin(actor)
    cleaned = clean_hours(hours) if hours is not None else None
    if cleaned == [list(pair) for pair in DEFAULT_HOURS]:
        cleaned = None
    with write_transaction():
        unit = _unit(code)
        row = db.session.get(UnitCalendar, unit.id)
        if row is None:
            row = UnitCalendar(unit_id=unit.id)
            db.session.add(row)
        row.every_day = bool(every_day)
        row.hours = cleaned
        row.updated_by_id = actor.id
        row.updated_at = utcnow()
        _redraw_boards(unit)
    log.info(
        "calendar of %s set by %s: every_day=%s hours=%s",
        unit.code,
        actor.login,
        every_day,
        cleaned,
    )


def add_day(actor: User, code, day, kind, note="") -> UnitCalendarDay:
    """Mark one day as off or as a working day for the unit (and the units below it)."""
    _require_admin(actor)
    fields = v.Fields()
    day = fields.clean("day", v.optional_date, day)
    if day is None and "day" not in fields.errors:
        fields.errors["day"] = _("Give a date.")
    kind = fields.clean("kind", v.choice, kind, CALENDAR_DAY_KINDS)
    note = fields.clean("note", v.text, note or "", field_max=MAX_NOTE)
    fields.raise_if_any()
    with write_transaction():
        unit = _unit(code)
        exists = db.session.scalar(
            select(UnitCalendarDay.id).where(
                UnitCalendarDay.unit_id == unit.id, UnitCalendarDay.day == day
            )
        )
        if exists:
            raise Conflict(
                "duplicate", _("%(day)s already has an entry for this unit.", day=day.isoformat())
            )
        row = UnitCalendarDay(
            unit_id=unit.id, day=day, kind=kind, note=note or "", created_by_id=actor.id
        )
        db.session.add(row)
        _redraw_boards(unit)
    log.info("calendar of %s: %s is %s, by %s", unit.code, day, kind, actor.login)
    return row


def remove_day(actor: User, code, day_id) -> None:
    _require_admin(actor)
    with write_transaction():
        unit = _unit(code)
        row = db.session.get(UnitCalendarDay, day_id) if isinstance(day_id, int) else None
        if row is None or row.unit_id != unit.id:
            raise NotFound("not_found", _("Calendar day not found."))
        db.session.delete(row)
        _redraw_boards(unit)
    log.info("calendar of %s: %s entry removed by %s", unit.code, row.day, actor.login)


def upcoming_days_off(code, start=None, count: int = 10):
    """The next `count` days off (weekends aside) from `start` (default: today in the unit's
    zone) on the unit's calendar, for the page's preview: [(date, reason)]."""
    from datetime import timedelta

    from app.workcal import national_holidays

    unit = _unit(code)
    cal = work_calendar(unit)
    found, day = [], start or clock.now().astimezone(cal.tz).date()
    for _step in range(400):
        if day.weekday() < 5 and not cal.is_working_day(day):
            found.append((day, national_holidays(day.year).get(day, "")))
            if len(found) == count:
                break
        day += timedelta(days=1)
    return found
