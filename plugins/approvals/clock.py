"""Time for the approvals plugin: stamps as stored (ISO, UTC) and working days counted on each
unit's shared calendar."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import g, has_app_context

from cergas import plugin as api


def utcnow() -> datetime:
    return api.now()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def jakarta_today() -> date:
    """Today in WIB: for lists of delegations that belong to no single unit."""
    return utcnow().astimezone(ZoneInfo("Asia/Jakarta")).date()


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def naive_utc(text: str | None) -> datetime | None:
    """An ISO stamp as the naive UTC datetime the templates' `fmt_when` expects."""
    return parse_iso(text).astimezone(UTC).replace(tzinfo=None) if text else None


def calendars(unit_ids) -> dict:
    """unit id -> the shared working-day calendar (`work_calendars` of the plugin API), read
    once per request (or tick) for all the units asked for."""
    cache = g.setdefault("_approvals_calendars", {}) if has_app_context() else {}
    missing = {unit_id for unit_id in unit_ids if unit_id not in cache}
    if missing:
        cache.update(api.work_calendars(missing))
    return cache


def calendar(unit):
    """The shared working-day calendar of a unit."""
    return calendars([unit.id])[unit.id]


def local_today(unit, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(calendar(unit).tz).date()


def waited_working_days(unit, since: datetime, now: datetime | None = None) -> int:
    return calendar(unit).working_days_between(since, now or utcnow())
