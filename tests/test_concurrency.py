"""Several people dropping cards into the last free slot at once: exactly one wins.

Runs with 8 threads against a file SQLite database (real locking, WAL) and PostgreSQL.
"""

import random
import threading
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, Event, User
from app.services import accounts, boards, cards
from app.services.errors import Conflict
from tests.conftest import PASSWORD, make_app, pg_url

pytestmark = pytest.mark.pg

THREADS = 8


@pytest.fixture(params=["sqlite-file", "postgresql"])
def shared_app(request, tmp_path):
    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'concurrency.db'}"
    else:
        url = pg_url()
        if not url:
            pytest.skip("PostgreSQL case: set TEST_DATABASE_URL to run it")
    app = make_app(url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def seed(app, free_slots: int) -> SimpleNamespace:
    with app.app_context():
        accounts.create_unit("SEKSI", "Seksi Pelayanan")
        head = accounts.create_user(
            "Kasi", PASSWORD, username="kasi", unit_code="SEKSI", role="head"
        )
        people = [
            accounts.create_user(f"Staf {i}", PASSWORD, username=f"staf{i}", unit_code="SEKSI")
            for i in range(THREADS)
        ]
        board = boards.create_board(
            head,
            "Pelayanan",
            "SEKSI",
            columns=[
                {"name": "Antrean", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
                {"name": "Dikerjakan", "kind": "active", "wip_limit": 3, "wip_policy": "hard"},
            ],
        )
        backlog, doing = (c.id for c in board.columns)
        for i in range(3 - free_slots):
            card = cards.create_card(
                head, board.id, {"title": f"Isi {i}", "due_date": "2026-12-31"}
            ).card
            cards.move_card(head, card.id, doing)
        racers = [
            cards.create_card(
                person, board.id, {"title": f"Balapan {i}", "due_date": "2026-12-31"}
            ).card.id
            for i, person in enumerate(people)
        ]
        return SimpleNamespace(
            board_id=board.id,
            backlog=backlog,
            doing=doing,
            racers=racers,
            people=[p.id for p in people],
        )


def race(app, seeded, action) -> list:
    barrier = threading.Barrier(THREADS)
    outcomes: list = [None] * THREADS

    def worker(index):
        with app.app_context():
            user = db.session.get(User, seeded.people[index])
            barrier.wait()
            try:
                outcomes[index] = action(user, seeded.racers[index])
            except Exception as exc:  # noqa: BLE001 - every outcome is inspected below
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_last_free_slot_goes_to_exactly_one_of_eight_movers(shared_app):
    seeded = seed(shared_app, free_slots=1)
    outcomes = race(
        shared_app, seeded, lambda user, card_id: cards.move_card(user, card_id, seeded.doing)
    )
    winners = [o for o in outcomes if isinstance(o, cards.MoveResult)]
    refusals = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(winners) == 1, outcomes
    assert len(refusals) == THREADS - 1, outcomes
    assert {r.code for r in refusals} == {"wip_limit_reached"}
    with shared_app.app_context():
        in_doing = db.session.scalars(
            select(Card.position).where(Card.column_id == seeded.doing)
        ).all()
        assert sorted(in_doing) == [0, 1, 2]
        moved = db.session.scalar(
            select(func.count(Event.id)).where(
                Event.kind == "moved", Event.card_id.in_(seeded.racers)
            )
        )
        assert moved == 1


def test_parallel_edits_of_one_card_never_overwrite_each_other(shared_app):
    seeded = seed(shared_app, free_slots=3)
    target = seeded.racers[0]

    def edit(user, _card_id):
        return cards.update_card(user, target, {"title": f"Versi {user.username}"}, version=1)

    outcomes = race(shared_app, seeded, edit)
    winners = [o for o in outcomes if isinstance(o, Card)]
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(winners) == 1, outcomes
    assert len(conflicts) == THREADS - 1 and {c.code for c in conflicts} == {"version_conflict"}
    with shared_app.app_context():
        card = db.session.get(Card, target)
        assert card.version == 2


def test_random_moves_by_eight_people_keep_every_column_contiguous(shared_app):
    """Eight people moving cards of one board to random columns and positions at once, as in
    bench/load.py: afterwards every card is in one column of the board and the positions of
    every column are 0..n-1, with no position lost or doubled."""
    seeded = seed(shared_app, free_slots=3)
    with shared_app.app_context():
        head = db.session.scalar(select(User).where(User.username == "kasi"))
        extra = boards.create_board(
            head,
            "Bebas",
            "SEKSI",
            columns=[{"name": f"Kolom {i}", "kind": "backlog"} for i in range(4)],
        )
        board_id, columns = extra.id, [c.id for c in extra.columns]
        card_ids = [
            cards.create_card(
                head, board_id, {"title": f"Kartu {i}", "due_date": "2026-12-31"}
            ).card.id
            for i in range(40)
        ]
    moves_each = 30

    def mover(user, _card_id):
        rng = random.Random(user.id)
        for _ in range(moves_each):
            cards.move_card(
                user, rng.choice(card_ids), rng.choice(columns), position=rng.randint(0, 15)
            )
        return "done"

    # The movers are the seeded staff, who belong to the board's unit.
    outcomes = race(shared_app, seeded, mover)
    assert outcomes == ["done"] * THREADS, outcomes
    with shared_app.app_context():
        rows = db.session.execute(
            select(Card.column_id, Card.position).where(Card.board_id == board_id)
        ).all()
        moved = db.session.scalar(
            select(func.count(Event.id)).where(Event.kind == "moved", Event.board_id == board_id)
        )
    assert len(rows) == len(card_ids)
    by_column: dict = {}
    for column_id, position in rows:
        assert column_id in columns
        by_column.setdefault(column_id, []).append(position)
    for positions in by_column.values():
        assert sorted(positions) == list(range(len(positions)))
    # Most moves change something (a move to where the card already is records nothing).
    assert moved > THREADS * moves_each // 2
