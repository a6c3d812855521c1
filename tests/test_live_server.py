"""Issue 19, finding 9, as it was found: a real gunicorn with deploy/gunicorn.conf.py and 8
threads, more open board streams than threads, and `/healthz` and `/login` must still answer.
Before the fix, 8 streams of one member took all 8 threads and both timed out.

The server runs on a SQLite file seeded by the `org` fixture, without Redis (one worker).
"""

import os
import re
import shutil
import threading

import pytest
import requests

from tests.conftest import PASSWORD
from tests.test_live_cluster import GUNICORN, Browser, Server

pytestmark = [pytest.mark.pg, pytest.mark.slow]

THREADS = 8
# Generous: the server must answer at all, not quickly (no timing assertions).
TIMEOUT = 5


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):
    """SQLite only: the question is threads, not the database (and the server shares the file)."""
    return f"sqlite:///{tmp_path}/live.db"


def start(app, tmp_path, **settings):
    """gunicorn with deploy/gunicorn.conf.py and THREADS threads on the test's SQLite file; yields
    (server, opened): responses and sessions in `opened` are closed before the server stops."""
    if not GUNICORN.exists() and not shutil.which("gunicorn"):
        pytest.skip("gunicorn is not installed in this environment")
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": "",
        "SECRET_KEY": "live-server-test-secret",
        "CERGAS_PLUGINS": "",
        "CERGAS_LOG_LEVEL": "warning",
    }
    env.pop("CERGAS_LIVE_STREAMS_PER_WORKER", None)
    env.pop("CERGAS_LIVE_STREAMS_PER_USER", None)
    env.update(settings)
    running = Server(env, tmp_path / "server.log", threads=THREADS)
    opened: list = []
    try:
        running.wait_ready()
        yield running, opened
    finally:
        for response in opened:
            response.close()
        # SIGTERM: the worker ends its streams at once (deploy/gunicorn.conf.py) and stops.
        running.stop()


@pytest.fixture
def server(app, org, tmp_path):
    yield from start(app, tmp_path)


@pytest.fixture
def one_page_server(app, org, tmp_path):
    """One live board page per person."""
    yield from start(app, tmp_path, CERGAS_LIVE_STREAMS_PER_USER="1")


def open_stream(browser: Browser, board_id: int, opened: list) -> requests.Response:
    response = browser.session.get(
        f"{browser.server.url}/boards/{board_id}/stream", stream=True, timeout=TIMEOUT
    )
    opened.append(response)
    return response


def read_until_end(response: requests.Response) -> list[str]:
    """The event names of a stream the server ends (a read timeout fails the test)."""
    return [
        line.split(": ", 1)[1]
        for line in response.iter_lines(decode_unicode=True)
        if line.startswith("event: ")
    ]


def first_event(response: requests.Response) -> str:
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            return line.split(": ", 1)[1]
    raise AssertionError("the stream ended without an event")


def answers(server: Server) -> None:
    """`/healthz` and the login page answer, and someone can log in."""
    health = requests.get(f"{server.url}/healthz", timeout=TIMEOUT)
    assert health.status_code == 200 and health.json()["database"] == "ok"
    page = requests.get(f"{server.url}/login", timeout=TIMEOUT)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    login = requests.post(
        f"{server.url}/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        cookies=page.cookies,
        timeout=TIMEOUT,
        allow_redirects=False,
    )
    assert login.status_code == 302 and "/login" not in login.headers["Location"]


def test_one_members_streams_beyond_the_threads_leave_login_and_healthz_answering(org, server):
    running, opened = server
    member = Browser(running, org.nips["staff"])
    opened.append(member.session)
    streams = [open_stream(member, org.board_id, opened) for _ in range(THREADS + 4)]
    assert [s.status_code for s in streams] == [200] * len(streams)
    answers(running)
    # The member's 4 newest pages stay live; each older one was told it was superseded and
    # ended, so the page does not reconnect (and close another) at once.
    for response in streams[:-4]:
        assert read_until_end(response) == ["hello", "closed"]
    for response in streams[-4:]:
        assert first_event(response) == "hello"
    answers(running)
    # Stopping the server (systemctl stop, restart) ends them at once and without `closed`, so
    # the pages reconnect by themselves.
    running.process.terminate()
    for response in streams[-4:]:
        assert read_until_end(response) == []


def test_a_full_worker_refuses_streams_and_still_serves_requests(org, server):
    running, opened = server
    people = [Browser(running, org.nips[key]) for key in ("staff", "staff2", "kasi", "kabid")]
    opened.extend(person.session for person in people)
    # 8 threads: 4 streams at most, the other 4 threads stay with ordinary requests.
    statuses = []
    for person in people:
        for _ in range(2):
            statuses.append(open_stream(person, org.board_id, opened).status_code)
    assert statuses == [200, 200, 200, 200, 503, 503, 503, 503]
    refused = opened[-1]
    assert int(refused.headers["Retry-After"]) > 0
    answers(running)
    # Streams opened at the same moment from many connections change nothing.
    more: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: more.append(open_stream(people[3], org.board_id, opened).status_code)
        )
        for _ in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert more == [503] * THREADS
    answers(running)


def test_a_superseded_page_waits_until_it_is_shown_again(org, one_page_server, browser):
    """In Chromium (app/static/live.js): the person's older page is told it was superseded and
    does not reconnect on its own (two pages taking turns would never stop); shown again, it
    connects and the other page gives way."""
    running, _opened = one_page_server
    context = browser.new_context(base_url=running.url)
    context.set_default_timeout(15_000)
    try:
        first = context.new_page()
        first.goto("/login")
        first.fill('input[name="username"]', org.nips["staff"])
        first.fill('input[name="password"]', PASSWORD)
        first.click('button[type="submit"].primary')
        first.wait_for_url(lambda url: "/login" not in url)
        first.goto(f"/boards/{org.board_id}")
        first.wait_for_selector('#board-live[data-live-state="open"]', state="attached")
        second = context.new_page()
        second.goto(f"/boards/{org.board_id}")
        second.wait_for_selector('#board-live[data-live-state="open"]', state="attached")
        first.wait_for_selector('#board-live[data-live-state="superseded"]', state="attached")
        # Longer than the stream's retry (2 s): had the first page reconnected, the second
        # would have been superseded in turn.
        second.wait_for_timeout(3000)
        assert second.locator("#board-live").get_attribute("data-live-state") == "open"
        assert first.locator("#board-live").get_attribute("data-live-state") == "superseded"
        first.evaluate("window.dispatchEvent(new Event('focus'))")
        first.wait_for_selector('#board-live[data-live-state="open"]', state="attached")
        second.wait_for_selector('#board-live[data-live-state="superseded"]', state="attached")
    finally:
        context.close()
