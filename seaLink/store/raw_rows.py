"""A Core statement compiled once and executed with plain tuples, for the ingest hot path.

SQLAlchemy runs every bind value of every row through its type's bind processor in Python
(`_init_compiled`), which on a flood of positions cost about a tenth of the hub's CPU. Most of
that work is coercion the ingest path does not need: floats are already floats and booleans
already booleans (pydantic made them so). The one conversion that matters, a UTC datetime to the
text SQLite stores, is done here by a cheaper function with the same result; any other processor
is kept as it is. `tests/test_raw_rows.py` checks that rows written this way read back identical,
byte for byte, to rows written through SQLAlchemy, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Float
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase

from seaLink.store.db import Database
from seaLink.store.types import UTCDateTime
from seaLink.turns import bulk_turn

Convert = Callable[[Any], Any]
SLICE = 1000  # rows bound between turns given to the other tasks (~2 ms of work)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """What `UTCDateTime` stores on SQLite: naive UTC text with microseconds."""
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
    if offset:
        value = value.astimezone(UTC)
    # 'YYYY-MM-DD HH:MM:SS.ffffff+00:00' without its offset
    return value.isoformat(" ", "microseconds")[:26]


class RawRows:
    """`await rows.execute(conn, [dict, ...])`: one executemany, the values bound as they are."""

    def __init__(self, db: Database, statement: UpdateBase) -> None:
        dialect = db.engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        positions = list(compiled.positiontup or [])
        if not positions:
            raise ValueError("RawRows needs a statement with positional bind parameters")
        # A name may stand at several places (qmark style repeats it): fetch and convert each
        # name once, then lay the values out in placeholder order.
        names = list(dict.fromkeys(positions))
        self._get = itemgetter(*names) if len(names) > 1 else _one(names[0])
        self._layout = (
            None if names == positions else itemgetter(*(names.index(n) for n in positions))
        )
        self._convert: list[tuple[int, Convert]] = []
        for i, name in enumerate(names):
            kind = compiled.binds[name].type
            if isinstance(kind, UTCDateTime):
                if db.dialect == "sqlite":
                    self._convert.append((i, sqlite_utc_text))
                # asyncpg binds an aware datetime to timestamptz as the same instant.
                continue
            if isinstance(kind, Float | Boolean):
                continue  # coercions only: the values are already float / bool (or None)
            process = kind.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self._convert.append((i, process))

    async def execute(self, conn: AsyncConnection, rows: Iterable[Mapping[str, Any]]) -> None:
        params = self.params(rows)
        if params:
            await conn.exec_driver_sql(self.sql, params)  # type: ignore[arg-type]

    def step(self, rows: Iterable[Mapping[str, Any]]) -> tuple[str, list[tuple[Any, ...]]]:
        """The statement and its rows, for `one_trip.executemany_all`."""
        return self.sql, self.params(rows)

    async def step_in_slices(
        self, rows: Sequence[Mapping[str, Any]]
    ) -> tuple[str, list[tuple[Any, ...]]]:
        """`step`, bound `SLICE` rows a turn of the event loop: the hub's bulk writes bind
        thousands of rows, and one step of the loop that long is what every other task (a
        coordinator's read) waits behind."""
        params: list[tuple[Any, ...]] = []
        for start in range(0, len(rows), SLICE):
            if start:
                await bulk_turn()
            params += self.params(rows[start : start + SLICE])
        return self.sql, params

    def params(self, rows: Iterable[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        get, layout = self._get, self._layout
        if not self._convert and layout is None:
            return [get(r) for r in rows]
        # The very value of the row before (a batch's received_at) is not converted again, nor
        # a time met before in these rows: the times terminals give are to the millisecond, and
        # a broadcast's answers share a few hundred of them a batch (the conversion was ~15%
        # of an acknowledgement's CPU).
        convert: list[list[Any]] = [
            [i, fn, _MISSING, None, {} if fn is sqlite_utc_text else None]
            for i, fn in self._convert
        ]
        out = []
        for r in rows:
            values = list(get(r))
            for c in convert:
                i = c[0]
                v = values[i]
                if v is not c[2]:
                    seen = c[4]
                    if seen is None:
                        c[2], c[3] = v, c[1](v)
                    else:
                        text = seen.get(v, _MISSING)
                        if text is _MISSING:
                            text = seen[v] = c[1](v)
                        c[2], c[3] = v, text
                values[i] = c[3]
            out.append(tuple(values) if layout is None else layout(values))
        return out


_MISSING = object()


def _one(name: str) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    return lambda row: (row[name],)


async def copy_rows(
    conn: AsyncConnection, table: str, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """PostgreSQL only: the rows (plain tuples, in `names` order) into `table` by binary COPY,
    inside the connection's open transaction. A fleet-wide broadcast's 10,000 deliveries took
    ~0.5 s as an executemany and take a fraction of that this way (issue 17.2)."""
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    if not driver.is_in_transaction():
        # SQLAlchemy opens the transaction at its first statement; COPY must not run outside it.
        await conn.exec_driver_sql("SELECT 1")
    await driver.copy_records_to_table(table, records=rows, columns=list(names))
