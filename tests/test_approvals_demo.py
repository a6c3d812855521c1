"""`cergas demo` with the approvals plugin installed (loaded through its entry point, as a
server does): the Persuratan board has its paraf chain and a letter waits for the Sekretaris."""

import pytest
from sqlalchemy import select

from app import demo as demo_data
from app.extensions import db
from app.models import Board, Card, User
from tests.conftest import make_app

# Each test builds the whole demo office (1-3 s): in the full run (`.ci/run`); the fast run keeps
# test_cli's check that `cergas demo` fills an empty database.
pytestmark = pytest.mark.slow


def test_demo_letters_wait_in_the_sekretaris_inbox(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="approvals")
    try:
        assert app.extensions["cergas_plugins"].loaded() == ["approvals"]
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            from plugins.approvals.inbox import waiting_on

            sekretaris = db.session.scalar(select(User).where(User.name.startswith("Sri Wahyuni")))
            items = waiting_on(sekretaris)
            assert items, "a letter waits for the Sekretaris"
            board = db.session.scalar(select(Board).where(Board.name == demo_data.PERSURATAN.name))
            assert {item.card.board_id for item in items} == {board.id}
            assert all(item.label == "Sekretaris" for item in items)
            # The letters already sent went through the chain: no letter stands in a done column
            # without an approval of what it says.
            from plugins.approvals import paraf

            sent = [
                card
                for column in board.columns
                if column.kind == "done"
                for card in db.session.scalars(select(Card).where(Card.column_id == column.id))
                if card.type == "surat-keluar"
            ]
            assert sent
            assert all(paraf.approval_holds(paraf.state_of(card.id), card) for card in sent)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
