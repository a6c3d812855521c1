"""The working-day calendar of Indonesian government units, shared by the core and plugins.

Working days are Monday to Friday (Perpres 21/2023) minus national holidays and *cuti bersama*
(collective leave days set by SKB of three ministers), as published by the `holidays` package
with categories ("public", "government"). A unit may override it (app/models/workcal.py): extra
days off, extra working days, working every day (RSUD, Puskesmas) and its own hours. Overrides of
a parent unit apply to the units under it; the nearest unit wins.

Counting rules (docs/sla.md):
- N working days start on the next working day after the clock starts and end at the close of
  working hours of the N-th working day.
- Working hours and minutes count only the time inside working hours of working days.
- Calendar days count every day: the same wall-clock time N days later.

    from cergas.plugin import work_calendar
    cal = work_calendar(unit)            # a Unit or a unit id
    cal.add_working_days(received_at, 3)
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from app.services.validation import ascii_int

DEFAULT_TIMEZONE = "Asia/Jakarta"
# Monday first. Friday ends later (Friday prayers are taken inside the day).
DEFAULT_HOURS: tuple[tuple[str, str], ...] = (
    ("07:30", "16:00"),
    ("07:30", "16:00"),
    ("07:30", "16:00"),
    ("07:30", "16:00"),
    ("07:30", "16:30"),
    ("07:30", "16:00"),  # Saturday and Sunday: used only when the day is a working day
    ("07:30", "16:00"),
)
DURATION_UNITS = ("working_days", "working_hours", "working_minutes", "calendar_days")
HOLIDAY_CATEGORIES = ("public", "government")

__all__ = [
    "DEFAULT_HOURS",
    "DEFAULT_TIMEZONE",
    "DURATION_UNITS",
    "WorkCalendar",
    "default_calendar",
    "national_holidays",
    "parse_hours",
    "work_calendar",
    "work_calendars",
]


@lru_cache(maxsize=64)
def _holidays_of_year(year: int) -> tuple[tuple[date, str], ...]:
    table = holidays_lib.country_holidays(
        "ID", years=year, categories=HOLIDAY_CATEGORIES, language="id"
    )
    return tuple(sorted(table.items()))


def national_holidays(year: int) -> dict[date, str]:
    """Holidays and cuti bersama of one year, with their Indonesian names."""
    return dict(_holidays_of_year(year))


def parse_hours(value: str) -> int:
    """'07:30' -> seconds after midnight; ValueError for anything else."""
    hh, sep, mm = value.partition(":")
    hours = ascii_int(hh, maximum=24) if hh.strip() == hh else None
    minutes = ascii_int(mm, maximum=59) if mm.strip() == mm and len(mm) == 2 else None
    if not sep or hours is None or minutes is None or (hours == 24 and minutes):
        raise ValueError(f"not a time of day: {value!r}")
    return hours * 3600 + minutes * 60


def _as_aware(moment: datetime) -> datetime:
    # Naive datetimes are UTC, as everywhere in the database.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


ORIGIN = date(2020, 1, 1)  # `worked` counts from here (negative before), whatever the table span


class _Table:
    """Per-day working seconds over a span of years, as arrays for O(log n) queries."""

    def __init__(self, spec: _Spec, first_year: int, last_year: int):
        self.first_year, self.last_year = first_year, last_year
        self.base = date(first_year, 1, 1).toordinal()
        end = date(last_year, 12, 31).toordinal()
        self.opens: list[int] = []  # seconds after midnight, per day
        self.lengths: list[int] = []  # working seconds of the day (0: not a working day)
        self.cum_before: list[int] = []  # working seconds before the day starts
        self.work_ords: list[int] = []  # ordinals of working days
        total = 0
        for ordinal in range(self.base, end + 1):
            day = date.fromordinal(ordinal)
            open_s, close_s = spec.hours[day.weekday()]
            length = close_s - open_s if spec.is_working_day(day) else 0
            self.opens.append(open_s)
            self.lengths.append(length)
            self.cum_before.append(total)
            total += length
            if length:
                self.work_ords.append(ordinal)
        # Shift so that working seconds count from ORIGIN in every table of this calendar.
        origin = ORIGIN.toordinal() - self.base
        if 0 <= origin < len(self.cum_before):
            shift = self.cum_before[origin]
        else:  # the table starts after ORIGIN: count the years in between
            shift = -_Table(spec, ORIGIN.year, first_year - 1).cum_after[-1]
        if shift:
            self.cum_before = [value - shift for value in self.cum_before]
        self.cum_after = [b + n for b, n in zip(self.cum_before, self.lengths, strict=True)]


@dataclass(frozen=True)
class _Spec:
    hours: tuple[tuple[int, int], ...]
    every_day: bool
    days_off: frozenset[date]
    days_on: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        if day in self.days_on:
            return True
        if day in self.days_off:
            return False
        if self.every_day:
            return True
        if day.weekday() >= 5:
            return False
        return day not in national_holidays(day.year)


class WorkCalendar:
    """The working calendar of one unit. Aware datetimes in, aware datetimes (unit zone) out;
    naive datetimes are taken as UTC."""

    def __init__(
        self,
        timezone: str = DEFAULT_TIMEZONE,
        *,
        hours=None,
        every_day: bool = False,
        days_off=(),
        days_on=(),
    ):
        self.tz = ZoneInfo(timezone)
        self.timezone = timezone
        raw = list(hours or DEFAULT_HOURS)
        if len(raw) != 7:
            raise ValueError("hours needs seven entries, Monday first")
        parsed = []
        for weekday, entry in enumerate(raw):
            start, end = entry or DEFAULT_HOURS[weekday]
            open_s, close_s = parse_hours(start), parse_hours(end)
            if close_s <= open_s:
                raise ValueError(f"working hours end before they start: {start}-{end}")
            parsed.append((open_s, close_s))
        self._spec = _Spec(tuple(parsed), every_day, frozenset(days_off), frozenset(days_on))
        self._table: _Table | None = None

    # -- days --------------------------------------------------------------------------------

    @property
    def every_day(self) -> bool:
        return self._spec.every_day

    def day_length(self, weekday: int = 0) -> int:
        """Working seconds of a working day on that weekday (Monday 0); Monday's is the
        typical day for turning working time into days."""
        open_s, close_s = self._spec.hours[weekday]
        return close_s - open_s

    def hours_of(self, day: date) -> tuple[time, time] | None:
        """Opening and closing time on that day, None when it is not a working day."""
        if not self.is_working_day(day):
            return None
        open_s, close_s = self._spec.hours[day.weekday()]
        return _clock(open_s), _clock(close_s)

    def is_working_day(self, day: date) -> bool:
        return self._spec.is_working_day(day)

    def working_days_in(self, start: date, end: date) -> int:
        """Working days in [start, end], both included; 0 when end is before start."""
        if end < start:
            return 0
        table = self._covering(start.year, end.year)
        ords = table.work_ords
        return bisect_right(ords, end.toordinal()) - bisect_left(ords, start.toordinal())

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        table = self._covering(day.year, day.year + 1)
        ords = table.work_ords
        i = bisect_right(ords, day.toordinal())
        while i >= len(ords):  # a calendar with no working day for a year: look further
            table = self._covering(day.year, table.last_year + 5)
            if table.last_year > day.year + 50:
                raise ValueError("this calendar has no working days")
            ords = table.work_ords
            i = bisect_right(ords, day.toordinal())
        return date.fromordinal(ords[i])

    # -- moments -----------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        if moment.tzinfo is self.tz:
            return moment
        return _as_aware(moment).astimezone(self.tz)

    def close_of(self, day: date) -> datetime:
        """The end of working hours on `day` in the unit's zone."""
        return self._at(day, self._spec.hours[day.weekday()][1])

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Due moment of an SLA of n working days: close of work of the n-th working day after
        the day the clock started. n == 0: `start` itself."""
        if n < 0:
            raise ValueError("n must not be negative")
        start = self.local(start)
        if n == 0:
            return start
        first = start.date()
        table = self._covering(first.year, first.year + 1 + n // 200)
        ords = table.work_ords
        i = bisect_right(ords, first.toordinal()) + n - 1
        while i >= len(ords):
            table = self._covering(first.year, table.last_year + 2)
            if table.last_year > first.year + 50 + n:
                raise ValueError("this calendar has no working days")
            ords = table.work_ords
            i = bisect_right(ords, first.toordinal()) + n - 1
        return self.close_of(date.fromordinal(ords[i]))

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Whole working days elapsed from `start` to `end` by the SLA rule: the working days
        after start's day whose close of work is at or before `end` (negative if end < start)."""
        start, end = self.local(start), self.local(end)
        if end < start:
            return -self.working_days_between(end, start)
        first = start.date()
        last = end.date()
        count = self.working_days_in(first + timedelta(days=1), last)
        if last > first and self.is_working_day(last) and end < self.close_of(last):
            count -= 1
        return count

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Working seconds in [start, end]; negative when end is before start."""
        return self.worked(end) - self.worked(start)

    def add_working_seconds(self, start: datetime, seconds: int | float) -> datetime:
        """The moment `seconds` of working time after `start`. Working time that ends exactly at
        a close of work ends there, not at the next opening."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if seconds == 0:
            return self.local(start)
        return self.at_worked(self.worked(start) + math.ceil(seconds))

    # Working time as a number line: `worked(moment)` is the working seconds from 2020-01-01 to
    # that moment (negative before), so differences are working time and many cards can be
    # compared with plain integers (the SLA tick). `at_worked` goes back to a moment.

    def worked(self, moment: datetime) -> int:
        """Working seconds from 2020-01-01 00:00 (unit zone) to `moment`."""
        local = self.local(moment)
        day = local.date()
        table = self._table
        i = day.toordinal() - table.base if table else -1
        if table is None or not 0 <= i < len(table.lengths):
            table = self._covering(day.year, day.year)
            i = day.toordinal() - table.base
        length = table.lengths[i]
        if not length:
            return table.cum_before[i]
        into = local.hour * 3600 + local.minute * 60 + local.second - table.opens[i]
        return table.cum_before[i] + (0 if into < 0 else length if into > length else into)

    def at_worked(self, worked: int) -> datetime:
        """The first moment at which `worked(moment) == worked`: a close of work rather than the
        next opening when it falls between two working days."""
        table = self._covering(ORIGIN.year, ORIGIN.year)
        while table.cum_after[-1] < worked:
            if table.last_year > 2300:
                raise ValueError("this calendar has no working days")
            table = self._covering(table.first_year, table.last_year + 10)
        while worked <= table.cum_before[0] and table.first_year > 1900:
            table = self._covering(table.first_year - 10, table.last_year)
        i = bisect_left(table.cum_after, worked)
        day = date.fromordinal(table.base + i)
        return self._at(day, table.opens[i] + max(0, worked - table.cum_before[i]))

    def due_worked(self, start: datetime, duration: int | float, unit: str) -> int:
        """`worked(due(start, duration, unit))` for the working units, without building the
        moment (fast, for many cards)."""
        if unit == "working_hours":
            return self.worked(start) + math.ceil(duration * 3600)
        if unit == "working_minutes":
            return self.worked(start) + math.ceil(duration * 60)
        if unit != "working_days" or duration <= 0:
            return self.worked(self.due(start, duration, unit))
        local = self.local(start)
        first = local.date().toordinal()
        whole = int(duration)
        fraction = duration - whole
        n = whole + (1 if fraction > 0 else 0)
        table = self._table
        ords = table.work_ords if table else ()
        i = bisect_right(ords, first) + n - 1
        if table is None or first < table.base or i >= len(ords):
            table = self._covering(local.year, local.year + 1 + n // 200)
            while True:
                ords = table.work_ords
                i = bisect_right(ords, first) + n - 1
                if i < len(ords):
                    break
                if table.last_year > local.year + 50 + n:
                    raise ValueError("this calendar has no working days")
                table = self._covering(table.first_year, table.last_year + 2)
        k = ords[i] - table.base
        if fraction > 0:
            return table.cum_before[k] + round(table.lengths[k] * fraction)
        return table.cum_after[k]

    def due(self, start: datetime, duration: int | float, unit: str) -> datetime:
        """The due moment of an SLA of `duration` `unit`s started at `start`.

        working_days: close of the N-th working day; a fraction adds that share of the next
        working day's hours. working_hours/minutes: working time only. calendar_days: the same
        local time N days later."""
        if unit not in DURATION_UNITS:
            raise ValueError(f"unit must be one of {', '.join(DURATION_UNITS)}")
        if isinstance(duration, bool) or not math.isfinite(duration) or duration < 0:
            raise ValueError("duration must be a number, zero or more")
        if unit == "working_hours":
            return self.add_working_seconds(start, duration * 3600)
        if unit == "working_minutes":
            return self.add_working_seconds(start, duration * 60)
        if unit == "calendar_days":
            local = self.local(start)
            naive = local.replace(tzinfo=None) + timedelta(days=duration)
            return naive.replace(tzinfo=self.tz)
        whole = int(duration)
        due = self.add_working_days(start, whole)
        fraction = duration - whole
        if fraction > 0:
            day = self.next_working_day(due.date() if whole else self.local(start).date())
            open_s, close_s = self._spec.hours[day.weekday()]
            due = self._at(day, open_s + round((close_s - open_s) * fraction))
        return due

    # -- internals ---------------------------------------------------------------------------

    def _at(self, day: date, seconds: int) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.tz) + timedelta(seconds=seconds)

    def _covering(self, first_year: int, last_year: int) -> _Table:
        table = self._table
        if table is None or first_year < table.first_year or last_year > table.last_year:
            low = min(first_year, table.first_year if table else ORIGIN.year)
            high = max(last_year, table.last_year if table else max(last_year + 2, 2030))
            table = self._table = _shared_table(self._spec, low, high)
        return table


@lru_cache(maxsize=256)
def _shared_table(spec: _Spec, first_year: int, last_year: int) -> _Table:
    return _Table(spec, first_year, last_year)


def _clock(seconds: int) -> time:
    if seconds >= 86400:
        return time(23, 59, 59)
    return time(seconds // 3600, seconds % 3600 // 60)


def default_calendar(timezone: str = DEFAULT_TIMEZONE) -> WorkCalendar:
    """The national calendar with the default hours, in the given zone."""
    return _calendar(timezone, None, False, frozenset(), frozenset())


@lru_cache(maxsize=512)
def _calendar(timezone, hours, every_day, days_off, days_on) -> WorkCalendar:
    return WorkCalendar(
        timezone, hours=hours, every_day=every_day, days_off=days_off, days_on=days_on
    )


def work_calendar(unit) -> WorkCalendar:
    """The calendar of a unit (a Unit or a unit id), with its own and its parents' overrides."""
    unit_id = unit if isinstance(unit, int) else unit.id
    return work_calendars([unit_id])[unit_id]


def work_calendars(unit_ids) -> dict[int, WorkCalendar]:
    """Calendars of many units at once, in a constant number of queries."""
    from app.extensions import db
    from app.models import Unit, UnitCalendar, UnitCalendarDay

    wanted = set(unit_ids)
    if not wanted:
        return {}
    # The unit tree is small (a Pemda has a few hundred units): read it whole.
    units = {
        row.id: row for row in db.session.execute(db.select(Unit.id, Unit.parent_id, Unit.timezone))
    }
    settings = {row.unit_id: row for row in db.session.scalars(db.select(UnitCalendar))}
    days: dict[int, dict[date, str]] = {}
    for row in db.session.execute(
        db.select(UnitCalendarDay.unit_id, UnitCalendarDay.day, UnitCalendarDay.kind)
    ):
        days.setdefault(row.unit_id, {})[row.day] = row.kind
    result = {}
    for unit_id in wanted:
        if unit_id not in units:
            raise LookupError(f"no unit with id {unit_id}")
        chain = _ancestry(unit_id, units)
        own = next((settings[u] for u in chain if u in settings), None)
        merged: dict[date, str] = {}
        for u in reversed(chain):  # root first, so the nearest unit wins
            merged.update(days.get(u, {}))
        hours = tuple(tuple(h) if h else None for h in own.hours) if own and own.hours else None
        result[unit_id] = _calendar(
            units[unit_id].timezone or DEFAULT_TIMEZONE,
            hours,
            bool(own and own.every_day),
            frozenset(d for d, k in merged.items() if k == "off"),
            frozenset(d for d, k in merged.items() if k == "work"),
        )
    return result


def _ancestry(unit_id: int, units) -> list[int]:
    chain, seen = [], set()
    current = unit_id
    while current is not None and current not in seen and current in units:
        chain.append(current)
        seen.add(current)
        current = units[current].parent_id
    return chain
