"""The statistics the console charts: contact over time per grid, alert response times.

One read of the window's fixes and alerts; the replay runs off the event loop."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from seaLink.clock import Clock
from seaLink.domain.ports import PortIndex
from seaLink.domain.stats import STATES, contact_series, iso, response_times, sample_times
from seaLink.services.contact_watch import rules_from
from seaLink.settings import ContactSettings
from seaLink.store import queries
from seaLink.store.db import Database

# Fixes older than this before the window are not read: a vessel silent that long is either
# lost (its alert says so) or in port, and its latest state row covers it.
LOOKBACK = timedelta(hours=6)


class FleetStats:
    def __init__(
        self, *, db: Database, clock: Clock, contact: ContactSettings, ports: PortIndex
    ) -> None:
        self._db = db
        self._clock = clock
        self._rules = rules_from(contact)
        self._ports = ports

    async def contact(self, grids: list[str] | None, hours: int, step: timedelta) -> dict[str, Any]:
        until = self._clock.now()
        times = sample_times(until, hours, step)
        vessels, fixes, alerts = await queries.contact_history_inputs(
            self._db, grid_ids=grids, since=times[0] - LOOKBACK, until=until
        )
        by_grid = await asyncio.to_thread(
            contact_series, times, vessels, fixes, alerts, self._rules, self._ports
        )
        return {
            "since": iso(times[0]),
            "until": iso(until),
            "step_s": int(step.total_seconds()),
            "times": [iso(t) for t in times],
            "states": list(STATES),
            "grids": [{"grid_id": g, **by_grid[g]} for g in sorted(by_grid)],
        }

    async def response(self, grids: list[str] | None, days: int) -> dict[str, Any]:
        since = self._clock.now() - timedelta(days=days)
        rows = await queries.alert_timings(self._db, grid_ids=grids, since=since)
        return {"since": iso(since), **response_times(rows)}
