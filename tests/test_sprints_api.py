"""The sprint and metrics API: the whole cycle, the review once closed, refusals as JSON."""

import pytest

from app.api.sprints import BoardMetrics, SprintDetail
from cergas.plugin import hookimpl
from tests.conftest import head_with_board, make_app

pytestmark = pytest.mark.pg

GOAL = "Semua permohonan informasi Oktober dijawab"
SPRINT = {"name": "Sprint Oktober", "goal": GOAL, "start": "2026-10-05", "end": "2026-10-16"}


def new_card(api, org, title, **fields):
    body = {"title": title, "due_date": "2026-12-31", **fields}
    return api("kasi").post(f"/api/v1/boards/{org.board_id}/cards", json=body).get_json()["id"]


def test_a_sprint_is_planned_started_closed_and_reviewed_through_the_api(api, org):
    head = api("kasi")
    done_card = new_card(api, org, "Balas surat BPS", estimate=3)
    open_card = new_card(api, org, "Rekap permohonan", estimate=2)
    late_card = new_card(api, org, "Permohonan mendadak", estimate=1)
    response = head.post(f"/api/v1/boards/{org.board_id}/sprints", json=SPRINT)
    assert response.status_code == 201
    sprint = response.get_json()
    assert sprint["state"] == "planned" and sprint["goal"] == GOAL
    assert response.headers["Location"].endswith(f"/api/v1/sprints/{sprint['id']}")
    nxt = head.post(
        f"/api/v1/boards/{org.board_id}/sprints",
        json={**SPRINT, "name": "Sprint November", "start": "2026-10-19", "end": "2026-10-30"},
    ).get_json()
    added = head.post(
        f"/api/v1/sprints/{sprint['id']}/cards", json={"card_ids": [done_card, open_card]}
    )
    assert added.status_code == 200 and added.get_json()["added"] == [done_card, open_card]
    started = head.post(f"/api/v1/sprints/{sprint['id']}/start").get_json()
    assert started["state"] == "active" and "working_days_left" in started
    assert started["progress"]["committed"] == {"cards": 2, "estimate": 5.0}
    head.post(f"/api/v1/sprints/{sprint['id']}/cards", json={"card_ids": [late_card]})
    assert head.delete(f"/api/v1/sprints/{sprint['id']}/cards/{late_card}").status_code == 200
    head.post(f"/api/v1/cards/{done_card}/move", json={"column_id": org.done})
    closed = head.post(
        f"/api/v1/sprints/{sprint['id']}/close",
        json={"goal_met": "partly", "note": "Rekap menunggu data", "carry_over": "next"},
    )
    assert closed.status_code == 200
    answer = api("staff").get(f"/api/v1/sprints/{sprint['id']}").get_json()
    SprintDetail.model_validate(answer)  # the documented shape (app/api/sprints.py)
    SprintDetail.model_validate(started)
    review = answer["review"]
    assert review["committed"] == {"cards": 2, "estimate": 5.0}
    assert review["completed"] == {"cards": 1, "estimate": 3.0}
    assert [c["card_id"] for c in review["added"]] == [late_card]
    assert [c["card_id"] for c in review["removed"]] == [late_card]
    assert review["carried_over"] == [
        {
            "card_id": open_card,
            "title": "Rekap permohonan",
            "estimate": 2.0,
            "to": "next",
            "to_sprint": "Sprint November",
        }
    ]
    assert review["deadline_changes"] == []
    assert api("staff").get(f"/api/v1/cards/{open_card}").get_json()["sprint_id"] == nxt["id"]
    listed = api("staff").get(f"/api/v1/boards/{org.board_id}/sprints").get_json()["sprints"]
    assert [s["name"] for s in listed] == ["Sprint November", "Sprint Oktober"]


def test_members_read_sprints_but_only_heads_change_them(api, org):
    sprint = api("kasi").post(f"/api/v1/boards/{org.board_id}/sprints", json=SPRINT).get_json()
    card = new_card(api, org, "Kartu")
    staff = api("staff")
    assert staff.get(f"/api/v1/sprints/{sprint['id']}").status_code == 200
    refused = staff.post(f"/api/v1/boards/{org.board_id}/sprints", json=SPRINT)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert (
        staff.post(f"/api/v1/sprints/{sprint['id']}/cards", json={"card_ids": [card]}).status_code
        == 403
    )
    assert staff.post(f"/api/v1/sprints/{sprint['id']}/start").status_code == 403
    assert api("outsider").get(f"/api/v1/sprints/{sprint['id']}").status_code == 404
    assert api("outsider").get(f"/api/v1/boards/{org.board_id}/metrics").status_code == 404


def test_bad_sprint_bodies_name_each_field(api, org):
    head = api("kasi")
    url = f"/api/v1/boards/{org.board_id}/sprints"
    response = head.post(url, json={"name": 5, "start": "2026-10-05", "end": "2026-10-01", "x": 1})
    error = response.get_json()["error"]
    assert response.status_code == 422
    assert set(error["fields"]) == {"name", "goal", "x"}
    response = head.post(url, json={**SPRINT, "end": "2026-10-01"})
    assert response.status_code == 422 and set(response.get_json()["error"]["fields"]) == {"end"}
    response = head.post(url, json={**SPRINT, "goal": "   "})
    assert response.get_json()["error"]["fields"] == {
        "goal": response.get_json()["error"]["fields"]["goal"]
    }
    sprint = head.post(url, json=SPRINT).get_json()
    cards_url = f"/api/v1/sprints/{sprint['id']}/cards"
    assert head.post(cards_url, json={"card_ids": "1"}).status_code == 422
    assert head.post(cards_url, json={"card_ids": [True]}).status_code == 422
    assert head.post(cards_url, json={"card_ids": [999]}).get_json()["error"]["fields"]["card_ids"]
    assert (
        head.post(f"/api/v1/sprints/{sprint['id']}/start").get_json()["error"]["code"]
        == "sprint_empty"
    )
    close = head.post(f"/api/v1/sprints/{sprint['id']}/close", json={"goal_met": "yes"})
    assert close.status_code == 409 and close.get_json()["error"]["code"] == "sprint_not_active"
    assert head.get("/api/v1/sprints/99999").status_code == 404
    assert head.get("/api/v1/sprints/99999999999").status_code == 404


def test_close_body_is_checked(api, org):
    head = api("kasi")
    card = new_card(api, org, "Kartu")
    sprint = head.post(f"/api/v1/boards/{org.board_id}/sprints", json=SPRINT).get_json()
    head.post(f"/api/v1/sprints/{sprint['id']}/cards", json={"card_ids": [card]})
    head.post(f"/api/v1/sprints/{sprint['id']}/start")
    url = f"/api/v1/sprints/{sprint['id']}/close"
    fields = head.post(url, json={"goal_met": "maybe", "carry_over": 3}).get_json()["error"][
        "fields"
    ]
    assert set(fields) == {"carry_over"}  # type errors first
    fields = head.post(url, json={"goal_met": "maybe"}).get_json()["error"]["fields"]
    assert set(fields) == {"goal_met"}
    fields = head.post(url, json={"goal_met": "no"}).get_json()["error"]["fields"]
    assert set(fields) == {"note"}
    response = head.post(
        url, json={"goal_met": "no", "note": "x", "carry_over": {str(card): "later"}}
    )
    assert response.status_code == 422
    response = head.post(url, json={"goal_met": "no", "note": "x", "carry_over": "next"})
    assert response.get_json()["error"]["code"] == "no_next_sprint"
    response = head.post(
        url, json={"goal_met": "no", "note": "x", "carry_over": {str(card): "backlog"}}
    )
    assert response.status_code == 200 and response.get_json()["state"] == "closed"


def test_metrics_endpoint_answers_throughput_percentiles_and_cfd(api, org):
    new_card(api, org, "Kartu selesai", column_id=org.done)
    data = api("staff").get(f"/api/v1/boards/{org.board_id}/metrics").get_json()
    BoardMetrics.model_validate(data)
    assert set(data) == {"from", "to", "throughput", "lead_time", "cycle_time", "cfd"}
    assert data["lead_time"]["count"] == 1 and set(data["lead_time"]) == {
        "count",
        "median",
        "p85",
        "histogram",
    }
    assert [c["name"] for c in data["cfd"]["columns"]] == [
        "Backlog",
        "Dikerjakan",
        "Review",
        "Selesai",
    ]
    assert data["cfd"]["columns"][3]["counts"][-1] == 1
    bad = api("staff").get(f"/api/v1/boards/{org.board_id}/metrics?from=2026-10-10&to=2026-10-01")
    assert bad.status_code == 422 and "from" in bad.get_json()["error"]["fields"]
    bad = api("staff").get(f"/api/v1/boards/{org.board_id}/metrics?from=2020-01-01&to=2026-10-01")
    assert bad.status_code == 422


class SprintWatcher:
    def __init__(self):
        self.calls = []

    @hookimpl
    def cergas_sprint_started(self, sprint, actor, board):
        self.calls.append(("started", sprint.name, actor.login, board.id))

    @hookimpl
    def cergas_sprint_closed(self, sprint, review, actor, board):
        self.calls.append(("closed", sprint.goal_met, review["committed"], review["completed"]))


def test_plugins_hear_cergas_sprint_started_and_cergas_sprint_closed(database_url):
    from app.extensions import db
    from app.services import cards, sprints

    watcher = SprintWatcher()
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"pengamat": watcher})
    try:
        with app.app_context():
            head, board = head_with_board("SEKSI", "Seksi", "Papan")
            card = cards.create_card(head, board.id, {"title": "Kartu", "estimate": 2}).card
            sprint = sprints.create_sprint(head, board.id, SPRINT)
            sprints.add_cards(head, sprint.id, [card.id])
            sprints.start_sprint(head, sprint.id)
            assert watcher.calls == [("started", "Sprint Oktober", "kepala", board.id)]
            sprints.close_sprint(head, sprint.id, "no", "Tidak sempat")
            assert watcher.calls[1] == (
                "closed",
                "no",
                {"cards": 1, "estimate": 2.0},
                {"cards": 0, "estimate": 0.0},
            )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


class BrokenWatcher:
    @hookimpl
    def cergas_sprint_started(self, sprint, actor, board):
        raise RuntimeError("boom")


def test_a_failing_sprint_hook_does_not_undo_the_start(database_url):
    from app.extensions import db
    from app.models import Sprint
    from app.services import cards, sprints

    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"rusak": BrokenWatcher()})
    try:
        with app.app_context():
            head, board = head_with_board("SEKSI", "Seksi", "Papan")
            card = cards.create_card(head, board.id, {"title": "Kartu"}).card
            sprint = sprints.create_sprint(head, board.id, SPRINT)
            sprints.add_cards(head, sprint.id, [card.id])
            sprints.start_sprint(head, sprint.id)
            assert db.session.get(Sprint, sprint.id).state == "active"
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
