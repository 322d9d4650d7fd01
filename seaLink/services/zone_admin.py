"""Managing zones: add, retire, permit a vessel; each change audited and the watch reloaded.

Only an admin manages zones; everyone who may read sees them (as GeoJSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from seaLink.clock import Clock
from seaLink.domain.roles import Principal, Role
from seaLink.errors import Refused
from seaLink.services.registry import RegistryCache
from seaLink.services.zone_watch import ZoneWatch
from seaLink.store import zone_store
from seaLink.store.db import Database
from seaLink.store.users import audit


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    name: str
    name_en: str
    kind: str
    geometry: dict[str, Any]
    radius_nmi: float
    buffer_nmi: float
    calendar: str
    exempt_gear: list[str]


class ZoneAdmin:
    def __init__(
        self, *, db: Database, clock: Clock, registry: RegistryCache, watch: ZoneWatch
    ) -> None:
        self._db = db
        self._clock = clock
        self._registry = registry
        self._watch = watch

    def authorize(self, who: Principal) -> None:
        """Refuse anyone but an admin (before his request is even read)."""
        _admin_only(who)

    async def geojson(self) -> dict[str, Any]:
        return await zone_store.all_zones_geojson(self._db)

    async def add(self, spec: ZoneSpec, who: Principal) -> int:
        _admin_only(who)
        zid = await zone_store.add_zone(self._db, {
            "name": spec.name, "name_en": spec.name_en, "kind": spec.kind,
            "geometry": json.dumps(spec.geometry), "radius_nmi": spec.radius_nmi,
            "buffer_nmi": spec.buffer_nmi, "calendar": spec.calendar,
            "exempt_gear": ",".join(spec.exempt_gear), "active": True,
            "created_at": self._clock.now(),
        })  # fmt: skip
        await self._changed(who, "zone.add", zid, spec.name)
        return zid

    async def retire(self, zid: int, who: Principal) -> None:
        _admin_only(who)
        if not await zone_store.deactivate_zone(self._db, zid):
            raise Refused("not_found", f"no zone {zid}")
        await self._changed(who, "zone.retire", zid)

    async def permit(self, zid: int, vessel_id: str, note: str, who: Principal) -> None:
        _admin_only(who)
        if not await zone_store.zone_exists(self._db, zid):
            raise Refused("not_found", f"no zone {zid}")
        if self._registry.get(vessel_id) is None:
            raise Refused("unknown_vessel", f"no vessel {vessel_id}")
        await zone_store.add_permit(self._db, zid, vessel_id, note)
        await self._changed(who, "zone.permit", zid, vessel_id)

    async def _changed(self, who: Principal, action: str, zid: int, detail: str = "") -> None:
        await self._watch.reload()
        await audit(
            self._db,
            ts=self._clock.now(),
            username=who.username,
            action=action,
            target=f"zone/{zid}",
            detail=detail,
        )


def _admin_only(who: Principal) -> None:
    if who.role is not Role.ADMIN:
        raise Refused("forbidden", "only an admin manages zones")
