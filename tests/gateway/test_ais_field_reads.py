"""The position reports read straight off the bits (`field_reads`) give exactly what pyais's whole
message object gives, through the same table of fillers, for every capture and for any bits."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from gateway.ais.decode import FILLERS, decode_into
from gateway.ais.field_reads import READS
from gateway.ais.framing import Sentence, frame_line
from tests.gateway.conftest import data_lines

POSITION_TYPES = {1, 2, 3, 18}
CAPTURES = [
    ("pyais", "nmea_data_sample.txt"),
    ("pyais", "gatehouse.nmea"),
    ("pyais", "messages.ais"),
    ("pyais", "sample.ais"),
    ("pyais", "mixed.txt"),
    ("libais", "typeexamples.nmea"),
    ("libais", "tagblock.nmea"),
    ("libais", "test.aivdm"),
]
# The six-bit armoring alphabet, to turn random bits into payload characters.
ARMOR = bytes([*range(48, 88), *range(96, 120)])


def through_pyais_object(payload: bytes, fill: int) -> tuple[int, dict[str, Any]]:
    """The way every other type goes: pyais's whole message, then the type's filler."""
    msg = MSG_CLASS[int(ARMOR.index(payload[0]))].from_vector(bit_vector(payload, fill))
    event: dict[str, Any] = {"msg_type": msg.msg_type}
    FILLERS[msg.msg_type](msg, event)
    return int(msg.mmsi), event


def read_directly(payload: bytes, fill: int) -> tuple[int, dict[str, Any]]:
    event: dict[str, Any] = {}
    mmsi = decode_into(payload, fill, event)
    assert isinstance(mmsi, int)
    return mmsi, event


def position_payloads() -> list[tuple[bytes, int]]:
    found = []
    for parts in CAPTURES:
        for line in data_lines("ais", *parts):
            sentence = frame_line(line)
            if (
                isinstance(sentence, Sentence)
                and sentence.total == 1
                and sentence.payload
                and ARMOR.index(sentence.payload[0]) in POSITION_TYPES
                and len(sentence.payload) * 6 - sentence.fill >= 168
            ):
                found.append((sentence.payload, sentence.fill))
    return found


def test_this_python_reads_position_reports_directly() -> None:
    # Else the direct reads would silently never run here and the tests below prove nothing.
    assert set(READS) == POSITION_TYPES


def test_every_position_report_in_the_captures_reads_as_pyais_decodes_it() -> None:
    payloads = position_payloads()
    assert len(payloads) > 700  # 799 in these captures
    for payload, fill in payloads:
        assert read_directly(payload, fill) == through_pyais_object(payload, fill), payload


def test_only_the_wanted_fields_are_kept_and_half_a_position_is_dropped() -> None:
    # Type 1, MMSI 366053209, lat 91 (not available) and a valid longitude: no position at all.
    bits = (1 << 162) | (366053209 << 130) | (5 << 126)  # type 1, status 5
    bits |= (100 << 108) | ((-122 * 600000) & 0xFFFFFFF) << 79 | (91 * 600000) << 52
    bits |= (3600 << 40) | (511 << 31)  # course and heading not available
    payload = bytes(ARMOR[(bits >> (162 - 6 * i)) & 63] for i in range(28))
    mmsi, event = read_directly(payload, 0)
    assert mmsi == 366053209
    assert event == {"msg_type": 1, "nav_status": 5, "sog": 10.0, "utc_second": 0}
    # The report's UTC second (bits 137-142) is carried; 60 means not available.
    for second, expected in ((42, {"utc_second": 42}), (60, {})):
        with_second = bits | (second << 25)
        payload = bytes(ARMOR[(with_second >> (162 - 6 * i)) & 63] for i in range(28))
        _mmsi, event = read_directly(payload, 0)
        assert event == {"msg_type": 1, "nav_status": 5, "sog": 10.0} | expected


@given(
    msg_type=st.sampled_from(sorted(POSITION_TYPES)),
    rest=st.integers(min_value=0, max_value=(1 << 162) - 1),
    extra_chars=st.integers(min_value=0, max_value=3),
    fill=st.integers(min_value=0, max_value=5),
)
def test_any_bits_read_as_pyais_decodes_them(
    msg_type: int, rest: int, extra_chars: int, fill: int
) -> None:
    # 168 bits, or a few characters more (some receivers send longer reports), with fill bits.
    n_chars = 28 + extra_chars
    bits = ((msg_type << 162) | rest) << (6 * extra_chars)
    if extra_chars == 0:
        fill = 0  # a 168-bit report has no fill
    payload = bytes(ARMOR[(bits >> (6 * (n_chars - 1 - i))) & 63] for i in range(n_chars))
    assert read_directly(payload, fill) == through_pyais_object(payload, fill)
