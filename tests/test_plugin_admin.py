"""Plugin health for administrators: /admin/plugins, GET /api/v1/plugins, `cergas plugins` and
`cergas tick`, with a plugin that failed to register and plugins whose hooks raise."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from app.extensions import db
from app.services import cards
from cergas.plugin import hookimpl
from tests.conftest import get_user, make_app

pytestmark = pytest.mark.pg


class Clock:
    """Records each `now` its periodic hook gets."""

    def __init__(self):
        self.seen = []

    @hookimpl
    def cergas_periodic(self, now):
        self.seen.append(now)


class Misspelt:
    """Implements a hook Cergas does not have, so it fails to register."""

    @hookimpl
    def cergas_card_moovd(self, card):
        return None


class Crashing:
    """Raises from an after-commit hook and from the periodic hook."""

    @hookimpl
    def cergas_card_moved(self, card, board):
        raise RuntimeError("papan arsip tidak terjangkau")

    @hookimpl
    def cergas_periodic(self, now):
        raise RuntimeError("server surel mati")


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(database_url, clock):
    plugins = {"jam": clock, "salah-eja": Misspelt(), "mogok": Crashing()}
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS=plugins)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def page(response) -> str:
    return response.get_data(as_text=True)


def row(html: str, plugin: str) -> str:
    match = re.search(rf'<tr data-plugin="{plugin}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, html
    return match.group(0)


def move_a_card(app, api, org):
    with app.app_context():
        card = cards.create_card(
            get_user("kasi", org), org.board_id, {"title": "Surat", "due_date": "2026-12-01"}
        ).card
        card_id = card.id
    response = api("kasi").post(f"/api/v1/cards/{card_id}/move", json={"column_id": org.doing})
    assert response.status_code == 200, response.get_json()


# --- admin page -------------------------------------------------------------------------------


def test_admin_page_lists_every_plugin_with_status_and_errors(app, client, auth, api, org):
    move_a_card(app, api, org)  # the crashing after-commit hook is counted, the move stands
    auth.login("admin")
    response = client.get("/admin/plugins")
    assert response.status_code == 200
    html = page(response)
    jam = row(html, "jam")
    assert 'data-status="loaded"' in jam
    assert "<code>cergas_periodic</code>" in jam
    assert '<td class="error-count">0</td>' in jam
    failed = row(html, "salah-eja")
    assert 'data-status="failed"' in failed
    assert '<td class="error-count">1</td>' in failed
    assert "cergas_card_moovd" in failed
    assert "<time datetime=" in failed
    crashing = row(html, "mogok")
    assert '<td class="error-count">1</td>' in crashing
    assert "papan arsip tidak terjangkau" in crashing
    assert "cergas_card_moved" in crashing


def test_the_administration_page_links_the_plugin_page_for_admins_only(client, auth, org):
    auth.login("admin")
    assert 'href="/admin/"' in page(client.get("/boards"))  # the header's Administration
    assert 'href="/admin/plugins"' in page(client.get("/admin/"))
    auth.logout()
    auth.login(org.nips["kadis"])
    assert 'href="/admin/plugins"' not in page(client.get("/admin/"))


@pytest.mark.parametrize("who", ["kadis", "staff", "outsider"])
def test_admin_page_is_forbidden_to_others(client, auth, org, who):
    auth.login(org.nips[who])
    response = client.get("/admin/plugins")
    assert response.status_code == 403
    assert "salah-eja" not in page(response)


def test_admin_page_sends_anonymous_people_to_the_login(client, org):
    response = client.get("/admin/plugins")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- API ----------------------------------------------------------------------------------------


def test_api_lists_plugins_for_admins(api, org):
    response = api("admin").get("/api/v1/plugins")
    assert response.status_code == 200
    listed = {item["name"]: item for item in response.get_json()["plugins"]}
    assert {"jam", "salah-eja", "mogok"} <= set(listed)
    # Installed plugins are listed too, turned off by the test configuration.
    others = set(listed) - {"jam", "salah-eja", "mogok"}
    assert all(listed[name]["status"] == "disabled" for name in others)
    assert listed["jam"] == {
        "name": "jam",
        "title": "jam",  # no PluginInfo: the name
        "description": "",
        "version": None,
        "api_range": None,
        "hooks": ["cergas_periodic"],
        "status": "loaded",
        "reason": None,
        "warnings": [],
        "errors": 0,
        "last_error": None,
        "last_error_at": None,
    }
    assert listed["salah-eja"]["status"] == "failed"
    assert listed["salah-eja"]["errors"] == 1
    assert "cergas_card_moovd" in listed["salah-eja"]["last_error"]
    assert listed["salah-eja"]["last_error_at"].endswith("Z")
    assert listed["mogok"]["hooks"] == ["cergas_card_moved", "cergas_periodic"]


@pytest.mark.parametrize("who", ["kadis", "staff", "outsider"])
def test_api_plugin_list_is_forbidden_to_others(api, org, who):
    response = api(who).get("/api/v1/plugins")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_api_plugin_list_needs_a_token(client, org):
    assert client.get("/api/v1/plugins").status_code == 401


# --- CLI ----------------------------------------------------------------------------------------


def test_cli_lists_plugins(runner):
    result = runner.invoke(args=["plugins"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("jam") and "loaded" in line for line in lines)
    assert any(line.startswith("salah-eja") and "failed" in line for line in lines)
    assert "cergas_card_moovd" in result.output


def test_cli_lists_plugins_as_json(runner):
    result = runner.invoke(args=["plugins", "--json"])
    assert result.exit_code == 0, result.output
    every = json.loads(result.output)
    assert [item["name"] for item in every] == sorted(item["name"] for item in every)
    listed = [item for item in every if item["name"] in ("jam", "mogok", "salah-eja")]
    assert [item["name"] for item in listed] == ["jam", "mogok", "salah-eja"]
    keys = {"name", "title", "description", "version", "api_range", "hooks", "status"}
    keys |= {"reason", "warnings", "errors", "last_error"}
    for item in every:
        assert set(item) == keys
    assert listed[0] == {
        "name": "jam",
        "title": "jam",
        "description": "",
        "version": None,
        "api_range": None,
        "hooks": ["cergas_periodic"],
        "status": "loaded",
        "reason": None,
        "warnings": [],
        "errors": 0,
        "last_error": None,
    }
    assert listed[2]["status"] == "failed" and listed[2]["errors"] == 1


def test_tick_gives_every_plugin_the_time_as_aware_utc(app, runner, clock):
    result = runner.invoke(args=["tick", "--now", "2026-11-30T08:00:00+07:00"])
    assert clock.seen == [datetime(2026, 11, 30, 1, 0, tzinfo=UTC)]
    assert clock.seen[0].utcoffset() == timedelta(0)
    # The crashing plugin is reported and makes the run fail, but the clock still ran.
    assert result.exit_code == 1
    assert "2026-11-30T01:00:00+00:00" in result.output
    assert re.search(r"\b2\b", result.output.replace("2026-11-30T01:00:00+00:00", ""))
    assert "mogok" in result.output
    assert "server surel mati" in result.output
    assert "Traceback" not in result.output
    record = app.extensions["cergas_plugins"].records["mogok"]
    assert record.errors == 1 and "cergas_periodic" in record.last_error


def test_tick_takes_a_time_without_zone_as_utc_and_defaults_to_now(runner, clock):
    runner.invoke(args=["tick", "--now", "2026-11-30T08:00:00"])
    assert clock.seen == [datetime(2026, 11, 30, 8, 0, tzinfo=UTC)]
    before = datetime.now(UTC)
    runner.invoke(args=["tick"])
    assert before <= clock.seen[1] <= datetime.now(UTC)
    assert clock.seen[1].tzinfo is not None


@pytest.mark.parametrize("value", ["besok", "2026-13-01", "", "30/11/2026 08:00"])
def test_tick_refuses_a_bad_time(runner, clock, value):
    result = runner.invoke(args=["tick", "--now", value])
    assert result.exit_code == 1
    assert "Error" in result.output and "--now" in result.output
    assert "Traceback" not in result.output
    assert clock.seen == []


def test_tick_succeeds_when_every_plugin_succeeds(database_url):
    clock = Clock()
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"jam": clock})
    try:
        result = app.test_cli_runner().invoke(args=["tick", "--now", "2026-11-30T01:00:00Z"])
        assert result.exit_code == 0, result.output
        assert "2026-11-30T01:00:00+00:00" in result.output
        assert clock.seen == [datetime(2026, 11, 30, 1, 0, tzinfo=UTC)]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_a_tick_does_nothing_while_another_holds_the_lock(database_url, tmp_path):
    import fcntl

    from sqlalchemy import text

    from app.cli import TICK_LOCK_KEY

    on_postgresql = database_url.startswith("postgresql")
    url = database_url if on_postgresql else f"sqlite:///{tmp_path / 'cergas.db'}"
    clock = Clock()
    app = make_app(url, CERGAS_PLUGIN_OBJECTS={"jam": clock})
    runner = app.test_cli_runner()
    try:
        with app.app_context():
            if on_postgresql:
                holder = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": TICK_LOCK_KEY})
            else:
                holder = open(f"{tmp_path / 'cergas.db'}.tick-lock", "a")  # noqa: SIM115
                fcntl.flock(holder, fcntl.LOCK_EX)
        result = runner.invoke(args=["tick", "--now", "2026-11-30T01:00:00Z"])
        assert result.exit_code == 0, result.output
        assert clock.seen == []
        with app.app_context():
            if on_postgresql:
                holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": TICK_LOCK_KEY})
            else:
                fcntl.flock(holder, fcntl.LOCK_UN)
            holder.close()
        result = runner.invoke(args=["tick", "--now", "2026-11-30T01:05:00Z"])
        assert result.exit_code == 0, result.output
        assert clock.seen == [datetime(2026, 11, 30, 1, 5, tzinfo=UTC)]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
