"""`cergas demo --reset`: throw away everything the database holds (the core's tables, every
plugin's tables, the migration versions) and the documents in the local document folder, then
migrate the empty database again, so the demo is built on a fresh install.

Dropping the tables rather than deleting rows: the audit trails are append-only (database
triggers refuse a DELETE), and an upgrade from nothing always yields the current schema.
"""

import shutil
from pathlib import Path

from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import inspect, text

from app.extensions import db


def reset_database() -> None:
    """Drop every table (and on SQLite every trigger and view), then `db upgrade`."""
    db.session.remove()
    engine = db.engine
    if engine.dialect.name == "sqlite":
        _drop_sqlite(engine)
    else:
        with engine.begin() as connection:
            for name in inspect(connection).get_table_names():
                connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    engine.dispose()
    upgrade()


def _drop_sqlite(engine) -> None:
    """On the driver's own connection, outside any transaction, so that switching the foreign
    keys off holds (SQLite ignores the pragma inside a transaction)."""
    raw = engine.raw_connection()
    try:
        sqlite = raw.driver_connection
        sqlite.execute("PRAGMA foreign_keys=OFF")
        rows = sqlite.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        # Virtual tables (full-text search) first: dropping one drops its shadow tables.
        for name, sql in rows:
            if (sql or "").upper().startswith("CREATE VIRTUAL TABLE"):
                sqlite.execute(f'DROP TABLE IF EXISTS "{name}"')
        rows = sqlite.execute(
            "SELECT type, name FROM sqlite_master "
            "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        for kind, name in rows:
            sqlite.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
        sqlite.commit()
        sqlite.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


def empty_document_folder() -> Path | None:
    """Remove what the local document folder holds (the folder stays); None when documents are
    kept elsewhere (S3-compatible storage: its bucket is left alone)."""
    kind = str(current_app.config.get("DOCUMENT_STORAGE") or "local").strip().lower()
    folder = current_app.config.get("DOCUMENT_FOLDER")
    if kind != "local" or not folder:
        return None
    root = Path(folder)
    if not root.is_dir():
        return root
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    return root
