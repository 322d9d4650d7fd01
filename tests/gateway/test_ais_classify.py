"""Who transmitted: MMSIs padded to nine digits and classified; net buoys not taken for boats."""

from __future__ import annotations

import pydantic_core
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.ais.classify import Classifier, classify_mmsi, name_looks_like_buoy, pad_mmsi
from gateway.ais.pipeline import AisPipeline
from gateway.ais.reasons import AisReject
from gateway.counters import Counters
from seaLink.wire.gateway import AIS_BATCH, AisClass
from simulators.ais_pty import AisTraffic, Faults
from tests.fuzzing import fuzz_settings


@pytest.mark.parametrize(
    ("mmsi", "msg_type", "expected"),
    [
        (412400037, 1, AisClass.VESSEL),  # China, MID 412
        (413123456, 18, AisClass.VESSEL),
        (416000001, 5, AisClass.VESSEL),  # Taiwan
        (477000001, 1, AisClass.VESSEL),  # Hong Kong
        (970136001, 1, AisClass.SART),
        (972136002, 14, AisClass.MOB),
        (974136003, 1, AisClass.EPIRB),
        (994136001, 21, AisClass.ATON),
        (4139713, 4, AisClass.BASE_STATION),  # 00 413 9713
        (3669713, 4, AisClass.BASE_STATION),
        (4139713, 18, AisClass.NET_BUOY),  # a "coast station" reporting like a boat
        (1234567, 18, AisClass.NET_BUOY),  # 001 234 567: not a MID, not nine digits on air
        (41234567, 1, AisClass.NET_BUOY),  # 041 234 567: eight digits on air
        (111413001, 9, AisClass.SAR_AIRCRAFT),
        (812345678, 1, AisClass.UNKNOWN),  # handheld VHF
        (100000001, 1, AisClass.NET_BUOY),  # not a MID
        (299000001, 1, AisClass.NET_BUOY),  # 299 is not allocated
        (299000001, 14, AisClass.UNKNOWN),  # ... but buoys send no safety texts
        (984121234, 1, AisClass.VESSEL),  # craft of a parent ship, MID 412
    ],
)
def test_mmsi_classes(mmsi: int, msg_type: int, expected: AisClass) -> None:
    assert classify_mmsi(mmsi, msg_type) is expected


def test_mmsis_are_padded_to_nine_digits() -> None:
    assert pad_mmsi(3669713) == "003669713"
    assert pad_mmsi(412400037) == "412400037"


@pytest.mark.parametrize(
    ("name", "buoy"),
    [
        ("12.5V 80%", True),
        ("BAT 85%", True),
        ("NET-3", True),
        ("BUOY 12", True),
        ("13V", True),
        ("YUENANAOYU10023", False),
        ("9%&//3*37", False),
        ("HAI YANG 8", False),
        ("VIVA", False),
    ],
)
def test_buoy_names(name: str, buoy: bool) -> None:
    assert name_looks_like_buoy(name) is buoy


def test_a_boat_named_like_a_buoy_is_a_buoy_from_then_on_but_a_sart_never_is() -> None:
    c = Classifier()
    assert c.classify(412400037, 18)[1] == AisClass.VESSEL
    c.note_name(412400037, "12.1V 77%")
    assert c.classify(412400037, 18)[1] == AisClass.NET_BUOY
    c.note_name(970136001, "BUOY")
    assert c.classify(970136001, 1)[1] == AisClass.SART


def test_class_b_static_parts_are_joined_by_mmsi() -> None:
    traffic = AisTraffic(Faults())
    base = {"type": 24, "mmsi": 412400111}
    lines = traffic.encode({**base, "partno": 0, "shipname": "MIN SHI YU 8"})
    lines += traffic.encode({**base, "partno": 1, "ship_type": 30, "callsign": "BZQ8"})
    events = AisPipeline(Counters()).process([x.strip() for x in lines], 1.7e9, 0.0)
    assert events[0]["name"] == "MIN SHI YU 8" and "callsign" not in events[0]
    assert (events[1]["name"], events[1]["callsign"], events[1]["ship_type"]) == (
        "MIN SHI YU 8",
        "BZQ8",
        30,
    )


def test_beacons_report_active_and_test_status_and_their_text() -> None:
    traffic = AisTraffic(Faults())
    lines = traffic.encode({"type": 1, "mmsi": 970136001, "status": 14, "lat": 23.3, "lon": 117.2})
    lines += traffic.encode({"type": 14, "mmsi": 970136001, "text": "SART ACTIVE"})
    lines += traffic.encode({"type": 1, "mmsi": 972136002, "status": 15, "lat": 23.3, "lon": 117.2})
    lines += traffic.encode({"type": 14, "mmsi": 412400037, "text": "MAYDAY"})
    events = AisPipeline(Counters()).process([x.strip() for x in lines], 1.7e9, 0.0)
    assert [(e["class"], e.get("nav_status"), e.get("text")) for e in events] == [
        ("sart", 14, None),
        ("sart", None, "SART ACTIVE"),
        ("mob", 15, None),
        ("vessel", None, "MAYDAY"),
    ]


@fuzz_settings(200)
@given(st.lists(st.binary(max_size=120), max_size=20))
def test_the_pipeline_never_raises_and_every_rejection_has_a_known_reason(
    lines: list[bytes],
) -> None:
    counters = Counters()
    events = AisPipeline(counters).process(lines, 1.7e9, 0.0)
    assert set(counters.rejections()) <= {r.value for r in AisReject}
    AIS_BATCH.validate_json(pydantic_core.to_json(events))


@fuzz_settings(150)
@given(
    st.lists(
        st.builds(
            lambda t, n, c, seq, payload, fill: f"!AIVDM,{t},{n},{seq},{c},{payload},{fill}",
            st.integers(1, 3),
            st.integers(1, 3),
            st.sampled_from(["A", "B"]),
            st.sampled_from(["", "1", "2"]),
            st.text(
                alphabet="0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw",
                max_size=80,
            ),
            st.integers(0, 5),
        ),
        max_size=12,
    )
)
def test_well_framed_random_payloads_decode_or_are_refused_with_a_reason(bodies: list[str]) -> None:
    from tests.gateway.nmea_util import with_checksum

    counters = Counters()
    pipeline = AisPipeline(counters, fragment_timeout_s=1.0)
    events = pipeline.process([with_checksum(b[1:]) for b in bodies], 1.7e9, 0.0)
    pipeline.expire(10.0)
    assert set(counters.rejections()) <= {r.value for r in AisReject}
    singles = sum(1 for b in bodies if b.split(",")[1:3] == ["1", "1"])
    handled = len(events) + sum(counters.rejections().values())
    assert handled >= singles  # every single-sentence line ends as an event or a counted refusal
    for event in AIS_BATCH.validate_json(pydantic_core.to_json(events)):
        assert len(event.mmsi) == 9


def test_class_b_extended_reports_carry_position_name_and_type() -> None:
    traffic = AisTraffic(Faults())
    lines = traffic.encode(
        {
            "type": 19,
            "mmsi": 412400222,
            "lat": 23.41,
            "lon": 117.05,
            "speed": 6.5,
            "course": 200.0,
            "heading": 199,
            "shipname": "YUE NAN AO YU 9",
            "ship_type": 30,
        }
    )
    (event,) = AisPipeline(Counters()).process([x.strip() for x in lines], 1.7e9, 0.0)
    assert (event["msg_type"], event["class"], event["name"], event["ship_type"]) == (
        19,
        "vessel",
        "YUE NAN AO YU 9",
        30,
    )
    assert (event["lat"], event["lon"], event["sog"], event["cog"], event["heading"]) == (
        23.41,
        117.05,
        6.5,
        200.0,
        199,
    )
