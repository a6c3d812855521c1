"""Benchmark: the extra cost per request of writing notifications (issue 24), and the outbox
worker's own pace.

    .venv/bin/python bench/notifications.py [--database-url URL] [--repeat 300] [--check]

A use case that changes a card (its title, in one write transaction, as an edit does) is timed
alone and with what issue 24 adds to it: the in-app notification for the assignee and its
outbox deliveries (email switched on, the person has an address and default preferences: one
`email` row), in the same transaction. Nothing is sent in the request; the difference of the
medians is the cost a request pays. Target: <= 2 ms.

Then the worker: 10,000 queued deliveries through a channel that only counts (no network), by
`outbox.run_due` in batches of 200 with one worker: what the outbox itself costs per delivery
(the webhook benchmark adds its HTTP calls to this).

Default database: a fresh SQLite file (WAL, like production); --database-url for PostgreSQL
(its tables are dropped and made again). --check exits 1 when the 2 ms target is missed.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, update  # noqa: E402

import plugins.email as email_plugin  # noqa: E402
from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Card, Delivery, User, utcnow  # noqa: E402
from app.services import accounts, boards, cards, channels, notifications, outbox, tx  # noqa: E402
from app.services.errors import ServiceError  # noqa: E402

TARGET_MS = 2.0


def make_app(url: str):
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "CERGAS_PLUGINS": "",
            "CERGAS_PLUGIN_OBJECTS": {"email": email_plugin},
            "SMTP_URL": "smtp://127.0.0.1:9",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "REDIS_URL": None,
        }
    )
    with app.app_context():
        from app import plugin_schema

        if url.startswith("postgresql"):
            db.drop_all()
        plugin_schema.create_schema()
    return app


def seed():
    accounts.create_unit("SETDA", "Sekretariat Daerah")
    head = accounts.create_user(
        "Kepala", "bench-pass", username="kepala", unit_code="SETDA", role="head"
    )
    staff = accounts.create_user(
        "Agus", "bench-pass", username="agus", unit_code="SETDA", email="agus@setda.go.id"
    )
    board = boards.create_board(head, "Surat", "SETDA")
    card = cards.create_card(head, board.id, {"title": "Surat edaran"}).card
    return head.id, staff.id, card.id


NOTIFY_MS: list[float] = []


def use_case(card_id: int, staff_id: int, n: int, with_notification: bool) -> None:
    with tx.write_transaction():
        # Both paths read the person (an assignment knows its assignee).
        staff = db.session.get(User, staff_id)
        db.session.execute(update(Card).where(Card.id == card_id).values(title=f"Surat {n}"))
        if with_notification:
            started = time.perf_counter()
            notifications.notify(staff, f"Ditugaskan: Surat {n}", kind="card_assigned")
            NOTIFY_MS.append((time.perf_counter() - started) * 1000)


def timed(card_id, staff_id, repeat, with_notification) -> list[float]:
    times = []
    for n in range(repeat):
        started = time.perf_counter()
        use_case(card_id, staff_id, n, with_notification)
        times.append((time.perf_counter() - started) * 1000)
        db.session.remove()
    return times


def worker_pace(total: int) -> float:
    count = [0]

    def send(delivery):
        count[0] += 1

    channels._load()
    channels._SENDERS["bench"] = send
    now = utcnow()
    rows = [
        {
            "channel": "bench",
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for _i in range(total)
    ]
    with tx.write_transaction():
        db.session.execute(insert(Delivery), rows)
    started = time.perf_counter()
    while outbox.run_due(limit=200, worker="bench"):
        db.session.remove()
    elapsed = time.perf_counter() - started
    assert count[0] == total, count[0]
    left = db.session.scalar(
        select(Delivery.id).where(Delivery.channel == "bench", Delivery.state != "sent").limit(1)
    )
    assert left is None
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{folder.name}/bench.db"
    app = make_app(url)
    with app.app_context():
        try:
            _head, staff_id, card_id = seed()
        except ServiceError as exc:
            print(exc.message)
            return 1
        # Warm up both paths, then alternate so that drift hits both alike.
        timed(card_id, staff_id, 20, False)
        timed(card_id, staff_id, 20, True)
        without, with_ = [], []
        NOTIFY_MS.clear()
        for _round in range(5):
            without += timed(card_id, staff_id, args.repeat // 5, False)
            with_ += timed(card_id, staff_id, args.repeat // 5, True)
        queued = db.session.scalar(select(Delivery.id).where(Delivery.channel == "email").limit(1))
        assert queued is not None, "no email delivery was queued"
        base, plus = statistics.median(without), statistics.median(with_)
        extra = plus - base
        backend = db.engine.dialect.name
        print(f"database: {backend}, {args.repeat} use cases each")
        print(f"card edit alone:                       median {base:.2f} ms")
        print(f"card edit + notification + 1 delivery: median {plus:.2f} ms")
        print(f"extra cost per request:                {extra:.2f} ms (target <= {TARGET_MS} ms)")
        print(f"  of which inside notify():            {statistics.median(NOTIFY_MS):.2f} ms")
        # The email rows of the first part stay out of the worker's way (nothing listens on :9).
        with tx.write_transaction():
            db.session.execute(update(Delivery).values(state="sent"))
        elapsed = worker_pace(args.deliveries)
        print(
            f"worker: {args.deliveries} deliveries (no network) in {elapsed:.2f} s, "
            f"{elapsed / args.deliveries * 1000:.3f} ms each"
        )
        db.session.remove()
        db.engine.dispose()
    return 1 if args.check and extra > TARGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())
