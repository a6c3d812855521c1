# ruff: noqa: F811 - the fixtures are module-level functions used by name
"""Settings editors people can use (issue 20): column, unit, person, card type and record-list
settings validated against the board and the head configuring it, on every path (service, the
settings page form with its add/remove buttons, the API), and the paraf chains and SLA
policies declared with them."""

import pytest
from sqlalchemy import select

import plugins.approvals as approvals_plugin
import plugins.sla as sla_plugin
from app.extensions import db
from app.models import BoardPlugin, User
from app.services import accounts
from app.services import plugins as board_plugins
from app.services.errors import Invalid
from app.services.setting_types import Setting, SettingError, configuring, resolve_person
from tests.approvals_fixtures import CHAIN, NIPS, build
from tests.conftest import PASSWORD

PLUGINS = {"approvals": approvals_plugin, "sla": sla_plugin}


@pytest.fixture
def world(database_url):
    app, seeded = build(database_url, PLUGINS)
    with app.app_context():
        # A unit beside the board's line (not under the Kasi, not above the board) and a
        # namesake of the Kabid there: neither may be picked by the Kasi.
        accounts.create_unit("BID-IKP", "Bidang IKP", parent_code="DISKOMINFO")
        accounts.create_user("Budi Santoso", PASSWORD, username="budi2", unit_code="BID-IKP")
        accounts.create_user("Rina Aulia", PASSWORD, username="rina", unit_code="SEKSI-APL")
    yield app, seeded
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def user(key) -> User:
    return db.session.scalar(select(User).where(User.nip == NIPS[key]))


def stored(seeded, plugin) -> dict:
    db.session.expire_all()
    row = db.session.scalar(
        select(BoardPlugin).where(
            BoardPlugin.board_id == seeded.board_id, BoardPlugin.plugin == plugin
        )
    )
    return row.settings if row else {}


def browser(app, who="kasi"):
    client = app.test_client()
    response = client.post("/login", data={"username": NIPS[who], "password": PASSWORD})
    assert response.status_code in (302, 303)
    return client


def test_declarations_are_checked_when_made():
    with pytest.raises(ValueError, match="choices"):
        Setting("unit", "choice", None, "Unit")
    with pytest.raises(ValueError, match="fields"):
        Setting("rows", "records", [], "Rows")
    with pytest.raises(ValueError, match="fields"):
        Setting("when", "int", 1, "When", fields=(Setting("a", "int", 1, "A"),))
    with pytest.raises(ValueError, match="distinct"):
        Setting("rows", "records", [], "Rows", fields=(Setting("a-b", "int", 1, "A"),))


def test_the_service_refuses_a_column_unit_or_person_outside_the_board_or_the_head(world):
    app, s = world
    with app.app_context():
        kasi = user("kasi")
        before = stored(s, "approvals")
        cases = {
            "chains.0.review_column": {**CHAIN, "review_column": "Tidak Ada"},
            # a unit beside the board's line of units
            "chains.0.steps.0.head_of": {**CHAIN, "steps": [{"head_of": "BID-IKP"}]},
            # nobody the Kasi may pick is called so (the namesake works in BID-IKP)
            "chains.0.steps.0.user": {**CHAIN, "steps": [{"user": "budi2"}]},
        }
        for key, chain in cases.items():
            with pytest.raises(Invalid) as caught:
                board_plugins.set_board_plugin(
                    kasi, s.board_id, "approvals", settings={"chains": [chain]}
                )
            assert key in caught.value.fields, caught.value.fields
            assert caught.value.fields["chains"]
        assert stored(s, "approvals") == before
        # The units above the board (the Kabid's, the Kadis') may be picked, and an admin may
        # name any unit.
        board_plugins.set_board_plugin(kasi, s.board_id, "approvals", settings={"chains": [CHAIN]})
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        wide = {**CHAIN, "steps": [{"head_of": "BID-IKP"}]}
        board_plugins.set_board_plugin(admin, s.board_id, "approvals", settings={"chains": [wide]})
        assert stored(s, "approvals")["chains"] == [wide]


def test_a_person_is_found_by_name_nip_or_name_and_unit(world):
    app, s = world
    with app.app_context():
        from app.models import Board

        board = db.session.get(Board, s.board_id)
        accounts.create_user("Budi Santoso", PASSWORD, username="budi3", unit_code="SEKSI-APL")
        with configuring(board, user("kasi")):
            assert resolve_person("rina") == "rina"
            assert resolve_person("  rina aulia ") == "rina"
            assert resolve_person("Aulia") == "rina"
            assert resolve_person(NIPS["kadis"]) == NIPS["kadis"]
            with pytest.raises(SettingError, match="2"):
                resolve_person("Budi Santoso")
            assert resolve_person("Budi Santoso · Seksi Aplikasi") == "budi3"
            assert resolve_person("Budi Santoso", NIPS["kabid"]) == NIPS["kabid"]
            with pytest.raises(SettingError):
                resolve_person("Nama Yang Tidak Ada")
            with pytest.raises(SettingError):
                resolve_person("budi2")
        # A system path (the demo) has no actor: anyone active.
        with configuring(board, None):
            assert resolve_person("budi2") == "budi2"


def test_the_api_answers_422_with_the_field_of_the_row(world):
    app, s = world
    client = app.test_client()
    headers = {"Authorization": f"Bearer {s.tokens['kasi']}"}
    url = f"/api/v1/boards/{s.board_id}/plugins/approvals/settings"
    bad = {**CHAIN, "return_column": "Arsip"}
    response = client.put(url, json={"settings": {"chains": [bad]}}, headers=headers)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert "Arsip" in fields["settings.chains.0.return_column"]
    policy = {"type": "surat-keluar", "duration": 5, "pause_columns": ["Menunggu"]}
    url = f"/api/v1/boards/{s.board_id}/plugins/sla/settings"
    response = client.put(url, json={"settings": {"policies": [policy]}}, headers=headers)
    assert response.status_code == 422
    assert "settings.policies.0.pause_columns" in response.get_json()["error"]["fields"]
    # The JSON shape of before still goes in, column names in any case.
    policy = {"type": "surat-keluar", "duration": 5, "pause_columns": ["draf"]}
    response = client.put(url, json={"settings": {"policies": [policy]}}, headers=headers)
    assert response.status_code == 200
    saved = response.get_json()["settings"]["policies"][0]
    assert saved["pause_columns"] == ["Draf"] and saved["unit"] == "working_days"


def chain_form(**overrides) -> dict:
    """The settings page's approvals form with one two-step chain, as a browser sends it."""
    form = {
        "enabled": "1",
        "setting-remind_after_days": "2",
        "setting-chains-0-_row": "1",
        "setting-chains-0-type": "surat-keluar",
        "setting-chains-0-type-other": "",
        "setting-chains-0-review_column": "Paraf",
        "setting-chains-0-return_column": "Dikerjakan",
        "setting-chains-0-steps-0-_row": "1",
        "setting-chains-0-steps-0-head_of": "BID-TIK",
        "setting-chains-0-steps-0-user": "",
        "setting-chains-0-steps-0-user-login": "",
        "setting-chains-0-steps-0-label": "Kabid TIK",
        "setting-chains-0-steps-1-_row": "1",
        "setting-chains-0-steps-1-head_of": "",
        "setting-chains-0-steps-1-user": "Hendra",
        "setting-chains-0-steps-1-user-login": "",
        "setting-chains-0-steps-1-label": "",
    }
    form.update(overrides)
    return {key: value for key, value in form.items() if value is not None}


def test_the_page_saves_a_chain_picked_from_its_editors(world):
    app, s = world
    client = browser(app)
    url = f"/boards/{s.board_id}/plugins/approvals"
    response = client.post(url, data=chain_form())
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    with app.app_context():
        assert stored(s, "approvals")["chains"] == [
            {
                "type": "surat-keluar",
                "review_column": "Paraf",
                "return_column": "Dikerjakan",
                "steps": [
                    {"head_of": "BID-TIK", "label": "Kabid TIK"},
                    {"user": NIPS["kadis"]},
                ],
            }
        ]
    page = client.get(f"/boards/{s.board_id}/settings").get_data(as_text=True)
    # The saved chain shows in pickers: the column selected, the person by name.
    assert '<option value="Paraf" selected>Paraf</option>' in page
    assert 'value="Ir. Hendra Wijaya · Dinas Komunikasi dan Informatika"' in page
    assert "Tambah langkah" in page and "Tambah rantai" in page


def test_the_page_refuses_a_column_that_is_not_on_the_board_next_to_the_field(world):
    app, s = world
    client = browser(app)
    with app.app_context():
        before = stored(s, "approvals")
    form = chain_form(**{"setting-chains-0-review_column": "Paraf Kadis"})
    response = client.post(f"/boards/{s.board_id}/plugins/approvals", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = 'id="plugin-approvals-chains-0-review_column-error"'
    assert field in page
    message = page.split(field)[1].split("</p>")[0]
    assert "Paraf Kadis" in message
    # the stale name stays visible in its picker, marked
    assert "Paraf Kadis (tidak ada di papan ini)" in page
    with app.app_context():
        assert stored(s, "approvals") == before


def test_add_and_remove_buttons_change_rows_without_saving(world):
    app, s = world
    client = browser(app)
    url = f"/boards/{s.board_id}/plugins/approvals"
    with app.app_context():
        before = stored(s, "approvals")
    page = client.post(url, data=chain_form(_editor="add:setting-chains-0-steps"))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'name="setting-chains-0-steps-2-_row"' in text
    # what was typed stays
    assert 'value="Hendra"' in text
    page = client.post(url, data=chain_form(_editor="remove:setting-chains-0-steps-0"))
    text = page.get_data(as_text=True)
    assert 'name="setting-chains-0-steps-1-_row"' not in text
    assert 'value="Hendra"' in text  # the second step moved up
    page = client.post(url, data=chain_form(_editor="add:setting-chains"))
    assert 'name="setting-chains-1-steps' not in page.get_data(as_text=True)
    assert 'name="setting-chains-1-_row"' in page.get_data(as_text=True)
    refused = client.post(url, data=chain_form(_editor="remove:setting-chains-7"))
    assert refused.status_code == 422
    with app.app_context():
        assert stored(s, "approvals") == before


def test_an_ambiguous_person_is_explained_next_to_the_step(world):
    app, s = world
    with app.app_context():
        accounts.create_user("Budi Santoso", PASSWORD, username="budi3", unit_code="SEKSI-APL")
    client = browser(app)
    form = chain_form(**{"setting-chains-0-steps-1-user": "Budi Santoso"})
    response = client.post(f"/boards/{s.board_id}/plugins/approvals", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    message = page.split('id="plugin-approvals-chains-0-steps-1-user-error"')[1]
    message = message.split("</p>")[0]
    assert "Budi Santoso · Bidang TIK" in message and "Budi Santoso · Seksi Aplikasi" in message
    # the person outside the head's reach is not offered
    assert "Bidang IKP" not in message


def test_the_page_saves_an_sla_policy_for_a_board_type_and_pause_columns(world):
    """The type is picked from the board's card types (issue 26); one not on them is refused
    next to the field."""
    app, s = world
    client = browser(app)
    form = {
        "enabled": "1",
        "setting-policies-0-_row": "1",
        "setting-policies-0-type": "pengaduan",
        "setting-policies-0-duration": "2,5",
        "setting-policies-0-unit": "working_hours",
        "setting-policies-0-start": "active",
        "setting-policies-0-pause_columns": ["Draf", "Dikerjakan"],
        "setting-policies-0-at_risk": "0.5",
    }
    response = client.post(f"/boards/{s.board_id}/plugins/sla", data=form)
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    with app.app_context():
        assert stored(s, "sla")["policies"] == [
            {
                "type": "pengaduan",
                "duration": 2.5,
                "unit": "working_hours",
                "start": "active",
                "pause_columns": ["Draf", "Dikerjakan"],
                "at_risk": 0.5,
            }
        ]
    # A type the board does not have is refused next to the type
    form["setting-policies-0-type"] = "izin-usaha"
    response = client.post(f"/boards/{s.board_id}/plugins/sla", data=form)
    assert response.status_code == 422
    assert 'id="plugin-sla-policies-0-type-error"' in response.get_data(as_text=True)


def test_person_suggestions_offer_only_people_the_head_may_pick(world):
    app, s = world
    client = browser(app)
    found = client.get(f"/boards/{s.board_id}/settings/people?q=budi").get_json()
    assert found == {"people": ["Budi Santoso · Bidang TIK"]}
    member = browser(app, "drafter")
    assert member.get(f"/boards/{s.board_id}/settings/people?q=budi").status_code == 403


def test_renaming_a_column_takes_the_settings_that_name_it_along(world):
    from app.models import Event
    from app.services import boards

    app, s = world
    with app.app_context():
        kasi = user("kasi")
        policy = {"type": "surat-keluar", "duration": 3, "unit": "working_days"}
        board_plugins.set_board_plugin(
            kasi, s.board_id, "sla", settings={"policies": [{**policy, "pause_columns": ["paraf"]}]}
        )
        assert stored(s, "approvals")["chains"][0]["review_column"] == "Paraf"
        boards.update_column(kasi, s.board_id, s.column["Paraf"], {"name": "Paraf Pimpinan"})
        chain = stored(s, "approvals")["chains"][0]
        assert chain["review_column"] == "Paraf Pimpinan"
        assert chain["return_column"] == "Dikerjakan"
        assert stored(s, "sla")["policies"][0]["pause_columns"] == ["Paraf Pimpinan"]
        renamed = db.session.scalars(
            select(Event).where(
                Event.board_id == s.board_id, Event.kind == "plugin_settings_changed"
            )
        ).all()
        assert {event.data["plugin"] for event in renamed[-2:]} == {"approvals", "sla"}
        # Renaming another column leaves them alone.
        boards.update_column(kasi, s.board_id, s.column["Draf"], {"name": "Konsep"})
        assert stored(s, "approvals")["chains"][0]["review_column"] == "Paraf Pimpinan"
