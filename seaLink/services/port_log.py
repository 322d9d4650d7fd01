"""Port entry and exit (进出港): each boat's fixes against the harbours' areas, an entry or an exit
stored whenever its newest fix is on the other side of a harbour's edge than its last one. A boat
leaving port (a live fix) while a typhoon signal is in force for its grid, or into the summer
moratorium band in season for its gear, raises a `left_port` alert (离港), routed and escalated on
the recall's timers. A recall without a signal binds the boats it names: its own judge flags them.

A boat first seen since the hub started is placed without an event (where it was before is not
known), unless the store holds its last entry or exit. Backfilled fixes (a terminal's buffer
after an outage) count in time order like live ones: the list is of what happened, not of when
it was heard. An older fix than the newest judged is history already told and is skipped.

The terminal may report an entry or exit itself (进出港报告, `up/port`, with the persons aboard):
ingest stores it (`source` "terminal") and this loop matches it with the track. One passage, one
count: a track event of the same boat, kind and port within `contact.port_report_match_min` of a
terminal report is the same passage, whichever came first; both rows are kept and the track's
points at the report (`same_as`), which is the one listed and counted (it carries the persons the
skipper reported). Each side is matched at most once. A terminal's exit report raises the same
`left_port` alert as a track exit, and a passage raises it once: from whichever of the two was
judged first (the other, matched to it, raises nothing). A report older than
`ingest.live_max_age_s` is history, like a backfilled fix: listed, never alerted.
Where a boat is (`_where`) follows its track alone: a report says what the skipper did, not
where the boat's fixes put it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from seaLink.clock import Clock
from seaLink.domain.events import Emit, PortReport, PortReported, PositionsStored, StoredFix
from seaLink.domain.ports import PortIndex
from seaLink.domain.zones import Zone
from seaLink.services.deadlines import DeadlineLoop
from seaLink.services.registry import RegistryCache
from seaLink.store import port_days
from seaLink.store.db import Database
from seaLink.store.phrases import detail_columns
from seaLink.store.tables import Broadcast, PortEvent, Vessel
from seaLink.store.zone_alert_writes import record_batch
from seaLink.texts import Phrase

log = logging.getLogger(__name__)
_pe: Any = PortEvent.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
_b: Any = Broadcast.__table__  # type: ignore[attr-defined]


class PortLog(DeadlineLoop):
    name = "port-log"

    def __init__(self, *, db: Database, clock: Clock, ports: PortIndex, registry: RegistryCache,
                 emit: Emit | None = None, bands: Callable[[], list[Zone]] = list,
                 match: timedelta = timedelta(minutes=30),
                 live_max_age: timedelta = timedelta(hours=1)) -> None:  # fmt: skip
        super().__init__(clock)
        self._match = match  # a track event and a terminal report this close: one passage
        self._live_max_age = live_max_age
        self._reports: list[PortReport] = []
        self._emit = emit
        self._bands = bands  # the moratorium zones (as the zone watch has them now)
        self._db = db
        self._ports = ports
        self._registry = registry
        self._queue: list[StoredFix] = []
        # Each boat's harbour (None: at sea) as of its newest judged fix, and that fix's time.
        self._where: dict[str, tuple[str | None, datetime]] = {}

    async def day(self, day: date, grids: list[str] | None, port: str | None) -> dict[str, Any]:
        """A Beijing day's entries and exits (of these grids, this port), with the tallies."""
        return await port_days.day_list(self._db, day, grids, port)

    async def load(self) -> None:
        """Where each boat was at its last entry or exit in the store."""
        track = _pe.c.source == "track"
        newest = (
            select(_pe.c.vessel_id, func.max(_pe.c.ts).label("ts"))
            .where(track)
            .group_by(_pe.c.vessel_id)
            .subquery()
        )
        q = (
            select(_pe.c.vessel_id, _pe.c.port, _pe.c.kind, _pe.c.ts)
            .join(newest, (newest.c.vessel_id == _pe.c.vessel_id) & (newest.c.ts == _pe.c.ts))
            .where(track)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        for vid, port, kind, ts in rows:
            self._where[vid] = (port if kind == "in" else None, ts)

    def observe(self, e: PositionsStored) -> None:
        if self._ports.ports and e.fixes:
            self._queue.extend(e.fixes)
            self.kick()

    def observe_reports(self, e: PortReported) -> None:
        self._reports.extend(e.reports)
        self.kick()

    def _has_more(self) -> bool:
        return bool(self._queue or self._reports)

    async def _before_due(self) -> None:
        # The fixes first: a track event then finds a report of its passage already stored
        # (ingest committed it before telling us), and the report finds it matched.
        if self._queue:
            batch, self._queue = sorted(self._queue, key=lambda f: f.ts), []
            try:
                moved = await self._judge(batch)
            except Exception:
                self._queue = batch + self._queue  # judged again once the store is back
                raise
            self._where.update(moved)
        if self._reports:
            reports, self._reports = self._reports, []
            try:
                await self._take_reports(reports)
            except Exception:
                self._reports = reports + self._reports
                raise

    async def _judge(self, batch: list[StoredFix]) -> dict[str, tuple[str | None, datetime]]:
        """Store the batch's entries and exits; returns where its boats are now."""
        moved: dict[str, tuple[str | None, datetime]] = {}
        rows: list[dict[str, Any]] = []
        for f in batch:
            info = self._registry.get(f.vessel_id)
            if info is None:
                continue
            here = self._ports.port_at(f.lat, f.lon)
            name = here.name if here else None
            before = moved.get(f.vessel_id) or self._where.get(f.vessel_id)
            if before is not None and f.ts <= before[1]:
                continue
            moved[f.vessel_id] = (name, f.ts)
            if before is None or before[0] == name:
                continue
            if before[0] is not None:  # out of the harbour it was in (maybe straight into another)
                rows.append(self._row(info.id, info.grid_id, before[0], "out", f))
            if name is not None:
                rows.append(self._row(info.id, info.grid_id, name, "in", f))
        if rows:
            ids = sorted({r["vessel_id"] for r in rows})
            async with self._db.engine.connect() as conn:
                found = await conn.execute(select(_v.c.id, _v.c.persons).where(_v.c.id.in_(ids)))
                persons = {vid: int(n or 0) for vid, n in found.all()}
            for r in rows:
                r["persons"] = persons.get(r["vessel_id"], 0)
            async with self._db.engine.begin() as conn:
                await self._match_reports(conn, rows)
                await conn.execute(self._db.insert_ignore(_pe), rows)
            live = {(f.vessel_id, f.ts) for f in batch if not f.backfill}
            await self._alert_departures([
                r for r in rows
                if r["kind"] == "out" and r["same_as"] is None and (r["vessel_id"], r["ts"]) in live
            ])  # fmt: skip
        return moved

    async def _match_reports(self, conn: Any, rows: list[dict[str, Any]]) -> None:
        """Point each new track event at the terminal report of its passage, if there is one
        not matched yet (the nearest in time)."""
        lo = min(r["ts"] for r in rows) - self._match
        hi = max(r["ts"] for r in rows) + self._match
        found = (await conn.execute(
            select(_pe.c.id, _pe.c.vessel_id, _pe.c.port, _pe.c.kind, _pe.c.ts).where(
                _pe.c.source == "terminal", _pe.c.vessel_id.in_(sorted({r["vessel_id"] for r in rows})),
                _pe.c.ts >= lo, _pe.c.ts <= hi,
            ).order_by(_pe.c.id)
        )).all()  # fmt: skip
        if not found:
            return
        taken = set((await conn.execute(
            select(_pe.c.same_as).where(_pe.c.same_as.in_([t.id for t in found]))
        )).scalars().all())  # fmt: skip
        for r in rows:
            near = [t for t in found
                    if t.id not in taken and (t.vessel_id, t.kind, t.port) == (r["vessel_id"], r["kind"], r["port"])
                    and abs(t.ts - r["ts"]) <= self._match]  # fmt: skip
            if near:
                best = min(near, key=lambda t: abs(t.ts - r["ts"]))
                r["same_as"] = best.id
                taken.add(best.id)

    async def _take_reports(self, reports: list[PortReport]) -> None:
        """Match each new terminal report with the track event of its passage (not matched yet);
        an exit that no track event had announced is judged for the 离港 alert."""
        now = self._clock.now()
        outs: list[dict[str, Any]] = []
        async with self._db.engine.begin() as conn:
            for rep in reports:
                rid = (await conn.execute(select(_pe.c.id).where(
                    _pe.c.vessel_id == rep.vessel_id, _pe.c.report_id == rep.report_id))).scalar()  # fmt: skip
                if rid is None:
                    continue  # gone since (retention)
                tracks = (await conn.execute(select(_pe.c.id, _pe.c.ts).where(
                    _pe.c.source == "track", _pe.c.same_as.is_(None), _pe.c.vessel_id == rep.vessel_id,
                    _pe.c.kind == rep.kind, _pe.c.port == rep.port,
                    _pe.c.ts >= rep.ts - self._match, _pe.c.ts <= rep.ts + self._match,
                ))).all()  # fmt: skip
                if tracks:
                    best = min(tracks, key=lambda t: (abs(t.ts - rep.ts), t.id))
                    await conn.execute(update(_pe).where(_pe.c.id == best.id).values(same_as=rid))
                elif rep.kind == "out" and now - rep.ts <= self._live_max_age:
                    outs.append({"vessel_id": rep.vessel_id, "grid_id": rep.grid_id,
                                 "port": rep.port, "ts": rep.ts, "lat": rep.lat, "lon": rep.lon})  # fmt: skip
        await self._alert_departures(outs)

    async def _alert_departures(self, outs: list[dict[str, Any]]) -> None:
        if not outs or self._emit is None:
            return
        now = self._clock.now()
        async with self._db.engine.connect() as conn:
            # Typhoon warnings with a signal, in force now, and the grids they cover: no boat of
            # those grids may leave. A recall without a signal binds only the boats it names: the
            # recall's own judge flags those (离港 on its board, `left_port`), not the port log.
            orders = (await conn.execute(
                select(_b.c.grid_ids).where(
                    _b.c.signal.is_not(None), _b.c.kind == "warning", _b.c.expires_at > now,
                )
            )).scalars().all()  # fmt: skip
        storm = {g for ids in orders for g in (ids or "").split(",") if g}
        raise_ = []
        for r in outs:
            if r["lat"] is None:  # a terminal report without a position: at its harbour
                harbour = self._ports.named(r["port"])
                r = {**r, "lat": harbour.lat if harbour else None,
                     "lon": harbour.lon if harbour else None}  # fmt: skip
            info = self._registry.get(r["vessel_id"])
            reason = "typhoon" if r["grid_id"] in storm else None
            if reason is None and info is not None:
                for z in self._bands():
                    if (
                        r["lat"] is not None
                        and z.in_season(r["ts"])
                        and info.gear not in z.exempt_gear
                        and z.contains(r["lat"], r["lon"])
                    ):
                        reason = "moratorium"
                        break
            if reason is None:
                continue
            key = "alert.left_port_typhoon" if reason == "typhoon" else "alert.left_port_moratorium"
            phrase = Phrase(key,
                            {"vessel": info.hull_name if info else r["vessel_id"], "port": r["port"]})  # fmt: skip
            raise_.append({"vessel_id": r["vessel_id"], "grid_id": r["grid_id"], "type": "left_port",
                           "severity": "major", "phase": "", "state": "raised", "raised_at": now,
                           "updated_at": now, **detail_columns(phrase), "escalation_level": 0,
                           "lat": r["lat"], "lon": r["lon"], "event_ts": r["ts"]})  # fmt: skip
        if raise_:
            self._emit(await record_batch(self._db, [], raise_, []))

    @staticmethod
    def _row(vid: str, grid: str, port: str, kind: str, f: StoredFix) -> dict[str, Any]:
        return {"vessel_id": vid, "grid_id": grid, "port": port, "kind": kind, "ts": f.ts,
                "lat": f.lat, "lon": f.lon, "source": "track", "same_as": None}  # fmt: skip
