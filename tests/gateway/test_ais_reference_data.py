"""AIS decoding checked against other decoders' answers: libais's typeexamples and tag blocks,
and the values pyais's tests assert for its captures."""

from __future__ import annotations

import json
from typing import Any

import pydantic_core
import pytest

from gateway.ais.pipeline import AisPipeline
from gateway.ais.reasons import AisReject
from gateway.counters import Counters
from seaLink.wire.gateway import AIS_BATCH, AisClass
from tests.gateway.conftest import DATA, data_lines
from tests.gateway.reference import assert_matches_libais, libais_cases


def _decode(lines: list[bytes]) -> tuple[list[dict[str, Any]], Counters]:
    counters = Counters()
    events = AisPipeline(counters).process(lines, 1_700_000_000.0, 0.0)
    return events, counters


def _libais_cases() -> list[tuple[bytes, dict[str, Any]]]:
    return libais_cases()


@pytest.mark.parametrize(("line", "answer"), _libais_cases(), ids=lambda v: str(v)[:20])
def test_each_libais_type_example_decodes_as_libais_says(
    line: bytes, answer: dict[str, Any]
) -> None:
    events, counters = _decode([line])
    assert_matches_libais(line, answer, events, counters)


def test_libais_examples_are_classified_by_their_numbers() -> None:
    events, _ = _decode([line for line, _ in _libais_cases()])
    classes = {(e["mmsi"], e["msg_type"]): e["class"] for e in events}
    assert classes[("003669713", 4)] == AisClass.BASE_STATION  # 00 + MID 366
    assert classes[("367033650", 1)] == AisClass.VESSEL
    assert classes[("974291422", 27)] == AisClass.EPIRB
    assert classes[("996574371", 12)] == AisClass.ATON
    assert classes[("003669739", 8)] == AisClass.BASE_STATION


def test_the_libais_tag_block_examples_give_station_and_time() -> None:
    events, counters = _decode(data_lines("ais", "libais", "tagblock.nmea"))
    answers = [json.loads(x) for x in data_lines("ais", "libais", "tagblock.json")]
    assert counters.rejections() == {}
    assert len(events) == len(answers) == 4
    by_mmsi_time = {(e["mmsi"], e["ts"][:19]) for e in events}
    for answer in answers:
        assert (f"{answer['mmsi']:09d}", answer["tagblock_timestamp"][:19]) in by_mmsi_time
    stations = {e["ts"][:19]: e["source"] for e in events}
    for answer in answers:
        assert stations[answer["tagblock_timestamp"][:19]] == answer["tagblock_station"]
    static = next(e for e in events if e["msg_type"] == 5)
    assert (static["name"], static["callsign"]) == ("ROSINANTE", "XPD5019")


def test_pyais_expected_decodes() -> None:
    expected = json.loads(DATA.joinpath("ais", "pyais", "expected.json").read_text())
    for case in expected["sentences"]:
        events, counters = _decode([x.encode() for x in case["lines"]])
        assert counters.rejections() == {}
        (event,) = events
        for key, value in case["expect"].items():
            assert event[key] == (
                pytest.approx(value, abs=1e-5) if isinstance(value, float) else value
            )


def test_the_pyais_mixed_file_gives_its_six_messages_and_counts_the_rest() -> None:
    events, counters = _decode(data_lines("ais", "pyais", "messages.ais"))
    expected = json.loads(DATA.joinpath("ais", "pyais", "expected.json").read_text())
    assert len(events) == expected["messages_ais_count"]
    assert counters.rejections() == {AisReject.BAD_FORMAT.value: 2}  # the two comment lines


def test_every_whole_message_of_the_marine_traffic_sample_decodes() -> None:
    lines = data_lines("ais", "pyais", "nmea_data_sample.txt")
    events, counters = _decode(lines)
    rejected = counters.rejections()
    # Every complete sentence is valid: nothing fails its checksum or format. What does not
    # become an event is accounted for: empty payloads, types the hub does not want, and the
    # first halves of type-5 messages whose second halves the capture lacks.
    assert "bad_checksum" not in rejected and "bad_format" not in rejected
    empty = sum(1 for x in lines if x.split(b",")[5:6] == [b""])
    assert rejected["decode_error"] == empty
    assert rejected["unsupported_type"] == 8  # types 15 and 20
    assert len(events) == 770
    AIS_BATCH.validate_json(pydantic_core.to_json(events))


@pytest.mark.parametrize(
    ("name", "events_expected", "rejections"),
    [
        # one $PGHP line was edited in the capture (2008 -> 2009) without a new checksum;
        # "*A" (one digit) tag blocks are refused but their sentences kept
        (
            "mixed.txt",
            12,
            {"bad_checksum": 1, "bad_format": 8, "bad_tag_block": 2, "unsupported_sentence": 5},
        ),
        ("sample.ais", 11, {"bad_checksum": 1, "bad_format": 8, "bad_tag_block": 2}),
        ("gatehouse.nmea", 4, {"bad_checksum": 1, "bad_format": 1, "unsupported_sentence": 3}),
    ],
)
def test_the_other_pyais_captures_decode_and_validate(
    name: str, events_expected: int, rejections: dict[str, int]
) -> None:
    events, counters = _decode(data_lines("ais", "pyais", name))
    assert len(events) == events_expected
    assert counters.rejections() == rejections
    batch = AIS_BATCH.validate_json(pydantic_core.to_json(events))
    assert all(len(e.mmsi) == 9 for e in batch)
