"""Dates of the demo office: today in its zone, and days counted around weekends."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.demo.office import TIMEZONE


def local_today() -> date:
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def working_day(today: date, offset: int) -> date:
    """today + offset days, moved off the weekend (earlier for past dates, later for future)."""
    day = today + timedelta(days=offset)
    if offset == 0:
        return day
    step = 1 if offset > 0 else -1
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


def working_days_back(today: date, count: int) -> date:
    """The working day (Monday-Friday) `count` working days before today."""
    day = today
    while count > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def working_days_on(day: date, count: int) -> date:
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(TIMEZONE))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
