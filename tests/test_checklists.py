"""Checklists on cards: the service keeps the card's counters, history and version; the board
rule `checklist_required_for_done` holds on every path into a done column; the card page, the
board's badge and the API."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Board, Card, ChecklistItem, Event
from app.services import boards, cards, checklists
from app.services.errors import Conflict, Invalid, NotFound
from app.services.plugin_cards import card_transaction, move_card_in_transaction
from app.web import local_today
from tests.conftest import get_card, get_user

HTMX = {"HX-Request": "true", "HX-Target": "checklist"}
HTMX_DROP = {"HX-Request": "true", "HX-Target": "alerts"}


def due() -> str:
    return (local_today("Asia/Jakarta") + timedelta(7)).isoformat()


def new_card(org, column=None, title="Laporan bulanan"):
    data = {"title": title, "due_date": due()}
    return cards.create_card(get_user("staff", org), org.board_id, data, column_id=column).card.id


def with_items(org, card_id, *texts, who="staff"):
    return [checklists.add_item(get_user(who, org), card_id, {"text": t}).id for t in texts]


def require_rule(org, on=True):
    boards.update_board(get_user("kasi", org), org.board_id, {"checklist_required_for_done": on})


def kinds(card_id) -> list[str]:
    return db.session.scalars(
        select(Event.kind).where(Event.card_id == card_id).order_by(Event.id)
    ).all()


def counters(card_id) -> tuple[int, int]:
    card = db.session.get(Card, card_id)
    db.session.refresh(card)
    return card.checklist_done, card.checklist_total


# --- the service ------------------------------------------------------------------------------


def test_items_keep_the_cards_counters_version_and_history(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        card_id = new_card(org)
        first, second, third = with_items(org, card_id, "Draf", "Paraf Kasi", "Kirim")
        assert counters(card_id) == (0, 3)
        version = get_card(card_id).version
        checklists.set_done(staff, first, True)
        item = db.session.get(ChecklistItem, first)
        assert item.done and item.done_by_id == staff.id and item.done_at is not None
        assert counters(card_id) == (1, 3) and get_card(card_id).version == version + 1
        checklists.move_item(staff, third, 0)
        _card, items = checklists.checklist(staff, card_id)
        assert [i.text for i in items] == ["Kirim", "Draf", "Paraf Kasi"]
        assert [i.position for i in items] == [0, 1, 2]
        checklists.delete_item(staff, second)
        assert counters(card_id) == (1, 2)
        checklists.set_done(staff, first, False)
        assert counters(card_id) == (0, 2)
        assert db.session.get(ChecklistItem, first).done_at is None
        assert kinds(card_id) == [
            "created",
            *["checklist_item_added"] * 3,
            "checklist_item_ticked",
            "checklist_item_moved",
            "checklist_item_deleted",
            "checklist_item_unticked",
        ]


def test_edit_changes_text_assignee_and_due_date_and_records_them(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        card_id = new_card(org)
        (item_id,) = with_items(org, card_id, "Draf")
        checklists.update_item(
            staff,
            item_id,
            {"text": "Draf surat", "assignee": org.nips["staff2"], "due_date": "2026-12-03"},
        )
        item = db.session.get(ChecklistItem, item_id)
        assert (item.text, item.assignee.nip, item.due_date.isoformat()) == (
            "Draf surat",
            org.nips["staff2"],
            "2026-12-03",
        )
        event = db.session.scalars(select(Event).where(Event.card_id == card_id)).all()[-1]
        assert event.kind == "checklist_item_edited"
        assert event.data["changes"]["assignee"] == [None, org.nips["staff2"]]


BAD_ITEMS = [
    ({"text": ""}, "text"),
    ({"text": "x" * 501}, "text"),
    ({"text": "Ok", "due_date": "besok"}, "due_date"),
    ({"text": "Ok", "assignee": "rina"}, "assignee"),
    ({"text": "Ok", "colour": "red"}, "colour"),
    ({"text": 5}, "text"),
]


def test_bad_input_names_the_field_and_changes_nothing(app, org):
    with app.app_context():
        card_id = new_card(org)
        for data, field in BAD_ITEMS:
            with pytest.raises(Invalid) as refused:
                checklists.add_item(get_user("staff", org), card_id, data)
            assert field in refused.value.fields, data
        assert counters(card_id) == (0, 0) and kinds(card_id) == ["created"]


def test_outsider_as_assignee_unknown_items_and_outsiders_are_refused(app, org):
    with app.app_context():
        card_id = new_card(org)
        other = new_card(org, title="Lain")
        (item_id,) = with_items(org, card_id, "Draf")
        staff = get_user("staff", org)
        with pytest.raises(Invalid) as refused:
            checklists.update_item(staff, item_id, {"assignee": org.nips["outsider"]})
        assert "assignee" in refused.value.fields
        with pytest.raises(Invalid):
            checklists.update_item(staff, item_id, {"done": "maybe"})
        with pytest.raises(NotFound):
            checklists.set_done(staff, 999_999, True)
        with pytest.raises(NotFound):
            checklists.update_item(staff, item_id, {"done": True}, card_id=other)
        with pytest.raises(NotFound):
            checklists.set_done(get_user("outsider", org), item_id, True)
        with pytest.raises(NotFound):
            checklists.add_item(get_user("outsider", org), card_id, {"text": "Intip"})
        assert counters(card_id) == (0, 1)


# --- the board rule on every path -------------------------------------------------------------


@pytest.mark.pg
def test_move_into_done_with_open_items_is_refused_then_allowed(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        card_id = new_card(org, column=org.review)
        items = with_items(org, card_id, "Draf", "Paraf", "Kirim")
        checklists.set_done(staff, items[0], True)
        # Without the board rule, open items do not hold a card back.
        free = new_card(org, column=org.review, title="Bebas")
        with_items(org, free, "Belum")
        cards.move_card(staff, free, org.done)
        require_rule(org)
        with pytest.raises(Conflict) as refused:
            cards.move_card(staff, card_id, org.done)
        assert refused.value.code == "checklist_open"
        assert "2" in refused.value.message and "Selesai" in refused.value.message
        assert get_card(card_id).column_id == org.review
        for item_id in items[1:]:
            checklists.set_done(staff, item_id, True)
        cards.move_card(staff, card_id, org.done)
        assert get_card(card_id).column_id == org.done


@pytest.mark.pg
def test_the_rule_set_between_read_and_lock_still_refuses(app, org, monkeypatch):
    """The quick path plans on its own read; the board's rule is one of its premises."""
    from app.services import moves

    with app.app_context():
        card_id = new_card(org, column=org.review)
        with_items(org, card_id, "Draf")
        planned = moves._plan_on_read

        def plan_then_change(*args, **kwargs):
            plan = planned(*args, **kwargs)
            db.session.execute(
                Board.__table__.update()
                .where(Board.id == org.board_id)
                .values(checklist_required_for_done=True)
            )
            db.session.commit()
            return plan

        monkeypatch.setattr(moves, "_plan_on_read", plan_then_change)
        with pytest.raises(Conflict) as refused:
            cards.move_card(get_user("staff", org), card_id, org.done)
        assert refused.value.code == "checklist_open"
        assert get_card(card_id).column_id == org.review


def test_plugin_helper_move_obeys_the_rule(app, org):
    with app.app_context():
        card_id = new_card(org, column=org.review)
        with_items(org, card_id, "Draf")
        require_rule(org)
        staff = get_user("staff", org)
        with pytest.raises(Conflict) as refused, card_transaction(staff, card_id) as card:
            move_card_in_transaction(staff, card, org.done)
        assert refused.value.code == "checklist_open"
        assert get_card(card_id).column_id == org.review


def test_card_in_done_takes_no_open_item_while_the_rule_holds(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        card_id = new_card(org, column=org.review)
        (item_id,) = with_items(org, card_id, "Draf")
        checklists.set_done(staff, item_id, True)
        require_rule(org)
        cards.move_card(staff, card_id, org.done)
        for attempt in (
            lambda: checklists.add_item(staff, card_id, {"text": "Satu lagi"}),
            lambda: checklists.set_done(staff, item_id, False),
        ):
            with pytest.raises(Conflict) as refused:
                attempt()
            assert refused.value.code == "checklist_card_done"
        assert counters(card_id) == (1, 1)
        # Edits that leave every item ticked are fine; the card may also be created into Done.
        checklists.update_item(staff, item_id, {"text": "Draf final"})
        assert (
            get_card(new_card(org, column=org.done, title="Langsung selesai")).checklist_total == 0
        )
        require_rule(org, on=False)
        checklists.set_done(staff, item_id, False)
        assert counters(card_id) == (0, 1)


# --- the card page and the board --------------------------------------------------------------


def test_card_page_checklist_works_without_javascript(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
    auth.login(org.nips["staff"])
    response = client.post(
        f"/cards/{card_id}/checklist",
        data={"text": "Draf surat", "assignee": org.nips["staff2"], "due_date": "2026-12-02"},
    )
    assert response.status_code == 302 and response.location.endswith("#checklist")
    with app.app_context():
        item = db.session.scalars(select(ChecklistItem)).one()
    response = client.post(f"/cards/{card_id}/checklist/{item.id}/tick", data={"done": "1"})
    assert response.status_code == 302
    html = client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert 'id="checklist"' in html and "Draf surat" in html and "1/1" in html
    assert 'aria-checked="true"' in html and "Dewi Lestari" in html
    response = client.post(f"/cards/{card_id}/checklist", data={"text": ""})
    assert response.status_code == 422
    assert 'id="checklist-new-text-error"' in response.get_data(as_text=True)


def test_htmx_swaps_the_section_and_the_card_forms_version(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
        first, _second = with_items(org, card_id, "Draf", "Kirim")
    auth.login(org.nips["staff"])
    response = client.post(
        f"/cards/{card_id}/checklist/{first}/tick", data={"done": "1"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section class="panel')
    with app.app_context():
        version = get_card(card_id).version
    assert f'id="card-version" name="version" value="{version}" hx-swap-oob="true"' in html
    assert "1/2" in html
    response = client.post(
        f"/cards/{card_id}/checklist/{first}/move", data={"position": "1"}, headers=HTMX
    )
    html = response.get_data(as_text=True)
    assert html.index("Kirim") < html.index("Draf")
    response = client.post(f"/cards/{card_id}/checklist/{first}/delete", headers=HTMX)
    assert "Draf" not in response.get_data(as_text=True)


def test_drag_into_done_is_refused_with_the_count(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org, column=org.review)
        with_items(org, card_id, "Draf", "Kirim")
        require_rule(org)
    auth.login(org.nips["staff"])
    response = client.post(
        f"/cards/{card_id}/move", data={"column_id": org.done, "position": "0"}, headers=HTMX_DROP
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert re.search(r'<p class="alert alert-error">[^<]*2 [^<]*Selesai', html)
    # The move form without JavaScript says the same.
    response = client.post(f"/cards/{card_id}/move", data={"column_id": org.done})
    assert response.status_code == 409 and "Selesai" in response.get_data(as_text=True)


def test_board_shows_the_badge_and_settings_turn_the_rule_on(app, client, auth, org):
    with app.app_context():
        card_id = new_card(org)
        first, _ = with_items(org, card_id, "Draf", "Kirim")
        checklists.set_done(get_user("staff", org), first, True)
    auth.login(org.nips["kasi"])
    html = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert re.search(r'class="checklist-badge".*?1/2</span>', html)
    settings = f"/boards/{org.board_id}/settings"
    assert 'name="checklist_required_for_done"' in client.get(settings).get_data(as_text=True)
    client.post(settings, data={"name": "Layanan Aplikasi", "checklist_required_for_done": "1"})
    with app.app_context():
        assert db.session.get(Board, org.board_id).checklist_required_for_done
        event = db.session.scalars(select(Event).where(Event.kind == "board_updated")).one()
        assert event.data["changes"] == {"checklist_required_for_done": [False, True]}


# --- the API ----------------------------------------------------------------------------------


def test_api_checklist_round_trip(app, api, org):
    with app.app_context():
        card_id = new_card(org, column=org.review)
    staff = api("staff")
    response = staff.post(
        f"/api/v1/cards/{card_id}/checklist",
        json={"text": "Draf", "assignee": org.nips["staff2"], "due_date": "2026-12-02"},
    )
    assert response.status_code == 201
    item = response.get_json()
    assert item["assignee"] == org.nips["staff2"] and item["done"] is False
    staff.post(f"/api/v1/cards/{card_id}/checklist", json={"text": "Kirim"})
    response = staff.patch(f"/api/v1/checklist-items/{item['id']}", json={"done": True})
    assert response.status_code == 200 and response.get_json()["done_at"]
    body = staff.get(f"/api/v1/cards/{card_id}/checklist").get_json()
    assert (body["done"], body["total"]) == (1, 2)
    assert [i["text"] for i in body["items"]] == ["Draf", "Kirim"]
    assert staff.get(f"/api/v1/cards/{card_id}").get_json()["checklist"] == {"total": 2, "done": 1}
    with app.app_context():
        require_rule(org)
    response = staff.post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.done})
    error = response.get_json()["error"]
    assert response.status_code == 409 and error["code"] == "checklist_open"
    response = staff.delete(f"/api/v1/checklist-items/{body['items'][1]['id']}")
    assert response.status_code == 200 and response.get_json()["total"] == 1
    assert (
        staff.post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.done}).status_code == 200
    )
    response = staff.patch(f"/api/v1/checklist-items/{item['id']}", json={"done": False})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "checklist_card_done"


def test_api_bad_input_and_unknown_items(app, api, org):
    with app.app_context():
        card_id = new_card(org)
        (item_id,) = with_items(org, card_id, "Draf")
    staff = api("staff")
    response = staff.post(f"/api/v1/cards/{card_id}/checklist", json={"text": ""})
    assert response.status_code == 422 and "text" in response.get_json()["error"]["fields"]
    response = staff.patch(f"/api/v1/checklist-items/{item_id}", json={"done": "yes"})
    assert response.status_code == 422
    response = staff.patch(f"/api/v1/checklist-items/{item_id}", json={"position": None})
    assert response.status_code == 422
    assert staff.patch("/api/v1/checklist-items/999999", json={"done": True}).status_code == 404
    assert staff.delete("/api/v1/checklist-items/999999").status_code == 404
    assert api("outsider").delete(f"/api/v1/checklist-items/{item_id}").status_code == 404
    with app.app_context():
        assert counters(card_id) == (0, 1)
