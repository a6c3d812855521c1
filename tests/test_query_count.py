"""The board's SQL query count does not grow with the number of cards, with or without a plugin
that decorates every card (badges, warnings, API data)."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Card
from app.services import boards, cards, checklists
from cergas.plugin import Badge, BoardWarning, hookimpl
from tests.conftest import get_user, make_app
from tests.query_counter import count_queries

pytestmark = pytest.mark.pg


class Decorator:
    """Decorates every card from what the board loaded (card.column and card.assignee are in
    the session already), so it adds no query per card; it records the cards it was given."""

    def __init__(self):
        self.calls: list[tuple[str, int]] = []

    @hookimpl
    def cergas_card_badges(self, cards, board):
        self.calls.append(("badges", len(cards)))
        return {
            c.id: [Badge(c.column.kind, tone="warning" if c.assignee is None else "info")]
            for c in cards
        }

    @hookimpl
    def cergas_board_warnings(self, board, cards):
        self.calls.append(("warnings", len(cards)))
        unassigned = sum(1 for c in cards if c.assignee is None)
        return [BoardWarning(f"{unassigned} cards have nobody assigned")] if unassigned else []

    @hookimpl
    def cergas_card_api(self, cards, board):
        self.calls.append(("api", len(cards)))
        return {c.id: {"column_kind": c.column.kind} for c in cards}


@pytest.fixture(params=["core", "with-plugin"])
def app(request, database_url):
    """The core alone, and the core with the decorating plugin enabled on every board."""
    objects = {"decorator": Decorator()} if request.param == "with-plugin" else {}
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS=objects)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def decorator_calls(app) -> list[tuple[str, int]] | None:
    plugin = app.extensions["cergas_plugins"].pm.get_plugin("decorator")
    return None if plugin is None else plugin.calls


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
    assert many <= 16  # 15, and one for the board's card types and labels (issue 26)
    calls = decorator_calls(app)
    if calls is not None:  # one call per hook and page, with every card of the board
        assert calls == [("badges", 3), ("warnings", 3), ("badges", 63), ("warnings", 63)]


def test_board_api_query_count_does_not_grow_with_cards(app, client, org, tokens):
    headers = {"Authorization": f"Bearer {tokens['staff']}"}
    add_cards(app, org, 3)
    # A token's first use is recorded (a write, then at most one every few minutes).
    assert client.get("/api/v1/boards", headers=headers).status_code == 200
    with count_queries(app) as few:
        assert client.get(f"/api/v1/boards/{org.board_id}", headers=headers).status_code == 200
    add_cards(app, org, 60, start=3)
    with count_queries(app) as many:
        response = client.get(f"/api/v1/boards/{org.board_id}", headers=headers)
    body = response.get_json()
    assert sum(len(c["cards"]) for c in body["columns"]) == 63
    assert len(few) == len(many) <= 15
    calls = decorator_calls(app)
    if calls is not None:
        assert calls == [("api", 3), ("warnings", 3), ("api", 63), ("warnings", 63)]
        assert all(c["plugins"]["decorator"]["column_kind"] for c in body["columns"][0]["cards"])
        assert body["warnings"][0]["plugin"] == "decorator"


def test_board_page_query_count_is_constant_with_checklists_on_every_card(app, client, auth, org):
    """The "☑ 3/5" badge comes from the card's counters: no query per card (issue 23)."""

    def add_checklists():
        with app.app_context():
            staff = get_user("staff", org)
            for card_id in db.session.scalars(
                select(Card.id).where(Card.checklist_total == 0, Card.board_id == org.board_id)
            ).all():
                checklists.add_item(staff, card_id, {"text": "Draf"})

    auth.login(org.nips["staff"])
    add_cards(app, org, 3)
    add_checklists()
    few = board_page_queries(app, client, org)
    add_cards(app, org, 5, start=3)
    add_checklists()
    with count_queries(app) as statements:
        html = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert html.count('class="checklist-badge"') == 8 and "0/1</span>" in html
    assert few == len(statements)
