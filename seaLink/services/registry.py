"""In-memory view of the registry that the hot paths consult (is this vessel ours? which grid?)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from seaLink.store.db import Database
from seaLink.store.tables import Vessel


@dataclass(frozen=True, slots=True)
class VesselInfo:
    id: str
    grid_id: str
    group_id: str
    mmsi: str | None
    beidou_card: str | None
    report_interval_s: int | None
    hull_name: str = ""
    gear: str = ""
    beacons: str = ""


class RegistryCache:
    """Vessel ids known to the hub. A vessel registered by another process (CLI import, another
    hub) is picked up on first sight; unknown ids are remembered for a while so a flood of them
    costs one query, not one per message."""

    def __init__(self, db: Database, negative_ttl_s: float = 30.0) -> None:
        self._db = db
        self._vessels: dict[str, VesselInfo] = {}
        self._unknown: dict[str, float] = {}
        self._negative_ttl = negative_ttl_s
        self._mmsi: dict[str, VesselInfo] = {}
        self._card: dict[str, VesselInfo] = {}
        self._indexed_size = -1

    def __len__(self) -> int:
        return len(self._vessels)

    def get(self, vessel_id: str) -> VesselInfo | None:
        return self._vessels.get(vessel_id)

    def by_mmsi(self, mmsi: str) -> VesselInfo | None:
        """The vessel with this MMSI, or whose AIS beacon (SART/MOB/EPIRB) this is."""
        self._index()
        return self._mmsi.get(mmsi)

    def by_card(self, card: str) -> VesselInfo | None:
        self._index()
        return self._card.get(card)

    def _index(self) -> None:
        if self._indexed_size == len(self._vessels):
            return
        self._mmsi, self._card = {}, {}
        for v in self._vessels.values():
            if v.mmsi:
                self._mmsi[v.mmsi] = v
            for b in v.beacons.split(","):
                if b:
                    self._mmsi.setdefault(b, v)
            if v.beidou_card:
                self._card[v.beidou_card] = v
        self._indexed_size = len(self._vessels)

    def all(self) -> list[VesselInfo]:
        return list(self._vessels.values())

    async def load(self) -> None:
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(select(*_COLUMNS))).all()
        self._vessels = {r[0]: VesselInfo(*r) for r in rows}
        self._unknown.clear()
        self._indexed_size = -1

    async def resolve(self, vessel_ids: set[str]) -> None:
        """Look up ids not in the cache (and not recently found missing) in the store."""
        now = time.monotonic()
        missing = [
            v for v in vessel_ids if v not in self._vessels and self._unknown.get(v, 0.0) < now
        ]
        if not missing:
            return
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(select(*_COLUMNS).where(_t.c.id.in_(missing)))).all()
        for r in rows:
            self._vessels[r[0]] = VesselInfo(*r)
        found = {r[0] for r in rows}
        for v in missing:
            if v not in found:
                self._unknown[v] = now + self._negative_ttl
        if len(self._unknown) > 100_000:
            self._unknown = {k: t for k, t in self._unknown.items() if t > now}


_t: Any = Vessel.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    _t.c.id,
    _t.c.grid_id,
    _t.c.group_id,
    _t.c.mmsi,
    _t.c.beidou_card,
    _t.c.report_interval_s,
    _t.c.hull_name,
    _t.c.gear,
    _t.c.beacons,
)
