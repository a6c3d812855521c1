"""Backing up and restoring a SQLite database while Cergas runs.

Both directions use SQLite's online backup API (`sqlite3.Connection.backup`), which copies the
database page by page under SQLite's own locking: the copy is one consistent snapshot even while
other processes write (a writer that commits during the copy makes SQLite restart it). A plain
`cp` of a WAL-mode database can miss committed pages still in the `-wal` file; this cannot.

A backup never replaces the live database or its `-wal`, `-shm` or `-journal` file (renaming a
copy over the open database corrupts it), and a folder it cannot write to is a one-line refusal.
A restore first proves the candidate: `PRAGMA integrity_check`, `PRAGMA foreign_key_check`, the
tables of a Cergas database and an `alembic_version` equal to this release's migration head.
Only then does it copy the live database aside (`<name>.before-restore-<UTC time>`, kept) and
replace its content.

PostgreSQL has its own tools: `pg_dump` / `pg_restore` (docs/deploy.md gives the recipe); both
commands refuse there and say so.
"""

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask_babel import gettext as _

from app.extensions import db
from app.paths import resource_dir
from app.services.errors import Invalid

# Tables a Cergas database always has; a file without them is not a Cergas backup.
REQUIRED_TABLES = {"users", "units", "boards", "board_columns", "cards", "events"}


# The files SQLite keeps beside a database.
SIDE_FILES = ("-wal", "-shm", "-journal")


@dataclass
class BackupInfo:
    path: Path
    size: int
    cards: int
    events: int
    # restore only: where the database as it was before the restore is kept
    kept: Path | None = None


def _refuse(message: str) -> Invalid:
    return Invalid("backup_refused", message)


def _live_path() -> Path:
    """The live SQLite database file; refuses on other databases."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        raise _refuse(
            _(
                "This database is %(name)s: back it up with pg_dump and restore it with "
                "pg_restore (see docs/deploy.md).",
                name=engine.dialect.name,
            )
        )
    name = engine.url.database
    if name in (None, "", ":memory:") or name.startswith("file::memory:"):
        raise _refuse(_("An in-memory database cannot be backed up."))
    return Path(name).expanduser().resolve()


def _live_sqlite_connection():
    """The raw sqlite3 connection of the app's engine; refuses on other databases."""
    _live_path()
    return db.engine.raw_connection()


def _same_file(one: Path, other: Path) -> bool:
    """The same path once resolved, or the same file by device and inode (a hard link)."""
    if one == other:
        return True
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist
        return False


def _refuse_live_files(path: Path, live: Path) -> None:
    """Refuse `path` when it is the live database or one of the files SQLite keeps beside it."""
    for candidate in (live, *(Path(f"{live}{suffix}") for suffix in SIDE_FILES)):
        if _same_file(path, candidate):
            raise _refuse(
                _(
                    "%(path)s is the live database (or one of its files): give another file.",
                    path=path,
                )
            )


def _writable_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise _refuse(_("The folder %(path)s does not exist.", path=folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _refuse(_("Cannot write to the folder %(path)s.", path=folder))


def _cannot_write(path: Path, exc: OSError) -> Invalid:
    return _refuse(_("Cannot write %(path)s: %(error)s", path=path, error=exc.strerror or str(exc)))


def migration_head() -> str:
    """The newest migration of this release (what `cergas db upgrade` brings a database to)."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(str(resource_dir("migrations"))).get_heads()
    return heads[0]


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


def _check_restorable(path: Path) -> None:
    """What a restore needs beyond a whole Cergas database: no row pointing at a missing row,
    and the schema of this release (the migration head in `alembic_version`)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        # Every table that holds such rows (not only those of the first few rows found).
        broken = conn.execute(
            'SELECT DISTINCT "table" FROM pragma_foreign_key_check ORDER BY 1 LIMIT 12'
        ).fetchall()
        if broken:
            tables = ", ".join(row[0] for row in broken)
            raise _refuse(
                _(
                    "%(path)s has rows that point at missing rows (in %(tables)s).",
                    path=path,
                    tables=tables,
                )
            )
        try:
            versions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        except sqlite3.DatabaseError:
            versions = []
    finally:
        conn.close()
    head = migration_head()
    if versions != [head]:
        found = ", ".join(versions) or "-"
        raise _refuse(
            _(
                "%(path)s is at migration %(found)s, this release at %(head)s. Bring a copy "
                "up to date first (DATABASE_URL=sqlite:////path/to/copy.db cergas db upgrade), "
                "then restore the copy.",
                path=path,
                found=found,
                head=head,
            )
        )


def backup(target) -> BackupInfo:
    """Write a consistent copy of the live database to `target` (replaced atomically). Refuses
    the live database itself (or its -wal/-shm/-journal file) and a folder it cannot write."""
    target = Path(target).expanduser().resolve()
    live = _live_path()
    _refuse_live_files(target, live)
    if target.is_dir():
        raise _refuse(_("%(path)s is a folder; give a file name.", path=target))
    _writable_folder(target.parent)
    return _copy_live(target)


def _copy_live(target: Path, *, check: bool = True) -> BackupInfo | None:
    """Copy the live database to `target`; `check` proves the copy is a whole Cergas database
    (the copy kept before a restore is made whatever the state of the live database)."""
    raw = _live_sqlite_connection()
    # Copy into a temporary file beside the target, then rename: a reader of `target` never
    # sees half a backup, and a failed backup leaves an older one in place.
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raw.close()
        raise _cannot_write(target, exc) from None
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
        info = _check(Path(temporary)) if check else None
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise _cannot_write(target, exc) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        raw.close()
    if info is not None:
        info.path = target
    return info


def _kept_name(live: Path) -> Path:
    """A new file beside the live database for its content before a restore."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = live.with_name(f"{live.name}.before-restore-{stamp}")
    number = 2
    while kept.exists():
        kept = live.with_name(f"{live.name}.before-restore-{stamp}-{number}")
        number += 1
    return kept


def restore(source) -> BackupInfo:
    """Replace the live database's content with the backup at `source`, in one step, once the
    backup has passed every check; the database as it was is kept beside it (`info.kept`).

    The backup API writes into the live database under its write lock, so other connections see
    either the old or the new content. Stop the app servers first all the same: pages open during
    a restore show data that no longer exists."""
    source = Path(source).expanduser().resolve()
    live = _live_path()
    if not source.is_file():
        raise _refuse(_("There is no file %(path)s.", path=source))
    _refuse_live_files(source, live)
    info = _check(source)
    _check_restorable(source)
    kept = _kept_name(live)
    _writable_folder(kept.parent)
    _copy_live(kept, check=False)
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
    info.kept = kept
    return info
