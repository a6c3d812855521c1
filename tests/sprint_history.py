"""A seeded sprint history on the `org` board, written through the services at chosen moments,
and the timeline it follows, from which the tests compute their expected numbers on their own.

The board's unit is in WIB (UTC+7). Times below are UTC.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from app import clock as app_clock
from app.extensions import db
from app.models import Card
from app.services import cards, sprints
from tests.conftest import get_user


class FrozenClock:
    """Every `utcnow()` (timestamps, model defaults) and `datetime.now()` of the sprint and
    metrics services reads this clock."""

    def __init__(self):
        self.now = datetime(2026, 10, 1, tzinfo=UTC)

    def set(self, *args):
        self.now = datetime(*args, tzinfo=UTC)


@pytest.fixture(name="clock")
def clock_fixture(monkeypatch):
    frozen = FrozenClock()

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen.now if tz is None else frozen.now.astimezone(tz)

    # Every "now" of the services comes from app.clock (utcnow, model defaults, today).
    monkeypatch.setattr(app_clock, "datetime", FrozenDatetime)
    return frozen


@dataclass(frozen=True)
class Step:
    at: tuple  # UTC (y, m, d, h[, min])
    action: str  # create / move / add / remove / deadline
    card: str
    column: str | None = None


# Cards: name -> (assignee key, estimate). All start in Backlog.
CARDS = {
    "A": ("staff", 3.0),
    "B": ("staff2", 2.0),
    "C": ("staff", 5.0),
    "D": ("staff2", 1.0),
    "E": ("staff", 2.0),
    "F": ("staff", None),
}
COMMITTED = ["A", "B", "C", "D", "E"]
SPRINT_START = date(2026, 10, 5)  # Monday
SPRINT_END = date(2026, 10, 16)  # Friday, two weeks: ten working days
CREATED_AT = (2026, 10, 5, 1)
STARTED_AT = (2026, 10, 5, 2)
CLOSED_AT = (2026, 10, 16, 9)
TIMELINE = [
    Step((2026, 10, 6, 3), "move", "A", "Dikerjakan"),
    Step((2026, 10, 7, 3), "move", "A", "Selesai"),
    Step((2026, 10, 7, 4), "add", "F"),
    Step((2026, 10, 8, 3), "move", "B", "Dikerjakan"),
    Step((2026, 10, 8, 5), "remove", "E"),
    Step((2026, 10, 8, 9), "move", "B", "Selesai"),
    Step((2026, 10, 9, 3), "deadline", "C"),
    Step((2026, 10, 9, 4), "move", "C", "Dikerjakan"),
    Step((2026, 10, 12, 3), "move", "F", "Dikerjakan"),
    Step((2026, 10, 12, 6), "move", "F", "Selesai"),
    Step((2026, 10, 12, 7), "move", "D", "Dikerjakan"),
]
DEADLINE_REASON = "Menunggu data dari Disdukcapil"


@dataclass
class History:
    ids: dict  # card name -> id
    sprint_id: int
    next_sprint_id: int
    columns: dict  # column name -> id


def seed(app, org, clock, *, close: bool = True) -> History:
    """Run the timeline; close the sprint (goal partly met; C to the next sprint, D to the
    backlog) unless `close` is False."""
    columns = {
        "Backlog": org.backlog,
        "Dikerjakan": org.doing,
        "Review": org.review,
        "Selesai": org.done,
    }
    with app.app_context():
        head = get_user("kasi", org)
        clock.set(*CREATED_AT)
        ids = {}
        for name, (assignee, estimate) in CARDS.items():
            ids[name] = cards.create_card(
                head,
                org.board_id,
                {
                    "title": f"Kartu {name}",
                    "assignee": org.nips[assignee],
                    "estimate": estimate,
                    "due_date": "2026-10-30",
                    "type": "surat-keluar",
                },
            ).card.id
        sprint = sprints.create_sprint(
            head,
            org.board_id,
            {
                "name": "Sprint 1",
                "goal": "Semua permohonan informasi Oktober dijawab",
                "start": SPRINT_START.isoformat(),
                "end": SPRINT_END.isoformat(),
            },
        )
        following = sprints.create_sprint(
            head,
            org.board_id,
            {
                "name": "Sprint 2",
                "goal": "Sisa permohonan selesai",
                "start": "2026-10-19",
                "end": "2026-10-30",
            },
        )
        sprints.add_cards(head, sprint.id, [ids[name] for name in COMMITTED])
        clock.set(*STARTED_AT)
        sprints.start_sprint(head, sprint.id)
        for step in TIMELINE:
            clock.set(*step.at)
            card_id = ids[step.card]
            if step.action == "move":
                cards.move_card(get_user(CARDS[step.card][0], org), card_id, columns[step.column])
            elif step.action == "add":
                sprints.add_cards(head, sprint.id, [card_id])
            elif step.action == "remove":
                sprints.remove_card(head, sprint.id, card_id)
            elif step.action == "deadline":
                card = db.session.get(Card, card_id)
                cards.update_card(
                    head,
                    card_id,
                    {"due_date": "2026-11-06"},
                    version=card.version,
                    deadline_reason=DEADLINE_REASON,
                )
        if close:
            clock.set(*CLOSED_AT)
            sprints.close_sprint(
                head,
                sprint.id,
                "partly",
                "C menunggu data Disdukcapil",
                {ids["C"]: "next", ids["D"]: "backlog"},
            )
        return History(ids, sprint.id, following.id, columns)


def column_at(name: str, moment: datetime) -> str:
    """Where card `name` is at `moment` by the timeline (cards start in Backlog)."""
    where = "Backlog"
    for step in TIMELINE:
        if step.action == "move" and step.card == name and datetime(*step.at, tzinfo=UTC) <= moment:
            where = step.column
    return where


def in_sprint_at(name: str, moment: datetime) -> bool:
    """Whether card `name` is in Sprint 1's scope at `moment` (after the start)."""
    inside = name in COMMITTED
    for step in TIMELINE:
        if step.card == name and datetime(*step.at, tzinfo=UTC) <= moment:
            if step.action == "add":
                inside = True
            elif step.action == "remove":
                inside = False
    return inside


def moment_of_move(name: str, column: str) -> datetime:
    return next(
        datetime(*s.at, tzinfo=UTC)
        for s in TIMELINE
        if s.action == "move" and s.card == name and s.column == column
    )
