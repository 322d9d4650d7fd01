"""AIS gateway throughput: sentences per second through the gateway's own chain (line splitting,
checksum, tag blocks, reassembly, decode, classification, JSON batches, MQTT publish) against a
bare pyais decode of the same sentences, in the same run.

    .venv/bin/python -m bench.gateway [--repeat 150] [--slice 5] [--passes 5]

The reference is the fastest way pyais itself decodes a whole capture: its stream reader
(`IterMessages`, which also joins multi-sentence messages) with `.decode()` of each message.
`pyais.decode(line)` per line is shown too; it is slower and cannot join fragments, so it is not
the bar. pyais checks no checksums by default and the reference is left that way (the gateway
checks every one). The publish goes to a private Mosquitto when the binary is installed (else to
nothing, which is said).

The machine is shared, and other work comes and goes by the second. So the pipelines are timed
in fine alternation: the input is cut into slices of `--slice` copies of the capture (~30 ms of
work each) and every pipeline takes each slice in turn, the order rotating, so that each meets
the same mix of load. A pass is all the slices; its time for a gateway includes publishing what
is still pending at the end and, for Mosquitto, the broker's acknowledgement of everything. The
table shows each pipeline's fastest pass of `--passes` (a pass that another process stalled for
a second does not count), and the ratio is of those. Also printed: rates per CPU second of this
process, and the median and quartiles of the slice-by-slice ratios, to show how load moved them.
The two gateways run the whole time (one long-lived `AisGateway` each, as in service).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
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


class SliceSource:
    """A capture handed to `AisGateway` slice by slice, in serial-sized reads, like a port."""

    url = "memory"
    is_open = True

    def __init__(self) -> None:
        self._slices: asyncio.Queue[list[bytes] | None] = asyncio.Queue()
        self._taken = asyncio.Event()

    async def chunks(self) -> AsyncIterator[bytes]:
        while (chunks := await self._slices.get()) is not None:
            for i, chunk in enumerate(chunks):
                yield chunk
                if i % 16 == 15:
                    await asyncio.sleep(0)  # let the MQTT socket drain, as a real port's pauses do
            # resumed only once the gateway has processed the last chunk and wants more
            self._taken.set()

    async def feed(self, chunks: list[bytes]) -> None:
        """Hand over one slice; return when the gateway has processed all of it."""
        self._taken.clear()
        self._slices.put_nowait(chunks)
        await self._taken.wait()

    def end(self) -> None:
        self._slices.put_nowait(None)

    async def write(self, data: bytes) -> None:
        raise OSError("read only")


class NullPublisher:
    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        return True


class LiveGateway:
    """One `AisGateway` running for the whole benchmark, fed slice by slice."""

    def __init__(self, name: str, publisher: Publisher) -> None:
        self.counters = Counters()
        self.source = SliceSource()
        self.gateway = AisGateway(
            topic="bench/v1/gateways/bench/ais",
            source=self.source,
            mqtt=publisher,
            clock=SystemClock(),
            counters=self.counters,
            max_batch=BATCH,
        )
        self.task = asyncio.create_task(self.gateway.run(), name=f"bench-{name}")

    async def close(self) -> None:
        self.source.end()
        await self.task


REFERENCE = "pyais IterMessages+decode"
PER_LINE = "pyais.decode per line"
TO_NOTHING = "gateway, publish to nothing"
TO_MOSQUITTO = "gateway, publish to Mosquitto"


def _slices(data: bytes, repeat: int, per_slice: int) -> list[tuple[list[bytes], list[bytes]]]:
    """(lines, serial-sized reads) of each slice."""
    lines = [x for x in data.splitlines() if x.strip()]
    out = []
    for start in range(0, repeat, per_slice):
        part = lines * (min(repeat, start + per_slice) - start)
        stream = b"\n".join(part) + b"\n"
        out.append((part, [stream[i : i + CHUNK] for i in range(0, len(stream), CHUNK)]))
    return out


async def run(repeat: int, per_slice: int, passes: int) -> None:
    data = SAMPLE.read_bytes()
    slices = _slices(data, repeat, per_slice)
    n = sum(len(lines) for lines, _ in slices)
    print(
        f"input: {SAMPLE.name} x{repeat} = {n} sentences ({len(data) * repeat / 1e6:.1f} MB)"
        f" in {len(slices)} slices; {passes} passes"
    )
    best: dict[str, float] = {}  # the fastest pass of each pipeline, seconds
    best_cpu: dict[str, float] = {}
    each: dict[str, list[float]] = {}  # seconds per slice
    with mosquitto() as url:
        mqtt: GatewayMqtt | None = None
        mqtt_task: asyncio.Task[None] | None = None
        if url is not None:
            mqtt = GatewayMqtt(url, "bench-gateway", max_queued=1_000_000)
            mqtt_task = asyncio.create_task(mqtt.run(), name="bench-mqtt")
            await asyncio.wait_for(mqtt.connected.wait(), 10)
        gateways = {TO_NOTHING: LiveGateway("null", NullPublisher())}
        if mqtt is not None:
            gateways[TO_MOSQUITTO] = LiveGateway("mosquitto", mqtt)
        names = [REFERENCE, PER_LINE, *gateways]
        turn = 0
        for _ in range(passes):
            wall = dict.fromkeys(names, 0.0)
            cpu = dict.fromkeys(names, 0.0)
            for lines, chunks in slices:
                turn += 1
                for k in range(len(names)):
                    name = names[(turn + k) % len(names)]  # each takes each place in turn
                    started, cpu_started = time.perf_counter(), time.process_time()
                    if name == REFERENCE:
                        bare_stream(lines)
                    elif name == PER_LINE:
                        bare_decode(lines)
                    else:
                        await gateways[name].source.feed(chunks)
                    took = time.perf_counter() - started
                    wall[name] += took
                    cpu[name] += time.process_time() - cpu_started
                    each.setdefault(name, []).append(took)
            # A pass is through when the last events are out and (for Mosquitto) acknowledged.
            for name, live in gateways.items():
                started, cpu_started = time.perf_counter(), time.process_time()
                live.gateway.flush()
                if name == TO_MOSQUITTO and mqtt is not None and not await mqtt.drain(120):
                    print("(the broker did not acknowledge everything within 120 s)")
                wall[name] += time.perf_counter() - started
                cpu[name] += time.process_time() - cpu_started
            for name in names:
                best[name] = min(best.get(name, wall[name]), wall[name])
                best_cpu[name] = min(best_cpu.get(name, cpu[name]), cpu[name])
        events = gateways[TO_NOTHING].counters["events"] // passes
        for live in gateways.values():
            await live.close()
        if mqtt is not None and mqtt_task is not None:
            await mqtt.close()
            mqtt_task.cancel()
    _report(n, names, best, best_cpu, each, events, mosquitto_ran=mqtt is not None)


def _report(
    n: int,
    names: list[str],
    best: dict[str, float],
    best_cpu: dict[str, float],
    each: dict[str, list[float]],
    events: int,
    *,
    mosquitto_ran: bool,
) -> None:
    rate = {name: n / best[name] for name in names}
    cpu_rate = {name: n / best_cpu[name] for name in names}
    print(
        f"{'pipeline':<32}{'sentences/s':>12}{'x stream':>10}{'x decode':>10}"
        f"{'per CPU s':>12}{'x stream':>10}"
    )
    for name in names:
        print(
            f"{name:<32}{rate[name]:>12,.0f}{rate[name] / rate[REFERENCE]:>10.2f}"
            f"{rate[name] / rate[PER_LINE]:>10.2f}{cpu_rate[name]:>12,.0f}"
            f"{cpu_rate[name] / cpu_rate[REFERENCE]:>10.2f}"
        )
    print("(the fastest pass of each; x stream: against pyais IterMessages+decode; x decode:")
    print(" against pyais.decode per line; per CPU s: sentences per second of this process's CPU)")
    if not mosquitto_ran:
        print("(Mosquitto not installed: publish measured into nothing only)")
    print(
        f"events published per pass: {events} of {n} sentences"
        " (the rest are empty payloads, partial messages and unwanted types)"
    )
    for name in names[2:]:
        pairs = [theirs / mine for mine, theirs in zip(each[name], each[REFERENCE], strict=True)]
        quartiles = statistics.quantiles(pairs, n=4)
        ratio = rate[name] / rate[REFERENCE]
        verdict = "meets" if ratio >= TARGET else "misses"
        print(
            f"{name}: {ratio:.2f}x pyais stream decode, {verdict} {TARGET}x "
            f"(per CPU second {cpu_rate[name] / cpu_rate[REFERENCE]:.2f}x; slice by slice "
            f"median {statistics.median(pairs):.2f}, quartiles {quartiles[0]:.2f}-{quartiles[2]:.2f})"
        )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min) at the end: {load}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway", description=__doc__)
    parser.add_argument("--repeat", type=int, default=150, help="copies of the sample file")
    parser.add_argument("--slice", type=int, default=5, help="copies of the sample per slice")
    parser.add_argument("--passes", type=int, default=5, help="times through all the slices")
    args = parser.parse_args()
    asyncio.run(run(args.repeat, args.slice, args.passes))


if __name__ == "__main__":
    main()
