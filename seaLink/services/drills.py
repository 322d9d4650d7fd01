"""Drills (演练, issue 13.8): a coordinator asks a boat's crew to run an exercise (a distress, a
man overboard). The boat's terminal is sent a `drill` down message; its crew raise the alarm as
they would for real, the terminal marks it `exercise: true`, and the whole chain runs: alert,
incident, duty officer, escalation, nearest boats, the boat told each stage. Everything of it says
演练 / EXERCISE (console, terminal, SMS, SITREP, CAP status Exercise), none of it is counted in the
statistics, and it never merges with a real distress, which always goes first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from seaLink.clock import Clock
from seaLink.domain.messaging import DISTRESS_PRIORITY
from seaLink.domain.roles import Principal
from seaLink.errors import Refused
from seaLink.services.outbox import Outbox
from seaLink.store.db import Database
from seaLink.store.phrases import BOAT_LANG
from seaLink.store.tables import Delivery, Vessel
from seaLink.store.users import audit
from seaLink.texts import Phrase, render
from seaLink.wire.payloads import DistressNature, DownKind, DownMessage

_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
DRILLS = {"distress": DistressNature.UNDESIGNATED, "man_overboard": DistressNature.MAN_OVERBOARD}
LIFETIME = timedelta(hours=2)


class DrillService:
    def __init__(self, *, db: Database, clock: Clock, outbox: Outbox) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox

    async def start(self, vessel_id: str, kind: str, who: Principal) -> str:
        """Send the drill order to the boat; returns its message id."""
        if kind not in DRILLS:
            raise Refused("bad_drill", f"no drill {kind!r}; one of {', '.join(DRILLS)}")
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(_v.c.grid_id, _v.c.hull_name).where(
                _v.c.id == vessel_id))).first()  # fmt: skip
        if row is None or not who.can_write_grid(row[0]):
            raise Refused("not_found", f"no vessel {vessel_id} in your grids")
        now = self._clock.now()
        msg_id = f"dr-{vessel_id}-{int(now.timestamp())}"[:64]
        args = {"vessel": row[1], "kind": kind}
        msg = DownMessage(
            msg_id=msg_id, kind=DownKind.DRILL, priority=DISTRESS_PRIORITY,
            title=render(Phrase(f"down.drill.{kind}.title", args), BOAT_LANG),
            body=render(Phrase(f"down.drill.{kind}.body", args), BOAT_LANG),
            issued=now, expires=now + LIFETIME, ack="read", exercise=True, drill=kind,
            nature=DRILLS[kind].value, by=who.username,
        )  # fmt: skip
        async with self._db.engine.begin() as conn:
            await conn.execute(self._db.insert_ignore(_d), [{
                "msg_id": msg_id, "vessel_id": vessel_id, "grid_id": row[0],
                "kind": DownKind.DRILL.value, "priority": DISTRESS_PRIORITY,
                "payload": msg.model_dump_json(exclude_none=True), "state": "queued", "rank": 0,
                "attempts": 0, "next_attempt_at": now, "queued_at": now,
                "expires_at": now + LIFETIME, "last_error": "",
            }])  # fmt: skip
        await audit(self._db, ts=now, username=who.username, action="drill.start",
                    target=f"vessel/{vessel_id}", detail=kind)  # fmt: skip
        self._outbox.kick()
        return msg_id
