# ruff: noqa: F811 - the `chain` fixture is imported from tests.approvals_fixtures
"""Paraf returned or rejected (the preference event `paraf_returned`): the approvals plugin tells
the card's creator and its assignee, never the approver who decided."""

from sqlalchemy import select

from app.extensions import db
from app.models import Notification
from tests.approvals_fixtures import NIPS, api, chain  # noqa: F401


def told(app, s) -> dict[str, list[str]]:
    names = {user_id: key for key, user_id in s.ids.items()}
    with app.app_context():
        rows = db.session.execute(
            select(Notification.user_id, Notification.kind)
            .where(Notification.kind.in_(("approvals_returned", "approvals_rejected")))
            .order_by(Notification.id)
        )
        found: dict[str, list[str]] = {}
        for user_id, kind in rows:
            found.setdefault(names[user_id], []).append(kind)
        return found


def prepare(app, s):
    """The drafter's card, assigned to the Plh by the Kasi, sent for paraf."""
    version = api(app, s, "kasi").get(f"/api/v1/cards/{s.card_id}").get_json()["version"]
    client = app.test_client()  # the helper has no PATCH
    headers = {"Authorization": f"Bearer {s.tokens['kasi']}"}
    patched = client.patch(
        f"/api/v1/cards/{s.card_id}",
        json={"assignee": NIPS["plh"], "version": version},
        headers=headers,
    )
    assert patched.status_code == 200, patched.get_json()
    moved = api(app, s, "drafter").post(
        f"/api/v1/cards/{s.card_id}/move", json={"column_id": s.column["Paraf"]}
    )
    assert moved.status_code == 200, moved.get_json()


def test_returned_tells_creator_and_assignee(chain):
    app, s = chain
    prepare(app, s)
    body = {"decision": "return", "note": "Perbaiki lampiran"}
    assert (
        api(app, s, "kasi").post(f"/api/v1/cards/{s.card_id}/approval", json=body).status_code
        == 200
    )
    assert told(app, s) == {"drafter": ["approvals_returned"], "plh": ["approvals_returned"]}


def test_rejected_tells_creator_and_assignee(chain):
    app, s = chain
    prepare(app, s)
    body = {"decision": "reject", "note": "Tidak perlu surat"}
    assert (
        api(app, s, "kasi").post(f"/api/v1/cards/{s.card_id}/approval", json=body).status_code
        == 200
    )
    assert told(app, s) == {"drafter": ["approvals_rejected"], "plh": ["approvals_rejected"]}
