"""Per-board plugin switches and settings: the service, the settings page and the JSON API."""

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import BoardPlugin, Event
from app.services import plugins as board_plugins
from app.services.errors import Forbidden, Invalid, NotFound
from cergas.plugin import BoardWarning, Setting, hookimpl, plugin_settings
from tests.conftest import get_board, get_user, make_app

DEFAULTS = {
    "urgent": False,
    "max_days": 3,
    "factor": 1.5,
    "prefix": "B-",
    "note": "",
    "start": None,
    "types": ["surat keluar"],
    "extra": None,
}


class LetterRules:
    """A throw-away plugin with one setting of every type and a warning that shows it ran."""

    @hookimpl
    def cergas_settings(self):
        return [
            Setting("urgent", "bool", False, "Urgent"),
            Setting("max_days", "int", 3, "Maximum days", help="Working days."),
            Setting("factor", "float", 1.5, "Factor"),
            Setting("prefix", "str", "B-", "Prefix"),
            Setting("note", "text", "", "Note"),
            Setting("start", "date", None, "Start"),
            Setting("types", "list", ["surat keluar"], "Card types"),
            Setting("extra", "json", None, "Extra"),
        ]

    @hookimpl
    def cergas_board_warnings(self, board, cards):
        return [BoardWarning(f"letters checked on {board.name}")]


class Quiet:
    """A second plugin without settings."""

    @hookimpl
    def cergas_board_warnings(self, board, cards):
        return []


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"surat": LetterRules(), "sunyi": Quiet()})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def page(response) -> str:
    return response.get_data(as_text=True)


def stored(app, board_id):
    """(rows, events) about plugins on the board."""
    with app.app_context():
        rows = {
            row.plugin: (row.enabled, row.settings)
            for row in db.session.scalars(
                select(BoardPlugin).where(BoardPlugin.board_id == board_id)
            )
        }
        events = db.session.scalar(
            select(func.count(Event.id)).where(Event.kind == "plugin_settings_changed")
        )
        return rows, events


def current(app, board_id, plugin="surat"):
    with app.app_context():
        return plugin_settings(get_board(board_id), plugin)


# --- service ----------------------------------------------------------------------------------


def test_every_loaded_plugin_is_listed_enabled_with_its_defaults(app, org):
    with app.app_context():
        states = board_plugins.board_plugins(get_user("staff", org), org.board_id)
    assert [state.name for state in states] == ["sunyi", "surat"]
    surat = states[1]
    assert surat.enabled is True
    assert surat.values == DEFAULTS
    assert [s.name for s in surat.settings] == list(DEFAULTS)
    assert states[0].values == {} and states[0].settings == []


@pytest.mark.pg
def test_head_saves_some_settings_and_the_change_is_audited(app, org):
    with app.app_context():
        state = board_plugins.set_board_plugin(
            get_user("kasi", org), org.board_id, "surat", settings={"max_days": 5, "urgent": True}
        )
        assert state.values == {**DEFAULTS, "max_days": 5, "urgent": True}
        event = db.session.scalar(select(Event).where(Event.kind == "plugin_settings_changed"))
        assert event.board_id == org.board_id
        assert event.actor_id == org.users["kasi"]
        assert event.data == {
            "plugin": "surat",
            "changes": {"max_days": [3, 5], "urgent": [False, True]},
        }
    assert current(app, org.board_id) == {**DEFAULTS, "max_days": 5, "urgent": True}
    # A later change keeps what was saved before.
    with app.app_context():
        board_plugins.set_board_plugin(
            get_user("kadis", org), org.board_id, "surat", settings={"start": "2026-12-01"}
        )
    assert current(app, org.board_id)["max_days"] == 5
    assert current(app, org.board_id)["start"] == "2026-12-01"


@pytest.mark.pg
def test_saving_the_same_values_records_nothing(app, org):
    with app.app_context():
        board_plugins.set_board_plugin(
            get_user("admin", org), org.board_id, "surat", enabled=True, settings={"max_days": 3}
        )
    assert stored(app, org.board_id) == ({}, 0)


@pytest.mark.pg
@pytest.mark.parametrize(
    "settings, bad",
    [
        ({"nope": 1}, {"nope"}),
        ({"max_days": "5"}, {"max_days"}),
        ({"max_days": True, "urgent": "yes", "types": "a,b"}, {"max_days", "urgent", "types"}),
        ({"start": "1 Desember", "factor": "x", "prefix": 7}, {"start", "factor", "prefix"}),
        ({"max_days": 9, "mystery": True}, {"mystery"}),
    ],
)
def test_unknown_keys_and_wrong_types_are_refused_and_nothing_changes(app, org, settings, bad):
    with app.app_context(), pytest.raises(Invalid) as refused:
        board_plugins.set_board_plugin(
            get_user("kasi", org), org.board_id, "surat", enabled=False, settings=settings
        )
    assert refused.value.status == 422
    assert refused.value.code == "validation_error"
    assert set(refused.value.fields) == bad
    assert stored(app, org.board_id) == ({}, 0)
    assert current(app, org.board_id) == DEFAULTS


@pytest.mark.parametrize("who, error", [("staff", Forbidden), ("outsider", NotFound)])
def test_only_heads_and_admins_change_plugins(app, org, who, error):
    with app.app_context(), pytest.raises(error):
        board_plugins.set_board_plugin(get_user(who, org), org.board_id, "surat", enabled=False)
    assert stored(app, org.board_id) == ({}, 0)


def test_an_unknown_plugin_is_not_found(app, org):
    with app.app_context():
        with pytest.raises(NotFound):
            board_plugins.set_board_plugin(get_user("admin", org), org.board_id, "tidak-ada")
        with pytest.raises(NotFound):
            board_plugins.board_plugin(get_user("admin", org), org.board_id, "tidak-ada")


@pytest.mark.pg
def test_a_plugin_disabled_on_a_board_is_skipped_there(app, org):
    with app.app_context():
        host = app.extensions["cergas_plugins"]
        board = get_board(org.board_id)
        answered = sorted(n for n, _r in host.call("cergas_board_warnings", board=board, cards=[]))
        assert answered == ["sunyi", "surat"]
        board_plugins.set_board_plugin(get_user("kasi", org), org.board_id, "surat", enabled=False)
        board = get_board(org.board_id)
        answered = sorted(n for n, _r in host.call("cergas_board_warnings", board=board, cards=[]))
        assert answered == ["sunyi"]
        assert [p for p, _w in host.board_warnings(board, [])] == []
        assert (
            board_plugins.board_plugin(get_user("staff", org), org.board_id, "surat").enabled
            is False
        )
    assert stored(app, org.board_id)[0] == {"surat": (False, {})}


# --- settings page ----------------------------------------------------------------------------


def plugin_form(html: str, plugin: str) -> str:
    match = re.search(rf'<li class="plugin-setting" data-plugin="{plugin}">(.*?)</li>', html, re.S)
    assert match, html
    return match.group(1)


def test_settings_page_has_a_form_generated_from_the_settings(client, auth, org):
    auth.login(org.nips["kasi"])
    html = page(client.get(f"/boards/{org.board_id}/settings"))
    assert 'id="plugins-section"' in html
    form = plugin_form(html, "surat")
    assert f'action="/boards/{org.board_id}/plugins/surat"' in form
    assert 'name="csrf_token"' in form
    assert re.search(r'name="enabled" type="checkbox" value="1" checked', form)
    assert re.search(r'name="setting-urgent" type="checkbox" value="1"(?! checked)', form)
    assert re.search(r'name="setting-max_days" type="number" step="1"[^>]*value="3"', form)
    assert re.search(r'name="setting-factor" type="number" step="any"[^>]*value="1.5"', form)
    assert re.search(r'name="setting-prefix" type="text" value="B-"', form)
    assert re.search(r'<textarea id="plugin-surat-note" name="setting-note"', form)
    assert re.search(r'name="setting-start" type="date" value=""', form)
    assert re.search(r'name="setting-types" type="text" value="surat keluar"', form)
    assert re.search(r'<textarea id="plugin-surat-extra" name="setting-extra"', form)
    assert 'aria-describedby="plugin-surat-max_days-hint"' in form
    assert "Working days." in form
    assert '<label for="plugin-surat-max_days">Maximum days</label>' in form
    assert 'name="enabled"' in plugin_form(html, "sunyi")


def surat_form(**changes) -> dict:
    form = {
        "enabled": "1",
        "setting-max_days": "3",
        "setting-factor": "1.5",
        "setting-prefix": "B-",
        "setting-note": "",
        "setting-start": "",
        "setting-types": "surat keluar",
        "setting-extra": "",
    }
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_a_head_saves_the_plugin_form(app, client, auth, org):
    auth.login(org.nips["kabid"])
    form = surat_form(
        enabled=None,
        **{
            "setting-urgent": "1",
            "setting-max_days": "7",
            "setting-factor": "2,5",
            "setting-note": "Cek nomor\nsurat",
            "setting-start": "2026-12-01",
            "setting-types": "surat keluar, nota dinas,,",
            "setting-extra": '{"kode": [1, 2]}',
        },
    )
    response = client.post(f"/boards/{org.board_id}/plugins/surat", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/boards/{org.board_id}/settings")
    saved = {
        "urgent": True,
        "max_days": 7,
        "factor": 2.5,
        "prefix": "B-",
        "note": "Cek nomor\nsurat",
        "start": "2026-12-01",
        "types": ["surat keluar", "nota dinas"],
        "extra": {"kode": [1, 2]},
    }
    assert current(app, org.board_id) == saved
    rows, events = stored(app, org.board_id)
    assert rows["surat"][0] is False and events == 1
    html = page(client.get(f"/boards/{org.board_id}/settings"))
    form_html = plugin_form(html, "surat")
    assert re.search(r'name="enabled" type="checkbox" value="1"(?! checked)', form_html)
    assert re.search(r'name="setting-urgent" type="checkbox" value="1" checked', form_html)
    assert 'value="surat keluar, nota dinas"' in form_html
    assert 'value="2026-12-01"' in form_html
    assert "&#34;kode&#34;: [" in form_html or "&quot;kode&quot;: [" in form_html


@pytest.mark.pg
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_changes(app, client, auth, org):
    auth.login(org.nips["kasi"])
    form = surat_form(
        **{"setting-max_days": "tujuh", "setting-extra": "{oops", "setting-prefix": "C-"}
    )
    response = client.post(f"/boards/{org.board_id}/plugins/surat", data=form)
    assert response.status_code == 422
    form_html = plugin_form(page(response), "surat")
    assert 'id="plugin-surat-max_days-error"' in form_html
    assert 'id="plugin-surat-extra-error"' in form_html
    assert re.search(
        r'name="setting-max_days"[^>]*value="tujuh"[^>]*aria-invalid="true"', form_html
    )
    assert 'value="C-"' in form_html  # what was typed is kept
    assert 'id="plugin-surat-prefix-error"' not in form_html
    assert stored(app, org.board_id) == ({}, 0)


@pytest.mark.pg
@pytest.mark.parametrize(
    "field, value",
    [
        ("max_days", "²"),
        ("max_days", "9" * 5000),
        ("factor", "nan"),
        ("factor", "-inf"),
        ("factor", "1e999"),
        ("extra", "NaN"),
        ("extra", "[" * 100_000),
        ("extra", '{"a": "\\u0000"}'),
        ("types", "satu, du\x00a"),
        ("note", "catatan\x00"),
        ("start", "2026-02-30"),
    ],
)
def test_odd_form_input_is_refused_without_a_server_error(app, client, auth, org, field, value):
    auth.login(org.nips["kasi"])
    form = surat_form(**{f"setting-{field}": value})
    response = client.post(f"/boards/{org.board_id}/plugins/surat", data=form)
    assert response.status_code == 422
    assert f'id="plugin-surat-{field}-error"' in page(response)
    assert stored(app, org.board_id) == ({}, 0)


@pytest.mark.parametrize(
    "who, plugin, status",
    [("staff", "surat", 403), ("outsider", "surat", 404), ("kasi", "tidak-ada", 404)],
)
def test_plugin_form_refusals(app, client, auth, org, who, plugin, status):
    auth.login(org.nips[who])
    response = client.post(f"/boards/{org.board_id}/plugins/{plugin}", data=surat_form())
    assert response.status_code == status
    assert stored(app, org.board_id) == ({}, 0)


# --- JSON API ---------------------------------------------------------------------------------

URL = "/api/v1/boards/{board}/plugins/{plugin}/settings"


def url(org, plugin="surat") -> str:
    return URL.format(board=org.board_id, plugin=plugin)


def test_api_shows_defaults_to_board_viewers(api, org):
    response = api("staff").get(url(org))
    assert response.status_code == 200
    assert response.get_json() == {"plugin": "surat", "enabled": True, "settings": DEFAULTS}
    assert api("staff").get(url(org, "sunyi")).get_json() == {
        "plugin": "sunyi",
        "enabled": True,
        "settings": {},
    }


@pytest.mark.parametrize(
    "who, plugin", [("outsider", "surat"), ("staff", "tidak-ada"), ("admin", "tidak-ada")]
)
def test_api_hides_boards_and_unknown_plugins(api, org, who, plugin):
    response = api(who).get(url(org, plugin))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.pg
def test_api_saves_settings_and_switch(app, api, org):
    body = {"enabled": False, "settings": {"max_days": 10, "types": [], "extra": {"a": 1}}}
    response = api("kasi").put(url(org), json=body)
    assert response.status_code == 200, response.get_json()
    expected = {**DEFAULTS, "max_days": 10, "types": [], "extra": {"a": 1}}
    assert response.get_json() == {"plugin": "surat", "enabled": False, "settings": expected}
    assert api("staff").get(url(org)).get_json() == response.get_json()
    assert stored(app, org.board_id)[1] == 1
    # Only the switch: the settings stay.
    response = api("admin").put(url(org), json={"enabled": True})
    assert response.get_json() == {"plugin": "surat", "enabled": True, "settings": expected}


def test_api_accepts_back_what_it_answered(api, org):
    body = api("kasi").get(url(org)).get_json()
    body["settings"]["prefix"] = "SK-"
    response = api("kasi").put(url(org), json=body)
    assert response.status_code == 200
    assert response.get_json()["settings"]["prefix"] == "SK-"


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"settings": {"nope": 1}}, {"settings.nope"}),
        ({"settings": {"max_days": "10"}}, {"settings.max_days"}),
        ({"settings": {"max_days": 1.5, "urgent": 1}}, {"settings.max_days", "settings.urgent"}),
        ({"settings": {"start": "2026-13-01", "types": [1]}}, {"settings.start", "settings.types"}),
        ({"enabled": "no", "settings": {"max_days": 4}}, {"enabled"}),
        ({"settings": [1, 2]}, {"settings"}),
        ({"max_days": 4}, {"max_days"}),
        ({"plugin": "sunyi", "enabled": False}, {"plugin"}),
    ],
)
def test_api_refuses_unknown_keys_and_wrong_types(app, api, org, body, fields):
    response = api("kasi").put(url(org), json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == fields
    assert stored(app, org.board_id) == ({}, 0)
    assert api("kasi").get(url(org)).get_json()["settings"] == DEFAULTS


@pytest.mark.parametrize(
    "who, plugin, status",
    [("staff", "surat", 403), ("outsider", "surat", 404), ("kasi", "tidak-ada", 404)],
)
def test_api_refuses_members_and_outsiders(app, api, org, who, plugin, status):
    response = api(who).put(url(org, plugin), json={"settings": {"nope": "x"}})
    assert response.status_code == status
    assert stored(app, org.board_id) == ({}, 0)


def test_api_wants_a_json_object(api, org):
    assert api("kasi").put(url(org), data="[]", content_type="application/json").status_code == 400
    assert api("kasi").put(url(org), data="max_days=3").status_code == 400


@pytest.mark.pg
@pytest.mark.parametrize(
    "raw, status, fields",
    [
        ('{"settings": {"factor": 1e999}}', 422, {"settings.factor"}),
        ('{"settings": {"extra": {"a": -1e999}}}', 422, {"settings.extra"}),
        ('{"settings": {"note": "\\ud800"}}', 400, None),
    ],
)
def test_api_refuses_values_no_database_stores(app, api, org, raw, status, fields):
    response = api("kasi").put(url(org), data=raw, content_type="application/json")
    assert response.status_code == status
    if fields:
        assert set(response.get_json()["error"]["fields"]) == fields
    assert stored(app, org.board_id) == ({}, 0)
