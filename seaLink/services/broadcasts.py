"""Broadcasts: who gets what, created with their outbox rows in one transaction, and live roll-ups.

A coordinator may only address vessels of their own grids: "all vessels" means all of theirs, and a
target that names another grid's vessel is refused.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from seaLink.clock import Clock
from seaLink.domain.messaging import (
    DEFAULT_PRIORITY,
    BroadcastKind,
    Target,
    VesselView,
    select_targets,
)
from seaLink.domain.ports import PortIndex
from seaLink.domain.roles import Principal
from seaLink.errors import Refused
from seaLink.services.events import EventBus
from seaLink.services.outbox import Outbox
from seaLink.settings import MessagingSettings
from seaLink.store import broadcast_store
from seaLink.store.db import Database
from seaLink.store.outage import StoreOutage
from seaLink.store.phrases import BOAT_LANG
from seaLink.store.tables import Broadcast, Vessel, VesselState
from seaLink.store.users import audit
from seaLink.texts import Phrase, render
from seaLink.wire.payloads import MSG_ID_SLOT, DownKind, DownMessage, with_msg_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BroadcastSpec:
    kind: BroadcastKind
    title: str
    body: str
    target: Target
    priority: int | None = None
    reply: str = "read"
    per_crew: bool = False
    expires_at: datetime | None = None
    signal: str | None = None
    recall_deadline: datetime | None = None
    recall_shelter: str | None = None  # the harbour the boats are told to make for
    extra: dict[str, Any] | None = None


class BroadcastService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        outbox: Outbox,
        ports: PortIndex,
        settings: MessagingSettings,
        events: EventBus,
    ) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._ports = ports
        self._settings = settings
        self._events = events
        self._active: dict[int, tuple[datetime | None, str]] = {}  # id -> (expires, reply)
        self.on_recall: list[Callable[[int, datetime, str | None], Awaitable[None]]] = []

    async def vessel_views(self, *, in_port: bool = True) -> list[VesselView]:
        """Every vessel with what target selection reads. `in_port=False`: the target does not
        ask (`at_sea` only does), so no port lookup per vessel (~20 ms of a 10,000-boat POST)."""
        v: Any = Vessel.__table__  # type: ignore[attr-defined]
        vs: Any = VesselState.__table__  # type: ignore[attr-defined]
        q = select(
            v.c.id, v.c.grid_id, v.c.group_id, vs.c.lat, vs.c.lon, vs.c.nav_state
        ).select_from(v.outerjoin(vs, vs.c.vessel_id == v.c.id))
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        return [
            VesselView(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                in_port
                and (
                    r[5] == "in_port"
                    or (r[3] is not None and self._ports.port_at(r[3], r[4]) is not None)
                ),
            )
            for r in rows
        ]

    async def create(self, spec: BroadcastSpec, who: Principal) -> int:
        """Queue a broadcast; its deliveries start at once."""
        bid, _ = await self._create(spec, who, shown=False)
        self._outbox.kick()
        return bid

    async def create_and_show(self, spec: BroadcastSpec, who: Principal) -> dict[str, Any]:
        """Queue a broadcast and answer with it and its roll-up as created (the coordinator's
        POST). The roll-up is read in the creating transaction: read after the outbox was woken,
        it waited behind the first round of 10,000 sends (issue 17.2), and even before, an outbox
        still busy with an earlier round could send some in between."""
        _, answer = await self._create(spec, who, shown=True)
        self._outbox.kick()
        assert answer is not None
        return answer

    async def _create(
        self, spec: BroadcastSpec, who: Principal, *, shown: bool
    ) -> tuple[int, dict[str, Any] | None]:
        if not who.can_write:
            raise Refused("forbidden", "this role may not send broadcasts")
        views = await self.vessel_views(in_port=spec.target.at_sea)
        by_id = {x.id: x for x in views}
        named_outside = [g for g in spec.target.grids if not who.can_write_grid(g)] + [
            vid
            for vid in spec.target.vessels
            if vid in by_id and not who.can_write_grid(by_id[vid].grid_id)
        ]
        if named_outside:
            raise Refused("forbidden", f"outside your grids: {', '.join(named_outside[:5])}")
        unknown = [vid for vid in spec.target.vessels if vid not in by_id]
        if unknown:
            raise Refused("unknown_vessel", f"no such vessel: {', '.join(unknown[:5])}")
        in_scope = [x for x in views if who.can_write_grid(x.grid_id)]
        chosen = select_targets(spec.target, in_scope)
        if not chosen:
            raise Refused("no_target", "no vessel matches the target")
        now = self._clock.now()
        expires = spec.expires_at or now + timedelta(seconds=self._settings.default_expiry_s)
        if expires <= now:
            raise Refused("expired", "expires_at is in the past")
        if spec.recall_deadline is not None and spec.recall_deadline <= now:
            raise Refused("expired", "the recall deadline is in the past")
        if spec.recall_shelter and spec.recall_shelter not in {p.name for p in self._ports.ports}:
            raise Refused("unknown_shelter", f"no harbour named {spec.recall_shelter}")
        priority = spec.priority if spec.priority is not None else DEFAULT_PRIORITY[spec.kind]
        grids = sorted({by_id[vid].grid_id for vid in chosen})
        title = spec.title
        if spec.signal and not title.startswith("【"):
            title = render(
                Phrase("down.typhoon.title", {"signal": spec.signal, "title": title}), BOAT_LANG
            )
        down_kind = {
            BroadcastKind.WARNING: DownKind.WARNING,
            BroadcastKind.TRAINING: DownKind.TRAINING,
        }.get(spec.kind, DownKind.NOTICE)
        extra = dict(spec.extra or {})
        if spec.kind is BroadcastKind.POLICY:
            extra["category"] = "policy"
        if spec.signal:
            extra["signal"] = spec.signal
        if spec.recall_deadline:
            extra["recall"] = {"deadline": spec.recall_deadline.isoformat().replace("+00:00", "Z")}
            if spec.recall_shelter:
                extra["recall"]["shelter"] = spec.recall_shelter
        if spec.per_crew:
            extra["per_crew"] = True

        template: dict[int, str] = {}

        def payload(bid: int, _vid: str, msg_id: str) -> str:
            # One validated message per broadcast, its msg_id swapped in per vessel: building
            # 10,000 models took half of the POST's time (issue 17.2).
            if bid not in template:
                template[bid] = DownMessage(
                    msg_id=MSG_ID_SLOT,
                    kind=down_kind,
                    priority=priority,
                    title=title,
                    body=spec.body,
                    issued=now,
                    expires=expires,
                    ack=spec.reply,
                    broadcast_id=bid,
                    **extra,
                ).model_dump_json(exclude_none=True)
            return with_msg_id(template[bid], msg_id)

        row = {
            "kind": spec.kind.value,
            "title": title,
            "body": spec.body,
            "priority": priority,
            "reply": spec.reply,
            "per_crew": spec.per_crew,
            "signal": spec.signal,
            "recall_deadline": spec.recall_deadline,
            "target": json.dumps(_target_json(spec.target), ensure_ascii=False),
            "created_by": who.username,
            "created_at": now,
            "expires_at": expires,
            "grid_ids": ",".join(grids),
            "extra": json.dumps(extra, ensure_ascii=False),
            "_payload": payload,
        }
        deliveries = [
            {
                "vessel_id": vid,
                "grid_id": by_id[vid].grid_id,
                "kind": down_kind.value,
                "priority": priority,
                "state": "queued",
                "rank": 0,
                "attempts": 0,
                "next_attempt_at": now,
                "queued_at": now,
                "expires_at": expires,
                "last_error": "",
            }
            for vid in chosen
        ]
        # The audit entry commits with the broadcast: one transaction, and never one without
        # the other.
        audited = {
            "ts": now,
            "username": who.username,
            "action": "broadcast.create",
            "detail": f"{spec.kind.value} to {len(chosen)} vessels: {title[:80]}",
        }
        bid, answer = await broadcast_store.create_broadcast(
            self._db, self._outbox.store, row, deliveries, audited, shown=shown
        )
        self._active[bid] = (expires, spec.reply)
        if spec.recall_deadline is not None:
            for observer in self.on_recall:
                await observer(bid, spec.recall_deadline, spec.recall_shelter)
        log.info(
            "broadcast %d (%s) to %d vessels by %s", bid, spec.kind.value, len(chosen), who.username
        )
        return bid, answer

    async def listing(self, who: Principal, *, with_rollup: bool) -> list[dict[str, Any]]:
        """The broadcasts of the reader's grids, newest first; with each one's counts (no
        missing list) for the console's list."""
        rows = await broadcast_store.list_broadcasts(self._db, who.grid_filter())
        if with_rollup:
            for b in rows:
                b["rollup"] = await broadcast_store.rollup(
                    self._db, b["id"], b["reply"], missing_limit=0
                )
        return rows

    async def visible(self, bid: int, who: Principal, *, recall: bool = False) -> dict[str, Any]:
        """The broadcast if every grid it went to is the reader's (a recall order: any of them,
        each coordinator works from his grids' part of its board), else `not_found`."""
        b = await broadcast_store.get_broadcast(self._db, bid)
        if recall:
            if b is None or not b["recall_deadline"] or not any(map(who.can_read_grid, b["grids"])):
                raise Refused("not_found", f"no recall order {bid} in your grids")
        elif b is None or not all(who.can_read_grid(g) for g in b["grids"]):
            raise Refused("not_found", f"no broadcast {bid} in your grids")
        return b

    async def detail(self, bid: int, who: Principal, *, deliveries: bool) -> dict[str, Any]:
        """The broadcast, its roll-up and (if asked) every delivery."""
        active = self._active.get(bid)
        if active is None:
            b = await self.visible(bid, who)
            rollup = await broadcast_store.rollup(self._db, bid, b["reply"])
        else:
            # Still going out, its reply known here: the roll-up is read beside the broadcast,
            # not after it. A coordinator watching a fan-out waits one trip of a busy loop less;
            # what the reader may not see is never shown (`visible` refuses; the roll-up read
            # beside it is dropped).
            b, rollup = await asyncio.gather(
                self.visible(bid, who), broadcast_store.rollup(self._db, bid, active[1])
            )
        out: dict[str, Any] = {"broadcast": b, "rollup": rollup}
        if deliveries:
            out["deliveries"] = await broadcast_store.deliveries_of(self._db, bid)
        return out

    async def resend(self, bid: int, who: Principal) -> int:
        b = await broadcast_store.get_broadcast(self._db, bid)
        if b is None or not all(who.can_write_grid(g) for g in b["grids"]):
            raise Refused("not_found", f"no broadcast {bid} in your grids")
        n = await broadcast_store.rearm_undelivered(self._db, bid, self._clock.now())
        self._outbox.kick()
        await audit(
            self._db,
            ts=self._clock.now(),
            username=who.username,
            action="broadcast.resend",
            target=f"broadcast/{bid}",
            detail=f"{n} messages re-armed",
        )
        return n

    async def load_active(self) -> None:
        b: Any = Broadcast.__table__  # type: ignore[attr-defined]
        now = self._clock.now()
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(b.c.id, b.c.expires_at, b.c.reply).where(b.c.expires_at > now)
                )
            ).all()
        self._active = {int(r[0]): (r[1], r[2]) for r in rows}

    async def report_progress(self, interval_s: float = 1.0) -> None:
        """Publish each active broadcast's roll-up whenever deliveries moved (at most 1/s)."""
        seen = -1
        outage = StoreOutage("broadcast progress", logger=log)
        while True:
            await asyncio.sleep(interval_s)
            if self._outbox.activity == seen or not self._active:
                continue
            activity = self._outbox.activity
            try:
                await self._report_once()
            except Exception as exc:
                await outage.failed(exc)  # the store is away: report when it is back
                continue
            outage.recovered()
            seen = activity

    async def _report_once(self) -> None:
        now = self._clock.now()
        for bid, (expires, reply) in list(self._active.items()):
            r = await broadcast_store.rollup(self._db, bid, reply, missing_limit=0)
            self._events.publish(
                "broadcast_progress",
                {
                    "broadcast_id": bid,
                    "grid_ids": [g["grid_id"] for g in r["grids"]],
                    "total": r["total"],
                    "done": r["done"],
                    "states": r["states"],
                    "grids": r["grids"],
                },
            )
            if expires is not None and expires <= now - timedelta(minutes=5):
                del self._active[bid]


def _target_json(t: Target) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if t.all:
        out["all"] = True
    for name in ("grids", "groups", "vessels"):
        if getattr(t, name):
            out[name] = list(getattr(t, name))
    if t.polygon:
        out["polygon"] = [list(p) for p in t.polygon]
    if t.circle:
        out["circle"] = {"lon": t.circle[0], "lat": t.circle[1], "radius_nmi": t.circle[2]}
    if t.at_sea:
        out["at_sea"] = True
    return out
