"""Terminal port reports (进出港报告) stored with the batch that brought them: once each, by the
vessel's report id, however often the broker delivers it (or both of a hub's sessions do)."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from seaLink.domain.events import PortReport
from seaLink.store.db import Database
from seaLink.store.tables import PortEvent

_pe: Any = PortEvent.__table__  # type: ignore[attr-defined]
_by_report = itemgetter("vessel_id", "report_id")


async def insert_reports(
    conn: Any, db: Database, rows: list[dict[str, Any]]
) -> tuple[PortReport, ...]:
    """Insert the reports not stored yet (vessel id, report id order); returns those that were."""
    insert = db.insert_ignore(_pe)
    new: list[PortReport] = []
    for row in sorted(rows, key=_by_report):
        # One row a statement: its row count says whether it was new (the unique report id, or
        # the same vessel, time and kind reported already under another id).
        if (await conn.execute(insert, row)).rowcount != 1:
            continue
        new.append(PortReport(row["vessel_id"], row["report_id"], row["grid_id"], row["port"],
                              row["kind"], row["ts"], row["lat"], row["lon"]))  # fmt: skip
    return tuple(new)
