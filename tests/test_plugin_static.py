"""A plugin's own static files: its `static/` folder is served at /plugins/<name>/static/ and
the stylesheets its PluginInfo declares are linked on every page while it is loaded."""

import hashlib
import re
from pathlib import Path

import pytest

from tests.conftest import test_config as config_for

ROOT = Path(__file__).resolve().parents[1]
STYLED = {"approvals": ".approvals-chain", "competency": ".jp-table", "workload": ".wl-bar"}


@pytest.fixture(scope="module")
def styled_app():
    from app import create_app

    return create_app(config_for("sqlite://", CERGAS_PLUGINS="approvals,workload"))


def stylesheet_links(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)


def test_the_stylesheets_of_loaded_plugins_are_linked_after_the_core_one(styled_app):
    links = stylesheet_links(styled_app.test_client().get("/login").get_data(as_text=True))
    assert links[0].startswith("/static/app.css")
    # The core's own sheets (app.css, then search, names) come first, the plugins' after them.
    core = [link for link in links if link.startswith("/static/")]
    assert links[: len(core)] == core
    assert [re.sub(r"\?v=[0-9a-f]{12}$", "", link) for link in links[len(core) :]] == [
        "/plugins/approvals/static/approvals.css",
        "/plugins/workload/static/workload.css",
    ]


def test_a_plugin_not_loaded_has_no_link_and_no_files(styled_app):
    html = styled_app.test_client().get("/login").get_data(as_text=True)
    assert "competency.css" not in html
    client = styled_app.test_client()
    assert client.get("/plugins/competency/static/competency.css").status_code == 404


def test_the_linked_stylesheet_is_served_and_its_link_changes_with_its_content(styled_app):
    client = styled_app.test_client()
    links = stylesheet_links(client.get("/login").get_data(as_text=True))
    approvals = next(link for link in links if "approvals.css" in link)
    response = client.get(approvals)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert ".approvals-chain" in response.get_data(as_text=True)
    assert response.headers.get("ETag")  # cacheable like the core's static files
    with client.session_transaction() as session:
        session["_user_id"] = "1"  # also for a signed-in person (app/security.py)
    assert "no-store" not in client.get(approvals).headers.get("Cache-Control", "")
    path = ROOT / "plugins" / "approvals" / "static" / "approvals.css"
    assert approvals.endswith("?v=" + hashlib.sha256(path.read_bytes()).hexdigest()[:12])


@pytest.mark.parametrize(
    "path",
    [
        "/plugins/approvals/static/../__init__.py",
        "/plugins/approvals/static/%2e%2e/__init__.py",
        "/plugins/approvals/static/nothing.css",
        "/plugins/email/static/email.css",  # loaded, but without a static folder
        "/plugins/unknown/static/x.css",
    ],
)
def test_nothing_outside_a_loaded_plugins_static_folder_is_served(path):
    from app import create_app

    flask_app = create_app(config_for("sqlite://", CERGAS_PLUGINS="approvals,email"))
    assert flask_app.test_client().get(path).status_code == 404


@pytest.mark.parametrize("name", sorted(STYLED))
def test_each_plugins_styles_live_in_its_own_stylesheet(name):
    sheet = ROOT / "plugins" / name / "static" / f"{name}.css"
    assert STYLED[name] in sheet.read_text(encoding="utf-8")


def test_the_core_stylesheet_holds_no_plugins_rules():
    core = (ROOT / "app" / "static" / "app.css").read_text(encoding="utf-8")
    selectors = re.findall(r"\.([a-z][\w-]*)", re.sub(r"/\*.*?\*/", "", core, flags=re.S))
    plugin_classes = {"approvals", "workload", "wl", "sla", "competency", "jp", "gap"}
    assert not [s for s in selectors if s.split("-")[0] in plugin_classes]
