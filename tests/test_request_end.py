"""The end of a request on PostgreSQL (app/services/tx.py `end_request`): a transaction that only
read ends with COMMIT, so psycopg keeps the connection's prepared statements (it forgets them
all on a ROLLBACK, and a card move's pipeline statement is prepared); anything flushed outside a
write transaction is still rolled back."""

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import Card
from app.services import cards, tx
from tests.conftest import get_user


@pytest.fixture
def endings(app):
    """'commit' or 'rollback' for each end of a database transaction, in order."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    seen: list[str] = []
    with app.app_context():
        engine = db.engine
    listeners = {
        "commit": lambda conn: seen.append("commit"),
        "rollback": lambda conn: seen.append("rollback"),
    }
    for name, listener in listeners.items():
        event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners.items():
        event.remove(engine, name, listener)


def test_a_move_and_its_answer_keep_the_prepared_move_statement(app, org, api, endings):
    with app.app_context():
        card_id = cards.create_card(
            get_user("staff", org), org.board_id, {"title": "Nota", "due_date": "2031-01-31"}
        ).card.id
    del endings[:]
    moved = api("staff").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.doing})
    assert moved.status_code == 200
    read = api("staff").get(f"/api/v1/boards/{org.board_id}")
    assert read.status_code == 200
    assert endings and "rollback" not in endings, endings


def test_a_read_request_with_a_stray_flush_still_rolls_back(app, org, endings):
    with app.app_context():
        staff = get_user("staff", org)
        card_id = cards.create_card(
            staff, org.board_id, {"title": "Nota", "due_date": "2031-01-31"}
        ).card.id
    with app.app_context():
        card = db.session.get(Card, card_id)
        card.title = "Tidak disimpan"
        db.session.flush()  # outside any write transaction: must not be committed
        del endings[:]
    assert endings == ["rollback"]
    with app.app_context():
        assert db.session.scalar(select(Card.title).where(Card.id == card_id)) == "Nota"
        assert not tx.in_write_transaction()
