"""The board's SQL query count does not grow with the number of cards."""

from app.extensions import db
from app.services import boards, cards
from tests.conftest import get_user
from tests.query_counter import count_queries


def add_cards(app, org, n, start=0):
    with app.app_context():
        staff = get_user("staff", org)
        people = [org.nips["staff"], org.nips["staff2"], org.nips["kasi"], None]
        for i in range(start, start + n):
            cards.create_card(
                staff,
                org.board_id,
                {
                    "title": f"Kartu {i}",
                    "assignee": people[i % len(people)],
                    "due_date": "2026-12-01" if i % 2 else None,
                    "labels": ["ppid", f"l{i % 3}"],
                },
            )


def board_page_queries(app, client, org):
    with count_queries(app) as statements:
        response = client.get(f"/boards/{org.board_id}")
    assert response.status_code == 200
    return len(statements)


def test_load_board_query_count_is_constant(app, org):
    add_cards(app, org, 3)
    with app.app_context(), count_queries(app) as few:
        view = boards.load_board(get_user("staff", org), org.board_id)
        assert sum(len(c) for c in view.cards.values()) == 3
        db.session.expire_all()
    add_cards(app, org, 40, start=3)
    with app.app_context(), count_queries(app) as many:
        view = boards.load_board(get_user("staff", org), org.board_id)
        assert sum(len(c) for c in view.cards.values()) == 43
    assert len(few) == len(many)


def test_board_page_query_count_does_not_grow_with_cards(app, client, auth, org):
    auth.login(org.nips["staff"])
    add_cards(app, org, 3)
    few = board_page_queries(app, client, org)
    add_cards(app, org, 60, start=3)
    many = board_page_queries(app, client, org)
    assert few == many
    assert many <= 15


def test_board_api_query_count_does_not_grow_with_cards(app, client, org, tokens):
    headers = {"Authorization": f"Bearer {tokens['staff']}"}
    add_cards(app, org, 3)
    with count_queries(app) as few:
        assert client.get(f"/api/v1/boards/{org.board_id}", headers=headers).status_code == 200
    add_cards(app, org, 60, start=3)
    with count_queries(app) as many:
        response = client.get(f"/api/v1/boards/{org.board_id}", headers=headers)
    assert sum(len(c["cards"]) for c in response.get_json()["columns"]) == 63
    assert len(few) == len(many) <= 15
