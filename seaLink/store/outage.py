"""The store going away, seen from a loop that must outlive it.

Every long-running loop the hub owns that touches the database (ingest, contact watch, outbox,
alerting and the other deadline loops, the zone watch, the cluster heartbeat, training) survives
a database outage the same way, with a `StoreOutage`: the first failure is logged once, with its
cause; the loop waits 0.5 s, then twice as long each time up to 10 s, retrying quietly; the first
success after an outage is logged with how long it lasted. A PostgreSQL restart or failover is then
a pause, not a crash of the hub.

`is_store_outage` tells an unreachable or restarting database (retry later: nothing is wrong with
the work) from an error in the work itself; `is_write_conflict` tells a PostgreSQL deadlock or
serialization failure (the transaction was rolled back: run it again at once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import asyncpg
from sqlalchemy import exc as sa_exc

from seaLink.wire.backoff import Backoff

log = logging.getLogger(__name__)

T = TypeVar("T")

FIRST_DELAY_S = 0.5
MAX_DELAY_S = 10.0

# SQLSTATE classes and codes of "the server is not there (now)": connection exceptions (08),
# operator intervention (57: admin shutdown, crash shutdown, cannot connect now), and
# insufficient resources (53: too many connections while clients reconnect at once).
_OUTAGE_SQLSTATE_PREFIXES = ("08", "57", "53")
_CONFLICT_SQLSTATES = ("40P01", "40001")  # deadlock_detected, serialization_failure
_CHECK_VIOLATION = "23514"


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (SQLAlchemy's `.orig`, `__cause__`, `__context__`)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or any(e is s for s in seen) or len(seen) > 20:
            continue
        seen.append(e)
        orig = getattr(e, "orig", None)
        if isinstance(orig, BaseException):
            todo.append(orig)
        todo.extend((e.__cause__, e.__context__))
    return seen


def _sqlstate(e: BaseException) -> str:
    code = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None)
    return code if isinstance(code, str) else ""


def is_write_conflict(exc: BaseException) -> bool:
    """A PostgreSQL deadlock or serialization failure, or a row routed to the default partition
    of `position` while the retention loop was making its month's partition (the insert saw the
    partitions as they were before): rolled back, safe to run again at once."""
    for e in _chain(exc):
        if isinstance(e, asyncpg.DeadlockDetectedError | asyncpg.SerializationError):
            return True
        if _sqlstate(e) in _CONFLICT_SQLSTATES:
            return True
        if _sqlstate(e) == _CHECK_VIOLATION and "violates partition constraint" in str(e):
            return True  # never the data's fault: a row inserted through the parent is routed
    return False


def is_store_outage(exc: BaseException) -> bool:
    """The database cannot be reached or is restarting (as opposed to a fault in the work)."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    for e in _chain(exc):
        if isinstance(
            e,
            OSError  # refused, reset, unreachable (ConnectionError is an OSError)
            | TimeoutError
            | sa_exc.OperationalError
            | sa_exc.InterfaceError
            | sa_exc.TimeoutError  # no pooled connection came free in time
            | asyncpg.PostgresConnectionError
            | asyncpg.InterfaceError
            | asyncpg.CannotConnectNowError
            # A connection left mid-operation by a server that went away ("cannot switch to
            # state 11; another operation is in progress", seen in a PostgreSQL restart under
            # load): the connection's fault, never the message's; the retry's pre-ping drops it.
            | asyncpg.InternalClientError,
        ):
            return True
        if _sqlstate(e).startswith(_OUTAGE_SQLSTATE_PREFIXES):
            return True
    return False


class Counter(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class StoreOutage:
    """Backoff and logging for one loop while the store is away: `failed`, then `recovered`."""

    def __init__(
        self,
        name: str,
        errors: Counter | None = None,
        *,
        first_s: float = FIRST_DELAY_S,
        max_s: float = MAX_DELAY_S,
        logger: logging.Logger | None = None,
    ) -> None:
        self.name = name
        self._errors = errors
        self._backoff = Backoff(first_s, max_s)
        self._log = logger or log
        self.since: float | None = None  # monotonic time of the outage's first failure
        self.failures = 0  # in the current outage
        self.outages = 0  # since start

    @property
    def down(self) -> bool:
        return self.since is not None

    def note(self, exc: BaseException) -> float:
        """Count a failure, log it if it starts an outage; returns how long to wait."""
        if self._errors is not None:
            self._errors.inc()
        self.failures += 1
        if self.since is None:
            self.since = time.monotonic()
            self.outages += 1
            what = "store unreachable" if is_store_outage(exc) else "store operation failed"
            self._log.error(
                "%s: %s (%s: %s); retrying with backoff up to %.0fs, quietly until it works",
                self.name,
                what,
                type(exc).__name__,
                str(exc).splitlines()[0][:300] if str(exc) else "",
                self._backoff.max_s,
                exc_info=exc if not is_store_outage(exc) else None,
            )
        else:
            self._log.debug("%s: still failing (%s)", self.name, type(exc).__name__)
        return self._backoff.next()

    async def failed(self, exc: BaseException) -> None:
        """`note` the failure and wait the backoff."""
        await asyncio.sleep(self.note(exc))

    def recovered(self) -> None:
        """The loop's store work succeeded: end the outage (logged once) and reset the backoff."""
        if self.since is not None:
            self._log.warning(
                "%s: store is back after %.1fs (%d failed attempts); carrying on",
                self.name,
                time.monotonic() - self.since,
                self.failures,
            )
        self.since = None
        self.failures = 0
        self._backoff.reset()

    async def until_done(self, op: Callable[[], Awaitable[T]], *, only_outages: bool = True) -> T:
        """Run `op` until it succeeds, waiting out store outages. Any other error is raised,
        unless `only_outages` is False (then it is retried the same way)."""
        while True:
            try:
                result = await op()
            except Exception as exc:
                if only_outages and not is_store_outage(exc):
                    raise
                await self.failed(exc)
                continue
            self.recovered()
            return result
