# ruff: noqa: F811 - the `chain` fixture is imported from tests.approvals_fixtures
"""The paraf chain end to end over the API: request, approve in order, gate, return and
resubmit, reject, self-approval refused, Plh within dates."""

from datetime import timedelta

import pytest

from plugins.approvals.clock import jakarta_today
from tests.approvals_fixtures import CHAIN, NIPS, api, chain  # noqa: F401
from tests.conftest import PASSWORD


def move(app, s, who, column):
    return api(app, s, who).post(
        f"/api/v1/cards/{s.card_id}/move", json={"column_id": s.column[column]}
    )


def approval(app, s, who="drafter"):
    return api(app, s, who).get(f"/api/v1/cards/{s.card_id}").get_json()["plugins"]["approvals"]


def decide(app, s, who, decision, note=None, **extra):
    body = {"decision": decision, **extra}
    if note is not None:
        body["note"] = note
    return api(app, s, who).post(f"/api/v1/cards/{s.card_id}/approval", json=body)


def events(app, s):
    data = api(app, s, "drafter").get(f"/api/v1/cards/{s.card_id}/events").get_json()
    return [e["kind"] for e in data["events"]]


def test_three_step_chain_opens_the_gate_only_when_every_step_approved(chain):
    app, s = chain
    assert approval(app, s)["state"] == "none"
    done = move(app, s, "drafter", "Terkirim")
    assert done.status_code == 409
    assert "Paraf" in done.get_json()["error"]["vetoes"][0]["message"]

    assert move(app, s, "drafter", "Paraf").status_code == 200
    state = approval(app, s)
    assert state["state"] == "pending" and state["current_step"] == 1
    assert state["steps"][0]["approver"] == NIPS["kasi"]
    assert [step["status"] for step in state["steps"]] == ["current", "waiting", "waiting"]

    assert decide(app, s, "kasi", "approve").status_code == 200
    refused = move(app, s, "drafter", "Terkirim")
    assert refused.status_code == 409
    message = refused.get_json()["error"]["vetoes"][0]["message"]
    assert "Kabid TIK" in message and "Budi Santoso" in message

    # Out of order: the third approver cannot act on step 2.
    assert decide(app, s, "kadis", "approve").status_code == 403
    assert decide(app, s, "kabid", "approve").status_code == 200
    assert decide(app, s, "kadis", "approve", note="Sesuai").status_code == 200

    state = approval(app, s)
    assert state["state"] == "approved" and state["current_step"] is None
    assert [step["decided_by"] for step in state["steps"]] == [
        NIPS["kasi"],
        NIPS["kabid"],
        NIPS["kadis"],
    ]
    assert state["steps"][2]["note"] == "Sesuai"
    assert move(app, s, "drafter", "Terkirim").status_code == 200
    kinds = events(app, s)
    assert kinds.count("approval_requested") == 3
    assert kinds.count("approval_approved") == 3


def test_return_sends_the_card_back_and_resubmission_starts_at_step_one(chain):
    app, s = chain
    move(app, s, "drafter", "Paraf")
    decide(app, s, "kasi", "approve")
    no_note = decide(app, s, "kabid", "return")
    assert no_note.status_code == 422
    assert "note" in no_note.get_json()["error"]["fields"]

    returned = decide(app, s, "kabid", "return", note="Perbaiki lampiran")
    assert returned.status_code == 200
    assert returned.get_json()["approvals"]["state"] == "returned"
    card = api(app, s, "drafter").get(f"/api/v1/cards/{s.card_id}").get_json()
    assert card["column_id"] == s.column["Dikerjakan"]
    assert card["plugins"]["approvals"]["steps"][1]["note"] == "Perbaiki lampiran"
    assert move(app, s, "drafter", "Terkirim").status_code == 409

    assert move(app, s, "drafter", "Paraf").status_code == 200
    state = approval(app, s)
    assert state["state"] == "pending" and state["current_step"] == 1 and state["round"] == 2
    assert [step["status"] for step in state["steps"]] == ["current", "waiting", "waiting"]


def test_rejection_closes_the_chain(chain):
    app, s = chain
    move(app, s, "drafter", "Paraf")
    assert decide(app, s, "kasi", "reject", note="Tidak perlu surat").status_code == 200
    assert approval(app, s)["state"] == "rejected"
    assert decide(app, s, "kabid", "approve").status_code == 409
    assert move(app, s, "drafter", "Terkirim").status_code == 409
    assert "approval_rejected" in events(app, s)


def test_a_decision_on_a_step_that_is_no_longer_current_conflicts(chain):
    app, s = chain
    move(app, s, "drafter", "Paraf")
    assert decide(app, s, "kasi", "approve", step=1).status_code == 200
    again = decide(app, s, "kasi", "approve", step=1)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "step_not_current"
    assert decide(app, s, "kasi", "approve").status_code == 409
    assert approval(app, s)["current_step"] == 2


def test_nobody_approves_a_card_they_created_or_are_assigned_to(chain):
    app, s = chain
    # The head of the seksi is assigned to the letter; step 1 is theirs.
    card = api(app, s, "kasi").get(f"/api/v1/cards/{s.card_id}").get_json()
    patched = app.test_client().patch(
        f"/api/v1/cards/{s.card_id}",
        json={"assignee": NIPS["kasi"], "version": card["version"]},
        headers={"Authorization": f"Bearer {s.tokens['kasi']}"},
    )
    assert patched.status_code == 200
    move(app, s, "drafter", "Paraf")
    refused = decide(app, s, "kasi", "approve")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "self_approval"

    # An admin reassigns the step to the Kabid, who may approve it.
    assert decide(app, s, "drafter", "reassign", to=NIPS["kabid"]).status_code == 403
    assert decide(app, s, "admin", "reassign", to=NIPS["kabid"]).status_code == 200
    assert decide(app, s, "kabid", "approve", step=1).status_code == 200
    assert "approval_reassigned" in events(app, s)


def test_plh_approves_within_the_dates_and_is_refused_outside(chain):
    app, s = chain
    today = jakarta_today()
    later = api(app, s, "kabid").post(
        "/api/v1/delegations",
        json={
            "from": NIPS["kabid"],
            "to": NIPS["plh"],
            "kind": "plh",
            "start": (today + timedelta(days=10)).isoformat(),
            "end": (today + timedelta(days=12)).isoformat(),
        },
    )
    assert later.status_code == 201
    move(app, s, "drafter", "Paraf")
    decide(app, s, "kasi", "approve")
    assert decide(app, s, "plh", "approve").status_code == 403  # not yet active

    now = api(app, s, "kabid").post(
        "/api/v1/delegations",
        json={
            "from": NIPS["kabid"],
            "to": NIPS["plh"],
            "kind": "plh",
            "start": (today - timedelta(days=1)).isoformat(),
            "end": (today + timedelta(days=1)).isoformat(),
        },
    )
    assert now.status_code == 201, now.get_json()
    inbox = api(app, s, "plh").get("/api/v1/approvals/inbox").get_json()["items"]
    assert [item["card"]["id"] for item in inbox] == [s.card_id]
    assert inbox[0]["acting_as"] == "plh" and inbox[0]["acting_for"] == NIPS["kabid"]

    assert decide(app, s, "plh", "approve").status_code == 200
    step = approval(app, s)["steps"][1]
    assert step["decided_by"] == NIPS["plh"]
    assert step["acting_as"] == "plh" and step["acting_for"] == NIPS["kabid"]
    history = api(app, s, "drafter").get(f"/api/v1/cards/{s.card_id}/events").get_json()["events"]
    approved = [e for e in history if e["kind"] == "approval_approved"][-1]
    assert approved["data"]["acting_as"] == "plh"


def test_a_stand_in_may_name_their_own_who_never_acts_for_the_first_approver(chain):
    app, s = chain
    today = jakarta_today().isoformat()
    body = {"from": NIPS["kabid"], "to": NIPS["plh"], "kind": "plh", "start": today, "end": today}
    assert api(app, s, "kabid").post("/api/v1/delegations", json=body).status_code == 201
    # Being someone's stand-in never blocks one's own delegation ...
    onward = {**body, "from": NIPS["plh"], "to": NIPS["drafter"]}
    assert api(app, s, "plh").post("/api/v1/delegations", json=onward).status_code == 201
    # ... and a stand-in's stand-in never acts for the original approver.
    move(app, s, "drafter", "Paraf")
    assert decide(app, s, "kasi", "approve").status_code == 200
    refused = decide(app, s, "drafter", "approve", step=2)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "not_your_step"
    # Only the approver, their head or an admin may name a stand-in.
    other = {**body, "from": NIPS["kasi"], "start": "2027-01-01", "end": "2027-01-02"}
    assert api(app, s, "drafter").post("/api/v1/delegations", json=other).status_code == 403
    assert api(app, s, "kabid").post("/api/v1/delegations", json=other).status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"decision": "maybe"}, "decision"),
        ({"decision": "approve", "step": "1"}, "step"),
        ({"decision": "approve", "note": 5}, "note"),
        ({"decision": "approve", "extra": 1}, "extra"),
        ({}, "decision"),
    ],
)
def test_bad_decisions_are_422_with_the_field(chain, body, field):
    app, s = chain
    move(app, s, "drafter", "Paraf")
    response = api(app, s, "kasi").post(f"/api/v1/cards/{s.card_id}/approval", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"to": NIPS["plh"], "kind": "acting", "start": "2026-01-01", "end": "2026-01-02"}, "kind"),
        ({"to": "nobody", "kind": "plh", "start": "2026-01-01", "end": "2026-01-02"}, "to"),
        ({"to": NIPS["plh"], "kind": "plh", "start": "1/1/2026", "end": "2026-01-02"}, "start"),
        ({"to": NIPS["plh"], "kind": "plh", "start": "2026-01-03", "end": "2026-01-02"}, "end"),
        ({"to": NIPS["kabid"], "kind": "plh", "start": "2026-01-01", "end": "2026-01-02"}, "to"),
    ],
)
def test_bad_delegations_are_422_with_the_field(chain, body, field):
    app, s = chain
    response = api(app, s, "kabid").post("/api/v1/delegations", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_api_without_a_token_is_401(chain):
    app, s = chain
    assert app.test_client().get("/api/v1/approvals/inbox").status_code == 401
    assert app.test_client().post("/api/v1/delegations", json={}).status_code == 401


def test_an_approver_from_another_unit_decides_through_the_plugin_card_page(chain):
    app, s = chain
    # The Sekretaris sits in the Dinas as a member: they cannot see the Seksi's board.
    settings = {"chains": [{**CHAIN, "steps": [*CHAIN["steps"][:2], {"user": NIPS["sekretaris"]}]}]}
    saved = app.test_client().put(
        f"/api/v1/boards/{s.board_id}/plugins/approvals/settings",
        json={"settings": settings},
        headers={"Authorization": f"Bearer {s.tokens['kasi']}"},
    )
    assert saved.status_code == 200, saved.get_json()
    move(app, s, "drafter", "Paraf")
    sekretaris = api(app, s, "sekretaris")
    # Not yet their step: the card stays invisible to them.
    assert sekretaris.get(f"/api/v1/cards/{s.card_id}").status_code == 404
    assert decide(app, s, "sekretaris", "approve").status_code == 404
    decide(app, s, "kasi", "approve")
    decide(app, s, "kabid", "approve")

    inbox = sekretaris.get("/api/v1/approvals/inbox").get_json()["items"]
    assert [item["card"]["id"] for item in inbox] == [s.card_id]
    client = app.test_client()
    client.post("/login", data={"username": NIPS["sekretaris"], "password": PASSWORD})
    assert client.get(f"/cards/{s.card_id}").status_code == 404  # the board stays private
    page = client.get(f"/plugins/approvals/cards/{s.card_id}")
    assert page.status_code == 200
    assert 'value="approve"' in page.get_data(as_text=True)
    assert f"/plugins/approvals/cards/{s.card_id}" in client.get(
        "/plugins/approvals/inbox"
    ).get_data(as_text=True)
    assert decide(app, s, "sekretaris", "approve").status_code == 200
    assert approval(app, s)["state"] == "approved"


def test_chain_settings_are_validated(chain):
    app, s = chain
    headers = {"Authorization": f"Bearer {s.tokens['kasi']}"}
    url = f"/api/v1/boards/{s.board_id}/plugins/approvals/settings"
    bad_chains = [
        [{**CHAIN, "steps": []}],
        [{**CHAIN, "steps": [{"head_of": "NO-SUCH-UNIT"}]}],
        [{**CHAIN, "steps": [{"user": "nobody-at-all"}]}],
        [{**CHAIN, "return_column": "Paraf"}],
        [CHAIN, CHAIN],
        "surat-keluar",
    ]
    for chains in bad_chains:
        response = app.test_client().put(
            url, json={"settings": {"chains": chains}}, headers=headers
        )
        assert response.status_code == 422, chains
        assert "settings.chains" in response.get_json()["error"]["fields"]
    negative = app.test_client().put(
        url, json={"settings": {"remind_after_days": -1}}, headers=headers
    )
    assert negative.status_code == 422


def test_taking_a_card_out_of_review_withdraws_the_round(chain):
    app, s = chain
    move(app, s, "drafter", "Paraf")
    assert move(app, s, "drafter", "Dikerjakan").status_code == 200
    state = approval(app, s)
    assert state["state"] == "none" and state["current_step"] is None
    assert api(app, s, "kasi").get("/api/v1/approvals/inbox").get_json()["items"] == []
    assert "approval_withdrawn" in events(app, s)
    move(app, s, "drafter", "Paraf")
    assert approval(app, s)["round"] == 2


def test_a_card_created_in_the_review_column_starts_its_chain(chain):
    app, s = chain
    created = api(app, s, "drafter").post(
        f"/api/v1/boards/{s.board_id}/cards",
        json={
            "title": "Nota dinas langsung paraf",
            "type": "surat-keluar",
            "column_id": s.column["Paraf"],
            "due_date": "2026-12-31",
        },
    )
    assert created.status_code == 201
    card = api(app, s, "drafter").get(f"/api/v1/cards/{created.get_json()['id']}").get_json()
    assert card["plugins"]["approvals"]["state"] == "pending"
    other = api(app, s, "drafter").post(
        f"/api/v1/boards/{s.board_id}/cards", json={"title": "Tugas biasa", "type": "tugas"}
    )
    plain = api(app, s, "drafter").get(f"/api/v1/cards/{other.get_json()['id']}").get_json()
    assert plain["plugins"]["approvals"] == {
        "state": "none",
        "current_step": None,
        "round": 0,
        "documents": [],
        "steps": [],
    }


def test_the_board_settings_page_shows_a_bad_chain_next_to_the_field(chain):
    app, s = chain
    client = app.test_client()
    client.post("/login", data={"username": NIPS["kasi"], "password": PASSWORD})
    # The chain's editor as the page sends it, its step naming a unit that does not exist.
    form = {
        "enabled": "1",
        "setting-remind_after_days": "2",
        "setting-chains-0-_row": "1",
        "setting-chains-0-type": CHAIN["type"],
        "setting-chains-0-review_column": CHAIN["review_column"],
        "setting-chains-0-return_column": CHAIN["return_column"],
        "setting-chains-0-steps-0-_row": "1",
        "setting-chains-0-steps-0-head_of": "NOPE",
    }
    response = client.post(f"/boards/{s.board_id}/plugins/approvals", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page.split('id="plugin-approvals-chains-0-steps-0-head_of-error"')[1]
    assert "NOPE" in error.split("</p>")[0]
    assert approval(app, s)["state"] == "none"
    settings = api(app, s, "kasi").get(f"/api/v1/boards/{s.board_id}/plugins/approvals/settings")
    assert settings.get_json()["settings"]["chains"][0]["steps"][0] == {"head_of": "SEKSI-APL"}
