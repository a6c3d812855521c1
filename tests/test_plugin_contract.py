"""The versioned plugin contract (docs/plugins.md, "Compatibility"): a plugin declares the
plugin API versions it supports and who it is (`PluginInfo`); one written for other versions is
not registered and shows as `incompatible` with the reason on /admin/plugins, in
`GET /api/v1/plugins` and in `cergas plugins`. Deprecated imports and hooks still load, with a
warning the administrator sees."""

import json
import logging
import re
import sys
from configparser import ConfigParser
from pathlib import Path
from types import ModuleType

import pytest
from flask_babel import force_locale
from packaging.version import Version

import app.plugins as plugin_host
from app.extensions import db
from app.hookspecs import deprecated, hookspec
from app.plugins import PluginHost, incompatibility
from cergas.plugin import API_VERSION, Badge, PluginInfo, Veto, hookimpl
from tests.conftest import make_app
from tests.conftest import test_config as config_for

ROOT = Path(__file__).resolve().parents[1]
BUILT_IN = ("approvals", "competency", "email", "sla", "workload")


class ForCergasTwo:
    """Written for plugin API 2: never registered, so its hook never runs."""

    PLUGIN_INFO = PluginInfo("Arsip masa depan", "Untuk Cergas 2.", api_range=">=2.0,<3")

    @hookimpl
    def cergas_card_badges(self, cards):
        raise AssertionError("an incompatible plugin was called")


class ForThisCergas:
    PLUGIN_INFO = PluginInfo("Penanda surat", "Menandai setiap kartu.", api_range=">=1.0,<2")

    @hookimpl
    def cergas_card_badges(self, cards):
        return {card.id: [Badge("penanda-uji")] for card in cards}


@hookspec(warn_on_impl=deprecated("1.1", "use cergas_card_moved instead"))
def cergas_test_old_moved(card):
    """A test-only hook, deprecated the documented way (app/hookspecs.py)."""


OldSpecs = ModuleType("old_specs")
OldSpecs.cergas_test_old_moved = cergas_test_old_moved


class UsesTheOldHook:
    @hookimpl
    def cergas_test_old_moved(self, card):
        return None


@pytest.fixture
def app(database_url):
    plugins = {"masa-depan": ForCergasTwo(), "penanda": ForThisCergas()}
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS=plugins)
    host = app.extensions["cergas_plugins"]
    host.pm.add_hookspecs(OldSpecs)
    with pytest.warns(DeprecationWarning, match="use cergas_card_moved instead"):
        host.register(UsesTheOldHook(), "lama")
    yield app
    with app.app_context():
        db.session.remove()


def page(response) -> str:
    return response.get_data(as_text=True)


def row(html: str, plugin: str) -> str:
    match = re.search(rf'<tr data-plugin="{plugin}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, html
    return match.group(0)


# --- an unsupported range is refused, visibly ---------------------------------------------------


def test_a_plugin_for_another_api_version_is_not_registered(app):
    host = app.extensions["cergas_plugins"]
    record = host.records["masa-depan"]
    assert record.status == "incompatible"
    assert record.hooks == [] and record.errors == 0
    assert "masa-depan" not in host.loaded()
    assert "masa-depan" not in [
        impl.plugin_name for impl in host.pm.hook.cergas_card_badges.get_hookimpls()
    ]


def test_admin_page_shows_the_incompatible_plugin_with_its_reason(client, auth, org):
    auth.login("admin")
    html = page(client.get("/admin/plugins"))
    refused = row(html, "masa-depan")
    assert 'data-status="incompatible"' in refused
    assert "tidak cocok" in refused  # the status, in Indonesian
    assert "mendukung API plugin &gt;=2.0,&lt;3" in refused
    assert f"Cergas ini menyediakan API plugin {API_VERSION}" in refused
    assert "Arsip masa depan" in refused  # its title, the name under it


def test_api_shows_the_incompatible_plugin_with_its_reason(api, org):
    listed = {p["name"]: p for p in api("admin").get("/api/v1/plugins").get_json()["plugins"]}
    refused = listed["masa-depan"]
    assert refused["status"] == "incompatible"
    assert refused["api_range"] == ">=2.0,<3"
    assert ">=2.0,<3" in refused["reason"] and API_VERSION in refused["reason"]
    assert refused["title"] == "Arsip masa depan"
    assert refused["description"] == "Untuk Cergas 2."
    assert refused["hooks"] == []


def test_cli_shows_the_incompatible_plugin_with_its_reason(runner):
    listed = {p["name"]: p for p in json.loads(runner.invoke(args=["plugins", "--json"]).output)}
    assert listed["masa-depan"]["status"] == "incompatible"
    assert ">=2.0,<3" in listed["masa-depan"]["reason"]
    text = runner.invoke(args=["plugins"]).output
    line = next(line for line in text.splitlines() if line.startswith("masa-depan"))
    assert "Arsip masa depan" in line and "incompatible" in line
    assert ">=2.0,<3" in text


# --- the current range loads ------------------------------------------------------------------


def test_a_plugin_declaring_the_current_range_loads_and_runs(app, client, auth, org):
    record = app.extensions["cergas_plugins"].records["penanda"]
    assert record.status == "loaded" and record.reason is None
    assert record.hooks == ["cergas_card_badges"]
    with app.app_context():
        from app.services import cards
        from tests.conftest import get_user

        cards.create_card(get_user("kasi", org), org.board_id, {"title": "Surat undangan"})
    auth.login(org.nips["kasi"])
    assert "penanda-uji" in page(client.get(f"/boards/{org.board_id}"))


@pytest.mark.parametrize(
    ("api_range", "refused"),
    [
        (">=1.0,<2", False),
        ("~=1.0", False),
        (None, False),
        (">=1.1", False),
        (">=1.2", False),
        (">=1.3", False),
        (">=1.4", True),
        ("<1", True),
    ],
)
def test_the_range_is_read_as_pep_440_specifiers(api_range, refused):
    info = PluginInfo("x", api_range=api_range)
    assert (incompatibility(info) is not None) is refused


def test_a_range_that_is_not_one_is_refused_when_declared():
    with pytest.raises(ValueError, match="not a version range"):
        PluginInfo("x", api_range="version one")
    with pytest.raises(ValueError, match="inside static"):
        PluginInfo("x", stylesheets=("../app.css",))


class FakeDistribution:
    def __init__(self, name, requires):
        self.metadata = {"Name": name}
        self.requires = requires
        self.version = "0.3.0"


class FakeEntryPoint:
    def __init__(self, name, value, dist):
        self.name, self.value, self.dist = name, value, dist

    def load(self):
        __import__(self.value)
        return sys.modules[self.value]


def test_a_distribution_requiring_another_cergas_is_refused_before_it_is_imported(monkeypatch):
    installed = plugin_host.cergas_version()
    future = FakeDistribution("cergas-masa-depan", ["cergas>=99", "pytest; extra == 'test'"])
    fitting = FakeDistribution("cergas-penanda", [f"cergas=={installed}"])
    points = [
        FakeEntryPoint("masa-depan", "tests.loading_plugins.future", future),
        FakeEntryPoint("baik", "tests.loading_plugins.good", fitting),
    ]
    monkeypatch.setattr(plugin_host, "entry_points", lambda group: points)
    flask_app = make_app("sqlite://", CERGAS_PLUGINS="masa-depan,baik")
    records = flask_app.extensions["cergas_plugins"].records
    assert records["masa-depan"].status == "incompatible"  # and never imported: it raises
    with flask_app.test_request_context(), force_locale("en"):
        assert str(records["masa-depan"].reason) == (
            f"requires Cergas >=99, this server runs Cergas {installed}"
        )
    assert records["baik"].status == "loaded"


def test_requirements_only_for_an_extra_or_on_other_packages_do_not_count():
    dist = FakeDistribution("x", ["cergas>=99; extra == 'test'", "requests>=99", "not valid ["])
    assert plugin_host.required_cergas(dist) is None
    assert plugin_host.required_cergas(FakeDistribution("cergas", ["cergas>=99"])) is None


def test_the_distribution_version_follows_the_api_major_version():
    config = ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert Version(config["metadata"]["version"]).major == Version(API_VERSION).major
    assert "packaging" in config["options"]["install_requires"]


# --- deprecated names and hooks still load, with a warning ------------------------------------


def test_a_plugin_importing_app_plugin_api_loads_and_warns(monkeypatch):
    from importlib.metadata import EntryPoint

    # Imported fresh: a module already imported (by another test) would not warn again.
    for name in ("app.plugin_api", "tests.loading_plugins.legacy"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    points = [EntryPoint("lama", "tests.loading_plugins.legacy", "cergas")]
    monkeypatch.setattr(plugin_host, "entry_points", lambda group: points)
    with pytest.warns(DeprecationWarning, match="import from cergas.plugin"):
        flask_app = create_with(CERGAS_PLUGINS="lama")
    record = flask_app.extensions["cergas_plugins"].records["lama"]
    assert record.status == "loaded"
    assert record.hooks == ["cergas_card_badges"]


def create_with(**config):
    from app import create_app

    return create_app(config_for("sqlite://", **config))


def test_a_deprecated_hook_is_recorded_against_the_plugin_and_logged(caplog):
    host = PluginHost()
    host.pm.add_hookspecs(OldSpecs)
    with (
        caplog.at_level(logging.WARNING, "cergas.plugins"),
        pytest.warns(DeprecationWarning, match="deprecated since plugin API 1.1"),
    ):
        host.register(UsesTheOldHook(), "lama")
    record = host.records["lama"]
    assert record.status == "loaded"
    assert record.warnings == [
        "cergas_test_old_moved: deprecated since plugin API 1.1, removed in 2.0: "
        "use cergas_card_moved instead"
    ]
    assert "plugin lama implements a deprecated hook: cergas_test_old_moved" in caplog.text


def test_the_deprecation_shows_in_all_three_places(api, client, auth, runner, org):
    listed = {p["name"]: p for p in api("admin").get("/api/v1/plugins").get_json()["plugins"]}
    assert "cergas_test_old_moved: deprecated since plugin API 1.1" in listed["lama"]["warnings"][0]
    assert "cergas_test_old_moved: deprecated" in runner.invoke(args=["plugins"]).output
    auth.login("admin")
    assert "cergas_test_old_moved: deprecated" in row(page(client.get("/admin/plugins")), "lama")


# --- who a plugin is --------------------------------------------------------------------------


def test_a_plugin_without_info_is_shown_under_its_name():
    host = PluginHost()
    host.register(sys.modules["tests.loading_plugins.good"], "good")
    assert host.records["good"].to_dict()["title"] == "good"
    assert host.title_of("good") == "good" and host.title_of("unknown") == "unknown"


def test_a_plugin_info_of_the_wrong_type_fails_the_plugin():
    class Wrong:
        PLUGIN_INFO = {"title": "Salah"}

    host = PluginHost()
    host.register(Wrong(), "salah")
    assert host.records["salah"].status == "failed"
    assert "not cergas.plugin.PluginInfo" in host.records["salah"].last_error


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_plugin_has_an_indonesian_title_and_the_current_range(name):
    module = __import__(f"plugins.{name}", fromlist=["PLUGIN_INFO"])
    info = module.PLUGIN_INFO
    assert incompatibility(info) is None and info.api_range == ">=1.0,<2"
    flask_app = create_with()
    with flask_app.test_request_context(), force_locale("id"):
        title, description = str(info.title), str(info.description)
    with flask_app.test_request_context(), force_locale("en"):
        assert title != str(info.title) and description != str(info.description)
    assert title and description


def test_the_example_plugin_declares_its_info_and_range():
    sys.path.insert(0, str(ROOT / "examples" / "cergas-nomor-surat"))
    try:
        import cergas_nomor_surat
    finally:
        sys.path.remove(str(ROOT / "examples" / "cergas-nomor-surat"))
    assert cergas_nomor_surat.PLUGIN_INFO.title == "Nomor surat"
    assert incompatibility(cergas_nomor_surat.PLUGIN_INFO) is None
    setup = (ROOT / "examples" / "cergas-nomor-surat" / "setup.cfg").read_text(encoding="utf-8")
    assert "cergas>=1.0,<2" in setup


class Crashing:
    PLUGIN_INFO = PluginInfo("Penjaga arsip")

    @hookimpl
    def cergas_card_before_move(self, card):
        raise RuntimeError("arsip tidak terjangkau")


class Refusing:
    @hookimpl
    def cergas_card_before_move(self, card):
        return Veto("belum boleh")


def test_a_crashing_veto_is_named_by_the_plugins_title():
    host = PluginHost()
    host.register(Crashing(), "penjaga-arsip")
    host.register(Refusing(), "penolak")
    flask_app = create_with()
    with flask_app.test_request_context(), force_locale("en"):
        refusals = host.vetoes(card=None, source=None, target=None, actor=None, board=None)
    by_plugin = {refusal["plugin"]: refusal["message"] for refusal in refusals}
    assert by_plugin["penjaga-arsip"].startswith("The plugin Penjaga arsip failed")
    assert by_plugin["penolak"] == "belum boleh"


def test_the_board_settings_page_heads_each_plugin_with_its_title(app, client, auth, org):
    auth.login(org.nips["kasi"])
    html = page(client.get(f"/boards/{org.board_id}/settings"))
    section = re.search(r'<li class="plugin-setting" data-plugin="penanda">.*?</h3>', html, re.S)
    assert section and "<h3>Penanda surat</h3>" in section.group(0)
    assert "Menandai setiap kartu." in html
