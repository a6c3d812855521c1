"""Random sequences of board operations through the service layer, checked against a model.

Hypothesis drives a `RuleBasedStateMachine`: card creation, moves (also within a column),
assignments, WIP limit and policy changes, personal limits, overrides by heads, and the adding and
deleting of columns. A small model of the board predicts, for every step, whether the service must
accept or refuse it and which audit events it must write. After every step the invariants hold:

- every card is in exactly one column of its board, and the model agrees which;
- positions in each column are 0..n-1;
- a hard-limited column holds more cards than its limit only by recorded overrides (or because the
  limit was lowered below what the column already held);
- the audit trail grew by exactly the predicted events: one per successful operation (plus one
  `wip_override` per limit overridden), none for a refused one.

CI runs a fixed, derandomised budget. For a longer local run:

    CERGAS_STATE_EXAMPLES=500 CERGAS_STATE_STEPS=60 \
        .venv/bin/python -m pytest tests/test_state_machine.py
"""

import os
from collections import Counter
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from app.extensions import db
from app.models import BoardColumn, Card, Event
from app.services import boards, cards
from app.services.errors import Conflict, Forbidden, Invalid, ServiceError
from tests.conftest import get_user

pytestmark = pytest.mark.pg

EXAMPLES = int(os.environ.get("CERGAS_STATE_EXAMPLES", "12"))
STEPS = int(os.environ.get("CERGAS_STATE_STEPS", "30"))
KINDS = ("backlog", "active", "done")


@dataclass
class ColumnModel:
    id: int
    kind: str
    limit: int | None = None
    policy: str = "hard"
    # Cards beyond a hard limit that the rules allowed (overrides, a lowered limit).
    allowance: int = 0


@dataclass
class CardModel:
    id: int
    column: int
    assignee: str | None
    dated: bool


@dataclass
class Outcome:
    """What the model predicts for one operation."""

    error: type[ServiceError] | None = None
    events: Counter = field(default_factory=Counter)


def refused(error: type[ServiceError]) -> Outcome:
    return Outcome(error=error)


def make_machine(app, org):
    class BoardMachine(RuleBasedStateMachine):
        """One fresh board per example, in the org fixture's Seksi Aplikasi."""

        @initialize()
        def new_board(self):
            self.columns: list[ColumnModel] = []
            self.cards: dict[int, CardModel] = {}
            self.personal_limit: int | None = None
            with app.app_context():
                head = get_user("kasi", org)
                board = boards.create_board(
                    head,
                    "Papan acak",
                    "SEKSI-APL",
                    columns=[
                        {"name": "Antrean", "kind": "backlog", "wip_limit": None},
                        {"name": "Proses", "kind": "active", "wip_limit": 2, "wip_policy": "hard"},
                        {"name": "Selesai", "kind": "done", "wip_limit": None},
                    ],
                )
                self.board_id = board.id
                for column in sorted(board.columns, key=lambda c: c.position):
                    self.columns.append(
                        ColumnModel(column.id, column.kind, column.wip_limit, column.wip_policy)
                    )
                self.seen = self.event_counts()

        # -- helpers -------------------------------------------------------------------------

        def event_counts(self) -> Counter:
            rows = db.session.execute(
                select(Event.kind, func.count())
                .where(Event.board_id == self.board_id)
                .group_by(Event.kind)
            )
            return Counter(dict(rows.all()))

        def column_at(self, index: int) -> ColumnModel:
            return self.columns[index % len(self.columns)]

        def count_in(self, column_id: int) -> int:
            return sum(1 for card in self.cards.values() if card.column == column_id)

        def held_active(self, assignee: str, exclude: int | None = None) -> int:
            active = {c.id for c in self.columns if c.kind == "active"}
            return sum(
                1
                for card in self.cards.values()
                if card.assignee == assignee and card.column in active and card.id != exclude
            )

        def predict_limits(
            self,
            actor: str,
            column: ColumnModel,
            assignee: str | None,
            reason: str | None,
            *,
            entering_column: bool,
            entering_active: bool,
            exclude: int | None,
        ) -> tuple[type[ServiceError] | None, list[str]]:
            """The model of cards._check_limits: (error, limits overridden)."""
            overridden: list[str] = []

            def refuse_or_override(limit: str):
                if not reason:
                    return Conflict
                if actor != "kasi":
                    return Forbidden
                overridden.append(limit)
                return None

            full = column.limit is not None and self.count_in(column.id) >= column.limit
            column_refuses = entering_column and full and column.policy == "hard"
            if column_refuses and (error := refuse_or_override("column")):
                return error, []
            person_refuses = (
                entering_active
                and assignee is not None
                and self.personal_limit is not None
                and self.held_active(assignee, exclude) >= self.personal_limit
            )
            if person_refuses and (error := refuse_or_override("personal")):
                return error, []
            return None, overridden

        def run(self, outcome: Outcome, operation):
            """Run a service call in its own app context and compare it with the prediction."""
            with app.app_context():
                try:
                    result = operation()
                except ServiceError as exc:
                    assert outcome.error is not None, f"refused unexpectedly: {exc.code} {exc}"
                    assert isinstance(exc, outcome.error), (
                        f"expected {outcome.error.__name__}, got {type(exc).__name__} {exc.code}"
                    )
                    result = None
                else:
                    assert outcome.error is None, f"expected {outcome.error.__name__}, accepted"
                counts = self.event_counts()
                grown = counts - self.seen
                assert counts - grown == self.seen, "events disappeared from the audit trail"
                assert grown == outcome.events, f"events {dict(grown)} != {dict(outcome.events)}"
                self.seen = counts
                return result

        # -- rules ---------------------------------------------------------------------------

        @rule(
            actor=st.sampled_from(["kasi", "staff"]),
            column=st.integers(0, 19),
            assignee=st.sampled_from([None, "staff", "staff2"]),
            dated=st.booleans(),
            override=st.booleans(),
        )
        def create_card(self, actor, column, assignee, dated, override):
            target = self.column_at(column)
            reason = "Mendesak, perintah Kadis" if override else None
            if target.kind != "backlog" and not dated:
                outcome = refused(Invalid)
            else:
                error, overridden = self.predict_limits(
                    actor,
                    target,
                    assignee,
                    reason,
                    entering_column=True,
                    entering_active=target.kind == "active",
                    exclude=None,
                )
                outcome = refused(error) if error else Outcome()
                if not error:
                    outcome.events.update(created=1, wip_override=len(overridden))
            data = {"title": "Kartu acak"}
            if dated:
                data["due_date"] = "2027-01-29"
            if assignee:
                data["assignee"] = org.nips[assignee]

            def operation():
                return cards.create_card(
                    get_user(actor, org),
                    self.board_id,
                    data,
                    column_id=target.id,
                    override_reason=reason,
                ).card.id

            card_id = self.run(outcome, operation)
            if card_id is not None:
                self.cards[card_id] = CardModel(card_id, target.id, assignee, dated)
                if "column" in overridden:
                    target.allowance += 1

        @precondition(lambda self: self.cards)
        @rule(
            actor=st.sampled_from(["kasi", "staff", "staff2"]),
            pick=st.integers(0, 10_000),
            column=st.integers(0, 19),
            position=st.one_of(st.none(), st.integers(0, 8)),
            override=st.booleans(),
        )
        def move_card(self, actor, pick, column, position, override):
            card = self.cards[sorted(self.cards)[pick % len(self.cards)]]
            source = next(c for c in self.columns if c.id == card.column)
            target = self.column_at(column)
            reason = "Ditugaskan Kabid" if override else None
            same = source.id == target.id
            outcome = Outcome()
            overridden: list[str] = []
            if not same and target.kind != "backlog" and not card.dated:
                outcome = refused(Invalid)
            else:
                error, overridden = self.predict_limits(
                    actor,
                    target,
                    card.assignee,
                    reason,
                    entering_column=not same,
                    entering_active=target.kind == "active" and source.kind != "active",
                    exclude=card.id,
                )
                if error:
                    outcome = refused(error)
                else:
                    with app.app_context():
                        old = db.session.get(Card, card.id).position
                    size = self.count_in(target.id) - (1 if same else 0)
                    new = size if position is None else min(position, size)
                    if not (same and old == new):
                        outcome.events.update(moved=1, wip_override=len(overridden))

            def operation():
                return cards.move_card(
                    get_user(actor, org), card.id, target.id, position, override_reason=reason
                )

            if self.run(outcome, operation) is not None:
                card.column = target.id
                if "column" in overridden:
                    target.allowance += 1

        @precondition(lambda self: self.cards)
        @rule(
            actor=st.sampled_from(["kasi", "staff"]),
            pick=st.integers(0, 10_000),
            assignee=st.sampled_from([None, "staff", "staff2"]),
        )
        def assign(self, actor, pick, assignee):
            card = self.cards[sorted(self.cards)[pick % len(self.cards)]]
            column = next(c for c in self.columns if c.id == card.column)
            outcome = Outcome()
            if assignee != card.assignee:
                error = None
                if column.kind == "active":
                    error, _overridden = self.predict_limits(
                        actor,
                        column,
                        assignee,
                        None,
                        entering_column=False,
                        entering_active=True,
                        exclude=card.id,
                    )
                outcome = refused(error) if error else Outcome(events=Counter(assigned=1))

            def operation():
                current = db.session.get(Card, card.id)
                return cards.update_card(
                    get_user(actor, org),
                    card.id,
                    {"assignee": org.nips[assignee] if assignee else None},
                    version=current.version,
                )

            if self.run(outcome, operation) is not None:
                card.assignee = assignee

        @rule(
            actor=st.sampled_from(["kasi", "staff"]),
            column=st.integers(0, 19),
            limit=st.one_of(st.none(), st.integers(1, 4)),
            policy=st.sampled_from(["hard", "soft"]),
        )
        def set_column_limit(self, actor, column, limit, policy):
            target = self.column_at(column)
            changed = (target.limit, target.policy) != (limit, policy)
            if actor != "kasi":
                outcome = refused(Forbidden)
            else:
                outcome = Outcome(events=Counter(column_updated=1 if changed else 0))

            def operation():
                return boards.update_column(
                    get_user(actor, org),
                    self.board_id,
                    target.id,
                    {"wip_limit": limit, "wip_policy": policy},
                )

            if self.run(outcome, operation) is not None:
                target.limit, target.policy = limit, policy
                held = self.count_in(target.id)
                # A lowered limit leaves the cards already there; later entries are refused.
                target.allowance = max(0, held - limit) if limit is not None else 0

        @rule(limit=st.one_of(st.none(), st.integers(1, 3)))
        def set_personal_limit(self, limit):
            changed = limit != self.personal_limit
            outcome = Outcome(events=Counter(board_updated=1 if changed else 0))

            def operation():
                return boards.update_board(
                    get_user("kasi", org), self.board_id, {"personal_wip_limit": limit}
                )

            self.run(outcome, operation)
            self.personal_limit = limit

        @precondition(lambda self: len(self.columns) < 6)
        @rule(kind=st.sampled_from(KINDS))
        def add_column(self, kind):
            name = f"Kolom {len(self.columns) + 1}"
            outcome = Outcome(events=Counter(column_added=1))

            def operation():
                return boards.add_column(
                    get_user("kasi", org), self.board_id, {"name": name, "kind": kind}
                ).id

            column_id = self.run(outcome, operation)
            self.columns.append(ColumnModel(column_id, kind))

        @rule(column=st.integers(0, 19))
        def delete_column(self, column):
            target = self.column_at(column)
            if self.count_in(target.id) or len(self.columns) == 1:
                outcome = refused(Conflict)
            else:
                outcome = Outcome(events=Counter(column_deleted=1))

            def operation():
                boards.delete_column(get_user("kasi", org), self.board_id, target.id)
                return True

            if self.run(outcome, operation) is not None:
                self.columns.remove(target)

        # -- invariants ------------------------------------------------------------------------

        @invariant()
        def cards_sit_in_one_column_each_in_order(self):
            with app.app_context():
                columns = set(
                    db.session.scalars(
                        select(BoardColumn.id).where(BoardColumn.board_id == self.board_id)
                    )
                )
                assert columns == {c.id for c in self.columns}
                rows = db.session.execute(
                    select(Card.id, Card.column_id, Card.position).where(
                        Card.board_id == self.board_id
                    )
                ).all()
            assert {row.id: row.column_id for row in rows} == {
                card.id: card.column for card in self.cards.values()
            }
            for column in columns:
                positions = sorted(row.position for row in rows if row.column_id == column)
                assert positions == list(range(len(positions))), (column, positions)

        @invariant()
        def hard_limits_hold_except_by_override(self):
            for column in self.columns:
                if column.limit is not None and column.policy == "hard":
                    assert self.count_in(column.id) <= column.limit + column.allowance

    return BoardMachine


def test_random_operations_keep_the_board_consistent(app, org):
    machine = make_machine(app, org)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
