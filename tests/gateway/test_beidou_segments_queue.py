"""Long messages split and joined again; the send queue's order and the card's pace."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.beidou.content import ContentMode
from gateway.beidou.segments import Joined, Joiner, TooLong, split_bytes, split_text
from gateway.beidou.send_queue import DISTRESS, ROUTINE, OutboundJob, Pacer, SendQueue
from gateway.clock import ManualClock
from tests.fuzzing import fuzz_settings


def test_a_short_text_is_one_part_without_header() -> None:
    assert split_text("收到", 78, 1) == ["收到".encode("gb18030")]


def test_a_long_text_is_split_between_characters_and_joined_in_any_order() -> None:
    text = "请所有渔船于今晚十八时前回港避风𠀀注意安全。" * 4
    parts = split_text(text, 40, 7)
    assert len(parts) > 1 and all(len(p) <= 40 for p in parts)
    assert all(p.startswith(b"%07") for p in parts)
    joiner = Joiner()
    results = [joiner.feed("166166", p, 0.0) for p in reversed(parts)]
    assert results[:-1] == [None] * (len(parts) - 1)
    assert results[-1] == Joined(text.encode("gb18030"), len(parts))


def test_parts_of_different_senders_do_not_mix_and_old_parts_expire() -> None:
    a, b = split_text("甲" * 50, 40, 3), split_text("乙" * 50, 40, 3)
    joiner = Joiner(timeout_s=600)
    joiner.feed("1", a[0], 0.0)
    joiner.feed("2", b[0], 0.0)
    assert joiner.pending == 2
    assert joiner.expire(601.0) == 2 and joiner.pending == 0


def test_too_many_parts_is_an_error() -> None:
    with pytest.raises(TooLong):
        split_text("字" * 2000, 40, 1)
    assert len(split_bytes(bytes(100), 20, 1)) == 7


@fuzz_settings(150)
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.integers(12, 200),
)
def test_split_and_join_is_lossless(text: str, limit: int) -> None:
    try:
        parts = split_text(text, limit, 5)
    except TooLong:
        return
    joiner = Joiner()
    joined = [joiner.feed("9", p, 0.0) for p in parts][-1]
    assert joined is not None and joined.data == text.encode("gb18030")


@fuzz_settings(200)
@given(st.lists(st.binary(max_size=30), max_size=10))
def test_the_joiner_never_raises(chunks: list[bytes]) -> None:
    joiner = Joiner()
    for chunk in chunks:
        joiner.feed("1", chunk, 0.0)


def _job(name: str, traffic: int = ROUTINE, priority: int = 5) -> OutboundJob:
    return OutboundJob(name, "166166", ContentMode.MIXED, priority, traffic, text=name)


def test_distress_traffic_goes_first_then_priority_then_arrival() -> None:
    queue = SendQueue()
    for job in (
        _job("notice"),
        _job("urgent notice", priority=1),
        _job("rescue", DISTRESS, 5),
        _job("later"),
    ):
        queue.put(job)
    assert [j.request_id for j in queue.jobs()] == ["rescue", "urgent notice", "notice", "later"]


def test_the_pacer_keeps_the_interval_and_waits_what_the_terminal_says() -> None:
    clock = ManualClock()
    pacer = Pacer(clock, interval_s=60)
    assert pacer.delay() == 0
    pacer.sent()
    assert pacer.delay() == 60
    clock.advance(60)
    assert pacer.delay() == 0
    pacer.too_soon(17)
    assert pacer.delay() == 17
    pacer.sent(terminal_wait_s=90)  # the terminal may ask for more than the card's interval
    assert pacer.delay() == 90


def test_warnings_go_before_notices_and_reminders_last() -> None:
    from datetime import UTC, datetime

    from gateway.beidou.service import traffic_class
    from seaLink.wire.payloads import DownKind, DownMessage

    t = datetime(2026, 7, 1, tzinfo=UTC)

    def down(kind: DownKind, **extra: object) -> DownMessage:
        return DownMessage(msg_id="m", kind=kind, issued=t, **extra)

    queue = SendQueue()
    for name, message, priority in (
        ("reminder", down(DownKind.WARNING, reminder=1), 1),
        ("notice", down(DownKind.NOTICE), 4),
        ("warning", down(DownKind.WARNING, signal="blue"), 1),
        ("distress ack", down(DownKind.DISTRESS_ACK), 0),
        ("urgent notice", down(DownKind.NOTICE), 0),
    ):
        queue.put(_job(name, traffic_class(message), priority))
    assert [j.request_id for j in queue.jobs()] == [
        "distress ack",
        "warning",
        "urgent notice",
        "notice",
        "reminder",
    ]
