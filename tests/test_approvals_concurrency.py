# ruff: noqa: F811 - the `shared` fixture is imported from tests.approvals_fixtures
"""Two people deciding the same paraf step at the same moment (the Kabid and their Plh, each on
their own connection): exactly one decision wins, the other gets 409, never a double approval.

Runs against a file SQLite database (real locking) and PostgreSQL."""

import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Event
from plugins.approvals.clock import jakarta_today
from tests.approvals_fixtures import NIPS, api, shared  # noqa: F401

pytestmark = pytest.mark.pg

ROUNDS = 3


def race(app, seeded, callers, body):
    barrier = threading.Barrier(len(callers))
    statuses: list = [None] * len(callers)

    def worker(index, who):
        client = api(app, seeded, who)
        barrier.wait()
        response = client.post(f"/api/v1/cards/{seeded.card_id}/approval", json=body)
        statuses[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=worker, args=(i, who)) for i, who in enumerate(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_the_approver_and_their_plh_deciding_at_once_give_exactly_one_approval(shared):
    app, s = shared
    today = jakarta_today().isoformat()
    delegation = {
        "from": NIPS["kabid"],
        "to": NIPS["plh"],
        "kind": "plh",
        "start": today,
        "end": today,
    }
    assert api(app, s, "kabid").post("/api/v1/delegations", json=delegation).status_code == 201
    move = api(app, s, "drafter").post(
        f"/api/v1/cards/{s.card_id}/move", json={"column_id": s.column["Paraf"]}
    )
    assert move.status_code == 200
    assert (
        api(app, s, "kasi")
        .post(f"/api/v1/cards/{s.card_id}/approval", json={"decision": "approve"})
        .status_code
        == 200
    )

    outcomes = race(app, s, ["kabid", "plh"], {"decision": "approve", "step": 2})

    codes = sorted(status for status, _body in outcomes)
    assert codes == [200, 409], outcomes
    loser = next(body for status, body in outcomes if status == 409)
    assert loser["error"]["code"] == "step_not_current"
    state = (
        api(app, s, "drafter").get(f"/api/v1/cards/{s.card_id}").get_json()["plugins"]["approvals"]
    )
    assert state["current_step"] == 3
    assert state["steps"][1]["status"] == "approved"
    with app.app_context():
        approvals = db.session.scalar(
            select(func.count(Event.id)).where(
                Event.kind == "approval_approved", Event.card_id == s.card_id
            )
        )
        assert approvals == 2  # step 1 and step 2, once each


def test_approve_and_return_racing_on_one_step_leave_one_consistent_outcome(shared):
    app, s = shared
    api(app, s, "drafter").post(
        f"/api/v1/cards/{s.card_id}/move", json={"column_id": s.column["Paraf"]}
    )
    for _round in range(ROUNDS):
        outcomes = race(
            app,
            s,
            ["kasi", "kasi"],
            {"decision": "approve", "step": 1},
        )
        assert sorted(status for status, _ in outcomes) == [200, 409], outcomes
        card = api(app, s, "drafter").get(f"/api/v1/cards/{s.card_id}").get_json()
        assert card["plugins"]["approvals"]["current_step"] == 2
        # Back to the start for the next round: the Kabid returns it, the drafter resubmits.
        back = api(app, s, "kabid").post(
            f"/api/v1/cards/{s.card_id}/approval", json={"decision": "return", "note": "Ulang"}
        )
        assert back.status_code == 200
        again = api(app, s, "drafter").post(
            f"/api/v1/cards/{s.card_id}/move", json={"column_id": s.column["Paraf"]}
        )
        assert again.status_code == 200
