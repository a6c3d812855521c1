"""Whatever a browser (or someone poking at the forms) sends, the HTML pages answer with a 4xx
and change nothing, never a 500."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, Event

HUGE = "9" * 30
LONG = "x" * 30_000


def bad_requests(org, card_id):
    b, c = org.board_id, card_id
    return [
        ("get", f"/boards/{HUGE}", None, {}),
        ("get", "/boards/2147483647", None, {}),
        ("get", f"/cards/{HUGE}", None, {}),
        ("get", f"/cards/{c}/move?column_id={HUGE}&place=-3", None, {}),
        ("get", f"/boards/{b}?assignee={HUGE}&label={LONG}&overdue=maybe&q={LONG}", None, {}),
        ("get", f"/boards/{b}", None, {"HX-Request": "true", "HX-Current-URL": "http://[::1"}),
        ("post", f"/boards/{b}/cards", {"title": LONG, "column_id": HUGE}, {}),
        (
            "post",
            f"/boards/{b}/cards",
            {"title": "x", "column_id": org.doing, "due_date": "2026-02-30"},
            {},
        ),
        ("post", f"/boards/{b}/cards", {"column_id": "-1"}, {"HX-Request": "true"}),
        ("post", f"/cards/{c}/move", {"column_id": org.doing, "position": "-1"}, {}),
        (
            "post",
            f"/cards/{c}/move",
            {"column_id": org.doing, "position": HUGE},
            {"HX-Request": "true"},
        ),
        ("post", f"/cards/{c}/move", {"column_id": HUGE, "place": HUGE}, {}),
        ("post", f"/cards/{c}/move", {}, {"HX-Request": "true", "HX-Target": "dialog-body"}),
        ("post", f"/cards/{c}", {"version": "abc", "title": "x"}, {}),
        (
            "post",
            f"/cards/{c}",
            {"version": HUGE, "estimate": "1e999", "due_date": "9999-99-99"},
            {},
        ),
        (
            "post",
            f"/cards/{c}",
            {"version": "1", "labels": ",".join(["l"] * 50), "type": "Surat Keluar!"},
            {},
        ),
        ("post", f"/cards/{c}", {"version": "1", "description": LONG * 2}, {}),
        ("post", f"/cards/{c}/comments", {"body": LONG * 2}, {}),
        ("post", f"/boards/{b}/settings", {"name": LONG, "personal_wip_limit": HUGE}, {}),
        ("post", f"/boards/{b}/columns", {"name": "x", "wip_limit": "1.5", "kind": "?"}, {}),
        ("post", f"/boards/{b}/columns/{org.doing}", {"name": "x", "wip_policy": "?"}, {}),
        ("post", f"/boards/{b}/columns/{org.doing}/move", {"direction": HUGE}, {}),
        ("post", f"/boards/{b}/columns/{HUGE}/delete", {}, {}),
        ("post", "/boards", {"name": "x", "unit": LONG, "personal_wip_limit": "abc"}, {}),
        ("post", "/language", {"locale": LONG, "next": "javascript:alert(1)"}, {}),
        ("post", "/login", {"username": LONG, "password": LONG}, {}),
        ("delete", f"/cards/{c}", None, {}),
    ]


@pytest.mark.parametrize("who", ["staff", "kasi"])
def test_nonsense_requests_are_answered_without_a_server_error(app, client, auth, org, who):
    from app.services import cards
    from tests.conftest import get_user

    with app.app_context():
        card_id = cards.create_card(get_user("staff", org), org.board_id, {"title": "Uji"}).card.id
        before = db.session.scalar(select(func.count(Event.id)))
    auth.login(org.nips[who])
    for method, url, data, headers in bad_requests(org, card_id):
        response = getattr(client, method)(url, data=data, headers=headers)
        assert 400 <= response.status_code < 500 or response.status_code in (200, 302), (url, data)
        assert response.status_code != 500
    with app.app_context():
        card = db.session.get(Card, card_id)
        assert (card.title, card.column_id, card.version) == ("Uji", org.backlog, 1)
        assert db.session.scalar(select(func.count(Event.id))) == before
