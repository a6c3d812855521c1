"""Transfer (mutasi): the open cards on boards the person loses are decided one by one (reassign
to someone who sees the board, or unassign), in one transaction, under the card rules; an
undecided card or a unit the head does not manage refuses the whole transfer."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, Board, Event, Unit
from app.services import accounts, cards, people
from app.services.errors import Forbidden, Invalid
from tests.conftest import NIPS, get_card, get_user

pytestmark = pytest.mark.pg


@pytest.fixture
def held(app, org):
    """Agus (staff) holds an open card and a done card on the Seksi Aplikasi board."""
    with app.app_context():
        admin = get_user("admin", org)
        open_card = cards.create_card(
            admin, org.board_id, {"title": "Surat balasan", "assignee": NIPS["staff"]}
        ).card
        done_card = cards.create_card(
            admin,
            org.board_id,
            {"title": "Selesai", "assignee": NIPS["staff"], "due_date": "2026-12-01"},
            column_id=org.done,
        ).card
        return open_card.id, done_card.id


def test_transfer_lists_only_open_cards_on_boards_lost(app, org, held):
    with app.app_context():
        plan = people.plan_transfer(get_user("admin", org), NIPS["staff"], "BID-IKP")
        assert [card.id for card in plan.cards] == [held[0]]
        candidates = {u.login for u in plan.candidates[org.board_id]}
        assert NIPS["staff2"] in candidates and NIPS["staff"] not in candidates
        assert NIPS["outsider"] not in candidates
        # Moving up to the Bidang as its head keeps the Seksi board in sight: nothing to decide.
        assert (
            people.plan_transfer(
                get_user("admin", org), NIPS["staff"], "BID-TIK", role="head"
            ).cards
            == []
        )


def test_undecided_card_refuses_the_transfer_with_409_listing_it(app, org, held, api):
    response = api("admin").patch(f"/api/v1/users/{NIPS['staff']}", json={"unit": "BID-IKP"})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "card_decisions_required"
    assert [card["id"] for card in error["cards"]] == [held[0]]
    with app.app_context():
        assert people.membership_of(get_user("staff", org)).unit.code == "SEKSI-APL"


def test_reassigning_to_someone_who_cannot_see_the_board_is_refused(app, org, held, api):
    decisions = {str(held[0]): {"assignee": NIPS["outsider"]}}
    response = api("admin").patch(
        f"/api/v1/users/{NIPS['staff']}", json={"unit": "BID-IKP", "cards": decisions}
    )
    assert response.status_code == 422
    assert f"cards.{held[0]}" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert get_card(held[0]).assignee_id == org.users["staff"]


def test_transfer_reassigns_in_one_transaction_and_keeps_the_old_unit(app, org, held, api):
    decisions = {str(held[0]): {"assignee": NIPS["staff2"]}}
    response = api("admin").patch(
        f"/api/v1/users/{NIPS['staff']}", json={"unit": "BID-IKP", "cards": decisions}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["unit"] == "BID-IKP"
    with app.app_context():
        assert get_card(held[0]).assignee_id == org.users["staff2"]
        assert get_card(held[1]).assignee_id == org.users["staff"]  # done: history
        event = db.session.scalar(
            select(Event)
            .where(Event.card_id == held[0], Event.kind == "assigned")
            .order_by(Event.id.desc())
        )
        assert event.data["reason"] == "Mutasi ke Bidang IKP"
        log = db.session.scalar(select(AdminEvent).where(AdminEvent.kind == "user.transferred"))
        assert log.before["unit"] == "SEKSI-APL" and log.after["unit"] == "BID-IKP"


def test_personal_wip_limit_of_the_new_assignee_refuses_per_card(app, org):
    with app.app_context():
        admin = get_user("admin", org)
        board = db.session.get(Board, org.board_id)
        board.personal_wip_limit = 1
        db.session.commit()
        held_card = cards.create_card(
            admin,
            org.board_id,
            {"title": "A", "assignee": NIPS["staff"], "due_date": "2026-12-30"},
            column_id=org.doing,
        ).card
        cards.create_card(
            admin,
            org.board_id,
            {"title": "B", "assignee": NIPS["staff2"], "due_date": "2026-12-30"},
            column_id=org.doing,
        )
        with pytest.raises(Invalid) as caught:
            people.transfer(admin, NIPS["staff"], "BID-IKP", {str(held_card.id): NIPS["staff2"]})
        assert f"cards.{held_card.id}" in caught.value.fields
        assert people.membership_of(get_user("staff", org)).unit.code == "SEKSI-APL"


def test_head_cannot_transfer_into_a_unit_above_or_an_inactive_one(app, org, held):
    with app.app_context():
        kasi = get_user("kasi", org)
        with pytest.raises(Forbidden):
            people.plan_transfer(kasi, NIPS["staff"], "BID-TIK")
        with pytest.raises(Forbidden):
            people.plan_transfer(kasi, NIPS["kasi"], "SEKSI-APL", role="member")
        accounts.create_unit("SEKSI-LAMA", "Seksi Lama", parent_code="SEKSI-APL")
        db.session.scalar(select(Unit).where(Unit.code == "SEKSI-LAMA")).active = False
        db.session.commit()
        with pytest.raises(Invalid) as caught:
            people.plan_transfer(get_user("admin", org), NIPS["staff"], "SEKSI-LAMA")
        assert "unit" in caught.value.fields


def test_transfer_pages_two_steps(app, org, held, auth, client):
    auth.login(NIPS["kabid"])
    url = f"/people/{NIPS['staff']}/transfer"
    assert client.get(url).status_code == 200
    step2 = client.get(url + "?unit=BID-TIK&role=member").get_data(as_text=True)
    assert "Surat balasan" in step2 and f'name="card-{held[0]}"' in step2
    undecided = client.post(url, data={"unit": "BID-TIK", "role": "member"})
    assert undecided.status_code == 409
    assert f"card-{held[0]}-error" in undecided.get_data(as_text=True)
    done = client.post(url, data={"unit": "BID-TIK", "role": "member", f"card-{held[0]}": "-"})
    assert done.status_code == 302
    with app.app_context():
        assert get_card(held[0]).assignee_id is None


def test_cli_transfer_with_reassign(app, org, held, runner):
    refused = runner.invoke(args=["users", "transfer", NIPS["staff"], "--unit", "BID-IKP"])
    assert refused.exit_code == 1 and "--reassign" in refused.output
    result = runner.invoke(
        args=[
            "users",
            "transfer",
            NIPS["staff"],
            "--unit",
            "BID-IKP",
            "--reassign",
            f"{held[0]}={NIPS['staff2']}",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert get_card(held[0]).assignee_id == org.users["staff2"]
