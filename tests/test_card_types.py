"""Card types and labels managed per board (issue 26): display names and colours, keys derived
from names and never shown, and a type or label not on the board's list refused on every path
that writes a card."""

import flask_migrate
import pytest
from sqlalchemy import select, text

from app import create_app
from app.extensions import db
from app.models import Card, CardTemplate, CardType, Event, Label
from app.services import boards, card_templates, card_types, cards, plugins
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import get_user
from tests.conftest import test_config as config_for
from tests.i18n_helpers import t


def make(app, org, who="staff", **data):
    with app.app_context():
        data.setdefault("title", "Surat balasan")
        return cards.create_card(get_user(who, org), org.board_id, data).card.id


def refusal(call) -> dict:
    with pytest.raises(Invalid) as caught:
        call()
    return caught.value.fields


# --- the lists and their use cases ---------------------------------------------------------


def test_a_new_board_starts_with_the_default_types_by_name(app, org):
    with app.app_context():
        lists = card_types.lists_of(org.board_id)
        assert lists.types["surat-keluar"].name == "Surat keluar"
        assert [key for key, _n, _c in card_types.DEFAULT_TYPES] == list(lists.types)[:8]


def test_a_type_gets_a_key_from_its_name_that_a_rename_keeps(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        row = card_types.add(kasi, "type", org.board_id, "Surat Edaran Bupati", "blue")
        assert (row.key, row.name, row.colour) == (
            "surat-edaran-bupati",
            "Surat Edaran Bupati",
            "blue",
        )
        card_types.rename(kasi, "type", row.id, "Surat edaran")
        card_types.recolour(kasi, "type", row.id, "red")
        row = db.session.get(CardType, row.id)
        assert (row.key, row.name, row.colour) == ("surat-edaran-bupati", "Surat edaran", "red")
        kinds = db.session.scalars(
            select(Event.kind).where(Event.board_id == org.board_id).order_by(Event.id)
        ).all()
        assert kinds[-3:] == ["card_type_added", "card_type_renamed", "card_type_recoloured"]


def test_two_entries_with_one_name_are_refused(app, org):
    with app.app_context():
        fields = refusal(
            lambda: card_types.add(get_user("kasi", org), "type", org.board_id, "surat KELUAR")
        )
        assert fields == {"name": t("Choose another name.")}


def test_only_the_boards_managers_change_its_lists(app, org):
    with app.app_context():
        with pytest.raises(Forbidden):
            card_types.add(get_user("staff", org), "label", org.board_id, "Rahasia")
        with pytest.raises(NotFound):
            card_types.add(get_user("outsider", org), "label", org.board_id, "Rahasia")
        row = card_types.lists_of(org.board_id).labels["ppid"]
        with pytest.raises(Forbidden):
            card_types.rename(get_user("staff", org), "label", row.id, "Bukan PPID")
        assert db.session.get(Label, row.id).name == "PPID"


def test_reorder_puts_the_entries_in_the_given_order_and_wants_each_once(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        ids = [row.id for row in card_types.lists_of(org.board_id).types.values()]
        card_types.reorder(kasi, "type", org.board_id, list(reversed(ids)))
        assert [r.id for r in card_types.lists_of(org.board_id).types.values()] == ids[::-1]
        assert "order" in refusal(lambda: card_types.reorder(kasi, "type", org.board_id, ids[1:]))


def test_the_last_card_type_cannot_be_archived(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        rows = list(card_types.lists_of(org.board_id).types.values())
        for row in rows[1:]:
            card_types.archive(kasi, "type", row.id)
        with pytest.raises(Conflict):
            card_types.archive(kasi, "type", rows[0].id)


# --- the rule on every path ----------------------------------------------------------------


def test_an_unknown_type_is_refused_when_a_card_is_created(app, org):
    with app.app_context():
        fields = refusal(
            lambda: cards.create_card(
                get_user("staff", org), org.board_id, {"title": "X", "type": "surat-kelaur"}
            )
        )
        assert "surat-kelaur" in fields["type"] and "Surat keluar" in fields["type"]
        assert db.session.scalar(select(Card.id)) is None


def test_a_type_may_be_given_by_its_display_name(app, org):
    card_id = make(app, org, type="Surat Keluar", labels=["PPID", "bps"])
    with app.app_context():
        card = db.session.get(Card, card_id)
        assert (card.type, card.labels) == ("surat-keluar", ["ppid", "bps"])


def test_an_unknown_type_or_label_is_refused_when_a_card_is_edited(app, org):
    card_id = make(app, org, type="surat-masuk")
    with app.app_context():
        staff = get_user("staff", org)
        assert "type" in refusal(
            lambda: cards.update_card(staff, card_id, {"type": "sk-bupati"}, version=1)
        )
        assert "labels" in refusal(
            lambda: cards.update_card(staff, card_id, {"labels": ["ppid", "rahsia"]}, version=1)
        )
        card = db.session.get(Card, card_id)
        assert (card.type, card.labels, card.version) == ("surat-masuk", [], 1)


def test_an_archived_type_names_its_cards_but_takes_no_new_ones(app, org):
    card_id = make(app, org, type="rapat")
    with app.app_context():
        row = card_types.lists_of(org.board_id).types["rapat"]
        card_types.archive(get_user("kasi", org), "type", row.id)
        staff = get_user("staff", org)
        # The card keeps it through an edit of another field ...
        cards.update_card(staff, card_id, {"type": "rapat", "title": "Rapat baru"}, version=1)
        # ... but no card takes it anew.
        assert "type" in refusal(
            lambda: cards.create_card(staff, org.board_id, {"title": "Y", "type": "rapat"})
        )


def test_skill_labels_come_from_the_skill_catalogue(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        fields = refusal(
            lambda: cards.create_card(
                staff, org.board_id, {"title": "X", "labels": ["skill:no-such-skill"]}
            )
        )
        assert "skill:no-such-skill" in fields["labels"]


def test_the_api_refuses_an_unknown_type_and_answers_names(api, org):
    response = api("staff").post(
        f"/api/v1/boards/{org.board_id}/cards", json={"title": "X", "type": "perizinann"}
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"type"}
    response = api("staff").post(
        f"/api/v1/boards/{org.board_id}/cards", json={"title": "X", "type": "perizinan"}
    )
    body = response.get_json()
    assert (body["type"], body["type_name"], body["type_colour"]) == (
        "perizinan",
        "Perizinan",
        "green",
    )
    patched = api("staff").patch(
        f"/api/v1/cards/{body['id']}", json={"version": body["version"], "labels": ["nope"]}
    )
    assert patched.status_code == 422 and "labels" in patched.get_json()["error"]["fields"]


def test_templates_take_only_the_boards_types_and_labels(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        base = {
            "name": "Laporan bulanan",
            "title_pattern": "Laporan {bulan}",
            "type": "laporan-bulanan",
            "labels": ["rutin"],
        }
        assert "type" in refusal(lambda: card_templates.create_template(kasi, org.board_id, base))
        row = card_templates.create_template(kasi, org.board_id, {**base, "type": "Laporan"})
        assert row.type == "laporan"
        assert "labels" in refusal(
            lambda: card_templates.update_template(kasi, row.id, {"labels": ["bulanan-x"]})
        )
        assert db.session.get(CardTemplate, row.id).labels == ["rutin"]


def test_a_template_whose_type_was_archived_since_makes_no_card(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        row = card_templates.create_template(
            kasi, org.board_id, {"name": "Rapat", "title_pattern": "Rapat", "type": "rapat"}
        )
        card_types.archive(kasi, "type", card_types.lists_of(org.board_id).types["rapat"].id)
        with pytest.raises(Invalid) as caught:
            card_templates.create_card_from_template(kasi, row.id)
        assert "type" in caught.value.fields


def test_a_plugin_rule_for_a_type_the_board_lacks_is_refused():
    from tests.sla_fixtures import build, user

    app, s = build("sqlite://")
    with app.app_context():
        policy = {"type": "permohonan-infromasi", "duration": 10, "unit": "working_days"}
        with pytest.raises(Invalid) as caught:
            plugins.set_board_plugin(
                user("kasi"), s.board_id, "sla", settings={"policies": [policy]}
            )
        assert "permohonan-infromasi" in str(caught.value.fields)
        # By its display name it is the board's type, stored by its key.
        policy["type"] = "Informasi"
        state = plugins.set_board_plugin(
            user("kasi"), s.board_id, "sla", settings={"policies": [policy]}
        )
        assert state.values["policies"][0]["type"] == "informasi"
        db.session.remove()
        db.engine.dispose()


# --- the screens ---------------------------------------------------------------------------


def test_the_card_page_offers_the_boards_types_and_labels_by_name(app, client, auth, org):
    card_id = make(app, org, type="surat-keluar", labels=["ppid"])
    auth.login(org.nips["staff"])
    html = client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert '<option value="surat-keluar" selected>Surat keluar</option>' in html
    assert '<input type="checkbox" name="labels" value="ppid" checked>' in html
    assert '<span class="card-type swatch-teal">Surat keluar</span>' in html
    assert ">surat-keluar<" not in html and ">ppid<" not in html


def test_the_settings_page_adds_a_type_by_its_name(app, client, auth, org):
    auth.login(org.nips["kasi"])
    response = client.post(
        f"/boards/{org.board_id}/names/type", data={"name": "Surat Tugas", "colour": "blue"}
    )
    assert response.status_code == 302
    html = client.get(f"/boards/{org.board_id}/settings").get_data(as_text=True)
    assert 'value="Surat Tugas"' in html and ">surat-tugas<" not in html
    refused = client.post(f"/boards/{org.board_id}/names/type", data={"name": "", "colour": "x"})
    assert refused.status_code == 422


def test_quick_add_takes_the_chosen_type(app, client, auth, org):
    auth.login(org.nips["staff"])
    client.post(
        f"/boards/{org.board_id}/cards",
        data={"title": "Izin keramaian", "type": "perizinan", "column_id": org.backlog},
    )
    with app.app_context():
        assert db.session.scalar(select(Card.type).where(Card.title == "Izin keramaian")) == (
            "perizinan"
        )


# --- the migration -------------------------------------------------------------------------


def test_the_migration_gives_every_type_and_label_in_use_a_named_row(tmp_path):
    app = create_app(config_for(f"sqlite:///{tmp_path / 'm.db'}"))
    with app.app_context():
        flask_migrate.upgrade(revision="0016_archive_views_rhk")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO units (id, code, name, timezone, colleagues_see_competency)"
                " VALUES (1, 'U', 'Unit', 'Asia/Jakarta', 0)",
                "INSERT INTO boards (id, unit_id, name, checklist_required_for_done,"
                " archive_after_days, created_at) VALUES (1, 1, 'B', 0, 14, '2026-01-01')",
                "INSERT INTO board_columns (id, board_id, name, position, wip_policy, kind)"
                " VALUES (1, 1, 'A', 0, 'hard', 'active')",
            ):
                conn.execute(text(statement))
            conn.execute(
                text(
                    "INSERT INTO cards (board_id, column_id, position, title, description, type,"
                    " priority, labels, version, deadline_changes, created_at, updated_at)"
                    " VALUES (1, 1, 0, 'C', '', 'permohonan-informasi', 'normal',"
                    " '[\"ppid\", \"satu-data\", \"skill:x\"]', 1, 0, '2026-01-01', '2026-01-01')"
                )
            )
        db.session.remove()
        flask_migrate.upgrade()
        lists = card_types.lists_of(1)
        assert lists.types["permohonan-informasi"].name == "Permohonan informasi"
        assert lists.types["surat-keluar"].name == "Surat keluar"
        assert {k: r.name for k, r in lists.labels.items()} == {
            "ppid": "PPID",
            "satu-data": "Satu data",
        }
        db.engine.dispose()


def test_boards_made_by_create_board_have_their_rows(app, org):
    with app.app_context():
        board = boards.create_board(get_user("kasi", org), "Arsip", "SEKSI-APL")
        assert len(card_types.lists_of(board.id).types) == len(card_types.DEFAULT_TYPES)
