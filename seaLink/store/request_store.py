"""Fishermen's requests: the inbox rows, their log, replies as tracked down messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from seaLink.store.db import Database
from seaLink.store.tables import Delivery, FisherRequest, RequestLog, Vessel

_r: Any = FisherRequest.__table__  # type: ignore[attr-defined]
_l: Any = RequestLog.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]


def _iso(v: Any) -> Any:
    return v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v


async def insert_requests(
    conn: Any, db: Database, rows: list[dict[str, Any]]
) -> dict[int, tuple[str, tuple[str, str]]]:
    """Insert new requests (a redelivery is a no-op) and log their arrival; returns the new ids
    with their grids and (vessel id, request id)."""
    new_ids: dict[int, tuple[str, tuple[str, str]]] = {}
    for row in rows:
        exists = (await conn.execute(select(_r.c.id).where(
            _r.c.vessel_id == row["vessel_id"], _r.c.request_id == row["request_id"]))).first()  # fmt: skip
        if exists is not None:
            continue
        key = (await conn.execute(_r.insert().values(**row))).inserted_primary_key
        assert key is not None
        rid = int(key[0])
        await conn.execute(
            _l.insert().values(
                request_pk=rid,
                ts=row["received_at"],
                actor=f"vessel:{row['vessel_id']}",
                kind="received",
                text=row["text"],
            )
        )
        new_ids[rid] = (row["grid_id"], (row["vessel_id"], row["request_id"]))
    return new_ids


async def list_requests(
    db: Database, grid_ids: list[str] | None, state: str | None
) -> list[dict[str, Any]]:
    q = (select(_r, _v.c.hull_name).select_from(_r.join(_v, _v.c.id == _r.c.vessel_id))
         .order_by(_r.c.received_at.desc()).limit(500))  # fmt: skip
    if grid_ids is not None:
        q = q.where(_r.c.grid_id.in_(grid_ids))
    if state:
        q = q.where(_r.c.state == state)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).mappings().all()
    return [{k: _iso(v) for k, v in r.items()} for r in rows]


async def get_request(db: Database, rid: int) -> dict[str, Any] | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(_r, _v.c.hull_name).select_from(_r.join(_v, _v.c.id == _r.c.vessel_id))
                                  .where(_r.c.id == rid))).mappings().first()  # fmt: skip
        if row is None:
            return None
        log = (
            (await conn.execute(select(_l).where(_l.c.request_pk == rid).order_by(_l.c.id)))
            .mappings()
            .all()
        )
        msg_ids = [e["msg_id"] for e in log if e["msg_id"]]
        states = (
            dict(
                (
                    await conn.execute(
                        select(_d.c.msg_id, _d.c.state).where(_d.c.msg_id.in_(msg_ids))
                    )
                )
                .tuples()
                .all()
            )
            if msg_ids
            else {}
        )
    out = {k: _iso(v) for k, v in row.items()}
    out["log"] = [
        {k: _iso(v) for k, v in e.items()} | {"delivery": states.get(e["msg_id"])} for e in log
    ]
    return out


async def add_log(db: Database, rid: int, ts: datetime, actor: str, kind: str, text: str, msg_id: str | None = None,
                  **changes: Any) -> None:  # fmt: skip
    async with db.engine.begin() as conn:
        if changes:
            await conn.execute(update(_r).where(_r.c.id == rid).values(**changes))
        await conn.execute(
            _l.insert().values(
                request_pk=rid, ts=ts, actor=actor, kind=kind, text=text, msg_id=msg_id
            )
        )


async def reply(
    db: Database, rid: int, ts: datetime, actor: str, text: str, delivery: dict[str, Any]
) -> None:
    """Queue the reply in the outbox and log it, in one transaction."""
    async with db.engine.begin() as conn:
        await conn.execute(_d.insert().values(**delivery))
        await conn.execute(update(_r).where(_r.c.id == rid).values(
            state="answered", replies=_r.c.replies + 1))  # fmt: skip
        await conn.execute(
            _l.insert().values(
                request_pk=rid,
                ts=ts,
                actor=actor,
                kind="replied",
                text=text,
                msg_id=delivery["msg_id"],
            )
        )


async def waiting(db: Database) -> list[tuple[int, datetime, int]]:
    """Open (unanswered) requests: id, due time, reminders sent."""
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(_r.c.id, _r.c.due_at, _r.c.reminded).where(_r.c.state == "open")
            )
        ).all()
    return [(int(r[0]), r[1], int(r[2])) for r in rows]
