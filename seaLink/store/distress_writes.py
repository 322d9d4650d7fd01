"""A distress in the store, in the same transaction as the batch that carried it: the one open
distress alert of the vessel (repeats update it), its incident and log, and the `distress_ack`
in the outbox. The terminal repeats its distress until that ack reaches it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from seaLink.domain.events import DistressCancelRequested, DistressRaised, DistressRepeated
from seaLink.domain.messaging import DISTRESS_PRIORITY
from seaLink.store.db import Database
from seaLink.store.distress_status import receipt_msg_id
from seaLink.store.phrases import BOAT_LANG, detail_columns, log_columns
from seaLink.store.tables import (
    Alert,
    AlertEvent,
    Delivery,
    DistressReport,
    Incident,
    IncidentLog,
    VesselState,
)
from seaLink.texts import Phrase, exercised, render
from seaLink.wire.payloads import DistressPayload, DownKind, DownMessage

_a: Any = Alert.__table__  # type: ignore[attr-defined]
_dr: Any = DistressReport.__table__  # type: ignore[attr-defined]
_ev: Any = AlertEvent.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_inc: Any = Incident.__table__  # type: ignore[attr-defined]
_ilog: Any = IncidentLog.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class DistressItem:
    vessel_id: str
    grid_id: str
    hull_name: str
    payload: DistressPayload
    link: str
    # False: the message gave no position (an AIS MAYDAY text), its lat/lon are placeholders;
    # the vessel's last known position stands in, or none.
    position_known: bool = True
    # The report's key in the uplink journal: a second copy of the same report (a broker
    # redelivery, or the copy of the hub's other session) changes nothing.
    journal_key: str | None = None


def _ack_message(item: DistressItem, now: datetime, msg_id: str, unknown: bool = False) -> str:
    p = item.payload
    which = "down.distress_ack"
    if p.cancel:
        which = "down.distress_cancel_unknown" if unknown else "down.distress_cancel_ack"
    args = {"vessel": item.hull_name, "nature": p.nature.value, "distress_id": p.distress_id}
    title = render(exercised(Phrase(f"{which}.title", args), p.exercise), BOAT_LANG)
    body = render(Phrase(f"{which}.body", args), BOAT_LANG)
    msg = DownMessage(
        msg_id=msg_id,
        kind=DownKind.DISTRESS_ACK,
        priority=DISTRESS_PRIORITY,
        title=title,
        body=body,
        issued=now,
        expires=now + timedelta(hours=6),
        ack="none",
        distress_id=p.distress_id,
        cancel=p.cancel or None,
        unknown=unknown or None,  # a cancel of a distress id the shore never had
        exercise=p.exercise or None,
    )
    return msg.model_dump_json(exclude_none=True)


async def _queue_ack(
    conn: AsyncConnection, db: Database, item: DistressItem, now: datetime, *, unknown: bool = False
) -> None:
    """Queue the distress_ack once; a repeat means the terminal has not got it yet: send again."""
    suffix = "cancel" if item.payload.cancel else "ack"
    msg_id = receipt_msg_id(item.vessel_id, item.payload.distress_id, suffix)
    row = {
        "msg_id": msg_id, "vessel_id": item.vessel_id, "grid_id": item.grid_id,
        "kind": DownKind.DISTRESS_ACK.value, "priority": DISTRESS_PRIORITY,
        "payload": _ack_message(item, now, msg_id, unknown), "state": "queued", "rank": 0, "attempts": 0,
        "next_attempt_at": now, "queued_at": now, "expires_at": now + timedelta(hours=6), "last_error": "",
    }  # fmt: skip
    await conn.execute(db.insert_ignore(_d), [row])
    await conn.execute(
        update(_d)
        .where(_d.c.msg_id == msg_id, _d.c.rank <= 1)
        .values(next_attempt_at=now, closed_at=None)
    )


async def _log_entry(
    conn: AsyncConnection, incident_id: int | None, now: datetime, actor: str, kind: str,
    phrase: Phrase,
) -> None:  # fmt: skip
    if incident_id is not None:
        await conn.execute(_ilog.insert().values(incident_id=incident_id, ts=now, actor=actor,
                                                 kind=kind, **log_columns(phrase)))  # fmt: skip


async def apply_distress(
    conn: AsyncConnection, db: Database, item: DistressItem, now: datetime, escalate_at: datetime
) -> DistressRaised | DistressRepeated | DistressCancelRequested | None:
    """Store one distress report; None for a cancellation of no open distress."""
    p = item.payload
    known = (await conn.execute(select(_dr.c.alert_id).where(
        _dr.c.vessel_id == item.vessel_id, _dr.c.distress_id == p.distress_id))).scalar()  # fmt: skip
    columns = (_a.c.id, _a.c.incident_id, _a.c.event_ts, _a.c.ref, _a.c.state)
    if known is not None:  # this very distress id has been seen: its alert, open or closed
        existing = (await conn.execute(select(*columns).where(_a.c.id == known))).first()
    else:  # another distress id while one is open is the same emergency
        existing = (await conn.execute(select(*columns).where(
            _a.c.vessel_id == item.vessel_id, _a.c.type == "distress", _a.c.state != "resolved",
            _a.c.exercise.is_(p.exercise)))).first()  # a drill never merges with a real call  # fmt: skip
    lat: float | None = p.lat
    lon: float | None = p.lon
    if not item.position_known:
        last = (
            await conn.execute(
                select(_vs.c.lat, _vs.c.lon).where(_vs.c.vessel_id == item.vessel_id)
            )
        ).first()
        lat, lon = (last[0], last[1]) if last is not None and last[1] is not None else (None, None)
    where = [lat, lon]  # [None, None]: the position is unknown
    who = f"vessel:{item.vessel_id}"
    unknown_cancel = p.cancel and known is None
    if item.link != "ais":  # an AIS beacon cannot receive; a terminal repeats until acknowledged
        await _queue_ack(conn, db, item, now, unknown=unknown_cancel)
    if unknown_cancel:
        return None  # nothing to cancel: the receipt says so, and the terminal stops
    if existing is not None and existing[4] == "resolved":
        return None  # a repeat (or a cancel) of a distress already closed: receipt only
    if known is None and existing is not None:
        await conn.execute(_dr.insert().values(vessel_id=item.vessel_id, distress_id=p.distress_id,
                                               alert_id=int(existing[0]), first_at=now))  # fmt: skip
    if p.cancel:
        if existing is None:
            return None
        alert_id, incident_id = int(existing[0]), existing[1]
        await conn.execute(
            _ev.insert().values(
                alert_id=alert_id,
                ts=now,
                action="cancel_requested",
                phase="distress",
                actor=who,
                note=p.reason or "",
            )
        )
        await _log_entry(conn, incident_id, now, who, "cancel_requested",
                         Phrase("log.cancel_requested", {"reason": p.reason}))  # fmt: skip
        await conn.execute(
            update(_a)
            .where(_a.c.id == alert_id)
            .values(
                updated_at=now,
                data=json.dumps(
                    {"cancel_requested": True, "cancel_reason": p.reason}, ensure_ascii=False
                ),
            )
        )
        return DistressCancelRequested(
            alert_id, incident_id, item.vessel_id, item.grid_id, now, p.exercise
        )
    data = json.dumps(
        {"nature": p.nature.value, "persons": p.persons, "text": p.text, "link": item.link},
        ensure_ascii=False,
    )
    if existing is not None:
        alert_id, incident_id, event_ts = int(existing[0]), existing[1], existing[2]
        newer = event_ts is None or p.ts > event_ts
        values: dict[str, Any] = {"repeats": _a.c.repeats + 1, "updated_at": now}
        if newer:  # the newest report stands: nature, persons, position, in words too
            values.update(event_ts=p.ts, data=data, **detail_columns(exercised(Phrase(
                "alert.distress", {"nature": p.nature.value, "persons": p.persons, "where": where}), p.exercise)))  # fmt: skip
            if lat is not None:
                values.update(lat=lat, lon=lon)
        await conn.execute(update(_a).where(_a.c.id == alert_id).values(**values))
        if existing[3] != p.distress_id:
            await _log_entry(conn, incident_id, now, who, "distress",
                             Phrase("log.new_distress_id", {"distress_id": p.distress_id, "where": where}))  # fmt: skip
        return DistressRepeated(
            alert_id, incident_id, item.vessel_id, item.grid_id, now, p.exercise
        )
    result = await conn.execute(
        _a.insert().values(
            vessel_id=item.vessel_id,
            grid_id=item.grid_id,
            type="distress",
            severity="critical",
            phase="distress",
            state="raised",
            raised_at=now,
            updated_at=now,
            **detail_columns(
                exercised(
                    Phrase(
                        "alert.distress",
                        {"nature": p.nature.value, "persons": p.persons, "where": where},
                    ),
                    p.exercise,
                )
            ),
            ref=p.distress_id,
            lat=lat,
            lon=lon,
            event_ts=p.ts,
            data=data,
            repeats=0,
            escalation_level=0,
            escalate_at=escalate_at,
            exercise=p.exercise,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    alert_id = int(key[0])
    await conn.execute(_dr.insert().values(vessel_id=item.vessel_id, distress_id=p.distress_id,
                                           alert_id=alert_id, first_at=now))  # fmt: skip
    await conn.execute(
        _ev.insert().values(
            alert_id=alert_id,
            ts=now,
            action="raised",
            phase="distress",
            actor=who,
            note=f"distress {p.distress_id} via {item.link}",
        )
    )
    inc = await conn.execute(
        _inc.insert().values(
            alert_id=alert_id,
            vessel_id=item.vessel_id,
            grid_id=item.grid_id,
            opened_at=now,
            persons_at_risk=p.persons,
            sitrep_count=0,
        )
    )
    ikey = inc.inserted_primary_key
    assert ikey is not None
    incident_id = int(ikey[0])
    await conn.execute(update(_a).where(_a.c.id == alert_id).values(incident_id=incident_id))
    alarm = exercised(Phrase("log.alarm", {"vessel": item.hull_name, "nature": p.nature.value,
                                 "persons": p.persons, "where": where, "at": p.ts, "text": p.text}), p.exercise)  # fmt: skip
    await _log_entry(conn, incident_id, now, who, "alarm", alarm)
    return DistressRaised(alert_id, incident_id, item.vessel_id, item.grid_id, now, p.exercise)
