"""The per-board SLA report: compliance per month and per card type, and the breaches.

Every card with a started clock counts once, in the month (unit time zone) its clock started
and under the card type of the policy it runs under (fixed when it started: a card whose type
changed since counts where it came in, and is listed among the type changes): `met` (reached
done in time), `missed` (reached done late) or `open` (not done yet; `late` counts the open ones
already past due). Compliance is met / (met + missed).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from cergas.plugin import (
    board_columns,
    plugin_settings,
    scan_cards,
    users_by_ids,
    work_calendars,
)

from .clock import Clock
from .policies import policies_of
from .service import PLUGIN, clocks_for, now_utc


@dataclass
class Tally:
    met: int = 0
    missed: int = 0
    open: int = 0
    late: int = 0  # open and already breached

    @property
    def total(self) -> int:
        return self.met + self.missed + self.open

    @property
    def compliance(self) -> float | None:
        closed = self.met + self.missed
        return self.met / closed if closed else None

    def count(self, clock: Clock) -> None:
        if clock.state == "met":
            self.met += 1
        elif clock.state == "missed":
            self.missed += 1
        else:
            self.open += 1
            if clock.state == "breached":
                self.late += 1


@dataclass
class Line:
    card_id: int
    title: str
    type: str  # the card's type now
    month: str
    clock: Clock
    assignee: object | None

    @property
    def clock_type(self) -> str:
        """The card type whose policy the clock runs under."""
        return self.clock.policy.type

    @property
    def type_changed(self) -> bool:
        return self.type != self.clock_type


@dataclass
class Report:
    board: object
    now: datetime
    policies: dict
    months: dict = field(default_factory=dict)  # "YYYY-MM" -> {type: Tally}
    by_type: dict = field(default_factory=dict)  # type -> Tally
    total: Tally = field(default_factory=Tally)
    lines: list = field(default_factory=list)  # every card with a clock, by start

    @property
    def breaches(self) -> list[Line]:
        late = [line for line in self.lines if line.clock.state in ("missed", "breached")]
        return sorted(late, key=lambda line: line.clock.remaining_seconds)

    @property
    def type_changes(self) -> list[Line]:
        """Cards whose type changed after their clock started (they keep their clock)."""
        return [line for line in self.lines if line.type_changed]


def board_report(board, now=None) -> Report:
    now = now or now_utc()
    policies = policies_of(plugin_settings(board, PLUGIN))
    report = Report(board=board, now=now, policies=policies)
    columns = board_columns([board.id])
    calendars = work_calendars([board.unit_id])
    cards = []
    # Every type: a card whose type changed after its clock started keeps its clock.
    for batch in scan_cards([board.id]):
        clocks = clocks_for(
            batch,
            policies={board.id: policies},
            columns=columns,
            calendars=calendars,
            unit_of={board.id: board.unit_id},
            now=now,
        )
        cards.extend((card, clocks[card.id]) for card in batch if card.id in clocks)
    people = users_by_ids({card.assignee_id for card, _ in cards if card.assignee_id})
    months: dict = defaultdict(lambda: defaultdict(Tally))
    by_type: dict = defaultdict(Tally)
    for card, clock in sorted(cards, key=lambda pair: (pair[1].started_at, pair[0].id)):
        month = clock.started_at.strftime("%Y-%m")
        kind = clock.policy.type
        months[month][kind].count(clock)
        by_type[kind].count(clock)
        report.total.count(clock)
        report.lines.append(
            Line(card.id, card.title, card.type, month, clock, people.get(card.assignee_id))
        )
    report.months = {month: dict(sorted(types.items())) for month, types in sorted(months.items())}
    report.by_type = dict(sorted(by_type.items()))
    return report
