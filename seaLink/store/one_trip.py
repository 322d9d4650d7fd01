"""SQLite statements in one trip to the database's thread.

aiosqlite runs each SQLite connection in a thread of its own, and SQLAlchemy's adapter goes there
four times a statement: for a cursor, the execute, the rows and the close. Each trip is a wake-up
of that thread and a turn of the event loop to come back; on a busy hub every turn waits behind
the other tasks' steps, and a writing transaction holds SQLite's one write lock across all of its
trips. Here the four run as one function in the connection's thread, and the adapter's cursor is
left as its own execute would leave it. Server-side (streaming) cursors keep the adapter's way. A commit or
rollback with no transaction open (a read; a connection going back to the pool) makes no trip.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_cursor
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from seaLink.store.write_gate import write_priority

if TYPE_CHECKING:
    from seaLink.store.db import Database

_Result = tuple[Any, list[Any] | None, int | None, int]


def install(engine: AsyncEngine) -> None:
    """Run this SQLite engine's statements in one trip each (DialectEvents: a listener that
    returns True has executed the statement itself)."""
    sync = engine.sync_engine

    @event.listens_for(sync, "do_execute")
    def _execute(cursor: Any, statement: str, parameters: Any, _context: Any) -> bool:
        return _in_one_trip(cursor, statement, parameters, many=False)

    @event.listens_for(sync, "do_execute_no_params")
    def _execute_no_params(cursor: Any, statement: str, _context: Any) -> bool:
        return _in_one_trip(cursor, statement, None, many=False)

    @event.listens_for(sync, "do_executemany")
    def _executemany(cursor: Any, statement: str, parameters: Any, _context: Any) -> bool:
        return _in_one_trip(cursor, statement, parameters, many=True)

    # A connection going back to the pool is rolled back, and a read's `begin()` committed: a trip
    # each, for nothing when no transaction is open (Python's sqlite3 opens one at the first
    # write only). Most of the hub's reads then cost one trip, not two.
    dialect = sync.dialect
    for name in ("do_rollback", "do_commit"):
        setattr(dialect, name, _unless_idle(getattr(dialect, name)))


def _unless_idle(end: Any) -> Any:
    def end_open_transaction(dbapi_connection: Any) -> None:
        # The adapter's connection, its aiosqlite.Connection, and that one's sqlite3 connection
        # (None once closed: then the adapter's own call reports it).
        raw = getattr(getattr(dbapi_connection, "_connection", None), "_connection", None)
        if isinstance(raw, sqlite3.Connection) and not raw.in_transaction:
            return
        end(dbapi_connection)

    return end_open_transaction


def _in_one_trip(given: Any, statement: str, parameters: Any, *, many: bool) -> bool:
    if type(given) is not AsyncAdapt_aiosqlite_cursor:
        return False  # a server-side cursor fetches as it goes: the adapter's own way
    cursor: Any = given  # its slots are set below as its own execute sets them
    connection = cursor._connection  # the aiosqlite.Connection
    try:
        result: _Result = cursor.await_(
            connection._execute(_run, connection, statement, parameters, many)
        )
    except Exception as error:
        # As the adapter reports it (a closed connection becomes the DBAPI's error).
        cursor._adapt_connection._handle_exception(error)
        raise  # not reached: the adapter raises
    description, rows, lastrowid, rowcount = result
    if description and not many:
        cursor.description = description
        cursor.lastrowid = cursor.rowcount = -1
        cursor._rows = deque(rows or ())
    else:
        cursor.description = None
        cursor.lastrowid = lastrowid
        cursor.rowcount = rowcount
    return True


def _run(connection: Any, statement: str, parameters: Any, many: bool) -> _Result:
    """In the connection's thread: what the adapter's four trips do."""
    raw: sqlite3.Connection = connection._conn
    cur = raw.cursor()
    try:
        if many:
            cur.executemany(statement, parameters)
        elif parameters is None:
            cur.execute(statement)
        else:
            cur.execute(statement, parameters)
        description = cur.description
        rows = cur.fetchall() if description and not many else None
        return description, rows, cur.lastrowid, cur.rowcount
    finally:
        cur.close()


Step = tuple[str, Sequence[tuple[Any, ...]]]  # an executemany: SQL in the DBAPI's style, rows


async def executemany_all(conn: AsyncConnection, db: Database, steps: Sequence[Step]) -> None:
    """Each step's executemany, in order, in `conn`'s open transaction. On SQLite all of them in
    one trip to the connection's thread: a transaction holds SQLite's one write lock from its
    first write to its commit, and the ingest's statements of a batch were a trip each, each
    waiting a turn of a busy loop, while the outbox's bookkeeping waited for the lock.
    PostgreSQL (row locks, a round trip a statement anyway) runs them one by one."""
    steps = [(sql, rows) for sql, rows in steps if rows]
    if not steps:
        return
    if db.dialect != "sqlite":
        for sql, rows in steps:
            await conn.exec_driver_sql(sql, list(rows))  # type: ignore[arg-type]
        return
    pooled = await conn.get_raw_connection()
    gate = db.write_gate
    if gate is not None and gate.holder is not pooled.dbapi_connection:
        # What the gate's hook does for a statement SQLAlchemy runs (these bypass it).
        await gate.acquire(pooled.dbapi_connection, write_priority())
    driver: Any = pooled.driver_connection  # the aiosqlite.Connection
    try:
        await driver._execute(_run_all, driver, steps)
    except sqlite3.Error as exc:
        # Raised as SQLAlchemy raises it (IntegrityError, OperationalError, ...): the callers
        # tell a store outage from a refused batch by these.
        sql = steps[0][0] if len(steps) == 1 else "; ".join(s for s, _ in steps)
        raise DBAPIError.instance(sql, None, exc, sqlite3.Error) from exc


def _run_all(connection: Any, steps: Sequence[Step]) -> None:
    raw: sqlite3.Connection = connection._conn
    cur = raw.cursor()
    try:
        for sql, rows in steps:
            cur.executemany(sql, rows)
    finally:
        cur.close()
