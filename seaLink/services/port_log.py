"""Port entry and exit (进出港): each boat's fixes against the harbours' areas, an entry or an exit
stored whenever its newest fix is on the other side of a harbour's edge than its last one.

A boat first seen since the hub started is placed without an event (where it was before is not
known), unless the store holds its last entry or exit. Backfilled fixes (a terminal's buffer
after an outage) count in time order like live ones: the list is of what happened, not of when
it was heard. An older fix than the newest judged is history already told and is skipped.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from seaLink.clock import Clock
from seaLink.domain.events import PositionsStored, StoredFix
from seaLink.domain.ports import PortIndex
from seaLink.services.deadlines import DeadlineLoop
from seaLink.services.registry import RegistryCache
from seaLink.store.db import Database
from seaLink.store.tables import PortEvent, Vessel

log = logging.getLogger(__name__)
_pe: Any = PortEvent.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]


class PortLog(DeadlineLoop):
    name = "port-log"

    def __init__(self, *, db: Database, clock: Clock, ports: PortIndex, registry: RegistryCache) -> None:  # fmt: skip
        super().__init__(clock)
        self._db = db
        self._ports = ports
        self._registry = registry
        self._queue: list[StoredFix] = []
        # Each boat's harbour (None: at sea) as of its newest judged fix, and that fix's time.
        self._where: dict[str, tuple[str | None, datetime]] = {}

    async def load(self) -> None:
        """Where each boat was at its last entry or exit in the store."""
        newest = (
            select(_pe.c.vessel_id, func.max(_pe.c.ts).label("ts"))
            .group_by(_pe.c.vessel_id)
            .subquery()
        )
        q = select(_pe.c.vessel_id, _pe.c.port, _pe.c.kind, _pe.c.ts).join(
            newest, (newest.c.vessel_id == _pe.c.vessel_id) & (newest.c.ts == _pe.c.ts)
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        for vid, port, kind, ts in rows:
            self._where[vid] = (port if kind == "in" else None, ts)

    def observe(self, e: PositionsStored) -> None:
        if self._ports.ports and e.fixes:
            self._queue.extend(e.fixes)
            self.kick()

    def _has_more(self) -> bool:
        return bool(self._queue)

    async def _before_due(self) -> None:
        if not self._queue:
            return
        batch, self._queue = sorted(self._queue, key=lambda f: f.ts), []
        try:
            moved = await self._judge(batch)
        except Exception:
            self._queue = batch + self._queue  # judged again once the store is back
            raise
        self._where.update(moved)

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
                await conn.execute(self._db.insert_ignore(_pe), rows)
        return moved

    @staticmethod
    def _row(vid: str, grid: str, port: str, kind: str, f: StoredFix) -> dict[str, Any]:
        return {"vessel_id": vid, "grid_id": grid, "port": port, "kind": kind, "ts": f.ts,
                "lat": f.lat, "lon": f.lon, "source": "track"}  # fmt: skip
