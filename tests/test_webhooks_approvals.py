# ruff: noqa: F811 - the `chain` fixture is imported from tests.approvals_fixtures
"""Webhooks and the approvals plugin: each paraf decision is one `approval.decided` delivery,
written with the decision; a refused decision writes none."""

from sqlalchemy import select

from app.extensions import db
from app.models import Delivery, User
from app.services import webhooks
from tests.approvals_fixtures import NIPS, api, chain  # noqa: F401


def decided(app) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        return [row.payload for row in rows if row.payload["event"] == "approval.decided"]


def test_each_paraf_decision_is_one_approval_decided_event(chain):
    app, s = chain
    with app.app_context():
        kasi = db.session.scalar(select(User).where(User.nip == NIPS["kasi"]))
        body = {"url": "https://93.184.215.14/paraf", "events": ["approval.decided"]}
        webhooks.register(kasi, s.board_id, body)
    move = {"column_id": s.column["Paraf"]}
    assert (
        api(app, s, "drafter").post(f"/api/v1/cards/{s.card_id}/move", json=move).status_code == 200
    )
    url = f"/api/v1/cards/{s.card_id}/approval"
    assert api(app, s, "kadis").post(url, json={"decision": "approve"}).status_code == 403
    assert decided(app) == []  # the refused decision wrote nothing
    assert api(app, s, "kasi").post(url, json={"decision": "approve"}).status_code == 200
    answer = api(app, s, "kabid").post(url, json={"decision": "return", "note": "Perbaiki"})
    assert answer.status_code == 200
    got = decided(app)
    assert len(got) == 2
    assert [p["actor"]["login"] for p in got] == [NIPS["kasi"], NIPS["kabid"]]
    assert got[1]["data"]["note"] == "Perbaiki" and got[0]["card"]["id"] == s.card_id
