"""The hub's MQTT receive path alone: `MqttLink` (its `MqttSession`, paho, `BufferedClient`), no
pipeline and no store.

    python -m bench.mqtt_link [--messages 100000] [--publishers 4] [--calls]

`mosquitto_pub -l` processes flood QoS 1 positions into a private Mosquitto; the link queues them
and acknowledges every batch it takes, as the ingest pipeline does after a commit. Prints the
process CPU per message (all threads) and the receive rate; with `--calls`, under cProfile, the
Python function calls per message instead (the same from run to run, whatever the machine's load).
Run it from two checkouts one after the other to compare a change to the link
(`PYTHONPATH=<checkout>`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import pstats
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from bench._common import machine
from seaLink.links.mqtt_link import MqttLink
from seaLink.metrics import HubMetrics
from seaLink.settings import MqttSettings
from seaLink.testing.mosquitto import Mosquitto
from seaLink.wire.topics import Topics

PREFIX = "bench/v1"


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def flood(broker: Mosquitto, load: Path, publishers: int) -> list[subprocess.Popen[bytes]]:
    """One `mosquitto_pub -l` per simulated vessel, each sending every line of `load`."""
    procs = []
    for k in range(publishers):
        topic = f"{PREFIX}/vessels/B{k:05d}/up/position"
        with open(load, "rb") as f:
            cmd = ["mosquitto_pub", "-p", str(broker.port), "-q", "1", "-l", "-t", topic]
            procs.append(subprocess.Popen(cmd, stdin=f))
    return procs


async def measure(broker: Mosquitto, work: Path, n: int, publishers: int) -> tuple[float, float]:
    settings = MqttSettings(url=broker.url, client_id="bench-link", prefix=PREFIX)
    link = MqttLink(settings, HubMetrics(), Topics(PREFIX))
    task = asyncio.create_task(link.run(), name="bench-link")
    try:
        await asyncio.wait_for(link.connected.wait(), 10)
        per = n // publishers
        load = work / "load.jsonl"
        load.write_text(
            "".join(
                f'{{"ts":"2026-07-01T00:00:{i % 60:02d}Z","lat":23.4,"lon":117.1,"sog":4.2}}\n'
                for i in range(per)
            )
        )
        got = 0
        c0, t0 = cpu_s(), time.perf_counter()
        procs = flood(broker, load, publishers)
        while got < per * publishers:
            if not link.inbox:
                link.inbox_ready.clear()
                await asyncio.wait_for(link.inbox_ready.wait(), 60)
            batch = list(link.inbox)
            link.inbox.clear()
            got += len(batch)
            link.ack(batch)
            await asyncio.sleep(0)
        c1, t1 = cpu_s(), time.perf_counter()
        for p in procs:
            p.wait()
        return (c1 - c0) / got * 1e6, got / (t1 - t0)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--messages", type=int, default=100_000)
    p.add_argument("--publishers", type=int, default=4)
    p.add_argument("--calls", action="store_true", help="count function calls (cProfile)")
    args = p.parse_args()
    print(f"machine: {machine()}")
    work = Path(tempfile.mkdtemp(prefix="sealink-bench-link-"))
    broker = Mosquitto(work / "broker")
    broker.start()
    profile = cProfile.Profile() if args.calls else None
    try:
        if profile is not None:
            profile.enable()
        us, rate = asyncio.run(measure(broker, work, args.messages, args.publishers))
    finally:
        if profile is not None:
            profile.disable()
        broker.stop()
    if profile is not None:
        calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
        print(f"  hub MQTT link: {calls / args.messages:.1f} function calls/message (cProfile)")
    else:
        print(f"  hub MQTT link: {us:.1f} us CPU/message, {rate:,.0f} messages/s received")


if __name__ == "__main__":
    main()
