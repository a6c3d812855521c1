"""Pooled PostgreSQL connections are checked before use only after they have been idle.

A pooled connection can be dead when it comes out of the pool: PostgreSQL was restarted, or a
firewall dropped an idle connection. SQLAlchemy's `pool_pre_ping` finds out by sending a
`SELECT 1` at every checkout, that is one extra round trip for every request (its cost under
load: docs/benchmarks.md). Here a connection is
pinged only when it has sat in the pool for `IDLE_PING_SECONDS` or more, which is when it can
have died unseen. One that was used a moment ago is handed out as it is; if PostgreSQL was
restarted within those seconds, the request that uses it is answered 503 with Retry-After
(app/web.py; nothing was changed) and SQLAlchemy throws away every connection of the pool, so
the next requests connect afresh (docs/deploy.md tells the administrator).

A failed ping raises `DisconnectionError`, on which the pool discards the connection and
connects again (up to three times) before the request sees an error.
"""

import sqlite3
import time

from sqlalchemy import event, exc
from sqlalchemy.pool import Pool

IDLE_PING_SECONDS = 10.0
_IDLE_SINCE = "cergas_idle_since"


@event.listens_for(Pool, "checkin")
def _note_idle(dbapi_connection, connection_record):
    if connection_record is not None:
        connection_record.info[_IDLE_SINCE] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _ping_after_idle(dbapi_connection, connection_record, connection_proxy):
    if isinstance(dbapi_connection, sqlite3.Connection):
        return  # a file, not a network connection
    # `info` lives as long as the DBAPI connection: a new connection has no mark yet.
    idle_since = connection_record.info.get(_IDLE_SINCE)
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    autocommit = dbapi_connection.autocommit
    try:
        dbapi_connection.autocommit = True  # no transaction is left open by the ping
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.autocommit = autocommit
    except Exception as error:  # noqa: BLE001 - any failure means: not usable
        raise exc.DisconnectionError(f"idle connection failed its ping: {error}") from error
