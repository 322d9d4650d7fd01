"""`sealink gateway nmea` over real ptys and a real Mosquitto: a plain NMEA GNSS box reports as its
vessel. The expected fixes and refusals are worked out here from the sentences' text, by the rules
of NMEA 0183 and docs/protocol.md, not by the parser the gateway uses."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from functools import reduce
from operator import xor
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gateway.cli import add_gateway_parser, nmea_config_from_args
from gateway.clock import Clock, ManualClock, SystemClock
from gateway.nmea.cycles import CycleAssembler
from gateway.nmea.process import NmeaGatewayConfig, NmeaGatewayProcess, vessel_broker_url
from seaLink import __version__
from seaLink.clock import FakeClock
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store import queries
from seaLink.wire.codec import Rejection, decode_uplink
from seaLink.wire.mqtt import parse_broker_url
from seaLink.wire.nmea import parse_nmea_fixes
from seaLink.wire.payloads import Fix, HelloPayload
from seaLink.wire.topics import UplinkKind
from simulators.ais_pty import PtyPort
from tests.brokers import Mosquitto, ShippedMosquitto
from tests.gateway.conftest import DATA, Collector, eventually
from tests.test_ingest import wait_for

VID = "NA52445"
# The gateway's clock: it dates the sentences that carry only a time of day (GGA, GLL).
TODAY = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)

# -- the reference: NMEA 0183 read by hand --------------------------------------------------------

POSITION_TYPES = {"RMC", "GGA", "GLL"}
TALKERS = {"GP", "BD", "GB", "GN"}


def _time(text: str) -> dt.time:
    """`hhmmss` or `hhmmss.ss` -> a time of day."""
    whole, _, frac = text.partition(".")
    micro = round(float("0." + frac) * 1_000_000) if frac else 0
    return dt.time(int(whole[0:2]), int(whole[2:4]), int(whole[4:6]), micro)


def _degrees(value: str, hemisphere: str) -> float:
    """`ddmm.mmmm` / `dddmm.mmmm` and N/S/E/W -> signed decimal degrees."""
    dot = value.index(".") if "." in value else len(value)
    degrees = int(value[: dot - 2]) + float(value[dot - 2 :]) / 60
    return -degrees if hemisphere in ("S", "W") else degrees


def _number(text: str) -> float | None:
    return float(text) if text else None


@dataclass
class _Cycle:
    time: dt.time | None = None
    date: dt.date | None = None
    lat: float | None = None
    lon: float | None = None
    sog: float | None = None
    cog: float | None = None
    motion_only: list[str] = field(default_factory=list)


def _refusal(line: str) -> str | None:
    """Why a line cannot be part of a fix, reading the sentence's frame and address."""
    if len(line) > 82:
        return "bad_format"  # NMEA 0183: at most 82 characters with $ and *hh
    if not line.isascii() or not line.startswith("$"):
        return "bad_format"
    if "*" not in line:
        return "missing_checksum"
    body, _, checksum = line[1:].rpartition("*")
    if not re.fullmatch(r"[0-9A-Fa-f]{2}", checksum):
        return "bad_format"  # something after the two hex digits, or not two of them
    if reduce(xor, body.encode(), 0) != int(checksum, 16):
        return "bad_checksum"
    address = body.split(",")[0]
    if address.startswith("P") or len(address) != 5 or address[2:] not in POSITION_TYPES | {"VTG"}:
        return "unsupported_sentence"  # proprietary, or not RMC/GGA/GLL/VTG
    if address[:2] not in TALKERS:
        return "unsupported_talker"
    f = body.split(",")
    kind = address[2:]
    if kind == "RMC" and f[2] != "A":
        return "no_fix"  # status V (or empty): the receiver says the position is not valid
    if kind == "GGA" and f[6] in ("", "0"):
        return "no_fix"  # quality 0: no fix
    if kind == "GLL" and f[6] not in ("A", ""):
        return "no_fix"
    if kind == "VTG" and not f[1] and not f[5]:
        return "no_fix"
    return None


def reference(lines: list[str], today: dt.datetime) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The fixes a stream of sentences gives (one per cycle: the sentences of one time of day;
    a VTG adds speed and course to the cycle it follows) and the refusals by reason."""
    refused: Counter[str] = Counter()
    fixes: list[dict[str, Any]] = []
    cycle = _Cycle()

    def close() -> None:
        nonlocal cycle
        if cycle.time is None:
            refused["no_position"] += len(cycle.motion_only)  # VTGs with no position
        else:
            if cycle.date is not None:
                date = cycle.date
            else:  # GGA/GLL only: today's date, or the day before/after if 12 h away
                guess = dt.datetime.combine(today.date(), cycle.time, dt.UTC)
                if guess - today > dt.timedelta(hours=12):
                    guess -= dt.timedelta(days=1)
                elif today - guess > dt.timedelta(hours=12):
                    guess += dt.timedelta(days=1)
                date = guess.date()
            ts = dt.datetime.combine(date, cycle.time, dt.UTC)
            fixes.append(
                {"ts": ts, "lat": cycle.lat, "lon": cycle.lon, "sog": cycle.sog, "cog": cycle.cog}
            )
        cycle = _Cycle()

    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        reason = _refusal(line)
        if reason is not None:
            refused[reason] += 1
            continue
        f = line[1:].rpartition("*")[0].split(",")
        kind = f[0][2:]
        if kind == "VTG":
            if f[5]:
                cycle.sog = float(f[5])
            if f[1]:
                cycle.cog = float(f[1])
            if cycle.time is None:
                cycle.motion_only.append(line)
            continue
        if kind == "RMC":
            time, lat, lon = _time(f[1]), _degrees(f[3], f[4]), _degrees(f[5], f[6])
        elif kind == "GGA":
            time, lat, lon = _time(f[1]), _degrees(f[2], f[3]), _degrees(f[4], f[5])
        else:  # GLL
            time, lat, lon = _time(f[5]), _degrees(f[1], f[2]), _degrees(f[3], f[4])
        if cycle.time is not None and cycle.time != time:
            close()
        cycle.time, cycle.lat, cycle.lon = time, lat, lon
        cycle.motion_only.clear()
        if kind == "RMC":
            day, month, yy = int(f[9][0:2]), int(f[9][2:4]), int(f[9][4:6])
            cycle.date = dt.date(1900 + yy if yy >= 69 else 2000 + yy, month, day)
            cycle.sog = _number(f[7]) if f[7] else cycle.sog
            cycle.cog = _number(f[8]) if f[8] else cycle.cog
    close()
    return fixes, refused


def sentence(body: str) -> str:
    return f"${body}*{reduce(xor, body.encode(), 0):02X}"


Position = tuple[int, float, str, int, float, str]  # degrees, minutes, N/S; degrees, minutes, E/W


def degrees(p: Position) -> tuple[float, float]:
    lat, lon = p[0] + p[1] / 60, p[3] + p[4] / 60
    return (-lat if p[2] == "S" else lat), (-lon if p[5] == "W" else lon)


def _where(p: Position) -> str:
    return f"{p[0]:02d}{p[1]:07.4f},{p[2]},{p[3]:03d}{p[4]:07.4f},{p[5]}"


def rmc(
    talker: str, at: dt.datetime, p: Position, sog: float, cog: float, status: str = "A"
) -> str:
    return sentence(
        f"{talker}RMC,{at:%H%M%S}.00,{status},{_where(p)},{sog:.1f},{cog:.1f},{at:%d%m%y},,,A"
    )


def gga(talker: str, at: dt.datetime, p: Position, quality: int = 1) -> str:
    return sentence(f"{talker}GGA,{at:%H%M%S}.00,{_where(p)},{quality},12,0.8,4.0,M,,M,,")


def vtg(talker: str, sog: float, cog: float) -> str:
    return sentence(f"{talker}VTG,{cog:.1f},T,,M,{sog:.1f},N,{sog * 1.852:.1f},K,A")


# -- running a gateway ---------------------------------------------------------------------------


def published(collector: Collector, topic: str) -> list[list[Fix]]:
    """Every position message on `topic`, each decoded (and checked) as the hub would."""
    messages = []
    for payload in collector.payloads(topic):
        decoded = decode_uplink(UplinkKind.POSITION, payload, max_bytes=65536, max_fixes=2000)
        assert not isinstance(decoded, Rejection), decoded
        assert isinstance(json.loads(payload), list)  # always an array of fixes
        messages.append(decoded)
    return messages


def as_dicts(fixes: list[Fix]) -> list[dict[str, Any]]:
    return [{"ts": f.ts, "lat": f.lat, "lon": f.lon, "sog": f.sog, "cog": f.cog} for f in fixes]


def approx_fixes(expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: pytest.approx(v, abs=1e-9) if isinstance(v, float) else v for k, v in e.items()}
        for e in expected
    ]


@contextlib.asynccontextmanager
async def running(
    url: str,
    prefix: str,
    port: str,
    *,
    clock: Clock | None = None,
    vessel: str = VID,
    **options: Any,
) -> AsyncIterator[NmeaGatewayProcess]:
    config = NmeaGatewayConfig(vessel, url, prefix, port=port, **options)
    process = NmeaGatewayProcess(config, clock=clock or ManualClock(TODAY))
    task = asyncio.create_task(process.run(), name="test-nmea-gateway")
    try:
        await eventually(
            lambda: (
                process.port_is_open
                and process.mqtt is not None
                and process.mqtt.connected.is_set()
            ),
            what="port open and connected",
        )
        yield process
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class TimedCollector(Collector):
    """A subscriber that also notes when each message arrived (monotonic seconds)."""

    def __init__(self, url: str, topic_filter: str) -> None:
        self.times: list[tuple[str, float]] = []
        super().__init__(url, topic_filter)

    def _on_message(self, c: paho.Client, u: object, msg: paho.MQTTMessage) -> None:
        self.times.append((msg.topic, time.monotonic()))
        super()._on_message(c, u, msg)

    def arrivals(self, topic: str) -> list[float]:
        return [t for name, t in list(self.times) if name == topic]


async def write_lines(port: PtyPort, lines: list[str]) -> None:
    await port.write("".join(f"{x}\r\n" for x in lines).encode("latin-1"))


# -- the tests -----------------------------------------------------------------------------------


async def test_the_gnss_sample_sentences_over_a_pty_give_these_fixes_and_refusals(
    broker: Mosquitto, prefix: str, collector: Callable[[str], Collector]
) -> None:
    lines = DATA.joinpath("nmea", "extracted_sentences.txt").read_text().splitlines()
    expected, refused = reference(lines, TODAY)
    # read by hand: 19 lines make 4 fixes (2 GGA of one time, 1 GLL, 14 RMC with status A, 13 of
    # them of one time, and 2 VTG after the last RMC); every other line is refused
    assert len(expected) == 4 and sum(refused.values()) == len(lines) - 19
    sub = collector(f"{prefix}/vessels/{VID}/#")
    topic = f"{prefix}/vessels/{VID}/up/position"
    port = PtyPort()
    try:
        async with running(broker.url, prefix, port.path) as gw:
            await write_lines(port, lines)
            await eventually(lambda: gw.counters["lines"] == len(lines), what="all lines read")
            await eventually(
                lambda: sum(map(len, published(sub, topic))) == len(expected),
                what="every fix published",
            )
            await asyncio.sleep(1.2)  # nothing else comes
            messages = published(sub, topic)
            assert gw.counters.rejections() == dict(refused)
    finally:
        port.close()
    fixes = [f for m in messages for f in m]
    assert as_dicts(fixes) == approx_fixes(expected)
    assert all(not f.backfill and f.state is None for f in fixes)
    # e.g. the RMC 225446 of the file, with the course and speed of the two VTGs after it
    assert expected[3]["ts"] == dt.datetime(1994, 11, 19, 22, 54, 46, tzinfo=dt.UTC)
    assert (expected[3]["sog"], expected[3]["cog"]) == (0.04, 108.53)


async def test_a_corrupt_or_truncated_line_in_the_middle_does_not_stop_later_fixes(
    broker: Mosquitto, prefix: str, collector: Callable[[str], Collector]
) -> None:
    start = dt.datetime(2026, 7, 1, 8, 20, 0, tzinfo=dt.UTC)
    places: list[Position] = [
        (23, 24.12, "N", 117, 3.5, "E"),
        (23, 25.0034, "N", 117, 4.25, "E"),
        (23, 26.5, "N", 117, 5.9876, "E"),
        (22, 59.9999, "N", 116, 59.0001, "E"),
        (1, 0.5, "S", 2, 0.25, "W"),  # the signs of the other hemispheres
        (23, 27.0, "N", 117, 6.0, "E"),
    ]
    talkers = ["GN", "BD", "GB", "GP", "GN", "BD"]
    truth: list[dict[str, Any]] = []
    cycles: list[list[str]] = []
    for i, (talker, place) in enumerate(zip(talkers, places, strict=True)):
        at, sog, cog = start + dt.timedelta(seconds=10 * i), 3.0 + i, 100.0 + 7 * i
        # RMC, VTG (which has the last word on speed and course), GGA: one cycle, one fix
        cycles.append(
            [
                rmc(talker, at, place, sog, cog),
                vtg(talker, sog + 0.5, cog + 1),
                gga(talker, at, place),
            ]
        )
        lat, lon = degrees(place)
        truth.append({"ts": at, "lat": lat, "lon": lon, "sog": sog + 0.5, "cog": cog + 1})
    good_rmc, _, good_gga = cycles[2]
    cycles[2][2] = good_gga.replace(",1,12,", ",2,12,")  # a changed character, the old checksum
    cycles[2][1:1] = [good_rmc[:33]]  # the next sentence cut off mid-way (no checksum)
    cycles[2].append(good_rmc[:-1])  # its checksum's last digit lost
    cycles[2].append("\x00\xff garbage on the line")
    no_fix_at = start + dt.timedelta(seconds=25)
    cycles[2] += [
        gga("GN", no_fix_at, places[0], quality=0),
        rmc("GN", no_fix_at, places[0], 0, 0, "V"),
    ]
    cycles[4] += [
        sentence("GLRMC,082045.00,A,2324.0000,N,11703.0000,E,1.0,1.0,010726,,,A"),  # GLONASS only
        sentence("GPGSV,3,1,12,01,40,083,46,02,17,308,41,12,07,344,39,14,22,228,45"),
    ]
    lines = [x for cycle in cycles for x in cycle]
    expected, refused = reference(lines, TODAY)
    assert as_dicts_plain(expected) == as_dicts_plain(truth)  # the reference reads them right
    assert dict(refused) == {
        "bad_checksum": 1,
        "missing_checksum": 1,
        "bad_format": 2,  # the lost checksum digit, the garbage
        "no_fix": 2,  # GGA quality 0, RMC status V
        "unsupported_talker": 1,
        "unsupported_sentence": 1,
    }
    sub = TimedCollector(broker.url, f"{prefix}/vessels/{VID}/#")
    topic = f"{prefix}/vessels/{VID}/up/position"
    port = PtyPort()
    try:
        async with running(broker.url, prefix, port.path, max_batch=4) as gw:
            for line in lines:  # one by one, as a box sends them
                await write_lines(port, [line])
                await asyncio.sleep(0.002)
            await eventually(
                lambda: sum(map(len, published(sub, topic))) == len(truth), what="the fixes"
            )
            assert gw.counters.rejections() == dict(refused)
            assert gw.counters["lines"] == len(lines)
    finally:
        port.close()
        sub.close()
    messages = published(sub, topic)
    assert len(messages[0]) == 4  # four fixes fill a message: it goes at once
    assert all(len(m) <= 4 for m in messages)
    arrived = sub.arrivals(topic)
    for before, after, message in zip(arrived, arrived[1:], messages[1:], strict=False):
        assert len(message) == 4 or after - before >= 0.95  # else at most one a second
    assert as_dicts([f for m in messages for f in m]) == approx_fixes(truth)


def as_dicts_plain(fixes: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(f["ts"], round(f["lat"], 9), round(f["lon"], 9), f["sog"], f["cog"]) for f in fixes]


class Listener:
    """A subscriber with an account (or none), optionally with a persistent session, that keeps
    (topic, payload, retained) of every message in order."""

    def __init__(
        self,
        port: int,
        topic_filter: str,
        username: str | None = None,
        password: str | None = None,
        client_id: str | None = None,
    ) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        subscribed = threading.Event()
        self._client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id or f"listener-{uuid.uuid4().hex[:8]}",
            clean_session=client_id is None,
        )
        if username:
            self._client.username_pw_set(username, password)
        self._client.on_message = self._on_message
        self._client.on_subscribe = lambda *a: subscribed.set()
        self._client.on_connect = lambda c, *a: c.subscribe(topic_filter, 1)
        self._client.reconnect_delay_set(0.1, 0.5)
        self._client.connect("127.0.0.1", port, 30)
        self._client.loop_start()
        assert subscribed.wait(5), "no subscription"

    def _on_message(self, _c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    def on(self, topic: str) -> list[bytes]:
        with self._lock:
            return [p for t, p, _ in self.messages if t == topic]

    def kinds(self) -> list[str]:
        """The last topic level of each message, in order (`status:online`, `hello`, ...)."""
        with self._lock:
            return [
                f"status:{p.decode()}" if t.endswith("/status") else t.rsplit("/", 1)[1]
                for t, p, _ in self.messages
            ]

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def acl_broker(tmp_path: Path) -> Iterator[tuple[Mosquitto, dict[str, str]]]:
    """The shipped Mosquitto configuration with accounts made by `sealink credentials`: a vessel
    speaks only as itself, with its own client id."""
    b = ShippedMosquitto(tmp_path / "broker", log_all=True)
    b.start()
    pw = {"hub": b.credentials("hub"), VID: b.credentials("vessel", VID)}
    yield b, pw
    b.stop()


async def test_it_is_the_vessels_terminal_on_the_air_with_the_vessels_account(
    acl_broker: tuple[Mosquitto, dict[str, str]],
) -> None:
    broker, pw = acl_broker
    prefix = "sealink/v1"  # the shipped ACL's
    hub = Listener(broker.port, f"{prefix}/vessels/#", "sealink-hub", pw["hub"])
    status, hello = f"{prefix}/vessels/{VID}/status", f"{prefix}/vessels/{VID}/up/hello"
    position = f"{prefix}/vessels/{VID}/up/position"
    at = dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)
    place: Position = (23, 24.5, "N", 117, 3.25, "E")
    port = PtyPort()
    clock = ManualClock(at)
    try:
        async with running(broker.url, prefix, port.path, clock=clock, password=pw[VID]) as gw:
            await write_lines(port, [rmc("BD", at, place, 4.2, 211.0), gga("BD", at, place)])
            await eventually(lambda: len(hub.on(position)) == 1, what="the fix")
            assert gw.mqtt is not None and gw.mqtt.connections == 1
        await eventually(lambda: hub.kinds()[-1:] == ["status:offline"], what="offline")
        # the wrong password: the broker refuses it, and it never speaks as the vessel
        async with contextlib.AsyncExitStack() as stack:
            wrong = NmeaGatewayProcess(
                NmeaGatewayConfig(VID, broker.url, prefix, port=port.path, password="wrong"),
                clock=clock,
            )
            task = asyncio.create_task(wrong.run(), name="test-nmea-wrong-password")
            stack.callback(task.cancel)
            await eventually(lambda: wrong.port_is_open, what="port open")
            await asyncio.sleep(1.5)
            assert wrong.mqtt is not None and wrong.mqtt.connections == 0
    finally:
        port.close()
        hub.close()
    assert hub.kinds() == ["status:online", "hello", "position", "status:offline"]
    assert HelloPayload.model_validate_json(hub.on(hello)[0]) == HelloPayload(
        ts=at, terminal=f"SeaLink/nmea-gateway/{__version__}"
    )
    lat, lon = degrees(place)
    assert json.loads(hub.on(position)[0]) == [
        {"ts": "2026-07-01T08:30:00Z", "lat": pytest.approx(lat, abs=1e-9),
         "lon": pytest.approx(lon, abs=1e-9), "sog": 4.2, "cog": 211.0}
    ]  # fmt: skip
    retained = Listener(broker.port, status, "sealink-hub", pw["hub"])
    try:
        await eventually(lambda: retained.messages != [], what="retained status")
        assert retained.messages == [(status, b"offline", True)]
    finally:
        retained.close()
    # The broker's own log: client id and user name are the vessel id, a persistent 3.1.1
    # session (c0) with a 60 s keepalive; the wrong password was refused.
    log = (broker.workdir / "mosquitto.log").read_text()
    assert re.search(rf"New client connected from \S+ as {VID} \(p2, c0, k60, u'{VID}'\)", log)
    assert "not authorised" in log.lower()


async def test_fixes_heard_while_the_broker_is_away_follow_the_next_hello_as_backfill(
    tmp_path: Path,
) -> None:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    prefix = "sealink/v1"
    hub = Listener(broker.port, f"{prefix}/vessels/#", client_id="hub-persistent")
    position = f"{prefix}/vessels/{VID}/up/position"
    start = dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)
    places: list[Position] = [(23, 24.0 + i, "N", 117, 3.0 + i, "E") for i in range(4)]
    port = PtyPort()
    try:
        async with running(broker.url, prefix, port.path, clock=ManualClock(start)) as gw:
            assert gw.mqtt is not None and gw.service is not None
            await write_lines(port, [rmc("GN", start, places[0], 5.0, 90.0)])
            await eventually(lambda: len(hub.on(position)) == 1, what="the live fix")
            broker.stop()
            await eventually(lambda: not gw.mqtt.connected.is_set(), what="the link lost")
            away = [rmc("GN", start + dt.timedelta(seconds=s), places[i], 5.0, 90.0)
                    for i, s in ((1, 10), (2, 20), (3, 30))]  # fmt: skip
            await write_lines(port, away)
            await eventually(lambda: gw.counters["kept_offline"] == 3, what="kept")
            broker.start()
            await eventually(lambda: len(hub.on(position)) == 2, timeout=20, what="the backfill")
            assert gw.mqtt.connections == 2 and not gw.service.backlog
    finally:
        port.close()
        hub.close()
        broker.stop()
    kinds = hub.kinds()
    # each session in the protocol's order: online, hello, then fixes (those kept: backfill)
    assert [k for k in kinds if k != "status:offline"] == ["status:online", "hello", "position"] * 2
    # the will while the broker went down (Mosquitto sends it on shutdown), and the last words
    assert kinds[3] == "status:offline" and kinds[-1] == "status:offline"
    live, kept = (json.loads(p) for p in hub.on(position))
    assert [f.get("backfill", False) for f in live] == [False]
    assert [(f["ts"], f["backfill"]) for f in kept] == [
        ("2026-07-01T09:00:10Z", True),
        ("2026-07-01T09:00:20Z", True),
        ("2026-07-01T09:00:30Z", True),
    ]


async def test_a_port_that_goes_away_is_reopened(
    broker: Mosquitto, prefix: str, collector: Callable[[str], Collector], tmp_path: Path
) -> None:
    link = tmp_path / "gnss0"
    first = PtyPort()
    os.symlink(first.path, link)
    sub = collector(f"{prefix}/vessels/{VID}/up/position")
    topic = f"{prefix}/vessels/{VID}/up/position"
    at = dt.datetime(2026, 7, 1, 10, 0, tzinfo=dt.UTC)
    place: Position = (23, 24.0, "N", 117, 3.0, "E")
    # the system clock: the port is retried after real backoff sleeps
    async with running(broker.url, prefix, str(link), clock=SystemClock()) as gw:
        await write_lines(first, [rmc("GP", at, place, 1.0, 2.0)])
        await eventually(lambda: len(sub.payloads(topic)) == 1, what="first fix")
        first.close()  # the box is unplugged
        await eventually(lambda: not gw.port_is_open, what="loss noticed")
        second = PtyPort()  # ... and plugged in again under the same name
        link.unlink()
        os.symlink(second.path, link)
        try:
            await eventually(lambda: gw.port_is_open, timeout=5, what="reopened")
            await write_lines(second, [rmc("GP", at + dt.timedelta(seconds=1), place, 1.0, 2.0)])
            await eventually(lambda: len(sub.payloads(topic)) == 2, what="fix after reopening")
        finally:
            second.close()
    assert [json.loads(p)[0]["ts"] for p in sub.payloads(topic)] == [
        "2026-07-01T10:00:00Z",
        "2026-07-01T10:00:01Z",
    ]


def test_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="sealink")
    add_gateway_parser(parser.add_subparsers(dest="cmd", required=True))
    secret = tmp_path / "pw"
    secret.write_text("s3cr:t/@\n")
    args = parser.parse_args(
        [
            "gateway",
            "nmea",
            "--port",
            "/dev/ttyUSB1",
            "--vessel",
            VID,
            "--password-file",
            str(secret),
        ]
    )
    config = nmea_config_from_args(args, "mqtt://hub:secret@broker:1883", "sealink/v1")
    assert (config.vessel_id, config.port, config.baudrate, config.password) == (
        VID, "/dev/ttyUSB1", 4800, "s3cr:t/@"
    )  # fmt: skip
    assert (config.max_batch, config.broker_url) == (10, "mqtt://hub:secret@broker:1883")
    # the vessel's account replaces whatever account the hub's settings named
    url = vessel_broker_url(config.broker_url, VID, config.password)
    addr = parse_broker_url(url)
    assert (addr.username, addr.password, addr.host, addr.port) == (VID, "s3cr:t/@", "broker", 1883)
    monkeypatch.setenv("SEALINK_VESSEL_PASSWORD", "from-env")
    args = parser.parse_args(
        ["gateway", "nmea", "--replay", "box.nmea", "--vessel", VID, "--baud", "9600"]
    )
    config = nmea_config_from_args(args, "mqtt://127.0.0.1:1883", "x/v1")
    assert (config.replay, config.baudrate, config.password) == (Path("box.nmea"), 9600, "from-env")
    with pytest.raises(ValueError, match="vessel id"):
        nmea_config_from_args(
            parser.parse_args(["gateway", "nmea", "--port", "/dev/x", "--vessel", "粤南澳渔1"]),
            "mqtt://127.0.0.1",
            "sealink/v1",
        )
    with pytest.raises(SystemExit):  # a port or a replay file, not both
        parser.parse_args(["gateway", "nmea", "--port", "/dev/x", "--replay", "f", "--vessel", VID])


async def test_a_fix_from_the_box_lands_in_the_track_and_restores_contact_in_the_hub(
    registered: Settings, fake_clock: FakeClock
) -> None:
    """The whole chain: GNSS box (pty) -> NMEA gateway as vessel V1 -> broker -> hub."""
    place: Position = (23, 18.0, "N", 117, 36.0, "E")  # east of the Nanpeng reserve: no zone alert
    lat, lon = degrees(place)
    hub = Hub(registered, clock=fake_clock)
    port = PtyPort()
    try:
        async with hub.running():
            url, prefix = registered.mqtt.url, registered.mqtt.prefix
            gclock = ManualClock(fake_clock.now())
            async with running(url, prefix, port.path, clock=gclock, vessel="V1") as gw:
                first = fake_clock.now()
                await write_lines(
                    port, [rmc("GN", first, place, 6.5, 120.0), gga("GN", first, place)]
                )
                await wait_for(lambda: _fixes(hub, 1))
                await hub.drained()
                v1 = await queries.get_vessel(hub.db, "V1")
                assert v1 is not None and v1["contact"]["state"] == "ok"
                assert v1["contact"]["last_link"] == "mqtt"
                assert v1["contact"]["link_status"] == "online"  # its retained status

                fake_clock.advance(dt.timedelta(minutes=45))  # silence at sea: contact lost
                await hub.watch.settle()
                [alert] = await queries.list_alerts(hub.db, open_only=True)
                assert (alert["vessel_id"], alert["type"]) == ("V1", "lost_contact")

                again = fake_clock.now()
                await write_lines(port, [rmc("BD", again, place, 2.0, 45.0), vtg("BD", 2.5, 47.0)])
                await wait_for(lambda: _fixes(hub, 2))
                await hub.drained()
                await hub.watch.settle()
                v1 = await queries.get_vessel(hub.db, "V1")
                assert v1 is not None and v1["contact"]["state"] == "ok"
                [alert] = await queries.list_alerts(hub.db, open_only=False)
                assert (alert["state"], alert["outcome"]) == ("resolved", "contact_restored")
                track = await queries.track(hub.db, "V1")
                dead = await queries.dead_letter_counts(hub.db)
                assert gw.counters.rejections() == {}
    finally:
        port.close()
    assert [(f["ts"], f["sog"], f["cog"], f["backfill"], f["link"]) for f in track] == [
        (first.isoformat().replace("+00:00", "Z"), 6.5, 120.0, False, "mqtt"),
        (again.isoformat().replace("+00:00", "Z"), 2.5, 47.0, False, "mqtt"),  # VTG's motion
    ]
    assert all(
        (f["lat"], f["lon"]) == (pytest.approx(lat, abs=1e-9), pytest.approx(lon, abs=1e-9))
        for f in track
    )
    assert dead == {}  # nothing it published was refused (spoofing, schema, clock)


async def _fixes(hub: Hub, n: int) -> bool:
    return len(await queries.track(hub.db, "V1")) >= n


def test_cycles_streamed_line_by_line_are_what_the_hub_makes_of_the_same_lines_on_up_nmea() -> None:
    # (as long as a time of day does not come back after another: the stream has moved on then)
    lines = DATA.joinpath("nmea", "extracted_sentences.txt").read_text().splitlines()
    cycles = CycleAssembler(lambda: TODAY)
    fixes: list[Fix] = []
    refused: Counter[str] = Counter()
    for line in [*lines, None]:
        got, no = cycles.feed(line) if line is not None else cycles.close()
        fixes += got
        refused.update(r.reason.value for r in no)
    batch, rejections = parse_nmea_fixes(lines, now=TODAY)
    assert fixes == batch and len(fixes) == 4
    assert refused == Counter(r.reason.value for r in rejections)


def test_a_box_that_sends_only_vtg_holds_no_more_than_a_cycle() -> None:
    cycles = CycleAssembler(lambda: TODAY, max_lines=8)
    refused: Counter[str] = Counter()
    for _ in range(20):
        _fixes, no = cycles.feed(vtg("GP", 1.0, 2.0))
        refused.update(r.reason.value for r in no)
    refused.update(r.reason.value for r in cycles.close()[1])
    assert refused == {"no_position": 20} and not cycles.open
