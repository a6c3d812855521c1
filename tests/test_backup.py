"""`cergas backup PATH` and `cergas restore PATH`: consistent copies of a live SQLite database."""

import os
import re
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Card, Event
from app.services import cards
from app.services.backup import migration_head
from tests.conftest import get_user, make_app
from tests.i18n_helpers import t

pytestmark = pytest.mark.pg


@pytest.fixture
def database_url(tmp_path):
    """A SQLite file: backups copy files (other tests' in-memory database has none)."""
    return f"sqlite:///{tmp_path}/cergas.db"


@pytest.fixture(autouse=True)
def at_migration_head(request):
    """The test database is made with create_all(): stamp it with the migration head, as
    `cergas db upgrade` would, so its backups are restorable."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.execute(
            text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        )
        db.session.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": migration_head()})
        db.session.commit()


def live_path(app) -> Path:
    with app.app_context():
        return Path(db.engine.url.database)


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Card.id))),
            db.session.scalar(select(func.count(Event.id))),
        )


def snapshot(app) -> tuple[set, set]:
    """Every card (id, title, column, position) and every event (id, kind, card)."""
    with app.app_context():
        card_rows = db.session.execute(
            select(Card.id, Card.title, Card.column_id, Card.position)
        ).all()
        event_rows = db.session.execute(select(Event.id, Event.kind, Event.card_id)).all()
        return {tuple(r) for r in card_rows}, {tuple(r) for r in event_rows}


def add_cards(app, org, n, prefix="Kartu"):
    with app.app_context():
        kasi = get_user("kasi", org)
        for i in range(n):
            cards.create_card(kasi, org.board_id, {"title": f"{prefix} {i}"})


def test_backup_then_restore_brings_back_every_card_and_event(app, org, runner, tmp_path):
    add_cards(app, org, 12)
    before = snapshot(app)
    target = tmp_path / "cadangan.db"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert re.search(r"\b12\b", result.output)  # the number of cards copied
    # Life goes on after the backup...
    add_cards(app, org, 3, prefix="Sesudah")
    with app.app_context():
        cards.add_comment(get_user("kasi", org), 1, "Setelah cadangan")
    assert snapshot(app) != before
    # ...and the restore returns exactly to the moment of the backup.
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert snapshot(app) == before
    assert counts(app) == (12, len(before[1]))


def test_a_backup_taken_during_writes_is_consistent(app, org, runner, tmp_path):
    add_cards(app, org, 5)
    stop = threading.Event()
    errors = []

    def writer():
        n = 0
        try:
            while not stop.is_set():
                add_cards(app, org, 1, prefix=f"Paralel {n}")
                n += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        targets = [tmp_path / f"cadangan-{i}.db" for i in range(3)]
        for target in targets:
            assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    finally:
        stop.set()
        thread.join()
    assert not errors
    for target in targets:
        copy = sqlite3.connect(target)
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Every card has its "created" event and the reverse: no half-written transaction.
        card_count = copy.execute("SELECT count(*) FROM cards").fetchone()[0]
        created = copy.execute("SELECT count(*) FROM events WHERE kind = 'created'").fetchone()[0]
        assert card_count == created >= 5
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        copy.close()


def test_restore_refuses_a_file_that_is_not_a_cergas_database(app, org, runner, tmp_path):
    add_cards(app, org, 2)
    other = tmp_path / "lain.db"
    sqlite3.connect(other).execute("CREATE TABLE catatan (x)").connection.commit()
    garbage = tmp_path / "rusak.db"
    garbage.write_bytes(b"bukan database" * 100)
    for path in (other, garbage, tmp_path / "tidak-ada.db"):
        result = runner.invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code == 1
        assert "Error:" in result.output
    assert counts(app)[0] == 2


def test_restore_asks_before_replacing(app, org, runner, tmp_path):
    add_cards(app, org, 1)
    target = tmp_path / "cadangan.db"
    runner.invoke(args=["backup", str(target)])
    add_cards(app, org, 1)
    result = runner.invoke(args=["restore", str(target)], input="n\n")
    assert result.exit_code == 1
    assert counts(app)[0] == 2


def test_backup_refuses_a_missing_folder(app, org, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "tidak" / "ada.db")])
    assert result.exit_code == 1 and str(tmp_path / "tidak") in result.output


@pytest.mark.parametrize("url", ["sqlite://", "postgresql"])
def test_backup_explains_what_to_do_on_other_databases(url, tmp_path):
    if url == "postgresql":
        from tests.conftest import PG_SKIP, pg_url

        if not pg_url():
            pytest.skip(PG_SKIP)
        url = pg_url()
    app = make_app(url)
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.db")])
    assert result.exit_code == 1
    assert (
        ("pg_dump" in result.output)
        if url.startswith("postgresql")
        else t("An in-memory database cannot be backed up.") in result.output
    )
    with app.app_context():
        db.engine.dispose()


# --- issue 19, finding 10 ----------------------------------------------------------------------


def assert_intact(app, expected_cards: int) -> None:
    with app.app_context():
        db.engine.dispose()
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert db.session.scalar(select(func.count(Card.id))) == expected_cards
        db.session.remove()


def test_backup_refuses_the_live_database_and_its_files(app, org, runner, tmp_path):
    add_cards(app, org, 3)
    live = live_path(app)
    linked = tmp_path / "tautan.db"
    linked.symlink_to(live)
    hard = tmp_path / "sub" / "keras.db"
    hard.parent.mkdir()
    os.link(live, hard)
    for target in (live, linked, hard, f"{live}-wal", f"{live}-shm", f"{live}-journal"):
        result = runner.invoke(args=["backup", str(target)])
        assert result.exit_code == 1, (target, result.output)
        assert "Error:" in result.output and "Traceback" not in result.output
        assert isinstance(result.exception, SystemExit)
    add_cards(app, org, 1)
    assert_intact(app, 4)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.skipif(
    not Path("/sys").is_dir(), reason="needs Linux /sys (unwritable, even for root)"
)
def test_backup_into_an_unwritable_folder_is_a_one_line_error(app, org, runner, tmp_path):
    add_cards(app, org, 1)
    result = runner.invoke(args=["backup", "/sys/cadangan.db"])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error:") and "/sys" in result.output
    assert len(result.output.strip().splitlines()) == 1
    if os.geteuid() != 0:  # root writes anywhere: the mode bits only stop other users
        locked = tmp_path / "terkunci"
        locked.mkdir(mode=0o500)
        result = runner.invoke(args=["backup", str(locked / "cadangan.db")])
        assert result.exit_code == 1 and str(locked) in result.output


def make_backup(runner, tmp_path, name="cadangan.db") -> Path:
    target = tmp_path / name
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    return target


def spoil(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)  # foreign keys are off on a plain connection
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "statements, reason",
    [
        (["UPDATE alembic_version SET version_num = 'abc123'"], "abc123"),
        (["DROP TABLE alembic_version"], "db upgrade"),
        (["DELETE FROM boards"], "board_columns"),
        (["UPDATE cards SET column_id = 999"], "cards"),
    ],
    ids=["other-migration", "no-migration", "orphan-columns", "missing-column"],
)
def test_restore_checks_the_backup_before_replacing_anything(
    app, org, runner, tmp_path, statements, reason
):
    add_cards(app, org, 2)
    candidate = make_backup(runner, tmp_path)
    spoil(candidate, *statements)
    add_cards(app, org, 1)
    before = snapshot(app)
    result = runner.invoke(args=["restore", str(candidate), "--yes"])
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and reason in result.output
    assert snapshot(app) == before
    assert not list(tmp_path.glob("*.before-restore-*"))


def test_restore_refuses_the_live_database_itself(app, org, runner, tmp_path):
    add_cards(app, org, 2)
    result = runner.invoke(args=["restore", str(live_path(app)), "--yes"])
    assert result.exit_code == 1 and "Error:" in result.output
    assert_intact(app, 2)


def test_restore_keeps_the_replaced_database_beside_it(app, org, runner, tmp_path):
    add_cards(app, org, 2)
    candidate = make_backup(runner, tmp_path)
    add_cards(app, org, 3, prefix="Sesudah")
    replaced = snapshot(app)
    for _round in range(2):
        result = runner.invoke(args=["restore", str(candidate), "--yes"])
        assert result.exit_code == 0, result.output
    kept = sorted(tmp_path.glob("cergas.db.before-restore-*"))
    assert len(kept) == 2  # one per restore, none overwritten
    assert str(kept[0]) in result.output or str(kept[1]) in result.output
    assert counts(app)[0] == 2
    first = min(kept, key=lambda path: path.stat().st_mtime_ns)
    copy = sqlite3.connect(first)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    titles = {row[0] for row in copy.execute("SELECT title FROM cards")}
    copy.close()
    assert titles == {row[1] for row in replaced[0]}
