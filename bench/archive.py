"""Benchmark: the periodic archive run (issue 25) on one board with 50,000 eligible cards.

    .venv/bin/python bench/archive.py [--eligible 50000] [--open 500] [--batch 500]
        [--postgresql URL] [--check]

It seeds the board of bench/board.py (`--open` cards on it) plus `--eligible` cards that have
been in the done column for 30 days (bulk inserted, not archived), then runs
`archive.archive_due(now)` once, as `cergas tick` does, and reports the total time, the number
of batches and the longest batch: each batch is one write transaction holding the board's lock
(PostgreSQL's row lock, SQLite's write lock) from its first statement to its commit, so the
longest batch is the longest time a move on that board may wait for the archive run. A second
run must archive nothing (idempotent). Targets: the whole run under 10 s; every card archived.
With --postgresql URL (an empty database it may wipe) it runs on PostgreSQL.
"""

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select  # noqa: E402

from app.extensions import db  # noqa: E402
from app.models import BoardColumn, Card, CardSearch  # noqa: E402
from app.services import archive, search_index  # noqa: E402
from bench.board import DESCRIPTION, TITLES, TYPES, make_app, seed  # noqa: E402


def seed_eligible(board_id: int, n: int, rng: random.Random) -> None:
    done_column = db.session.scalar(
        select(BoardColumn.id).where(BoardColumn.board_id == board_id, BoardColumn.kind == "done")
    )
    start = db.session.scalar(select(func.count(Card.id)).where(Card.column_id == done_column))
    done = datetime.now().replace(microsecond=0) - timedelta(days=30)
    rows = []
    for i in range(n):
        rows.append(
            {
                "board_id": board_id,
                "column_id": done_column,
                "position": start + i,
                "title": f"{rng.choice(TITLES)} (selesai) No. {i + 1:05d}",
                "description": DESCRIPTION,
                "type": rng.choice(TYPES),
                "due_date": done.date(),
                "done_at": done - timedelta(minutes=i),
                "first_active_at": done - timedelta(days=3),
            }
        )
        if len(rows) == 5000:
            db.session.execute(insert(Card), rows)
            rows = []
    if rows:
        db.session.execute(insert(Card), rows)
    db.session.commit()


def run(eligible: int, open_cards: int, batch: int, postgresql: str | None) -> dict:
    rng = random.Random(eligible)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(postgresql or Path(tmp) / "bench.db")
        ids = seed(app, open_cards, rng)
        with app.app_context():
            seed_eligible(ids["board"], eligible, rng)
            # The cards' search index rows, as the ORM would have written them: the run sets
            # their archived flag too.
            search_index.rebuild()
            db.session.commit()
            batches: list[float] = []
            original = archive._archive_batch

            def timed(*args, **kwargs):
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    batches.append((time.perf_counter() - started) * 1000)

            archive._archive_batch = timed
            try:
                started = time.perf_counter()
                archived = archive.archive_due(datetime.now(), batch=batch)
                total = time.perf_counter() - started
                again = archive.archive_due(datetime.now(), batch=batch)
            finally:
                archive._archive_batch = original
            left = db.session.scalar(
                select(func.count(Card.id)).where(
                    Card.board_id == ids["board"], Card.archived_at.is_not(None)
                )
            )
            flagged = db.session.scalar(
                select(func.count())
                .select_from(CardSearch)
                .where(CardSearch.board_id == ids["board"], CardSearch.archived)
            )
            db.session.remove()
            db.engine.dispose()
    return {
        "database": "PostgreSQL" if postgresql else "SQLite",
        "eligible": eligible,
        "archived": archived,
        "archived_in_db": left,
        "flagged_in_search_index": flagged,
        "second_run": again,
        "seconds": round(total, 2),
        "batches": len(batches) - 1,  # the last call of each run finds nothing
        "longest_batch_ms": round(max(batches), 1),
        "median_batch_ms": round(sorted(batches)[len(batches) // 2], 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eligible", type=int, default=50_000)
    parser.add_argument("--open", type=int, default=500, dest="open_cards")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--postgresql", metavar="URL", help="an empty PostgreSQL database")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    result = run(args.eligible, args.open_cards, args.batch, args.postgresql)
    for key, value in result.items():
        print(f"{key:>18}: {value}")
    checks = [
        ("every eligible card archived", result["archived"] == args.eligible),
        ("a second run archives nothing", result["second_run"] == 0),
        (
            "the search index knows them archived",
            result["flagged_in_search_index"] == args.eligible,
        ),
        ("the run takes < 10 s", result["seconds"] < 10),
    ]
    print()
    for text, ok in checks:
        print(f"{'ok  ' if ok else 'MISS'}  {text}")
    return 1 if args.check and not all(ok for _text, ok in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
