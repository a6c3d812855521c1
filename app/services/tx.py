"""Transactions that are safe under concurrency on SQLite and PostgreSQL.

Every use case that writes runs inside `write_transaction()`. On SQLite it starts with
BEGIN IMMEDIATE, so writers queue on the database lock (waiting up to the busy timeout)
instead of failing with "database is locked" when a read snapshot is upgraded. On PostgreSQL
the service locks the board row (`lock_board`), which serialises the WIP checks of one board.
"""

import contextvars
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app.extensions import db

_write_intent = contextvars.ContextVar("cergas_write_intent", default=False)
# Work to run once the current write transaction has committed (after-commit hooks, delivery).
_after_commit = contextvars.ContextVar("cergas_after_commit", default=None)
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


@contextmanager
def write_transaction() -> Iterator[None]:
    """One use case, one transaction: commit on success, roll back on any error."""
    session = db.session()
    if session.in_transaction():
        # End the read snapshot this request may hold so the write starts fresh.
        session.commit()
    token = _write_intent.set(True)
    pending: list = []
    pending_token = _after_commit.set(pending)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_intent.reset(token)
        _after_commit.reset(pending_token)
    for work in pending:
        work()


def lock_board(board_id: int) -> None:
    """Serialise writes to one board (a row lock on PostgreSQL; SQLite holds its write lock)."""
    from app.models import Board

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
