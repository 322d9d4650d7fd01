"""Wire conformance with what other implementations send and expect (issue 18, point 8): raw
GB2312 Chinese content, "no card" answers, compressed encodings kept as raw data, odd code-mode
digit counts, encrypted cards, junk before `$`, `*` inside mixed text, a sentence of the other
family, and the `Y`-with-reason feedback read per terminal model."""

from __future__ import annotations

import pytest

from gateway.beidou.binary_family import BinaryFamily, frame
from gateway.beidou.content import ContentMode
from gateway.beidou.events import CardInfo, Feedback, Received, Rejected, SendCommand
from gateway.beidou.text_family import Family21, Family40
from seaLink.wire.gateway import FeedbackResult
from tests.gateway.nmea_util import with_checksum

NIHAO_BEIDOU = "你好北斗".encode("gb2312")  # C4E3 BAC3 B1B1 B6B7


def one(family: Family21 | Family40 | BinaryFamily, line: bytes) -> object:
    events = family.feed(line + (b"" if isinstance(family, BinaryFamily) else b"\r\n"))
    assert len(events) == 1, events
    return events[0]


def test_chinese_mode_puts_the_gb2312_bytes_raw_in_the_field() -> None:
    line = Family21().send_command("242407", ContentMode.CHINESE, NIHAO_BEIDOU)
    assert line.startswith(b"$CCTXA,0242407,1,0," + NIHAO_BEIDOU + b"*")
    assert b"C4E3BAC3" not in line
    assert one(Family21(), line.rstrip()) == SendCommand(
        "242407", ContentMode.CHINESE, NIHAO_BEIDOU
    )
    line40 = Family40().send_command("242407", ContentMode.CHINESE, NIHAO_BEIDOU)
    assert b",1," + NIHAO_BEIDOU + b",0*" in line40
    # mixed and code content stay hexadecimal
    assert b",2,A4" in Family21().send_command("242407", ContentMode.MIXED, b"\xa4~An1|r")


@pytest.mark.parametrize(
    ("family", "body"),
    [
        (Family40(), "BDICP,0,0,1,3,0,N,1,Y,1,0,0,3,1,60,0,1,1,2,2,0,0,0,0"),
        (Family21(), "BDICI,0000000,0,0,0,60,3,N,0"),
        (Family21(), "BDICI,4207733,0,0,0,9999,0,N,0"),
    ],
)
def test_no_card_answers_are_refused_not_read_as_a_card(
    family: Family21 | Family40, body: str
) -> None:
    event = one(family, with_checksum(body, "$"))
    assert isinstance(event, Rejected) and event.reason == "no_card"


def test_binary_no_card_and_encrypted_cards() -> None:
    def icxx(address: int, interval: int, level: int, secret: int) -> bytes:
        body = b"\x00" + bytes(3) + b"\x00" + interval.to_bytes(2, "big") + bytes([level, secret])
        return frame(b"ICXX", address, body + bytes(2))

    event = one(BinaryFamily(), icxx(0xFFFFFF, 9999, 0, 0))
    assert isinstance(event, Rejected) and event.reason == "no_card"
    plain = one(BinaryFamily(), icxx(242407, 60, 3, 0))
    encrypted = one(BinaryFamily(), icxx(242407, 60, 3, 1))
    assert isinstance(plain, CardInfo) and isinstance(encrypted, CardInfo)
    assert (plain.max_bits, encrypted.max_bits) == (628, 580)


def test_an_encrypted_e_card_has_its_own_length_limits() -> None:
    levels = {}
    for level in (1, 2, 3, 4):
        event = one(Family21(), with_checksum(f"BDICI,4207733,0,0,0,60,{level},E,0", "$"))
        assert isinstance(event, CardInfo)
        levels[level] = event.max_bits
    assert levels == {1: 140, 2: 360, 3: 580, 4: 1680}
    plain = one(Family21(), with_checksum("BDICI,4207733,0,0,0,60,3,N,0", "$"))
    assert isinstance(plain, CardInfo) and plain.max_bits == 628


@pytest.mark.parametrize("encoding", ["4", "5"])
def test_compressed_encodings_are_kept_as_raw_data(encoding: str) -> None:
    event = one(
        Family40(), with_checksum(f"BDTCI,4207733,242407,2,023242,{encoding},0,9A3F01", "$")
    )
    assert event == Received("4207733", ContentMode.CODE, b"\x9a\x3f\x01", "023242", "242407")


def test_code_mode_keeps_an_odd_number_of_digits() -> None:
    event = one(Family21(), with_checksum("BDTXR,1,4207733,1,2337,12345", "$"))
    assert isinstance(event, Received) and event.digits == "12345"
    even = one(Family21(), with_checksum("BDTXR,1,4207733,1,2337,1234", "$"))
    assert isinstance(even, Received) and even.digits is None


def test_junk_before_the_dollar_does_not_lose_the_sentence() -> None:
    line = with_checksum("BDTXR,1,4207733,1,2337,1234", "$")
    events = Family21().feed(b"\x00\xff\x13" + line + b"\r\n")
    assert events[0] == Rejected("junk_before_sentence", b"\x00\xff\x13")
    assert isinstance(events[1], Received) and events[1].content == b"\x12\x34"


def test_a_star_inside_raw_mixed_text_is_not_taken_for_the_checksum() -> None:
    text = "船号*12 回港".encode("gb18030")
    body = b"BDTXR,1,4207733,0,2337," + text
    checksum = 0
    for b in body:
        checksum ^= b
    line = b"$" + body + b"*" + f"{checksum:02X}".encode()
    event = one(Family21(), line)
    assert isinstance(event, Received) and event.content == text


def test_a_sentence_of_the_other_family_is_refused_by_name() -> None:
    tci = with_checksum("BDTCI,4207733,242407,2,023242,2,0,1234", "$")
    assert one(Family21(), tci) == Rejected("wrong_family", tci)
    txr = with_checksum("BDTXR,1,4207733,1,2337,1234", "$")
    assert one(Family40(), txr) == Rejected("wrong_family", txr)


def test_y_with_a_reason_is_read_as_the_terminal_model_means_it() -> None:
    line = with_checksum("BDFKI,080432,TCQ,Y,5,0", "$")
    ok = one(Family40(), line)
    failed = one(Family40("failed"), line)
    assert isinstance(ok, Feedback) and ok.result is FeedbackResult.OK
    assert isinstance(failed, Feedback) and failed.result is FeedbackResult.FAILED
    assert failed.detail == "no IC card detected"
    plain = one(Family40("failed"), with_checksum("BDFKI,080432,TCQ,Y,0,0", "$"))
    assert isinstance(plain, Feedback) and plain.result is FeedbackResult.OK
    with pytest.raises(ValueError):
        Family40("maybe")
