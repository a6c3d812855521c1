"""Shared fixtures, and which tests run on which database.

`make test` (the fast run) and `make test-full` (the full matrix) differ here:

- Every test that takes `app` (through `database_url`) runs on in-memory SQLite. It runs on
  PostgreSQL too (TEST_DATABASE_URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)
  only where the database matters: tests and modules marked `pg` (transactions, locks,
  concurrency, moves, migrations, SQL that differs by dialect, ...), and of a test with other
  parameters as well, its first PostgreSQL case only. The others get no
  PostgreSQL case at all, unless `--full-matrix` (or CERGAS_FULL_MATRIX=1) asks for every test
  on both databases. Without TEST_DATABASE_URL the PostgreSQL cases are skipped, with the reason.
  The rule goes by the `database_url` parameter: a module with a `database_url` fixture of its
  own (a SQLite file, say) is marked `pg`, or its PostgreSQL case would be dropped.
- Tests marked `slow` (the browser tests in tests/e2e, the live-update cluster, the API fuzz
  test, the wheel build) are left out of `make test` with `-m "not slow"`.
- Under pytest-xdist (`-n 2`) each worker gets its own PostgreSQL database, named after
  TEST_DATABASE_URL's with the worker id appended (`test_gw0`) and created when missing. Redis
  tests need no such care: each uses a key prefix of its own.
"""

import gc
import os
import re
import sqlite3
import tempfile
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from app import create_app, plugin_schema
from app.extensions import db
from app.models import Board, Card, User

PASSWORD = "rahasia123"
IMPORT_FOLDER = tempfile.mkdtemp(prefix="cergas-test-imports-")
# Documents uploaded to cards in tests (the local storage backend): not the checkout's instance/.
DOCUMENT_FOLDER = tempfile.mkdtemp(prefix="cergas-test-documents-")
PG_SKIP = "PostgreSQL case: set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
FULL_MATRIX_ENV = "CERGAS_FULL_MATRIX"
_pg_schema_ready = False
_worker_databases: dict[str, str] = {}


def pytest_addoption(parser):
    parser.addoption(
        "--full-matrix",
        action="store_true",
        help="run every test that takes `app` on PostgreSQL too, not only those marked `pg` "
        f"(also {FULL_MATRIX_ENV}=1)",
    )


def full_matrix(config) -> bool:
    return config.getoption("--full-matrix") or os.environ.get(FULL_MATRIX_ENV) == "1"


def pytest_configure(config):
    # Test modules that size themselves by the run (the rules state machine's number of
    # sequences) read the environment when imported, in every xdist worker alike.
    if full_matrix(config):
        os.environ[FULL_MATRIX_ENV] = "1"


# Modules marked `slow` as a whole that are costly to collect (schemathesis builds a test per
# API operation, seconds per process): not even imported when the run leaves `slow` out.
SLOW_TO_COLLECT = {"test_api_fuzz.py"}


def pytest_ignore_collect(collection_path, config):
    if collection_path.name not in SLOW_TO_COLLECT:
        return None
    markexpr = config.getoption("markexpr")
    if not markexpr:
        return None
    from _pytest.mark.expression import Expression

    runs_slow = Expression.compile(markexpr).evaluate(lambda name, **kwargs: name == "slow")
    return True if not runs_slow else None


def pytest_collection_finish(session):
    """Every test builds an app or two (URL maps, SQLAlchemy metadata: large object graphs),
    and the objects they leave behind made Python's full garbage collections, whose cost grows
    with the heap, about 40% of the run's time. What collection built is frozen out of the
    collector's sight and the oldest generation is collected a hundred times less often; the young
    generations, where a test's cycles die, are collected as usual."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(700, 10, 1000)


def pytest_collection_modifyitems(config, items):
    """The fast run: drop the PostgreSQL case of every test not marked `pg`, and of a test
    marked `pg` with other parameters too, keep its first PostgreSQL case only (the full matrix
    runs them all)."""
    if full_matrix(config):
        return
    kept, dropped = [], []
    sampled: set[tuple[str, str]] = set()
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgresql = callspec is not None and callspec.params.get("database_url") == "postgresql"
        if not on_postgresql:
            kept.append(item)
            continue
        test = (item.nodeid.split("::")[0], item.originalname)
        if item.get_closest_marker("pg") is None or test in sampled:
            dropped.append(item)
        else:
            sampled.add(test)
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pg_url() -> str | None:
    """TEST_DATABASE_URL for psycopg 3; under pytest-xdist, this worker's own database."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url and worker:
        url = _worker_database(url, worker)
    return url


def _worker_database(url: str, worker: str) -> str:
    """The URL with the worker id appended to the database name; the database is created on
    first use (a worker empties every table between tests, so workers cannot share one)."""
    if url not in _worker_databases:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        base = make_url(url)
        name = f"{base.database}_{worker}"
        if not re.fullmatch(r"\w+", name):
            raise ValueError(f"unexpected database name {name!r} in TEST_DATABASE_URL")
        engine = create_engine(base, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                exists = conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                )
                if not exists:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        _worker_databases[url] = base.set(database=name).render_as_string(hide_password=False)
    return _worker_databases[url]


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
        # Login sessions that outlast the tests' time travel (a signed-in client asked for a
        # page "on 23 December"); tests/test_sign_in_lifetimes.py reads these from the config.
        "SESSION_IDLE_MINUTES": 365 * 24 * 60,
        "SESSION_MAX_HOURS": 2 * 365 * 24,
        # "Forgot password" answers without its padding (tests/test_password_reset_email.py
        # checks the padding itself).
        "PASSWORD_RESET_ANSWER_SECONDS": 0,
        # Uploads waiting between an import's dry run and its apply: not the checkout's instance/.
        "CERGAS_IMPORT_FOLDER": IMPORT_FOLDER,
        "DOCUMENT_FOLDER": DOCUMENT_FOLDER,
        "DOCUMENT_STORAGE": "local",
        **extra,
    }


# Module scope, so a module may keep one app per database (see SeededApp).
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request):
    return database_for(request.param)


def database_for(param: str, sqlite: str = "sqlite://") -> str:
    """The URL for a `database_url` parameter: `sqlite` gives `sqlite` (a module that needs a
    file passes one), `postgresql` gives TEST_DATABASE_URL, or skips with the reason."""
    if param == "sqlite":
        return sqlite
    url = pg_url()
    if not url:
        pytest.skip(PG_SKIP)
    return url


def reset_postgresql() -> None:
    """Create the schema once per run, then empty every table between tests."""
    global _pg_schema_ready
    if not _pg_schema_ready:
        plugin_schema.drop_schema()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        plugin_schema.create_schema()
        _pg_schema_ready = True
    with db.engine.begin() as conn:
        empty_postgresql(conn)
        conn.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), start_value, false)"
                " FROM pg_sequences WHERE schemaname = current_schema()"
            )
        )


def empty_postgresql(conn) -> None:
    """Every table emptied in the transaction of `conn`. DELETE rather than TRUNCATE: on the few
    rows a test leaves it is several times faster (TRUNCATE makes new files for every table)."""
    # Every table goes, so there is nothing for the foreign-key triggers to check.
    conn.execute(text("SET LOCAL session_replication_role = replica"))
    conn.execute(text("SET LOCAL synchronous_commit = off"))
    for table in plugin_schema.all_tables():
        conn.execute(text(f'DELETE FROM "{table.name}"'))


def make_app(database_url: str, **extra):
    app = create_app(test_config(database_url, **extra))
    with app.app_context():
        if database_url.startswith("postgresql"):
            reset_postgresql()
        elif database_url == "sqlite://":
            create_in_memory_schema()
        else:
            plugin_schema.create_schema()
    return app


# The empty schema of an in-memory SQLite database, made once per process by `create_all` and
# copied into each new one with SQLite's backup API (tables, indexes and triggers alike): a
# fraction of a millisecond instead of the 50 ms of creating 40 tables again for every test.
_schema_template: sqlite3.Connection | None = None


def create_in_memory_schema() -> None:
    global _schema_template
    # The in-memory engine has one connection (StaticPool): the app's database is that one.
    fairy = db.engine.raw_connection()
    try:
        connection = fairy.driver_connection
        if _schema_template is None:
            plugin_schema.create_schema()
            template = sqlite3.connect(":memory:", check_same_thread=False)
            connection.backup(template)
            _schema_template = template
        else:
            _schema_template.backup(connection)
    finally:
        fairy.close()


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class SeededApp:
    """One app kept for a module, its database put back before every test to what `seed` built.

    For the table-driven files, where building an app (mostly compiling its URL rules) and
    seeding the same world cost far more than the one request a row sends. On SQLite the seeded
    in-memory database is copied aside once with the sqlite3 backup API and copied back before
    each test (a millisecond). On PostgreSQL the seeded rows are copied into a schema of their
    own and copied back, sequences included, in one transaction. What the app keeps in memory
    between requests (board cache, login counters, live broker) starts afresh as well, so a test
    sees what a new app on the seeded data would show.
    """

    COPY_SCHEMA = "cergas_seed"

    @classmethod
    def kept(cls, app, seed):
        """For a module fixture: `yield from SeededApp.kept(app, seed)`; closed at the end."""
        seeded = cls(app, seed)
        try:
            yield seeded
        finally:
            seeded.close()

    def __init__(self, app, seed):
        self.app = app
        self.copy = None
        self.sequences: list = []
        with app.app_context():
            self.value = seed(app)
            db.session.remove()
            if db.engine.dialect.name == "sqlite":
                self.copy = sqlite3.connect(":memory:", check_same_thread=False)
                self._sqlite_backup(into=self.copy)
            else:
                self._pg_copy()
        self._seeded = True

    def _sqlite_backup(self, into=None, source=None) -> None:
        # The in-memory engine has one connection (StaticPool): the app's database is that one.
        fairy = db.engine.raw_connection()
        try:
            connection = fairy.driver_connection
            if into is not None:
                connection.backup(into)
            else:
                source.backup(connection)
        finally:
            fairy.close()

    def _pg_copy(self) -> None:
        schema = self.COPY_SCHEMA
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
            for table in plugin_schema.all_tables():
                conn.execute(text(f'CREATE TABLE {schema}."{table.name}" AS TABLE "{table.name}"'))
            self.sequences = list(
                conn.execute(
                    text(
                        "SELECT sequencename, start_value, last_value FROM pg_sequences"
                        " WHERE schemaname = current_schema()"
                    )
                )
            )

    def _pg_restore(self) -> None:
        with db.engine.begin() as conn:
            empty_postgresql(conn)
            for table in plugin_schema.all_tables():
                copy = f'{self.COPY_SCHEMA}."{table.name}"'
                conn.execute(text(f'INSERT INTO "{table.name}" SELECT * FROM {copy}'))
            for sequence, start, last in self.sequences:
                conn.execute(
                    text("SELECT setval(:sequence, :value, :called)"),
                    {
                        "sequence": sequence,
                        "value": start if last is None else last,
                        "called": last is not None,
                    },
                )

    def restore(self):
        """The seeded state again; returns what `seed` returned."""
        from app.broker import make_broker

        app = self.app
        if not self._seeded:
            with app.app_context():
                db.session.remove()
                if self.copy is not None:
                    self._sqlite_backup(source=self.copy)
                else:
                    self._pg_restore()
        self._seeded = False
        for name in ("cergas_columns_cache", "cergas_ratelimit", "cergas_webhooks_cache"):
            app.extensions.pop(name, None)
        app.extensions["cergas_broker"].close()
        app.extensions["cergas_broker"] = make_broker(app.config)
        return self.value

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            if self.copy is None:
                with db.engine.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA IF EXISTS {self.COPY_SCHEMA} CASCADE"))
            db.engine.dispose()
        if self.copy is not None:
            self.copy.close()


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
    if app.config["SQLALCHEMY_DATABASE_URI"] != "sqlite://":
        return build_org(app)
    return _org_from_template(app)


# The org's rows in an in-memory SQLite database, built once per process and set of plugins and
# copied into each new database with SQLite's backup API (as `create_in_memory_schema` does for
# the empty schema): building it again for each of a thousand tests cost about 0.1 s a test.
_org_templates: dict[tuple, tuple[sqlite3.Connection, SimpleNamespace]] = {}


def _org_from_template(app) -> SimpleNamespace:
    records = app.extensions["cergas_plugins"].records
    key = tuple(sorted((name, record.status) for name, record in records.items()))
    with app.app_context():
        fairy = db.engine.raw_connection()
        try:
            connection = fairy.driver_connection
            if key not in _org_templates:
                ids = build_org(app)
                db.session.remove()
                template = sqlite3.connect(":memory:", check_same_thread=False)
                connection.backup(template)
                _org_templates[key] = (template, ids)
            else:
                _org_templates[key][0].backup(connection)
        finally:
            fairy.close()
    template, ids = _org_templates[key]
    return SimpleNamespace(**{**vars(ids), "users": dict(ids.users), "nips": dict(ids.nips)})


ORG_TYPES = ("izin", "informasi", "informasi-publik", "permohonan-informasi", "keberatan")
ORG_LABELS = (
    *("rutin", "bulanan", "penting", "urgent", "ppid", "bps", "spbe", "data", "rapat"),
    *("mendesak", "surat", "hukum"),
    *("perizinan", "informasi-publik", "No. 800/1/2026", *(f"bidang-{i}" for i in range(5))),
    *(f"l{i}" for i in range(3)),
)


def build_org(app) -> SimpleNamespace:
    """The `org` fixture's world, in `app`; returns its ids."""
    from app.services import accounts, boards, card_types
    from app.services.tx import write_transaction

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
        # The labels and extra card types the tests give this board's cards (issue 26: a card
        # carries only what is on its board's lists).
        with write_transaction():
            card_types.ensure(board.id, types=ORG_TYPES, labels=ORG_LABELS)
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
    return build_tokens(app, org)


def build_tokens(app, org) -> dict:
    from app.services import accounts

    with app.app_context():
        return {key: accounts.create_token(get_user(key, org)) for key in org.users}


@pytest.fixture
def api(client, tokens):
    """api(role).get/post/patch(...) with that person's bearer token."""
    return api_callers(client, tokens)


def api_callers(client, tokens):
    """The `api` fixture's callers for this client and these tokens."""

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
