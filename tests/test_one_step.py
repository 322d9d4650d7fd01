"""`one_step.all_rows` gives what a plain read gives, on both stores: the same rows in the same
order, times UTC-aware to the microsecond, NULLs, booleans and text that needs escaping in JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from seaLink.store.db import Database
from seaLink.store.one_step import all_rows
from seaLink.store.tables import Broadcast

_b: Any = Broadcast.__table__  # type: ignore[attr-defined]
AT = datetime(2026, 12, 8, 1, 2, 3, 456789, tzinfo=UTC)
TITLES = ['台风"山竹"\\回港\n避风 🌀', "", "a' OR '1'='1", "\t\u2028\u00e9"]


def _row(n: int, title: str) -> dict[str, Any]:
    return {"kind": "notice", "title": title, "body": "请回港", "priority": n, "reply": "read",
            "per_crew": n % 2 == 0, "signal": None if n % 2 else "blue",
            "recall_deadline": None if n % 2 else AT, "target": "{}", "created_by": "admin",
            "created_at": AT, "expires_at": None, "grid_ids": "G01", "extra": "{}"}  # fmt: skip


async def test_rows_in_one_step_are_the_rows_of_a_plain_read(clean_store: str) -> None:
    db = Database(clean_store)
    try:
        async with db.engine.begin() as conn:
            await conn.execute(_b.insert(), [_row(n, t) for n, t in enumerate(TITLES)])
        query = (
            select(_b.c.id, _b.c.title, _b.c.per_crew, _b.c.priority, _b.c.signal,
                   _b.c.recall_deadline, _b.c.created_at)
            .order_by(_b.c.priority.desc())
            .limit(3)
        )  # fmt: skip
        async with db.engine.connect() as conn:
            plain = [tuple(r) for r in (await conn.execute(query)).all()]
            stepped = await all_rows(conn, query)
        assert stepped == plain
        assert [r[1] for r in stepped] == TITLES[::-1][:3]
        assert [r[2] for r in stepped] == [False, True, False]
        assert [r[5] for r in stepped] == [None, AT, None]
        assert all(r[6] == AT and r[6].tzinfo is not None for r in stepped)
        async with db.engine.connect() as conn:
            assert await all_rows(conn, query.where(_b.c.priority > 99)) == []
    finally:
        await db.dispose()
