"""Typed replies from plain Beidou terminals, read into the same uplinks as the MQTT ones."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.beidou.replies import parse_reply
from seaLink.wire.payloads import (
    AckPayload,
    AckState,
    DistressPayload,
    RecallStatus,
    RequestPayload,
)

T = datetime(2026, 7, 1, 8, 30, 15, tzinfo=UTC)


def ack(text: str) -> AckPayload:
    reply = parse_reply(text, "166166", T)
    assert isinstance(reply, AckPayload), text
    return reply


def test_acks_with_recall_answers_and_persons() -> None:
    r = ack("n1 回 6")
    assert (r.msg_id, r.state, r.recall and r.recall.status) == (
        "n1",
        AckState.ACKNOWLEDGED,
        RecallStatus.RETURNING,
    )
    assert r.recall is not None and r.recall.persons_aboard == 6
    r = ack(":1a，避风，汕头港，8")  # full-width commas, as a Chinese keyboard types them
    assert r.msg_id == ":1a" and r.recall is not None
    assert (r.recall.status, r.recall.port, r.recall.persons_ashore) == (
        RecallStatus.SHELTERING,
        "汕头港",
        8,
    )
    r = ack("n2 P 7")
    assert r.recall is not None and (r.recall.status, r.recall.persons_ashore) == (
        RecallStatus.IN_PORT,
        7,
    )
    assert ack("n3 收").state is AckState.ACKNOWLEDGED and ack("n3 收").recall is None
    assert ack("n3 r").state is AckState.READ


def test_rescue_task_accept_and_decline() -> None:
    r = ack(":2 接 25 马上赶到")
    assert (r.state, r.eta_min, r.text) == (AckState.ACCEPTED, 25, "马上赶到")
    r = ack(":2 N 船小浪大")
    assert (r.state, r.text) == (AckState.DECLINED, "船小浪大")


def test_requests_and_a_typed_sos() -> None:
    r = parse_reply("求 医疗 船员高烧不退", "166166", T)
    assert isinstance(r, RequestPayload)
    assert (r.category, r.text, r.request_id) == (
        "medical",
        "船员高烧不退",
        "bd166166-260701083015",
    )
    d = parse_reply("SOS 5 机舱进水", "166166", T)
    assert isinstance(d, DistressPayload)
    assert (d.distress_id, d.persons, d.text, d.lat, d.lon) == (
        "bd166166-260701",
        5,
        "机舱进水",
        0.0,
        0.0,
    )
    again = parse_reply("sos", "166166", T.replace(hour=9))
    assert isinstance(again, DistressPayload) and again.distress_id == d.distress_id


def test_anything_else_is_plain_text() -> None:
    for text in ("", "你好", "n1 好的", "求 医疗", "明天回港", "n1 回 999", "Q BAD-CAT text"):
        assert parse_reply(text, "166166", T) is None, text
