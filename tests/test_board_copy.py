"""A board set up like another: columns, limits, the checklist rule, plugin settings (through the
plugin service, so plugins' vetoes hold) and card templates are copied; cards and archived
templates are not; only someone who sees the source and may create the board may copy it."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Board, BoardPlugin, Card, CardTemplate, Event
from app.services import boards, cards
from app.services import card_templates as ct
from app.services import plugins as plugin_service
from app.services.board_copy import create_board_from
from app.services.errors import Forbidden, Invalid, NotFound
from cergas.plugin import Setting, Veto, hookimpl
from tests.conftest import get_board, get_user, make_app


class Limits:
    """A plugin with one setting to copy."""

    @hookimpl
    def cergas_settings(self):
        return [Setting("limit", "int", 3, "Limit")]


class Guard:
    """Refuses the limit 13 for Limits on any board (as a regional rule would)."""

    @hookimpl
    def cergas_board_plugin_before_change(self, board, plugin, enabled, settings, actor):
        if plugin == "limits" and settings.get("limit") == 13:
            return Veto("Angka 13 tidak boleh.")
        return None


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"limits": Limits(), "guard": Guard()})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def set_up_source(org):
    kasi = get_user("kasi", org)
    boards.update_board(kasi, org.board_id, {"personal_wip_limit": 4})
    board = get_board(org.board_id)
    board.checklist_required_for_done = True
    db.session.commit()
    plugin_service.set_board_plugin(kasi, org.board_id, "limits", settings={"limit": 7})
    plugin_service.set_board_plugin(kasi, org.board_id, "guard", enabled=False)
    kept = ct.create_template(
        kasi, org.board_id, {"name": "Laporan", "title_pattern": "Laporan {bulan}"}
    )
    gone = ct.create_template(kasi, org.board_id, {"name": "Lama", "title_pattern": "Lama"})
    ct.archive_template(kasi, gone.id)
    cards.create_card(kasi, org.board_id, {"title": "Kartu yang tidak ikut"})
    return kept


def test_everything_of_the_setup_is_copied_and_nothing_else(app, org):
    with app.app_context():
        kept = set_up_source(org)
        kasi = get_user("kasi", org)
        copy = create_board_from(kasi, org.board_id, "Layanan 2027", "SEKSI-APL")
        source = get_board(org.board_id)
        shape = [(c.name, c.kind, c.wip_limit, c.wip_policy) for c in source.columns]
        assert [(c.name, c.kind, c.wip_limit, c.wip_policy) for c in copy.columns] == shape
        assert copy.personal_wip_limit == 4 and copy.checklist_required_for_done is True
        rows = {
            row.plugin: (row.enabled, row.settings)
            for row in db.session.scalars(
                select(BoardPlugin).where(BoardPlugin.board_id == copy.id)
            )
        }
        assert rows == {"limits": (True, {"limit": 7}), "guard": (False, {})}
        templates = db.session.scalars(
            select(CardTemplate).where(CardTemplate.board_id == copy.id)
        ).all()
        assert [(t.name, t.title_pattern) for t in templates] == [(kept.name, kept.title_pattern)]
        assert db.session.scalar(select(func.count(Card.id)).where(Card.board_id == copy.id)) == 0
        kinds = db.session.scalars(select(Event.kind).where(Event.board_id == copy.id)).all()
        assert "board_copied" in kinds and "plugin_settings_changed" in kinds


def test_a_plugin_veto_refuses_the_whole_copy(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        # Written while the guard is off on the source, then switched on there.
        plugin_service.set_board_plugin(kasi, org.board_id, "guard", enabled=False)
        plugin_service.set_board_plugin(kasi, org.board_id, "limits", settings={"limit": 13})
        plugin_service.set_board_plugin(kasi, org.board_id, "guard", enabled=True)
        before = db.session.scalar(select(func.count(Board.id)))
        with pytest.raises(Invalid) as refused:
            create_board_from(kasi, org.board_id, "Salinan", "SEKSI-APL")
        assert "13" in refused.value.message
        assert db.session.scalar(select(func.count(Board.id))) == before


def test_refusals_for_an_unseen_source_and_a_unit_one_may_not_create_in(app, org):
    with app.app_context():
        with pytest.raises(NotFound):
            create_board_from(get_user("outsider", org), org.board_id, "Salinan", "BID-IKP")
        with pytest.raises(Forbidden):
            create_board_from(get_user("staff", org), org.board_id, "Salinan", "SEKSI-APL")
        with pytest.raises(Forbidden):
            create_board_from(get_user("kasi", org), org.board_id, "Salinan", "BID-IKP")


def test_api_and_form_copy_a_board(app, org, api, client, auth):
    made = api("kasi").post(
        "/api/v1/boards",
        json={"name": "Salinan API", "unit": "SEKSI-APL", "copy_from": org.board_id},
    )
    assert made.status_code == 201, made.get_json()
    assert [c["name"] for c in made.get_json()["columns"]] == [
        "Backlog",
        "Dikerjakan",
        "Review",
        "Selesai",
    ]
    both = api("kasi").post(
        "/api/v1/boards",
        json={"name": "X", "unit": "SEKSI-APL", "copy_from": org.board_id, "columns": []},
    )
    assert both.status_code == 422
    hidden = api("outsider").post(
        "/api/v1/boards", json={"name": "X", "unit": "BID-IKP", "copy_from": org.board_id}
    )
    assert hidden.status_code == 404
    auth.login(org.nips["kasi"])
    page = client.get("/boards").get_data(as_text=True)
    assert 'name="copy_from"' in page
    answer = client.post(
        "/boards",
        data={"name": "Salinan Form", "owner": "unit:SEKSI-APL", "copy_from": str(org.board_id)},
    )
    assert answer.status_code == 302
    with app.app_context():
        board = db.session.scalar(select(Board).where(Board.name == "Salinan Form"))
        assert [c.wip_limit for c in board.columns] == [None, 3, 2, None]
