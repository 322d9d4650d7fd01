"""Leases and membership for several hubs on one database.

A lease is taken or renewed with one conditional UPDATE (the holder is me, or the lease has
expired), so two hubs can never both believe they hold it at the same moment of the database's
serial order. Times are the hubs' own UTC clocks; keep them in sync (NTP) and the lease several
heartbeats long.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update

from seaLink.store.db import Database
from seaLink.store.tables import Alert, HubLease, HubMember, Notification

_lease = HubLease.__table__  # type: ignore[attr-defined]
_member = HubMember.__table__  # type: ignore[attr-defined]


async def acquire(db: Database, name: str, holder: str, now: datetime, ttl_s: float) -> bool:
    """Take or renew lease `name` for `holder`; True if `holder` holds it until now + ttl."""
    expires = now + timedelta(seconds=ttl_s)
    async with db.engine.begin() as conn:
        await conn.execute(
            db.insert_ignore(_lease),
            [{"name": name, "holder": holder, "expires_at": now - timedelta(seconds=1)}],
        )
        result = await conn.execute(
            update(_lease)
            .where(
                _lease.c.name == name,
                or_(_lease.c.holder == holder, _lease.c.expires_at < now),
            )
            .values(holder=holder, expires_at=expires)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def release(db: Database, name: str, holder: str, now: datetime) -> None:
    """Give a lease up at once (a clean stop), so another hub need not wait for it to expire."""
    async with db.engine.begin() as conn:
        await conn.execute(
            update(_lease)
            .where(_lease.c.name == name, _lease.c.holder == holder)
            .values(expires_at=now - timedelta(seconds=1))
        )


async def holder_of(db: Database, name: str, now: datetime) -> str | None:
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                select(_lease.c.holder).where(_lease.c.name == name, _lease.c.expires_at >= now)
            )
        ).first()
    return str(row[0]) if row else None


async def heartbeat(
    db: Database, hub_id: str, client_id: str, now: datetime, started_at: datetime
) -> None:
    ins = db.insert(_member).values(
        hub_id=hub_id, client_id=client_id, heartbeat_at=now, started_at=started_at
    )
    stmt = ins.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=["hub_id"],
        set_={"heartbeat_at": now, "client_id": client_id, "started_at": started_at},
    )
    async with db.engine.begin() as conn:
        await conn.execute(stmt)


async def members(db: Database) -> dict[str, tuple[str, datetime]]:
    """hub id -> (MQTT client id, last heartbeat)."""
    async with db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(_member.c.hub_id, _member.c.client_id, _member.c.heartbeat_at)
            )
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


async def leave(db: Database, hub_id: str) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(delete(_member).where(_member.c.hub_id == hub_id))


async def unannounced_alerts(db: Database, raised_before: datetime | None = None) -> list[int]:
    """Raised alerts that nobody has been told of yet: a hub died between raising and telling."""
    a = Alert.__table__  # type: ignore[attr-defined]
    n = Notification.__table__  # type: ignore[attr-defined]
    q = select(a.c.id).where(a.c.state == "raised", ~exists().where(n.c.alert_id == a.c.id))
    if raised_before is not None:
        q = q.where(a.c.raised_at < raised_before)
    async with db.engine.connect() as conn:
        return [int(r[0]) for r in (await conn.execute(q)).all()]
