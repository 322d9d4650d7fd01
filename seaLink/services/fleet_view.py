"""The fleet as readers see it: vessels, one vessel and its track, alerts, grids; scoped by the
caller's grids (the API words and pages the results)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from seaLink.domain.roles import Principal
from seaLink.errors import Refused
from seaLink.store import queries
from seaLink.store.db import Database


class FleetView:
    def __init__(self, *, db: Database) -> None:
        self._db = db

    async def vessels(self, grids: list[str] | None, contact: str | None) -> list[dict[str, Any]]:
        return await queries.list_vessels(self._db, grid_ids=grids, contact_state=contact)

    async def vessel(self, vid: str, who: Principal) -> dict[str, Any]:
        """The vessel, if it exists and is in the reader's scope (else `not_found`, so that a
        coordinator cannot probe which vessels exist in other grids)."""
        row = await queries.get_vessel(self._db, vid)
        if row is None or not who.can_read_grid(row["grid_id"]):
            raise Refused("not_found", f"no vessel {vid} in your grids")
        return row

    async def track_geojson(
        self, vid: str, since: datetime | None, until: datetime | None, limit: int
    ) -> dict[str, Any]:
        fixes = await queries.track(self._db, vid, since=since, until=until, limit=limit)
        return queries.track_geojson(vid, fixes)

    async def alerts(
        self, *, open_only: bool, grids: list[str] | None, vessel_id: str | None
    ) -> list[dict[str, Any]]:
        return await queries.list_alerts(
            self._db, open_only=open_only, grid_ids=grids, vessel_id=vessel_id
        )

    async def grids(self, who: Principal) -> list[dict[str, Any]]:
        return [g for g in await queries.list_grids(self._db) if who.can_read_grid(g["id"])]
