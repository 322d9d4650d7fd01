"""Typhoon recall campaigns: repeat the order to boats that have not acknowledged it, keep the
board per grid, and turn boats still unaccounted at the deadline into alerts. While a recall is
in force the contact watch treats a lost boat as a distress case at once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from seaLink.clock import Clock
from seaLink.domain.events import Emit
from seaLink.domain.ports import PortIndex
from seaLink.services.contact_watch import ContactWatch
from seaLink.services.deadlines import DeadlineLoop
from seaLink.services.events import EventBus
from seaLink.services.outbox import Outbox
from seaLink.store import recall_store
from seaLink.store.broadcast_store import get_broadcast
from seaLink.store.db import Database
from seaLink.store.phrases import BOAT_LANG, detail_columns
from seaLink.store.tables import Delivery, Recall
from seaLink.store.zone_alert_writes import record_batch
from seaLink.texts import Phrase, render
from seaLink.wire.payloads import DownKind, DownMessage

log = logging.getLogger(__name__)
_r: Any = Recall.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]


class RecallService(DeadlineLoop):
    name = "recall"

    def __init__(self, *, db: Database, clock: Clock, outbox: Outbox, emit: Emit, watch: ContactWatch,
                 ports: PortIndex, events: EventBus, resend_s: int = 900) -> None:  # fmt: skip
        super().__init__(clock)
        self._db = db
        self._outbox = outbox
        self._emit = emit
        self._watch = watch
        self._ports = ports
        self._events = events
        self._resend_s = resend_s
        self._open: dict[int, datetime] = {}

    async def load(self) -> None:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(select(_r).where(_r.c.closed_at.is_(None)))).mappings().all()
        for r in rows:
            self._open[int(r["broadcast_id"])] = r["deadline"]
            self.book(
                min(r["next_resend_at"] or r["deadline"], r["deadline"]), int(r["broadcast_id"])
            )
        self._update_typhoon()

    async def register(self, bid: int, deadline: datetime) -> None:
        now = self._clock.now()
        first = min(now + timedelta(seconds=self._resend_s), deadline)
        async with self._db.engine.begin() as conn:
            await conn.execute(self._db.insert_ignore(_r), [{"broadcast_id": bid, "deadline": deadline,
                               "resend_s": self._resend_s, "next_resend_at": first, "reminders": 0}])  # fmt: skip
        self._open[bid] = deadline
        self.book(first, bid)
        self._update_typhoon()
        self.kick()

    def _update_typhoon(self) -> None:
        self._watch.set_typhoon(bool(self._open))

    async def board(self, bid: int) -> dict[str, Any]:
        b = await recall_store.board(self._db, bid, self._ports)
        b["deadline"] = self._open.get(bid).isoformat() if bid in self._open else None  # type: ignore[union-attr]
        return b

    async def _due(self, bid: int, now: datetime) -> None:
        if bid < 0:  # the warning of a closed recall has expired: the typhoon mode ends
            self._open.pop(-bid, None)
            self._update_typhoon()
            return
        async with self._db.engine.connect() as conn:
            r = (await conn.execute(select(_r).where(_r.c.broadcast_id == bid))).mappings().first()
        if r is None or r["closed_at"] is not None:
            return
        board = await recall_store.board(self._db, bid, self._ports)
        missing = [v for v in board["vessels"] if v["status"] == "unaccounted"]
        if now >= r["deadline"]:
            await self._close(bid, missing, now)
            return
        if missing:
            await self._remind(bid, int(r["reminders"]) + 1, missing, r["deadline"], now)
        nxt = min(now + timedelta(seconds=int(r["resend_s"])), r["deadline"])
        async with self._db.engine.begin() as conn:
            await conn.execute(update(_r).where(_r.c.broadcast_id == bid).values(
                next_resend_at=nxt, reminders=_r.c.reminders + (1 if missing else 0)))  # fmt: skip
        self.book(nxt, bid)
        self._events.publish(
            "recall",
            {
                "broadcast_id": bid,
                "grid_ids": [g["grid_id"] for g in board["grids"]],
                "grids": board["grids"],
                "total": board["total"],
                "at": now.isoformat(),
            },
        )

    async def _remind(
        self, bid: int, n: int, missing: list[dict[str, Any]], deadline: datetime, now: datetime
    ) -> None:
        b = await get_broadcast(self._db, bid)
        assert b is not None
        # A copy that has not gone out yet (slow Beidou queue, or parked) is the reminder: a new
        # one would only queue behind it.
        waiting = await recall_store.unsent_copies(self._db, bid, [v["vessel_id"] for v in missing])
        rows = []
        for v in missing:
            if v["vessel_id"] in waiting:
                continue
            msg_id = f"rc{bid}-{v['vessel_id']}-{n}"[:64]
            msg = DownMessage(msg_id=msg_id, kind=DownKind.WARNING, priority=1, title=render(Phrase("down.recall_reminder.title", {"title": b["title"]}), BOAT_LANG),
                              body=b["body"], issued=now, expires=deadline, ack="confirm", broadcast_id=bid,
                              recall={"deadline": deadline.isoformat().replace("+00:00", "Z")}, reminder=n)  # fmt: skip
            rows.append({"msg_id": msg_id, "vessel_id": v["vessel_id"], "grid_id": v["grid_id"], "kind": "warning",
                         "priority": 1, "payload": msg.model_dump_json(exclude_none=True), "state": "queued",
                         "rank": 0, "attempts": 0, "next_attempt_at": now, "queued_at": now, "expires_at": deadline,
                         "last_error": ""})  # fmt: skip
        if not rows:
            return
        async with self._db.engine.begin() as conn:
            await conn.execute(self._db.insert_ignore(_d), rows)
        self._outbox.kick()

    async def _close(self, bid: int, missing: list[dict[str, Any]], now: datetime) -> None:
        raise_ = [{"vessel_id": v["vessel_id"], "grid_id": v["grid_id"], "type": "recall", "severity": "major",
                   "phase": "unaccounted", "state": "raised", "raised_at": now, "updated_at": now,
                   **detail_columns(Phrase("alert.recall", {"vessel": v["hull_name"]})), "escalation_level": 0}
                  for v in missing]  # fmt: skip
        self._emit(await record_batch(self._db, [], raise_, []))
        async with self._db.engine.begin() as conn:
            await conn.execute(update(_r).where(_r.c.broadcast_id == bid).values(closed_at=now))
        # The typhoon stays in force for the watch until the warning itself expires.
        b = await get_broadcast(self._db, bid)
        expires = (
            datetime.fromisoformat(b["expires_at"].replace("Z", "+00:00"))
            if b and b["expires_at"]
            else now
        )
        if expires > now:
            self.book(expires, -bid)
        else:
            self._open.pop(bid, None)
            self._update_typhoon()
