"""The workload plugin end to end: warnings on the board, the pages, the API, suggestions by
skill, one-click reassignment through the core service (audited), and constant query counts."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Card, Event
from app.services import accounts, cards, skills
from tests.conftest import NIPS, PASSWORD, get_user, make_app
from tests.query_counter import count_queries


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="workload")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def loaded(app, org):
    """Agus (staff) holds five active cards, Siti (kasi) one, Dewi (staff2) none; one of
    Agus's cards needs graphic design, which Dewi holds."""
    with app.app_context():
        admin = get_user("admin", org)
        skills.seed_catalog()
        staff2 = get_user("staff2", org)
        skills.set_user_skills(staff2, staff2, {"graphic-design": 2})
        ids = []
        for index in range(5):
            column = org.doing if index < 3 else org.review
            labels = ["skill:graphic-design"] if index == 0 else []
            data = {
                "title": f"Tugas Agus {index}",
                "assignee": NIPS["staff"],
                "due_date": "2026-12-20",
                "labels": labels,
            }
            ids.append(cards.create_card(admin, org.board_id, data, column_id=column).card.id)
        data = {"title": "Tugas Siti", "assignee": NIPS["kasi"], "due_date": "2026-12-20"}
        cards.create_card(admin, org.board_id, data, column_id=org.review, override_reason=None)
        return ids


def login(client, key):
    login_name = "admin" if key == "admin" else NIPS[key]
    client.post("/login", data={"username": login_name, "password": PASSWORD})
    client.post("/language", data={"locale": "en"})


def test_overloaded_person_is_flagged_on_the_board_page_and_board_api(
    app, client, org, loaded, api
):
    login(client, "staff")
    page = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert "Unbalanced load: Agus Pratama holds 5 active cards (team median 1)" in page
    assert "1 member has no active card while others are overloaded: Dewi Lestari" in page
    board = api("kasi").get(f"/api/v1/boards/{org.board_id}").get_json()
    texts = [w["text"] for w in board["warnings"]]
    assert any("Agus Pratama" in text and "5" in text for text in texts)


def test_board_workload_api_gives_people_median_imbalance_and_warnings(app, org, loaded, api):
    response = api("staff").get(f"/api/v1/boards/{org.board_id}/workload")
    assert response.status_code == 200
    body = response.get_json()
    people = {p["user"]: p for p in body["people"]}
    assert set(people) == {NIPS["kasi"], NIPS["staff"], NIPS["staff2"]}
    agus = people[NIPS["staff"]]
    assert agus["active_cards"] == 5
    assert agus["estimated_hours"] == 20.0  # five cards without estimate x 4 hours
    assert agus["overdue"] == 0
    assert agus["overloaded"] is True
    assert "above_median" in agus["reasons"]
    assert people[NIPS["staff2"]]["active_cards"] == 0
    assert people[NIPS["staff2"]]["skills"] == {"graphic-design": 2}
    assert body["median_active"] == 1.0
    assert body["imbalance_index"] == "gini_active_hours"
    assert 0.5 < body["imbalance"] < 1
    assert {w["code"] for w in body["warnings"]} >= {"above_median", "idle", "imbalance"}
    design = next(s for s in body["suggestions"] if s["skills"] == ["graphic-design"])
    assert design["holder"] == NIPS["staff"]
    assert design["candidates"] == [NIPS["staff2"]]
    assert set(body) >= {"people", "median_active", "imbalance", "warnings", "board", "horizon"}


def test_unit_workload_covers_sub_units_and_hides_what_the_caller_cannot_see(app, org, loaded, api):
    body = api("kabid").get("/api/v1/units/BID-TIK/workload").get_json()
    assert body["unit"]["code"] == "BID-TIK"
    people = {p["user"]: p for p in body["people"]}
    assert people[NIPS["staff"]]["active_cards"] == 5  # a card of the sub-unit's board
    assert NIPS["kabid"] in people  # a member of the unit itself, without cards
    assert [b["id"] for b in body["boards"]] == [org.board_id]
    assert api("staff").get("/api/v1/units/BID-TIK/workload").status_code == 404
    assert api("outsider").get("/api/v1/units/SEKSI-APL/workload").status_code == 404
    missing = api("kadis").get("/api/v1/units/NO-SUCH-UNIT/workload")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert api("outsider").get(f"/api/v1/boards/{org.board_id}/workload").status_code == 404
    assert api("kadis").get("/api/v1/units/%00/workload").status_code == 404
    assert api("kadis").get("/api/v1/boards/99999999999/workload").status_code == 404


def test_workload_pages_show_chart_table_suggestions_and_trend(app, client, org, loaded):
    login(client, "kasi")
    page = client.get(f"/plugins/workload/boards/{org.board_id}").get_data(as_text=True)
    assert '<svg class="workload-chart"' in page
    assert "Agus Pratama" in page and "Dewi Lestari" in page
    assert "Who could take it" in page
    assert "Give to Dewi Lestari" in page
    assert f'hx-get="/plugins/workload/boards/{org.board_id}/trend"' in page
    trend = client.get(
        f"/plugins/workload/boards/{org.board_id}/trend", headers={"HX-Request": "true"}
    )
    fragment = trend.get_data(as_text=True)
    assert "<html" not in fragment
    assert 'class="wl-spark-line"' in fragment and "Agus Pratama" in fragment
    whole = client.get("/plugins/workload/units/SEKSI-APL/trend").get_data(as_text=True)
    assert "<html" in whole and 'class="wl-spark-line"' in whole
    unit = client.get("/plugins/workload/units/SEKSI-APL")
    assert unit.status_code == 200
    assert "Give to Dewi Lestari" in unit.get_data(as_text=True)
    index = client.get("/plugins/workload/").get_data(as_text=True)
    assert "/plugins/workload/units/SEKSI-APL" in index
    assert f"/plugins/workload/boards/{org.board_id}" in index


def test_members_see_suggestions_but_no_reassign_button(app, client, org, loaded):
    login(client, "staff")
    page = client.get(f"/plugins/workload/boards/{org.board_id}").get_data(as_text=True)
    assert "Who could take it" in page
    assert "Give to" not in page


def test_head_reassigns_with_one_click_through_the_core_service(app, client, org, loaded):
    card_id = loaded[0]
    login(client, "kasi")
    back = f"/plugins/workload/boards/{org.board_id}"
    response = client.post(
        f"/plugins/workload/cards/{card_id}/reassign",
        data={"assignee": NIPS["staff2"], "version": "1", "next": back},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(back)
    page = client.get(back).get_data(as_text=True)
    assert "now belongs to Dewi Lestari" in page
    with app.app_context():
        card = db.session.get(Card, card_id)
        assert card.assignee_id == org.users["staff2"]
        assert card.version == 2
        event = db.session.scalar(
            select(Event).where(Event.card_id == card_id, Event.kind == "assigned")
        )
        assert event.actor_id == org.users["kasi"]
        assert event.data == {"old": NIPS["staff"], "new": NIPS["staff2"]}


def test_reassign_refusals_leave_the_card_alone(app, client, org, loaded):
    card_id = loaded[1]
    url = f"/plugins/workload/cards/{card_id}/reassign"
    login(client, "staff")
    assert client.post(url, data={"assignee": NIPS["staff2"], "version": "1"}).status_code == 403
    client.post("/logout")
    login(client, "outsider")
    assert client.post(url, data={"assignee": NIPS["staff2"], "version": "1"}).status_code == 404
    client.post("/logout")
    login(client, "kasi")
    stale = client.post(url, data={"assignee": NIPS["staff2"], "version": "7"})
    assert stale.status_code == 303
    assert "Someone else changed this card" in client.get(stale.headers["Location"]).get_data(
        as_text=True
    )
    nobody = client.post(url, data={"assignee": "no-such-person", "version": "1"})
    assert nobody.status_code == 303
    outsider = client.post(url, data={"assignee": NIPS["outsider"], "version": "1"})
    assert outsider.status_code == 303
    nul = client.post(url, data={"assignee": "a\x00b", "version": "1"})
    assert nul.status_code == 303
    empty = client.post(url, data={"assignee": "", "version": "x", "next": "https://evil.example"})
    assert empty.status_code == 303
    assert "evil" not in empty.headers["Location"]
    assert client.post("/plugins/workload/cards/999999/reassign", data={}).status_code == 404
    with app.app_context():
        card = db.session.get(Card, card_id)
        assert (card.assignee_id, card.version) == (org.users["staff"], 1)


def test_reassign_respects_the_personal_wip_limit(app, client, org, loaded):
    with app.app_context():
        from app.services import boards

        boards.update_board(
            get_user("admin", org),
            org.board_id,
            {"name": "Layanan Aplikasi", "personal_wip_limit": "1"},
        )
    login(client, "kasi")
    response = client.post(
        f"/plugins/workload/cards/{loaded[2]}/reassign",
        data={"assignee": NIPS["kasi"], "version": "1"},
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "personal WIP limit 1" in page
    with app.app_context():
        assert db.session.get(Card, loaded[2]).assignee_id == org.users["staff"]


def _add_people(app, org, count: int, offset: int) -> None:
    """`count` more members of SEKSI-APL, each holding one active card on the board."""
    with app.app_context():
        admin = get_user("admin", org)
        for index in range(offset, offset + count):
            nip = f"199001{index + 1:02d}2015011{index + 1:03d}"
            accounts.create_user(
                f"Pegawai {index}", PASSWORD, nip=nip, unit_code="SEKSI-APL", role="member"
            )
            skills.set_user_skills(admin, get_user_by_nip(nip), {"office-software": 2})
            data = {"title": f"Kartu {index}", "assignee": nip, "due_date": "2026-12-20"}
            cards.create_card(admin, org.board_id, data, column_id=org.review)


def get_user_by_nip(nip):
    from app.models import User

    return db.session.scalar(select(User).where(User.nip == nip))


@pytest.mark.parametrize("kind", ["board-api", "unit-api", "board-page", "unit-page", "unit-trend"])
def test_query_count_does_not_grow_with_the_number_of_people(app, client, org, loaded, api, kind):
    login(client, "kadis")
    urls = {
        "board-api": f"/api/v1/boards/{org.board_id}/workload",
        "unit-api": "/api/v1/units/DISKOMINFO/workload",
        "board-page": f"/plugins/workload/boards/{org.board_id}",
        "unit-page": "/plugins/workload/units/DISKOMINFO",
        "unit-trend": "/plugins/workload/units/DISKOMINFO/trend",
    }
    caller = api("kadis") if kind.endswith("api") else client

    def queries() -> int:
        with count_queries(app) as statements:
            assert caller.get(urls[kind]).status_code == 200
        return len(statements)

    queries()  # warm caches that are per process, not per request
    _add_people(app, org, 2, 0)
    few = queries()
    _add_people(app, org, 12, 2)
    many = queries()
    assert many == few


def test_effectiveness_horizon_counts_working_days_of_the_unit_calendar(app, org):
    from datetime import date

    from app.models import Unit
    from plugins.workload.service import horizon_end

    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "SEKSI-APL"))
        # Friday 2026-12-18: the 5th working day after it skips the weekend and Christmas.
        end = horizon_end(unit, date(2026, 12, 18), 5)
        assert end > date(2026, 12, 24)
        assert date(2026, 12, 25) != end
        from cergas.plugin import work_calendar

        calendar = work_calendar(unit)
        assert calendar.is_working_day(end)
        assert calendar.working_days_in(date(2026, 12, 18), end) == 5


def test_thresholds_are_per_board_settings_and_the_plugin_can_be_switched_off(
    app, client, org, loaded, api
):
    from app.services import plugins

    url = f"/api/v1/boards/{org.board_id}/workload"
    assert "above_median" in {w["code"] for w in api("kasi").get(url).get_json()["warnings"]}
    with app.app_context():
        plugins.set_board_plugin(
            get_user("kasi", org),
            org.board_id,
            "workload",
            settings={"overload_factor": 6.0, "default_estimate": 1.5},
        )
    body = api("kasi").get(url).get_json()
    assert "above_median" not in {w["code"] for w in body["warnings"]}
    agus = next(p for p in body["people"] if p["user"] == NIPS["staff"])
    assert agus["estimated_hours"] == 7.5  # five cards x the board's 1.5 default hours
    with app.app_context():
        plugins.set_board_plugin(get_user("kasi", org), org.board_id, "workload", enabled=False)
    login(client, "kasi")
    page = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert "Agus Pratama holds" not in page
