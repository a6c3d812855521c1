"""Nothing lasts for ever (issue 19, finding 14): login sessions end on the server after an idle
time and a maximum age, API tokens have names and an optional expiry, are listed and revoked one
by one (API and page), and one can log out everywhere."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import ApiToken, LoginSession, utcnow
from app.services import accounts
from tests.conftest import PASSWORD, get_user

pytestmark = pytest.mark.pg


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def shift_sessions(app, org, key="staff", **deltas):
    """Move the person's sessions back in time: created_at / last_seen_at by the given deltas."""
    with app.app_context():
        rows = db.session.scalars(
            select(LoginSession).where(LoginSession.user_id == org.users[key])
        ).all()
        for row in rows:
            for column, delta in deltas.items():
                setattr(row, column, getattr(row, column) - delta)
        db.session.commit()


def signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


# Sessions


def test_a_session_idle_longer_than_the_setting_ends(app, client, auth, org):
    auth.login(org.nips["staff"])
    assert signed_in(client)
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    shift_sessions(app, org, last_seen_at=idle - timedelta(minutes=1))
    assert signed_in(client)  # not yet, and this request keeps it alive
    shift_sessions(app, org, last_seen_at=idle - timedelta(minutes=1))
    assert signed_in(client)
    shift_sessions(app, org, last_seen_at=idle + timedelta(minutes=1))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_session_ends_at_its_maximum_age_however_active(app, client, auth, org):
    auth.login(org.nips["staff"])
    longest = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    shift_sessions(app, org, created_at=longest - timedelta(minutes=1))
    assert signed_in(client)
    shift_sessions(app, org, created_at=timedelta(minutes=2))
    assert not signed_in(client)


def test_each_request_records_activity_to_within_minutes(app, client, auth, org):
    auth.login(org.nips["staff"])
    shift_sessions(app, org, last_seen_at=timedelta(hours=1))
    assert signed_in(client)
    with app.app_context():
        seen = db.session.scalar(select(LoginSession.last_seen_at))
        assert utcnow() - seen < timedelta(minutes=1)


def test_a_live_stream_does_not_keep_a_forgotten_tab_signed_in(app, client, auth, org):
    app.config.update(LIVE_MAX_STREAM_SECONDS=0.2, LIVE_KEEPALIVE_SECONDS=0.05)
    auth.login(org.nips["staff"])
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    shift_sessions(app, org, last_seen_at=idle - timedelta(minutes=1))
    stream = client.get(f"/boards/{org.board_id}/stream")
    assert stream.status_code == 200 and "hello" in stream.get_data(as_text=True)
    shift_sessions(app, org, last_seen_at=timedelta(minutes=2))
    assert client.get(f"/boards/{org.board_id}/stream").status_code == 302
    assert not signed_in(client)


def test_by_default_a_session_lasts_eight_idle_hours_and_at_most_seven_days():
    from app.config import defaults

    assert (defaults()["SESSION_IDLE_MINUTES"], defaults()["SESSION_MAX_HOURS"]) == (480, 168)


def test_lifetimes_come_from_the_environment(monkeypatch):
    from app.config import from_environment

    given = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    monkeypatch.setenv("CERGAS_SESSION_IDLE_MINUTES", "30")
    monkeypatch.setenv("CERGAS_SESSION_MAX_HOURS", "12")
    config = from_environment(None, given)
    assert (config["SESSION_IDLE_MINUTES"], config["SESSION_MAX_HOURS"]) == (30, 12)
    monkeypatch.setenv("CERGAS_SESSION_MAX_HOURS", "0")
    with pytest.raises(SystemExit, match="CERGAS_SESSION_MAX_HOURS"):
        from_environment(None, given)


def test_tick_removes_ended_and_expired_sessions(app, client, auth, org):
    auth.login(org.nips["staff"])
    auth.logout()  # ended
    auth.login(org.nips["kasi"])
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    shift_sessions(app, org, "kasi", last_seen_at=idle + timedelta(minutes=1))  # idle too long
    live = app.test_client()
    live.post("/login", data={"username": org.nips["kabid"], "password": PASSWORD})
    result = app.test_cli_runner().invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "2" in result.output.splitlines()[-1]
    with app.app_context():
        left = db.session.scalars(select(LoginSession.user_id)).all()
    assert left == [org.users["kabid"]]
    assert signed_in(live)


# Tokens through the API


def new_token(client, org, key="staff", **extra):
    body = {"username": org.nips[key], "password": PASSWORD, "name": "e-office", **extra}
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_token_gets_a_name_and_an_expiry(app, client, org):
    body = new_token(client, org, expires_in_days=30)
    assert body["name"] == "e-office" and not body["expired"]
    with app.app_context():
        row = db.session.get(ApiToken, body["id"])
        assert timedelta(days=29, hours=23) < row.expires_at - row.created_at <= timedelta(days=30)
    assert client.get("/api/v1/boards", headers=bearer(body["token"])).status_code == 200


@pytest.mark.parametrize("days", [0, -1, 3651, "30", 2.5, True])
def test_a_bad_lifetime_is_refused_and_creates_nothing(app, client, org, days):
    body = {"username": org.nips["staff"], "password": PASSWORD, "expires_in_days": days}
    response = client.post("/api/v1/tokens", json=body)
    assert response.status_code == 422
    assert "expires_in_days" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_an_expired_token_is_refused_with_its_own_code(app, client, org):
    body = new_token(client, org, expires_in_days=1)
    with app.app_context():
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == body["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    response = client.get("/api/v1/boards", headers=bearer(body["token"]))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "token_expired"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_tokens_are_listed_without_their_secrets_and_with_their_last_use(client, org):
    first = new_token(client, org)
    second = new_token(client, org, name="rekap", expires_in_days=90)
    new_token(client, org, "kasi")  # someone else's
    response = client.get("/api/v1/tokens", headers=bearer(first["token"]))
    assert response.status_code == 200
    listed = response.get_json()["tokens"]
    assert [item["id"] for item in listed] == [second["id"], first["id"]]
    assert all("token" not in item for item in listed)
    text = response.get_data(as_text=True)
    assert first["token"] not in text and second["token"] not in text
    assert listed[1]["last_used_at"] is not None and listed[0]["last_used_at"] is None
    assert listed[0]["expires_at"] is not None and listed[1]["expires_at"] is None


def test_a_token_is_revoked_alone_and_only_by_its_owner(client, org):
    keep = new_token(client, org)
    drop = new_token(client, org, name="lama")
    other = new_token(client, org, "kasi")
    # Someone else's token id is not found, and that token keeps working.
    refused = client.delete(f"/api/v1/tokens/{other['id']}", headers=bearer(keep["token"]))
    assert refused.status_code == 404
    assert client.get("/api/v1/boards", headers=bearer(other["token"])).status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{drop['id']}", headers=bearer(keep["token"]))
    assert revoked.status_code == 200 and revoked.get_json()["name"] == "lama"
    assert client.get("/api/v1/boards", headers=bearer(drop["token"])).status_code == 401
    assert client.get("/api/v1/boards", headers=bearer(keep["token"])).status_code == 200
    again = client.delete(f"/api/v1/tokens/{drop['id']}", headers=bearer(keep["token"]))
    assert again.status_code == 404


def test_signing_out_everywhere_ends_every_session_and_token(app, client, auth, org):
    auth.login(org.nips["staff"])
    phone = app.test_client()
    phone.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    script, caller = new_token(client, org), new_token(client, org)
    colleague = new_token(client, org, "kasi")
    response = client.post("/api/v1/me/sign-out-everywhere", headers=bearer(caller["token"]))
    assert response.status_code == 200
    assert response.get_json() == {"sessions": 2, "tokens": 2}
    assert not signed_in(client) and not signed_in(phone)
    for gone in (script, caller):
        assert client.get("/api/v1/boards", headers=bearer(gone["token"])).status_code == 401
    assert client.get("/api/v1/boards", headers=bearer(colleague["token"])).status_code == 200


def test_the_cli_still_creates_and_revokes_tokens(app, org):
    runner = app.test_cli_runner()
    created = runner.invoke(args=["tokens", "create", "--nip", org.nips["staff"]])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    client = app.test_client()
    assert client.get("/api/v1/tokens", headers=bearer(secret)).get_json()["tokens"][0]["name"] == (
        "cli"
    )
    revoked = runner.invoke(args=["tokens", "revoke", "--nip", org.nips["staff"]])
    assert revoked.exit_code == 0
    assert client.get("/api/v1/tokens", headers=bearer(secret)).status_code == 401


# The page


def page(response) -> str:
    return response.get_data(as_text=True)


def test_the_page_is_linked_from_the_header_and_lists_sessions_and_tokens(app, client, auth, org):
    auth.login(org.nips["staff"])
    with app.app_context():
        accounts.create_token(get_user("staff", org), "e-office")
    home = page(client.get("/"))
    assert 'href="/account/sessions"' in home
    html = page(client.get("/account/sessions"))
    assert "e-office" in html
    assert html.count('data-session-id="') == 1 and "badge-success" in html
    assert 'action="/account/sign-out-everywhere"' in html


def test_a_token_made_on_the_page_is_shown_once_and_works(app, client, auth, org):
    auth.login(org.nips["staff"])
    response = client.post("/account/tokens", data={"name": "Aplikasi SKP", "days": "30"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = page(response).split('class="token-value"', 1)[1].split('value="', 1)[1].split('"')[0]
    assert secret.startswith("cg_")
    assert client.get("/api/v1/boards", headers=bearer(secret)).status_code == 200
    assert secret not in page(client.get("/account/sessions"))
    with app.app_context():
        row = db.session.scalar(select(ApiToken).where(ApiToken.name == "Aplikasi SKP"))
        assert row.expires_at is not None


def test_a_bad_lifetime_on_the_page_is_shown_next_to_the_field(app, client, auth, org):
    auth.login(org.nips["staff"])
    response = client.post("/account/tokens", data={"name": "x", "days": "99999"})
    assert response.status_code == 422
    assert 'id="token-days-error"' in page(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_the_page_revokes_a_token_and_ends_another_browser(app, client, auth, org):
    auth.login(org.nips["staff"])
    other = app.test_client()
    other.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    with app.app_context():
        staff = get_user("staff", org)
        secret = accounts.create_token(staff, "lama")
        token_id = accounts.list_tokens(staff)[0].id
        mine, theirs = sorted(row.id for row in accounts.list_sessions(staff))
        kasi_token = accounts.issue_token(get_user("kasi", org), "kasi")[0].id
    assert client.post(f"/account/tokens/{kasi_token}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 303
    assert client.get("/api/v1/boards", headers=bearer(secret)).status_code == 401
    assert client.post(f"/account/sessions/{theirs}/end").status_code == 303
    assert not signed_in(other) and signed_in(client)
    # Ending this browser's own session logs it out.
    ended = client.post(f"/account/sessions/{mine}/end")
    assert ended.status_code == 303 and ended.headers["Location"] == "/login"
    assert not signed_in(client)


def test_someone_elses_session_cannot_be_ended(app, client, auth, org):
    victim = app.test_client()
    victim.post("/login", data={"username": org.nips["kasi"], "password": PASSWORD})
    with app.app_context():
        (row,) = accounts.list_sessions(get_user("kasi", org))
    auth.login(org.nips["staff"])
    assert client.post(f"/account/sessions/{row.id}/end").status_code == 404
    assert signed_in(victim)


def test_the_page_button_signs_out_everywhere(app, client, auth, org):
    auth.login(org.nips["staff"])
    phone = app.test_client()
    phone.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    with app.app_context():
        secret = accounts.create_token(get_user("staff", org), "skrip")
    response = client.post("/account/sign-out-everywhere")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert not signed_in(client) and not signed_in(phone)
    assert client.get("/api/v1/boards", headers=bearer(secret)).status_code == 401


# The migration


def test_the_migration_keeps_people_memberships_tokens_and_sessions(tmp_path):
    """0009 drops the lock-out columns of `users` in place: rebuilding the table (Alembic's
    batch mode on SQLite) would, with foreign keys on, delete what points at a person."""
    import flask_migrate
    from sqlalchemy import text

    from app import create_app
    from tests.conftest import test_config

    app = create_app(test_config(f"sqlite:///{tmp_path / 'upgrade.db'}"))
    with app.app_context():
        flask_migrate.upgrade(revision="0008_board_plugin_version")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO units (id, code, name, timezone)"
                " VALUES (1, 'U', 'Unit', 'Asia/Jakarta')",
                "INSERT INTO users (id, username, name, password_hash, is_admin, active,"
                " failed_logins, created_at) VALUES (1, 'admin', 'A', 'x', 1, 1, 3, '2026-01-01')",
                "INSERT INTO memberships (id, user_id, unit_id, role) VALUES (1, 1, 1, 'head')",
                "INSERT INTO api_tokens (id, user_id, token_hash, name, created_at)"
                " VALUES (1, 1, 'h', 't', '2026-01-01')",
                "INSERT INTO login_sessions (id, user_id, sid_hash, created_at)"
                " VALUES (1, 1, 's', '2026-01-02 03:04:05')",
            ):
                conn.execute(text(statement))
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            counts = [
                conn.scalar(text(f"SELECT count(*) FROM {table}"))
                for table in ("users", "memberships", "api_tokens", "login_sessions")
            ]
            seen = conn.scalar(text("SELECT last_seen_at FROM login_sessions"))
        db.engine.dispose()
    assert counts == [1, 1, 1, 1]
    assert str(seen).startswith("2026-01-02 03:04:05")
