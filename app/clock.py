"""The one clock of Cergas: every "now" and "today" the services and the built-in plugins use
comes from here, so a whole use case can be run at another moment.

Ordinary requests read the real time (one context-variable lookup more than `datetime.now`).
`cergas demo` plays twelve weeks of an office's work through the services with
`at(moment)`, so every timestamp, event, metric and plugin record says when it happened. Nothing
in the request path sets the clock.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_moment: ContextVar[datetime | None] = ContextVar("cergas_clock", default=None)


def now() -> datetime:
    """The current moment, aware, in UTC."""
    moment = _moment.get()
    return moment if moment is not None else datetime.now(UTC)


def utcnow() -> datetime:
    """The current moment as naive UTC, as every timestamp in the database is stored."""
    return now().replace(tzinfo=None)


def today(timezone: str = "Asia/Jakarta") -> date:
    """Today's date in a time zone (a unit's WIB/WITA/WIT)."""
    return now().astimezone(ZoneInfo(timezone)).date()


@contextmanager
def at(moment: datetime) -> Iterator[datetime]:
    """Run the block as if it were `moment` (aware, or naive UTC); the clock stands still."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    token = _moment.set(moment.astimezone(UTC))
    try:
        yield moment
    finally:
        _moment.reset(token)
