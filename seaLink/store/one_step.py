"""A read's rows from SQLite in one step, as one JSON text aggregated by SQLite itself.

Python's sqlite3 lets go of the GIL for every row it steps to and must take it back before the
next one. Beside a busy event loop each of those takes waits for the loop's thread to give the
GIL up: while 10,000 deliveries changed, a broadcast roll-up's ~100 rows of counts took 70-120 ms
of which SQLite's own work was 3-7 ms (timed in the connection's thread). Aggregated into one
text by `json_group_array`, the rows come back in one step, and each column through its own type's
result processing (times as the store's `UTCDateTime`). PostgreSQL's driver reads on the event
loop itself: there the query runs as it is.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection


async def all_rows(conn: AsyncConnection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The query's rows as tuples, in the query's order."""
    if conn.dialect.name != "sqlite":
        return [tuple(r) for r in (await conn.execute(query)).all()]
    sub = query.subquery()
    cols = list(sub.c)
    text = (
        await conn.execute(select(func.json_group_array(func.json_array(*cols))).select_from(sub))
    ).scalar_one()
    procs = [c.type.result_processor(conn.dialect, None) for c in cols]
    return [
        tuple(v if p is None or v is None else p(v) for p, v in zip(procs, row, strict=True))
        for row in json.loads(text)
    ]
