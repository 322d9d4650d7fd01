"""Typhoon recall campaigns: repeat the order to boats that have not acknowledged it, keep the
board per grid (answers checked against tracks, `seaLink.domain.recall_judge`), raise alerts for
answers the track contradicts (与轨迹不符) and boats leaving port (离港) while the recall is in
force, log the time to 100%, and turn boats not in a harbour at the deadline into alerts. While a
recall is in force the contact watch treats a lost boat as a distress case at once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from seaLink.clock import Clock
from seaLink.domain.events import Emit
from seaLink.domain.ports import PortIndex
from seaLink.domain.recall_judge import Terms
from seaLink.domain.roles import Principal
from seaLink.errors import Refused
from seaLink.services.contact_watch import ContactWatch
from seaLink.services.deadlines import DeadlineLoop
from seaLink.services.events import EventBus
from seaLink.services.outbox import Outbox
from seaLink.store import recall_store
from seaLink.store.broadcast_store import get_broadcast
from seaLink.store.db import Database
from seaLink.store.phrases import BOAT_LANG, detail_columns
from seaLink.store.tables import Broadcast, Delivery, Recall, RecallCrew, Vessel
from seaLink.store.users import audit
from seaLink.store.zone_alert_writes import open_alert_ids, record_batch
from seaLink.texts import Phrase, render
from seaLink.wire.payloads import DownKind, DownMessage

log = logging.getLogger(__name__)
_r: Any = Recall.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_b: Any = Broadcast.__table__  # type: ignore[attr-defined]
_c: Any = RecallCrew.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
_JUDGE = 0  # the deadline key of the next judgement (recalls are positive, expiries negative)
# The alert of each flag, escalated on the recall policy (see `policy_key`).
FLAG_ALERTS = {"contradicted": "recall_track", "left_port": "left_port"}
# Lines that are not back at the deadline: each becomes a recall alert then (distress and lost
# contact have their own alerts already).
_NOT_BACK = ("unaccounted", "returning_on_time", "returning_late")


class RecallService(DeadlineLoop):
    name = "recall"

    def __init__(self, *, db: Database, clock: Clock, outbox: Outbox, emit: Emit, watch: ContactWatch,
                 ports: PortIndex, events: EventBus, resend_s: int = 900, window_s: int = 1800,
                 judge_every_s: int = 30) -> None:  # fmt: skip
        super().__init__(clock)
        self._db = db
        self._outbox = outbox
        self._emit = emit
        self._watch = watch
        self._ports = ports
        self._events = events
        self._resend_s = resend_s
        self._window_s = window_s
        self._judge_every = timedelta(seconds=judge_every_s)
        self._open: dict[int, Terms] = {}  # recalls in force (closed ones until their expiry)
        self._dirty = False
        self._judged: datetime | None = None

    async def load(self) -> None:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(
                select(_r, _b.c.created_at).join(_b, _b.c.id == _r.c.broadcast_id)
                .where(_r.c.closed_at.is_(None))
            )).mappings().all()  # fmt: skip
        for r in rows:
            self._open[int(r["broadcast_id"])] = Terms(r["created_at"], r["deadline"], r["shelter"])
            self.book(
                min(r["next_resend_at"] or r["deadline"], r["deadline"]), int(r["broadcast_id"])
            )
        self._update_typhoon()
        self.observe()

    async def register(self, bid: int, deadline: datetime, shelter: str | None = None) -> None:
        now = self._clock.now()
        first = min(now + timedelta(seconds=self._resend_s), deadline)
        async with self._db.engine.begin() as conn:
            await conn.execute(self._db.insert_ignore(_r), [{"broadcast_id": bid, "deadline": deadline,
                               "resend_s": self._resend_s, "next_resend_at": first, "reminders": 0,
                               "shelter": shelter}])  # fmt: skip
        self._open[bid] = Terms(now, deadline, shelter)
        self.book(first, bid)
        self._update_typhoon()
        self.observe()

    def observe(self, _event: object = None) -> None:
        """Fixes, answers or alerts came in: judge the boats of the recalls in force again (at
        most every `judge_every_s`, so a busy fleet costs one judgement per period)."""
        if not self._open:
            return
        self._dirty = True
        now = self._clock.now()
        if self._judged is None or now - self._judged >= self._judge_every:
            self.book(now, _JUDGE)
            self.kick()
        else:
            self.book(self._judged + self._judge_every, _JUDGE)

    def _update_typhoon(self) -> None:
        self._watch.set_typhoon(bool(self._open))

    async def terms(self, bid: int) -> Terms | None:
        if bid in self._open:
            return self._open[bid]
        async with self._db.engine.connect() as conn:
            r = (await conn.execute(
                select(_r.c.deadline, _r.c.shelter, _b.c.created_at)
                .join(_b, _b.c.id == _r.c.broadcast_id).where(_r.c.broadcast_id == bid)
            )).first()  # fmt: skip
        return Terms(r[2], r[0], r[1]) if r else None

    async def scoped_board(
        self, bid: int, who: Principal, at: datetime | None = None
    ) -> dict[str, Any]:
        """The board of the reader's grids only, its totals counted over them: a grid
        coordinator sees their own grids' figures, the county desk all (the server decides,
        not the console)."""
        board = await self.board(bid, at)
        board["grids"] = [g for g in board["grids"] if who.can_read_grid(g["grid_id"])]
        board["vessels"] = [v for v in board["vessels"] if who.can_read_grid(v["grid_id"])]
        board["total"] = recall_store.totals(board["grids"])
        return board

    async def board(self, bid: int, at: datetime | None = None) -> dict[str, Any]:
        """The board now, or as it stood at `at` (for the export)."""
        terms = await self.terms(bid)
        assert terms is not None
        now = self._clock.now()
        when = min(at, now) if at else now
        b = await recall_store.board(self._db, bid, self._ports, terms, when,
                                     live=at is None or at >= now, window_s=self._window_s)  # fmt: skip
        async with self._db.engine.connect() as conn:
            done_at, closed_at = (await conn.execute(
                select(_r.c.complete_at, _r.c.closed_at).where(_r.c.broadcast_id == bid)
            )).one()  # fmt: skip
        b["complete_at"] = done_at.isoformat() if done_at and done_at <= when else None
        b["closed_at"] = closed_at.isoformat() if closed_at and closed_at <= when else None
        b["issued_at"] = terms.issued_at.isoformat()
        # The order's heading: a coordinator of some of its grids reads the board, not the whole
        # broadcast (the API refuses him that).
        async with self._db.engine.connect() as conn:
            title, signal = (await conn.execute(
                select(_b.c.title, _b.c.signal).where(_b.c.id == bid)
            )).one()  # fmt: skip
        b["title"], b["signal"] = title, signal
        return b

    async def confirm_ashore(
        self, bid: int, vessel_id: str, persons: int, who: Principal, note: str = ""
    ) -> dict[str, Any]:
        """A coordinator's word on a boat's persons ashore (a phone check): kept, audited, and
        counted beside the terminal's own (the newer wins)."""
        if not who.can_write:
            raise Refused("forbidden", "this role may not enter persons ashore")
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(
                select(_d.c.grid_id, _v.c.persons).join(_v, _v.c.id == _d.c.vessel_id)
                .where(_d.c.broadcast_id == bid, _d.c.vessel_id == vessel_id)
            )).first()  # fmt: skip
        if row is None or not who.can_write_grid(row[0]):
            raise Refused("not_found", f"no vessel {vessel_id} in recall {bid} in your grids")
        if row[1] and persons > int(row[1]):
            raise Refused(
                "too_many_persons", f"{vessel_id} has {row[1]} persons aboard, not {persons}"
            )
        now = self._clock.now()
        async with self._db.engine.begin() as conn:
            await conn.execute(_c.insert().values(broadcast_id=bid, vessel_id=vessel_id,
                               persons_ashore=persons, ts=now, by=who.username, note=note))  # fmt: skip
        await audit(self._db, ts=now, username=who.username, action="recall.ashore",
                    target=f"broadcast/{bid}/{vessel_id}",
                    detail=f"{persons} persons ashore {note}".strip())  # fmt: skip
        self.observe()
        return {"broadcast_id": bid, "vessel_id": vessel_id, "persons_ashore": persons,
                "at": now.isoformat(), "by": who.username}  # fmt: skip

    async def _due(self, bid: int, now: datetime) -> None:
        if bid == _JUDGE:
            await self._judge(now)
            return
        if bid < 0:  # the warning of a closed recall has expired: the typhoon mode ends
            self._open.pop(-bid, None)
            self._update_typhoon()
            return
        async with self._db.engine.connect() as conn:
            r = (await conn.execute(select(_r).where(_r.c.broadcast_id == bid))).mappings().first()
        if r is None or r["closed_at"] is not None:
            return
        board = await self.board(bid)
        if now >= r["deadline"]:
            await self._close(bid, [v for v in board["vessels"] if v["line"] in _NOT_BACK], now)
            return
        # Reminded: boats that have not answered and are not in a harbour.
        missing = [v for v in board["vessels"]
                   if not v["acknowledged"] and v["line"] not in ("in_port", "sheltering")]  # fmt: skip
        if missing:
            await self._remind(bid, int(r["reminders"]) + 1, missing, r["deadline"], now)
        nxt = min(now + timedelta(seconds=int(r["resend_s"])), r["deadline"])
        async with self._db.engine.begin() as conn:
            await conn.execute(update(_r).where(_r.c.broadcast_id == bid).values(
                next_resend_at=nxt, reminders=_r.c.reminders + (1 if missing else 0)))  # fmt: skip
        self.book(nxt, bid)
        self._publish(board, now)

    def _publish(self, board: dict[str, Any], now: datetime) -> None:
        self._events.publish(
            "recall",
            {
                "broadcast_id": board["broadcast_id"],
                "grid_ids": [g["grid_id"] for g in board["grids"]],
                "grids": board["grids"],
                "total": board["total"],
                "at": now.isoformat(),
            },
        )

    async def _judge(self, now: datetime) -> None:
        """Flags become alerts (raised once, resolved when the track agrees again); the first
        moment every boat is done is logged as the time to 100%."""
        if not self._dirty:
            return
        self._dirty = False
        self._judged = now
        # Resolved below: only alerts open before the boards are read. The port log may raise a
        # 离港 meanwhile, on a report these boards do not hold yet: resolving it would end a
        # true alert, and the next judgement would raise a second one for the same exit.
        resolvable = await open_alert_ids(self._db, [*FLAG_ALERTS.values(), "recall"])
        flagged: dict[tuple[str, str], dict[str, Any]] = {}
        seen: dict[str, dict[str, Any]] = {}
        for bid in list(self._open):
            board = await self.board(bid)
            for v in board["vessels"]:
                seen[v["vessel_id"]] = v
                for flag in v["flags"]:
                    flagged.setdefault((v["vessel_id"], FLAG_ALERTS[flag]), v)
            total = board["total"]
            if total["total"] and total["done"] == total["total"]:
                async with self._db.engine.begin() as conn:
                    first = await conn.execute(update(_r).where(
                        _r.c.broadcast_id == bid, _r.c.complete_at.is_(None)
                    ).values(complete_at=now))  # fmt: skip
                if first.rowcount:
                    took = now - self._open[bid].issued_at
                    log.info("recall %d: 100%% of %d boats in a harbour, crews ashore, %s after "
                             "the order", bid, total["total"], took)  # fmt: skip
            self._publish(board, now)
        raise_ = [self._flag_alert(type_, v, now) for (_vid, type_), v in flagged.items()]
        note = render(Phrase("trail.track_agrees"), BOAT_LANG)
        resolve_ = [(vid, type_, now, note) for vid in seen for type_ in FLAG_ALERTS.values()
                    if (vid, type_) not in flagged]  # fmt: skip
        # A boat not back at the deadline that reaches a harbour after it: its recall alert ends.
        arrived = render(Phrase("trail.in_harbour"), BOAT_LANG)
        resolve_ += [(vid, "recall", now, arrived) for vid, v in seen.items()
                     if v["line"] in ("in_port", "sheltering")]  # fmt: skip
        self._emit(await record_batch(self._db, [], raise_, resolve_, resolvable=resolvable))

    @staticmethod
    def _flag_alert(type_: str, v: dict[str, Any], now: datetime) -> dict[str, Any]:
        key = "alert.recall_track" if type_ == "recall_track" else "alert.left_port"
        answer = v["answer"] or "none"
        phrase = Phrase(key, {"vessel": v["hull_name"], "answer": answer,
                              "distance": v["distance_nm"] or 0.0, "port": v["port"] or ""})  # fmt: skip
        return {"vessel_id": v["vessel_id"], "grid_id": v["grid_id"], "type": type_,
                "severity": "major", "phase": "", "state": "raised", "raised_at": now,
                "updated_at": now, **detail_columns(phrase), "escalation_level": 0,
                "lat": v["lat"], "lon": v["lon"]}  # fmt: skip

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
                   "phase": v["line"][:16], "state": "raised", "raised_at": now, "updated_at": now,
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
