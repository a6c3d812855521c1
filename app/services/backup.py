"""Backing up and restoring a SQLite database while Cergas runs.

Both directions use SQLite's online backup API (`sqlite3.Connection.backup`), which copies the
database page by page under SQLite's own locking: the copy is one consistent snapshot even while
other processes write (a writer that commits during the copy makes SQLite restart it). A plain
`cp` of a WAL-mode database can miss committed pages still in the `-wal` file; this cannot.

PostgreSQL has its own tools: `pg_dump` / `pg_restore` (docs/deploy.md gives the recipe).
"""

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _

from app.extensions import db
from app.services.errors import Invalid

# Tables a Cergas database always has; a file without them is not a Cergas backup.
REQUIRED_TABLES = {"users", "units", "boards", "board_columns", "cards", "events"}


@dataclass
class BackupInfo:
    path: Path
    size: int
    cards: int
    events: int


def _refuse(message: str) -> Invalid:
    return Invalid("backup_refused", message)


def _live_sqlite_connection():
    """The raw sqlite3 connection of the app's engine; refuses on other databases."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise _refuse(
            _(
                "This database is %(name)s: back it up with pg_dump and restore it with "
                "pg_restore (see docs/deploy.md).",
                name=engine.dialect.name,
            )
        )
    if engine.url.database in (None, "", ":memory:"):
        raise _refuse(_("An in-memory database cannot be backed up."))
    return engine.raw_connection()


def _check(path: Path) -> BackupInfo:
    """Open a copy read-only and prove it is a whole Cergas database."""
    uri = f"file:{path}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        message = _("%(path)s is not a readable SQLite file: %(error)s", path=path, error=exc)
        raise _refuse(message) from None
    try:
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            message = _("%(path)s is not a SQLite database: %(error)s", path=path, error=exc)
            raise _refuse(message) from None
        if result != "ok":
            raise _refuse(_("%(path)s is damaged: %(error)s", path=path, error=result))
        missing = REQUIRED_TABLES - tables
        if missing:
            raise _refuse(
                _(
                    "%(path)s is not a Cergas database (no table %(tables)s).",
                    path=path,
                    tables=", ".join(sorted(missing)),
                )
            )
        cards = conn.execute("SELECT count(*) FROM cards").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()
    return BackupInfo(path=path, size=path.stat().st_size, cards=cards, events=events)


def backup(target) -> BackupInfo:
    """Write a consistent copy of the live database to `target` (replaced atomically)."""
    target = Path(target).expanduser().resolve()
    if target.is_dir():
        raise _refuse(_("%(path)s is a folder; give a file name.", path=target))
    if not target.parent.is_dir():
        raise _refuse(_("The folder %(path)s does not exist.", path=target.parent))
    raw = _live_sqlite_connection()
    # Copy into a temporary file beside the target, then rename: a reader of `target` never
    # sees half a backup, and a failed backup leaves an older one in place.
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)
    try:
        destination = sqlite3.connect(temporary)
        try:
            raw.driver_connection.backup(destination)
            # A backup is a single file: no WAL beside it.
            destination.execute("PRAGMA journal_mode = DELETE")
        finally:
            destination.close()
        os.chmod(temporary, 0o600)
        info = _check(Path(temporary))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        raw.close()
    info.path = target
    return info


def restore(source) -> BackupInfo:
    """Replace the live database's content with the backup at `source`, in one step.

    The backup API writes into the live database under its write lock, so other connections see
    either the old or the new content. Stop the app servers first all the same: pages open during
    a restore show data that no longer exists."""
    source = Path(source).expanduser().resolve()
    if not source.is_file():
        raise _refuse(_("There is no file %(path)s.", path=source))
    info = _check(source)
    raw = _live_sqlite_connection()
    try:
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            origin.backup(raw.driver_connection)
        finally:
            origin.close()
    finally:
        raw.close()
    db.engine.dispose()
    return info
