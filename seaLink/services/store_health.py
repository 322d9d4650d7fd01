"""How the store is doing, for readiness and the gauges: answering, at this code's schema; what is
open now (read from the store, the same on every hub of a cluster)."""

from __future__ import annotations

import asyncio
from typing import Any

from seaLink.store import schema
from seaLink.store.db import Database
from seaLink.store.gauge_queries import open_alerts, pending_deliveries

READY_STORE_TIMEOUT_S = 2.0


class StoreHealth:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def part(self) -> str:
        """ok, down (no answer within READY_STORE_TIMEOUT_S) or old_schema."""
        try:
            async with asyncio.timeout(READY_STORE_TIMEOUT_S):
                state = await self._db.schema_state()
        except Exception:
            return "down"
        return "ok" if state.version == schema.head() else "old_schema"

    async def open_now(self) -> tuple[list[Any], list[Any]]:
        """(type, state, count) of open alerts; (state, count) of pending deliveries."""
        return await open_alerts(self._db), await pending_deliveries(self._db)
