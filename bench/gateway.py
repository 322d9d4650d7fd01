"""AIS gateway throughput: sentences per second through the gateway's own chain (line splitting,
checksum, tag blocks, reassembly, decode, classification, JSON batches, MQTT publish) against a
bare pyais decode of the same sentences, in the same run.

    .venv/bin/python -m bench.gateway [--repeat 150] [--rounds 5]

The reference is the fastest way pyais itself decodes a whole capture: its stream reader
(`IterMessages`, which also joins multi-sentence messages) with `.decode()` of each message.
`pyais.decode(line)` per line is shown too; it is slower and cannot join fragments, so it is not
the bar. pyais checks no checksums by default and the reference is left that way (the gateway
checks every one). The publish goes to a private Mosquitto when the binary is installed (else to
nothing, which is said). Each round runs every pipeline once, alternating; rates are the best of
`--rounds` (the round least disturbed by other processes on the machine); the ratio of each
round and the rates per CPU second of this process are printed to show how much load moved them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyais

from gateway.ais.service import AisGateway, Publisher
from gateway.clock import SystemClock
from gateway.counters import Counters
from gateway.mqtt_client import GatewayMqtt

SAMPLE = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "data"
    / "ais"
    / "pyais"
    / "nmea_data_sample.txt"
)
TARGET = 0.8
CHUNK = 4096  # bytes per read, as from a serial port under load
BATCH = 500


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def mosquitto() -> Iterator[str | None]:
    """A private broker for the publish step, or None when Mosquitto is not installed."""
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if binary is None:
        yield None
        return
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"
        )
        proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            for _ in range(100):
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                        break
                except OSError:
                    time.sleep(0.05)
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(5)


def bare_stream(lines: list[bytes]) -> int:
    n = 0
    for message in pyais.IterMessages(lines):
        try:
            message.decode()
            n += 1
        except Exception:  # what pyais's own examples do with undecodable messages
            pass
    return n


def bare_decode(lines: list[bytes]) -> int:
    n = 0
    for line in lines:
        try:
            pyais.decode(line)
            n += 1
        except Exception:
            pass
    return n


class MemorySource:
    """The bytes of a capture in serial-sized reads, for `AisGateway` to read like a port."""

    url = "memory"
    is_open = True

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def chunks(self) -> AsyncIterator[bytes]:
        for i, chunk in enumerate(self._chunks):
            yield chunk
            if i % 16 == 0:
                await asyncio.sleep(0)  # let the MQTT socket drain, as a real port's pauses do

    async def write(self, data: bytes) -> None:
        raise OSError("read only")


class NullPublisher:
    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        return True


async def gateway_chain(chunks: list[bytes], publisher: Publisher) -> int:
    """The AIS gateway itself (`AisGateway`), reading the capture and publishing its events."""
    counters = Counters()
    gateway = AisGateway(
        topic="bench/v1/gateways/bench/ais",
        source=MemorySource(chunks),
        mqtt=publisher,
        clock=SystemClock(),
        counters=counters,
        max_batch=BATCH,
    )
    await gateway.run()
    return counters["events"]


async def run(repeat: int, rounds: int) -> None:
    data = SAMPLE.read_bytes()
    lines = [x for x in data.splitlines() if x.strip()] * repeat
    stream = b"\n".join(lines) + b"\n"
    chunks = [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]
    n = len(lines)
    print(
        f"input: {SAMPLE.name} x{repeat} = {n} sentences, {len(stream) / 1e6:.1f} MB, {rounds} rounds"
    )
    with mosquitto() as url:
        mqtt: GatewayMqtt | None = None
        task: asyncio.Task[None] | None = None
        if url is not None:
            mqtt = GatewayMqtt(url, "bench-gateway", max_queued=1_000_000)
            task = asyncio.create_task(mqtt.run(), name="bench-mqtt")
            await asyncio.wait_for(mqtt.connected.wait(), 10)
        best: dict[str, float] = {}
        best_cpu: dict[str, float] = {}
        per_round: dict[str, list[float]] = {}
        events = 0
        for _ in range(rounds):
            for name in (
                "pyais IterMessages+decode",
                "pyais.decode per line",
                "gateway, publish to nothing",
                "gateway, publish to Mosquitto",
            ):
                start = time.perf_counter()
                cpu_start = time.process_time()
                if name.startswith("pyais IterMessages"):
                    bare_stream(lines)
                elif name.startswith("pyais.decode"):
                    bare_decode(lines)
                elif name.endswith("nothing"):
                    events = await gateway_chain(chunks, NullPublisher())
                else:
                    if mqtt is None:
                        continue
                    await gateway_chain(chunks, mqtt)
                    await mqtt.drain(60)
                elapsed = time.perf_counter() - start
                cpu = time.process_time() - cpu_start
                best[name] = max(best.get(name, 0.0), n / elapsed)
                best_cpu[name] = max(best_cpu.get(name, 0.0), n / cpu)
                per_round.setdefault(name, []).append(n / elapsed)
        if task is not None and mqtt is not None:
            await mqtt.close()
            task.cancel()
    reference = best["pyais IterMessages+decode"]
    cpu_reference = best_cpu["pyais IterMessages+decode"]
    print(
        f"{'pipeline':<32}{'sentences/s':>12}{'x stream':>10}{'x decode':>10}{'per CPU s':>12}{'x stream':>10}"
    )
    for name, rate in best.items():
        cpu_rate = best_cpu[name]
        print(
            f"{name:<32}{rate:>12,.0f}{rate / reference:>10.2f}"
            f"{rate / best['pyais.decode per line']:>10.2f}{cpu_rate:>12,.0f}{cpu_rate / cpu_reference:>10.2f}"
        )
    print("(x stream: against pyais IterMessages+decode; x decode: against pyais.decode per line;")
    print(
        " per CPU s: sentences per second of this process's CPU time, less sensitive to other load)"
    )
    if "gateway, publish to Mosquitto" not in best:
        print("(Mosquitto not installed: publish measured into nothing only)")
    print(
        f"events per run: {events} (the rest are empty payloads, partial messages and unwanted types)"
    )
    bare = per_round["pyais IterMessages+decode"]
    for name in ("gateway, publish to nothing", "gateway, publish to Mosquitto"):
        if name in best:
            ratio = best[name] / reference
            each = ", ".join(f"{a / b:.2f}" for a, b in zip(per_round[name], bare, strict=True))
            verdict = "meets" if ratio >= TARGET else "misses"
            print(
                f"{name}: {ratio:.2f}x pyais stream decode, {verdict} {TARGET}x "
                f"(per CPU second {best_cpu[name] / cpu_reference:.2f}x; round by round {each})"
            )
    print(
        "load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__)
    parser.add_argument("--repeat", type=int, default=150, help="copies of the sample file")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.repeat, args.rounds))


if __name__ == "__main__":
    main()
