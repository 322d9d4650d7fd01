"""The zone watch's writes for one batch of fixes, in a few set-wise statements.

A batch in which many boats cross a zone's edge at once (a fleet leaving the Nanpeng reserve)
used to cost three statements per alert in one transaction, holding SQLite's single write lock
for hundreds of milliseconds while the ingest writer waited in SQLite's busy handler (whose
sleeps grow to 100 ms): that was the tail of the publish-to-commit latency. Here a batch costs
one query before its write transaction and at most four statements in it, whatever its size.
The rules: one open alert per vessel and type (a raise while
one is open is a no-op), raises applied before resolves, and an audit row for every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, literal_column, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from seaLink.domain.events import AlertRaised
from seaLink.store.db import Database
from seaLink.store.tables import Alert, AlertEvent, ZoneEventRecord

_e: Any = ZoneEventRecord.__table__  # type: ignore[attr-defined]
_a: Any = Alert.__table__  # type: ignore[attr-defined]
_ev: Any = AlertEvent.__table__  # type: ignore[attr-defined]

_RESOLVE = (
    update(_a)
    .where(_a.c.id == bindparam("aid"))
    .values(
        state="resolved",
        outcome="other",
        resolved_at=bindparam("ts"),
        updated_at=bindparam("ts"),
        escalate_at=None,
    )
)
_OPEN_CHUNK = 400  # (vessel, type) pairs per lookup: well under every driver's parameter limit


async def record_batch(
    db: Database,
    events: list[dict[str, Any]],
    raise_: list[dict[str, Any]],
    resolve_: list[tuple[str, str, datetime, str]],
    *,
    resolvable: set[int] | None = None,
) -> list[AlertRaised]:
    """Store zone events; raise and resolve alerts. Returns the alerts newly raised.
    `resolvable`: resolve only these alerts, the ones open when the caller read what it judged
    (`open_alert_ids`): an alert another loop raised since was raised on newer facts."""
    raised: list[AlertRaised] = []
    pairs = {(a["vessel_id"], a["type"]) for a in raise_}
    pairs |= {(vid, type_) for vid, type_, _ts, _note in resolve_}
    open_: dict[tuple[str, str], int] = {}
    if pairs:
        # Read before the write transaction begins: SQLite takes its one write lock at the first
        # write, and every statement inside it waits for a turn of a busy event loop. Another
        # loop may open one of these alerts in between (the port log and a recall's judge both
        # raise 离港): the insert then skips it, and `resolvable` keeps it from being resolved.
        async with db.engine.connect() as conn:
            open_ = await _open_ids(conn, sorted(pairs))
    new: list[dict[str, Any]] = []
    for a in raise_:
        key = (a["vessel_id"], a["type"])
        if key not in open_:
            open_[key] = -1  # taken by this batch (its id is known after the insert)
            new.append(a)
    async with db.engine.begin() as conn:
        if events:
            await conn.execute(_e.insert(), events)
        trail: list[dict[str, Any]] = []
        if new:
            # One multi-row INSERT ... RETURNING; rows come back in any order, so they are
            # matched by (vessel, type), which the partial unique index keeps to one open alert.
            # (RETURNING in parameter order would make SQLAlchemy insert row by row on SQLite.)
            back = await conn.execute(
                db.insert_ignore(_a).returning(_a.c.id, _a.c.vessel_id, _a.c.type), new
            )
            ids = {(r[1], r[2]): int(r[0]) for r in back.all()}
            for a in new:
                key = (a["vessel_id"], a["type"])
                if key not in ids:  # opened by another loop since the read: it stands, once
                    del open_[key]
                    continue
                alert_id = open_[key] = ids[key]
                raised.append(
                    AlertRaised(
                        alert_id, a["vessel_id"], a["grid_id"], a["type"], a["phase"],
                        a["severity"], a["raised_at"],
                    )
                )  # fmt: skip
                trail.append(
                    {"alert_id": alert_id, "ts": a["raised_at"], "action": "raised",
                     "phase": a["phase"], "actor": "system", "note": a["detail"]}
                )  # fmt: skip

        closes: list[dict[str, Any]] = []
        for vid, type_, ts, note in resolve_:
            alert_id = open_.pop((vid, type_), 0)
            if not alert_id or (resolvable is not None and alert_id not in resolvable):
                continue  # nothing open (or already resolved by this batch, or newer)
            closes.append({"aid": alert_id, "ts": ts})
            trail.append(
                {"alert_id": alert_id, "ts": ts, "action": "resolved", "phase": "",
                 "actor": "system", "note": note}
            )  # fmt: skip
        if closes:
            await conn.execute(_RESOLVE, closes)
        if trail:
            await conn.execute(_ev.insert(), trail)
    return raised


async def open_alert_ids(db: Database, types: list[str]) -> set[int]:
    """The open alerts of these types, fleet-wide (a judge reads them before what it judges)."""
    async with db.engine.connect() as conn:
        # The condition as the partial index `uq_alert_open` states it (a literal, not bound):
        # read from that index, which holds the open alerts only, not from years of them.
        q = select(_a.c.id).where(_a.c.state != literal_column("'resolved'"), _a.c.type.in_(types))
        return {int(i) for i in (await conn.execute(q)).scalars().all()}


async def _open_ids(
    conn: AsyncConnection, pairs: list[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """The open alert of each (vessel, type) that has one."""
    found: dict[tuple[str, str], int] = {}
    for i in range(0, len(pairs), _OPEN_CHUNK):
        q = select(_a.c.vessel_id, _a.c.type, _a.c.id).where(
            _a.c.state != "resolved",
            tuple_(_a.c.vessel_id, _a.c.type).in_(pairs[i : i + _OPEN_CHUNK]),
        )
        found.update({(r[0], r[1]): int(r[2]) for r in (await conn.execute(q)).all()})
    return found
