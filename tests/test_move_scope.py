"""A veto hook's scope (`cergas_move_scope`): a move between columns that no enabled plugin may
refuse takes the fast path (app/services/moves.py), one that a plugin may refuse is asked under
the lock, and a plugin switched on or set up between the read and the lock is asked too. On a
SQLite file (so that another connection can write in between) and on PostgreSQL."""

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import BoardPlugin, Card, User
from app.services import card_types, cards
from app.services import plugins as board_plugins
from app.services.errors import Vetoed
from app.services.plugin_store import board_plugins_version
from cergas.plugin import MoveScope, Veto, hookimpl
from plugins.approvals import paraf as approvals
from tests.approvals_fixtures import CHAIN, NIPS, build
from tests.conftest import database_for, head_with_board, make_app
from tests.test_quick_move import DUE, at_the_lock, meanwhile

pytestmark = pytest.mark.pg  # races between the read and the lock: both databases


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    return database_for(request.param, f"sqlite:///{tmp_path}/cergas.db")


@pytest.fixture
def paraf(database_url):
    """The approvals plugin with a chain for surat-keluar (review column Paraf) on a board whose
    columns are Draf, Dikerjakan, Paraf and Terkirim (done)."""
    app, seeded = build(database_url)
    yield app, seeded
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def premises_held(monkeypatch):
    seen: list[bool] = []
    at_the_lock(monkeypatch, after=seen.append)
    return seen


def user(key: str) -> User:
    return db.session.scalar(select(User).where(User.nip == NIPS[key]))


def new_card(seeded, column: str, card_type: str) -> int:
    fields = {"title": "Nota dinas", "type": card_type, "due_date": DUE}
    made = cards.create_card(
        user("drafter"), seeded.board_id, fields, column_id=seeded.column[column]
    )
    return made.card.id


def column_of(card_id) -> int:
    with db.engine.connect() as other:
        return other.scalar(select(Card.column_id).where(Card.id == card_id))


def json_value(name: str) -> str:
    """A JSON parameter in raw SQL (PostgreSQL's json column takes no text without a cast)."""
    return f"CAST(:{name} AS json)" if db.engine.dialect.name == "postgresql" else f":{name}"


def test_moves_outside_the_chains_take_the_fast_path(paraf, premises_held):
    app, s = paraf
    with app.app_context():
        drafter = user("drafter")
        # A type without a chain, even into the review and the done column.
        plain = new_card(s, "Draf", "tugas")
        for column in ("Dikerjakan", "Paraf", "Terkirim"):
            cards.move_card(drafter, plain, s.column[column])
        assert premises_held == [True, True, True]
        assert column_of(plain) == s.column["Terkirim"]
        # A chained type between columns that are neither its review column nor done.
        cards.move_card(drafter, s.card_id, s.column["Draf"])
        assert premises_held == [True, True, True, True]
        # Into its review column: under the lock, where the plugin starts the chain.
        cards.move_card(drafter, s.card_id, s.column["Paraf"])
        assert len(premises_held) == 4
        assert approvals.state_of(s.card_id)["state"] == "pending"
        # Into done: the plugin's gate refuses it under the lock.
        with pytest.raises(Vetoed):
            cards.move_card(drafter, s.card_id, s.column["Terkirim"])
        assert len(premises_held) == 4 and column_of(s.card_id) == s.column["Paraf"]
        # Out of the review column: under the lock, where the plugin withdraws the request.
        cards.move_card(drafter, s.card_id, s.column["Dikerjakan"])
        assert len(premises_held) == 4
        assert approvals.state_of(s.card_id)["state"] != "pending"


def test_a_chain_saved_after_the_read_lets_the_veto_decide(paraf, monkeypatch, premises_held):
    app, s = paraf
    with app.app_context():
        nota = new_card(s, "Dikerjakan", "nota-dinas")
        chains = [CHAIN, {**CHAIN, "type": "nota-dinas"}]
        meanwhile(
            monkeypatch,
            f"UPDATE board_plugins SET settings = {json_value('settings')},"
            " version = version + 1 WHERE board_id = :board AND plugin = 'approvals'",
            settings=json.dumps({"chains": chains}),
            board=s.board_id,
        )
        with pytest.raises(Vetoed) as refused:
            cards.move_card(user("drafter"), nota, s.column["Terkirim"])
        # Read without a chain for its type, the move was found out of the plugin's scope; under
        # the lock the premise on the board's plugin settings failed and the gate refused.
        assert premises_held == [False]
        assert refused.value.vetoes[0]["plugin"] == "approvals"
        assert column_of(nota) == s.column["Dikerjakan"]


def test_a_plugin_switched_on_after_the_read_is_asked(paraf, monkeypatch, premises_held):
    app, s = paraf
    with app.app_context():
        board_plugins.set_board_plugin(user("kasi"), s.board_id, "approvals", enabled=False)
        meanwhile(
            monkeypatch,
            "UPDATE board_plugins SET enabled = :on, version = version + 1"
            " WHERE board_id = :board AND plugin = 'approvals'",
            on=True,
            board=s.board_id,
        )
        cards.move_card(user("drafter"), s.card_id, s.column["Paraf"])
        assert premises_held == [False]
        # The general path asked the plugin, which started the chain.
        assert approvals.state_of(s.card_id)["state"] == "pending"


def test_every_save_of_a_board_plugin_changes_its_version(paraf):
    app, s = paraf
    with app.app_context():
        kasi = user("kasi")
        before = board_plugins_version(s.board_id)
        board_plugins.set_board_plugin(kasi, s.board_id, "approvals", settings={"chains": []})
        db.session.expire_all()
        from app.services.plugin_store import forget_board_plugins

        forget_board_plugins()
        after_settings = board_plugins_version(s.board_id)
        board_plugins.set_board_plugin(kasi, s.board_id, "approvals", enabled=False)
        forget_board_plugins()
        assert before < after_settings < board_plugins_version(s.board_id)
        row = db.session.scalar(select(BoardPlugin).where(BoardPlugin.board_id == s.board_id))
        assert row.version == 3  # saved with the chain by the fixture, then twice here


def test_a_move_scope_matches_types_columns_and_kinds():
    scope = MoveScope(card_types={"surat-keluar"}, columns={" Paraf "}, target_kinds={"done"})
    assert scope.covers("surat-keluar", "Dikerjakan", "PARAF", "active")
    assert scope.covers("surat-keluar", "paraf", "Dikerjakan", "active")
    assert scope.covers("surat-keluar", "Dikerjakan", "Arsip", "done")
    assert not scope.covers("surat-keluar", "Draf", "Dikerjakan", "active")
    assert not scope.covers("tugas", "Paraf", "Terkirim", "done")
    assert MoveScope(card_types=None, target_kinds={"done"}).covers("tugas", "a", "b", "done")
    assert not MoveScope().covers("tugas", "a", "b", "done")


class RefusesDoneOfLetters:
    """A plugin that declares its scope: letters into done columns."""

    asked = 0

    @hookimpl
    def cergas_card_before_move(self, card, target):
        type(self).asked += 1
        return Veto("Belum bernomor.") if target.kind == "done" else None

    @hookimpl
    def cergas_move_scope(self, board):
        return MoveScope(card_types={"surat"}, target_kinds={"done"})


class ScopeFails:
    @hookimpl
    def cergas_card_before_move(self, card, target):
        return Veto("Tidak boleh.") if target.kind == "done" else None

    @hookimpl
    def cergas_move_scope(self, board):
        raise RuntimeError("settings unreadable")


def test_a_declared_scope_sends_only_its_moves_to_the_veto(database_url, premises_held):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"nomor": RefusesDoneOfLetters()})
    RefusesDoneOfLetters.asked = 0
    try:
        with app.app_context():
            head, board = head_with_board()
            _backlog, doing, _review, done = board.columns
            card_types.add(head, "type", board.id, "Surat")  # the type the plugin scopes
            fields = {"title": "A", "due_date": DUE}
            task = cards.create_card(head, board.id, {**fields, "type": "tugas"}).card.id
            letter = cards.create_card(head, board.id, {**fields, "type": "surat"}).card.id
            # Creations always ask the vetoes (they take the locked path anyway); the scope is
            # about moves between columns.
            assert RefusesDoneOfLetters.asked == 2
            RefusesDoneOfLetters.asked = 0
            cards.move_card(head, task, done.id)
            cards.move_card(head, letter, doing.id)
            assert premises_held == [True, True] and RefusesDoneOfLetters.asked == 0
            with pytest.raises(Vetoed):
                cards.move_card(head, letter, done.id)
            assert premises_held == [True, True] and RefusesDoneOfLetters.asked == 1
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_failing_scope_hook_sends_every_move_to_the_veto(database_url, premises_held):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"rusak": ScopeFails()})
    try:
        with app.app_context():
            head, board = head_with_board()
            _backlog, doing, _review, done = board.columns
            card = cards.create_card(head, board.id, {"title": "A", "due_date": DUE}).card.id
            cards.move_card(head, card, doing.id)
            with pytest.raises(Vetoed):
                cards.move_card(head, card, done.id)
            assert premises_held == []
            record = app.extensions["cergas_plugins"].records["rusak"]
            assert record.errors >= 2 and "cergas_move_scope" in record.last_error
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
