"""Zone entry/exit and separation from one's own fishing group, raised as alerts.

Fed after commit with every stored fix. Backfilled fixes update the record of where a vessel was
but never raise an alert after the fact.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from seaLink.clock import Clock
from seaLink.domain.events import Emit, PositionsStored, StoredFix
from seaLink.domain.ports import PortIndex
from seaLink.domain.zone_confirm import ZoneConfirm
from seaLink.domain.zones import FixInfo, ZoneKind, ZoneTracker, separation_nm
from seaLink.services.registry import RegistryCache
from seaLink.store import zone_store
from seaLink.store.db import Database
from seaLink.store.outage import StoreOutage, is_store_outage
from seaLink.store.phrases import detail_columns
from seaLink.store.zone_alert_writes import record_batch
from seaLink.texts import Phrase, render

log = logging.getLogger(__name__)

_NO_PERMITS: frozenset[int] = frozenset()


def _inside(inside: set[tuple[str, int]], vessel_id: str, zone_id: int) -> bool:
    return (vessel_id, zone_id) in inside


class ZoneWatch:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        registry: RegistryCache,
        ports: PortIndex,
        emit: Emit,
        zones_document: dict[str, Any],
        port_radius_nmi: float,
        separation_limit_nmi: float = 5.0,
        separation_clear_nmi: float = 4.5,
        mate_fresh: timedelta = timedelta(minutes=30),
        confirm_fixes: int = 3,
        confirm_s: float = 600.0,
    ) -> None:
        self._confirm_fixes, self._confirm_s = confirm_fixes, confirm_s
        self._db = db
        self._clock = clock
        self._registry = registry
        self._ports = ports
        self._emit = emit
        self._doc = zones_document
        self._port_radius = port_radius_nmi
        self._limit = separation_limit_nmi
        self._clear = separation_clear_nmi
        self._fresh = mate_fresh
        self.tracker = ZoneTracker([])
        self.confirm = ZoneConfirm(confirm_fixes, confirm_s)
        self._names: dict[int, tuple[str, str, ZoneKind]] = {}
        self._permits: dict[str, set[int]] = {}
        self._sea: dict[
            str, tuple[float, float, datetime]
        ] = {}  # latest live fix of vessels at sea
        self._groups: dict[str, set[str]] = defaultdict(set)
        self._separated: set[str] = set()
        self._queue: list[StoredFix] = []
        self._unrecorded: (
            tuple[
                list[dict[str, Any]],
                list[dict[str, Any]],
                list[tuple[str, str, datetime, str]],
                datetime,
            ]
            | None
        ) = None
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()

    async def load(self) -> None:
        await zone_store.seed_defaults(self._db, self._doc, self._clock.now(), self._port_radius)
        await self.reload()
        self.tracker.inside = await zone_store.inside_now(self._db)
        for info in self._registry.all():
            if info.group_id:
                self._groups[info.group_id].add(info.id)

    async def reload(self) -> None:
        zones, self._permits = await zone_store.load_zones(self._db)
        inside = self.tracker.inside
        last = self.tracker.last
        self.tracker = ZoneTracker(zones)
        self.confirm = ZoneConfirm(self._confirm_fixes, self._confirm_s)
        self.tracker.inside, self.tracker.last = inside, last
        self._names = {z.id: (z.name, z.name_en or z.name, z.kind) for z in zones}

    def observe_stored(self, ev: PositionsStored) -> None:
        self._queue.extend(ev.fixes)
        self.idle.clear()
        self._wake.set()

    async def settle(self) -> None:
        self.idle.clear()
        self._wake.set()
        await self.idle.wait()

    async def run(self) -> None:
        outage = StoreOutage("zone watch", logger=log)
        while True:
            self._wake.clear()
            if self._unrecorded is not None:
                # Judged, not yet stored (the store was away): store it before judging more.
                try:
                    await self._record(*self._unrecorded)
                except Exception as exc:
                    if is_store_outage(exc):
                        await outage.failed(exc)
                        continue
                    log.exception("zone watch: could not record a batch's zone events")
                outage.recovered()
                self._unrecorded = None
                continue
            if self._queue:
                batch, self._queue = self._queue, []
                try:
                    await self._process(batch)
                except Exception:
                    log.exception("zone watch: failed on %d fixes", len(batch))
                continue
            self.idle.set()
            await self._wake.wait()

    async def _process(self, batch: list[StoredFix]) -> None:
        events: list[dict[str, Any]] = []
        raise_: list[dict[str, Any]] = []
        resolve_: list[tuple[str, str, datetime, str]] = []
        now = self._clock.now()
        newest: dict[str, tuple[StoredFix, bool | None, str, str]] = {}  # its newest live fix
        for o in sorted(batch, key=lambda x: x.ts):
            info = self._registry.get(o.vessel_id)
            if info is None:
                continue
            # The port lookup only where an answer depends on it (a band in season); separation
            # below looks it up for the few fixes it judges.
            in_port: bool | None = o.nav_state == "in_port" or None
            if in_port is None and self.tracker.port_matters(o.ts):
                in_port = self._in_port(o)
            evs = self.tracker.observe(
                o.vessel_id,
                FixInfo(o.lat, o.lon, o.ts, bool(in_port)),
                gear=info.gear,
                permits=self._permits.get(o.vessel_id, _NO_PERMITS),
                backfill=o.backfill,
            )
            events.extend(
                {"vessel_id": ev.vessel_id, "zone_id": ev.zone_id, "kind": ev.kind,
                 "ts": ev.ts, "alerted": ev.alert}
                for ev in evs
            )  # fmt: skip
            # Alerts only once the entry (or exit) is sure: one bad fix neither raises nor clears.
            for d in self.confirm.after_fix(o.vessel_id, o.ts, evs,
                                            partial(_inside, self.tracker.inside, o.vessel_id),
                                            live=not o.backfill):  # fmt: skip
                name, name_en, kind = self._names.get(d.zone_id, ("?", "?", ZoneKind.PROTECTED))
                type_ = f"zone:{d.zone_id}"
                if d.action == "raise":
                    phrase = Phrase("alert.zone", {"kind": kind.value, "zone": name,
                                                   "zone_en": name_en, "zone_id": d.zone_id})  # fmt: skip
                    raise_.append(
                        self._alert(info.id, info.grid_id, type_, kind.value, d.ts, now, phrase)
                    )
                else:
                    resolve_.append(
                        (info.id, type_, now, render(Phrase("trail.left_zone", {"zone": name})))
                    )
            if not o.backfill:
                # In time order, so the newest live fix of each vessel is the one kept.
                newest[o.vessel_id] = (o, in_port, info.grid_id, info.group_id)
        # Separation is judged once per vessel and batch, on its newest live fix, against where
        # its mates are after the whole batch. A batch is what arrived while the watch was busy:
        # milliseconds to seconds of traffic (more while a backlog drains after a restart, when
        # a separation that began and ended within the batch goes unreported). Judging every fix
        # of a flood cost more than everything else the zone watch does.
        judged = [
            (vid, o, self._in_port(o) if at_port is None else at_port, grid_id, group)
            for vid, (o, at_port, grid_id, group) in newest.items()
        ]
        for vid, o, in_port, _grid, _group in judged:
            self._place(vid, o, in_port)
        for vid, o, in_port, grid_id, group in judged:
            self._separation(vid, grid_id, group, o, in_port, now, raise_, resolve_)
        if not (events or raise_ or resolve_):
            return
        # The tracker has moved on: from here the batch's outcome must be stored, however long
        # the store is away (`run` retries it), or an entry would never raise its alert.
        self._unrecorded = (events, raise_, resolve_, now)

    async def _record(
        self,
        events: list[dict[str, Any]],
        raise_: list[dict[str, Any]],
        resolve_: list[tuple[str, str, datetime, str]],
        now: datetime,
    ) -> None:
        self._emit(await record_batch(self._db, events, raise_, resolve_))

    def _in_port(self, o: StoredFix) -> bool:
        return o.nav_state == "in_port" or self._ports.port_at(o.lat, o.lon) is not None

    def _place(self, vid: str, o: StoredFix, in_port: bool) -> None:
        """Where a vessel at sea is now (mates are measured against it); in port it is not."""
        if in_port:
            self._sea.pop(vid, None)
        else:
            self._sea[vid] = (o.lat, o.lon, o.ts)

    def _separation(
        self, vid: str, grid_id: str, group: str, o: StoredFix, in_port: bool, now: datetime,
        raise_: list[dict[str, Any]], resolve_: list[tuple[str, str, datetime, str]],
    ) -> None:  # fmt: skip
        if in_port:
            if vid in self._separated:
                self._separated.discard(vid)
                resolve_.append((vid, "separation", now, render(Phrase("trail.back_in_port"))))
            return
        if not group:
            return
        self._groups[group].add(vid)
        oldest = o.ts - self._fresh
        mates = [
            (p[0], p[1])
            for m in self._groups[group]
            if m != vid and (p := self._sea.get(m)) is not None and p[2] >= oldest
        ]
        gap = separation_nm(o.lat, o.lon, mates)
        if gap is None:
            return
        if gap > self._limit and vid not in self._separated:
            self._separated.add(vid)
            raise_.append(
                self._alert(
                    vid,
                    grid_id,
                    "separation",
                    "separation",
                    o.ts,
                    now,
                    Phrase("alert.separation", {"group": group, "gap": round(gap, 1)}),
                )
            )
        elif gap <= self._clear and vid in self._separated:
            self._separated.discard(vid)
            back = Phrase("trail.back_with_group", {"gap": round(gap, 1)})
            resolve_.append((vid, "separation", now, render(back)))

    @staticmethod
    def _alert(
        vid: str, grid_id: str, type_: str, phase: str, ts: datetime, now: datetime, detail: Phrase
    ) -> dict[str, Any]:
        return {
            "vessel_id": vid,
            "grid_id": grid_id,
            "type": type_,
            "severity": "warning",
            "phase": phase,
            "state": "raised",
            "raised_at": now,
            "updated_at": now,
            **detail_columns(detail),
            "event_ts": ts,
            "escalation_level": 0,
        }
