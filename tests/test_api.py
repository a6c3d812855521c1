"""JSON API v1: authentication, visibility, and the answer of every endpoint, shape by shape."""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import ApiToken, Event, User
from app.services import accounts, boards, cards
from tests.conftest import PASSWORD, SeededApp, build_org, get_user, make_app

DUE = "2026-12-01"
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
CARD_KEYS = {
    "id",
    "board_id",
    "column_id",
    "position",
    "title",
    "description",
    "type",
    "type_name",
    "type_colour",
    "label_details",
    "assignee",
    "due_date",
    "priority",
    "estimate",
    "labels",
    "version",
    "deadline_changes",
    "sprint_id",
    "created_at",
    "updated_at",
    "plugins",
    "checklist",
    "attachment_count",
    "archived_at",
    "archived_by",
    "rhk",
}
PROTECTED_ROUTES = [
    ("get", "/api/v1/boards"),
    ("post", "/api/v1/boards"),
    ("get", "/api/v1/boards/{board}"),
    ("post", "/api/v1/boards/{board}/cards"),
    ("get", "/api/v1/cards/{card}"),
    ("patch", "/api/v1/cards/{card}"),
    ("post", "/api/v1/cards/{card}/move"),
    ("get", "/api/v1/cards/{card}/events"),
    ("post", "/api/v1/cards/{card}/comments"),
]


def add_card(app, org, who="staff", column=None, **data):
    with app.app_context():
        data.setdefault("title", "Kartu kerja")
        return cards.create_card(get_user(who, org), org.board_id, data, column_id=column).card.id


def add_board(app, org, name, unit, who="admin"):
    with app.app_context():
        board = boards.create_board(
            get_user(who, org),
            name,
            unit,
            columns=[
                {"name": "Antrean", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"}
            ],
        )
        return board.id


def kinds(app, card_id):
    with app.app_context():
        return db.session.scalars(
            select(Event.kind).where(Event.card_id == card_id).order_by(Event.id)
        ).all()


# Authentication


def seed_unauthorized(app) -> SimpleNamespace:
    org = build_org(app)
    return SimpleNamespace(org=org, card=add_card(app, org))


@pytest.fixture(scope="module")
def unauthorized(database_url):
    """The app of the table below, kept for the module; each row starts from the org and one
    card (tests/conftest.py SeededApp)."""
    yield from SeededApp.kept(make_app(database_url), seed_unauthorized)


@pytest.mark.parametrize("method,url", PROTECTED_ROUTES)
@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Bearer not-a-token", "Basic c3RhZmY6cmFoYXNpYQ==", "cg_abc"],
    ids=["none", "scheme-only", "empty", "unknown", "basic", "no-scheme"],
)
def test_requests_without_a_valid_token_get_401_with_a_bearer_challenge(
    unauthorized, method, url, header
):
    seeded = unauthorized.restore()
    app, org, card = unauthorized.app, seeded.org, seeded.card
    client = app.test_client()
    headers = {"Authorization": header} if header is not None else {}
    url = url.format(board=org.board_id, card=card)
    response = getattr(client, method)(url, headers=headers, json={"title": "x"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert kinds(app, card) == ["created"]


def test_a_session_cookie_does_not_authenticate_the_api(client, auth, org):
    assert auth.login(org.nips["staff"]).status_code in (200, 302)
    response = client.get("/api/v1/boards")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_a_revoked_token_is_refused(app, api, org):
    assert api("staff").get("/api/v1/boards").status_code == 200
    with app.app_context():
        accounts.revoke_tokens(get_user("staff", org))
    response = api("staff").get("/api/v1/boards")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_token_of_a_deactivated_person_is_refused(app, api, org):
    with app.app_context():
        db.session.execute(update(User).where(User.id == org.users["staff"]).values(active=False))
        db.session.commit()
    assert api("staff").get("/api/v1/boards").status_code == 401


def test_the_bearer_scheme_is_case_insensitive(client, tokens):
    response = client.get("/api/v1/boards", headers={"Authorization": f"bearer {tokens['staff']}"})
    assert response.status_code == 200


def test_unknown_routes_and_wrong_methods_answer_in_json(api, org):
    missing = api("staff").get("/api/v1/sprints")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = api("staff").delete(f"/api/v1/boards/{org.board_id}")
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["code"] == "method_not_allowed"


def test_api_answers_are_not_cached(api):
    assert api("staff").get("/api/v1/boards").headers["Cache-Control"] == "no-store"


# Visibility


def test_board_list_holds_only_the_boards_the_caller_may_see(app, api, org):
    humas = add_board(app, org, "Humas", "BID-IKP")
    mine = {"id": org.board_id, "name": "Layanan Aplikasi", "unit": "SEKSI-APL", "team": None}
    theirs = {"id": humas, "name": "Humas", "unit": "BID-IKP", "team": None}
    expected = {
        "staff": [mine],
        "kasi": [mine],
        "kabid": [mine],
        "kadis": [theirs, mine],
        "admin": [theirs, mine],
        "outsider": [theirs],
    }
    for role, boards_seen in expected.items():
        response = api(role).get("/api/v1/boards")
        assert response.status_code == 200
        assert response.get_json() == {"boards": boards_seen}, role


@pytest.mark.parametrize(
    "method,url,body",
    [
        ("get", "/api/v1/boards/{board}", None),
        ("post", "/api/v1/boards/{board}/cards", {"title": "Mengintip"}),
        ("get", "/api/v1/cards/{card}", None),
        ("patch", "/api/v1/cards/{card}", {"version": 1, "title": "Diubah orang luar"}),
        ("post", "/api/v1/cards/{card}/move", {"column_id": 0}),
        ("get", "/api/v1/cards/{card}/events", None),
        ("post", "/api/v1/cards/{card}/comments", {"body": "Halo"}),
    ],
)
def test_an_outsider_gets_404_for_the_board_and_its_cards(app, api, org, method, url, body):
    card = add_card(app, org, due_date=DUE)
    if body and "column_id" in body:
        body = {"column_id": org.review}
    response = getattr(api("outsider"), method)(
        url.format(board=org.board_id, card=card), json=body
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert kinds(app, card) == ["created"]


def test_outsider_404_is_the_same_as_for_a_board_that_does_not_exist(api, org):
    hidden = api("outsider").get(f"/api/v1/boards/{org.board_id}").get_json()
    missing = api("outsider").get("/api/v1/boards/999999").get_json()
    assert hidden == missing


@pytest.mark.parametrize("role", ["staff", "staff2", "kasi", "kabid", "kadis", "admin"])
def test_members_and_heads_of_ancestor_units_see_the_board_and_its_cards(app, api, org, role):
    card = add_card(app, org)
    assert api(role).get(f"/api/v1/boards/{org.board_id}").status_code == 200
    assert api(role).get(f"/api/v1/cards/{card}").status_code == 200
    assert api(role).get(f"/api/v1/cards/{card}/events").status_code == 200


# Boards


def test_head_creates_a_board_with_its_columns(api, org):
    body = {
        "name": "Pengaduan Masyarakat",
        "unit": "SEKSI-APL",
        "personal_wip_limit": 2,
        "columns": [
            {"name": "Masuk", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
            {"name": "Ditangani", "kind": "active", "wip_limit": 4, "wip_policy": "soft"},
            {"name": "Selesai", "kind": "done"},
        ],
    }
    response = api("kasi").post("/api/v1/boards", json=body)
    assert response.status_code == 201
    board = response.get_json()
    ids = [c["id"] for c in board["columns"]]
    assert board == {
        "id": board["id"],
        "name": "Pengaduan Masyarakat",
        "unit": "SEKSI-APL",
        "team": None,
        "personal_wip_limit": 2,
        "archive_after_days": 14,
        "columns": [
            {"id": ids[0], "name": "Masuk", "kind": "backlog", "wip_limit": None,
             "wip_policy": "hard", "cards": []},
            {"id": ids[1], "name": "Ditangani", "kind": "active", "wip_limit": 4,
             "wip_policy": "soft", "cards": []},
            {"id": ids[2], "name": "Selesai", "kind": "done", "wip_limit": None,
             "wip_policy": "hard", "cards": []},
        ],
        "warnings": [],
    }  # fmt: skip
    assert response.headers["Location"].endswith(f"/api/v1/boards/{board['id']}")
    assert api("kasi").get(f"/api/v1/boards/{board['id']}").get_json() == board
    assert board["id"] in [b["id"] for b in api("staff").get("/api/v1/boards").get_json()["boards"]]


def test_a_board_without_columns_gets_the_default_columns(api):
    response = api("kabid").post("/api/v1/boards", json={"name": "Rencana TIK", "unit": "BID-TIK"})
    assert response.status_code == 201
    columns = response.get_json()["columns"]
    assert [c["kind"] for c in columns] == ["backlog", "active", "active", "done"]
    assert response.get_json()["personal_wip_limit"] is None


def test_head_of_an_ancestor_unit_creates_a_board_for_a_child_unit(api):
    response = api("kadis").post("/api/v1/boards", json={"name": "Aplikasi 2", "unit": "SEKSI-APL"})
    assert response.status_code == 201
    assert response.get_json()["unit"] == "SEKSI-APL"


@pytest.mark.parametrize(
    "role,unit",
    [("staff", "SEKSI-APL"), ("staff2", "SEKSI-APL"), ("outsider", "BID-IKP"), ("kasi", "BID-IKP")],
)
def test_people_who_do_not_head_the_unit_may_not_create_its_boards(app, api, role, unit):
    before = api("admin").get("/api/v1/boards").get_json()
    response = api(role).post("/api/v1/boards", json={"name": "Papan Liar", "unit": unit})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert api("admin").get("/api/v1/boards").get_json() == before


def test_board_shows_columns_in_order_with_their_cards_in_order(app, api, org):
    first = add_card(app, org, title="Surat undangan rapat")
    second = add_card(app, org, title="Laporan bulanan", due_date=DUE)
    third = add_card(app, org, title="Perbaikan server", due_date=DUE, column=org.doing)
    api("staff").post(
        f"/api/v1/cards/{second}/move", json={"column_id": org.backlog, "position": 0}
    )
    board = api("staff").get(f"/api/v1/boards/{org.board_id}").get_json()
    assert set(board) == {
        "id",
        "name",
        "unit",
        "team",
        "personal_wip_limit",
        "archive_after_days",
        "columns",
        "warnings",
    }
    assert (board["id"], board["name"], board["unit"]) == (
        org.board_id,
        "Layanan Aplikasi",
        "SEKSI-APL",
    )
    columns = [
        (c["id"], c["name"], c["kind"], c["wip_limit"], c["wip_policy"]) for c in board["columns"]
    ]
    assert columns == [
        (org.backlog, "Backlog", "backlog", None, "hard"),
        (org.doing, "Dikerjakan", "active", 3, "hard"),
        (org.review, "Review", "active", 2, "soft"),
        (org.done, "Selesai", "done", None, "hard"),
    ]  # fmt: skip
    cards_by_column = [[c["id"] for c in column["cards"]] for column in board["columns"]]
    assert cards_by_column == [[second, first], [third], [], []]
    backlog = board["columns"][0]["cards"]
    assert [c["position"] for c in backlog] == [0, 1]
    assert all(set(card) == CARD_KEYS for card in backlog)
    assert backlog[0] == api("staff").get(f"/api/v1/cards/{second}").get_json()


# Cards


def test_new_card_goes_to_the_first_column_with_the_exact_card_shape(api, org):
    response = api("staff").post(
        f"/api/v1/boards/{org.board_id}/cards",
        json={
            "title": "Surat balasan permohonan data",
            "description": "Balas ke **BPS** paling lambat Jumat.",
            "type": "surat-keluar",
            "assignee": org.nips["staff2"],
            "due_date": DUE,
            "priority": "high",
            "estimate": 2.5,
            "labels": ["ppid", "bps"],
        },
    )
    assert response.status_code == 201
    card = response.get_json()
    assert TIMESTAMP.fullmatch(card["created_at"]) and TIMESTAMP.fullmatch(card["updated_at"])
    assert card == {
        "id": card["id"],
        "board_id": org.board_id,
        "column_id": org.backlog,
        "position": 0,
        "title": "Surat balasan permohonan data",
        "description": "Balas ke **BPS** paling lambat Jumat.",
        "type": "surat-keluar",
        "assignee": org.nips["staff2"],
        "due_date": DUE,
        "priority": "high",
        "estimate": 2.5,
        "labels": ["ppid", "bps"],
        "type_name": "Surat keluar",
        "type_colour": "teal",
        "label_details": [
            {"key": "ppid", "name": "PPID", "colour": "grey"},
            {"key": "bps", "name": "BPS", "colour": "grey"},
        ],
        "version": 1,
        "deadline_changes": 0,
        "sprint_id": None,
        "checklist": {"total": 0, "done": 0},
        "attachment_count": 0,
        "rhk": None,
        "created_at": card["created_at"],
        "updated_at": card["updated_at"],
        "archived_at": None,
        "archived_by": None,
        "plugins": {},
    }
    assert response.headers["Location"].endswith(f"/api/v1/cards/{card['id']}")
    assert api("staff").get(f"/api/v1/cards/{card['id']}").get_json() == card


def test_a_card_with_only_a_title_gets_the_defaults(api, org):
    card = (
        api("staff")
        .post(f"/api/v1/boards/{org.board_id}/cards", json={"title": "  Rapat koordinasi  "})
        .get_json()
    )
    assert {k: card[k] for k in CARD_KEYS - {"id", "created_at", "updated_at", "plugins"}} == {
        "board_id": org.board_id,
        "column_id": org.backlog,
        "position": 0,
        "title": "Rapat koordinasi",
        "description": "",
        "type": "tugas",
        "assignee": None,
        "due_date": None,
        "priority": "normal",
        "estimate": None,
        "labels": [],
        "type_name": "Tugas",
        "type_colour": "grey",
        "label_details": [],
        "version": 1,
        "deadline_changes": 0,
        "sprint_id": None,
        "checklist": {"total": 0, "done": 0},
        "attachment_count": 0,
        "archived_at": None,
        "archived_by": None,
        "rhk": None,
    }


def test_a_card_may_be_created_in_a_chosen_column_at_its_bottom(app, api, org):
    add_card(app, org, due_date=DUE, column=org.doing)
    response = api("kasi").post(
        f"/api/v1/boards/{org.board_id}/cards",
        json={"title": "Pasang SSL", "column_id": org.doing, "due_date": DUE},
    )
    assert response.status_code == 201
    card = response.get_json()
    assert (card["column_id"], card["position"]) == (org.doing, 1)
    assert "warnings" not in card


def test_an_assignee_may_be_named_by_username(api, org):
    card = (
        api("kasi")
        .post(
            f"/api/v1/boards/{org.board_id}/cards",
            json={"title": "Audit akun", "assignee": "admin"},
        )
        .get_json()
    )
    assert card["assignee"] == "admin"


@pytest.mark.pg
def test_patch_changes_fields_and_bumps_the_version(app, api, org):
    card = add_card(app, org, title="Draf")
    response = api("staff").patch(
        f"/api/v1/cards/{card}",
        json={
            "version": 1,
            "title": "Draf Perbup SPBE",
            "assignee": org.nips["staff"],
            "labels": ["spbe"],
            "estimate": 8,
            "priority": "urgent",
            "due_date": DUE,
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == CARD_KEYS
    assert (body["title"], body["assignee"], body["labels"], body["estimate"]) == (
        "Draf Perbup SPBE",
        org.nips["staff"],
        ["spbe"],
        8,
    )
    assert (body["priority"], body["due_date"], body["version"]) == ("urgent", DUE, 2)
    assert body["deadline_changes"] == 0  # setting a first due date is not a slip
    assert kinds(app, card) == ["created", "assigned", "updated"]


def test_patch_may_clear_the_assignee_and_the_estimate(app, api, org):
    card = add_card(app, org, assignee=org.nips["staff"], estimate=3)
    body = (
        api("staff")
        .patch(f"/api/v1/cards/{card}", json={"version": 1, "assignee": None, "estimate": None})
        .get_json()
    )
    assert (body["assignee"], body["estimate"], body["version"]) == (None, None, 2)


def test_patch_without_changes_keeps_the_version(app, api, org):
    card = add_card(app, org, title="Sama")
    body = api("staff").patch(f"/api/v1/cards/{card}", json={"version": 1, "title": "Sama"})
    assert body.status_code == 200 and body.get_json()["version"] == 1
    assert kinds(app, card) == ["created"]


def test_moving_the_due_date_with_a_reason_is_counted(app, api, org):
    card = add_card(app, org, due_date=DUE)
    response = api("staff").patch(
        f"/api/v1/cards/{card}",
        json={"version": 1, "due_date": "2026-12-08", "deadline_reason": "Data BPS terlambat"},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["due_date"], body["deadline_changes"], body["version"]) == ("2026-12-08", 1, 2)
    events = api("staff").get(f"/api/v1/cards/{card}/events").get_json()["events"]
    assert events[-1]["kind"] == "deadline_changed"
    assert events[-1]["data"] == {
        "old": DUE,
        "new": "2026-12-08",
        "reason": "Data BPS terlambat",
    }


@pytest.mark.pg
def test_move_returns_the_card_in_its_new_place(app, api, org):
    card = add_card(app, org, due_date=DUE)
    add_card(app, org, due_date=DUE, column=org.doing)
    response = api("staff").post(
        f"/api/v1/cards/{card}/move", json={"column_id": org.doing, "position": 0}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == CARD_KEYS
    assert (body["column_id"], body["position"], body["version"]) == (org.doing, 0, 2)


@pytest.mark.pg
def test_move_past_a_soft_limit_succeeds_with_a_warning(app, api, org):
    for _ in range(2):
        add_card(app, org, due_date=DUE, column=org.review)
    card = add_card(app, org, due_date=DUE)
    response = api("staff").post(f"/api/v1/cards/{card}/move", json={"column_id": org.review})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == CARD_KEYS | {"warnings"}
    assert body["column_id"] == org.review
    assert len(body["warnings"]) == 1
    assert "Review" in body["warnings"][0] and "2" in body["warnings"][0]


@pytest.mark.pg
def test_creating_past_a_soft_limit_succeeds_with_a_warning(app, api, org):
    for _ in range(2):
        add_card(app, org, due_date=DUE, column=org.review)
    response = api("staff").post(
        f"/api/v1/boards/{org.board_id}/cards",
        json={"title": "Uji aplikasi", "column_id": org.review, "due_date": DUE},
    )
    assert response.status_code == 201
    assert "Review" in response.get_json()["warnings"][0]


@pytest.mark.pg
def test_head_overrides_a_hard_limit_with_a_reason_and_it_is_audited(app, api, org):
    for _ in range(3):
        add_card(app, org, due_date=DUE, column=org.doing)
    card = add_card(app, org, due_date=DUE)
    response = api("kasi").post(
        f"/api/v1/cards/{card}/move",
        json={"column_id": org.doing, "override_reason": "Perintah Bupati, tenggat besok"},
    )
    assert response.status_code == 200
    assert response.get_json()["column_id"] == org.doing
    events = api("kasi").get(f"/api/v1/cards/{card}/events").get_json()["events"]
    assert [e["kind"] for e in events] == ["created", "moved", "wip_override"]
    assert events[-1]["actor"] == org.nips["kasi"]
    assert events[-1]["data"] == {
        "limit": "wip_limit_reached",
        "reason": "Perintah Bupati, tenggat besok",
        "column": "Dikerjakan",
        "wip_limit": 3,
        "count": 3,
    }


def test_a_comment_is_added_and_recorded(app, api, org):
    card = add_card(app, org)
    response = api("staff2").post(
        f"/api/v1/cards/{card}/comments", json={"body": "  Sudah saya cek ke bagian hukum.  "}
    )
    assert response.status_code == 201
    comment = response.get_json()
    assert TIMESTAMP.fullmatch(comment["created_at"])
    assert comment == {
        "id": comment["id"],
        "author": org.nips["staff2"],
        "body": "Sudah saya cek ke bagian hukum.",
        "created_at": comment["created_at"],
    }
    assert kinds(app, card) == ["created", "comment"]


def test_events_list_the_history_oldest_first_with_actors(app, api, org):
    created = (
        api("staff")
        .post(
            f"/api/v1/boards/{org.board_id}/cards",
            json={"title": "Rekap aduan", "due_date": DUE},
        )
        .get_json()
    )
    card = created["id"]
    api("staff").patch(f"/api/v1/cards/{card}", json={"version": 1, "title": "Rekap aduan Oktober"})
    api("kasi").patch(f"/api/v1/cards/{card}", json={"version": 2, "assignee": org.nips["staff"]})
    api("staff").patch(
        f"/api/v1/cards/{card}",
        json={
            "version": 3,
            "due_date": "2026-12-03",
            "deadline_reason": "Menunggu rekap kecamatan",
        },
    )
    api("staff").post(f"/api/v1/cards/{card}/move", json={"column_id": org.doing})
    api("admin").post(f"/api/v1/cards/{card}/comments", json={"body": "Pantau ya"})

    response = api("staff2").get(f"/api/v1/cards/{card}/events")
    assert response.status_code == 200
    events = response.get_json()["events"]
    assert all(set(e) == {"kind", "actor", "at", "data"} for e in events)
    assert all(TIMESTAMP.fullmatch(e["at"]) for e in events)
    assert [(e["kind"], e["actor"]) for e in events] == [
        ("created", org.nips["staff"]),
        ("updated", org.nips["staff"]),
        ("assigned", org.nips["kasi"]),
        ("deadline_changed", org.nips["staff"]),
        ("moved", org.nips["staff"]),
        ("comment", "admin"),
    ]
    assert events[0]["data"] == {
        "title": "Rekap aduan",
        "column": "Backlog",
        "assignee": None,
        "due_date": DUE,
    }
    assert events[1]["data"] == {"changes": {"title": ["Rekap aduan", "Rekap aduan Oktober"]}}
    assert events[2]["data"] == {"old": None, "new": org.nips["staff"]}
    assert events[4]["data"]["from_column"] == "Backlog"
    assert events[4]["data"]["to_column"] == "Dikerjakan"
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)


# Tokens


def test_a_token_is_issued_for_a_correct_password_and_works(app, client, org):
    response = client.post(
        "/api/v1/tokens",
        json={"username": org.nips["kabid"], "password": PASSWORD, "name": "Skrip rekap"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("cg_") and body["name"] == "Skrip rekap"
    assert set(body) == {
        "token",
        "id",
        "name",
        "created_at",
        "last_used_at",
        "expires_at",
        "expired",
    }
    assert body["expires_at"] is None and body["last_used_at"] is None and not body["expired"]
    assert response.headers["Cache-Control"] == "no-store"
    boards_seen = client.get(
        "/api/v1/boards", headers={"Authorization": f"Bearer {body['token']}"}
    ).get_json()["boards"]
    assert [b["id"] for b in boards_seen] == [org.board_id]
    with app.app_context():
        stored = db.session.scalar(select(ApiToken).where(ApiToken.name == "Skrip rekap"))
        assert stored.user_id == org.users["kabid"]
        assert body["token"] not in stored.token_hash


def test_a_token_may_be_requested_with_a_username(client, org):
    response = client.post("/api/v1/tokens", json={"username": "admin", "password": PASSWORD})
    assert response.status_code == 201


@pytest.mark.pg
def test_a_wrong_password_gets_401_and_no_token(app, client, org):
    response = client.post(
        "/api/v1/tokens", json={"username": org.nips["staff"], "password": "bukan-sandinya"}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with app.app_context():
        assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_api_answers_set_no_cookies_even_for_a_logged_in_browser(client, auth, org, tokens):
    auth.login(org.nips["staff"])
    response = client.get("/api/v1/boards", headers={"Authorization": f"Bearer {tokens['staff']}"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
