"""Broadcasts: creation with their outbox rows in one transaction, and the roll-up queries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from seaLink.domain.messaging import DONE_RANK, RANK, DeliveryState
from seaLink.store.db import Database
from seaLink.store.outbox_store import OutboxStore
from seaLink.store.tables import AuditLog, Broadcast, Delivery, Vessel, VesselState

_b: Any = Broadcast.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]
_audit: Any = AuditLog.__table__  # type: ignore[attr-defined]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


async def create_broadcast(
    db: Database,
    outbox: OutboxStore,
    row: dict[str, Any],
    deliveries: list[dict[str, Any]],
    audited: dict[str, Any],
    *,
    shown: bool = False,
) -> tuple[int, dict[str, Any] | None]:
    """Insert the broadcast, one queued delivery per vessel and the audit entry (`audited`, its
    target set to the broadcast) in one transaction; `deliveries` get the new id and a `payload`
    built by calling row['_payload'](broadcast_id, vessel_id). With `shown`, the coordinator's
    answer too (the broadcast and its roll-up), read in the same transaction: it shows it as
    created (every boat queued), whatever the outbox, busy with an earlier round, sends in the
    moment after the commit."""
    build = row.pop("_payload")
    async with db.engine.begin() as conn:
        result = await conn.execute(_b.insert().values(**row))
        key = result.inserted_primary_key
        assert key is not None
        bid = int(key[0])
        for d in deliveries:
            d["broadcast_id"] = bid
            d["msg_id"] = f"b{bid}-{d['vessel_id']}"
            d["payload"] = build(bid, d["vessel_id"], d["msg_id"])
        await outbox.insert(conn, deliveries)
        await conn.execute(_audit.insert().values(**audited, target=f"broadcast/{bid}"))
        if not shown:
            return bid, None
        stored = (await conn.execute(select(_b).where(_b.c.id == bid))).mappings().one()
        counts = (await conn.execute(_counts_query(bid))).all()
        missing = (await conn.execute(_missing_query(bid, row["reply"], 500))).all()
    return bid, {
        "broadcast": _broadcast_dict(stored),
        "rollup": _rollup_dict(bid, row["reply"], counts, missing),
    }


async def get_broadcast(db: Database, bid: int) -> dict[str, Any] | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(_b).where(_b.c.id == bid))).mappings().first()
    return None if row is None else _broadcast_dict(row)


def _broadcast_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "title": row["title"],
        "body": row["body"],
        "priority": row["priority"],
        "reply": row["reply"],
        "per_crew": bool(row["per_crew"]),
        "signal": row["signal"],
        "recall_deadline": _iso(row["recall_deadline"]),
        "target": json.loads(row["target"]),
        "created_by": row["created_by"],
        "created_at": _iso(row["created_at"]),
        "expires_at": _iso(row["expires_at"]),
        "grids": [g for g in row["grid_ids"].split(",") if g],
    }


async def list_broadcasts(
    db: Database, grid_ids: list[str] | None, limit: int = 200
) -> list[dict[str, Any]]:
    q = select(_b).order_by(_b.c.id.desc()).limit(limit)
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).mappings().all()
    out = [_broadcast_dict(r) for r in rows]
    if grid_ids is not None:
        allowed = set(grid_ids)
        out = [b for b in out if set(b["grids"]) <= allowed]
    return out


async def _all(db: Database, query: Any) -> Sequence[Any]:
    async with db.engine.connect() as conn:
        return (await conn.execute(query)).all()


async def rollup(db: Database, bid: int, reply: str, *, missing_limit: int = 500) -> dict[str, Any]:
    """Counts per state and per grid, and the boats still missing with their last contact."""
    # Side by side on two connections: on a busy hub each trip to the store waits a turn of the
    # event loop, and a coordinator waits for the roll-up.
    if missing_limit:
        counts, missing = await asyncio.gather(
            _all(db, _counts_query(bid)), _all(db, _missing_query(bid, reply, missing_limit))
        )
    else:
        counts, missing = await _all(db, _counts_query(bid)), []
    return _rollup_dict(bid, reply, counts, missing)


def _counts_query(bid: int) -> Any:
    return (
        select(_d.c.grid_id, _d.c.state, func.count())
        .where(_d.c.broadcast_id == bid)
        .group_by(_d.c.grid_id, _d.c.state)
    )


def _missing_query(bid: int, reply: str, limit: int) -> Any:
    return (
        select(
            _d.c.vessel_id,
            _d.c.grid_id,
            _d.c.state,
            _v.c.hull_name,
            _vs.c.last_heard,
            _vs.c.link_status,
            _d.c.attempts,
            _d.c.sent_at,
        )
        .select_from(
            _d.join(_v, _v.c.id == _d.c.vessel_id).outerjoin(_vs, _vs.c.vessel_id == _d.c.vessel_id)
        )
        .where(_d.c.broadcast_id == bid, _d.c.rank < DONE_RANK.get(reply, 2))
        .order_by(_d.c.grid_id, _d.c.vessel_id)
        .limit(limit)
    )


def _rollup_dict(
    bid: int, reply: str, counts: Sequence[Any], missing: Sequence[Any]
) -> dict[str, Any]:
    done = DONE_RANK.get(reply, 2)
    totals = {s.value: 0 for s in DeliveryState}
    grids: dict[str, dict[str, Any]] = {}
    for grid, state, n in counts:
        totals[state] += n
        g = grids.setdefault(grid, {"total": 0, "done": 0, "states": {}})
        g["total"] += n
        g["states"][state] = g["states"].get(state, 0) + n
        if RANK[DeliveryState(state)] >= done and state not in ("expired", "failed"):
            g["done"] += n
    total = sum(totals.values())
    done_n = sum(g["done"] for g in grids.values())
    return {
        "broadcast_id": bid,
        "reply": reply,
        "total": total,
        "done": done_n,
        "states": totals,
        "grids": [{"grid_id": k, **v} for k, v in sorted(grids.items())],
        "summary": f"{done_n}/{total} {'acknowledged' if reply == 'confirm' else 'read' if reply == 'read' else 'delivered'}",
        "missing": [
            {
                "vessel_id": r[0],
                "grid_id": r[1],
                "state": r[2],
                "hull_name": r[3],
                "last_heard": _iso(r[4]),
                "link_status": r[5],
                "attempts": r[6],
                "sent_at": _iso(r[7]),
            }
            for r in missing
        ],
    }


async def deliveries_of(db: Database, bid: int) -> list[dict[str, Any]]:
    q = (
        select(
            _d.c.vessel_id,
            _d.c.grid_id,
            _d.c.msg_id,
            _d.c.state,
            _d.c.link,
            _d.c.copies,
            _d.c.ack_link,
            _d.c.attempts,
            _d.c.queued_at,
            _d.c.sent_at,
            _d.c.delivered_at,
            _d.c.read_at,
            _d.c.acked_at,
            _d.c.closed_at,
        )
        .where(_d.c.broadcast_id == bid)
        .order_by(_d.c.vessel_id)
    )
    async with db.engine.connect() as conn:
        rows = (await conn.execute(q)).mappings().all()
    out = [{k: (_iso(v) if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows]
    for d in out:
        d["copies"] = [c for c in (d["copies"] or "").split(",") if c]
    return out


async def rearm_undelivered(db: Database, bid: int, now: datetime) -> int:
    """Send again, now, every message of a broadcast that is not yet delivered nor expired;
    messages the outbox gave up on (failed) get a fresh start."""
    from sqlalchemy import case, or_, update

    async with db.engine.begin() as conn:
        result = await conn.execute(
            update(_d)
            .where(
                _d.c.broadcast_id == bid,
                _d.c.rank <= 1,
                or_(_d.c.closed_at.is_(None), _d.c.state == "failed"),
                or_(_d.c.expires_at.is_(None), _d.c.expires_at > now),
            )
            .values(
                next_attempt_at=now,
                closed_at=None,
                attempts=0,
                state=case((_d.c.state == "failed", "sent"), else_=_d.c.state),
            )
        )
    return int(result.rowcount or 0)
