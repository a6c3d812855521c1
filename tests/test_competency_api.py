"""The competency API and pages: a person's competency, logging learning, a unit's gaps, the
plan export, who may do what on every plugin route, and bad input answered with 4xx."""

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.services import skills
from app.web import local_today
from tests.conftest import NIPS, SeededApp, build_org, build_tokens, get_user, make_app

PERSON = NIPS["staff"]


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="competency")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def team(app, org):
    return build_team(app, org)


def build_team(app, org):
    with app.app_context():
        skills.seed_catalog()
        staff = get_user("staff", org)
        skills.set_user_skills(staff, staff, {"graphic-design": 2})
    return org


def seed_route_matrix(app) -> SimpleNamespace:
    """The fixtures of the route table's rows (org, tokens, team) and staff's learning."""
    org = build_org(app)
    tokens = build_tokens(app, org)
    team = build_team(app, org)
    with app.app_context():
        staff = get_user("staff", team)
        learning = skills.record_learning(staff, staff, LEARNING).id
    return SimpleNamespace(tokens=tokens, learning=learning)


@pytest.fixture(scope="module")
def route_matrix(database_url):
    """The app of the route table, kept for the module; each row starts from its seed."""
    yield from SeededApp.kept(
        make_app(database_url, CERGAS_PLUGINS="competency"), seed_route_matrix
    )


def test_logging_learning_answers_jp_to_the_minute(api, team):
    today = local_today()
    first = api("staff").post(
        f"/api/v1/users/{PERSON}/learning",
        json={
            "activity": "bimtek",
            "date": today.isoformat(),
            "hours": 2.5,
            "evidence_url": "https://bpsdm.example.go.id/sertifikat/123",
            "skills": ["graphic-design"],
            "title": "Bimtek Desain Grafis",
        },
    )
    assert first.status_code == 201, first.get_json()
    # 2.5 h = 150 minutes = 3 JP 15 minutes; 900 - 150 = 750 still needed.
    assert first.get_json()["learning"]["minutes"] == 150
    assert first.get_json()["jp"]["whole_jp"] == 3 and first.get_json()["jp"]["rest_minutes"] == 15
    api("staff").post(
        f"/api/v1/users/{PERSON}/learning",
        json={"activity": "coaching", "date": today.isoformat(), "hours": 0.5},
    )
    body = api("staff").get(f"/api/v1/users/{PERSON}/competency").get_json()
    # 150 + 30 = 180 minutes = 4 JP exactly; 720 minutes to go.
    assert body["jp"]["minutes"] == 180
    assert (body["jp"]["whole_jp"], body["jp"]["rest_minutes"]) == (4, 0)
    assert body["jp"]["remaining_minutes"] == 720
    assert [a["activity"] for a in body["learning"]] == ["bimtek", "coaching"]
    assert body["skills"][0]["skill"] == "graphic-design" and body["skills"][0]["level"] == 2


BASE = {"activity": "seminar", "date": "2026-01-05", "hours": 1}


@pytest.mark.parametrize(
    "change,fields",
    [
        ({"activity": "tidur"}, {"activity"}),
        ({"date": "5 Jan"}, {"date"}),
        ({"hours": "1"}, {"hours"}),
        ({"hours": True}, {"hours"}),
        ({"hours": -2}, {"hours"}),
        ({"skills": "x"}, {"skills"}),
        ({"skills": ["sihir"]}, {"skills"}),
        ({"evidence_url": "x"}, {"evidence_url"}),
        ({"tip": 1}, {"tip"}),
        (None, {"activity", "date", "hours"}),
    ],
)
def test_bad_learning_is_refused_naming_the_field(api, team, change, fields):
    body = {**BASE, **change} if change is not None else {}
    response = api("staff").post(f"/api/v1/users/{PERSON}/learning", json=body)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == fields


def test_body_that_is_not_json_is_a_400(api, team):
    response = api("staff").post(
        f"/api/v1/users/{PERSON}/learning", data="hours=1", content_type="text/plain"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_gap_period_must_be_dates_in_order(api, team):
    assert (
        api("kasi").get("/api/v1/units/SEKSI-APL/competency-gaps?from=2026-02-30").status_code
        == 422
    )
    response = api("kasi").get(
        "/api/v1/units/SEKSI-APL/competency-gaps?from=2026-03-01&to=2026-02-01"
    )
    assert response.status_code == 422 and "to" in response.get_json()["error"]["fields"]
    ok = api("kasi").get("/api/v1/units/SEKSI-APL/competency-gaps?from=2026-01-01&to=2026-03-31")
    assert ok.status_code == 200
    assert ok.get_json()["from"] == "2026-01-01" and ok.get_json()["unit"] == "SEKSI-APL"
    assert api("kasi").get("/api/v1/units/TIDAK-ADA/competency-gaps").status_code == 404


ROLES = ["anonymous", "outsider", "staff", "kasi", "kabid", "kadis", "admin"]
HEADS = {"kasi", "kabid", "kadis", "admin"}
SEES_STAFF = HEADS | {"staff"}
# url, method, who succeeds, who gets 403 (the rest signed in get 404; anonymous 302 / 401)
ROUTES = [
    ("/plugins/competency/", "GET", set(ROLES) - {"anonymous"}, set()),
    (f"/plugins/competency/people/{PERSON}", "GET", SEES_STAFF, set()),
    (f"/plugins/competency/people/{PERSON}/learning", "POST", SEES_STAFF, set()),
    (f"/plugins/competency/people/{PERSON}/learning/{{learning}}/delete", "POST", SEES_STAFF, set()),  # noqa: E501
    ("/plugins/competency/units/SEKSI-APL", "GET", HEADS, {"staff"}),
    ("/plugins/competency/units/SEKSI-APL/plan.csv", "GET", HEADS, {"staff"}),
    ("/plugins/competency/units/SEKSI-APL/plan.xlsx", "GET", HEADS, {"staff"}),
    (f"/api/v1/users/{PERSON}/competency", "GET", SEES_STAFF, set()),
    (f"/api/v1/users/{PERSON}/learning", "POST", SEES_STAFF, set()),
    ("/api/v1/units/SEKSI-APL/competency-gaps", "GET", HEADS, {"staff"}),
]  # fmt: skip
LEARNING = {"activity": "seminar", "date": "2026-01-05", "hours": 1}


def test_every_plugin_route_is_covered(app):
    routes = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("competency.", "competency_api."))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    patterns = {
        PERSON: "<login>",
        "SEKSI-APL": "<code>",
        "{learning}": "<id:learning_id>",
    }
    covered = set()
    for url, method, *_ in ROUTES:
        for value, pattern in patterns.items():
            url = url.replace(value, pattern)
        covered.add((url, method))
    assert routes == covered


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "url,method,allowed,forbidden", ROUTES, ids=[f"{m} {u}" for u, m, *_ in ROUTES]
)
def test_plugin_route_gives_each_role_what_it_may(
    route_matrix, role, url, method, allowed, forbidden
):  # fmt: skip
    seeded = route_matrix.restore()
    client, tokens, learning = route_matrix.app.test_client(), seeded.tokens, seeded.learning
    url = url.replace("{learning}", str(learning))
    is_api = url.startswith("/api/")
    headers = {}
    if role != "anonymous":
        if is_api:
            headers["Authorization"] = f"Bearer {tokens[role]}"
        else:
            login = "admin" if role == "admin" else NIPS[role]
            client.post("/login", data={"username": login, "password": "rahasia123"})
    if is_api:
        response = client.open(
            url, method=method, json=LEARNING if method == "POST" else None, headers=headers
        )
    else:
        response = client.open(
            url, method=method, data={**LEARNING, "hours": "1"} if method == "POST" else None
        )
    if role == "anonymous":
        expected = {401} if is_api else {302}
    elif role in allowed:
        expected = {200, 201, 302}
    elif role in forbidden:
        expected = {403}
    else:
        expected = {404}
    assert response.status_code in expected, response.get_data(as_text=True)[:300]  # fmt: skip


def test_person_page_logs_learning_and_shows_errors_next_to_the_field(app, client, auth, team):
    auth.login(PERSON)
    bad = client.post(
        f"/plugins/competency/people/{PERSON}/learning",
        data={"activity": "seminar", "date": "2026-01-05", "hours": "abc"},
    )
    assert bad.status_code == 422
    assert 'id="learning-hours-error"' in bad.get_data(as_text=True)
    ok = client.post(
        f"/plugins/competency/people/{PERSON}/learning",
        data={
            "activity": "e_learning",
            "date": local_today().isoformat(),
            "hours": "1,5",
            "skills": ["graphic-design"],
        },
    )
    assert ok.status_code == 302
    page = client.get(f"/plugins/competency/people/{PERSON}").get_data(as_text=True)
    assert "jp-progress" in page and 'value="90"' in page  # 1.5 h = 90 minutes


def test_person_page_warns_before_a_certificate_lapses(app, client, auth, team):
    today = local_today()
    with app.app_context():
        staff = get_user("staff", team)
        skills.add_certificate(
            staff,
            staff,
            {"test": "TOEFL", "score": 530, "taken_on": today - timedelta(days=700),
             "expires_on": today + timedelta(days=30)},
        )  # fmt: skip
    auth.login(PERSON)
    page = client.get(f"/plugins/competency/people/{PERSON}").get_data(as_text=True)
    assert "certificate-warning" in page and "alert-warning" in page
    body = client.get(f"/people/{PERSON}").get_data(as_text=True)
    assert "certificate-expiring" in body


def test_unit_plan_exports_as_csv_and_xlsx(app, client, auth, team):
    from openpyxl import load_workbook

    from tests.test_competency_gaps import make_card, utc

    make_card(app, team, "=HYPERLINK(\"x\")", ["skill:graphic-design"],
              when=(utc("2026-10-05", 8), None, None))  # fmt: skip
    auth.login(NIPS["kasi"])
    query = "?from=2026-10-01&to=2026-10-23"
    response = client.get(f"/plugins/competency/units/SEKSI-APL/plan.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "SEKSI-APL-2026-10-01-2026-10-23.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    design = next(row for row in rows if row[:1] == ["1"])
    assert "Agus Pratama" in design[6] and design[2] == "1"
    assert any(row[1:2] == [PERSON] for row in rows)  # the JP table names each person
    xlsx = client.get(f"/plugins/competency/units/SEKSI-APL/plan.xlsx{query}")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    assert len(book.sheetnames) == 2
    values = [cell.value for row in book.worksheets[0].iter_rows() for cell in row]
    assert any(isinstance(v, str) and "Agus Pratama" in v for v in values)
    assert (
        client.get("/plugins/competency/units/SEKSI-APL/plan.csv?from=kemarin").status_code == 422
    )


def test_unit_page_lists_who_is_behind(app, client, auth, team):
    with app.app_context():
        staff2 = get_user("staff2", team)
        today = local_today().isoformat()
        skills.record_learning(staff2, staff2, {"activity": "training", "date": today, "hours": 15})
    auth.login(NIPS["kasi"])
    page = client.get("/plugins/competency/units/SEKSI-APL").get_data(as_text=True)
    assert "jp-table" in page
    table = page[page.index("jp-table") :]
    # 15 h = 900 minutes = 20 JP: Dewi reached the target, Agus (nothing logged) is listed first.
    assert table.index("Agus Pratama") < table.index("Dewi Lestari")
    assert client.get("/plugins/competency/units/SEKSI-APL?from=2026-13-01").status_code == 422


def test_nav_links_to_the_competency_pages(app, client, auth, team):
    auth.login(PERSON)
    assert 'href="/plugins/competency/"' in client.get("/").get_data(as_text=True)
