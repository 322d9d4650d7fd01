"""Distress latency under load: from a distress publish to the alert on a coordinator's WebSocket.

    python -m bench.distress [--vessels 10000] [--processes 2] [--distresses 100] [--flood 20]

10,000 simulated vessels (`sealink sim fleet`, several processes) report every 4.5 s, i.e. about
2,200 positions/s, while a separate client publishes 100 distresses for 100 different boats; a
coordinator's console session (WebSocket `/api/v1/events`) times when each alert arrives.

With `--flood N`, N more publishers (`mosquitto_pub -l`, as `bench.ingest` floods) push positions
as fast as the broker takes them for the whole measurement: the hub at saturation. Beside every
distress the same client publishes a probe to a bare paho subscriber on the same broker; the
probes' round trip (publisher -> broker -> plain subscriber) is the reference under the same load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from bench._common import machine, percentile
from bench._stack import PREFIX, Stack
from bench.ingest import write_load

PROBE_TOPIC = "bench/probe"


class BareProbe:
    """A plain paho subscriber (its own network thread) timing the probes it receives."""

    def __init__(self, port: int) -> None:
        self.latencies: list[float] = []
        self._ready = threading.Event()
        self.client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2,
                                  client_id="bench-bare-probe", protocol=paho.MQTTv5)  # fmt: skip
        self.client.on_connect = lambda c, u, f, rc, p=None: c.subscribe(PROBE_TOPIC, qos=1)
        self.client.on_subscribe = lambda *a: self._ready.set()
        self.client.on_message = self._got
        self.client.connect("127.0.0.1", port, 60)
        self.client.loop_start()
        if not self._ready.wait(10):
            raise RuntimeError("the bare subscriber could not subscribe")

    def _got(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        sent = float(msg.payload)
        self.latencies.append((time.perf_counter() - sent) * 1000)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Flood:
    """`n` publishers sending positions of registered boats as fast as the broker takes them,
    over and over, until stopped."""

    def __init__(self, stack: Stack, vessels: list[str], n: int) -> None:
        self._procs: list[subprocess.Popen[bytes]] = []
        self._stop = threading.Event()
        self._stack = stack
        self._files = []
        base = datetime.now(UTC) - timedelta(hours=1)
        chosen = vessels[-n:] if n else []
        self._files = list(zip(chosen, write_load(stack.work, chosen, 5000, base), strict=True))
        self._threads = [
            threading.Thread(target=self._loop, args=(vid, f), name=f"flood-{vid}", daemon=True)
            for vid, f in self._files
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def _loop(self, vid: str, f: Path) -> None:
        while not self._stop.is_set():
            with open(f, "rb") as lines:
                proc = subprocess.Popen(
                    ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self._stack.broker.port),
                     "-q", "1", "-M", "200", "-i", f"flood-{vid}",
                     "-t", f"{PREFIX}/vessels/{vid}/up/position", "-l"],
                    stdin=lines,
                )  # fmt: skip
                self._procs.append(proc)
                proc.wait()

    def stop(self) -> None:
        self._stop.set()
        for p in self._procs:
            if p.poll() is None:
                p.terminate()


async def measure(
    stack: Stack, vessels: list[str], n: int, probe: BareProbe
) -> tuple[list[float], float]:
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
            pub.publish(PROBE_TOPIC, repr(time.perf_counter()), qos=1)
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
    p.add_argument("--flood", type=int, default=0, help="publishers flooding positions meanwhile")
    args = p.parse_args()
    print(f"machine: {machine()}   load average at start: {os.getloadavg()[0]:.2f}")
    stack = Stack(args.vessels)
    try:
        vessels = stack.start()
        stack.start_sim("--processes", str(args.processes), "--speed", "1", "--interval", "4.5",
                        "--connect-rate", "1000", "--coverage-nm", "1000")  # fmt: skip
        t0 = time.monotonic()
        while stack.health()["contact"]["ok"] < args.vessels * 0.99 and time.monotonic() - t0 < 300:
            time.sleep(1)
        time.sleep(5)
        probe = BareProbe(stack.broker.port)
        flood = Flood(stack, vessels, args.flood)
        flood.start()
        try:
            latencies, rate = asyncio.run(measure(stack, vessels, args.distresses, probe))
        finally:
            flood.stop()
            probe.stop()
        flooded = f", {args.flood} publishers flooding positions" if args.flood else ""
        print(
            f"\n[{len(latencies)}/{args.distresses} distresses among {args.vessels:,} reporting vessels{flooded}, SQLite]"
        )
        print(f"  positions stored meanwhile : {rate:,.0f}/s   (load: at least 2,000/s)")
        p99 = percentile(latencies, 99)
        print(
            f"  distress publish -> console WebSocket: p50 {percentile(latencies, 50):.1f} ms, "
            f"p99 {p99:.1f} ms, max {max(latencies):.1f} ms   (target p99 < 100 ms)"
        )
        bare = probe.latencies
        if bare:
            bare99 = percentile(bare, 99)
            print(
                f"  bare round trip (publisher -> broker -> paho subscriber), same load: "
                f"p50 {percentile(bare, 50):.1f} ms, p99 {bare99:.1f} ms   "
                f"distress p99 / bare p99 = {p99 / max(bare99, 1e-3):.2f} (target <= 3)"
            )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
