"""A pooled PostgreSQL connection that died while idle is replaced before a request uses it
(app/dbpool.py), and a connection used a moment ago goes out without a ping."""

import pytest
from psycopg import Connection
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app import dbpool
from app.extensions import db
from tests.conftest import PG_SKIP, make_app, pg_url

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_app():
    url = pg_url()
    if not url:
        pytest.skip(PG_SKIP)
    app = make_app(url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def backend_pid() -> int:
    """The server process of the connection a request gets (then back to the pool)."""
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.remove()
    return pid


def kill(pid: int) -> None:
    """End a server process from outside the pool, as a PostgreSQL restart would."""
    other = create_engine(pg_url(), poolclass=NullPool)
    with other.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    other.dispose()


@pytest.fixture
def cursors(monkeypatch):
    """The autocommit state of the connection at each cursor opened: the ping's is True."""
    opened = []
    original = Connection.cursor

    def counting(self, *args, **kwargs):
        opened.append(self.autocommit)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "cursor", counting)
    return opened


def test_a_connection_that_died_while_idle_is_replaced(pg_app, monkeypatch):
    with pg_app.app_context():
        first = backend_pid()
        kill(first)
        monkeypatch.setattr(dbpool, "IDLE_PING_SECONDS", 0.0)
        # The dead connection fails its ping at checkout; the request gets a new one.
        assert backend_pid() != first


def test_a_connection_used_a_moment_ago_is_not_pinged(pg_app, monkeypatch, cursors):
    with pg_app.app_context():
        backend_pid()
        cursors.clear()
        backend_pid()
        assert cursors == [False]  # the query's own cursor, in its transaction
        monkeypatch.setattr(dbpool, "IDLE_PING_SECONDS", 0.0)
        cursors.clear()
        backend_pid()
        assert cursors == [True, False]  # the ping, then the query


def test_a_request_on_a_connection_that_died_a_moment_ago_is_told_to_retry(pg_app):
    """Within the idle window no ping runs, so a PostgreSQL restart reaches one request: it is
    answered 503 with Retry-After (nothing was changed), and the pool reconnects."""
    client = pg_app.test_client()
    headers = {"Authorization": "Bearer cg_not-a-token"}
    assert client.get("/api/v1/boards", headers=headers).status_code == 401
    with pg_app.app_context():
        kill(backend_pid())
    lost = client.get("/api/v1/boards", headers=headers)
    assert lost.status_code == 503 and lost.headers["Retry-After"] == "5"
    assert lost.get_json()["error"]["code"] == "busy"
    assert client.get("/api/v1/boards", headers=headers).status_code == 401
