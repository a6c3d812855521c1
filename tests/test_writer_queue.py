"""SQLite writers queue on a file lock (app/services/tx.py), across threads and processes, so a
writer starts the moment the previous one commits instead of sleeping in SQLite's busy handler."""

import subprocess
import sys
import threading

import pytest

from app.services import tx

pytestmark = pytest.mark.pg

fcntl = pytest.importorskip("fcntl", reason="the file lock needs POSIX fcntl")

HOLDER = """
import fcntl, sys
with open(sys.argv[1], "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_writer_waits_for_another_process_and_starts_when_it_is_done(tmp_path):
    queue = tx._SqliteWriters(str(tmp_path / "cergas.db"))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "cergas.db-writers")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        entered = threading.Event()

        def write():
            with queue.hold():
                entered.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not entered.wait(0.5), "the writer did not wait for the other process"
        holder.stdin.write("done\n")
        holder.stdin.flush()
        assert entered.wait(10), "the writer did not start after the other process finished"
        writer.join(10)
    finally:
        holder.kill()
        holder.wait()


def test_threads_of_one_process_take_turns(tmp_path):
    queue = tx._SqliteWriters(str(tmp_path / "cergas.db"))
    inside, most = [0], [0]
    lock = threading.Lock()

    def write():
        for _ in range(50):
            with queue.hold():
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most[0] == 1


def test_a_forked_process_opens_its_own_lock_file(tmp_path):
    queue = tx._SqliteWriters(str(tmp_path / "cergas.db"))
    with queue.hold():
        first = queue.fd
    queue.pid = -1  # as in a child after fork: the inherited descriptor must not be reused
    with queue.hold():
        assert queue.fd != first


def test_an_in_memory_database_queues_threads_only():
    queue = tx._SqliteWriters(None)
    with queue.hold():
        assert queue.path is None and queue.fd is None


def test_writes_to_a_sqlite_file_go_through_the_queue(app, org, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL queues writers on the board row lock")
    from app.services import cards
    from tests.conftest import get_user

    with app.app_context():
        queue = tx._writers_queue()
        taken = []
        original = queue.hold

        def hold():
            taken.append(True)
            return original()

        queue.hold = hold
        cards.create_card(get_user("kasi", org), org.board_id, {"title": "Rekap"})
    assert taken == [True]


def _card(app, org):
    from app.services import cards
    from tests.conftest import get_user

    with app.app_context():
        kasi = get_user("kasi", org)
        return cards.create_card(kasi, org.board_id, {"title": "Rekap"}).card.id


@pytest.mark.parametrize("as_json", [True, False])
def test_a_writer_that_waited_too_long_is_told_to_retry(
    app, org, client, api, monkeypatch, as_json
):
    import sqlite3

    from app.services import cards
    from tests.conftest import PASSWORD
    from tests.i18n_helpers import t

    card_id = _card(app, org)

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(cards, "move_card", locked)
    if as_json:
        answer = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.doing})
        assert answer.status_code == 503
        assert answer.get_json()["error"]["code"] == "busy"
    else:
        client.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
        answer = client.post(f"/cards/{card_id}/move", data={"column_id": org.doing})
        assert answer.status_code == 503
        assert t("Cergas is busy. Nothing was changed; please try again in a moment.") in (
            answer.get_data(as_text=True)
        )
    assert answer.headers["Retry-After"] == "5"


def test_other_database_failures_stay_500(app, org, api, monkeypatch):
    import sqlite3

    from app.services import cards

    card_id = _card(app, org)

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(cards, "move_card", broken)
    answer = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.doing})
    assert answer.status_code == 500
    assert answer.get_json()["error"]["code"] == "internal_error"
