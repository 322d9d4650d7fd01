"""The loop-lag watch reports a loop held by synchronous work, by about as long as it was held."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry, Histogram

from seaLink.services.loop_lag import watch_loop_lag
from tests.test_ingest import wait_for


def _lag() -> Histogram:
    return Histogram("lag", "", buckets=(0.01, 0.1, 0.25, 1.0), registry=CollectorRegistry())


def _over(h: Histogram, bound: float) -> float:
    """Observations above `bound` (a bucket bound)."""
    samples = {
        s.labels.get("le"): s.value for s in h.collect()[0].samples if s.name == "lag_bucket"
    }
    return samples["+Inf"] - samples[str(bound)]


def _count(h: Histogram) -> float:
    return next(s.value for s in h.collect()[0].samples if s.name == "lag_count")


async def test_a_loop_held_for_300_ms_is_seen_late_by_about_that_much() -> None:
    lag = _lag()
    watch = asyncio.create_task(watch_loop_lag(lag, every_s=0.01), name="test-loop-lag")
    try:
        await wait_for(lambda: asyncio.sleep(0, _count(lag) >= 3), timeout=10)
        time.sleep(0.3)  # work that does not yield: the loop is held  # noqa: ASYNC251
        await wait_for(lambda: asyncio.sleep(0, _over(lag, 0.25) >= 1), timeout=10)
        assert _over(lag, 1.0) == 0  # late by the hold, not by more
    finally:
        watch.cancel()
