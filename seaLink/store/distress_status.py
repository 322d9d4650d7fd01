"""The boat in distress is told the truth, stage by stage (issue 13.7), as down messages of kind
`distress_status` (docs/protocol.md §2.9):

    received   the shore system has stored the call (automatic: that is the `distress_ack`)
    seen       a duty officer (named) acknowledged the alert, at a time
    organised  a tasked boat accepted: who is on the way and when it will be there
    closed     the alert was resolved, with its outcome

Each is queued in the outbox in the same transaction as what it reports (an acknowledgement, a
boat's acceptance, a resolution), at the most urgent priority: it survives a crash, reaches the
boat however its links come and go, and is never sent twice (its id is its stage's)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from seaLink.domain.messaging import DISTRESS_PRIORITY, DeliveryState
from seaLink.store.db import Database
from seaLink.store.phrases import BOAT_LANG
from seaLink.store.tables import Alert, Delivery, DistressReport, UserAccount
from seaLink.texts import Phrase, exercised, render
from seaLink.wire.payloads import DownKind, DownMessage

_a: Any = Alert.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_dr: Any = DistressReport.__table__  # type: ignore[attr-defined]
_u: Any = UserAccount.__table__  # type: ignore[attr-defined]
LIFETIME = timedelta(hours=12)


def status_msg_id(vessel_id: str, distress_id: str, stage: str, extra: str = "") -> str:
    """Unique by construction whatever the lengths of the ids: they enter as a digest."""
    digest = hashlib.sha256(f"{vessel_id}|{distress_id}|{stage}|{extra}".encode()).hexdigest()
    return f"ds-{digest[:24]}-{stage}"


def receipt_msg_id(vessel_id: str, distress_id: str, suffix: str) -> str:
    """The `distress_ack` id of one distress id (`suffix` `ack` or `cancel`): collision-free by
    construction (a 64-character distress id must not make the cancel's receipt share the
    alarm's), so the ids enter as a digest."""
    digest = hashlib.sha256(f"{vessel_id}|{distress_id}".encode()).hexdigest()
    return f"da-{digest[:24]}-{suffix}"


async def retire_receipts(conn: AsyncConnection, alert_id: int, now: datetime) -> int:
    """Close the undelivered receipts (`distress_ack`) of a resolved alert's distress ids: they
    are `ack: "none"` and were re-sent after every hello until `delivered` came, also after a
    coordinator had resolved the alert (a false alarm). The `closed` stage, queued in the same
    transaction, is what the boat still needs; a repeat of the distress after this gets a fresh
    receipt (`distress_writes`). Returns how many were closed."""
    ids = (await conn.execute(select(_dr.c.vessel_id, _dr.c.distress_id)
                              .where(_dr.c.alert_id == alert_id))).all()  # fmt: skip
    msg_ids = [receipt_msg_id(v, d, s) for v, d in ids for s in ("ack", "cancel")]
    if not msg_ids:
        return 0
    done = await conn.execute(
        update(_d)
        .where(_d.c.msg_id.in_(msg_ids), _d.c.rank <= 1, _d.c.closed_at.is_(None))
        # `expired`: its time is over (the ladder has no better word, and nothing counts it)
        .values(state=DeliveryState.EXPIRED.value, closed_at=now)
    )
    return int(done.rowcount or 0)


async def display_name(conn: AsyncConnection, username: str) -> str:
    name = (await conn.execute(select(_u.c.display_name).where(_u.c.username == username))).scalar()
    return str(name or username)


async def queue_status(
    conn: AsyncConnection, db: Database, alert_id: int, stage: str, phrase: Phrase,
    fields: dict[str, Any], now: datetime, extra: str = "",
) -> None:  # fmt: skip
    """Queue one stage for the distress alert's boat (nothing for another kind of alert, or for
    a beacon, which cannot receive)."""
    row = (await conn.execute(select(_a.c.vessel_id, _a.c.grid_id, _a.c.ref, _a.c.incident_id,
                                     _a.c.type, _a.c.data, _a.c.exercise)
                              .where(_a.c.id == alert_id))).first()  # fmt: skip
    if row is None or row[4] != "distress" or row[2] is None:
        return
    if json.loads(row[5] or "{}").get("link") == "ais":
        return
    vessel_id, grid_id, distress_id, incident_id = row[0], row[1], str(row[2]), row[3]
    msg_id = status_msg_id(vessel_id, distress_id, stage, extra)
    msg = DownMessage(
        msg_id=msg_id, kind=DownKind.DISTRESS_STATUS, priority=DISTRESS_PRIORITY,
        title=render(exercised(Phrase(f"down.distress_status.{stage}.title"), bool(row[6])), BOAT_LANG),
        body=render(phrase, BOAT_LANG), issued=now, expires=now + LIFETIME, ack="none",
        distress_id=distress_id, stage=stage, incident_id=incident_id, **fields,
        exercise=bool(row[6]) or None,
    )  # fmt: skip
    await conn.execute(db.insert_ignore(_d), [{
        "msg_id": msg_id, "vessel_id": vessel_id, "grid_id": grid_id,
        "kind": DownKind.DISTRESS_STATUS.value, "priority": DISTRESS_PRIORITY,
        "payload": msg.model_dump_json(exclude_none=True), "state": "queued", "rank": 0,
        "attempts": 0, "next_attempt_at": now, "queued_at": now, "expires_at": now + LIFETIME,
        "last_error": "",
    }])  # fmt: skip
