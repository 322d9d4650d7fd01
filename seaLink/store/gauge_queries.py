"""Counts read from the store when /metrics is scraped: what is open now, not what happened."""

from __future__ import annotations

from sqlalchemy import func, select

from seaLink.store.db import Database
from seaLink.store.tables import Alert, Delivery

_a = Alert.__table__  # type: ignore[attr-defined]
_d = Delivery.__table__  # type: ignore[attr-defined]


async def open_alerts(db: Database) -> list[tuple[str, str, int]]:
    """(type, state, count) of alerts not yet resolved."""
    q = (
        select(_a.c.type, _a.c.state, func.count())
        .where(_a.c.state != "resolved", _a.c.exercise.is_(False))  # drills are not real alerts
        .group_by(_a.c.type, _a.c.state)
    )
    async with db.engine.connect() as conn:
        return [(str(t), str(s), int(n)) for t, s, n in (await conn.execute(q)).all()]


async def pending_deliveries(db: Database) -> list[tuple[str, int]]:
    """(state, count) of down messages not yet delivered: queued or sent (rank below delivered)."""
    q = select(_d.c.state, func.count()).where(_d.c.rank < 2).group_by(_d.c.state)
    async with db.engine.connect() as conn:
        return [(str(s), int(n)) for s, n in (await conn.execute(q)).all()]
