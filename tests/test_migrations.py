"""The migrations build exactly the models' schema, tear it down again, and guard the audit trail.

Runs on a temporary SQLite file and, when TEST_DATABASE_URL is set, on PostgreSQL inside a
throw-away schema (so the shared test database is left alone).
"""

import importlib.util
import secrets
from importlib.metadata import entry_points
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, inspect, text
from sqlalchemy.exc import DBAPIError

from app import create_app, plugin_schema
from app.extensions import db
from app.models.admin import (
    ADMIN_EVENTS_APPEND_ONLY_POSTGRESQL,
    ADMIN_EVENTS_APPEND_ONLY_SQLITE,
)
from app.models.card import EVENTS_APPEND_ONLY_POSTGRESQL, EVENTS_APPEND_ONLY_SQLITE
from app.models.search import ENGINE_OBJECTS
from app.services import accounts, boards
from tests.conftest import PASSWORD, pg_url
from tests.conftest import test_config as config_for

pytestmark = pytest.mark.pg

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@pytest.fixture(params=["sqlite-file", "postgresql"])
def empty_app(request, tmp_path):
    """An app on an empty database that only the migrations will fill."""
    yield from empty_database_app(request.param, tmp_path)


@pytest.fixture(params=["sqlite-file", "postgresql"])
def empty_app_with_plugins(request, tmp_path):
    """The same, with every installed plugin that owns tables loaded (their branches migrate)."""
    schemas = plugin_schema.import_installed_plugins()
    objects = {ep.name: ep.load() for ep in entry_points(group="cergas") if ep.name in schemas}
    yield from empty_database_app(request.param, tmp_path, CERGAS_PLUGIN_OBJECTS=objects)


def empty_database_app(param, tmp_path, **extra):
    if param == "sqlite-file":
        app = create_app(config_for(f"sqlite:///{tmp_path / 'migrations.db'}", **extra))
        yield app
        with app.app_context():
            db.engine.dispose()
        return
    url = pg_url()
    if not url:
        pytest.skip("PostgreSQL case: set TEST_DATABASE_URL to run the migrations on PostgreSQL")
    schema = f"mig_{secrets.token_hex(4)}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    options = {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_pre_ping": True}
    app = create_app(config_for(url, SQLALCHEMY_ENGINE_OPTIONS=options, **extra))
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def models_metadata(app) -> MetaData:
    """The core's models and those of every plugin `app` loaded, in one MetaData."""
    combined = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(combined)
    for schema in plugin_schema.loaded_schemas(app):
        for table in schema.metadata.sorted_tables:
            table.to_metadata(combined)
    return combined


def compared(name, kind, parent) -> bool:
    """Whether the schema comparison looks at this object. Not the plugins' version tables
    (Alembic's, like alembic_version), nor the search index's full-text objects, which Alembic
    cannot describe (app/models/search.py): the FTS5 table and its shadow tables, and the
    tsvector column of card_search and its index."""
    if kind == "table" and name.startswith("alembic_version_"):
        return False
    if kind == "table":
        return name not in ENGINE_OBJECTS
    if kind in ("column", "index") and parent.get("table_name") == "card_search":
        return name not in ENGINE_OBJECTS
    return True


def schema_differences(app=None) -> list:
    metadata = models_metadata(app) if app is not None else db.metadata
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_name": compared,
            },
        )
        return compare_metadata(context, metadata)


def test_upgrade_from_empty_yields_exactly_the_models_schema(empty_app):
    with empty_app.app_context():
        assert inspect(db.engine).get_table_names() == []
        flask_migrate.upgrade()
        assert schema_differences() == []
        tables = set(inspect(db.engine).get_table_names()) - ENGINE_OBJECTS
        assert tables == set(db.metadata.tables) | {"alembic_version"}


def test_upgrade_with_plugins_yields_exactly_the_core_and_plugin_models(empty_app_with_plugins):
    """Each loaded plugin's branch runs after the core's, in its own version table."""
    app = empty_app_with_plugins
    with app.app_context():
        schemas = plugin_schema.loaded_schemas(app)
        assert "approvals" in {schema.name for schema in schemas}
        flask_migrate.upgrade()
        assert schema_differences(app) == []
        tables = set(inspect(db.engine).get_table_names()) - ENGINE_OBJECTS
        versions = {schema.version_table for schema in schemas}
        assert tables == set(models_metadata(app).tables) | {"alembic_version"} | versions
        for schema in schemas:
            for table in schema.metadata.sorted_tables:
                assert table.name.startswith(f"{schema.name}_")
        with db.engine.connect() as conn:
            assert plugin_schema.plugin_revision(conn, plugin_schema.plugin_schema("approvals"))
        flask_migrate.upgrade()  # a second upgrade has nothing to do
        assert schema_differences(app) == []


def test_upgrade_creates_every_index_and_unique_constraint(empty_app_with_plugins):
    with empty_app_with_plugins.app_context():
        flask_migrate.upgrade()
        inspector = inspect(db.engine)
        for table in models_metadata(empty_app_with_plugins).sorted_tables:
            expected = {index.name for index in table.indexes}
            assert {i["name"] for i in inspector.get_indexes(table.name)} >= expected
        uniques = {u["name"] for u in inspector.get_unique_constraints("users")}
        assert {"uq_users_nip", "uq_users_username"} <= uniques


def test_downgrade_to_base_removes_every_table_and_trigger(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "sqlite":
                leftover = conn.execute(text("SELECT name FROM sqlite_master WHERE type='trigger'"))
            else:
                leftover = conn.execute(
                    text(
                        "SELECT proname FROM pg_proc WHERE proname = 'events_append_only' "
                        "AND pronamespace = current_schema()::regnamespace"
                    )
                )
            assert leftover.all() == []
        flask_migrate.upgrade()  # and up again from base
        assert schema_differences() == []


def test_events_are_append_only_in_a_migrated_database(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        accounts.create_unit("SEKSI", "Seksi Pelayanan")
        head = accounts.create_user(
            "Kasi", PASSWORD, username="kasi", unit_code="SEKSI", role="head"
        )
        boards.create_board(head, "Pelayanan", "SEKSI")  # writes a board_created event
        db.session.remove()
        for statement in ("UPDATE events SET kind = 'forged'", "DELETE FROM events"):
            with pytest.raises(DBAPIError) as refused, db.engine.begin() as conn:
                conn.execute(text(statement))
            assert "append-only" in str(refused.value)
        with db.engine.connect() as conn:
            kinds = conn.execute(text("SELECT kind FROM events")).scalars().all()
        assert kinds == ["board_created"]


def test_the_administrative_log_is_append_only_in_a_migrated_database(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        accounts.create_unit("SEKSI", "Seksi Pelayanan")  # writes a unit.created entry
        db.session.remove()
        for statement in ("UPDATE admin_events SET kind = 'forged'", "DELETE FROM admin_events"):
            with pytest.raises(DBAPIError) as refused, db.engine.begin() as conn:
                conn.execute(text(statement))
            assert "append-only" in str(refused.value)
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT kind, target_label FROM admin_events")).all()
        assert [tuple(row) for row in rows] == [("unit.created", "SEKSI Seksi Pelayanan")]


def test_migrating_down_past_the_teams_keeps_every_board_and_card(tmp_path):
    """SQLite cannot drop `boards.team_id` in place; the copy it needs must not cascade."""
    app = create_app(config_for(f"sqlite:///{tmp_path / 'down.db'}"))
    with app.app_context():
        flask_migrate.upgrade()
        accounts.create_unit("SEKSI", "Seksi Pelayanan")
        head = accounts.create_user(
            "Kasi", PASSWORD, username="kasi", unit_code="SEKSI", role="head"
        )
        board = boards.create_board(head, "Pelayanan", "SEKSI")
        columns = len(board.columns)
        db.session.remove()
        flask_migrate.downgrade(revision="0009_sign_in_lifetimes")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM board_columns")).scalar() == columns
            assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        flask_migrate.upgrade()
        assert schema_differences() == []
        db.engine.dispose()


def load_revision(path: Path):
    spec = importlib.util.spec_from_file_location(f"revision_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_triggers_are_the_ones_the_models_define():
    initial = load_revision(next(MIGRATIONS.glob("versions/0001_*.py")))
    assert initial.EVENTS_APPEND_ONLY["sqlite"] == EVENTS_APPEND_ONLY_SQLITE
    assert initial.EVENTS_APPEND_ONLY["postgresql"] == EVENTS_APPEND_ONLY_POSTGRESQL
    office = load_revision(next(MIGRATIONS.glob("versions/0010_*.py")))
    assert office.ADMIN_EVENTS_APPEND_ONLY["sqlite"] == ADMIN_EVENTS_APPEND_ONLY_SQLITE
    assert office.ADMIN_EVENTS_APPEND_ONLY["postgresql"] == ADMIN_EVENTS_APPEND_ONLY_POSTGRESQL


def test_app_uses_the_top_level_migrations_with_a_single_head():
    app = create_app(config_for("sqlite://"))
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
    assert Path(config.get_main_option("script_location")).resolve() == MIGRATIONS.resolve()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
