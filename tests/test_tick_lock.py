"""`cergas tick` run from cron on every host at once: the work happens once per round.

Four real processes start `cergas tick` at the same instant against one database, each with a
plugin whose periodic work takes a second and notes who ran it. Exactly one runs the work; the
others report that another tick is running and exit 0 (cron must not mail an error). On
PostgreSQL the lock is an advisory lock (it holds across hosts); on SQLite, a lock on a file next
to the database (SQLite lives on one host).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.extensions import db
from tests.conftest import PG_SKIP, make_app, pg_url

pytestmark = pytest.mark.pg

# The ticks below run with English messages (an admin's choice of BABEL_DEFAULT_LOCALE).
BUSY = "Another `cergas tick` is running; this one did nothing."
SAME_ROUND = "A `cergas tick` ran less than a minute ago; this one did nothing."
ROOT = Path(__file__).resolve().parents[1]
TICKER = """
import os, sys, time
sys.path.insert(0, {root!r})
from app import create_app
from cergas.plugin import hookimpl

class SlowWork:
    @hookimpl
    def cergas_periodic(self, now):
        with open({log!r}, "a") as log:
            log.write(f"{{os.getpid()}}\\n")
        time.sleep(1.0)

app = create_app({{
    "SECRET_KEY": "tick-test",
    "SQLALCHEMY_DATABASE_URI": {url!r},
    "REDIS_URL": None,
    "BABEL_DEFAULT_LOCALE": "en",
    "CERGAS_PLUGINS": "",
    "CERGAS_PLUGIN_OBJECTS": {{"kerja-lambat": SlowWork()}},
}})
while time.time() < {start!r}:
    time.sleep(0.005)
result = app.test_cli_runner().invoke(args=["tick", "--now", sys.argv[1]])
print(result.output, end="")
sys.exit(result.exit_code)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cergas.db'}"
    else:
        url = pg_url()
        if not url:
            pytest.skip(PG_SKIP)
    app = make_app(url)  # the schema, as `cergas db upgrade` would leave it
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return url


def tick_round(url: str, log: Path, nows: list[str]) -> list[subprocess.CompletedProcess]:
    """One `cergas tick` process per entry of `nows` (its --now), all started at once."""
    start = time.time() + 3  # every process has imported the app by then
    script = TICKER.format(root=str(ROOT), log=str(log), url=url, start=start)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, now],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for now in nows
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


# Four `cergas tick` processes at once (about 6 s a database): in the full run (`.ci/run`); the
# fast run keeps the lock's unit tests and the SLA plugin's two-ticks-at-once test.
@pytest.mark.slow
def test_concurrent_ticks_do_the_work_once(url, tmp_path):
    log = tmp_path / "ran.log"
    # Four hosts whose clocks differ by up to 20 seconds, started together by cron.
    nows = ["2026-11-30T01:00:00Z", "2026-11-30T01:00:02Z", "2026-11-30T01:00:05Z"]
    results = tick_round(url, log, [*nows, "2026-11-30T00:59:40Z"])
    for result in results:
        assert result.returncode == 0, result.stderr
    ran = log.read_text().split()
    assert len(ran) == 1, json.dumps([r.stdout for r in results])
    skipped = [r for r in results if BUSY in r.stdout or SAME_ROUND in r.stdout]
    assert len(skipped) == 3


# Four rounds of processes that each wait for a common start (about 25 s on both databases, a
# worker idle for most of it): in the full run only; the race itself stays in the fast run.
@pytest.mark.slow
def test_a_late_host_of_the_same_round_does_nothing_and_the_next_round_runs(url, tmp_path):
    log = tmp_path / "ran.log"
    tick_round(url, log, ["2026-11-30T01:00:00Z"])
    # A host whose cron fired after the first tick had finished, in the same minute:
    late = tick_round(url, log, ["2026-11-30T01:00:30Z"])
    assert SAME_ROUND in late[0].stdout and late[0].returncode == 0
    assert len(log.read_text().split()) == 1
    # The next round (five minutes on) runs again, once, on two hosts at once.
    tick_round(url, log, ["2026-11-30T01:05:00Z", "2026-11-30T01:05:01Z"])
    assert len(log.read_text().split()) == 2
