"""Every route x every role: who may do what, and what the others get.

Levels: `login` needs any signed-in person; `board` needs someone who may see the board
(members of its unit, heads of it or an ancestor, admins), others get 404; `manage` is for the
heads and admins, members get 403; `create` is creating a board in the unit (heads, admins).
A new route without a row here fails `test_every_route_is_in_the_matrix`.
"""

import pytest

from app.services import cards
from tests.conftest import NIPS, PASSWORD, get_user

ROLES = ["anonymous", "outsider", "staff", "kasi", "kabid", "kadis", "admin"]
VIEWERS = {"staff", "kasi", "kabid", "kadis", "admin"}
MANAGERS = {"kasi", "kabid", "kadis", "admin"}

COLUMN = {"name": "Periksa", "wip_limit": "2", "wip_policy": "soft", "kind": "active"}
MATRIX = [
    # endpoint, method, url, body, level
    ("home.index", "GET", "/", None, "login"),
    ("auth.login", "GET", "/login", None, "public"),
    ("auth.login", "POST", "/login", {"username": "{login}", "password": PASSWORD}, "login-form"),
    ("auth.logout", "POST", "/logout", None, "public"),
    ("auth.language", "POST", "/language", {"locale": "en"}, "public"),
    ("boards.index", "GET", "/boards", None, "login"),
    ("boards.index", "POST", "/boards", {"name": "Papan Baru", "unit": "SEKSI-APL"}, "create"),
    ("boards.board", "GET", "/boards/{board}", None, "board"),
    (
        "boards.add_card",
        "POST",
        "/boards/{board}/cards",
        {"title": "Baru", "column_id": "{backlog}"},
        "board",
    ),
    ("boards.settings", "GET", "/boards/{board}/settings", None, "manage"),
    (
        "boards.settings",
        "POST",
        "/boards/{board}/settings",
        {"name": "Papan", "personal_wip_limit": "2"},
        "manage",
    ),
    ("boards.add_column", "POST", "/boards/{board}/columns", {**COLUMN, "name": "Arsip"}, "manage"),
    ("boards.update_column", "POST", "/boards/{board}/columns/{review}", COLUMN, "manage"),
    (
        "boards.move_column",
        "POST",
        "/boards/{board}/columns/{review}/move",
        {"direction": "left"},
        "manage",
    ),
    ("boards.delete_column", "POST", "/boards/{board}/columns/{review}/delete", None, "manage"),
    ("cards.card", "GET", "/cards/{card}", None, "board"),
    ("cards.card", "POST", "/cards/{card}", {"title": "Judul baru", "version": "1"}, "board"),
    ("cards.add_comment", "POST", "/cards/{card}/comments", {"body": "Sudah dicek."}, "board"),
    ("cards.move", "GET", "/cards/{card}/move", None, "board"),
    ("cards.move", "POST", "/cards/{card}/move", {"column_id": "{review}"}, "board"),
    ("api.list_boards", "GET", "/api/v1/boards", None, "api-login"),
    (
        "api.create_board",
        "POST",
        "/api/v1/boards",
        {"name": "Papan API", "unit": "SEKSI-APL"},
        "api-create",
    ),
    ("api.get_board", "GET", "/api/v1/boards/{board}", None, "api-board"),
    ("api.create_card", "POST", "/api/v1/boards/{board}/cards", {"title": "Baru"}, "api-board"),
    ("api.get_card", "GET", "/api/v1/cards/{card}", None, "api-board"),
    (
        "api.update_card",
        "PATCH",
        "/api/v1/cards/{card}",
        {"version": 1, "title": "Baru"},
        "api-board",
    ),
    ("api.move_card", "POST", "/api/v1/cards/{card}/move", {"column_id": "{review}"}, "api-board"),
    ("api.add_comment", "POST", "/api/v1/cards/{card}/comments", {"body": "Oke"}, "api-board"),
    ("api.card_events", "GET", "/api/v1/cards/{card}/events", None, "api-board"),
    (
        "api.create_token",
        "POST",
        "/api/v1/tokens",
        {"username": "{login}", "password": PASSWORD},
        "api-token",
    ),
]


def expected(level: str, role: str) -> set[int]:
    """The statuses a role may get at a level."""
    ok_html, ok_api = {200, 302, 303}, {200, 201}
    if level == "public":
        return ok_html
    if level == "login-form":
        return {401} if role == "anonymous" else {302}
    if level.startswith("api-"):
        if level == "api-token":
            return {401} if role == "anonymous" else {201}
        if role == "anonymous":
            return {401}
        if level == "api-login":
            return ok_api
        if level == "api-create":
            return ok_api if role in MANAGERS else {403}
        return ok_api if role in VIEWERS else {404}
    if role == "anonymous":
        return {302}  # to the login page
    if level == "login":
        return ok_html
    if level == "create":
        return ok_html if role in MANAGERS else {403}
    if level == "board":
        return ok_html if role in VIEWERS else {404}
    if level == "manage":
        return ok_html if role in MANAGERS else ({403} if role in VIEWERS else {404})
    raise AssertionError(level)


def fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    return value


def typed(body: dict) -> dict:
    """JSON bodies carry numbers as numbers."""
    return {key: int(value) if key == "column_id" else value for key, value in body.items()}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "endpoint,method,url,body,level",
    MATRIX,
    ids=[f"{method} {url}" for _e, method, url, _b, _l in MATRIX],
)
def test_route_gives_each_role_what_it_may(
    app, client, org, tokens, role, endpoint, method, url, body, level
):
    with app.app_context():
        card = cards.create_card(
            get_user("admin", org),
            org.board_id,
            {"title": "Permohonan data", "due_date": "2026-12-01"},
        ).card
        card_id = card.id
    login = "admin" if role == "admin" else NIPS.get(role, "nobody")
    ids = {
        "board": org.board_id,
        "card": card_id,
        "backlog": org.backlog,
        "review": org.review,
        "login": login,
    }
    url, body = fill(url, ids), fill(body, ids)
    headers = {}
    if url.startswith("/api/"):
        if role != "anonymous" and level != "api-token":
            headers["Authorization"] = f"Bearer {tokens[role]}"
        if role == "anonymous" and level == "api-token":
            body = {**body, "password": "salah-sekali"}
        response = client.open(
            url, method=method, json=typed(body) if body else None, headers=headers
        )
    else:
        if role != "anonymous":
            client.post("/login", data={"username": login, "password": PASSWORD})
        response = client.open(url, method=method, data=body)
    assert response.status_code in expected(level, role), response.get_data(as_text=True)[:300]
    if (
        role == "anonymous"
        and not url.startswith("/api/")
        and level not in ("public", "login-form")
    ):
        assert "/login" in response.headers["Location"]


def test_every_route_is_in_the_matrix(app):
    covered = {(endpoint, method) for endpoint, method, *_ in MATRIX}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - covered == set(), "routes without a permission row"
    assert covered - routes == set(), "rows for routes that no longer exist"
