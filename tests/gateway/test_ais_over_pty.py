"""The AIS gateway's input over real ptys (and other serial URLs): what the simulator sends,
faults included, is decoded or counted; ports that vanish are reopened."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pyais
import pytest

from gateway.ais.pipeline import AisPipeline
from gateway.clock import ManualClock
from gateway.counters import Counters
from gateway.lines import LineSplitter
from gateway.replay import ReplayFile
from gateway.serial_link import SerialLink
from simulators.ais_pty import AisPtySimulator, AisTraffic, Faults, PtyPort, nanao_targets
from tests.gateway.conftest import DATA, data_lines, eventually
from tests.gateway.nmea_util import with_checksum
from tests.gateway.reference import SUPPORTED, assert_matches_libais, libais_cases


class Reader:
    """SerialLink -> lines -> pipeline, as the gateway does, without MQTT."""

    def __init__(self, link: SerialLink, fragment_timeout_s: float = 10.0) -> None:
        self.link = link
        self.counters = Counters()
        self.pipeline = AisPipeline(self.counters, fragment_timeout_s=fragment_timeout_s)
        self.events: list[dict[str, object]] = []
        self._lines = LineSplitter()

    async def run(self) -> None:
        async for chunk in self.link.chunks():
            self.events.extend(
                self.pipeline.process(self._lines.feed(chunk), time.time(), time.monotonic())
            )


@contextlib.asynccontextmanager
async def reading(url: str, **kw: float) -> AsyncIterator[Reader]:
    reader = Reader(SerialLink(url, min_backoff_s=0.05, max_backoff_s=0.2), **kw)
    task = asyncio.create_task(reader.run(), name="test-ais-reader")
    try:
        yield reader
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_simulated_traffic_over_a_pty_is_decoded_and_classified() -> None:
    sim = AisPtySimulator(nanao_targets(12), Faults(tag_blocks=True))
    try:
        async with reading(sim.path) as reader:
            await eventually(lambda: reader.link.is_open, what="port open")
            sent = []
            for _ in range(3):
                lines = sim.next_round()
                sent.extend(lines)
                await sim.write_lines(lines)
            await eventually(lambda: reader.counters["lines"] == len(sent), what="all lines read")
    finally:
        sim.close()
    assert reader.counters.rejections() == {}
    assert len(reader.events) == sim.traffic.stats.messages
    classes = {e["class"] for e in reader.events}
    assert classes == {"vessel", "sart", "mob", "epirb", "aton", "base_station", "net_buoy"}
    assert all(e["source"] == "rNANAO01" for e in reader.events)
    statics = [e for e in reader.events if e["msg_type"] == 5]
    assert statics and all(e["name"].startswith("YUENANAOYU") for e in statics)


async def test_corrupt_truncated_shuffled_and_orphaned_input_is_counted_by_reason() -> None:
    sim = AisPtySimulator([], Faults())
    traffic: AisTraffic = sim.traffic
    position = {
        "type": 1,
        "mmsi": 412400037,
        "lat": 23.3,
        "lon": 117.1,
        "speed": 4.5,
        "course": 90.0,
    }
    static = {
        "type": 5,
        "mmsi": 412400037,
        "shipname": "YUE NAN AO YU 1",
        "callsign": "BY01",
        "ship_type": 30,
    }
    lines = (
        traffic.encode(position)
        + traffic.encode(position, fault="corrupt")
        + traffic.encode(position, fault="truncate")
        + traffic.encode(static, fault="shuffle")
        + traffic.encode(static, fault="orphan")
        + [b"\x00\xff garbage\r\n", with_checksum("GPTXT,01,01,02,noise", "$") + b"\r\n"]
        + traffic.encode(position)
    )
    try:
        async with reading(sim.path, fragment_timeout_s=0.3) as reader:
            await eventually(lambda: reader.link.is_open, what="port open")
            await sim.write_lines(lines)
            await eventually(lambda: reader.counters["lines"] == len(lines), what="all lines read")
            await asyncio.sleep(0.35)
            reader.pipeline.expire(time.monotonic())
    finally:
        sim.close()
    # Fragments are joined in order only (issue 15.11): a part 1 after its part 2 cannot be told
    # from a new message reusing the sequential id, so the shuffled static is refused, counted.
    assert [e["msg_type"] for e in reader.events] == [1, 1]
    assert reader.counters.rejections() == {
        "bad_checksum": 1,  # the corrupted character
        "bad_format": 2,  # the truncated line and the garbage line
        "unsupported_sentence": 1,  # $GPTXT
        "orphan_fragment": 2,  # the shuffled static's part 2, the static whose part 1 was lost
        "stale_fragment": 1,  # the shuffled static's part 1, never followed by its part 2
    }


async def test_a_port_that_goes_away_is_reopened_with_backoff(tmp_path: Path) -> None:
    link_path = tmp_path / "ais0"
    first = PtyPort()
    os.symlink(first.path, link_path)
    traffic = AisTraffic()
    position = {"type": 1, "mmsi": 412400037, "lat": 23.3, "lon": 117.1}
    async with reading(str(link_path)) as reader:
        await eventually(lambda: reader.link.is_open, what="first open")
        await first.write(b"".join(traffic.encode(position)))
        await eventually(lambda: len(reader.events) == 1, what="first event")
        first.close()  # the receiver is unplugged
        await eventually(lambda: not reader.link.is_open, what="loss noticed")
        second = PtyPort()  # ... and plugged in again, under the same name
        link_path.unlink()
        os.symlink(second.path, link_path)
        try:
            await eventually(lambda: reader.link.is_open, timeout=5, what="reopened")
            await second.write(b"".join(traffic.encode(position)))
            await eventually(lambda: len(reader.events) == 2, what="event after reopening")
        finally:
            second.close()
    assert reader.link.opens == 2 and reader.link.failures >= 1


async def test_a_socket_url_is_read_like_a_port() -> None:
    traffic = AisTraffic()
    lines = b"".join(traffic.encode({"type": 18, "mmsi": 413000001, "lat": 23.4, "lon": 117.0}))

    async def serve(_r: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(lines)
        await writer.drain()
        await asyncio.sleep(1)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with reading(f"socket://127.0.0.1:{port}") as reader:
            await eventually(lambda: len(reader.events) == 1, what="event over TCP")
    finally:
        server.close()
    assert reader.events[0]["mmsi"] == "413000001"


async def test_url_handlers_without_a_descriptor_are_read_in_a_thread() -> None:
    link = SerialLink("loop://", min_backoff_s=0.05)
    got: list[bytes] = []

    async def read() -> None:
        async for chunk in link.chunks():
            got.append(chunk)

    task = asyncio.create_task(read(), name="test-loop-reader")
    try:
        await eventually(lambda: link.is_open, what="loop:// open")
        await link.write(b"!AIVDM hello\r\n")
        await eventually(lambda: b"".join(got) == b"!AIVDM hello\r\n", what="echo")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_replay_file_is_played_at_its_rate(tmp_path: Path) -> None:
    path = tmp_path / "capture.nmea"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(100)))
    clock = ManualClock()
    replay = ReplayFile(path, rate=20.0, clock=clock)
    got: list[bytes] = []

    async def play() -> None:
        async for chunk in replay.chunks():
            got.extend(chunk.splitlines())

    task = asyncio.create_task(play(), name="test-replay")
    for _ in range(20):  # one simulated second
        await asyncio.sleep(0.001)
        clock.advance(0.05)
    await asyncio.sleep(0.01)
    assert 18 <= len(got) <= 21
    for _ in range(100):
        clock.advance(0.05)
        await asyncio.sleep(0.001)
    await asyncio.wait_for(task, 2)
    assert len(got) == 100 and replay.done.is_set()


async def test_writing_to_a_replay_is_refused() -> None:
    from gateway.serial_link import PortClosed

    with pytest.raises(PortClosed):
        await ReplayFile(Path("/nonexistent")).write(b"x")


async def _through_a_pty(lines: list[bytes]) -> Reader:
    port = PtyPort()
    try:
        async with reading(port.path) as reader:
            await eventually(lambda: reader.link.is_open, what="port open")
            await port.write(b"".join(x + b"\r\n" for x in lines))
            wanted = len([x for x in lines if x.strip()])
            await eventually(lambda: reader.counters["lines"] == wanted, what="all lines read")
        return reader
    finally:
        port.close()


async def test_the_libais_type_examples_over_a_pty_decode_as_libais_says() -> None:
    cases = libais_cases()
    reader = await _through_a_pty([line for line, _ in cases])
    supported = [(line, answer) for line, answer in cases if answer["type"] in SUPPORTED]
    assert len(reader.events) == len(supported) == 14
    for (line, answer), event in zip(supported, reader.events, strict=True):
        assert_matches_libais(line, answer, [event], Counters())
    assert reader.counters.rejections() == {"unsupported_type": 12}


async def test_the_pyais_captures_over_a_pty_decode_as_pyais_says() -> None:
    expected = json.loads(DATA.joinpath("ais", "pyais", "expected.json").read_text())
    lines = [x.encode() for case in expected["sentences"] for x in case["lines"]]
    lines += data_lines("ais", "pyais", "nmea_data_sample.txt")
    reader = await _through_a_pty(lines)
    first, second = reader.events[:2]
    for event, case in zip((first, second), expected["sentences"], strict=True):
        for key, value in case["expect"].items():
            assert event[key] == (
                pytest.approx(value, abs=1e-5) if isinstance(value, float) else value
            )
    assert len(reader.events) == 2 + 770
    assert "bad_checksum" not in reader.counters.rejections()


def _without_receive_time(events: list[dict[str, object]]) -> list[dict[str, object]]:
    """Events minus `ts` where it is the time of reading (no tag block gave one)."""
    return [{k: v for k, v in e.items() if k != "ts" or "source" in e} for e in events]


@pytest.mark.parametrize(
    "parts",
    [
        ("pyais", "mixed.txt"),
        ("pyais", "sample.ais"),
        ("pyais", "gatehouse.nmea"),
        ("pyais", "messages.ais"),
        ("libais", "tagblock.nmea"),
        ("libais", "test.aivdm"),
    ],
    ids=lambda parts: "/".join(parts),
)
async def test_every_other_capture_over_a_pty_gives_what_it_gives_read_directly(
    parts: tuple[str, str],
) -> None:
    # The decodes of these files are checked line by line in test_ais_reference_data (and below
    # for test.aivdm); here the pty (CRLF line ends, reads cut anywhere) must change nothing.
    lines = data_lines("ais", *parts)
    reader = await _through_a_pty(lines)
    direct = Counters()
    events = AisPipeline(direct).process(lines, time.time(), time.monotonic())
    assert events, parts
    assert _without_receive_time(reader.events) == _without_receive_time(events)
    assert reader.counters.rejections() == direct.rejections()


async def test_libais_unanswered_capture_over_a_pty_agrees_with_pyais_message_by_message() -> None:
    # libais's test.aivdm has no answer key: pyais decoding each line on its own is the check.
    lines = data_lines("ais", "libais", "test.aivdm")
    reader = await _through_a_pty(lines)
    assert reader.counters.rejections() == {
        "bad_format": 47,  # the file's comment lines
        "unsupported_type": 145,  # types 7, 10, 11, 15, 16, 17, 20, 22, 23, 25, 26
        "bad_mmsi": 5,  # 0, or ten digits
        "decode_error": 7,  # type 27 shorter than its 96 bits
    }
    assert len(reader.events) == 104
    sentences = [x.split(b"*")[0] + b"*" + x.split(b"*")[1][:2] for x in lines if x[:1] == b"!"]
    kept = []
    for nmea in pyais.IterMessages(sentences):  # joins the multi-part ones
        msg = nmea.decode()
        bits = len(nmea.payload) * 6 - nmea.fill_bits
        if (
            msg.msg_type in SUPPORTED
            and 0 < msg.mmsi <= 999_999_999
            and not (msg.msg_type == 27 and bits < 96)
        ):
            kept.append(msg)
    assert len(kept) == len(reader.events)
    for msg, event in zip(kept, reader.events, strict=True):
        assert (event["msg_type"], event["mmsi"]) == (msg.msg_type, f"{msg.mmsi:09d}")
        if "lat" in event:
            assert (event["lat"], event["lon"]) == (msg.lat, msg.lon)
