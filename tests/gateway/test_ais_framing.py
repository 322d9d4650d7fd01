"""Stage 1-3 of the AIS chain: checksum, fields, tag blocks, each refusal with its reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.ais.framing import REFUSED_TAG, Sentence, frame_any_line, frame_line
from gateway.ais.reasons import AisReject
from gateway.ais.tagblock import parse_tag_block, parse_uscg_trailer
from seaLink.wire.checksum import xor_checksum
from tests.fuzzing import fuzz_settings
from tests.gateway.conftest import data_lines
from tests.gateway.nmea_util import rechecksum, with_checksum

GOOD = b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23"


def test_a_good_sentence_is_split_into_its_fields() -> None:
    s = frame_line(GOOD + b"\r\n")
    assert isinstance(s, Sentence)
    assert (s.talker, s.total, s.part, s.seq, s.channel, s.fill) == (b"AI", 1, 1, b"", b"A", 0)
    assert s.payload == b"13HOI:0P0000VOHLCnHQKwvL05Ip"
    assert s.raw == GOOD and s.tag is None


def test_the_checksum_is_the_xor_of_the_bytes_between_start_and_star() -> None:
    body = GOOD[1 : GOOD.index(b"*")]
    assert xor_checksum(body) == 0x23
    long_body = body * 4  # longer than the folding shortcut handles
    expected = 0
    for b in long_body:
        expected ^= b
    assert xor_checksum(long_body) == expected


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (GOOD.replace(b"*23", b"*24"), AisReject.BAD_CHECKSUM),
        (GOOD.replace(b"13HOI", b"13HOJ"), AisReject.BAD_CHECKSUM),
        (GOOD[:30], AisReject.BAD_FORMAT),  # truncated: no checksum left
        (b"!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*2", AisReject.BAD_FORMAT),
        (
            b"$GPGGA,184353.07,1929.045,S,02410.506,E,1,04,2.6,100.00,M,-33.9,M,,0000*6D",
            AisReject.UNSUPPORTED_SENTENCE,
        ),
        (b"# a comment", AisReject.BAD_FORMAT),
        (b"foobar", AisReject.BAD_FORMAT),
        (b"!AIVDM,0,1,,B,16UK7Fi0?w4tQF0l4Q@>401v1PS;,0*0F", AisReject.BAD_CHECKSUM),
        (with_checksum("AIVDM,2,3,1,A,88888888880,2"), AisReject.BAD_FORMAT),  # part 3 of 2
        (with_checksum("AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,9"), AisReject.BAD_FORMAT),
        (with_checksum("AIVDM,1,1,,A,13HOI:0P0000{OHLCnHQKwvL05Ip,0"), AisReject.BAD_FORMAT),
        (with_checksum("AIVDM,1,1,X,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0"), AisReject.BAD_FORMAT),
        (with_checksum("AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip"), AisReject.BAD_FORMAT),
        (b"\\s:rX" + GOOD, AisReject.BAD_FORMAT),  # tag block never closed
        (b"", AisReject.BAD_FORMAT),
        (b"!" + b"A" * 600, AisReject.LINE_TOO_LONG),
    ],
)
def test_a_bad_line_is_refused_with_its_reason(line: bytes, reason: AisReject) -> None:
    assert frame_line(line) == reason


def test_a_bad_tag_block_is_refused_but_its_sentence_kept() -> None:
    s = frame_line(b"\\s:rX,c:1418172113*00\\" + GOOD)
    assert isinstance(s, Sentence)
    assert s.tag is REFUSED_TAG and s.payload == b"13HOI:0P0000VOHLCnHQKwvL05Ip"


def test_a_wrong_checksum_with_trailing_fields_is_still_a_wrong_checksum() -> None:
    line = b"!AIVDM,1,1,,A,403Ovl@000Htt<tSF0l4Q@100`Pq,0*29,d-109,S2105,r003669946,1325394060"
    assert frame_line(line) == AisReject.BAD_CHECKSUM


def test_a_tag_block_gives_the_station_and_the_receive_time() -> None:
    line = b"\\s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*55\\!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78"
    s = frame_line(line)
    assert isinstance(s, Sentence) and s.tag is not None
    assert s.tag.source == "rORBCOMM104"
    assert s.tag.unix_time == 1418172113


def test_tag_block_groups_and_millisecond_times_are_understood() -> None:
    tag = parse_tag_block(b"g:1-2-1604,s:r1,c:1418169601123")
    assert tag is not None
    assert tag.group == (1, 2, 1604)
    assert tag.unix_time == pytest.approx(1418169601.123)


def test_an_implausible_tag_time_is_ignored_not_fatal() -> None:
    tag = parse_tag_block(b"s:r1,c:12")
    assert tag is not None and tag.unix_time is None and tag.source == "r1"


def test_the_uscg_trailer_gives_the_station_and_time() -> None:
    tag = parse_uscg_trailer(
        b",d-109,S2105,t050056.00,T56.13718694,r003669946,1325394060,1325394001"
    )
    assert tag is not None
    assert (tag.source, tag.unix_time) == ("r003669946", 1325394060)


@fuzz_settings(400)
@given(st.binary(max_size=200))
def test_framing_never_raises_and_refusals_have_a_known_reason(data: bytes) -> None:
    result = frame_line(data)
    assert isinstance(result, Sentence) or result in set(AisReject)


@fuzz_settings(300)
@given(st.text(alphabet="!$\\AIVDMGPSsgc:,*0123456789ABCDEF-\r\n ", max_size=120))
def test_framing_of_nmea_like_noise_never_raises(text: str) -> None:
    result = frame_line(text.encode())
    assert isinstance(result, Sentence) or result in set(AisReject)


CAPTURE_LINES = [
    line
    for parts in (
        ("pyais", "nmea_data_sample.txt"),
        ("pyais", "gatehouse.nmea"),
        ("pyais", "messages.ais"),
        ("pyais", "sample.ais"),
        ("pyais", "mixed.txt"),
        ("libais", "typeexamples.nmea"),
        ("libais", "tagblock.nmea"),
        ("libais", "test.aivdm"),
    )
    for line in data_lines("ais", *parts)
]


def test_the_plain_line_shortcut_answers_as_the_general_path_for_every_capture_line() -> None:
    for line in CAPTURE_LINES:
        for variant in (line, line + b"\r", line.lower(), b" " + line):
            assert frame_line(variant) == frame_any_line(variant), variant


@fuzz_settings(600)
@given(
    line=st.sampled_from(CAPTURE_LINES),
    where=st.integers(min_value=0, max_value=90),
    byte=st.sampled_from(b"!$\\,*0123456789:;<=>?@AIVDMOPWXZ`aw{~\r -"),
    fix_checksum=st.booleans(),
)
def test_the_plain_line_shortcut_answers_as_the_general_path_for_damaged_lines(
    line: bytes, where: int, byte: int, fix_checksum: bool
) -> None:
    damaged = line[:where] + bytes([byte]) + line[where + 1 :]
    if fix_checksum and damaged.count(b"*") == 1 and damaged[:1] in (b"!", b"$"):
        damaged = rechecksum(damaged)
    assert frame_line(damaged) == frame_any_line(damaged)
