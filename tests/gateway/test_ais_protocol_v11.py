"""AIS edges of protocol v1.1 (issue 15.12-15.14): `@` padding ends every six-bit text; CR, LF
and CR LF all end a line, and a last line without its end is taken once the port is quiet; the
static and voyage data carry dimensions, ETA and draught, and position reports their UTC second.
Messages are built with pyais's encoder (an independent implementation) and read back through
the gateway's own chain."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from pyais.encode import encode_dict

from gateway.ais.pipeline import AisPipeline
from gateway.ais.service import AisGateway
from gateway.clock import SystemClock
from gateway.counters import Counters
from gateway.lines import LineSplitter
from seaLink.wire.gateway import AIS_BATCH


def _lines(fields: dict[str, Any]) -> list[bytes]:
    return [s.encode() for s in encode_dict(fields, talker_id="AI", radio_channel="A")]


def _events(lines: list[bytes]) -> list[dict[str, Any]]:
    counters = Counters()
    events = AisPipeline(counters).process(lines, 1.7e9, 0.0)
    assert counters.rejections() == {}
    AIS_BATCH.validate_python(events)  # what the hub accepts
    return events


STATIC = {
    "type": 5, "mmsi": 412345678, "shipname": "MIN YU 1", "callsign": "BXYZ",
    "destination": "SHANTOU@ABC", "to_bow": 30, "to_stern": 10, "to_port": 4, "to_starboard": 5,
    "month": 12, "day": 6, "hour": 14, "minute": 30, "draught": 4.5, "ship_type": 30,
}  # fmt: skip


def test_text_after_the_first_at_sign_is_padding_in_every_field() -> None:
    [aton] = _events(_lines({"type": 21, "mmsi": 993456789, "name": "IBC G BUOY@?????????",
                             "name_ext": "????", "aid_type": 1, "lat": 23.3, "lon": 117.6}))  # fmt: skip
    assert aton["name"] == "IBC G BUOY"
    [static] = _events(_lines(STATIC))
    assert (static["name"], static["callsign"], static["destination"]) == (
        "MIN YU 1", "BXYZ", "SHANTOU"
    )  # fmt: skip
    [text] = _events(_lines({"type": 14, "mmsi": 412345678, "text": "SOS@JUNK"}))
    assert text["text"] == "SOS"
    [b_static] = _events(_lines({"type": 24, "mmsi": 412345679, "partno": 0,
                                 "shipname": "YUE NAN AO@XYZ"}))  # fmt: skip
    assert b_static["name"] == "YUE NAN AO"


def test_static_and_voyage_data_carry_what_rescue_needs() -> None:
    [static] = _events(_lines(STATIC))
    assert static["length_m"] == 40 and static["beam_m"] == 9
    assert static["draught"] == 4.5
    assert static["eta"] == {"month": 12, "day": 6, "hour": 14, "minute": 30}
    unknown = STATIC | {"to_bow": 0, "month": 0, "day": 0, "hour": 24, "minute": 60}
    [blank] = _events(_lines(unknown))
    assert "length_m" not in blank and "eta" not in blank and blank["beam_m"] == 9
    day_only = STATIC | {"hour": 24, "minute": 60}
    [day] = _events(_lines(day_only))
    assert day["eta"] == {"month": 12, "day": 6}


def test_position_reports_carry_their_utc_second() -> None:
    for msg_type in (1, 18):
        [report] = _events(_lines({"type": msg_type, "mmsi": 412345678, "lat": 23.3,
                                   "lon": 117.6, "speed": 5.0, "course": 90, "heading": 91,
                                   "second": 42}))  # fmt: skip
        assert report["utc_second"] == 42, msg_type
        [unknown] = _events(_lines({"type": msg_type, "mmsi": 412345678, "lat": 23.3,
                                    "lon": 117.6, "second": 60}))  # fmt: skip
        assert "utc_second" not in unknown


def test_cr_lf_and_crlf_all_end_a_line() -> None:
    one, two, three = (_lines({"type": 1, "mmsi": 412345670 + i, "lat": 23.3, "lon": 117.6})[0]
                       for i in range(3))  # fmt: skip
    for end in (b"\r", b"\n", b"\r\n"):
        splitter = LineSplitter()
        data = one + end + two + end + three
        got = splitter.feed(data[:40]) + splitter.feed(data[40:])
        assert got == [one, two], end
        assert splitter.pending and splitter.flush() == [three] and not splitter.pending
    # A CR LF split between two chunks is one line end.
    splitter = LineSplitter()
    assert splitter.feed(one + b"\r") == [one]
    assert splitter.feed(b"\n" + two + b"\r\n") == [two]
    # 2,000 sentences ended by CR alone, as some receivers send them: every one an event.
    feed = b"\r".join([one, two, three] * 700) + b"\r"
    counters = Counters()
    pipeline, splitter = AisPipeline(counters), LineSplitter()
    events = [e for i in range(0, len(feed), 4096)
              for e in pipeline.process(splitter.feed(feed[i : i + 4096]), 1.7e9, 0.0)]  # fmt: skip
    assert len(events) == 2100 and counters.rejections() == {}


class _Quiet:
    """A port that sends some bytes, then stays silent until told to end."""

    url = "test://quiet"
    is_open = True

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.end = asyncio.Event()

    async def chunks(self) -> AsyncIterator[bytes]:
        yield self._data
        await self.end.wait()

    async def write(self, data: bytes) -> None:
        raise NotImplementedError


class _Publisher:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        self.events.extend(json.loads(payload))
        return True


async def test_a_last_line_without_its_end_is_taken_when_the_port_goes_quiet() -> None:
    one, two = (_lines({"type": 1, "mmsi": 412345670 + i, "lat": 23.3, "lon": 117.6})[0]
                for i in range(2))  # fmt: skip
    source, mqtt = _Quiet(one + b"\r\n" + two), _Publisher()
    gateway = AisGateway(topic="t", source=source, mqtt=mqtt, clock=SystemClock(),
                         counters=Counters(), flush_after_s=0.01, quiet_line_s=0.05)  # fmt: skip
    task = asyncio.create_task(gateway.run())
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while len(mqtt.events) < 2:
            assert loop.time() < deadline, mqtt.events
            await asyncio.sleep(0.02)
        assert [e["mmsi"] for e in mqtt.events] == ["412345670", "412345671"]
    finally:
        source.end.set()
        await task
