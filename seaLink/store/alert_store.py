"""Alerts in the store: the open ones that may escalate, who to tell, acknowledge, resolve."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update

from seaLink.services.notifiers import Recipient
from seaLink.store.db import Database
from seaLink.store.distress_status import display_name, queue_status, retire_receipts
from seaLink.store.phrases import log_columns
from seaLink.store.tables import (
    Alert,
    AlertEvent,
    Coordinator,
    DutyShift,
    Grid,
    GridCoordinator,
    Incident,
    IncidentLog,
    Notification,
    Vessel,
)
from seaLink.texts import Phrase

_a: Any = Alert.__table__  # type: ignore[attr-defined]
_ev: Any = AlertEvent.__table__  # type: ignore[attr-defined]
_c: Any = Coordinator.__table__  # type: ignore[attr-defined]
_duty: Any = DutyShift.__table__  # type: ignore[attr-defined]
_g: Any = Grid.__table__  # type: ignore[attr-defined]
_gc: Any = GridCoordinator.__table__  # type: ignore[attr-defined]
_inc: Any = Incident.__table__  # type: ignore[attr-defined]
_log: Any = IncidentLog.__table__  # type: ignore[attr-defined]
_n: Any = Notification.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _recipient(row: Any) -> Recipient:
    return Recipient(row.id, row.name, row.phone or "", row.email or "")


async def get_alert(db: Database, alert_id: int) -> dict[str, Any] | None:
    async with db.engine.connect() as conn:
        row = (await conn.execute(select(_a).where(_a.c.id == alert_id))).mappings().first()
        if row is None:
            return None
        events = (
            (await conn.execute(select(_ev).where(_ev.c.alert_id == alert_id).order_by(_ev.c.id)))
            .mappings()
            .all()
        )
        notes = (
            (await conn.execute(select(_n).where(_n.c.alert_id == alert_id).order_by(_n.c.id)))
            .mappings()
            .all()
        )
        hull = (
            await conn.execute(select(_v.c.hull_name).where(_v.c.id == row["vessel_id"]))
        ).scalar()
    out = {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in row.items()}
    out["data"] = json.loads(row["data"] or "{}")
    out["hull_name"] = hull
    out["events"] = [
        {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in e.items()} for e in events
    ]
    out["notifications"] = [
        {k: (_iso(v) if isinstance(v, datetime) else v) for k, v in n.items()} for n in notes
    ]
    return out


async def escalating(db: Database) -> list[tuple[int, datetime]]:
    """Open, unacknowledged alerts with an escalation booked."""
    q = select(_a.c.id, _a.c.escalate_at).where(
        _a.c.state == "raised", _a.c.escalate_at.is_not(None)
    )
    async with db.engine.connect() as conn:
        return [(int(r[0]), r[1]) for r in (await conn.execute(q)).all()]


async def recipients(db: Database, grid_id: str, level: int, now: datetime) -> list[Recipient]:
    """Level 0: on duty now (else the grid's workers); level 1: the leader and the backup."""
    async with db.engine.connect() as conn:
        shift = (
            await conn.execute(
                select(_duty.c.coordinator_id, _duty.c.backup_id)
                .where(_duty.c.grid_id == grid_id, _duty.c.starts_at <= now, _duty.c.ends_at > now)
                .order_by(_duty.c.starts_at.desc())
                .limit(1)
            )
        ).first()
        leader = (await conn.execute(select(_g.c.leader_id).where(_g.c.id == grid_id))).scalar()
        if level == 0:
            if shift is not None:
                ids = [shift[0]]
            else:
                ids = [
                    r[0]
                    for r in (
                        await conn.execute(
                            select(_gc.c.coordinator_id).where(_gc.c.grid_id == grid_id)
                        )
                    ).all()
                ]
                ids = [i for i in ids if i != leader] or ids
        else:
            ids = [i for i in (leader, shift[1] if shift else None) if i]
        if not ids:
            return []
        rows = (await conn.execute(select(_c).where(_c.c.id.in_(ids)).order_by(_c.c.id))).all()
    return [_recipient(r) for r in rows]


async def coordinator_names(db: Database, ids: set[str]) -> dict[str, str]:
    """The names of the coordinators (grid workers, leaders) with these ids."""
    if not ids:
        return {}
    async with db.engine.connect() as conn:
        rows = (await conn.execute(select(_c.c.id, _c.c.name).where(_c.c.id.in_(ids)))).all()
    return {str(r[0]): str(r[1]) for r in rows}


async def record_notifications(db: Database, rows: list[dict[str, Any]]) -> None:
    if rows:
        async with db.engine.begin() as conn:
            await conn.execute(_n.insert(), rows)


async def escalate(
    db: Database, alert_id: int, level: int, next_at: datetime | None, now: datetime, note: str
) -> bool:
    """Move to `level` if still unacknowledged; False if someone acted meanwhile."""
    async with db.engine.begin() as conn:
        result = await conn.execute(
            update(_a)
            .where(_a.c.id == alert_id, _a.c.state == "raised", _a.c.escalation_level < level)
            .values(escalation_level=level, escalate_at=next_at, updated_at=now)
        )
        if not result.rowcount:
            return False
        await conn.execute(
            _ev.insert().values(
                alert_id=alert_id,
                ts=now,
                action="escalated",
                phase=str(level),
                actor="system",
                note=note,
            )
        )
        inc = (await conn.execute(select(_a.c.incident_id).where(_a.c.id == alert_id))).scalar()
        if inc is not None:
            # In words of the reader's language, like the rest of the log.
            escalated = log_columns(Phrase("trail.escalated", {"level": level}))
            await conn.execute(
                _log.insert().values(
                    incident_id=inc, ts=now, actor="system", kind="escalated", **escalated
                )
            )
    return True


async def book_escalation(db: Database, alert_id: int, at: datetime | None) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            update(_a).where(_a.c.id == alert_id, _a.c.state == "raised").values(escalate_at=at)
        )


async def _trail(conn: Any, alert_id: int, now: datetime, action: str, who: str, note: str) -> None:
    await conn.execute(
        _ev.insert().values(
            alert_id=alert_id, ts=now, action=action, phase="", actor=who, note=note
        )
    )


async def silence(db: Database, alert_id: int, who: str, now: datetime, until: datetime) -> bool:
    """Stop the alert's sound until `until` (it stays open and unacknowledged)."""
    async with db.engine.begin() as conn:
        result = await conn.execute(
            update(_a)
            .where(_a.c.id == alert_id, _a.c.state != "resolved")
            .values(silenced_until=until, silenced_by=who, updated_at=now)
        )
        if not result.rowcount:
            return False
        await _trail(conn, alert_id, now, "silenced", who, until.isoformat())
    return True


async def assign(db: Database, alert_id: int, who: str, now: datetime, to: str) -> bool:
    async with db.engine.begin() as conn:
        result = await conn.execute(
            update(_a)
            .where(_a.c.id == alert_id, _a.c.state != "resolved")
            .values(assigned_to=to, updated_at=now)
        )
        if not result.rowcount:
            return False
        await _trail(conn, alert_id, now, "assigned", who, to)
    return True


async def comment(db: Database, alert_id: int, who: str, now: datetime, text: str) -> None:
    async with db.engine.begin() as conn:
        await _trail(conn, alert_id, now, "comment", who, text)
        await conn.execute(update(_a).where(_a.c.id == alert_id).values(updated_at=now))


async def acknowledge(db: Database, alert_id: int, who: str, now: datetime, note: str) -> bool:
    async with db.engine.begin() as conn:
        result = await conn.execute(
            update(_a)
            .where(_a.c.id == alert_id, _a.c.state == "raised")
            .values(
                state="acknowledged", acked_by=who, acked_at=now, escalate_at=None, updated_at=now
            )
        )
        if not result.rowcount:
            return False
        await conn.execute(
            _ev.insert().values(
                alert_id=alert_id, ts=now, action="acknowledged", phase="", actor=who, note=note
            )
        )
        inc = (await conn.execute(select(_a.c.incident_id).where(_a.c.id == alert_id))).scalar()
        if inc is not None:
            await conn.execute(
                _log.insert().values(
                    incident_id=inc,
                    ts=now,
                    actor=who,
                    kind="acknowledged",
                    **log_columns(Phrase("log.acknowledged", {"by": who, "note": note})),
                )
            )
        name = await display_name(conn, who)
        seen = Phrase("down.distress_status.seen", {"by": name, "at": now})
        await queue_status(conn, db, alert_id, "seen", seen, {"by": name}, now)
    return True


async def resolve(
    db: Database, alert_id: int, who: str, now: datetime, outcome: str, note: str
) -> bool:
    async with db.engine.begin() as conn:
        result = await conn.execute(
            update(_a)
            .where(_a.c.id == alert_id, or_(_a.c.state == "raised", _a.c.state == "acknowledged"))
            .values(
                state="resolved",
                outcome=outcome,
                resolved_at=now,
                escalate_at=None,
                updated_at=now,
                acked_by=_a.c.acked_by,
                acked_at=_a.c.acked_at,
            )
        )
        if not result.rowcount:
            return False
        await conn.execute(
            _ev.insert().values(
                alert_id=alert_id, ts=now, action="resolved", phase=outcome, actor=who, note=note
            )
        )
        inc = (await conn.execute(select(_a.c.incident_id).where(_a.c.id == alert_id))).scalar()
        if inc is not None:
            await conn.execute(
                _log.insert().values(
                    incident_id=inc,
                    ts=now,
                    actor=who,
                    kind="resolved",
                    **log_columns(Phrase("log.resolved", {"outcome": outcome, "note": note})),
                )
            )
            await conn.execute(
                update(_inc)
                .where(and_(_inc.c.id == inc, _inc.c.closed_at.is_(None)))
                .values(closed_at=now)
            )
        closed = Phrase("down.distress_status.closed", {"outcome": outcome})
        await queue_status(conn, db, alert_id, "closed", closed, {"outcome": outcome}, now)
        await retire_receipts(conn, alert_id, now)
    return True
