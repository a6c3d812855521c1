"""Two real server processes (gunicorn with deploy/gunicorn.conf.py) on two ports, sharing one
PostgreSQL database and one Redis: two people, each with a browser session on a different
server, see each other's moves live.

Needs PostgreSQL (TEST_DATABASE_URL) and Redis (TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/15);
skipped with the reason when either is missing. `.ci/run` provides both.
"""

import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

from app.extensions import db
from app.services import cards
from tests.conftest import PASSWORD, get_user, pg_url

pytestmark = [pytest.mark.pg, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
REDIS_SKIP = "cross-process live updates need Redis: set TEST_REDIS_URL=redis://127.0.0.1:6379/15"
PG_CLUSTER_SKIP = (
    "cross-process live updates need PostgreSQL: set TEST_DATABASE_URL "
    "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
)


def redis_url() -> str | None:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return None
    return url


@pytest.fixture
def database_url():
    if not pg_url():
        pytest.skip(PG_CLUSTER_SKIP)
    if not redis_url():
        pytest.skip(REDIS_SKIP)
    if not GUNICORN.exists() and not shutil.which("gunicorn"):
        pytest.skip("gunicorn is not installed in this environment")
    return pg_url()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`gunicorn -c deploy/gunicorn.conf.py` on its own port."""

    def __init__(self, env: dict, log: Path, threads: int = 16):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            **env,
            "CERGAS_BIND": f"127.0.0.1:{self.port}",
            "CERGAS_WORKERS": "1",
            "CERGAS_THREADS": str(threads),
        }
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited:\n{self.log.read_text()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError(f"server did not start:\n{self.log.read_text()}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Browser:
    """A person's browser on one server: a logged-in session and the board's open stream."""

    def __init__(self, server: Server, login: str):
        self.server = server
        self.session = requests.Session()
        page = self.session.get(f"{server.url}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = self.session.post(
            f"{server.url}/login",
            data={"username": login, "password": PASSWORD, "csrf_token": token},
            timeout=10,
        )
        assert answer.status_code == 200 and "/login" not in answer.url, answer.url
        self.events: queue.Queue = queue.Queue()

    def open_board(self, board_id: int) -> str:
        page = self.session.get(f"{self.server.url}/boards/{board_id}", timeout=10)
        assert page.status_code == 200
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        self.stream = self.session.get(
            f"{self.server.url}/boards/{board_id}/stream", stream=True, timeout=30
        )
        assert self.stream.headers["Content-Type"].startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()
        return page.text

    def _read(self):
        event: dict = {"data": []}
        try:
            for line in self.stream.iter_lines(chunk_size=None, decode_unicode=True):
                if line == "":
                    if event.get("event"):
                        event["data"] = "\n".join(event["data"])
                        event["at"] = time.monotonic()
                        self.events.put(event)
                    event = {"data": []}
                    continue
                name, _, value = line.partition(": ")
                if name == "data":
                    event["data"].append(value)
                elif name in ("event", "id"):
                    event[name] = value
        except (requests.RequestException, AttributeError):
            pass  # the stream was closed at the end of the test

    def next_event(self, kind: str, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if event["event"] == kind:
                return event

    def move(self, card_id: int, column_id: int) -> float:
        """Drop a card as app.js does (an htmx POST); the time the answer arrived."""
        answer = self.session.post(
            f"{self.server.url}/cards/{card_id}/move",
            data={"column_id": str(column_id)},
            headers={"X-CSRFToken": self.csrf, "HX-Request": "true"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text[:500]
        return time.monotonic()

    def close(self):
        if hasattr(self, "stream"):
            self.stream.close()
        self.session.close()


def card_in_column(html: str, card_id: int, column_id: int) -> bool:
    section = html.split(f'id="column-{column_id}"', 1)
    return len(section) == 2 and f'data-card-id="{card_id}"' in section[1].split("</section>")[0]


@pytest.fixture
def cluster(app, org, tmp_path):
    with app.app_context():
        kasi = get_user("kasi", org)
        ids = [
            cards.create_card(
                kasi, org.board_id, {"title": f"Surat {i}", "due_date": "2031-01-31"}
            ).card.id
            for i in range(2)
        ]
        db.session.remove()
    env = {
        **os.environ,
        "DATABASE_URL": pg_url(),
        "REDIS_URL": redis_url(),
        "REDIS_PREFIX": f"cergas-test-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": "cluster-test-secret",
        "CERGAS_PLUGINS": "",
        "CERGAS_LOG_LEVEL": "warning",
        # A first wait long enough that the login test's last checks fall inside it.
        "CERGAS_LOGIN_DELAY_SECONDS": "300",
    }
    servers = [Server(env, tmp_path / f"server-{i}.log") for i in range(2)]
    browsers = []
    try:
        for server in servers:
            server.wait_ready()
        yield servers, browsers, ids
    finally:
        for browser in browsers:
            browser.close()
        for server in servers:
            server.stop()


def test_two_browsers_on_two_servers_see_each_others_moves(app, org, cluster):
    (one, two), browsers, (first, second) = cluster
    for server in (one, two):
        health = requests.get(f"{server.url}/healthz", timeout=5)
        assert health.json() == {"status": "ok", "database": "ok", "redis": "ok"}
    staff = Browser(one, org.nips["staff"])
    head = Browser(two, org.nips["kasi"])
    browsers += [staff, head]
    staff.open_board(org.board_id)
    head.open_board(org.board_id)
    hello_staff = staff.next_event("hello")
    hello_head = head.next_event("hello")
    assert hello_staff["data"] == hello_head["data"]  # one counter, shared through Redis

    answered = staff.move(first, org.doing)  # on server one
    seen = head.next_event("columns")  # on server two
    assert card_in_column(seen["data"], first, org.doing)
    assert not card_in_column(seen["data"], first, org.backlog)
    assert int(seen["id"]) == int(hello_head["data"]) + 1
    # Printed, not asserted (no timing asserts); negative: before the mover's own answer.
    print(f"\nserver one -> server two: {1000 * (seen['at'] - answered):.0f} ms")

    answered = head.move(second, org.review)  # and back: server two to server one
    staff.next_event("columns")  # its own move first
    seen = staff.next_event("columns")
    assert card_in_column(seen["data"], second, org.review)
    print(f"server two -> server one: {1000 * (seen['at'] - answered):.0f} ms")


def test_login_failures_count_across_servers(app, org, cluster):
    """The per-address login limit is shared: failures on one server count on the other, and
    both then ask for the same wait."""
    (one, two), _browsers, _ids = cluster
    limit = app.config["LOGIN_IP_MAX_FAILURES"]
    for i in range(limit):
        server = (one, two)[i % 2]
        session = requests.Session()
        page = session.get(f"{server.url}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        answer = session.post(
            f"{server.url}/login",
            data={"username": f"tidak-ada-{i}", "password": "salah", "csrf_token": token},
            timeout=10,
        )
        assert answer.status_code == 401
    for server in (one, two):
        answer = requests.post(
            f"{server.url}/api/v1/tokens",
            json={"username": org.nips["staff"], "password": PASSWORD},
            timeout=10,
        )
        assert answer.status_code == 429
        assert answer.json()["error"]["code"] == "too_many_attempts"
        assert 0 < int(answer.headers["Retry-After"]) <= 300
