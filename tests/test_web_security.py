"""Web security checks: login sessions, CSRF on every state-changing route, tokens, logs.

The CSRF test is parametrised over the application's own URL map (with the built-in plugins
loaded), so a new HTML route is covered the day it is added.
"""

import hashlib
import logging
import re
from importlib.metadata import entry_points

import pytest
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter, IntegerConverter

from app import plugin_schema
from app.extensions import db
from app.models import ApiToken, LoginSession
from tests.conftest import PASSWORD, SeededApp, make_app
from tests.i18n_helpers import t

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
BUILT_IN = ",".join(
    sorted(ep.name for ep in entry_points(group="cergas") if ep.value.startswith("plugins."))
)
CSRF_MESSAGE = "The form expired or came from elsewhere. Reload the page and try again."


def page(response) -> str:
    return response.get_data(as_text=True)


def html_write_routes() -> list[tuple[str, str]]:
    """(method, URL) for every state-changing route outside the JSON API."""
    app = make_app("sqlite://", CERGAS_PLUGINS=BUILT_IN)
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        # One URL per value of an `any(...)` part (each is its own action), else 1 or "x".
        choices = [{}]
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                options = sorted(converter.items)
            else:
                options = [1 if isinstance(converter, IntegerConverter) else "x"]
            choices = [{**values, name: option} for values in choices for option in options]
        for values in choices:
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **values)
            for method in sorted(rule.methods & STATE_CHANGING):
                routes.add((method, url))
    return sorted(routes)


WRITE_ROUTES = html_write_routes()


def login_token(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page(client.get("/login"))).group(1)


def page_token(client) -> str:
    """The CSRF token a signed-in page hands to htmx."""
    html = page(client.get("/"))
    return re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html).group(1)


def log_in(client, login="agus") -> None:
    response = client.post(
        "/login",
        data={"username": login, "password": PASSWORD, "csrf_token": login_token(client)},
    )
    assert response.status_code == 302, page(response)


@pytest.fixture
def secure_app(database_url):
    """CSRF on, the built-in plugins loaded, a small office with a board and a card."""
    app = make_app(database_url, WTF_CSRF_ENABLED=True, CERGAS_PLUGINS=BUILT_IN)
    seed_office(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def csrf_matrix(database_url):
    """The `secure_app` of the CSRF table, kept for the module and put back to its seeded
    office before each row (tests/conftest.py SeededApp)."""
    yield from SeededApp.kept(
        make_app(database_url, WTF_CSRF_ENABLED=True, CERGAS_PLUGINS=BUILT_IN), seed_office
    )


def seed_office(app) -> None:
    from app.services import accounts, boards, cards

    with app.app_context():
        accounts.create_unit("SEKSI", "Seksi Pelayanan")
        accounts.create_user("Administrator", PASSWORD, username="admin", admin=True)
        head = accounts.create_user(
            "Siti Rahmawati", PASSWORD, username="siti", unit_code="SEKSI", role="head"
        )
        accounts.create_user("Agus Pratama", PASSWORD, username="agus", unit_code="SEKSI")
        board = boards.create_board(head, "Pelayanan", "SEKSI")
        cards.create_card(head, board.id, {"title": "Surat balasan"})


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in plugin_schema.all_tables()
    }


def test_there_are_write_routes_to_check():
    """Guards the parametrisation below against an empty URL map."""
    assert ("POST", "/logout") in WRITE_ROUTES
    assert any(url.startswith("/boards/") for _method, url in WRITE_ROUTES)
    assert len(WRITE_ROUTES) >= 15


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("method,url", WRITE_ROUTES)
def test_state_changing_route_refuses_a_request_without_csrf_token(csrf_matrix, method, url, htmx):
    csrf_matrix.restore()
    secure_app = csrf_matrix.app
    client = secure_app.test_client()
    log_in(client, "admin")
    with secure_app.app_context():
        before = row_counts()
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.open(url, method=method, data={"name": "x", "title": "x"}, headers=headers)
    assert response.status_code == 400, (method, url, response.status_code)
    assert t(CSRF_MESSAGE) in page(response)
    with secure_app.app_context():
        assert row_counts() == before
    # The session survived the refusal: the same person is still signed in.
    assert client.get("/").status_code == 200


def test_login_starts_a_new_session_and_drops_what_came_before(secure_app):
    client = secure_app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["sid"] = "chosen-by-an-attacker"
    log_in(client)
    with client.session_transaction() as session:
        assert "planted" not in session
        first_sid = session["sid"]
        assert first_sid != "chosen-by-an-attacker"
    client.post("/logout", data={"csrf_token": page_token(client)})
    log_in(client)
    with client.session_transaction() as session:
        assert session["sid"] != first_sid
    with secure_app.app_context():
        stored = set(db.session.scalars(select(LoginSession.sid_hash)))
        # Only hashes are stored, never the id the cookie carries.
        assert hashlib.sha256(first_sid.encode()).hexdigest() in stored
        assert first_sid not in stored


def test_logout_ends_the_session_even_for_a_copied_cookie(secure_app):
    client = secure_app.test_client()
    log_in(client)
    assert client.get("/").status_code == 200
    cookie = client.get_cookie("session").value
    thief = secure_app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/").status_code == 200  # a copied cookie works while the session lives
    assert client.post("/logout", headers={"X-CSRFToken": page_token(client)}).status_code == 302
    assert client.get("/").status_code == 302
    replay = thief.get("/")
    assert replay.status_code == 302
    assert "/login" in replay.headers["Location"]


def test_deactivated_user_is_signed_out_at_the_next_request(secure_app):
    from app.models import User

    client = secure_app.test_client()
    log_in(client)
    assert client.get("/").status_code == 200
    with secure_app.app_context():
        db.session.scalar(select(User).where(User.username == "agus")).active = False
        db.session.commit()
    assert client.get("/").status_code == 302


def test_api_token_is_stored_hashed_and_shown_once(secure_app):
    client = secure_app.test_client()
    created = client.post("/api/v1/tokens", json={"username": "agus", "password": PASSWORD})
    assert created.status_code == 201, page(created)
    token = created.get_json()["token"]
    with secure_app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    # No later answer repeats it.
    headers = {"Authorization": f"Bearer {token}"}
    for path in ("/api/v1/boards", "/api/v1/notifications"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert token not in page(response)


def test_no_secret_reaches_the_logs(secure_app, caplog):
    caplog.set_level(logging.DEBUG)
    client = secure_app.test_client()
    wrong = "salah-sandi-rahasia"
    client.post("/login", data={"username": "agus", "password": wrong})
    log_in(client)
    created = client.post("/api/v1/tokens", json={"username": "agus", "password": PASSWORD})
    token = created.get_json()["token"]
    client.get("/api/v1/boards", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/boards", headers={"Authorization": "Bearer cg_not-a-real-token"})
    with client.session_transaction() as session:
        sid = session["sid"]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    logged += "\n".join(str(record.args) for record in caplog.records)
    for secret in (PASSWORD, wrong, token, "cg_not-a-real-token", sid, "test-secret"):
        assert secret not in logged
