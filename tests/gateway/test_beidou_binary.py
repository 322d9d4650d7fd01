"""Binary Beidou-1 frames: length-prefixed, XOR-checked, found again after noise."""

from __future__ import annotations

from functools import reduce
from operator import xor

from hypothesis import given
from hypothesis import strategies as st

from gateway.beidou.binary_family import BinaryFamily, frame
from gateway.beidou.content import ContentMode
from gateway.beidou.events import CardInfo, CardQuery, Feedback, Received, Rejected
from seaLink.wire.gateway import FeedbackResult
from tests.fuzzing import fuzz_settings


def test_the_checksum_is_the_xor_of_every_byte_before_it() -> None:
    f = frame(b"ICJC", 0, b"\x00")
    assert f[-1] == reduce(xor, f[:-1], 0)
    assert len(f) == int.from_bytes(f[5:7], "big") == 12


def test_terminal_frames_round_trip() -> None:
    family = BinaryFamily()
    text = "收到请回复".encode("gb18030")
    frames = (
        family.card_info(CardInfo("4207733", 60.0, 3, 628))
        + family.received(Received("166166", ContentMode.MIXED, b"\xa4" + text, "0823"), "4207733")
        + family.received(Received("166166", ContentMode.CHINESE, text, "0824"), "4207733")
        + family.feedback(Feedback("TXSQ", FeedbackResult.TOO_SOON, 42.0), "4207733")
        + family.feedback(Feedback("TXSQ", FeedbackResult.OK), "4207733")
        + family.feedback(Feedback("TXSQ", FeedbackResult.INHIBITED), "4207733")
        + family.card_query()
    )
    assert BinaryFamily().feed(frames) == [
        CardInfo("4207733", 60.0, 3, 628),
        Received("166166", ContentMode.MIXED, b"\xa4" + text, "0823"),
        Received("166166", ContentMode.CHINESE, text, "0824"),
        Feedback("TXSQ", FeedbackResult.TOO_SOON, 42.0, "4", "service interval not reached"),
        Feedback("TXSQ", FeedbackResult.OK, 0.0, "0", "ok"),
        Feedback("TXSQ", FeedbackResult.INHIBITED, 0.0, "7", "transmission inhibited"),
        CardQuery(),
    ]


def test_frames_split_across_reads_and_noise_between_them_are_handled() -> None:
    family = BinaryFamily()
    good = family.received(Received("166166", ContentMode.CODE, b"\x01\x02\x03", "1200"), "1")
    stream = b"\x00\x13noise" + good + b"$TXXX\x00" + good
    events = []
    for i in range(0, len(stream), 3):
        events += BinaryFamily.feed(family, stream[i : i + 3])
    received = [e for e in events if isinstance(e, Received)]
    assert len(received) == 2
    assert all(isinstance(e, Rejected) for e in events if not isinstance(e, Received))


def test_a_frame_with_a_wrong_checksum_is_refused_and_the_next_one_found() -> None:
    family = BinaryFamily()
    good = family.card_query()
    bad = good[:-1] + bytes([good[-1] ^ 1])
    events = family.feed(bad + good)
    assert Rejected("bad_checksum", bad) in events
    assert events[-1] == CardQuery()


@fuzz_settings(300)
@given(st.lists(st.binary(max_size=64), max_size=10))
def test_the_framer_never_raises_on_any_bytes(chunks: list[bytes]) -> None:
    family = BinaryFamily()
    for chunk in chunks:
        for event in family.feed(chunk):
            if isinstance(event, Rejected):
                assert event.reason in {"bad_format", "bad_checksum"}


@fuzz_settings(200)
@given(st.sampled_from([b"TXXX", b"FKXX", b"ICXX", b"TXSQ", b"ICJC"]), st.binary(max_size=40))
def test_checksummed_frames_with_random_bodies_never_raise(name: bytes, body: bytes) -> None:
    for event in BinaryFamily().feed(frame(name, 1, body)):
        if isinstance(event, Rejected):
            assert event.reason in {"bad_format", "bad_checksum"}
