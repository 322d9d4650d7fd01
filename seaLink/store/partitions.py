"""Monthly partitions of `position` on PostgreSQL: named position_yYYYYmMM, each holding the fixes
of one UTC month; fixes outside every month wait in position_default.

A month is made ahead of time by the retention loop (and by the 0002 migration for the months
that have rows). Making a month whose fixes already sit in the default partition moves them in
the same transaction, so a late month never fails for lack of an empty default.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import Connection, text

DEFAULT = "position_default"
_NAME = re.compile(r"^position_y(\d{4})m(\d{2})$")
# Taken while months are made or dropped: two hubs (or a hub and a migration) never race on one.
PARTITION_LOCK = 7312027
# Detaching a month locks the whole table: behind a long query it would hold up every insert
# queued after it. It waits this long at most; then it gives up until the next round.
LOCK_TIMEOUT = "2s"


def month_start(ts: datetime) -> date:
    ts = ts.astimezone(UTC)
    return date(ts.year, ts.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def is_month_table(name: str) -> bool:
    """A month's partition by its name (attached, or detached by retention before its drop)."""
    return _NAME.match(name) is not None


def name_of(month: date) -> str:
    return f"position_y{month.year:04d}m{month.month:02d}"


def bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    nxt = add_months(month, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=UTC)


def is_partitioned(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return bool(
        conn.execute(
            text("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass('position')")
        ).first()
    )


def months(conn: Connection) -> list[date]:
    """The months that have a partition, oldest first."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = to_regclass('position')"
        )
    ).scalars()
    found = []
    for name in rows:
        m = _NAME.match(name)
        if m:
            found.append(date(int(m[1]), int(m[2]), 1))
    return sorted(found)


def ensure_month(conn: Connection, month: date) -> bool:
    """Make the month's partition if it is missing; True if it was made."""
    conn.execute(text(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})"))
    if month in months(conn):
        return False
    name = name_of(month)
    start, end = bounds(month)
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    conn.execute(text(f"CREATE TABLE {name} (LIKE position INCLUDING DEFAULTS)"))
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT} WHERE ts >= :a AND ts < :b RETURNING *)"
            f" INSERT INTO {name} SELECT * FROM moved"
        ),
        {"a": start, "b": end},
    )
    conn.execute(
        text(
            f"ALTER TABLE position ATTACH PARTITION {name}"
            f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
        )
    )
    return True


def is_lock_timeout(exc: BaseException) -> bool:
    """PostgreSQL gave up waiting for a lock (SQLSTATE 55P03): busy now, try again later."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "55P03" or getattr(orig, "pgcode", None) == "55P03"


def drop_month(conn: Connection, month: date) -> None:
    conn.execute(text(f"SELECT pg_advisory_xact_lock({PARTITION_LOCK})"))
    conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    if month in months(conn):
        name = name_of(month)
        conn.execute(text(f"ALTER TABLE position DETACH PARTITION {name}"))
        conn.execute(text(f"DROP TABLE {name}"))
