"""Every route x every role: who may do what, and what the others get.

Levels: `login` needs any signed-in person; `board` needs someone who may see the board
(members of its unit, heads of it or an ancestor, admins), others get 404; `manage` is for the
heads and admins, members get 403; `create` is creating a board in the unit (heads, admins);
`admin` is for site administrators only, everyone else signed in gets 403; `own` is a
notification addressed to staff: staff may act on it, everyone else signed in gets 404.
A new route without a row here fails `test_every_route_is_in_the_matrix`.
"""

import pytest

from app.extensions import db
from app.plugin_api import Setting, hookimpl
from app.services import cards
from app.services.notifications import notify
from tests.conftest import NIPS, PASSWORD, get_user, make_app

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
        "boards.plugin_settings",
        "POST",
        "/boards/{board}/plugins/matriks",
        {"enabled": "1", "setting-limit": "4"},
        "manage",
    ),
    ("admin.plugins", "GET", "/admin/plugins", None, "admin"),
    (
        "api.get_plugin_settings",
        "GET",
        "/api/v1/boards/{board}/plugins/matriks/settings",
        None,
        "api-board",
    ),
    (
        "api.put_plugin_settings",
        "PUT",
        "/api/v1/boards/{board}/plugins/matriks/settings",
        {"settings": {"limit": 4}},
        "api-manage",
    ),
    ("api.list_plugins", "GET", "/api/v1/plugins", None, "api-admin"),
    (
        "api.create_token",
        "POST",
        "/api/v1/tokens",
        {"username": "{login}", "password": PASSWORD},
        "api-token",
    ),
    # Notifications: each person's own; `own` rows act on a notification addressed to staff.
    ("notifications.index", "GET", "/notifications", None, "login"),
    ("notifications.mark_read", "POST", "/notifications/{notification}/read", None, "own"),
    ("notifications.mark_all_read", "POST", "/notifications/read-all", None, "login"),
    ("api.list_notifications", "GET", "/api/v1/notifications", None, "api-login"),
    (
        "api.read_notification",
        "POST",
        "/api/v1/notifications/{notification}/read",
        None,
        "api-own",
    ),
    ("api.read_all_notifications", "POST", "/api/v1/notifications/read-all", None, "api-login"),
]


class MatrixPlugin:
    """A plugin with one setting, so the plugin routes have something to show and change."""

    @hookimpl
    def cergas_settings(self):
        return [Setting("limit", "int", 3, "Limit")]


@pytest.fixture
def app(database_url):
    """The shared app, plus the plugin above (it changes nothing else any route does)."""
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"matriks": MatrixPlugin()})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


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
        if level == "api-manage":
            return ok_api if role in MANAGERS else ({403} if role in VIEWERS else {404})
        if level == "api-admin":
            return ok_api if role == "admin" else {403}
        if level == "api-own":
            return ok_api if role == "staff" else {404}
        return ok_api if role in VIEWERS else {404}
    if role == "anonymous":
        return {302}  # to the login page
    if level == "login":
        return ok_html
    if level == "create":
        return ok_html if role in MANAGERS else {403}
    if level == "board":
        return ok_html if role in VIEWERS else {404}
    if level == "admin":
        return ok_html if role == "admin" else {403}
    if level == "own":
        return ok_html if role == "staff" else {404}
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
        notification_id = notify(get_user("staff", org), "Kartu baru untuk Anda").id
    login = "admin" if role == "admin" else NIPS.get(role, "nobody")
    ids = {
        "board": org.board_id,
        "card": card_id,
        "backlog": org.backlog,
        "review": org.review,
        "login": login,
        "notification": notification_id,
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
