"""Benchmark: flow metrics and the cumulative flow diagram of a board with 5,000 cards and
50,000 events.

    .venv/bin/python bench/metrics.py [--cards 5000] [--events 50000] [--repeat 20]
                                      [--database URL] [--check]

Builds a fresh database (SQLite file by default, migrated like production; or the PostgreSQL
database given with --database, whose tables are dropped and re-created), creates the unit,
people and a four-column board through the services, then bulk-inserts the cards and their
history spread over the last 180 days: every card has a "created" event and a chain of "moved"
events (Backlog -> Dikerjakan -> Review -> Selesai, some moving back), padded with comments up to
the event count. A closed sprint of 60 cards gives velocity something to read.

Then it measures, in-process and warm, the median and 90th percentile of:

- metrics: `board_metrics` over 90 days (weekly throughput, lead and cycle time, CFD);
- cfd: `cumulative_flow` alone over 90 days;
- aging WIP and velocity;
- GET /api/v1/boards/<id>/metrics over 90 days (JSON included).

Target (issue 7): metrics and CFD <= 300 ms. --check exits 1 when missed.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Board, Card, Event, Sprint, SprintCard, User, utcnow  # noqa: E402
from app.services import accounts, boards, metrics  # noqa: E402

PASSWORD = "bench-password"
COLUMNS = [
    {"name": "Backlog", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Dikerjakan", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Review", "kind": "active", "wip_limit": None, "wip_policy": "soft"},
    {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
]
TARGET_MS = 300


def make_app(url: str):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "REDIS_URL": None,
            "CERGAS_PLUGINS": "",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def prepare_schema(url: str) -> None:
    if url.startswith("postgresql"):
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    flask_migrate.upgrade()


def seed(n_cards: int, n_events: int, rng: random.Random) -> tuple[int, object]:
    accounts.create_unit("SEKSI-BENCH", "Seksi Benchmark")
    head = accounts.create_user(
        "Kepala", PASSWORD, username="kepala", unit_code="SEKSI-BENCH", role="head"
    )
    people = [head.id] + [
        accounts.create_user(f"Staf {i}", PASSWORD, username=f"staf{i}", unit_code="SEKSI-BENCH").id
        for i in range(15)
    ]
    board = boards.create_board(head, "Papan Benchmark", "SEKSI-BENCH", columns=COLUMNS)
    column_ids = [c.id for c in board.columns]
    now = utcnow()
    horizon = 180 * 86400
    cards, events = [], []
    positions = [0, 0, 0, 0]
    # Each card: created at a random moment; then some moves forward through the columns.
    histories = []
    for _ in range(n_cards):
        created = now - timedelta(seconds=rng.randint(3600, horizon))
        steps = rng.choices([0, 1, 2, 3], weights=[30, 10, 10, 50])[0]
        moments = sorted(
            created
            + timedelta(seconds=rng.randint(600, max(601, int((now - created).total_seconds()))))
            for _ in range(steps)
        )
        histories.append((created, moments))
    total_moves = sum(len(m) for _c, m in histories)
    extra = max(0, n_events - n_cards - total_moves)
    for card_id, (created, moments) in enumerate(histories, start=1):
        column = len(moments)
        cards.append(
            {
                "id": card_id,
                "board_id": board.id,
                "column_id": column_ids[column],
                "position": positions[column],
                "title": f"Permohonan informasi {card_id}",
                "description": "",
                "type": "permohonan-informasi",
                "assignee_id": rng.choice(people),
                "due_date": (created + timedelta(days=10)).date(),
                "priority": "normal",
                "estimate": rng.choice([None, 1.0, 2.0, 3.0, 5.0]),
                "labels": [],
                "version": 1 + len(moments),
                "deadline_changes": 0,
                "created_by_id": head.id,
                "created_at": created,
                "updated_at": moments[-1] if moments else created,
                "first_active_at": moments[0] if moments else None,
                "done_at": moments[-1] if column == 3 else None,
            }
        )
        positions[column] += 1
        events.append(
            {
                "board_id": board.id,
                "card_id": card_id,
                "kind": "created",
                "actor_id": head.id,
                "at": created,
                "data": {"title": f"Permohonan informasi {card_id}", "column": "Backlog"},
            }
        )
        for step, moment in enumerate(moments):
            events.append(
                {
                    "board_id": board.id,
                    "card_id": card_id,
                    "kind": "moved",
                    "actor_id": head.id,
                    "at": moment,
                    "data": {
                        "from_column": COLUMNS[step]["name"],
                        "to_column": COLUMNS[step + 1]["name"],
                        "from_column_id": column_ids[step],
                        "to_column_id": column_ids[step + 1],
                        "position": 0,
                    },
                }
            )
    for _ in range(extra):
        target = rng.randint(1, n_cards)
        events.append(
            {
                "board_id": board.id,
                "card_id": target,
                "kind": "comment",
                "actor_id": rng.choice(people),
                "at": now - timedelta(seconds=rng.randint(60, horizon)),
                "data": {"body": "Sudah dikoordinasikan."},
            }
        )
    events.sort(key=lambda e: e["at"])
    for start in range(0, len(cards), 1000):
        db.session.execute(insert(Card), cards[start : start + 1000])
    for start in range(0, len(events), 2000):
        db.session.execute(insert(Event), events[start : start + 2000])
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval('cards_id_seq', (SELECT max(id) FROM cards))"))
    # One closed sprint of 60 done cards for velocity.
    sprint = Sprint(
        board_id=board.id,
        name="Sprint Bench",
        goal="Semua permohonan dijawab",
        start_date=date.today() - timedelta(days=20),
        end_date=date.today() - timedelta(days=7),
        state="closed",
        started_at=now - timedelta(days=20),
        closed_at=now - timedelta(days=7),
        goal_met="partly",
        review_note="",
    )
    db.session.add(sprint)
    db.session.flush()
    for card in cards[:60]:
        db.session.add(
            SprintCard(
                sprint_id=sprint.id,
                card_id=card["id"],
                committed=True,
                estimate_at_start=card["estimate"],
                outcome="done" if card["done_at"] else "backlog",
                estimate_at_close=card["estimate"],
            )
        )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return board.id, head


def api_get(client, url: str, token: str):
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    return response


def timed(work, repeat: int) -> tuple[float, float]:
    work()  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    times.sort()
    return statistics.median(times), times[int(0.9 * (len(times) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--events", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--database", help="a database URL; default: a temporary SQLite file")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench.db'}"
        app = make_app(url)
        with app.app_context():
            prepare_schema(url)
            started = time.perf_counter()
            board_id, head = seed(args.cards, args.events, rng)
            seeded = time.perf_counter() - started
            events = db.session.scalar(text("SELECT count(*) FROM events"))
            cards = db.session.scalar(text("SELECT count(*) FROM cards"))
            dialect = db.engine.dialect.name
            print(f"{dialect}: {cards} cards, {events} events (seeded in {seeded:.1f} s)")
            head = db.session.get(User, head.id)
            today = datetime.now().date()
            start = (today - timedelta(days=89)).isoformat()
            end = today.isoformat()
            token = accounts.create_token(head)
            client = app.test_client()
            cases = {
                "metrics (throughput, lead/cycle, CFD), 90 days": lambda: metrics.board_metrics(
                    head, board_id, start, end
                ),
                "CFD alone, 90 days": lambda: metrics.cumulative_flow(
                    db.session.get(Board, board_id), today - timedelta(days=89), today
                ),
                "aging WIP": lambda: metrics.aging_wip(db.session.get(Board, board_id)),
                "velocity": lambda: metrics.velocity(db.session.get(Board, board_id)),
                "GET /api/v1/boards/<id>/metrics": lambda: api_get(
                    client, f"/api/v1/boards/{board_id}/metrics?from={start}&to={end}", token
                ),
            }
            failed = False
            print(f"{'case':52} {'median ms':>10} {'p90 ms':>8}")
            for name, work in cases.items():
                median, p90 = timed(work, args.repeat)
                print(f"{name:52} {median:10.1f} {p90:8.1f}")
                if name.startswith(("metrics", "CFD")) and median > TARGET_MS:
                    failed = True
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if args.check and failed:
        print(f"target missed: metrics and CFD must take <= {TARGET_MS} ms")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
