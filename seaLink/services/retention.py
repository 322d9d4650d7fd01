"""The retention loop: at start and every `store.retention_interval_s`, make the coming months'
position partitions (PostgreSQL) and remove fixes past `store.retention_days`
(seaLink.store.retention). One hub of a cluster runs it (it is part of the schedule)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from seaLink.clock import Clock
from seaLink.store.outage import StoreOutage
from seaLink.store.retention import PositionRetention, Pruned

log = logging.getLogger(__name__)


class RetentionLoop:
    def __init__(self, retention: PositionRetention, clock: Clock, interval_s: float) -> None:
        self.retention = retention
        self._clock = clock
        self._interval = timedelta(seconds=interval_s)
        self._wake = asyncio.Event()
        self.last: Pruned | None = None
        self.passes = asyncio.Condition()

    async def run(self) -> None:
        outage = StoreOutage("retention", logger=log)
        while True:
            self._wake.clear()
            try:
                self.last = await self.retention.run_once(self._clock.now())
            except Exception as exc:
                await outage.failed(exc)
                continue
            outage.recovered()
            async with self.passes:
                self.passes.notify_all()
            await self._clock.wait_until(self._clock.now() + self._interval, self._wake)

    def kick(self) -> None:
        self._wake.set()
