"""On the demo office the workload plugin does what the issue promises: the overloaded person is
flagged on the board, the suggestion names a less-loaded member with the skill, and a head's
one-click reassignment goes through and is audited."""

import re

import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import Board, Card, Event, User
from tests.conftest import make_app

# Each test builds the whole demo office (1-3 s): in the full run (`.ci/run`); the fast run keeps
# test_cli's check that `cergas demo` fills an empty database.
pytestmark = pytest.mark.slow

KASI_PIP = "198204182006042012"  # Retno Widyaningsih, head of Seksi PIP
FITRI = "199411272020122005"
AHMAD = "198808192011011009"
CARD = "Permohonan data anggaran pemeliharaan jalan 2024"


@pytest.fixture
def app():
    app = make_app("sqlite://", CERGAS_PLUGINS="workload")
    with app.app_context():
        demo.create_demo()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_demo_flags_fitri_suggests_ahmad_and_reassigns_with_an_audit_event(app):
    client = app.test_client()
    client.post("/login", data={"username": KASI_PIP, "password": demo.PASSWORD})
    client.post("/language", data={"locale": "en"})
    with app.app_context():
        board_id = db.session.scalar(
            select(Board.id).where(Board.name == "Layanan Informasi Publik")
        )
        card = db.session.scalar(select(Card).where(Card.title == CARD))
        card_id, version = card.id, card.version

    page = client.get(f"/boards/{board_id}").get_data(as_text=True)
    assert "Unbalanced load: Fitri Handayani, S.Sos. holds 4 active cards" in page

    workload = client.get(f"/plugins/workload/boards/{board_id}").get_data(as_text=True)
    suggestion = workload[workload.index(CARD) :]
    suggestion = suggestion[: suggestion.index("</ul>")]
    assert "Service excellence" in suggestion
    assert re.search(r"Ahmad Fauzi", suggestion)
    assert "Give to Ahmad Fauzi" in suggestion

    response = client.post(
        f"/plugins/workload/cards/{card_id}/reassign",
        data={"assignee": AHMAD, "version": str(version)},
    )
    assert response.status_code == 303
    with app.app_context():
        card = db.session.get(Card, card_id)
        assert card.assignee.nip == AHMAD
        event = db.session.scalars(
            select(Event).where(Event.card_id == card_id, Event.kind == "assigned")
        ).all()[-1]
        head = db.session.scalar(select(User).where(User.nip == KASI_PIP))
        assert event.actor_id == head.id
        assert event.data == {"old": FITRI, "new": AHMAD}
