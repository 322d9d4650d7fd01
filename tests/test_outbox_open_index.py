"""The outbox's reads of what is due, what expires and when to wake next go to the partial
indexes of the deliveries still on their way, on both stores, and read the right rows among
delivered and closed ones. With every delivery in one index (rank, next attempt), 50,000 open
and none due or expired made each of these reads walk all 50,000 (26 ms a read, every round)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from seaLink.store.db import Database
from seaLink.store.outbox_store import PARKED, OutboxStore
from seaLink.store.tables import Delivery

_d: Any = Delivery.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 7, 1, 8, 0, 0, tzinfo=UTC)


def _row(i: int, *, rank: int, next_at: datetime, expires: datetime | None) -> dict[str, Any]:
    state = {0: "queued", 1: "sent", 2: "delivered", 4: "acknowledged"}[rank]
    return {"msg_id": f"m{i}", "vessel_id": f"V{i % 7}", "grid_id": "G01", "kind": "notice",
            "priority": 2, "state": state, "rank": rank, "attempts": rank, "payload": "{}",
            "next_attempt_at": next_at, "queued_at": NOW - timedelta(seconds=i),
            "expires_at": expires, "last_error": ""}  # fmt: skip


async def _fill(db: Database) -> None:
    later, past = NOW + timedelta(minutes=5), NOW - timedelta(minutes=1)
    rows = [_row(i, rank=4, next_at=past, expires=past) for i in range(40)]  # delivered, old
    rows += [_row(100 + i, rank=1, next_at=later, expires=NOW + timedelta(hours=1))
             for i in range(30)]  # sent, waiting for the boat  # fmt: skip
    rows += [_row(200 + i, rank=0, next_at=NOW + PARKED, expires=None) for i in range(20)]
    rows += [_row(300, rank=0, next_at=past, expires=NOW + timedelta(hours=2)),  # due
             _row(301, rank=1, next_at=past, expires=past),  # expired before delivery
             _row(302, rank=0, next_at=past, expires=past)]  # fmt: skip
    async with db.engine.begin() as conn:
        await conn.execute(_d.insert(), rows)
        # Closed by an earlier round: history, never due, never expiring again.
        closed = [_row(400 + i, rank=0, next_at=past, expires=past) for i in range(25)]
        await conn.execute(_d.insert(), closed)
        await conn.execute(
            update(_d).where(_d.c.msg_id.like("m4__")).values(state="expired", closed_at=past)
        )


async def _plans(db: Database, read: Callable[[], Awaitable[Any]]) -> list[str]:
    """What the store would do for each statement `read` runs (EXPLAIN of the same statement
    with the same values; on PostgreSQL with sequential scans ruled out, as for a large table,
    and its plan for any values)."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE")):
            seen.append((statement, params))

    sync = db.engine.sync_engine
    event.listen(sync, "before_cursor_execute", capture)
    try:
        await read()
    finally:
        event.remove(sync, "before_cursor_execute", capture)
    plans = []
    async with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            for statement, params in seen:
                rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)).all()
                plans.append(" / ".join(str(r[-1]) for r in rows))
            return plans
        await conn.exec_driver_sql("SET enable_seqscan = off")
        # Planned as a prepared statement is once it has run a few times: for any values. A
        # partial index then serves only a query whose condition is written, not bound.
        await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        for statement, params in seen:
            await conn.exec_driver_sql(f"PREPARE outbox_read AS {statement}")
            values = f"({', '.join(_literal(v) for v in params)})" if params else ""
            rows = (await conn.exec_driver_sql(f"EXPLAIN EXECUTE outbox_read{values}")).all()
            await conn.exec_driver_sql("DEALLOCATE outbox_read")
            plans.append(" / ".join(str(r[-1]) for r in rows))
    return plans


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


@pytest.fixture
async def filled(clean_store: str) -> AsyncIterator[tuple[Database, OutboxStore]]:
    db = Database(clean_store)
    try:
        await _fill(db)
        yield db, OutboxStore(db)
    finally:
        await db.dispose()


async def test_the_outbox_reads_open_deliveries_from_their_partial_indexes(
    filled: tuple[Database, OutboxStore],
) -> None:
    db, store = filled
    reads: dict[str, tuple[Callable[[], Awaitable[Any]], str]] = {
        "due": (lambda: store.due(NOW, 100), "ix_delivery_open_due"),
        "next due": (store.next_due, "ix_delivery_open_due"),
        "next expiry": (lambda: store.next_expiry(NOW), "ix_delivery_open_expiry"),
        "parked": (lambda: store.parked_but_reachable(NOW, NOW), "ix_delivery_open_due"),
    }
    if db.dialect == "postgresql":
        # Its planner weighs the indexes by cost, and at this size either open index costs
        # the same: what matters is that the query lets it take one.
        reads = {k: (read, "ix_delivery_open_") for k, (read, _i) in reads.items()}
    for name, (read, index) in reads.items():
        plans = await _plans(db, read)
        assert plans and index in plans[0], (name, plans[0][:2000])
    plans = await _plans(db, lambda: store.expire(NOW))
    expiry = "ix_delivery_open_" if db.dialect == "postgresql" else "ix_delivery_open_expiry"
    assert len(plans) == 2 and all(expiry in p for p in plans), plans


async def test_due_expiry_and_wake_times_skip_delivered_and_closed_deliveries(
    filled: tuple[Database, OutboxStore],
) -> None:
    db, store = filled
    assert [m.msg_id for m in await store.due(NOW, 100)] == ["m300"]
    assert await store.next_due() == NOW - timedelta(minutes=1)
    assert await store.next_expiry(NOW) == NOW + timedelta(hours=1)
    expired = await store.expire(NOW)
    async with db.engine.connect() as conn:
        names = (
            await conn.execute(select(_d.c.msg_id).where(_d.c.id.in_([i for i, _ in expired])))
        ).scalars()
        assert sorted(names) == ["m301", "m302"]
    # Closed now: never due again, and nothing more expires before the sent ones' hour.
    assert [m.msg_id for m in await store.due(NOW, 100)] == ["m300"]
    assert await store.expire(NOW) == []
