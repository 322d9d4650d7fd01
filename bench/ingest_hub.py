"""The hub, as `sealink hub` runs it, plus a probe of publish-to-commit latency.

Publishers put their wall-clock send time in a `sent` field (ignored by the protocol). After each
committed batch the probe reads it back from a sample of the messages. Prints JSON at SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import time

from seaLink.links.mqtt_link import RawUplink
from seaLink.runtime import Hub
from seaLink.settings import load_settings

_SENT = re.compile(rb'"sent":([0-9.]+)')


async def main() -> None:
    hub = Hub(load_settings())
    latencies: list[float] = []

    def probe(batch: list[RawUplink]) -> None:
        now = time.time()
        for raw in batch[::10]:
            m = _SENT.search(raw.payload)
            if m:
                latencies.append(now - float(m.group(1)))

    hub.ingest.on_committed = probe
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with hub.running():
        print("ready", flush=True)
        await stop.wait()
    sys.stdout.write(json.dumps({"committed": hub.ingest.committed, "latencies": latencies}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
