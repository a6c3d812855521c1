"""Playing the demo's history: actions queued at moments of the past, run in time order with
the clock (`app.clock.at`) set to each one's moment, so the services stamp every row, event and
plugin record with the moment the work happened.

An action may queue more actions (a move refused today is tried again the next working day). The
days are the working days of the office's calendar (weekends, holidays and cuti bersama off).
"""

import heapq
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from itertools import count

from app import clock
from app.demo.dates import utc
from app.extensions import db
from app.services.errors import ServiceError
from app.workcal import default_calendar

log = logging.getLogger(__name__)


class Player:
    def __init__(self, today: date, timezone: str, weeks: int):
        self.today = today
        self.calendar = default_calendar(timezone)
        self.first = self.back(today, weeks * 5)
        self._queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self._order = count()
        self.failures: list[str] = []

    # --- days -----------------------------------------------------------------------------------

    def is_working(self, day: date) -> bool:
        return self.calendar.is_working_day(day)

    def back(self, day: date, n: int) -> date:
        """The working day `n` working days before `day` (n=0: `day` itself, or the working day
        before it when it is a day off)."""
        while not self.is_working(day):
            day -= timedelta(days=1)
        while n > 0:
            day -= timedelta(days=1)
            if self.is_working(day):
                n -= 1
        return day

    def on(self, day: date, n: int) -> date:
        """The working day `n` working days after `day` (n=0: `day`, or the next working day)."""
        while not self.is_working(day):
            day += timedelta(days=1)
        while n > 0:
            day += timedelta(days=1)
            if self.is_working(day):
                n -= 1
        return day

    def days(self) -> list[date]:
        """Every working day of the history, oldest first, today excluded."""
        found, day = [], self.first
        while day < self.today:
            if self.is_working(day):
                found.append(day)
            day += timedelta(days=1)
        return found

    @property
    def yesterday(self) -> date:
        return self.back(self.today - timedelta(days=1), 0)

    def clamp(self, day: date) -> date:
        """A day inside the history: not before its first day, not after yesterday."""
        return min(max(day, self.first), self.yesterday)

    # --- actions --------------------------------------------------------------------------------

    def at(self, day: date, hour: int, minute: int, action: Callable[[], None]) -> None:
        """Queue `action` for `day` at hh:mm local time. Days from today on are not played."""
        if day >= self.today:
            self.failures.append(f"not played (on or after today): {day}")
            return
        heapq.heappush(self._queue, (utc(day, hour, minute), next(self._order), action))

    def run(self) -> None:
        while self._queue:
            moment, _order, action = heapq.heappop(self._queue)
            with clock.at(moment):
                try:
                    action()
                except ServiceError as error:  # refused: noted, and the rest of the past goes on
                    db.session.rollback()
                    self.failures.append(f"{moment:%Y-%m-%d %H:%M}: {error.code}: {error}")

    def now(self) -> datetime:
        """The moment being played (naive UTC)."""
        return clock.utcnow()

    def local_day(self) -> date:
        return clock.today(self.calendar.tz.key)
