"""Persists contact changes: the vessel's contact state and the lost-contact / maintenance alerts
with their audit trail. One transaction per group of changes.

A group is written set-wise: a fixed handful of statements however many alerts it raises,
advances or resolves (hundreds resolve at once when a fleet is heard again after an outage).
Statement by statement, such a group held SQLite's one write lock for seconds while the ingest
writer waited. A group in which one vessel changes twice is written change by change, in order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from seaLink.domain.contact import PHASE_SEVERITY, ContactState
from seaLink.domain.contact_book import ContactChange
from seaLink.store.db import Database
from seaLink.store.phrases import detail_columns
from seaLink.store.tables import Alert, AlertEvent, VesselState
from seaLink.texts import Phrase, render

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
        if not changes:
            return out
        # Rows in vessel id order (a vessel's own changes keep theirs, which is time order), as
        # the ingest writer touches them: concurrent writers never wait on each other in a circle.
        changes = sorted(changes, key=lambda c: c.vessel_id)
        async with self._db.engine.begin() as conn:
            await conn.execute(
                _UPDATE_STATE,
                [{"vid": c.vessel_id, "state": c.state.value, "since": c.at} for c in changes],
            )
            if len({c.vessel_id for c in changes}) < len(changes):
                for c in changes:
                    out.extend(await _alerts_for(conn, c))
            else:
                out = await _alerts_set_wise(conn, changes)
        return out


_UPDATE_STATE = (
    update(_vs)
    .where(_vs.c.vessel_id == bindparam("vid"))
    .values(contact_state=bindparam("state"), contact_since=bindparam("since"))
)
# A new SAR phase is a new situation: the alert waits for acknowledgement again, and the
# alerting service tells people and books its escalation afresh (from `phase_at`).
_ADVANCE = (
    update(_alert)
    .where(_alert.c.id == bindparam("aid"))
    .values(
        phase=bindparam("phase"), severity=bindparam("severity"), updated_at=bindparam("at"),
        phase_at=bindparam("at"), state="raised", acked_by=None, acked_at=None,
        escalation_level=0, escalate_at=None,
    )
)  # fmt: skip
_RESOLVE = (
    update(_alert)
    .where(_alert.c.id == bindparam("aid"))
    .values(
        state="resolved",
        outcome="contact_restored",
        resolved_at=bindparam("at"),
        updated_at=bindparam("at"),
    )
)
_PAIRS_PER_QUERY = 400


@dataclass(slots=True)
class _Step:
    """One alert change of the group, in the order the one-by-one path would make it."""

    change: ContactChange
    type: str
    action: str  # raised / phase / resolved
    phase: str
    severity: str
    note: str
    alert_id: int = 0
    phrase: Phrase | None = None  # the detail of an alert raised or moved on


def _detail(type_: str, last_heard: datetime | None) -> Phrase:
    """What a lost-contact or silent-in-port alert says."""
    if last_heard is None:
        return Phrase(f"alert.{type_}.never")
    return Phrase(f"alert.{type_}", {"last_heard": last_heard})


def _heard_again(link: str | None) -> str:
    return (
        render(Phrase("trail.heard_again", {"link": link}))
        if link
        else render(Phrase("trail.heard_again.any"))
    )


def _steps(c: ContactChange, open_: dict[tuple[str, str], int]) -> list[_Step]:
    """What `_alerts_for` does for one change, decided against the open alerts."""
    steps: list[_Step] = []
    resolve_note = _heard_again(c.link)
    for type_, was in ((LOST_CONTACT, ContactState.LOST), (MAINTENANCE, ContactState.MAINTENANCE)):
        if c.old_state is was and c.state is not was:
            alert_id = open_.get((c.vessel_id, type_))
            if alert_id is not None:
                steps.append(_Step(c, type_, "resolved", "", "", resolve_note, alert_id))
    raise_: tuple[str, str, str] | None = None
    if c.state is ContactState.LOST and c.phase is not None:
        raise_ = (LOST_CONTACT, c.phase.value, PHASE_SEVERITY[c.phase])
    elif c.state is ContactState.MAINTENANCE and c.old_state is not ContactState.MAINTENANCE:
        raise_ = (MAINTENANCE, "", "notice")
    if raise_ is not None:
        type_, phase, severity = raise_
        phrase = _detail(type_, c.last_heard)
        existing = open_.get((c.vessel_id, type_))
        action = "phase" if existing is not None else "raised"
        steps.append(
            _Step(c, type_, action, phase, severity, render(phrase), existing or 0, phrase)
        )
    return steps


async def _alerts_set_wise(
    conn: AsyncConnection, changes: Sequence[ContactChange]
) -> list[AlertChange]:
    """`_alerts_for` for a group of changes of distinct vessels, in a few statements."""
    pairs = sorted({(c.vessel_id, t) for c in changes for t in (LOST_CONTACT, MAINTENANCE)})
    open_: dict[tuple[str, str], int] = {}
    for i in range(0, len(pairs), _PAIRS_PER_QUERY):
        q = select(_alert.c.vessel_id, _alert.c.type, _alert.c.id).where(
            _alert.c.state != "resolved",
            tuple_(_alert.c.vessel_id, _alert.c.type).in_(pairs[i : i + _PAIRS_PER_QUERY]),
        )
        open_.update({(r[0], r[1]): int(r[2]) for r in (await conn.execute(q)).all()})
    steps = [step for c in changes for step in _steps(c, open_)]
    new = [s for s in steps if s.action == "raised"]
    if new:
        # One multi-row INSERT ... RETURNING, matched back by (vessel, type): one per group.
        back = await conn.execute(
            _alert.insert().returning(_alert.c.id, _alert.c.vessel_id, _alert.c.type),
            [
                {"vessel_id": s.change.vessel_id, "grid_id": s.change.grid_id, "type": s.type,
                 "severity": s.severity, "phase": s.phase, "state": "raised",
                 "raised_at": s.change.at, "updated_at": s.change.at,
                 **detail_columns(s.phrase or Phrase(""))}
                for s in new
            ],
        )  # fmt: skip
        ids = {(r[1], r[2]): int(r[0]) for r in back.all()}
        for s in new:
            s.alert_id = ids[(s.change.vessel_id, s.type)]
    by_alert = sorted(steps, key=lambda s: s.alert_id)  # rows in id order, as in every writer
    advance = [
        {"aid": s.alert_id, "phase": s.phase, "severity": s.severity, "at": s.change.at}
        for s in by_alert
        if s.action == "phase"
    ]
    if advance:
        await conn.execute(_ADVANCE, advance)
    resolve = [{"aid": s.alert_id, "at": s.change.at} for s in by_alert if s.action == "resolved"]
    if resolve:
        await conn.execute(_RESOLVE, resolve)
    if steps:
        await conn.execute(
            _event.insert(),
            [
                {"alert_id": s.alert_id, "ts": s.change.at, "action": s.action,
                 "phase": s.phase, "note": s.note}
                for s in steps
            ],
        )  # fmt: skip
    return [_announced(s) for s in steps]


def _announced(s: _Step) -> AlertChange:
    c = s.change
    return AlertChange(
        s.alert_id, c.vessel_id, c.grid_id, s.type, s.action, s.phase, s.severity, c.at
    )


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
    conn: AsyncConnection, c: ContactChange, type_: str, phase: str, severity: str
) -> AlertChange:
    phrase = _detail(type_, c.last_heard)
    detail = render(phrase)
    existing = await _open_alert(conn, c.vessel_id, type_)
    if existing is not None:
        await conn.execute(
            _ADVANCE, {"aid": existing, "phase": phase, "severity": severity, "at": c.at}
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
            **detail_columns(phrase),
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
    note = _heard_again(c.link)
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
    if c.old_state is ContactState.LOST and c.state is not ContactState.LOST:
        r = await _resolve(conn, c, LOST_CONTACT)
        if r:
            out.append(r)
    if c.old_state is ContactState.MAINTENANCE and c.state is not ContactState.MAINTENANCE:
        r = await _resolve(conn, c, MAINTENANCE)
        if r:
            out.append(r)
    if c.state is ContactState.LOST and c.phase is not None:
        out.append(await _raise(conn, c, LOST_CONTACT, c.phase.value, PHASE_SEVERITY[c.phase]))
    elif c.state is ContactState.MAINTENANCE and c.old_state is not ContactState.MAINTENANCE:
        out.append(await _raise(conn, c, MAINTENANCE, "", "notice"))
    return out
