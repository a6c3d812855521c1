"""Transactions that are safe under concurrency on SQLite and PostgreSQL.

Every use case that writes runs inside `write_transaction()`. On SQLite it starts with
BEGIN IMMEDIATE, so writers queue on the database lock (waiting up to the busy timeout)
instead of failing with "database is locked" when a read snapshot is upgraded. On PostgreSQL
the service locks the board row (`lock_board`), which serialises the WIP checks of one board.

SQLite writers wait for one another on a file lock (`_SqliteWriters`) before they begin: the
kernel wakes the next writer the moment the previous one commits. SQLite's own busy handler
(kept as the fallback for writers outside Cergas) sleeps between attempts, which leaves the
database lock idle while writers sleep (figures in docs/benchmarks.md).
"""

import contextvars
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db

try:
    import fcntl
except ImportError:  # not POSIX: writers of one process still queue on the thread lock
    fcntl = None

_write_intent = contextvars.ContextVar("cergas_write_intent", default=False)
# Work to run once the current write transaction has committed (after-commit hooks, delivery).
_after_commit = contextvars.ContextVar("cergas_after_commit", default=None)
# Objects whose loaded state is what the current write transaction commits (`current_at_commit`).
_current_at_commit = contextvars.ContextVar("cergas_current_at_commit", default=None)
SQLITE_BUSY_TIMEOUT_MS = 30_000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy (below) emit BEGIN itself instead of the driver's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode")
    if cursor.fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


class _SqliteWriters:
    """The queue of writers to one SQLite database: a lock for the threads of this process and
    an exclusive `flock` on `<database>-writers` for the processes (gunicorn workers, cron's
    `cergas tick`, the CLI) on this host. Both block in the kernel and wake the next writer at
    once; SQLite's BEGIN IMMEDIATE then finds the database free."""

    def __init__(self, path: str | None):
        self.path = f"{path}-writers" if path and fcntl is not None else None
        self.threads = threading.Lock()
        self.fd = None
        self.pid = None

    def _file(self):
        if self.pid != os.getpid():
            # Our own open file after a fork: a lock on an inherited one would not exclude the
            # parent's or the siblings' writers.
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self.pid = os.getpid()
        return self.fd

    @contextmanager
    def hold(self) -> Iterator[None]:
        if not self.threads.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked")
        try:
            fd = self._file() if self.path else None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()


_sqlite_writers: dict[str, _SqliteWriters] = {}
_sqlite_writers_guard = threading.Lock()


def _writers_queue():
    """The writer queue of the current database; None on PostgreSQL (the board row lock and
    PostgreSQL's own lock queue serialise writers there)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    path = None if database in ("", ":memory:") else os.path.abspath(database)
    key = path or f"memory:{id(db.engine)}"
    with _sqlite_writers_guard:
        queue = _sqlite_writers.get(key)
        if queue is None:
            queue = _sqlite_writers[key] = _SqliteWriters(path)
    return queue


@contextmanager
def write_transaction(keep=()) -> Iterator[None]:
    """One use case, one transaction: commit on success, roll back on any error. Work
    registered with `after_commit` runs once the transaction has committed and, on SQLite,
    the next writer has been let in. Objects in `keep` (the caller the request has just loaded)
    are not read again; everything else this request loaded before is."""
    if _write_intent.get():
        # Already inside a write transaction of this context: stay in that one transaction.
        yield
        return
    queue = _writers_queue()
    pending: list = []
    current: list = []
    session = db.session()
    if session.in_transaction() and queue is not None:
        # SQLite: end the read transaction this request may hold so the write starts fresh
        # (before queueing: the writer ahead of us need not wait for it). PostgreSQL's READ
        # COMMITTED holds no snapshot between statements, so there it would be two round trips
        # (COMMIT, BEGIN) for nothing.
        _commit_keeping(session, None)
    # What this request read before is read again under the lock.
    _expire_all_but(session, keep)
    with queue.hold() if queue is not None else nullcontext():
        token = _write_intent.set(True)
        pending_token = _after_commit.set(pending)
        current_token = _current_at_commit.set(current)
        try:
            yield
            if current:
                _commit_keeping(session, current)
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            _write_intent.reset(token)
            _after_commit.reset(pending_token)
            _current_at_commit.reset(current_token)
    for work in pending:
        work()


def _expire_all_but(session, keep) -> None:
    kept = {id(obj) for obj in keep}
    for obj in list(session.identity_map.values()):
        if id(obj) not in kept:
            session.expire(obj)


def _commit_keeping(session, keep) -> None:
    """Commit; then expire every object but those in `keep` (None: expire nothing)."""
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    if keep is not None:
        _expire_all_but(session, keep)


def current_at_commit(*objects) -> None:
    """Declare that these objects hold exactly what the current write transaction commits (the
    use case wrote them back from the database's answer), so they are not read again after the
    commit as everything else is."""
    current = _current_at_commit.get()
    if current is not None:
        current.extend(objects)


_FLUSHED_OUTSIDE_WRITE = "cergas_flushed_outside_write"


@event.listens_for(Session, "after_flush")
def _note_flush(session, flush_context):
    if not _write_intent.get():
        session.info[_FLUSHED_OUTSIDE_WRITE] = True


def end_request(error=None) -> None:
    """At the end of a request on PostgreSQL, a transaction that only read ends with COMMIT
    rather than the ROLLBACK of the session's removal: psycopg forgets every prepared statement
    of the connection on a ROLLBACK (DEALLOCATE ALL), and a card move's pipeline statement is
    prepared, so the next move on that connection would prepare and plan it again under the
    board lock. A transaction with anything flushed outside a write transaction, unflushed
    changes or an error still rolls back."""
    session = db.session()
    flushed = session.info.pop(_FLUSHED_OUTSIDE_WRITE, False)
    if error is not None or flushed or not session.in_transaction():
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    if session.new or session.dirty or session.deleted:
        return
    # Nothing was written, so a failure (a connection that died) loses nothing: the session's
    # removal that follows rolls back and discards the connection. Nothing is expired either,
    # as the removal leaves the objects loaded for whoever still holds them.
    with suppress(Exception):
        _commit_keeping(session, None)


def lock_board(board_id: int) -> None:
    """Serialise writes to one board (a row lock on PostgreSQL; SQLite holds its write lock)."""
    from app.models import Board

    if db.session.get_bind().dialect.name == "sqlite":
        return  # BEGIN IMMEDIATE already holds the database's one write lock
    db.session.execute(select(Board.id).where(Board.id == board_id).with_for_update())


def after_commit(work) -> None:
    """Run `work` once the current write transaction commits (now, when none is open)."""
    pending = _after_commit.get()
    if pending is None:
        work()
    else:
        pending.append(work)


def in_write_transaction() -> bool:
    return _write_intent.get()


def within_write(work) -> None:
    """Run `work` in the current write transaction, or in a new one when none is open."""
    if in_write_transaction():
        work()
        db.session.flush()
        return
    with write_transaction():
        work()
