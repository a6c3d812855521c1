"""Benchmark: the workload plugin's unit page and API on a Dinas of 200 people, 20 boards and
20,000 cards with 12 weeks of audit history.

    .venv/bin/python bench/workload.py [--people 50,200] [--cards 20000] [--repeat 20] [--check]

For each number of people it builds a fresh SQLite file database (migrated like production): a
Dinas with 4 Bidang and 20 Seksi, one board per Seksi, the people spread over the Seksi (units,
people and boards through the services); the cards, their audit events (`created`, `moved`,
`assigned`, spread over the last 12 weeks) and people's skills by bulk insert, since only the
cost of reading them matters here. It then measures in-process with Flask's test client, as the
Kepala Dinas (who sees every board):

- GET /plugins/workload/units/DINAS (the page: summary, warnings, chart, table, suggestions);
- GET /api/v1/units/DINAS/workload;
- GET /plugins/workload/units/DINAS/trend as htmx asks for it (the 8-week trend, which the page
  loads in a second request);
- GET /plugins/workload/boards/<id> and GET /api/v1/boards/<id>/workload for one board.

It prints the median and 90th-percentile time, the SQL statements per request and the response
size. Targets (issue 6): unit page and unit API <= 300 ms median at 200 people; the same query
count for every number of people. --check exits 1 when a target is missed.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Card, Event, Skill, User, UserSkill  # noqa: E402
from app.services import accounts, boards  # noqa: E402

PASSWORD = "bench-password"
BIDANG = 4
SEKSI_PER_BIDANG = 5
COLUMNS = [
    {"name": "Backlog", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Dikerjakan", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Review", "kind": "active", "wip_limit": None, "wip_policy": "soft"},
    {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
]
SPREAD = [0.35, 0.10, 0.05, 0.50]  # backlog, in progress, review, done
SKILLS = ["office-software", "spreadsheet-data-analysis", "graphic-design", "digital-promotion"]


def make_app(database: Path):
    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "REDIS_URL": None,
            "CERGAS_PLUGINS": "workload",
        }
    )


def seed(app, people: int, cards: int, rng: random.Random) -> dict:
    with app.app_context():
        flask_migrate.upgrade()
        accounts.create_unit("DINAS", "Dinas Komunikasi dan Informatika")
        kadis = accounts.create_user(
            "Kepala Dinas", PASSWORD, username="kadis", unit_code="DINAS", role="head"
        )
        seksi = []
        for b in range(BIDANG):
            accounts.create_unit(f"BID-{b}", f"Bidang {b}", parent_code="DINAS")
            for s in range(SEKSI_PER_BIDANG):
                code = f"SEKSI-{b}-{s}"
                accounts.create_unit(code, f"Seksi {b}.{s}", parent_code=f"BID-{b}")
                seksi.append(code)
        members: dict[str, list[int]] = {code: [] for code in seksi}
        for i in range(people):
            code = seksi[i % len(seksi)]
            role = "head" if not members[code] else "member"
            user = accounts.create_user(
                f"Pegawai {i:03d}", PASSWORD, username=f"p{i:03d}", unit_code=code, role=role
            )
            members[code].append(user.id)
        skill_ids = dict(db.session.execute(select(Skill.slug, Skill.id)).all())
        rows = [
            {"user_id": uid, "skill_id": skill_ids[slug], "level": rng.randint(1, 4)}
            for ids in members.values()
            for uid in ids
            for slug in rng.sample(SKILLS, rng.randint(0, 2))
        ]
        if rows:
            db.session.execute(insert(UserSkill), rows)
        now = datetime.now(UTC).replace(tzinfo=None)
        per_board = cards // len(seksi)
        card_rows, board_ids = [], []
        for code in seksi:
            board = boards.create_board(kadis, f"Papan {code}", code, COLUMNS)
            board_ids.append(board.id)
            column_ids = [c.id for c in board.columns]
            counts = [int(per_board * share) for share in SPREAD]
            counts[0] += per_board - sum(counts)
            for slot, count in enumerate(counts):
                for position in range(count):
                    created = now - timedelta(minutes=rng.randint(60, 12 * 7 * 24 * 60))
                    card_rows.append(
                        {
                            "board_id": board.id,
                            "column_id": column_ids[slot],
                            "position": position,
                            "title": f"Tugas {code} {position}",
                            "assignee_id": rng.choice(members[code])
                            if members[code] and rng.random() < 0.9
                            else None,
                            "due_date": date.today() + timedelta(days=rng.randint(-10, 30)),
                            "estimate": rng.choice([None, 1.0, 2.0, 4.0, 8.0]),
                            "labels": [f"skill:{rng.choice(SKILLS)}"] if rng.random() < 0.3 else [],
                            "created_by_id": kadis.id,
                            "created_at": created,
                            "updated_at": created,
                            "done_at": min(created + timedelta(days=rng.randint(1, 20)), now)
                            if COLUMNS[slot]["kind"] == "done"
                            else None,
                            "_path": column_ids[: slot + 1],
                        }
                    )
        paths = [row.pop("_path") for row in card_rows]
        db.session.execute(insert(Card), card_rows)
        ids = db.session.scalars(select(Card.id).order_by(Card.id)).all()
        logins = {
            uid: f"p{int(name[8:]):03d}"
            for uid, name in db.session.execute(select(User.id, User.name)).all()
            if name.startswith("Pegawai")
        }
        events = []
        for card_id, row, path in zip(ids, card_rows, paths, strict=True):
            at = row["created_at"]
            events.append(
                {"board_id": row["board_id"], "card_id": card_id, "kind": "created", "at": at,
                 "actor_id": kadis.id, "data": {"column": "Backlog"}}
            )  # fmt: skip
            for source, target in zip(path, path[1:], strict=False):
                at = min(at + timedelta(hours=rng.randint(2, 200)), now)
                events.append(
                    {"board_id": row["board_id"], "card_id": card_id, "kind": "moved", "at": at,
                     "actor_id": kadis.id,
                     "data": {"from_column_id": source, "to_column_id": target}}
                )  # fmt: skip
            if row["assignee_id"] and rng.random() < 0.2:
                at = min(at + timedelta(hours=rng.randint(1, 48)), now)
                events.append(
                    {"board_id": row["board_id"], "card_id": card_id, "kind": "assigned", "at": at,
                     "actor_id": kadis.id,
                     "data": {"old": None, "new": logins.get(row["assignee_id"])}}
                )  # fmt: skip
        db.session.execute(insert(Event), events)
        db.session.commit()
        token = accounts.create_token(db.session.get(User, kadis.id), "bench")
        return {"board": board_ids[0], "token": token, "events": len(events)}


class QueryCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args):
        self.count += 1


def measure(label, people, repeat, counter, send) -> dict:
    send()  # warm-up
    times, queries, response = [], [], None
    for _ in range(repeat):
        counter.count = 0
        started = time.perf_counter()
        response = send()
        times.append((time.perf_counter() - started) * 1000)
        queries.append(counter.count)
    times.sort()
    return {
        "people": people,
        "request": label,
        "status": response.status_code,
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
        "queries": max(queries),
        "size_kb": round(len(response.data) / 1024, 1),
    }


def run(people: int, cards: int, repeat: int) -> list[dict]:
    print(f"Seeding {people} people, {cards} cards...", file=sys.stderr)
    rng = random.Random(people)
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp) / "bench.db")
        ids = seed(app, people, cards, rng)
        print(f"  {ids['events']} audit events", file=sys.stderr)
        with app.app_context():
            counter = QueryCounter(db.engine)
        client = app.test_client()
        client.post("/login", data={"username": "kadis", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {ids['token']}"}
        htmx = {"HX-Request": "true"}
        board = ids["board"]
        requests = [
            ("unit page", lambda: client.get("/plugins/workload/units/DINAS")),
            ("unit API", lambda: client.get("/api/v1/units/DINAS/workload", headers=headers)),
            (
                "unit trend (htmx)",
                lambda: client.get("/plugins/workload/units/DINAS/trend", headers=htmx),
            ),
            ("board page", lambda: client.get(f"/plugins/workload/boards/{board}")),
            (
                "board API",
                lambda: client.get(f"/api/v1/boards/{board}/workload", headers=headers),
            ),
        ]
        return [measure(label, people, repeat, counter, send) for label, send in requests]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="50,200")
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    results = []
    for people in [int(n) for n in args.people.split(",")]:
        results += run(people, args.cards, args.repeat)
    print("| people | request | status | median ms | p90 ms | queries | size KB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['people']} | {r['request']} | {r['status']} | {r['median_ms']} | "
            f"{r['p90_ms']} | {r['queries']} | {r['size_kb']} |"
        )
    failures = []
    for r in results:
        if r["status"] != 200:
            failures.append(f"{r['request']} answered {r['status']}")
        targeted = r["request"] in ("unit page", "unit API")
        if r["people"] >= 200 and targeted and r["median_ms"] > 300:
            failures.append(f"{r['request']} at {r['people']} people: {r['median_ms']} ms > 300")
    for label in {r["request"] for r in results}:
        counts = {r["queries"] for r in results if r["request"] == label}
        if len(counts) > 1:
            failures.append(f"{label}: query count varies with people: {sorted(counts)}")
    for failure in failures:
        print("MISSED:", failure, file=sys.stderr)
    return 1 if (args.check and failures) else 0


if __name__ == "__main__":
    sys.exit(main())
