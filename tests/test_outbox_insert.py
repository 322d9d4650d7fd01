"""The outbox's bulk insert (plain tuples; COPY on PostgreSQL) stores exactly what SQLAlchemy's
own insert of the same rows stores, commits and rolls back with the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from seaLink.store.db import Database
from seaLink.store.outbox_store import OutboxStore
from seaLink.store.tables import Delivery

_d: Any = Delivery.__table__  # type: ignore[attr-defined]
NOW = datetime(2026, 7, 1, 8, 0, 0, 123456, tzinfo=UTC)


def _rows(prefix: str, n: int) -> list[dict[str, Any]]:
    """What a broadcast queues: the columns it sets, others left to their defaults."""
    return [
        {
            "msg_id": f"{prefix}{i}",
            "vessel_id": f"V{i}",
            "grid_id": "G01",
            "kind": "warning",
            "priority": 1,
            "state": "queued",
            "rank": 0,
            "attempts": 0,
            "payload": '{"title":"台风蓝色预警 \\u0000 ✓","n":' + f"{i}" + "}",
            "next_attempt_at": NOW,
            "queued_at": NOW - timedelta(microseconds=i),
            "expires_at": None if i % 2 else NOW + timedelta(hours=6),
            "last_error": "",
            "broadcast_id": 7,
        }
        for i in range(n)
    ]


async def _stored(db: Database, prefix: str) -> list[dict[str, Any]]:
    async with db.engine.connect() as conn:
        found = await conn.execute(
            select(_d).where(_d.c.msg_id.like(f"{prefix}%")).order_by(_d.c.vessel_id)
        )
        rows = [dict(r) for r in found.mappings()]
    for r in rows:
        r.pop("id")
        r["msg_id"] = r["msg_id"][len(prefix) :]
    return rows


async def test_bulk_rows_read_back_as_sqlalchemy_stores_them(clean_store: str) -> None:
    db = Database(clean_store)
    store = OutboxStore(db)
    try:
        async with db.engine.begin() as conn:
            await store.insert(conn, _rows("bulk-", 1200))
        async with db.engine.begin() as conn:
            await conn.execute(_d.insert(), _rows("orm-", 1200))
        bulk, orm = await _stored(db, "bulk-"), await _stored(db, "orm-")
        assert len(bulk) == 1200
        assert bulk == orm
        assert bulk[1]["copies"] == "" and bulk[1]["sent_at"] is None
        assert bulk[0]["queued_at"] == NOW and bulk[0]["queued_at"].tzinfo is not None
    finally:
        await db.dispose()


async def test_bulk_rows_go_with_the_callers_transaction(clean_store: str) -> None:
    db = Database(clean_store)
    store = OutboxStore(db)
    try:
        with pytest.raises(RuntimeError, match="after the insert"):
            async with db.engine.begin() as conn:
                await store.insert(conn, _rows("gone-", 50))
                raise RuntimeError("a failure after the insert")
        assert await _stored(db, "gone-") == []
        # The connection the failed COPY ran on is fine for the next caller.
        async with db.engine.begin() as conn:
            await store.insert(conn, _rows("kept-", 50))
        assert len(await _stored(db, "kept-")) == 50
    finally:
        await db.dispose()
