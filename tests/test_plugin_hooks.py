"""Hooks called by the app factory and after commits, and the helpers of cergas.plugin, each
with a throw-away plugin: what they receive, when they run, and what they may do."""

from datetime import date, timedelta

import click
import pytest
from flask import Blueprint, jsonify
from sqlalchemy import select, text

from app.extensions import db
from app.models import Card
from app.services import cards, tx
from app.services import plugins as board_plugins
from app.services.errors import Conflict, Vetoed
from cergas.plugin import PluginStore, Setting, Veto, hookimpl, plugin_settings, plugin_store
from tests.conftest import get_board, get_user, head_with_board, make_app

pytestmark = pytest.mark.pg


class Recorder:
    """Records every after-commit hook, with what the database held when it ran."""

    def __init__(self):
        self.calls = []
        self.started = []

    def _seen(self, hook, card, **arguments):
        # On PostgreSQL, read with a connection of its own, which sees only committed rows (the
        # in-memory SQLite of the tests has a single connection).
        query = text("SELECT title, version FROM cards WHERE id = :id")
        if db.engine.dialect.name == "sqlite":
            stored = db.session.execute(query, {"id": card.id}).first()
        else:
            with db.engine.connect() as connection:
                stored = connection.execute(query, {"id": card.id}).first()
        self.calls.append(
            {
                "hook": hook,
                "card": card.id,
                "in_transaction": tx.in_write_transaction(),
                "stored": tuple(stored) if stored else None,
                **arguments,
            }
        )

    @hookimpl
    def cergas_startup(self, app):
        self.started.append(app.name)

    @hookimpl
    def cergas_register_blueprints(self):
        hello = Blueprint("rekam", __name__)

        @hello.get("/halo")
        def halo():
            return jsonify({"plugin": "rekam"})

        elsewhere = Blueprint("rekam_lain", __name__, url_prefix="/rekam-api")

        @elsewhere.get("/status")
        def status():
            return jsonify({"ok": True})

        return [hello, elsewhere]

    @hookimpl
    def cergas_register_commands(self, cli):
        @cli.command("salam")
        @click.argument("name")
        def salam(name):
            """Greet someone (a plugin command)."""
            click.echo(f"Selamat pagi, {name}!")

    @hookimpl
    def cergas_settings(self):
        return [
            Setting("max_days", "int", 3, "Maximum days"),
            Setting("types", "list", ["surat-keluar"], "Card types"),
        ]

    @hookimpl
    def cergas_card_created(self, card, actor, board):
        self._seen("created", card, actor=actor.id, board=board.id, title=card.title)

    @hookimpl
    def cergas_card_updated(self, card, changes, actor, board):
        self._seen("updated", card, changes=changes, actor=actor.id, board=board.id)

    @hookimpl
    def cergas_deadline_changed(self, card, old, new, reason, actor, board):
        self._seen("deadline", card, old=old, new=new, reason=reason, actor=actor.id)


RECORDER = "rekam"


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def app(database_url, recorder):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={RECORDER: recorder})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def new_card(app, org, **fields):
    with app.app_context():
        data = {"title": "Surat edaran", "type": "surat-keluar", **fields}
        return cards.create_card(get_user("staff", org), org.board_id, data).card.id


# --- the factory -----------------------------------------------------------------------------


def test_startup_runs_once_with_the_app(app, recorder):
    assert recorder.started == [app.name]


class Refuses:
    @hookimpl
    def cergas_startup(self, app):
        if not app.config.get("SMTP_URL"):
            raise RuntimeError("surel: set SMTP_URL")


def test_startup_raising_refuses_to_create_the_app():
    with pytest.raises(RuntimeError, match="set SMTP_URL"):
        make_app("sqlite://", CERGAS_PLUGIN_OBJECTS={"surel": Refuses()})
    assert make_app("sqlite://", CERGAS_PLUGIN_OBJECTS={"surel": Refuses()}, SMTP_URL="smtp://x")


def test_blueprints_are_mounted_under_the_plugin_name(client):
    assert client.get("/plugins/rekam/halo").get_json() == {"plugin": "rekam"}
    # A blueprint with its own prefix keeps it.
    assert client.get("/rekam-api/status").get_json() == {"ok": True}
    assert client.get("/plugins/rekam/status").status_code == 404


def test_commands_are_added_to_the_cergas_command(app):
    result = app.test_cli_runner().invoke(args=["salam", "Siti"])
    assert result.exit_code == 0
    assert result.output == "Selamat pagi, Siti!\n"
    assert "salam" in app.test_cli_runner().invoke(args=["--help"]).output


# --- after-commit events ---------------------------------------------------------------------


def test_card_created_runs_after_commit_with_the_card(app, org, recorder):
    card_id = new_card(app, org)

    [call] = recorder.calls
    assert call == {
        "hook": "created",
        "card": card_id,
        "in_transaction": False,
        "stored": ("Surat edaran", 1),
        "actor": org.users["staff"],
        "board": org.board_id,
        "title": "Surat edaran",
    }


def test_card_updated_gets_each_change_as_old_and_new(app, org, recorder):
    card_id = new_card(app, org, labels=["penting"])
    recorder.calls.clear()
    with app.app_context():
        cards.update_card(
            get_user("kasi", org),
            card_id,
            {"title": "Surat edaran bupati", "labels": ["penting", "No. 800/1/2026"]},
            version=1,
        )

    [call] = recorder.calls
    assert call["hook"] == "updated"
    assert call["in_transaction"] is False
    assert call["stored"] == ("Surat edaran bupati", 2)
    assert call["actor"] == org.users["kasi"]
    assert call["changes"] == {
        "title": ["Surat edaran", "Surat edaran bupati"],
        "labels": [["penting"], ["penting", "No. 800/1/2026"]],
    }


def test_deadline_changed_gets_old_new_and_reason(app, org, recorder):
    first, second = date.today() + timedelta(days=3), date.today() + timedelta(days=10)
    card_id = new_card(app, org, due_date=first.isoformat())
    recorder.calls.clear()
    with app.app_context():
        cards.update_card(
            get_user("staff", org),
            card_id,
            {"due_date": second.isoformat()},
            version=1,
            deadline_reason="Menunggu tanda tangan Kepala Dinas",
        )

    hooks = {call["hook"]: call for call in recorder.calls}
    assert set(hooks) == {"deadline", "updated"}
    deadline = hooks["deadline"]
    assert (deadline["old"], deadline["new"]) == (first, second)
    assert deadline["reason"] == "Menunggu tanda tangan Kepala Dinas"
    assert deadline["in_transaction"] is False
    assert deadline["stored"] == ("Surat edaran", 2)


def test_refused_edit_calls_no_hook(app, org, recorder):
    card_id = new_card(app, org)
    recorder.calls.clear()
    with app.app_context(), pytest.raises(Conflict) as refused:
        cards.update_card(get_user("staff", org), card_id, {"title": "Basi"}, version=7)
    assert refused.value.code == "version_conflict"
    assert recorder.calls == []


# --- settings and the key-value store --------------------------------------------------------


def test_plugin_settings_gives_defaults_then_saved_values(app, org):
    with app.app_context():
        board = get_board(org.board_id)
        assert plugin_settings(board, RECORDER) == {"max_days": 3, "types": ["surat-keluar"]}
        board_plugins.set_board_plugin(
            get_user("kasi", org), org.board_id, RECORDER, settings={"max_days": 5}
        )
        assert plugin_settings(board, RECORDER) == {"max_days": 5, "types": ["surat-keluar"]}
        # A plugin without settings has none.
        assert plugin_settings(board, "tidak-ada") == {}


def test_store_outside_a_transaction_commits_each_write(app):
    with app.app_context():
        store = plugin_store(RECORDER)
        assert isinstance(store, PluginStore)
        store.set("nomor-terakhir", 41)
        store.set("nomor-terakhir", {"value": 42, "tahun": 2026})
        store.set("arsip/2025", [1, 2])
        db.session.rollback()  # nothing pending: each write committed on its own
        assert store.get("nomor-terakhir") == {"value": 42, "tahun": 2026}
        assert store.keys() == ["arsip/2025", "nomor-terakhir"]
        assert store.keys("arsip/") == ["arsip/2025"]
        assert PluginStore("lain").get("nomor-terakhir", "kosong") == "kosong"
        store.delete("arsip/2025")
        store.delete("tidak-ada")
        assert store.get("arsip/2025") is None
        assert store.keys() == ["nomor-terakhir"]


def test_store_inside_a_transaction_joins_it(app):
    with app.app_context():
        store = plugin_store(RECORDER)
        store.set("tetap", 1)
        with pytest.raises(RuntimeError), tx.write_transaction():
            store.set("batal", 2)
            store.delete("tetap")
            raise RuntimeError("the use case fails")
        assert store.get("batal") is None
        assert store.get("tetap") == 1


class Counter:
    """Counts approved moves in its store from inside the veto hook; refuses moves to done."""

    @hookimpl
    def cergas_card_before_move(self, card, target):
        store = plugin_store("penghitung")
        store.set("checked", store.get("checked", 0) + 1)
        if target.kind == "done":
            return Veto("Belum boleh selesai.")
        return None


def test_store_writes_in_a_veto_hook_share_the_fate_of_the_move(database_url):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"penghitung": Counter()})
    try:
        with app.app_context():
            head, board = head_with_board()
            backlog, doing, _review, done = board.columns
            due = (date.today() + timedelta(days=5)).isoformat()
            card = cards.create_card(head, board.id, {"title": "Surat", "due_date": due}).card
            cards.move_card(head, card.id, doing.id)
            with pytest.raises(Vetoed):
                cards.move_card(head, card.id, done.id)
            # The creation (into the backlog) and the allowed move kept their counts; the refused
            # move's count rolled back with the move.
            assert plugin_store("penghitung").get("checked") == 2
            assert db.session.scalar(select(Card.column_id).where(Card.id == card.id)) == doing.id
            assert backlog.kind == "backlog"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
