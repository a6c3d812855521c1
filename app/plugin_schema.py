"""Plugin-owned tables: the models a plugin declares on its own base (`cergas.plugin.
plugin_model_base`) and the Alembic branch that creates them.

Each plugin's tables live on their own `MetaData` (not the core's), are named `<plugin>_...`,
and are migrated by the plugin's own revisions (a folder of Alembic revision files, the first
carrying `branch_labels = ("<plugin>",)`), whose progress is kept in the plugin's own version
table `alembic_version_<plugin>`. So:

- `cergas db upgrade` upgrades the core (table `alembic_version`), then the branch of every
  *loaded* plugin to its head (migrations/env.py calls `upgrade_plugins`);
- a plugin that is removed (or not loaded) is left alone: its tables and its version table stay,
  and nothing of the core's migrations ever reads them (Alembic refuses a revision it cannot
  find in `alembic_version`; no plugin revision is ever written there);
- a plugin's first revision names the core revision it needs (`requires_core = "0010_..."`): the
  upgrade refuses to run the branch when the core's schema is older.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.extensions import NAMING

NAME_RULE = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass
class PluginSchema:
    name: str
    metadata: MetaData
    migrations: Path | None

    @property
    def prefix(self) -> str:
        """What every table name of the plugin starts with: `<name>_` (a `-` written `_`)."""
        return f"{self.name.replace('-', '_')}_"

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.prefix[:-1]}"


_schemas: dict[str, PluginSchema] = {}


def plugin_model_base(name: str, migrations: str | Path | None = None) -> type[DeclarativeBase]:
    """A declarative base for the models of plugin `name` (its entry-point name), on a MetaData
    of its own. `migrations`: the folder of the plugin's Alembic revisions. Every table a model
    declares must be named `<name>_...` (a `-` in the name written `_`)."""
    if not NAME_RULE.match(name):
        raise ValueError(f"plugin name {name!r}: use lower-case letters, digits, - and _")
    if name in _schemas:
        raise ValueError(f"plugin {name!r} already has a model base")
    own_metadata = MetaData(naming_convention=NAMING, info={"cergas_plugin": name})
    prefix = f"{name.replace('-', '_')}_"

    class Base(DeclarativeBase):
        metadata = own_metadata

        def __init_subclass__(cls, **kwargs):
            # Checked before the class is mapped, so a refused table never joins the metadata.
            table = cls.__dict__.get("__table__")
            table_name = table.name if table is not None else cls.__dict__.get("__tablename__")
            if isinstance(table_name, str) and not table_name.startswith(prefix):
                raise TypeError(
                    f"table {table_name!r} of plugin {name!r} must be named {prefix}<something>"
                )
            super().__init_subclass__(**kwargs)

    Base.__name__ = f"{name.title().replace('_', '')}Base"
    _schemas[name] = PluginSchema(name, own_metadata, Path(migrations) if migrations else None)
    return Base


def plugin_schema(name: str) -> PluginSchema | None:
    return _schemas.get(name)


def known_schemas() -> dict[str, PluginSchema]:
    """Every plugin schema declared in this process (whether or not an app loads the plugin)."""
    return dict(_schemas)


def loaded_schemas(app) -> list[PluginSchema]:
    """The schemas of the plugins `app` loaded, in order of name."""
    host = app.extensions["cergas_plugins"]
    return [_schemas[name] for name in sorted(host.loaded()) if name in _schemas]


def import_installed_plugins() -> dict[str, PluginSchema]:
    """Import every installed plugin (entry points of group `cergas`), so that each declares
    its models, and return every schema: what the tests' schema is built from."""
    from importlib.metadata import entry_points

    from app.plugins import GROUP

    for ep in entry_points(group=GROUP):
        try:
            ep.load()
        except Exception:  # noqa: BLE001, S112 - a broken plugin is reported by the host
            continue
    return known_schemas()


def script_directory(schema: PluginSchema):
    from alembic.script import ScriptDirectory

    folder = str(schema.migrations)
    return ScriptDirectory(folder, version_locations=[folder])


class CoreTooOld(RuntimeError):
    pass


def _check_core(schema: PluginSchema, script, connection, core_script) -> None:
    """Refuse a branch whose revisions need a core revision the database does not have."""
    from alembic.migration import MigrationContext

    needed = {
        rev.module.requires_core
        for rev in script.walk_revisions()
        if getattr(rev.module, "requires_core", None)
    }
    if not needed:
        return
    current = MigrationContext.configure(connection).get_current_heads()
    applied = set()
    for head in current:
        applied |= {rev.revision for rev in core_script.iterate_revisions(head, "base")}
    missing = sorted(needed - applied)
    if missing:
        raise CoreTooOld(
            f"plugin {schema.name!r} needs core revision {', '.join(missing)}: "
            "upgrade Cergas first (cergas db upgrade with the newer release)"
        )


def upgrade_plugin(connection, schema: PluginSchema, core_script, target: str = "heads") -> None:
    """Bring one plugin's branch to `target` in its own version table, on `connection`."""
    if schema.migrations is None:
        return
    script = script_directory(schema)
    _check_core(schema, script, connection, core_script)
    _migrate(connection, schema, script, lambda rev, _context: script._upgrade_revs(target, rev))


def downgrade_plugin(connection, schema: PluginSchema, target: str = "base") -> None:
    """Take one plugin's branch down to `target` (`base`: its tables are dropped)."""
    script = script_directory(schema)
    _migrate(connection, schema, script, lambda rev, _context: script._downgrade_revs(target, rev))


def _migrate(connection, schema: PluginSchema, script, steps) -> None:
    """Run the revisions `steps(rev, context)` chooses on the plugin's own version table."""
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(
        connection,
        opts={
            "version_table": schema.version_table,
            "target_metadata": schema.metadata,
            "fn": steps,
            "script": script,
        },
    )
    _run(connection, context)


def _run(connection, context) -> None:
    """Run the branch in a transaction of its own, committed (the caller's reads may have left
    one open, which Alembic would take for an outer transaction it must not commit)."""
    from alembic.operations import Operations

    if connection.in_transaction():
        connection.commit()
    with Operations.context(context), context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()


def plugin_revision(connection, schema: PluginSchema) -> tuple[str, ...]:
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": schema.version_table})
    return context.get_current_heads()


def create_tables(bind, schemas=None) -> None:
    """`create_all` for plugin tables (the tests' quick schema; the migrations make the same)."""
    for schema in (schemas if schemas is not None else known_schemas()).values():
        schema.metadata.create_all(bind)


def drop_tables(bind, schemas=None) -> None:
    for schema in (schemas if schemas is not None else known_schemas()).values():
        schema.metadata.drop_all(bind)


def create_schema() -> None:
    """The whole schema with `create_all` (tests, the test kit): the core's tables and those of
    every installed plugin (and of any plugin declared in this process)."""
    from app.extensions import db

    db.create_all()
    import_installed_plugins()
    create_tables(db.engine)


def drop_schema() -> None:
    from app.extensions import db

    import_installed_plugins()
    drop_tables(db.engine)
    db.drop_all()


def all_tables() -> list:
    """Every table `create_schema` makes: the core's in dependency order, then the plugins'."""
    from app.extensions import db

    tables = list(db.metadata.sorted_tables)
    for schema in known_schemas().values():
        tables += schema.metadata.sorted_tables
    return tables
