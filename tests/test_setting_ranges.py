"""Issue 19, finding 12: every number setting has a range, enforced by `Setting` itself.
`horizon_days=999999999999999` for workload made every board page slow and the workload page a
500; it is refused with a field error (HTML and API), and a value stored before the range
existed reads as the default, so it cannot keep a page slow or failing."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import BoardPlugin
from app.services import plugins as board_plugins
from cergas.plugin import Setting, SettingError
from tests.conftest import PASSWORD, build_tokens, get_user, make_app

HUGE = "999999999999999"


@pytest.fixture
def app(database_url):
    app = make_app(
        database_url, CERGAS_PLUGINS="workload,approvals,competency", PROPAGATE_EXCEPTIONS=False
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def login(client, org, key="kasi"):
    client.post("/login", data={"username": org.nips[key], "password": PASSWORD})


def stored_settings(app, org, plugin="workload") -> dict:
    with app.app_context():
        row = db.session.scalar(
            select(BoardPlugin).where(
                BoardPlugin.board_id == org.board_id, BoardPlugin.plugin == plugin
            )
        )
        return dict(row.settings) if row is not None else {}


def test_every_number_setting_of_the_builtin_plugins_has_a_narrow_range(app):
    host = app.extensions["cergas_plugins"]
    numbers = [
        (plugin, setting)
        for plugin in host.loaded()
        for setting in host.settings_of(plugin)
        if setting.type in ("int", "float")
    ]
    assert {setting.name for _plugin, setting in numbers} >= {
        "horizon_days",
        "suggestions",
        "remind_after_days",
        "busy_at",
    }
    for plugin, setting in numbers:
        assert setting.minimum is not None and setting.maximum is not None, (plugin, setting)
        assert setting.maximum <= 100_000, (plugin, setting.name)
    with app.test_request_context():
        horizon = next(s for _p, s in numbers if s.name == "horizon_days")
        assert (horizon.minimum, horizon.maximum) == (1, 260)
        with pytest.raises(SettingError):
            horizon.clean(int(HUGE))
        with pytest.raises(SettingError):
            horizon.clean(HUGE, from_form=True)
        with pytest.raises(SettingError):
            horizon.clean("0", from_form=True)
        assert horizon.clean("260", from_form=True) == 260
        assert horizon.stored(int(HUGE)) == horizon.default
        assert horizon.stored("12") == horizon.default
        assert horizon.stored(12) == 12


def test_a_setting_declares_a_sound_range():
    assert (Setting("n", "int", 3, "N").minimum, Setting("n", "int", 3, "N").maximum) == (
        0,
        1_000_000,
    )
    with pytest.raises(ValueError):
        Setting("n", "int", 3, "N", minimum=5, maximum=1)
    with pytest.raises(ValueError):
        Setting("n", "int", 30, "N", minimum=1, maximum=10)  # the default is outside
    with pytest.raises(ValueError):
        Setting("n", "int", 3, "N", minimum=0.5)
    with pytest.raises(ValueError):
        Setting("s", "str", "", "S", maximum=3)


def test_a_huge_horizon_is_refused_on_the_form_and_the_api(app, org, client):
    login(client, org)
    url = f"/boards/{org.board_id}/plugins/workload"
    response = client.post(url, data={"enabled": "1", "setting-horizon_days": HUGE})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="plugin-workload-horizon_days-error"' in html
    assert stored_settings(app, org).get("horizon_days") is None
    tokens = build_tokens(app, org)
    response = client.put(
        f"/api/v1/boards/{org.board_id}/plugins/workload/settings",
        json={"settings": {"horizon_days": int(HUGE)}},
        headers={"Authorization": f"Bearer {tokens['kasi']}"},
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"settings.horizon_days"}
    assert stored_settings(app, org).get("horizon_days") is None
    # Within the range it is saved.
    response = client.post(url, data={"enabled": "1", "setting-horizon_days": "260"})
    assert response.status_code in (302, 303)
    assert stored_settings(app, org)["horizon_days"] == 260


def test_the_form_shows_each_range(app, org, client):
    login(client, org)
    client.post("/language", data={"locale": "en"})
    html = client.get(f"/boards/{org.board_id}/settings").get_data(as_text=True)
    assert (
        'name="setting-horizon_days" type="number" step="1" inputmode="numeric" min="1" max="260"'
        in html
    )
    assert "From 1 to 260." in html
    assert 'name="setting-imbalance_threshold" type="number" step="any"' in html
    assert 'min="0" max="1"' in html


def test_a_stored_value_out_of_range_does_not_break_the_pages(app, org, client):
    """A value saved before the ranges existed (written straight into the table here)."""
    with app.app_context():
        board_plugins.set_board_plugin(
            get_user("kasi", org), org.board_id, "workload", settings={"horizon_days": 20}
        )
        row = db.session.scalar(
            select(BoardPlugin).where(
                BoardPlugin.board_id == org.board_id, BoardPlugin.plugin == "workload"
            )
        )
        row.settings = {**row.settings, "horizon_days": int(HUGE), "suggestions": -5}
        db.session.commit()
    login(client, org)
    assert client.get(f"/boards/{org.board_id}").status_code == 200
    page = client.get(f"/plugins/workload/boards/{org.board_id}")
    assert page.status_code == 200
    assert client.get("/plugins/workload/units/SEKSI-APL").status_code == 200
    with app.app_context():
        state = board_plugins.board_plugin(get_user("kasi", org), org.board_id, "workload")
        assert state.values["horizon_days"] == 10  # the default
        assert state.values["suggestions"] == 3
