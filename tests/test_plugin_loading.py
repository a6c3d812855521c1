"""Which plugins load: entry points, CERGAS_PLUGINS / CERGAS_DISABLED_PLUGINS, broken imports."""

import json
from importlib.metadata import EntryPoint

import pytest

import app.plugins
from app import create_app
from tests.conftest import PASSWORD, make_app
from tests.conftest import test_config as config_for

FAKE_ENTRY_POINTS = [
    EntryPoint("good", "tests.loading_plugins.good", "cergas"),
    EntryPoint("broken", "tests.loading_plugins.broken", "cergas"),
]


@pytest.fixture(autouse=True)
def fake_entry_points(monkeypatch):
    monkeypatch.setattr(app.plugins, "entry_points", lambda group: FAKE_ENTRY_POINTS)


def records(flask_app) -> dict:
    return {name: r.to_dict() for name, r in flask_app.extensions["cergas_plugins"].records.items()}


def build(**config):
    return create_app(config_for("sqlite://", **config))


def test_unset_allow_list_loads_every_installed_plugin_and_reports_the_broken_one():
    loaded = records(build(CERGAS_PLUGINS=None))
    assert loaded["good"]["status"] == "loaded"
    assert loaded["good"]["hooks"] == ["cergas_card_badges"]
    assert loaded["broken"]["status"] == "failed"
    assert loaded["broken"]["errors"] == 1
    assert "surat_lib" in loaded["broken"]["last_error"]


def test_allow_list_loads_only_the_named_plugins():
    loaded = records(build(CERGAS_PLUGINS="good"))
    assert loaded["good"]["status"] == "loaded"
    assert loaded["broken"]["status"] == "disabled"
    assert loaded["broken"]["errors"] == 0  # never imported


def test_empty_allow_list_loads_nothing():
    loaded = records(build(CERGAS_PLUGINS=""))
    assert {r["status"] for r in loaded.values()} == {"disabled"}


def test_block_list_wins_over_the_allow_list():
    loaded = records(build(CERGAS_PLUGINS="good,broken", CERGAS_DISABLED_PLUGINS=" good "))
    assert loaded["good"]["status"] == "disabled"
    assert loaded["broken"]["status"] == "failed"


def test_the_environment_chooses_when_the_config_does_not(monkeypatch, tmp_path):
    monkeypatch.setenv("CERGAS_PLUGINS", "good")
    config = config_for("sqlite://")
    del config["CERGAS_PLUGINS"]
    loaded = records(create_app(config))
    assert loaded["good"]["status"] == "loaded" and loaded["broken"]["status"] == "disabled"


def test_each_app_has_its_own_plugin_host_and_loading_is_idempotent():
    first, second = build(CERGAS_PLUGINS="good"), build(CERGAS_PLUGINS="")
    assert records(first)["good"]["status"] == "loaded"
    assert records(second)["good"]["status"] == "disabled"
    host = first.extensions["cergas_plugins"]
    host.load(None, None)
    assert [i.plugin_name for i in host.pm.hook.cergas_card_badges.get_hookimpls()] == ["good"]


def test_broken_plugin_is_shown_by_the_cli_and_the_admin_page(database_url):
    flask_app = make_app(database_url, CERGAS_PLUGINS=None)
    result = flask_app.test_cli_runner().invoke(args=["plugins", "--json"])
    assert result.exit_code == 0, result.output
    listed = {row["name"]: row for row in json.loads(result.output)}
    assert listed["broken"]["status"] == "failed" and listed["broken"]["errors"] == 1
    from app.services import accounts

    with flask_app.app_context():
        accounts.create_user("Admin", PASSWORD, username="admin", admin=True)
    client = flask_app.test_client()
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert "broken" in page and "surat_lib" in page
