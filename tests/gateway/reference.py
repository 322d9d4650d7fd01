"""The reference answers for AIS: libais's decodes of its type examples, and how to compare."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.ais.reasons import AisReject
from gateway.counters import Counters
from tests.gateway.conftest import data_lines

SUPPORTED = {1, 2, 3, 4, 5, 6, 8, 9, 12, 14, 18, 19, 21, 24, 27}
LIBAIS_TABLE = str.maketrans({"_": "-", "'": "`"})  # libais's six-bit table differs here


def libais_cases() -> list[tuple[bytes, dict[str, Any]]]:
    lines = data_lines("ais", "libais", "typeexamples.nmea")
    answers = [json.loads(x) for x in data_lines("ais", "libais", "typeexamples.json")]
    assert len(lines) == len(answers) == 26
    return list(zip(lines, answers, strict=True))


def assert_matches_libais(
    line: bytes, answer: dict[str, Any], events: list[dict[str, Any]], counters: Counters
) -> None:
    """The events (and refusals) one libais example line gave, against libais's answer."""
    if answer["type"] not in SUPPORTED:
        assert events == []
        assert counters.rejections() == {AisReject.UNSUPPORTED_TYPE.value: 1}
        return
    assert counters.rejections() == {}
    (event,) = events
    assert event["msg_type"] == answer["type"]
    assert event["mmsi"] == f"{answer['mmsi']:09d}"
    lat, lon = answer.get("lat"), answer.get("lon")
    if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180:
        assert event["lat"] == pytest.approx(lat, abs=1e-5)
        assert event["lon"] == pytest.approx(lon, abs=1e-5)
    else:
        assert "lat" not in event and "lon" not in event  # "not available" is left out
    if answer["type"] == 9:
        # ITU-R M.1371: SAR aircraft speed is in whole knots; libais scales it by 0.1
        assert event["sog"] == pytest.approx(answer["speed"] * 10, abs=1e-3)
    elif answer["type"] != 27 and answer.get("speed") is not None and answer["speed"] <= 102.2:
        assert event["sog"] == pytest.approx(answer["speed"], abs=1e-4)
    if answer.get("course") is not None and answer["course"] < 360:
        assert event["cog"] == pytest.approx(answer["course"], abs=1e-4)
    heading = answer.get("heading")
    assert event.get("heading") == (heading if heading is not None and heading < 360 else None)
    if "status" in answer:
        assert event["nav_status"] == answer["status"]
    for mine, theirs in (("name", "shipname"), ("name", "name"), ("callsign", "callsign")):
        if answer.get(theirs):
            assert event[mine].translate(LIBAIS_TABLE) == answer[theirs]
    if "shiptype" in answer:
        assert event["ship_type"] == answer["shiptype"]
    if answer["type"] in (12, 14):
        assert event["text"] == answer["text"]
    if answer["type"] in (6, 8):
        assert (event["dac"], event["fid"]) == (answer["dac"], answer["fid"])
        assert event["raw"] == [line.split(b",d-")[0].decode()]
    if answer["type"] in (6, 12):
        assert event["dest_mmsi"] == f"{answer['dest_mmsi']:09d}"
