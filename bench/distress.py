"""Distress latency under load: from a distress publish to the alert on a coordinator's WebSocket.

    python -m bench.distress [--vessels 10000] [--processes 2] [--distresses 100]

10,000 simulated vessels (`sealink sim fleet`, several processes) report every 4.5 s, i.e. about
2,200 positions/s, while a separate client publishes 100 distresses for 100 different boats; a
coordinator's console session (WebSocket `/api/v1/events`) times when each alert arrives.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from datetime import UTC, datetime

import aiohttp
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from bench._common import machine, percentile
from bench._stack import PREFIX, Stack


async def measure(stack: Stack, vessels: list[str], n: int) -> tuple[list[float], float]:
    sent: dict[str, float] = {}
    got: dict[str, float] = {}
    pub = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="bench-distress",
                      protocol=paho.MQTTv5)  # fmt: skip
    pub.connect("127.0.0.1", stack.broker.port, 60)
    pub.loop_start()
    chosen = random.Random(5).sample(vessels, n)
    pos0 = stack.metric("sealink_positions_stored_total")
    t0 = time.monotonic()
    async with aiohttp.ClientSession() as s:
        ws = await s.ws_connect(f"{stack.api}/api/v1/events?token={stack.token}")

        async def reader() -> None:
            async for msg in ws:
                ev = json.loads(msg.data)
                d = ev.get("data") or {}
                if (
                    ev.get("type") == "alert"
                    and d.get("type") == "distress"
                    and d.get("action") == "raised"
                ):
                    got.setdefault(d["vessel_id"], time.perf_counter())

        task = asyncio.create_task(reader(), name="ws-reader")
        for i, vid in enumerate(chosen):
            body = {"distress_id": f"bench-{i}", "ts": datetime.now(UTC).isoformat(), "lat": 23.1, "lon": 117.6,
                    "nature": "flooding", "persons": 5}  # fmt: skip
            sent[vid] = time.perf_counter()
            pub.publish(f"{PREFIX}/vessels/{vid}/up/distress", json.dumps(body), qos=1)
            await asyncio.sleep(0.2)
        deadline = time.monotonic() + 30
        while len(got) < n and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        task.cancel()
        await ws.close()
    rate = (stack.metric("sealink_positions_stored_total") - pos0) / (time.monotonic() - t0)
    pub.loop_stop()
    return [(got[v] - sent[v]) * 1000 for v in chosen if v in got], rate


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--vessels", type=int, default=10_000)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--distresses", type=int, default=100)
    args = p.parse_args()
    print(f"machine: {machine()}")
    stack = Stack(args.vessels)
    try:
        vessels = stack.start()
        stack.start_sim("--processes", str(args.processes), "--speed", "1", "--interval", "4.5",
                        "--connect-rate", "1000", "--coverage-nm", "1000")  # fmt: skip
        t0 = time.monotonic()
        while stack.health()["contact"]["ok"] < args.vessels * 0.99 and time.monotonic() - t0 < 300:
            time.sleep(1)
        time.sleep(5)
        latencies, rate = asyncio.run(measure(stack, vessels, args.distresses))
        print(
            f"\n[{len(latencies)}/{args.distresses} distresses among {args.vessels:,} reporting vessels, SQLite]"
        )
        print(f"  positions stored meanwhile : {rate:,.0f}/s   (load: at least 2,000/s)")
        print(
            f"  distress publish -> console WebSocket: p50 {percentile(latencies, 50):.1f} ms, "
            f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms   (target p99 < 100 ms)"
        )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
