"""Persists contact changes: the vessel's contact state and the lost-contact / maintenance alerts
with their audit trail. One transaction per group of changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from seaLink.domain.contact import PHASE_SEVERITY, ContactState
from seaLink.domain.contact_book import ContactChange
from seaLink.store.db import Database
from seaLink.store.tables import Alert, AlertEvent, VesselState

LOST_CONTACT = "lost_contact"
MAINTENANCE = "maintenance"

_alert = Alert.__table__  # type: ignore[attr-defined]
_event = AlertEvent.__table__  # type: ignore[attr-defined]
_vs = VesselState.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class AlertChange:
    """What happened to an alert, for the notifiers once committed."""

    alert_id: int
    vessel_id: str
    grid_id: str
    type: str
    action: str  # raised / phase / resolved
    phase: str
    severity: str
    at: datetime


class ContactWriter:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def apply(self, changes: Sequence[ContactChange]) -> list[AlertChange]:
        out: list[AlertChange] = []
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_vs)
                .where(_vs.c.vessel_id == bindparam("vid"))
                .values(contact_state=bindparam("state"), contact_since=bindparam("since")),
                [{"vid": c.vessel_id, "state": c.state.value, "since": c.at} for c in changes],
            )
            for c in changes:
                out.extend(await _alerts_for(conn, c))
        return out


async def _open_alert(conn: AsyncConnection, vessel_id: str, type_: str) -> int | None:
    row = (
        await conn.execute(
            select(_alert.c.id).where(
                _alert.c.vessel_id == vessel_id,
                _alert.c.type == type_,
                _alert.c.state != "resolved",
            )
        )
    ).first()
    return None if row is None else int(row[0])


async def _raise(
    conn: AsyncConnection, c: ContactChange, type_: str, phase: str, severity: str, detail: str
) -> AlertChange:
    existing = await _open_alert(conn, c.vessel_id, type_)
    if existing is not None:
        await conn.execute(
            update(_alert)
            .where(_alert.c.id == existing)
            .values(phase=phase, severity=severity, updated_at=c.at)
        )
        await conn.execute(
            _event.insert().values(
                alert_id=existing, ts=c.at, action="phase", phase=phase, note=detail
            )
        )
        return AlertChange(existing, c.vessel_id, c.grid_id, type_, "phase", phase, severity, c.at)
    result = await conn.execute(
        _alert.insert().values(
            vessel_id=c.vessel_id,
            grid_id=c.grid_id,
            type=type_,
            severity=severity,
            phase=phase,
            state="raised",
            raised_at=c.at,
            updated_at=c.at,
            detail=detail,
        )
    )
    alert_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    await conn.execute(
        _event.insert().values(
            alert_id=alert_id, ts=c.at, action="raised", phase=phase, note=detail
        )
    )
    return AlertChange(alert_id, c.vessel_id, c.grid_id, type_, "raised", phase, severity, c.at)


async def _resolve(conn: AsyncConnection, c: ContactChange, type_: str) -> AlertChange | None:
    existing = await _open_alert(conn, c.vessel_id, type_)
    if existing is None:
        return None
    note = f"heard again via {c.link}" if c.link else "heard again"
    await conn.execute(
        update(_alert)
        .where(_alert.c.id == existing)
        .values(state="resolved", outcome="contact_restored", resolved_at=c.at, updated_at=c.at)
    )
    await conn.execute(
        _event.insert().values(alert_id=existing, ts=c.at, action="resolved", phase="", note=note)
    )
    return AlertChange(existing, c.vessel_id, c.grid_id, type_, "resolved", "", "", c.at)


async def _alerts_for(conn: AsyncConnection, c: ContactChange) -> list[AlertChange]:
    out: list[AlertChange] = []
    heard = c.last_heard.isoformat() if c.last_heard else "never"
    if c.old_state is ContactState.LOST and c.state is not ContactState.LOST:
        r = await _resolve(conn, c, LOST_CONTACT)
        if r:
            out.append(r)
    if c.old_state is ContactState.MAINTENANCE and c.state is not ContactState.MAINTENANCE:
        r = await _resolve(conn, c, MAINTENANCE)
        if r:
            out.append(r)
    if c.state is ContactState.LOST and c.phase is not None:
        out.append(
            await _raise(
                conn, c, LOST_CONTACT, c.phase.value, PHASE_SEVERITY[c.phase], f"last heard {heard}"
            )
        )
    elif c.state is ContactState.MAINTENANCE and c.old_state is not ContactState.MAINTENANCE:
        out.append(
            await _raise(conn, c, MAINTENANCE, "", "notice", f"silent in port since {heard}")
        )
    return out
