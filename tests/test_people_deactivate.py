"""Deactivating a person: no more sign-in, their sessions and API tokens end at once, their
acting appointments end, their open cards stay assigned but are flagged on the board; nobody
deactivates themselves or the last admin; reactivating opens the account again."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ActingHead, AdminEvent, Unit
from app.services import accounts, cards, people
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import NIPS, PASSWORD, get_user

pytestmark = pytest.mark.pg
BADGE = "Perlu dialihkan: pegawai nonaktif"


def test_deactivated_persons_session_and_token_stop_at_once(app, org, client, auth, tokens):
    auth.login(NIPS["staff"])
    assert client.get("/boards").status_code == 200
    token = {"Authorization": f"Bearer {tokens['staff']}"}
    assert client.get("/api/v1/boards", headers=token).status_code == 200
    with app.app_context():
        people.deactivate(get_user("kasi", org), NIPS["staff"], "retired")
    assert client.get("/boards").status_code == 302  # to the login page
    assert client.get("/api/v1/boards", headers=token).status_code == 401
    assert auth.login(NIPS["staff"]).status_code != 302
    with app.app_context():
        event = db.session.scalar(select(AdminEvent).where(AdminEvent.kind == "user.deactivated"))
        assert event.after["reason"] == "retired" and event.after["tokens_revoked"] == 1


def test_open_card_is_flagged_on_the_board_and_the_card_page(app, org, client, auth):
    with app.app_context():
        admin = get_user("admin", org)
        card = cards.create_card(
            admin, org.board_id, {"title": "Laporan bulanan", "assignee": NIPS["staff"]}
        ).card
        card_id = card.id
    auth.login(NIPS["kasi"])
    assert BADGE not in client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    response = client.post(
        f"/people/{NIPS['staff']}/deactivate", data={"reason": "long_leave", "note": ""}
    )
    assert response.status_code == 302
    board = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert BADGE in board
    page = client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert "Perlu dialihkan" in page and "(nonaktif)" in page
    with app.app_context():
        # The card keeps its assignee until someone takes it over; history intact.
        assert db.session.get(type(card), card_id).assignee_id == org.users["staff"]
        # Editing another field keeps the inactive assignee.
        cards.update_card(
            get_user("kasi", org),
            card_id,
            {"title": "Laporan", "assignee": NIPS["staff"]},
            version=1,
        )


def test_reason_is_required_and_other_needs_a_note(app, org, client, auth):
    auth.login(NIPS["kasi"])
    url = f"/people/{NIPS['staff']}/deactivate"
    assert client.post(url, data={}).status_code == 422
    response = client.post(url, data={"reason": "other", "note": ""})
    assert response.status_code == 422 and "d-note-error" in response.get_data(as_text=True)
    with app.app_context():
        assert get_user("staff", org).active


def test_nobody_deactivates_themselves_or_the_last_admin_and_heads_stay_in_their_tree(app, org):
    with app.app_context():
        with pytest.raises(Forbidden):
            people.deactivate(get_user("kasi", org), NIPS["kasi"], "left")
        with pytest.raises(Forbidden):
            people.deactivate(get_user("admin", org), "admin", "left")
        with pytest.raises(NotFound):
            people.deactivate(get_user("kasi", org), NIPS["outsider"], "left")
        with pytest.raises(Forbidden):
            people.deactivate(get_user("staff", org), NIPS["staff2"], "left")
        second = accounts.create_user("Admin Dua", PASSWORD, username="admin2", admin=True)
        people.deactivate(get_user("admin", org), "admin2", "left")
        with pytest.raises(Conflict):  # already inactive
            people.deactivate(get_user("admin", org), "admin2", "left")
        people.reactivate(get_user("admin", org), "admin2")
        assert db.session.get(type(second), second.id).active
        with pytest.raises(Invalid):
            people.deactivate(get_user("admin", org), NIPS["staff"], "dipecat")


def test_acting_appointments_end_with_the_account(app, org):
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "SEKSI-APL"))
        db.session.add(
            ActingHead(
                unit_id=unit.id,
                user_id=org.users["staff2"],
                kind="plh",
                starts_on=date.today() - timedelta(days=1),
                ends_on=date.today() + timedelta(days=10),
            )
        )
        db.session.commit()
        people.deactivate(get_user("kabid", org), NIPS["staff2"], "left")
        row = db.session.scalar(select(ActingHead).where(ActingHead.user_id == org.users["staff2"]))
        assert row.ended_at is not None and row.ended_by_id == org.users["kabid"]


def test_reactivate_by_api_and_cli(app, org, api, runner):
    url = f"/api/v1/users/{NIPS['staff']}"
    assert api("kasi").post(url + "/reactivate").status_code == 409
    response = api("kasi").post(url + "/deactivate", json={"reason": "long_leave"})
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert api("staff2").post(url + "/reactivate").status_code == 403
    result = runner.invoke(args=["users", "reactivate", NIPS["staff"]])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert get_user("staff", org).active
    result = runner.invoke(args=["users", "deactivate", NIPS["staff"], "--reason", "other"])
    assert result.exit_code == 1 and "Error" in result.output
