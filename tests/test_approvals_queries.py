# ruff: noqa: F811 - the `chain` fixture is imported from tests.approvals_fixtures
"""The approvals plugin keeps pages constant in queries: the board (badges), the board API
(`plugins.approvals`) and the inbox ask the same number of queries for 2 or 12 waiting cards."""

from sqlalchemy import select

from app.extensions import db
from app.models import User
from app.services import cards
from tests.approvals_fixtures import NIPS, api, chain  # noqa: F401
from tests.conftest import PASSWORD
from tests.query_counter import count_queries


def add_waiting_cards(app, s, n):
    with app.app_context():
        drafter = db.session.scalar(select(User).where(User.nip == NIPS["drafter"]))
        for i in range(n):
            card = cards.create_card(
                drafter,
                s.board_id,
                {"title": f"Surat {i}", "type": "surat-keluar", "due_date": "2026-12-31"},
                column_id=s.column["Dikerjakan"],
            ).card
            cards.move_card(drafter, card.id, s.column["Paraf"])


def queries(app, client, url, headers=None):
    with count_queries(app) as statements:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return len(statements)


def test_board_board_api_and_inbox_are_constant_in_the_number_of_waiting_cards(chain):
    app, s = chain
    browser = app.test_client()
    browser.post("/login", data={"username": NIPS["kasi"], "password": PASSWORD})
    token = {"Authorization": f"Bearer {s.tokens['kasi']}"}
    # A token's first use is recorded (a write, then at most one every few minutes).
    assert app.test_client().get("/api/v1/boards", headers=token).status_code == 200
    add_waiting_cards(app, s, 2)
    few = [
        queries(app, browser, f"/boards/{s.board_id}"),
        queries(app, browser, "/plugins/approvals/inbox"),
        queries(app, app.test_client(), f"/api/v1/boards/{s.board_id}", token),
        queries(app, app.test_client(), "/api/v1/approvals/inbox", token),
    ]
    add_waiting_cards(app, s, 10)
    many = [
        queries(app, browser, f"/boards/{s.board_id}"),
        queries(app, browser, "/plugins/approvals/inbox"),
        queries(app, app.test_client(), f"/api/v1/boards/{s.board_id}", token),
        queries(app, app.test_client(), "/api/v1/approvals/inbox", token),
    ]
    assert many == few
    inbox = api(app, s, "kasi").get("/api/v1/approvals/inbox").get_json()["items"]
    assert len(inbox) == 12
    page = browser.get(f"/boards/{s.board_id}").get_data(as_text=True)
    assert page.count("Paraf 1/3") == 12
