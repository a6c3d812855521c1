"""Benchmark: 10,000 queued webhook deliveries sent to a local receiver (issue 24: < 30 s).

    .venv/bin/python bench/webhooks.py [--count 10000] [--threads 4] [--database URL]
        [--check]

Builds a fresh database (a SQLite file unless --database names one; it is emptied), a unit,
its head and a board, registers a webhook to a receiver on 127.0.0.1 (a ThreadingHTTPServer
with keep-alive, which recomputes each body's HMAC-SHA256 with the secret), and queues
`--count` deliveries through `outbox.enqueue` (one write transaction). Then it sends them:

- with `outbox.run_due(limit=..., worker=...)` (the outbox worker) when it exists, called by
  `--threads` threads until nothing is due;
- otherwise with a loop of its own standing in for it: `--threads` threads take the rows,
  call the `webhook` sender (`app.services.webhooks.send`: one keep-alive session per thread)
  and mark them sent in batches of 500.

It prints which of the two ran, the time from the first send to the last answer, deliveries per
second, and how many bodies the receiver verified (all of them must be). --check exits 1 when
the 10,000 take 30 s or more or a signature fails.
"""

import argparse
import hashlib
import hmac
import queue
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, update  # noqa: E402

from app import create_app, plugin_schema  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Board, Delivery, User, utcnow  # noqa: E402
from app.services import accounts, boards, outbox, tx, webhooks  # noqa: E402
from app.services.channels import sender_for  # noqa: E402

SECRET = "bench-secret-0123456789abcdef"
TARGET_SECONDS = 30


class Receiver:
    def __init__(self):
        self.lock = threading.Lock()
        self.verified = self.failed = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body: no delayed-ACK wait

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                good = hmac.compare_digest(self.headers["X-Cergas-Signature"], f"sha256={digest}")
                with receiver.lock:
                    if good:
                        receiver.verified += 1
                    else:
                        receiver.failed += 1
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/cergas"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def build(database: str | None):
    url = database or f"sqlite:///{tempfile.mkdtemp(prefix='cergas-bench-')}/bench.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "CERGAS_PLUGINS": "",
            "REDIS_URL": None,
            "CERGAS_WEBHOOK_ALLOW_PRIVATE": "1",
        }
    )
    with app.app_context():
        if url.startswith("postgresql"):
            db.drop_all()
        plugin_schema.create_schema()
        accounts.create_unit("BENCH", "Bagian Umum")
        head = accounts.create_user(
            "Kepala", "rahasia123", username="kepala", unit_code="BENCH", role="head"
        )
        board = boards.create_board(head, "Surat", "BENCH")
        ids = head.id, board.id
    return app, url, *ids


def queue_deliveries(app, board_id: int, hook_url: str, count: int) -> None:
    with app.app_context():
        head = db.session.scalar(select(User).where(User.username == "kepala"))
        hook, _secret = webhooks.register(
            head, board_id, {"url": hook_url, "events": list(webhooks.EVENTS), "secret": SECRET}
        )
        board = db.session.get(Board, board_id)
        with tx.write_transaction():
            for number in range(count):
                body = webhooks.payload("card.moved", head, board, None, {"number": number})
                outbox.enqueue("webhook", webhook_id=hook.id, payload=body, event_id=body["id"])


def send_with_worker(app, threads: int) -> int:
    def work(name):
        with app.app_context():
            while outbox.run_due(limit=200, worker=name):
                pass

    pool = [threading.Thread(target=work, args=(f"bench-{i}",)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return 0


def send_with_loop(app, threads: int) -> int:
    """Our stand-in for the worker: returns the failures."""
    with app.app_context():
        due = db.session.scalars(
            select(Delivery).where(Delivery.state == "pending").order_by(Delivery.id)
        ).all()
        db.session.expunge_all()
        db.session.rollback()
    work: queue.Queue = queue.Queue()
    for delivery in due:
        work.put(delivery)
    failures = []
    lock = threading.Lock()

    def mark(ids):
        with tx.write_transaction():
            db.session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(state="sent", attempts=1, sent_at=utcnow(), last_status=200)
            )

    def run():
        send = sender_for("webhook")
        sent = []
        with app.app_context():
            while True:
                try:
                    delivery = work.get_nowait()
                except queue.Empty:
                    break
                try:
                    send(delivery)
                    sent.append(delivery.id)
                except Exception as exc:  # noqa: BLE001 - counted and printed
                    with lock:
                        failures.append(exc)
                if len(sent) >= 500:
                    mark(sent)
                    sent = []
            if sent:
                mark(sent)

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    for failure in failures[:3]:
        print("failed:", failure)
    return len(failures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database", help="a database URL (emptied!); default a SQLite file")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    receiver = Receiver()
    app, url, _head, board_id = build(args.database)
    started = time.perf_counter()
    queue_deliveries(app, board_id, receiver.url, args.count)
    queued = time.perf_counter() - started
    worker = hasattr(outbox, "run_due")
    started = time.perf_counter()
    failures = (send_with_worker if worker else send_with_loop)(app, args.threads)
    seconds = time.perf_counter() - started
    with app.app_context():
        sent = db.session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state == "sent")
        )
    print(f"database: {url.split('://')[0]}; sent by: {'outbox.run_due' if worker else 'loop'}")
    print(f"queued {args.count} deliveries in {queued:.1f} s")
    print(
        f"sent {sent} in {seconds:.1f} s ({sent / seconds:.0f}/s, {args.threads} threads); "
        f"receiver verified {receiver.verified}, rejected {receiver.failed}; failures {failures}"
    )
    ok = (
        sent == args.count
        and receiver.verified == args.count
        and receiver.failed == 0
        and (args.count < 10_000 or seconds < TARGET_SECONDS)
    )
    print(
        ("ok  " if ok else "MISS") + f"  {args.count} deliveries < {TARGET_SECONDS} s, all verified"
    )
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
