"""An AIS receiver on a pty: NMEA traffic for a list of targets, with the faults of real feeds.

    python -m simulators.ais_pty --rate 20 --faults 0.05     # prints the pty path, runs until ^C

Targets move on straight lines around Nan'ao. Sentences are encoded by pyais; multi-sentence
messages (types 5 and long ones) carry sequential ids. Faults: corrupted characters (checksum
fails), truncated lines, shuffled and orphaned fragments, noise lines, NMEA 4.0 tag blocks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import sys
import tty
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pyais import encode_dict

from seaLink.wire.checksum import nmea_checksum


class TargetKind(StrEnum):
    CLASS_A = "class_a"
    CLASS_B = "class_b"
    SART = "sart"
    MOB = "mob"
    EPIRB = "epirb"
    ATON = "aton"
    BASE_STATION = "base_station"
    NET_BUOY = "net_buoy"


@dataclass(slots=True)
class Target:
    mmsi: int
    kind: TargetKind
    lat: float
    lon: float
    name: str = ""
    callsign: str = ""
    sog: float = 0.0
    cog: float = 0.0
    ship_type: int = 30  # fishing
    test: bool = False  # a beacon's test transmission (nav status 15, "... TEST")

    def advance(self, seconds: float) -> None:
        """Dead reckoning on a flat sea: close enough for a few minutes of traffic."""
        if self.sog <= 0:
            return
        nm = self.sog * seconds / 3600.0
        self.lat += nm * math.cos(math.radians(self.cog)) / 60.0
        self.lon += (
            nm * math.sin(math.radians(self.cog)) / (60.0 * math.cos(math.radians(self.lat)))
        )


@dataclass(slots=True)
class Faults:
    """Fractions of lines or messages to spoil."""

    corrupt: float = 0.0
    truncate: float = 0.0
    shuffle: float = 0.0
    orphan: float = 0.0
    garbage: float = 0.0
    tag_blocks: bool = False
    station: str = "rNANAO01"


@dataclass(slots=True)
class TrafficStats:
    messages: int = 0
    lines: int = 0
    corrupted: int = 0
    truncated: int = 0
    shuffled: int = 0
    orphaned: int = 0
    garbage: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


BEACON_TEXT = {TargetKind.SART: "SART", TargetKind.MOB: "MOB", TargetKind.EPIRB: "EPIRB"}


def nanao_targets(count: int = 20, seed: int = 7) -> list[Target]:
    """A mixed fleet off Nan'ao: fishing boats (class A and B), a few beacons, buoys, an AtoN."""
    rng = random.Random(seed)
    targets: list[Target] = [
        Target(4_139_713, TargetKind.BASE_STATION, 23.435, 117.02),  # 00 413 9713
        Target(994_136_001, TargetKind.ATON, 23.41, 117.10, name="NANAO E LT"),
        Target(970_136_001, TargetKind.SART, 23.30, 117.25),
        Target(972_136_002, TargetKind.MOB, 23.32, 117.18, test=True),
        Target(974_136_003, TargetKind.EPIRB, 23.28, 117.31),
        Target(4_136_677, TargetKind.NET_BUOY, 23.25, 117.22, name="12.5V 80%"),
    ]
    for i in range(max(0, count - len(targets))):
        kind = TargetKind.CLASS_A if i % 3 == 0 else TargetKind.CLASS_B
        targets.append(
            Target(
                412_400_000 + i * 37,
                kind,
                23.2 + rng.random() * 0.4,
                116.9 + rng.random() * 0.5,
                name=f"YUENANAOYU{10000 + i}",
                callsign=f"BY{i:04d}",
                sog=rng.choice([0.5, 2.5, 4.5, 8.0]),
                cog=rng.random() * 360,
            )
        )
    return targets


class AisTraffic:
    """Pure and seeded: targets -> NMEA lines (bytes with CR LF), faults applied by chance or
    by request."""

    def __init__(self, faults: Faults | None = None, seed: int = 1) -> None:
        self.faults = faults or Faults()
        self._rng = random.Random(seed)
        self._seq = 0
        self._group = 0
        self._channel = 0
        self.stats = TrafficStats()

    # -- messages --------------------------------------------------------------------------------

    def reports(self, target: Target, with_static: bool) -> list[dict[str, Any]]:
        """What a target transmits in one round, as pyais encoder fields."""
        pos = {"mmsi": target.mmsi, "lat": round(target.lat, 5), "lon": round(target.lon, 5)}
        moving = {
            "speed": round(target.sog, 1),
            "course": round(target.cog, 1),
            "heading": int(target.cog) % 360,
        }
        kind = target.kind
        if kind is TargetKind.CLASS_A:
            out: list[dict[str, Any]] = [{"type": 1, "status": 7, **pos, **moving}]
            if with_static:
                out.append(
                    {
                        "type": 5,
                        "mmsi": target.mmsi,
                        "shipname": target.name,
                        "callsign": target.callsign,
                        "ship_type": target.ship_type,
                        "destination": "NANAO",
                    }
                )
            return out
        if kind in (TargetKind.CLASS_B, TargetKind.NET_BUOY):
            out = [{"type": 18, **pos, **moving}]
            if with_static:
                out.append({"type": 24, "mmsi": target.mmsi, "partno": 0, "shipname": target.name})
                out.append(
                    {
                        "type": 24,
                        "mmsi": target.mmsi,
                        "partno": 1,
                        "ship_type": target.ship_type,
                        "callsign": target.callsign,
                    }
                )
            return out
        if kind in BEACON_TEXT:
            word = "TEST" if target.test else "ACTIVE"
            return [
                {"type": 1, "status": 15 if target.test else 14, **pos, "speed": 0, "course": 0},
                {"type": 14, "mmsi": target.mmsi, "text": f"{BEACON_TEXT[kind]} {word}"},
            ]
        if kind is TargetKind.ATON:
            return [{"type": 21, "aid_type": 6, "name": target.name, **pos}]
        now = datetime.now(UTC)
        return [
            {
                "type": 4,
                **pos,
                "year": now.year,
                "month": now.month,
                "day": now.day,
                "hour": now.hour,
                "minute": now.minute,
                "second": now.second,
            }
        ]

    def encode(self, fields: dict[str, Any], fault: str | None = None) -> list[bytes]:
        """One AIS message as lines; `fault` in corrupt/truncate/shuffle/orphan, or by chance."""
        channel = "AB"[self._channel % 2]
        self._channel += 1
        self._seq = (self._seq + 1) % 10
        sentences = encode_dict(
            fields, talker_id="AI", sentence_type="VDM", radio_channel=channel, seq_id=self._seq
        )
        self.stats.messages += 1
        kind = f"type{fields['type']}"
        self.stats.by_kind[kind] = self.stats.by_kind.get(kind, 0) + 1
        fault = fault if fault is not None else self._chance_fault(len(sentences))
        if self.faults.tag_blocks:
            sentences = self._tagged(sentences)
        if fault == "shuffle" and len(sentences) > 1:
            sentences = sentences[::-1]
            self.stats.shuffled += 1
        elif fault == "orphan" and len(sentences) > 1:
            sentences = sentences[1:]
            self.stats.orphaned += 1
        elif fault == "corrupt":
            sentences = [self._corrupt(sentences[0]), *sentences[1:]]
            self.stats.corrupted += 1
        elif fault == "truncate":
            cut = sentences[0]
            sentences = [cut[: len(cut) // 2], *sentences[1:]]
            self.stats.truncated += 1
        lines = [s.encode("ascii") + b"\r\n" for s in sentences]
        if self.faults.garbage and self._rng.random() < self.faults.garbage:
            lines.append(
                b"$GPTXT,01,01,02,receiver noise\r\n"
                if self._rng.random() < 0.5
                else b"\x00\xff!AIV\r\n"
            )
            self.stats.garbage += 1
        self.stats.lines += len(lines)
        return lines

    def round(self, targets: list[Target], with_static: bool = False) -> list[bytes]:
        lines: list[bytes] = []
        for target in targets:
            for fields in self.reports(target, with_static):
                lines.extend(self.encode(fields))
        return lines

    # -- faults ------------------------------------------------------------------------------

    def _chance_fault(self, parts: int) -> str | None:
        f, r = self.faults, self._rng.random()
        for name, p in (("corrupt", f.corrupt), ("truncate", f.truncate)):
            if r < p:
                return name
            r -= p
        if parts > 1:
            for name, p in (("shuffle", f.shuffle), ("orphan", f.orphan)):
                if r < p:
                    return name
                r -= p
        return None

    def _corrupt(self, sentence: str) -> str:
        fields = sentence.split(",")
        payload = fields[5]
        i = self._rng.randrange(len(payload))
        swapped = "0" if payload[i] != "0" else "1"
        fields[5] = payload[:i] + swapped + payload[i + 1 :]
        return ",".join(fields)

    def _tagged(self, sentences: list[str]) -> list[str]:
        self._group = self._group % 9999 + 1
        unix = int(datetime.now(UTC).timestamp())
        out = []
        for n, sentence in enumerate(sentences, start=1):
            items = [f"s:{self.faults.station}", f"c:{unix}"]
            if len(sentences) > 1:
                items.insert(0, f"g:{n}-{len(sentences)}-{self._group}")
            body = ",".join(items)
            out.append(f"\\{body}*{nmea_checksum(body)}\\{sentence}")
        return out


class PtyPort:
    """The master side of a pty in raw mode; the slave's path is what a gateway opens."""

    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self._slave)
        self._writable = asyncio.Event()
        self._writable.set()
        self.closed = False

    async def write(self, data: bytes) -> None:
        """Write everything, waiting while the reader lags (the pty buffer is small)."""
        loop = asyncio.get_running_loop()
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.master, view)
                view = view[n:]
            except BlockingIOError:
                self._writable.clear()
                loop.add_writer(self.master, self._writable.set)
                try:
                    await self._writable.wait()
                finally:
                    loop.remove_writer(self.master)

    def read_nowait(self) -> bytes:
        try:
            return os.read(self.master, 65536)
        except (BlockingIOError, OSError):
            return b""

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            for fd in (self.master, self._slave):
                with contextlib.suppress(OSError):
                    os.close(fd)


class AisPtySimulator:
    """Targets on a pty at `rate` lines per second (statics every `static_every` rounds)."""

    def __init__(
        self,
        targets: list[Target],
        faults: Faults | None = None,
        *,
        seed: int = 1,
        static_every: int = 6,
    ) -> None:
        self.targets = targets
        self.traffic = AisTraffic(faults, seed)
        self.port = PtyPort()
        self._static_every = static_every
        self.rounds = 0

    @property
    def path(self) -> str:
        return self.port.path

    async def write_lines(self, lines: list[bytes]) -> None:
        await self.port.write(b"".join(lines))

    def next_round(self, seconds: float = 10.0) -> list[bytes]:
        with_static = self.rounds % self._static_every == 0
        self.rounds += 1
        lines = self.traffic.round(self.targets, with_static)
        for target in self.targets:
            target.advance(seconds)
        return lines

    async def run(self, rate: float, rounds: int | None = None) -> None:
        """Play rounds, pacing lines at `rate` per second (0: as fast as the reader takes)."""
        done = 0
        while rounds is None or done < rounds:
            lines = self.next_round()
            if rate <= 0:
                await self.write_lines(lines)
            else:
                for line in lines:
                    await self.port.write(line)
                    await asyncio.sleep(1.0 / rate)
            done += 1

    def close(self) -> None:
        self.port.close()


async def _main(args: argparse.Namespace) -> None:
    faults = Faults(
        corrupt=args.faults,
        truncate=args.faults / 2,
        shuffle=args.faults,
        orphan=args.faults / 2,
        garbage=args.faults / 2,
        tag_blocks=args.tag_blocks,
    )
    sim = AisPtySimulator(nanao_targets(args.targets, args.seed), faults, seed=args.seed)
    print(sim.path, flush=True)
    try:
        await sim.run(args.rate)
    finally:
        sim.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators.ais_pty", description=__doc__)
    parser.add_argument("--targets", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20.0, help="lines per second")
    parser.add_argument("--faults", type=float, default=0.0, help="fraction of spoiled lines")
    parser.add_argument("--tag-blocks", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
