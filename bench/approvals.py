"""Benchmark: the approvals plugin with many letters waiting for paraf.

    .venv/bin/python bench/approvals.py [--sizes 100,500] [--repeat 20] [--check]

For each size it builds a fresh migrated SQLite file database: a Dinas > Bidang > Seksi, a
Persuratan board with a three-step chain (head of the Seksi, head of the Bidang, the Kepala
Dinas) for `surat-keluar`, and `size` letters created by a drafter and moved into the review
column through the services (so each starts its chain through the plugin's hooks, as in
production). It then measures in-process with Flask's test client, as the head of the Seksi
(every letter waits on them):

- GET /plugins/approvals/inbox (the inbox page: every waiting letter with its working days);
- GET /api/v1/approvals/inbox;
- GET /boards/<id> (the board page: a paraf badge on every letter);
- POST /api/v1/cards/<id>/approval (approve step 1 of one letter; a different letter each time).

It prints the median and 90th-percentile time, SQL statements per request and response size.
Targets: inbox page and API <= 150 ms median at 500 waiting letters; the same query count for
every size (except the decision, which does not depend on it either). --check exits 1 when a
target is missed.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services import accounts, boards, cards  # noqa: E402
from app.services import plugins as board_plugins  # noqa: E402

PASSWORD = "bench-password"
CHAIN = {
    "type": "surat-keluar",
    "review_column": "Paraf",
    "return_column": "Dikonsep",
    "steps": [{"head_of": "SEKSI"}, {"head_of": "BIDANG"}, {"user": "kadis"}],
}
TARGET_MS = 150


def make_app(database: Path):
    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "REDIS_URL": None,
            "CERGAS_PLUGINS": "approvals",
        }
    )


def seed(app, size: int) -> dict:
    with app.app_context():
        flask_migrate.upgrade()
        accounts.create_unit("DINAS", "Dinas Komunikasi dan Informatika")
        accounts.create_unit("BIDANG", "Bidang TIK", parent_code="DINAS")
        accounts.create_unit("SEKSI", "Seksi Aplikasi", parent_code="BIDANG")
        accounts.create_user(
            "Kepala Dinas", PASSWORD, username="kadis", unit_code="DINAS", role="head"
        )
        accounts.create_user("Kabid", PASSWORD, username="kabid", unit_code="BIDANG", role="head")
        kasi = accounts.create_user(
            "Kasi", PASSWORD, username="kasi", unit_code="SEKSI", role="head"
        )
        drafter = accounts.create_user("Staf", PASSWORD, username="staf", unit_code="SEKSI")
        columns = [
            {"name": "Draf", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
            {"name": "Dikonsep", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
            {"name": "Paraf", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
            {"name": "Terkirim", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
        ]
        board = boards.create_board(kasi, "Persuratan", "SEKSI", columns=columns)
        board_plugins.set_board_plugin(kasi, board.id, "approvals", settings={"chains": [CHAIN]})
        ids = {c.name: c.id for c in board.columns}
        letters = []
        for i in range(size):
            card = cards.create_card(
                drafter,
                board.id,
                {"title": f"Surat keluar {i}", "type": "surat-keluar", "due_date": "2027-06-30"},
                column_id=ids["Dikonsep"],
            ).card
            cards.move_card(drafter, card.id, ids["Paraf"])
            letters.append(card.id)
        token = accounts.create_token(kasi, "bench")
        return {"board": board.id, "letters": letters, "token": token}


def measure(app, send, repeat: int) -> dict:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    send(0)  # warm-up
    times, queries, sizes = [], [], []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for i in range(1, repeat + 1):
            statements.clear()
            start = time.perf_counter()
            response = send(i)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (response.status_code, response.get_data()[:300])
            queries.append(len(statements))
            sizes.append(len(response.get_data()))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    times.sort()
    return {
        "median": statistics.median(times),
        "p90": times[int(0.9 * (len(times) - 1))],
        "queries": max(queries),
        "size_kb": statistics.median(sizes) / 1024,
    }


def run(size: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder) / "bench.sqlite")
        seeded = seed(app, size + repeat + 1)
        browser = app.test_client()
        browser.post("/login", data={"username": "kasi", "password": PASSWORD})
        api = app.test_client()
        headers = {"Authorization": f"Bearer {seeded['token']}"}
        results = {
            "inbox page": measure(app, lambda i: browser.get("/plugins/approvals/inbox"), repeat),
            "inbox API": measure(
                app, lambda i: api.get("/api/v1/approvals/inbox", headers=headers), repeat
            ),
            "board page": measure(app, lambda i: browser.get(f"/boards/{seeded['board']}"), repeat),
            "decision": measure(
                app,
                lambda i: api.post(
                    f"/api/v1/cards/{seeded['letters'][i]}/approval",
                    json={"decision": "approve", "step": 1},
                    headers=headers,
                ),
                repeat,
            ),
        }
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        return results


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,500")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    all_results = {size: run(size, args.repeat) for size in sizes}
    print("| waiting | request | median ms | p90 ms | queries | size KB |")
    print("|---:|---|---:|---:|---:|---:|")
    for size, results in all_results.items():
        for name, r in results.items():
            print(
                f"| {size} | {name} | {r['median']:.1f} | {r['p90']:.1f} | {r['queries']} "
                f"| {r['size_kb']:.1f} |"
            )
    failures = []
    for name in ("inbox page", "inbox API", "board page", "decision"):
        counts = {all_results[size][name]["queries"] for size in sizes}
        if len(counts) > 1:
            failures.append(f"{name}: query count depends on the size {sorted(counts)}")
    largest = all_results[max(sizes)]
    for name in ("inbox page", "inbox API"):
        if largest[name]["median"] > TARGET_MS:
            failures.append(f"{name}: {largest[name]['median']:.0f} ms > {TARGET_MS} ms")
    for failure in failures:
        print("MISSED:", failure)
    return 1 if args.check and failures else 0


if __name__ == "__main__":
    sys.exit(main())
