"""Card templates: their values and placeholders, the due date in working days of the unit's
calendar, the card made from one (through the normal card creation: WIP limits hold), who may
do what, the API and the HTML pages."""

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Card, ChecklistItem, Event
from app.services import card_templates as ct
from app.services import cards
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import get_board, get_user

MONTHLY = {
    "name": "Laporan bulanan",
    "type": "laporan",
    "title_pattern": "Laporan kinerja {bulan} (triwulan {triwulan})",
    "description": "Rekap capaian **bulan ini**.",
    "checklist": ["Kumpulkan data", "Susun draf", "Paraf kepala seksi"],
    "labels": ["rutin"],
    "estimate": 2,
    "priority": "high",
    "due_in_working_days": 3,
}


def make_template(org, who="kasi", **data):
    return ct.create_template(get_user(who, org), org.board_id, {**MONTHLY, **data})


def test_placeholders_are_filled_in_indonesian():
    day = date(2026, 12, 7)
    title = ct.fill_title("{tanggal}|{bulan}|{minggu}|{tahun}|{triwulan}", day)
    assert title == "7 Desember 2026|Desember 2026|50|2026|IV"
    assert ct.fill_title("Rapat {triwulan}", date(2026, 5, 4)) == "Rapat II"


@pytest.mark.parametrize(
    "pattern", ["Laporan {bulanan}", "Laporan {}", "Laporan {bulan", "Laporan bulan}"]
)
def test_an_unknown_placeholder_or_a_lone_brace_is_a_field_error(pattern):
    with pytest.raises(Invalid) as refused:
        ct.clean_template({**MONTHLY, "title_pattern": pattern})
    assert set(refused.value.fields) == {"title_pattern"}


def test_values_are_checked_and_every_bad_field_named():
    with pytest.raises(Invalid) as refused:
        ct.clean_template(
            {
                **MONTHLY,
                "name": "",
                "checklist": ["x"] * 51,
                "due_in_working_days": 366,
                "priority": "asap",
                "estimate": -1,
                "colour": "red",
            }
        )
    assert set(refused.value.fields) == {"colour"}
    with pytest.raises(Invalid) as refused:
        ct.clean_template(
            {**MONTHLY, "name": "", "checklist": ["x"] * 51, "due_in_working_days": 366}
        )
    assert set(refused.value.fields) == {"name", "checklist", "due_in_working_days"}
    with pytest.raises(Invalid) as refused:
        ct.clean_template({**MONTHLY, "checklist": ["a" * 501]})
    assert set(refused.value.fields) == {"checklist"}
    # From the settings form: one item a line, blank lines dropped.
    assert ct.clean_checklist("Satu\n\n  Dua  \r\n") == ["Satu", "Dua"]


def test_due_date_counts_working_days_across_a_weekend_a_holiday_and_cuti_bersama(app, org):
    """24 December 2026 is cuti bersama (a Thursday), 25 December Christmas (a Friday)."""
    with app.app_context():
        board = get_board(org.board_id)
        friday = date(2026, 12, 18)
        assert ct.due_date_for(board, 0, friday) == friday
        assert ct.due_date_for(board, 1, friday) == date(2026, 12, 21)
        assert ct.due_date_for(board, 3, friday) == date(2026, 12, 23)
        assert ct.due_date_for(board, 4, friday) == date(2026, 12, 28)
        assert ct.due_date_for(board, None, friday) is None


def test_a_card_from_a_template_has_its_fields_checklist_and_origin(app, org):
    with app.app_context():
        row = make_template(org)
        staff = get_user("staff", org)
        card = ct.create_card_from_template(staff, row.id).card
        assert card.title.startswith("Laporan kinerja ") and "{" not in card.title
        assert (card.type, card.priority, card.estimate) == ("laporan", "high", 2)
        assert card.labels == ["rutin"] and card.column_id == org.backlog
        assert card.due_date == ct.due_date_for(get_board(org.board_id), 3)
        assert (card.checklist_total, card.checklist_done) == (3, 0)
        items = db.session.scalars(
            select(ChecklistItem.text)
            .where(ChecklistItem.card_id == card.id)
            .order_by(ChecklistItem.position)
        ).all()
        assert items == MONTHLY["checklist"]
        created = db.session.scalar(select(Event).where(Event.card_id == card.id))
        assert created.kind == "created"
        assert created.data["template_id"] == row.id and created.data["template"] == row.name
        # Overrides replace the template's fields.
        other = ct.create_card_from_template(staff, row.id, title="Laporan khusus").card
        assert other.title == "Laporan khusus"


def test_wip_limit_refuses_a_card_from_a_template_into_a_full_column(app, org):
    with app.app_context():
        row = make_template(org)
        staff = get_user("staff", org)
        for _ in range(3):
            ct.create_card_from_template(staff, row.id, column_id=org.doing)
        before = db.session.query(Card).count()
        with pytest.raises(Conflict) as refused:
            ct.create_card_from_template(staff, row.id, column_id=org.doing)
        assert refused.value.code == "wip_limit_reached"
        assert db.session.query(Card).count() == before
        assert db.session.query(ChecklistItem).count() == 3 * 3


def test_a_done_column_that_wants_finished_checklists_refuses_a_card_from_a_template(app, org):
    with app.app_context():
        row = make_template(org, due_in_working_days=None)
        kasi = get_user("kasi", org)
        board = get_board(org.board_id)
        board.checklist_required_for_done = True
        db.session.commit()
        before = db.session.query(Card).count()
        with pytest.raises(Conflict) as refused:
            ct.create_card_from_template(kasi, row.id, column_id=org.done, due_date="2026-12-31")
        assert refused.value.code == "checklist_open"
        assert db.session.query(Card).count() == before
        assert db.session.query(ChecklistItem).count() == 0
        # Without the rule (or without a checklist) the card may be made there.
        board = get_board(org.board_id)
        board.checklist_required_for_done = False
        db.session.commit()
        made = ct.create_card_from_template(kasi, row.id, column_id=org.done, due_date="2026-12-31")
        assert made.card.checklist_total == 3


def test_only_managers_change_templates_and_outsiders_see_nothing(app, org):
    with app.app_context():
        with pytest.raises(Forbidden):
            make_template(org, who="staff")
        row = make_template(org)
        with pytest.raises(Forbidden):
            ct.update_template(get_user("staff", org), row.id, {"name": "Lain"})
        with pytest.raises(NotFound):
            ct.create_card_from_template(get_user("outsider", org), row.id)
        with pytest.raises(NotFound):
            ct.active_templates(get_user("outsider", org), org.board_id)
        assert [t.id for t in ct.active_templates(get_user("staff", org), org.board_id)] == [row.id]


def test_archive_restore_and_reorder_are_audited(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        first = make_template(org)
        second = make_template(org, name="Rapat mingguan", title_pattern="Rapat minggu {minggu}")
        ct.move_template(kasi, second.id, "up")
        assert [t.id for t in ct.active_templates(kasi, org.board_id)] == [second.id, first.id]
        ct.archive_template(kasi, first.id)
        assert [t.id for t in ct.active_templates(kasi, org.board_id)] == [second.id]
        with pytest.raises(Conflict):
            ct.create_card_from_template(get_user("staff", org), first.id)
        ct.restore_template(kasi, first.id)
        ct.update_template(kasi, first.id, {"due_in_working_days": None})
        kinds = db.session.scalars(
            select(Event.kind).where(Event.board_id == org.board_id, Event.card_id.is_(None))
        ).all()
        for kind in ("template_created", "template_moved", "template_archived"):
            assert kind in kinds
        assert "template_restored" in kinds and "template_updated" in kinds


def test_api_lists_changes_archives_and_makes_cards(app, org, api):
    base = f"/api/v1/boards/{org.board_id}/card-templates"
    made = api("kasi").post(base, json=MONTHLY)
    assert made.status_code == 201, made.get_json()
    template_id = made.get_json()["id"]
    assert api("staff").post(base, json=MONTHLY).status_code == 403
    assert api("outsider").get(base).status_code == 404
    bad = api("kasi").post(base, json={**MONTHLY, "title_pattern": "Laporan {hari}"})
    assert bad.status_code == 422 and "title_pattern" in bad.get_json()["error"]["fields"]
    listed = api("staff").get(base).get_json()["templates"]
    assert [t["name"] for t in listed] == ["Laporan bulanan"]
    patched = api("kasi").patch(f"/api/v1/card-templates/{template_id}", json={"priority": "low"})
    assert patched.status_code == 200 and patched.get_json()["priority"] == "low"
    card = api("staff").post(f"/api/v1/card-templates/{template_id}/cards", json={})
    assert card.status_code == 201 and card.get_json()["type"] == "laporan"
    archived = api("kasi").delete(f"/api/v1/card-templates/{template_id}")
    assert archived.get_json()["archived"] is True
    again = api("staff").post(f"/api/v1/card-templates/{template_id}/cards", json={})
    assert again.status_code == 409
    restored = api("kasi").patch(f"/api/v1/card-templates/{template_id}", json={"archived": False})
    assert restored.get_json()["archived"] is False


def test_settings_section_and_board_control_without_javascript(app, org, client, auth):
    auth.login(org.nips["kasi"])
    settings = f"/boards/{org.board_id}/settings"
    form = {**MONTHLY, "checklist": "Kumpulkan data\nSusun draf", "labels": "rutin, bulanan"}
    answer = client.post(f"/boards/{org.board_id}/card-templates", data=form)
    assert answer.status_code == 302
    page = client.get(settings).get_data(as_text=True)
    assert "Laporan bulanan" in page and "Kumpulkan data\nSusun draf" in page
    refused = client.post(
        f"/boards/{org.board_id}/card-templates", data={**form, "title_pattern": "X {hari}"}
    )
    assert refused.status_code == 422 and "{hari}" in refused.get_data(as_text=True)
    with app.app_context():
        template_id = ct.active_templates(get_user("kasi", org), org.board_id)[0].id
    board = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert f"/boards/{org.board_id}/cards/from-template" in board
    form_page = client.get(f"/boards/{org.board_id}/cards/from-template").get_data(as_text=True)
    assert 'name="template_id"' in form_page and "Laporan bulanan" in form_page
    made = client.post(
        f"/boards/{org.board_id}/cards/from-template",
        data={"template_id": str(template_id), "column_id": str(org.backlog)},
    )
    assert made.status_code == 302
    with app.app_context():
        card = db.session.scalar(select(Card).where(Card.board_id == org.board_id))
        assert card.checklist_total == 2
    history = client.get(f"/cards/{card.id}").get_data(as_text=True)
    assert "Laporan bulanan" in history


def test_the_board_control_shows_a_refusal_next_to_nothing_changed(app, org, client, auth):
    with app.app_context():
        row = make_template(org, due_in_working_days=None)
        template_id = row.id
    auth.login(org.nips["staff"])
    answer = client.post(
        f"/boards/{org.board_id}/cards/from-template",
        data={"template_id": str(template_id), "column_id": str(org.doing)},
    )
    assert answer.status_code == 422
    with app.app_context():
        assert db.session.query(Card).count() == 0
    assert (
        client.post(
            f"/boards/{org.board_id}/cards/from-template", data={"template_id": "x"}
        ).status_code
        == 422
    )


def test_create_card_without_origin_is_unchanged(app, org):
    with app.app_context():
        card = cards.create_card(get_user("staff", org), org.board_id, {"title": "Biasa"}).card
        assert card.checklist_total == 0
