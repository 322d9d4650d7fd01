"""How late the hub's event loop runs what is due: every API answer, distress and publish waits
behind whatever the loop is doing without yielding. Measured on the loop's own (real) clock, not
the hub's `Clock`: a test's fake clock does not make the loop late."""

from __future__ import annotations

import asyncio

from prometheus_client import Histogram

EVERY_S = 0.05


async def watch_loop_lag(lag: Histogram, every_s: float = EVERY_S) -> None:
    """Observe, every `every_s`, how much later than asked a sleep came back."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time() + every_s
        await asyncio.sleep(every_s)
        lag.observe(max(0.0, loop.time() - asked))
