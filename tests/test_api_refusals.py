"""The JSON API refuses bad requests with a 4xx and a code, and then nothing has changed.

Every case takes a snapshot of the database before and after the request: the number of boards,
columns, cards, events, deadline changes, comments and tokens, every card's state, and the
login-failure counters.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiToken, Board, BoardColumn, Card, Comment, DeadlineChange, Event, User
from app.services import boards, cards
from tests.conftest import (
    PASSWORD,
    SeededApp,
    api_callers,
    build_org,
    build_tokens,
    get_user,
    make_app,
)

DUE = "2026-12-01"
NOBODY_NIP = "199912312020121999"
OUTSIDER_NIP = "198804042010011006"


def snapshot(app) -> dict:
    with app.app_context():
        counts = {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Board, BoardColumn, Card, Event, DeadlineChange, Comment, ApiToken)
        }
        card_rows = db.session.execute(
            select(
                Card.id,
                Card.version,
                Card.column_id,
                Card.position,
                Card.title,
                Card.description,
                Card.type,
                Card.assignee_id,
                Card.due_date,
                Card.priority,
                Card.estimate,
                Card.labels,
                Card.deadline_changes,
                Card.updated_at,
            ).order_by(Card.id)
        ).all()
        logins = db.session.execute(
            select(User.id, User.active, User.locale, User.password_hash).order_by(User.id)
        ).all()
        db.session.rollback()
        return {"counts": counts, "cards": [tuple(r) for r in card_rows], "logins": logins}


def build_world(app, org) -> SimpleNamespace:
    """The org board with an undated card and a dated card in Backlog, and a board of Bidang IKP."""
    with app.app_context():
        staff, admin = get_user("staff", org), get_user("admin", org)
        plain = cards.create_card(staff, org.board_id, {"title": "Draf SOP layanan"}).card
        dated = cards.create_card(
            staff, org.board_id, {"title": "Balas surat BPS", "due_date": DUE}
        ).card
        other = boards.create_board(
            admin,
            "Humas",
            "BID-IKP",
            columns=[
                {"name": "Antrean", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"}
            ],
        )
        hidden = cards.create_card(admin, other.id, {"title": "Rilis pers"}).card
        return SimpleNamespace(
            org=org,
            plain=plain.id,
            dated=dated.id,
            other_board=other.id,
            other_column=other.columns[0].id,
            other_card=hidden.id,
        )


def seed_refusals(app) -> SimpleNamespace:
    org = build_org(app)
    tokens = build_tokens(app, org)
    return SimpleNamespace(tokens=tokens, world=build_world(app, org))


@pytest.fixture(scope="module")
def refusals(database_url):
    """One app for the table's cases, kept for the module; each case starts from the seeded
    world (tests/conftest.py SeededApp)."""
    yield from SeededApp.kept(make_app(database_url), seed_refusals)


@pytest.fixture
def seeded_world(refusals):
    """(app, api, world) of the seeded app: `api` as the conftest fixture, `world` above."""
    value = refusals.restore()
    client = refusals.app.test_client()
    return refusals.app, api_callers(client, value.tokens), value.world


@dataclass
class Case:
    name: str
    method: str
    url: str
    status: int
    code: str
    body: object = None
    raw: str | None = None
    content_type: str = "application/json"
    role: str = "staff"
    fields: list = field(default_factory=list)


def url_for_case(url: str, world) -> str:
    return url.format(
        board=world.org.board_id,
        card=world.plain,
        dated=world.dated,
        other_board=world.other_board,
        other_card=world.other_card,
    )


def fill(value, world):
    """Replace placeholder strings in a case body with the ids of this world."""
    names = {
        "$backlog": world.org.backlog,
        "$doing": world.org.doing,
        "$other_column": world.other_column,
    }
    if isinstance(value, dict):
        return {k: fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, world) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


BODY_ENDPOINTS = {
    "create_board": ("post", "/api/v1/boards", "kasi", {"name": "Papan", "unit": "SEKSI-APL"}),
    "create_card": ("post", "/api/v1/boards/{board}/cards", "staff", {"title": "Kartu"}),
    "update_card": ("patch", "/api/v1/cards/{card}", "staff", {"version": 1, "title": "Baru"}),
    "move_card": ("post", "/api/v1/cards/{dated}/move", "staff", {"column_id": "$doing"}),
    "add_comment": ("post", "/api/v1/cards/{card}/comments", "staff", {"body": "Sudah dicek"}),
    "create_token": (
        "post",
        "/api/v1/tokens",
        "staff",
        {"username": "199001012015011004", "password": PASSWORD},
    ),
}


def generic_cases() -> list[Case]:
    """Body problems every endpoint that takes a body must refuse the same way."""
    problems = [
        ("malformed-json", 400, {"raw": '{"title": "Kartu",'}),
        ("empty-body", 400, {"raw": ""}),
        ("plain-text", 400, {"raw": "title=Kartu", "content_type": "text/plain"}),
        (
            "urlencoded",
            400,
            {"raw": "title=x", "content_type": "application/x-www-form-urlencoded"},
        ),
        ("array-body", 400, {"body": ["GOOD"]}),
        ("string-body", 400, {"raw": '"Kartu"'}),
        ("null-body", 400, {"raw": "null"}),
        ("nan-number", 400, {"raw": '{"estimate": NaN}'}),
        ("bad-utf8", 400, {"raw": b'{"title": "\xff\xfe"}'}),
        ("nul-in-text", 400, {"body": {"note": "a\x00b"}}),
        ("lone-surrogate", 400, {"raw": '{"title": "\\ud800"}'}),
        ("deep-nesting", 400, {"raw": "[" * 100_000 + "]" * 100_000}),
        ("unknown-field", 422, {"body": {"colour": "red"}, "fields": ["colour"]}),
        ("too-large", 413, {"raw": '{"title": "' + "x" * (1024 * 1024) + '"}'}),
    ]
    found = []
    for endpoint, (method, url, role, good) in BODY_ENDPOINTS.items():
        for name, status, spec in problems:
            spec = dict(spec)
            if isinstance(spec.get("body"), dict):
                spec["body"] = {**good, **spec["body"]}
            elif "body" in spec:
                spec["body"] = [good]
            code = {400: "bad_request", 413: "too_large", 422: "validation_error"}[status]
            found.append(Case(f"{endpoint}-{name}", method, url, status, code, role=role, **spec))
    return found


V = "validation_error"
BOARD = {"name": "Papan Baru", "unit": "SEKSI-APL"}
LOGIN = {"username": "199001012015011004", "password": PASSWORD}


def col(**column):
    return {**BOARD, "columns": [{"name": "A", **column}]}


# (case name, body, the fields named in the 422 answer). A str body is sent as raw JSON text.
FIELD_ERRORS = {
    ("post", "/api/v1/boards", "kasi"): [
        ("name-number", {**BOARD, "name": 5}, ["name"]),
        ("name-missing", {"unit": "SEKSI-APL"}, ["name"]),
        ("name-blank", {**BOARD, "name": "  "}, ["name"]),
        ("name-too-long", {**BOARD, "name": "x" * 121}, ["name"]),
        ("unit-unknown", {**BOARD, "unit": "NOPE"}, ["unit"]),
        ("unit-missing", {"name": "Papan"}, ["unit"]),
        ("unit-list", {**BOARD, "unit": ["SEKSI-APL"]}, ["unit"]),
        ("columns-string", {**BOARD, "columns": "Backlog"}, ["columns"]),
        ("columns-empty", {**BOARD, "columns": []}, ["columns"]),
        ("column-not-object", {**BOARD, "columns": [5]}, ["columns[0]"]),
        ("column-unknown-field", col(colour="red"), ["columns[0].colour"]),
        ("column-bool-limit", col(wip_limit=True), ["columns[0].wip_limit"]),
        ("column-text-limit", col(wip_limit="3"), ["columns[0].wip_limit"]),
        ("column-bad-kind", col(kind="doing"), ["columns[0].kind"]),
        ("column-bad-policy", col(wip_policy="strict"), ["columns[0].wip_policy"]),
        ("column-no-name", {**BOARD, "columns": [{"kind": "backlog"}]}, ["columns[0].name"]),
        (
            "second-column-negative-limit",
            {**BOARD, "columns": [{"name": "A"}, {"name": "B", "wip_limit": -1}]},
            ["columns[1].wip_limit"],
        ),
        (
            "too-many-columns",
            {**BOARD, "columns": [{"name": f"K{i}"} for i in range(21)]},
            ["columns"],
        ),
        ("personal-limit-text", {**BOARD, "personal_wip_limit": "3"}, ["personal_wip_limit"]),
        ("personal-limit-zero", {**BOARD, "personal_wip_limit": 0}, ["personal_wip_limit"]),
        ("personal-limit-bool", {**BOARD, "personal_wip_limit": False}, ["personal_wip_limit"]),
    ],
    ("post", "/api/v1/boards/{board}/cards", "staff"): [
        ("title-number", {"title": 5}, ["title"]),
        ("title-missing", {"description": "x"}, ["title"]),
        ("title-null", {"title": None}, ["title"]),
        ("title-blank", {"title": "   "}, ["title"]),
        ("title-too-long", {"title": "x" * 201}, ["title"]),
        ("description-too-long", {"title": "K", "description": "x" * 20_001}, ["description"]),
        ("column-text", {"title": "K", "column_id": "x"}, ["column_id"]),
        ("column-bool", {"title": "K", "column_id": True}, ["column_id"]),
        ("column-null", {"title": "K", "column_id": None}, ["column_id"]),
        ("column-unknown", {"title": "K", "column_id": 999999}, ["column_id"]),
        ("column-huge", {"title": "K", "column_id": 10**30}, ["column_id"]),
        ("column-of-other-board", {"title": "K", "column_id": "$other_column"}, ["column_id"]),
        ("assignee-unknown", {"title": "K", "assignee": NOBODY_NIP}, ["assignee"]),
        ("assignee-cannot-see-board", {"title": "K", "assignee": OUTSIDER_NIP}, ["assignee"]),
        ("assignee-number", {"title": "K", "assignee": int(NOBODY_NIP)}, ["assignee"]),
        ("due-impossible", {"title": "K", "due_date": "2026-02-30"}, ["due_date"]),
        ("due-format", {"title": "K", "due_date": "01-12-2026"}, ["due_date"]),
        ("due-number", {"title": "K", "due_date": 20261201}, ["due_date"]),
        ("due-far-year", {"title": "K", "due_date": "3026-12-01"}, ["due_date"]),
        ("estimate-negative", {"title": "K", "estimate": -1}, ["estimate"]),
        ("estimate-text", {"title": "K", "estimate": "3"}, ["estimate"]),
        ("estimate-bool", {"title": "K", "estimate": True}, ["estimate"]),
        ("estimate-infinite", '{"title": "K", "estimate": 1e400}', ["estimate"]),
        ("labels-comma-string", {"title": "K", "labels": "a,b"}, ["labels"]),
        ("labels-numbers", {"title": "K", "labels": [1, 2]}, ["labels"]),
        ("label-too-long", {"title": "K", "labels": ["x" * 41]}, ["labels"]),
        ("priority-unknown", {"title": "K", "priority": "asap"}, ["priority"]),
        ("priority-null", {"title": "K", "priority": None}, ["priority"]),
        ("type-bad", {"title": "K", "type": "Surat Keluar!"}, ["type"]),
        (
            "many-bad-fields",
            {"title": "", "estimate": -2, "due_date": "besok"},
            ["title", "estimate", "due_date"],
        ),
    ],
    ("patch", "/api/v1/cards/{card}", "staff"): [
        ("version-missing", {"title": "Baru"}, ["version"]),
        ("version-text", {"version": "x", "title": "Baru"}, ["version"]),
        ("version-numeric-text", {"version": "1", "title": "Baru"}, ["version"]),
        ("version-bool", {"version": True, "title": "Baru"}, ["version"]),
        ("version-float", {"version": 1.5, "title": "Baru"}, ["version"]),
        ("version-zero", {"version": 0, "title": "Baru"}, ["version"]),
        ("title-number", {"version": 1, "title": 5}, ["title"]),
        ("title-null", {"version": 1, "title": None}, ["title"]),
        ("title-blank", {"version": 1, "title": ""}, ["title"]),
        ("title-too-long", {"version": 1, "title": "x" * 201}, ["title"]),
        ("description-null", {"version": 1, "description": None}, ["description"]),
        ("assignee-unknown", {"version": 1, "assignee": "nobody"}, ["assignee"]),
        ("assignee-list", {"version": 1, "assignee": ["x"]}, ["assignee"]),
        ("due-bad", {"version": 1, "due_date": "2026-13-01"}, ["due_date"]),
        ("estimate-negative", {"version": 1, "estimate": -0.5}, ["estimate"]),
        ("estimate-too-big", {"version": 1, "estimate": 1001}, ["estimate"]),
        ("labels-string", {"version": 1, "labels": "a"}, ["labels"]),
        ("labels-too-many", {"version": 1, "labels": [f"l{i}" for i in range(21)]}, ["labels"]),
        ("priority-number", {"version": 1, "priority": 1}, ["priority"]),
        ("column-not-editable", {"version": 1, "column_id": "$doing"}, ["column_id"]),
        ("id-not-editable", {"version": 1, "id": 5}, ["id"]),
    ],
    ("patch", "/api/v1/cards/{dated}", "staff"): [
        (
            "reason-number",
            {"version": 1, "due_date": "2026-12-09", "deadline_reason": 5},
            ["deadline_reason"],
        ),
        (
            "reason-too-long",
            {"version": 1, "due_date": "2026-12-09", "deadline_reason": "x" * 1001},
            ["deadline_reason"],
        ),
    ],
    ("post", "/api/v1/cards/{dated}/move", "staff"): [
        ("column-missing", {"position": 0}, ["column_id"]),
        ("column-name", {"column_id": "Dikerjakan"}, ["column_id"]),
        ("column-null", {"column_id": None}, ["column_id"]),
        ("column-float", {"column_id": 2.0}, ["column_id"]),
        ("column-unknown", {"column_id": 999999}, ["column_id"]),
        ("column-negative", {"column_id": -3}, ["column_id"]),
        ("column-of-other-board", {"column_id": "$other_column"}, ["column_id"]),
        ("position-negative", {"column_id": "$doing", "position": -1}, ["position"]),
        ("position-text", {"column_id": "$doing", "position": "1"}, ["position"]),
        ("position-bool", {"column_id": "$doing", "position": False}, ["position"]),
        ("position-huge", {"column_id": "$doing", "position": 10**12}, ["position"]),
        ("reason-number", {"column_id": "$doing", "override_reason": 1}, ["override_reason"]),
    ],
    ("post", "/api/v1/cards/{card}/comments", "staff"): [
        ("body-missing", {}, ["body"]),
        ("body-blank", {"body": "  "}, ["body"]),
        ("body-number", {"body": 5}, ["body"]),
        ("body-too-long", {"body": "x" * 10_001}, ["body"]),
    ],
    ("post", "/api/v1/tokens", "staff"): [
        ("username-missing", {"password": PASSWORD}, ["username"]),
        ("password-number", {**LOGIN, "password": 12345678}, ["password"]),
        ("name-number", {**LOGIN, "name": 5}, ["name"]),
        ("name-too-long", {**LOGIN, "name": "x" * 101}, ["name"]),
        ("expires-zero", {**LOGIN, "expires_in_days": 0}, ["expires_in_days"]),
        ("expires-text", {**LOGIN, "expires_in_days": "30"}, ["expires_in_days"]),
        ("expires-too-long", {**LOGIN, "expires_in_days": 3651}, ["expires_in_days"]),
    ],
}

# (case name, method, url, body, status, code, fields)
OTHER_REFUSALS = [
    ("card-into-active-column-without-due", "post", "/api/v1/boards/{board}/cards",
     {"title": "K", "column_id": "$doing"}, 422, "due_date_required", ["due_date"]),
    ("move-without-due-date", "post", "/api/v1/cards/{card}/move",
     {"column_id": "$doing"}, 422, "due_date_required", ["due_date"]),
    ("patch-stale-version", "patch", "/api/v1/cards/{card}",
     {"version": 7, "title": "Baru"}, 409, "version_conflict", []),
    ("token-unknown-user", "post", "/api/v1/tokens",
     {**LOGIN, "username": "siapa"}, 401, "invalid_credentials", []),
]  # fmt: skip

# Bad ids in URLs: a 404 whatever the body.
BAD_IDS = ("abc", "999999", "0", "-1", "99999999999999999999", "1.5", "%00", "1e3")
ID_ROUTES = [
    ("get", "/api/v1/boards/{id}", None),
    ("post", "/api/v1/boards/{id}/cards", {"title": "K"}),
    ("get", "/api/v1/cards/{id}", None),
    ("patch", "/api/v1/cards/{id}", {"version": 1, "title": "x"}),
    ("post", "/api/v1/cards/{id}/move", {"column_id": "$backlog"}),
    ("get", "/api/v1/cards/{id}/events", None),
    ("post", "/api/v1/cards/{id}/comments", {"body": "x"}),
]


def specific_cases() -> list[Case]:
    found = []
    for (method, url, role), rows in FIELD_ERRORS.items():
        endpoint = f"{method}-{url.removeprefix('/api/v1/')}"
        for name, body, fields in rows:
            found.append(Case(f"{endpoint}-{name}", method, url, 422, V, role=role, fields=fields))
            if isinstance(body, str):
                found[-1].raw = body
            else:
                found[-1].body = body
    for name, method, url, body, status, code, fields in OTHER_REFUSALS:
        role = "staff"
        found.append(Case(name, method, url, status, code, body=body, role=role, fields=fields))
    return found


def url_cases() -> list[Case]:
    found = []
    for method, url, body in ID_ROUTES:
        hidden = "{other_board}" if url.startswith("/api/v1/boards") else "{other_card}"
        for bad in BAD_IDS:
            name = f"{method}-{url.replace('{id}', bad)}"
            found.append(Case(name, method, url.replace("{id}", bad), 404, "not_found", body=body))
        found.append(
            Case(f"{method}-{url}-invisible", method, url.replace("{id}", hidden), 404,
                 "not_found", body=body)
        )  # fmt: skip
    return found


def method_cases() -> list[Case]:
    return [
        Case("put-card", "put", "/api/v1/cards/{card}", 405, "method_not_allowed", body={}),
        Case("delete-card", "delete", "/api/v1/cards/{card}", 405, "method_not_allowed"),
        Case("delete-boards", "delete", "/api/v1/boards", 405, "method_not_allowed"),
        Case("get-move", "get", "/api/v1/cards/{card}/move", 405, "method_not_allowed"),
        Case("put-tokens", "put", "/api/v1/tokens", 405, "method_not_allowed", body={}),
        Case("unknown-route", "get", "/api/v1/cards/{card}/nothing", 404, "not_found"),
        Case("unknown-version", "get", "/api/v2/boards", 404, "not_found"),
    ]


CASES = generic_cases() + specific_cases() + url_cases() + method_cases()


def send(api, case: Case, world):
    kwargs = {}
    if case.raw is not None:
        kwargs = {"data": case.raw, "content_type": case.content_type}
    elif case.body is not None:
        kwargs = {"json": fill(case.body, world)}
    return getattr(api(case.role), case.method)(url_for_case(case.url, world), **kwargs)


@pytest.mark.parametrize("case", [c for c in CASES if c.status != 201], ids=lambda c: c.name)
def test_bad_request_is_refused_with_a_code_and_changes_nothing(seeded_world, case):
    app, api, world = seeded_world
    before = snapshot(app)
    response = send(api, case, world)
    assert response.status_code == case.status, response.get_data(as_text=True)
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == case.code
    assert isinstance(error["message"], str) and error["message"]
    if case.fields:
        assert sorted(error["fields"]) == sorted(case.fields)
    else:
        assert "fields" not in error
    assert snapshot(app) == before


@pytest.mark.parametrize("endpoint", sorted(BODY_ENDPOINTS))
def test_the_good_bodies_the_cases_start_from_are_accepted(seeded_world, endpoint):
    """Guards the table above: each refusal comes from the one thing a case spoils."""
    _app, api, world = seeded_world
    method, url, role, good = BODY_ENDPOINTS[endpoint]
    response = getattr(api(role), method)(url_for_case(url, world), json=fill(good, world))
    assert response.status_code in (200, 201), response.get_json()


# The rules of the board, refused through the API; the database is unchanged afterwards.


def add_card(app, org, who="staff", column=None, **data):
    with app.app_context():
        data.setdefault("title", "Kartu kerja")
        data.setdefault("due_date", DUE)
        return cards.create_card(get_user(who, org), org.board_id, data, column_id=column).card.id


@pytest.mark.pg
def test_move_into_full_hard_column_is_refused_with_reason(app, api, org):
    for _ in range(3):
        add_card(app, org, column=org.doing)
    extra = add_card(app, org)
    before = snapshot(app)
    response = api("staff").post(f"/api/v1/cards/{extra}/move", json={"column_id": org.doing})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "wip_limit_reached"
    assert "Dikerjakan" in error["message"] and "3" in error["message"]
    assert snapshot(app) == before


@pytest.mark.pg
def test_staff_may_not_override_a_wip_limit(app, api, org):
    for _ in range(3):
        add_card(app, org, column=org.doing)
    extra = add_card(app, org)
    before = snapshot(app)
    response = api("staff").post(
        f"/api/v1/cards/{extra}/move",
        json={"column_id": org.doing, "override_reason": "Diminta Pak Sekda"},
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "override_forbidden"
    assert snapshot(app) == before


@pytest.mark.pg
def test_blank_override_reason_does_not_override(app, api, org):
    for _ in range(3):
        add_card(app, org, column=org.doing)
    extra = add_card(app, org)
    before = snapshot(app)
    response = api("kasi").post(
        f"/api/v1/cards/{extra}/move", json={"column_id": org.doing, "override_reason": "   "}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "wip_limit_reached"
    assert snapshot(app) == before


@pytest.mark.pg
def test_creating_into_a_full_hard_column_is_refused(app, api, org):
    for _ in range(3):
        add_card(app, org, column=org.doing)
    before = snapshot(app)
    response = api("staff").post(
        f"/api/v1/boards/{org.board_id}/cards",
        json={"title": "Satu lagi", "column_id": org.doing, "due_date": DUE},
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "wip_limit_reached"
    assert snapshot(app) == before


@pytest.mark.pg
def test_move_over_the_personal_wip_limit_is_refused(app, api, org):
    with app.app_context():
        boards.update_board(get_user("kasi", org), org.board_id, {"personal_wip_limit": 1})
    add_card(app, org, column=org.doing, assignee=org.nips["staff"])
    second = add_card(app, org, assignee=org.nips["staff"])
    before = snapshot(app)
    response = api("staff").post(f"/api/v1/cards/{second}/move", json={"column_id": org.review})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "personal_wip_limit_reached"
    assert "Agus Pratama" in error["message"]
    assert snapshot(app) == before


@pytest.mark.pg
def test_assigning_over_the_personal_wip_limit_is_refused(app, api, org):
    with app.app_context():
        boards.update_board(get_user("kasi", org), org.board_id, {"personal_wip_limit": 1})
    add_card(app, org, column=org.doing, assignee=org.nips["staff2"])
    other = add_card(app, org, column=org.doing)
    before = snapshot(app)
    response = api("staff").patch(
        f"/api/v1/cards/{other}", json={"version": 1, "assignee": org.nips["staff2"]}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "personal_wip_limit_reached"
    assert snapshot(app) == before


@pytest.mark.pg
def test_move_into_done_without_due_date_is_refused(app, api, org):
    card = add_card(app, org, due_date=None)
    before = snapshot(app)
    response = api("staff").post(f"/api/v1/cards/{card}/move", json={"column_id": org.done})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "due_date_required" and "Selesai" in error["message"]
    assert snapshot(app) == before


@pytest.mark.pg
def test_removing_the_due_date_of_an_active_card_is_refused(app, api, org):
    card = add_card(app, org, column=org.doing)
    before = snapshot(app)
    response = api("staff").patch(
        f"/api/v1/cards/{card}",
        json={"version": 1, "due_date": None, "deadline_reason": "Tidak jadi"},
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "due_date_required"
    assert snapshot(app) == before


@pytest.mark.pg
def test_editing_a_stale_version_is_refused(app, api, org):
    card = add_card(app, org)
    assert (
        api("staff2").patch(f"/api/v1/cards/{card}", json={"version": 1, "title": "Versi Dewi"})
    ).status_code == 200
    before = snapshot(app)
    response = api("staff").patch(
        f"/api/v1/cards/{card}", json={"version": 1, "title": "Versi Agus"}
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "version_conflict"
    assert snapshot(app) == before
    assert api("staff").get(f"/api/v1/cards/{card}").get_json()["title"] == "Versi Dewi"


@pytest.mark.pg
@pytest.mark.parametrize("reason", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_changing_a_due_date_without_reason_is_refused(app, api, org, reason):
    card = add_card(app, org)
    body = {"version": 1, "due_date": "2026-12-15"}
    if reason is not None:
        body["deadline_reason"] = reason
    before = snapshot(app)
    response = api("staff").patch(f"/api/v1/cards/{card}", json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "deadline_reason_required"
    assert "deadline_reason" in error["fields"]
    assert snapshot(app) == before
