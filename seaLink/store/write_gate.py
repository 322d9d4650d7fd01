"""One writer at a time on SQLite, taken in order of urgency: the hub's own queue for the write lock.

SQLite has a single write lock. Left to itself, every connection that wants it sleeps and retries
(`busy_timeout`: 1, 2, 5, ... 100 ms apart), so under load the writers form a convoy: measured with
10,000 boats and a position flood, a distress commit waited 2-9 s behind the outbox, zone watch,
contact watch and alerting polling for the same lock. The gate queues the hub's writers instead,
and serves the urgent ones (the distress lane) first: a distress waits for the one transaction in
progress at most.

It works under every writer without changing them: the first write statement of a transaction
(where Python's sqlite3 opens it: INSERT, UPDATE, DELETE, DDL) waits for the gate, and the commit or
rollback hands it on. Reads never wait (WAL). PostgreSQL has row locks and is not gated.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import sqlite3
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only
from sqlalchemy.util.concurrency import in_greenlet

URGENT = 0
NORMAL = 1
_priority: ContextVar[int] = ContextVar("write_priority", default=NORMAL)
_READS = ("SELECT", "PRAGMA", "EXPLAIN")


def write_priority() -> int:
    """The calling task's urgency (URGENT in the distress lane's task)."""
    return _priority.get()


def mark_urgent() -> None:
    """The calling task writes urgently from now on (a lane's task, for its whole life)."""
    _priority.set(URGENT)


class WriteGate:
    """A lock owned by a connection, handed to the most urgent waiter, first come first served
    within one urgency. A writer that waits longer than `timeout_s` gets the error SQLite gives
    (`database is locked`), which the hub's loops already treat as a store outage to retry."""

    def __init__(self, timeout_s: float = 15.0) -> None:
        self.timeout_s = timeout_s
        self._holder: object | None = None
        self._waiters: list[tuple[int, int, asyncio.Future[None], object]] = []
        self._order = itertools.count()

    @property
    def holder(self) -> object | None:
        return self._holder

    async def acquire(self, owner: object, priority: int = NORMAL) -> None:
        if self._holder is None and not self._waiters:
            self._holder = owner
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._order), fut, owner))
        try:
            async with asyncio.timeout(self.timeout_s):
                await fut
        except BaseException as exc:
            if fut.done() and not fut.cancelled():
                self.release(owner)  # handed over as we gave up: pass it on
            else:
                fut.cancel()  # skipped by release
            if isinstance(exc, TimeoutError):
                raise sqlite3.OperationalError(
                    f"database is locked: no turn to write within {self.timeout_s:g} s"
                ) from None
            raise

    def release(self, owner: object) -> None:
        """Hand the gate on, if `owner` holds it (a no-op otherwise: commits without writes)."""
        if self._holder is not owner:
            return
        self._holder = None
        while self._waiters:
            _, _, fut, nxt = heapq.heappop(self._waiters)
            if not fut.done():
                self._holder = nxt
                fut.set_result(None)
                return


def _raw(connection: Any) -> object:
    """The DBAPI connection under SQLAlchemy's pool wrapper: one identity for a whole checkout."""
    return getattr(connection, "dbapi_connection", None) or connection


def install(engine: AsyncEngine, gate: WriteGate) -> None:
    sync = engine.sync_engine
    dialect = sync.dialect

    @event.listens_for(sync, "before_cursor_execute")
    def _before(conn: Any, _cur: Any, statement: str, params: Any, *_a: Any) -> None:
        owner = _raw(conn.connection)
        if gate.holder is owner or statement.lstrip()[:7].upper().startswith(_READS):
            return
        if in_greenlet():
            try:
                await_only(gate.acquire(owner, _priority.get()))
            except sqlite3.OperationalError as exc:
                # As SQLAlchemy reports SQLite's own "database is locked" (events are not wrapped).
                raise OperationalError(statement, params, exc) from None

    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:  # after the commit: the next writer must not find SQLite's lock still held
            gate.release(_raw(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            gate.release(_raw(dbapi_connection))

    # The dialect has no event after a commit; these wrap this engine's own dialect instance.
    setattr(dialect, "do_commit", do_commit)  # noqa: B010
    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010

    def _returned(dbapi_connection: Any, *_a: Any) -> None:
        gate.release(dbapi_connection)  # a connection closed or lost mid-transaction

    for name in ("reset", "close", "invalidate", "close_detached"):
        event.listen(sync.pool, name, _returned)
