"""The platform pieces the approvals plugin added, tested with a small plugin of their own:
the `cergas_nav_items` hook, `Setting(validate=...)`, `PluginStore.items/get_many`,
`card_transaction` (one transaction with its audit event), `move_card_in_transaction`,
`plugin_transaction` and `api_blueprint` (token auth, no CSRF)."""

import pytest
from flask import jsonify

from app.extensions import db
from app.models import Card, Event
from cergas.plugin import (
    Conflict,
    NavItem,
    Setting,
    SettingError,
    api_blueprint,
    api_caller,
    api_json_body,
    card_transaction,
    hookimpl,
    move_card_in_transaction,
    plugin_store,
    plugin_transaction,
    record_card_event,
)
from tests.conftest import PASSWORD, get_user, make_app

pytestmark = pytest.mark.pg

API = api_blueprint("probe_api", __name__)


@API.post("/probe")
def probe_view():
    return jsonify({"caller": api_caller().login, "body": api_json_body()})


def even(value):
    if value % 2:
        raise SettingError("Harus genap.")
    return value


class Probe:
    def __init__(self):
        self.fail_nav = False

    @hookimpl
    def cergas_nav_items(self, user):
        if self.fail_nav:
            raise RuntimeError("nav broke")
        return [NavItem(f"Kotak {user.name}", "/probe-inbox", count=3, endpoint="home.")]

    @hookimpl
    def cergas_settings(self):
        return [Setting("pairs", "int", 2, "Pairs", validate=even)]

    @hookimpl
    def cergas_register_blueprints(self):
        return [API]


@pytest.fixture
def probe():
    return Probe()


@pytest.fixture
def app(database_url, probe):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"probe": probe}, WTF_CSRF_ENABLED=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def login(client, who, org):
    from tests.conftest import NIPS

    return client.post("/login", data={"username": NIPS[who], "password": PASSWORD})


def test_nav_items_show_on_every_page_and_a_failing_hook_never_breaks_it(app, org, probe):
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "staff", org)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/probe-inbox" data-plugin="probe" aria-current="page">Kotak Agus Pratama' in page
    assert '<span class="badge badge-warning">3</span>' in page
    probe.fail_nav = True
    broken = client.get("/")
    assert broken.status_code == 200
    assert "/probe-inbox" not in broken.get_data(as_text=True)
    assert app.extensions["cergas_plugins"].records["probe"].errors >= 1


def test_setting_validate_refuses_a_value_after_its_type_check(app, org, tokens):
    url = f"/api/v1/boards/{org.board_id}/plugins/probe/settings"
    headers = {"Authorization": f"Bearer {tokens['kasi']}"}
    odd = app.test_client().put(url, json={"settings": {"pairs": 3}}, headers=headers)
    assert odd.status_code == 422
    assert odd.get_json()["error"]["fields"] == {"settings.pairs": "Harus genap."}
    ok = app.test_client().put(url, json={"settings": {"pairs": 4}}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["settings"]["pairs"] == 4


def test_plugin_store_reads_many_keys_in_one_go(app):
    with app.app_context():
        store = plugin_store("probe")
        store.set("a/1", {"x": 1})
        store.set("a/2", [2])
        store.set("b/1", "drei")
        assert store.items("a/") == {"a/1": {"x": 1}, "a/2": [2]}
        assert store.get_many(["a/2", "b/1", "c/9"]) == {"a/2": [2], "b/1": "drei"}
        assert store.get_many([]) == {}


def make_card(org) -> int:
    from app.services import cards

    staff = get_user("staff", org)
    return cards.create_card(
        staff, org.board_id, {"title": "Surat", "due_date": "2026-12-31"}
    ).card.id


def test_card_transaction_commits_store_event_and_move_together_or_not_at_all(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        card_id = make_card(org)
        with pytest.raises(Conflict), card_transaction(staff, card_id) as card:
            plugin_store("probe").set(f"card/{card.id}", "half")
            record_card_event("probe_step", staff, card, text="langkah")
            raise Conflict("changed_mind", "Batal.")
        assert plugin_store("probe").get(f"card/{card_id}") is None
        assert db.session.query(Event).filter_by(kind="probe_step").count() == 0

        with card_transaction(staff, card_id) as card:
            plugin_store("probe").set(f"card/{card.id}", "done")
            record_card_event("probe_step", staff, card, text="langkah", note="catatan")
            move_card_in_transaction(staff, card, org.review)
        assert type(card).__name__ == "CardView"  # what card_transaction yields
        card = db.session.get(Card, card_id)
        assert card.column_id == org.review
        assert plugin_store("probe").get(f"card/{card_id}") == "done"
        kinds = [e.kind for e in db.session.query(Event).filter_by(card_id=card_id)]
        assert "probe_step" in kinds and "moved" in kinds

        with pytest.raises(RuntimeError):
            move_card_in_transaction(staff, card, org.backlog)
        with plugin_transaction("probe"):
            plugin_store("probe").set("counter", 1)
        assert plugin_store("probe").get("counter") == 1


def test_card_transaction_hides_cards_the_actor_may_not_see(app, org):
    from app.services.errors import NotFound

    with app.app_context():
        outsider = get_user("outsider", org)
        card_id = make_card(org)
        with pytest.raises(NotFound), card_transaction(outsider, card_id):
            pass


def test_api_blueprint_needs_a_token_and_no_csrf(app, org, tokens):
    client = app.test_client()
    assert client.post("/api/v1/probe", json={}).status_code == 401
    ok = client.post(
        "/api/v1/probe", json={"a": 1}, headers={"Authorization": f"Bearer {tokens['staff']}"}
    )
    assert ok.status_code == 200  # CSRF is on in this app, and a token request needs none
    assert ok.get_json()["body"] == {"a": 1}
    bad = client.post(
        "/api/v1/probe", data="[1]", headers={"Authorization": f"Bearer {tokens['staff']}"}
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"
