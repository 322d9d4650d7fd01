"""The compact text form of the vessel protocol, both ways, Chinese text packed to fit."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from gateway.beidou.compact import (
    CompactError,
    DownDecoded,
    decode_down,
    decode_up,
    encode_down,
    encode_up,
    pack_text,
)
from seaLink.wire.payloads import (
    AckPayload,
    AckState,
    DistressNature,
    DistressPayload,
    DownKind,
    DownMessage,
    Fix,
    NavState,
    RequestPayload,
)
from tests.fuzzing import fuzz_settings

T = datetime(2026, 7, 1, 8, 30, 15, tzinfo=UTC)


def test_positions_round_trip_compactly() -> None:
    fixes = [
        Fix(ts=T, lat=23.41234, lon=117.04561, sog=5.2, cog=123.0, state=NavState.FISHING),
        Fix(ts=T, lat=23.4, lon=117.1, backfill=True),
    ]
    text = encode_up(fixes)
    assert text == "~P260701083015|23.41234|117.04561|5.2|123|f;260701083015|23.4|117.1||||b"
    assert decode_up(text) == fixes


def test_acks_distress_requests_round_trip_with_chinese_text() -> None:
    messages = [
        AckPayload(
            msg_id=":1a",
            state=AckState.ACCEPTED,
            ts=T,
            eta_min=25,
            crew=["陈海生", "林建国"],
            text="马上到|收到",
        ),
        DistressPayload(
            distress_id="D1",
            ts=T,
            lat=23.3,
            lon=117.2,
            nature=DistressNature.FLOODING,
            persons=5,
            text="机舱进水",
        ),
        DistressPayload(distress_id="D1", ts=T, lat=0, lon=0, cancel=True, reason="已自救"),
        RequestPayload(request_id="R7", ts=T, category="supplies", text="缺淡水，请协调补给"),
    ]
    for message in messages:
        packed = {
            k: pack_text(v)
            for k, v in (("text", message.text), ("reason", getattr(message, "reason", None)))
            if v
        }
        assert decode_up(encode_up(message)) == message.model_copy(update=packed)
    assert decode_up(encode_up(messages[3])).text == "缺淡水,请协调补给"  # type: ignore[union-attr]


def test_chinese_text_is_packed_before_it_is_sent() -> None:
    assert pack_text("ＡＢＣ　１２３  请  回港") == "ABC 123 请 回港"
    ack = AckPayload(msg_id="m1", state=AckState.READ, ts=T, text="收到！")
    assert encode_up(ack).endswith("|收到!")  # a full-width "!" costs two bytes, "!" one


def test_down_messages_encode_and_decode() -> None:
    issued = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
    notice = DownMessage(
        msg_id="n1",
        kind="notice",
        priority=3,
        title="台风|蓝色预警",
        body="18时前回港。",
        issued=issued,
        expires=datetime(2026, 7, 2, 18, 0, tzinfo=UTC),
        ack="read",
    )
    text = encode_down(notice, "n1")
    assert text == "~Nn1|3|2607021800|r|台风｜蓝色预警|18时前回港。"
    assert decode_down(text) == DownDecoded(
        "n1",
        DownKind.NOTICE,
        3,
        "台风|蓝色预警",
        "18时前回港。",
        datetime(2026, 7, 2, 18, 0, tzinfo=UTC),
        "read",
        {},
    )
    task = DownMessage.model_validate(
        {
            "msg_id": "t1",
            "kind": "rescue_task",
            "priority": 0,
            "title": "救援",
            "body": "前往遇险渔船",
            "issued": issued,
            "ack": "confirm",
            "distress_id": "D1",
            "lat": 23.3,
            "lon": 117.2,
        }
    )
    decoded = decode_down(str(encode_down(task, ":7")))
    assert isinstance(decoded, DownDecoded)
    assert (decoded.msg_id, decoded.kind, decoded.extra) == (
        ":7",
        DownKind.RESCUE_TASK,
        {"distress_id": "D1", "lat": 23.3, "lon": 117.2},
    )
    ack = DownMessage.model_validate(
        {
            "msg_id": "k1",
            "kind": "distress_ack",
            "title": "",
            "body": "收到遇险报警，救援已出动",
            "issued": issued,
            "distress_id": "D1",
        }
    )
    decoded = decode_down(str(encode_down(ack, "k1")))
    assert isinstance(decoded, DownDecoded) and decoded.extra == {"distress_id": "D1"}
    reply = DownMessage.model_validate(
        {"msg_id": "y1", "kind": "reply", "body": "已安排", "issued": issued, "request_id": "R7"}
    )
    decoded = decode_down(str(encode_down(reply, "y1")))
    assert (
        isinstance(decoded, DownDecoded)
        and decoded.extra == {"request_id": "R7"}
        and decoded.body == "已安排"
    )


def test_trainings_are_not_sent_over_beidou() -> None:
    training = DownMessage(msg_id="x", kind="training", issued=T)
    assert encode_down(training, "x") == CompactError(
        "unsupported_kind", "training is not sent over Beidou"
    )


def test_malformed_compact_text_gives_a_reason() -> None:
    assert isinstance(decode_up("hello"), CompactError)
    assert decode_up("~Zabc").reason == "unknown_kind"  # type: ignore[union-attr]
    assert decode_up("~P2607|23").reason == "bad_compact"  # type: ignore[union-attr]
    assert decode_up("~D1|260701083015|95|117|F").reason == "bad_compact"  # type: ignore[union-attr]
    assert decode_down("~Nn1|x").reason == "bad_compact"  # type: ignore[union-attr]


@fuzz_settings(400)
@given(st.text(max_size=120))
def test_decoders_never_raise(text: str) -> None:
    for candidate in (
        text,
        "~" + text,
        "~P" + text,
        "~A" + text,
        "~D" + text,
        "~N" + text,
        "~T" + text,
    ):
        up = decode_up(candidate)
        down = decode_down(candidate)
        assert not isinstance(up, Exception) and not isinstance(down, Exception)


@fuzz_settings(100)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60))
def test_request_text_survives_a_round_trip_after_packing(text: str) -> None:
    packed = pack_text(text)
    if not packed:
        return
    request = RequestPayload(request_id="R1", ts=T, category="other", text=packed)
    assert decode_up(encode_up(request)) == request


def test_a_long_recall_order_has_a_compact_template_that_fits_one_78_byte_message() -> None:
    from gateway.beidou.compact import encode_down_short
    from gateway.beidou.segments import split_text

    body = (
        "根据省防指通知，今年第9号台风“海葵”预计明日凌晨在汕头至惠来一带沿海登陆，"
        "所有在外作业渔船务必于今日17时前回港避风，船员全部上岸，不得留船。"
    )
    order = DownMessage(
        msg_id="b12-V2",
        kind=DownKind.WARNING,
        priority=1,
        title="台风“海葵”撤离令",
        body=body,
        issued=T,
        expires=datetime(2026, 7, 2, 8, 0, tzinfo=UTC),
        ack="confirm",
        signal="orange",
        recall={"deadline": "2026-07-01T09:00:00Z"},
    )
    full = encode_down(order, "n1")
    assert isinstance(full, str) and len(split_text(full, 77, 1)) > 1
    short = encode_down_short(order, "n1", 77)  # 78 bytes less the mixed-mode marker
    assert short is not None and len(split_text(short, 77, 1)) == 1
    decoded = decode_down(short)
    assert isinstance(decoded, DownDecoded)
    assert (decoded.msg_id, decoded.kind, decoded.ack) == ("n1", DownKind.WARNING, "confirm")
    assert decoded.title == "台风橙色预警"
    assert decoded.body.startswith("1日17:00前回港")  # 09:00 UTC is 17:00 Beijing time
    assert decoded.expires == datetime(2026, 7, 2, 8, 0, tzinfo=UTC)
    reminder = order.model_copy(update={"reminder": 1})
    assert decode_down(encode_down_short(reminder, "n2") or "").title.startswith("再次提醒")  # type: ignore[union-attr]
    notice = order.model_copy(update={"kind": DownKind.NOTICE})
    assert encode_down_short(notice, "n3") is None
