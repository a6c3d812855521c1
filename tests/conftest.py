"""Shared fixtures. Every test that takes `app` runs on SQLite, and again on PostgreSQL when
TEST_DATABASE_URL is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)."""

import os
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from app import create_app
from app.extensions import db
from app.models import Board, Card, User

PASSWORD = "rahasia123"
PG_SKIP = "PostgreSQL case: set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
_pg_schema_ready = False


def pg_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def test_config(database_url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "REDIS_URL": None,
        # No installed plugin changes the core's behaviour in core tests; plugin tests opt in.
        "CERGAS_PLUGINS": "",
        **extra,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    if request.param == "sqlite":
        return "sqlite://"
    url = pg_url()
    if not url:
        pytest.skip(PG_SKIP)
    return url


def reset_postgresql() -> None:
    """Create the schema once per run, then empty every table between tests."""
    global _pg_schema_ready
    if not _pg_schema_ready:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        _pg_schema_ready = True
    tables = ", ".join(t.name for t in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


def make_app(database_url: str, **extra):
    app = create_app(test_config(database_url, **extra))
    with app.app_context():
        if database_url.startswith("postgresql"):
            reset_postgresql()
        else:
            db.create_all()
    return app


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


NIPS = {
    "kadis": "197001011995031001",
    "kabid": "197502022000031002",
    "kasi": "198003032005012003",
    "staff": "199001012015011004",
    "staff2": "199202022016012005",
    "outsider": "198804042010011006",
}


@pytest.fixture
def org(app):
    """A small Diskominfo: Dinas > Bidang TIK > Seksi Aplikasi, a sibling Bidang, and a board."""
    from app.services import accounts, boards

    with app.app_context():
        accounts.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
        accounts.create_unit("BID-TIK", "Bidang TIK", parent_code="DISKOMINFO")
        accounts.create_unit("SEKSI-APL", "Seksi Aplikasi", parent_code="BID-TIK")
        accounts.create_unit(
            "BID-IKP", "Bidang IKP", parent_code="DISKOMINFO", timezone="Asia/Makassar"
        )
        accounts.create_user("Administrator", PASSWORD, username="admin", admin=True)
        people = {
            "kadis": ("Ir. Hendra Wijaya", "DISKOMINFO", "head"),
            "kabid": ("Budi Santoso", "BID-TIK", "head"),
            "kasi": ("Siti Rahmawati", "SEKSI-APL", "head"),
            "staff": ("Agus Pratama", "SEKSI-APL", "member"),
            "staff2": ("Dewi Lestari", "SEKSI-APL", "member"),
            "outsider": ("Rina Kusuma", "BID-IKP", "member"),
        }
        for key, (name, unit, role) in people.items():
            accounts.create_user(name, PASSWORD, nip=NIPS[key], unit_code=unit, role=role)
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        board = boards.create_board(
            admin,
            "Layanan Aplikasi",
            "SEKSI-APL",
            columns=[
                {"name": "Backlog", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
                {"name": "Dikerjakan", "kind": "active", "wip_limit": 3, "wip_policy": "hard"},
                {"name": "Review", "kind": "active", "wip_limit": 2, "wip_policy": "soft"},
                {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
            ],
        )
        ids = {c.name: c.id for c in board.columns}
        users = {
            key: db.session.scalar(select(User.id).where(User.nip == nip))
            for key, nip in NIPS.items()
        }
        users["admin"] = admin.id
        return SimpleNamespace(
            board_id=board.id,
            backlog=ids["Backlog"],
            doing=ids["Dikerjakan"],
            review=ids["Review"],
            done=ids["Selesai"],
            users=users,
            nips=dict(NIPS),
        )


def head_with_board(unit="SETDA", unit_name="Sekretariat Daerah", board_name="Surat"):
    """(head, board): a unit with its head and a board with the default columns, in the current
    app context; for tests that build their own app (with plugin objects of their own, say)."""
    from app.services import accounts, boards

    accounts.create_unit(unit, unit_name)
    head = accounts.create_user("Kepala", PASSWORD, username="kepala", unit_code=unit, role="head")
    return head, boards.create_board(head, board_name, unit)


def get_user(key_or_id, org=None) -> User:
    user_id = org.users[key_or_id] if isinstance(key_or_id, str) else key_or_id
    return db.session.get(User, user_id)


def get_board(board_id) -> Board:
    return db.session.get(Board, board_id)


def get_card(card_id) -> Card:
    return db.session.get(Card, card_id)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, login, password=PASSWORD):
        return self.client.post("/login", data={"username": login, "password": password})

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def tokens(app, org):
    """A fresh API token per person of the org fixture."""
    from app.services import accounts

    with app.app_context():
        return {key: accounts.create_token(get_user(key, org)) for key in org.users}


@pytest.fixture
def api(client, tokens):
    """api(role).get/post/patch(...) with that person's bearer token."""

    class Caller:
        def __init__(self, role):
            self.headers = {"Authorization": f"Bearer {tokens[role]}"}

        def __getattr__(self, method):
            def call(url, **kwargs):
                headers = {**self.headers, **kwargs.pop("headers", {})}
                return getattr(client, method)(url, headers=headers, **kwargs)

            return call

    return Caller


CHROMIUM = os.environ.get("CERGAS_E2E_CHROMIUM", "/usr/bin/chromium")
# The flags for Debian's Chromium on a headless server (Playwright's own browser is not used).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def browser_skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need Python Playwright: pip install -e '.[test]'"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run. Playwright's sync API allows one running instance per
    thread, so every browser test (tests/e2e, the live-update cluster test) shares this one."""
    reason = browser_skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
