"""The Beidou gateway end to end, in each protocol family: a real broker, the gateway on a pty,
the shore terminal simulator keeping its card's rules, and a boat's terminal and crew. Time is a
fake clock moved by the test: minutes of service intervals pass in milliseconds."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gateway.app import GatewayConfig, GatewayProcess
from gateway.beidou.content import ContentMode
from gateway.clock import ManualClock
from seaLink.wire.gateway import (
    BeidouFeedback,
    BeidouRx,
    BeidouTxResult,
    GatewayKind,
    GatewayStatus,
)
from seaLink.wire.payloads import AckState, DistressNature, DownKind
from simulators.beidou_pty import ShoreTerminalPty
from simulators.beidou_terminal import BeidouNetwork, BoatTerminal, Position, SimulatedBoat
from tests.brokers import ShippedMosquitto
from tests.gateway.conftest import Collector, advance_until, eventually

SHORE, BOAT = "4207733", "166166"
INTERVAL = 60.0


@dataclass
class Rig:
    clock: ManualClock
    shore: ShoreTerminalPty
    boat: SimulatedBoat
    network: BeidouNetwork
    sub: Collector
    base: str
    process: GatewayProcess

    def tx(self, **request: Any) -> None:
        request.setdefault("card", BOAT)
        self.sub.publish(
            f"{self.base}/beidou/tx", json.dumps(request, ensure_ascii=False, default=str).encode()
        )

    def down(self, request_id: str, kind: str, body: str, **extra: Any) -> None:
        message = {
            "msg_id": request_id,
            "kind": kind,
            "title": extra.pop("title", ""),
            "body": body,
            "issued": self.clock.now().isoformat(),
            **extra,
        }
        self.tx(id=request_id, priority=extra.get("priority", 5), down=message)

    def results(self) -> dict[str, BeidouTxResult]:
        out = (
            BeidouTxResult.model_validate_json(p)
            for p in self.sub.payloads(f"{self.base}/beidou/tx_result")
        )
        return {r.id: r for r in out}

    def rx(self) -> list[BeidouRx]:
        return [
            BeidouRx.model_validate_json(p) for p in self.sub.payloads(f"{self.base}/beidou/rx")
        ]

    def feedback(self) -> list[BeidouFeedback]:
        return [
            BeidouFeedback.model_validate_json(p)
            for p in self.sub.payloads(f"{self.base}/beidou/feedback")
        ]

    def settled(self) -> bool:
        """Nothing on its way over the pty: every command the gateway wrote has reached the
        terminal, and every answer the terminal wrote has come back through the gateway (a
        silent terminal answers nothing: nothing to wait for; sentences a test writes to the pty
        itself are not answers)."""
        if self.shore.silent:
            return True
        sent = self.process.counters["beidou_commands_sent"]
        return sent == len(self.shore.commands) and len(self.feedback()) >= self.shore.feedbacks

    async def advance_until(self, check: Callable[[], bool], **kw: Any) -> float:
        """`advance_until` on this rig's clock, moving it only when the pty is `settled`: a step
        taken with a command or its answer still in the pty can expire the gateway's wait for
        the answer (10 s), which real time had not (CI under load)."""
        return await advance_until(self.clock, check, settled=self.settled, **kw)

    def status(self) -> GatewayStatus | None:
        found = [
            GatewayStatus.model_validate_json(p)
            for p in self.sub.payloads(f"{self.base}/status")
            if p
        ]
        return found[-1] if found else None


@contextlib.asynccontextmanager
async def rig(
    broker: Any, collector: Any, prefix: str, family: str, **shore_kw: Any
) -> AsyncIterator[Rig]:
    clock = ManualClock()
    network = BeidouNetwork()
    shore_kw.setdefault("level", 1 if family == "4.0" else 3)  # 125 / 78 bytes: long texts split
    shore = ShoreTerminalPty(family, SHORE, network, clock, interval_s=INTERVAL, **shore_kw)
    boat = SimulatedBoat(
        BoatTerminal(BOAT, network, clock, interval_s=INTERVAL, max_bytes=78),
        SHORE,
        clock,
        Position(23.31, 117.21),
    )
    gid = f"bd-{family.replace('.', '')}"
    base = f"{prefix}/gateways/{gid}"
    sub = collector(f"{base}/#")
    config = GatewayConfig(
        GatewayKind.BEIDOU,
        gid,
        broker.url,
        prefix,
        port=shore.path,
        family=family,
        status_interval_s=5.0,
        feedback_timeout_s=10.0,
    )
    process = GatewayProcess(config, clock=clock)
    tasks = [
        asyncio.create_task(c, name=n)
        for c, n in (
            (shore.run(), "shore"),
            (boat.terminal.run(), "boat"),
            (process.run(), "gateway"),
        )
    ]
    r = Rig(clock, shore, boat, network, sub, base, process)
    try:
        await eventually(
            lambda: process.mqtt is not None and process.mqtt.connected.is_set(), what="mqtt"
        )
        await r.advance_until(
            lambda: (s := r.status()) is not None and s.card == SHORE, what="card read"
        )
        yield r
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        shore.close()


@pytest.mark.parametrize("family", ["2.1", "4.0", "bd1"])
async def test_messages_round_trip_in_each_family(broker, collector, prefix, family: str) -> None:  # type: ignore[no-untyped-def]
    async with rig(broker, collector, prefix, family) as r:
        status = r.status()
        assert status is not None and (status.family, status.interval_s) == (family, INTERVAL)
        assert status.max_bytes == r.shore.max_bits // 8
        # a first message starts the card's interval ...
        r.down("w0", "notice", "早上好", ack="none")
        await r.advance_until(lambda: "w0" in r.results(), what="w0 sent")
        # ... during which three more are queued: the distress acknowledgement must go first
        long_body = "请所有渔船于今晚十八时前回港避风，注意安全，听从指挥。" * 3
        r.down("n1", "notice", long_body, title="台风蓝色预警", ack="read")
        r.tx(id="t1", text="明早八点开会", priority=5)
        r.down("k1", "distress_ack", "收到遇险报警，救援已出动", distress_id="D1", priority=5)
        await r.advance_until(lambda: len(r.results()) == 4, what="all sent", max_s=2000)
        results = r.results()
        assert all(x.outcome == "sent" for x in results.values()), results
        assert results["n1"].parts > 1  # the long notice was split for the card
        assert [d.kind for d in r.boat.received] == [
            DownKind.NOTICE,
            DownKind.DISTRESS_ACK,
            DownKind.NOTICE,
        ]
        assert r.boat.received[2].body.startswith("请所有渔船于今晚十八时前回港避风")
        assert len(r.boat.received[2].body) == len(
            "请所有渔船于今晚十八时前回港避风,注意安全,听从指挥。" * 3
        )
        assert r.boat.terminal.inbox[-1][1] == "明早八点开会"
        # the card's interval was kept: never refused as too soon, never faster than 60 s
        assert r.shore.refusals == []
        gaps = [
            b - a for a, b in zip(r.shore.command_times, r.shore.command_times[1:], strict=False)
        ]
        assert gaps and min(gaps) >= INTERVAL
        # the crew's read receipt and the boat's own messages come back, decoded
        r.boat.report_position()
        r.boat.raise_distress(DistressNature.FIRE, persons=6, text="机舱起火")
        request_id = r.boat.make_request("medical", "船员高烧不退，请求医疗指导。" * 3)
        await r.advance_until(lambda: len(r.rx()) == 4, what="boat's messages", max_s=2000)
        kinds = {m.kind: m for m in r.rx()}
        assert kinds["ack"].ack is not None and kinds["ack"].ack.msg_id == "n1"
        assert kinds["ack"].ack.state is AckState.READ
        assert kinds["position"].fixes and kinds["position"].fixes[0].lat == pytest.approx(23.31)
        distress = kinds["distress"].distress
        assert distress is not None and (distress.nature, distress.persons) == (
            DistressNature.FIRE,
            6,
        )
        request = kinds["request"].request
        assert (
            request is not None and request.request_id == request_id and kinds["request"].parts > 1
        )
        assert request.text == "船员高烧不退,请求医疗指导。" * 3
        assert all(m.card == BOAT and m.family == family for m in r.rx())
        ok = [f for f in r.feedback() if f.result == "ok"]
        assert {f.request_id for f in ok} == {"w0", "n1", "t1", "k1"}


async def test_with_its_own_account_on_the_shipped_broker_it_does_all_it_must(
    tmp_path: Path,
) -> None:
    """`gw-bd-40` may post only its status and Beidou topics and read only its own requests: that
    is all a Beidou gateway needs (a request in, the terminal's feedback and the result out, a
    boat's distress in)."""
    broker = ShippedMosquitto(tmp_path / "broker")
    broker.start()
    made: list[Collector] = []
    try:
        gw = broker.credentials("gateway", "bd-40", "--link", "beidou")
        hub = f"mqtt://sealink-hub:{broker.credentials('hub')}@127.0.0.1:{broker.port}"

        def as_hub(topic_filter: str) -> Collector:
            made.append(Collector(hub, topic_filter))
            return made[-1]

        account = SimpleNamespace(url=f"mqtt://gw-bd-40:{gw}@127.0.0.1:{broker.port}")
        async with rig(account, as_hub, "sealink/v1", "4.0") as r:
            r.down("w0", "notice", "早上好", ack="read")
            await r.advance_until(lambda: "w0" in r.results(), what="w0 sent")
            assert r.results()["w0"].outcome == "sent"
            assert {f.request_id for f in r.feedback() if f.result == "ok"} == {"w0"}
            r.boat.raise_distress(DistressNature.FIRE, persons=3, text="机舱起火")
            await r.advance_until(
                lambda: any(m.distress for m in r.rx()), what="the distress", max_s=2000
            )
    finally:
        for c in made:
            c.close()
        broker.stop()


async def test_a_too_soon_refusal_is_waited_out_as_the_terminal_says(
    broker, collector, prefix
) -> None:  # type: ignore[no-untyped-def]
    async with rig(broker, collector, prefix, "2.1") as r:
        r.shore.hold_off(45)  # the terminal sent something the gateway does not know about
        start = r.clock.monotonic()
        r.tx(id="s1", text="测试")
        # The first try is refused before any time passes (on a busy machine the request can take
        # longer to reach the terminal than advance_until waits before it moves the clock).
        await eventually(lambda: bool(r.shore.refusals), timeout=30, what="the first refusal")
        await r.advance_until(lambda: "s1" in r.results(), step_s=1.0, max_s=200, what="sent")
        assert [f.result for f in r.shore.refusals] == ["too_soon"]
        assert r.shore.refusals[0].wait_s == 45
        assert r.shore.command_times[0] == start  # tried at once ...
        assert r.shore.command_times[1] - start >= 45  # ... then waited what it was told
        assert r.shore.command_times[1] - start < 45 + 2
        assert r.results()["s1"].outcome == "sent"
        assert [f.result for f in r.feedback()] == ["too_soon", "ok"]


@pytest.mark.parametrize("family", ["4.0", "bd1"])
async def test_an_inhibited_terminal_fails_the_request_with_its_reason(
    broker, collector, prefix, family: str
) -> None:  # type: ignore[no-untyped-def]
    async with rig(broker, collector, prefix, family) as r:
        r.shore.inhibited = True
        r.tx(id="i1", text="测试")
        # Each refusal back through the gateway before the clock moves: a step of 10 s with the
        # answer still in the pty expired the gateway's wait for it (CI under load; seen again
        # here with the terminal's answers held back 100 ms).
        await r.advance_until(lambda: "i1" in r.results(), step_s=10.0, max_s=1000)
        result = r.results()["i1"]
        assert (result.outcome, result.reason) == ("failed", "inhibited")
        assert len(r.shore.refusals) == 3  # tried a few times, paced, then gave up


async def test_a_silent_terminal_fails_the_request_for_lack_of_feedback(
    broker, collector, prefix
) -> None:  # type: ignore[no-untyped-def]
    async with rig(broker, collector, prefix, "2.1") as r:
        r.shore.silent = True
        r.tx(id="q1", text="测试")
        await r.advance_until(lambda: "q1" in r.results(), step_s=5.0, max_s=600)
        assert (r.results()["q1"].outcome, r.results()["q1"].reason) == ("failed", "no_feedback")


async def test_raw_gb18030_chinese_from_the_terminal_is_decoded(broker, collector, prefix) -> None:  # type: ignore[no-untyped-def]
    async with rig(broker, collector, prefix, "2.1", raw_chinese=True) as r:
        r.shore.deliver(BOAT, ContentMode.CHINESE, "船上有人受伤需要救援".encode("gb18030"))
        r.shore.deliver(BOAT, ContentMode.CODE, bytes.fromhex("90000000000065C1FAF4B2E2CAD4"))
        await eventually(lambda: len(r.rx()) == 2)
        text, data = r.rx()
        assert (text.kind, text.text) == ("text", "船上有人受伤需要救援")
        assert (data.kind, data.content_hex) == ("data", "90000000000065C1FAF4B2E2CAD4")


async def test_requests_are_checked_deduplicated_and_may_expire(broker, collector, prefix) -> None:  # type: ignore[no-untyped-def]
    async with rig(broker, collector, prefix, "4.0") as r:
        r.sub.publish(f"{r.base}/beidou/tx", b'{"id": "bad1", "card": "166166"}')
        r.sub.publish(f"{r.base}/beidou/tx", b"not json")
        r.tx(id="code1", content_hex="0102A4FF")
        r.tx(id="code1", content_hex="0102A4FF")  # at-least-once delivery: the same request again
        expired = (r.clock.now() + timedelta(seconds=30)).isoformat()
        r.tx(id="x1", text="早上好")
        r.down("old1", "notice", "已过期的通知", expires=expired)
        r.down("tr1", "training", "急救培训")
        r.tx(id="long1", text="长" * 3000)
        await r.advance_until(lambda: len(r.results()) == 6, step_s=10.0, max_s=600)
        results = r.results()
        assert (results["bad1"].outcome, results["bad1"].reason) == ("failed", "invalid_request")
        assert results["code1"].outcome == "sent"
        assert (results["old1"].reason, results["tr1"].reason, results["long1"].reason) == (
            "expired",
            "unsupported_kind",
            "too_long",
        )
        assert len(r.sub.payloads(f"{r.base}/beidou/tx_result")) == 6  # one result per request id
        assert ("4207733", BOAT, ContentMode.CODE, bytes.fromhex("0102A4FF")) in r.network.carried
        assert r.process.counters.rejected("invalid_request") == 2
        assert r.process.counters["duplicate_requests"] == 1


async def test_a_recorded_terminal_log_is_replayed_read_only(
    broker, collector, prefix, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from gateway.beidou.events import Received
    from gateway.beidou.text_family import Family21
    from tests.gateway.conftest import DATA

    family = Family21()
    position = family.received(
        Received(BOAT, ContentMode.MIXED, b"\xa4~P260701083015|23.31|117.21|3|90")
    )
    samples = [
        x.encode() + b"\r\n"
        for x in DATA.joinpath("beidou", "samples_from_sources.txt").read_text().splitlines()
        if x.startswith("$BDTXR")
    ]
    log = tmp_path / "terminal.log"
    log.write_bytes(b"".join(samples) + position + b"$BDFKI,TXA,Y,Y,0,0040*17\r\n")
    sub = collector(f"{prefix}/gateways/bd-replay/#")
    base = f"{prefix}/gateways/bd-replay"
    clock = ManualClock()
    config = GatewayConfig(
        GatewayKind.BEIDOU, "bd-replay", broker.url, prefix, replay=log, rate=1.0
    )
    process = GatewayProcess(config, clock=clock)
    task = asyncio.create_task(process.run(), name="test-beidou-replay")
    try:
        await eventually(
            lambda: process.mqtt is not None and process.mqtt.connected.is_set(), what="mqtt"
        )
        sub.publish(f"{base}/beidou/tx", b'{"id": "r1", "card": "166166", "text": "hi"}')
        await eventually(lambda: bool(sub.payloads(f"{base}/beidou/tx_result")), what="tx result")
        await advance_until(
            clock, lambda: bool(sub.payloads(f"{base}/beidou/feedback")), step_s=0.5, max_s=10
        )
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    data, position_rx = (
        BeidouRx.model_validate_json(p)
        for p in sub.payloads(f"{prefix}/gateways/bd-replay/beidou/rx")
    )
    assert (data.card, data.kind, data.terminal_time) == ("4207733", "data", "2337")
    assert (
        position_rx.kind == "position"
        and position_rx.fixes is not None
        and position_rx.fixes[0].sog == 3
    )
    (result,) = (
        BeidouTxResult.model_validate_json(p)
        for p in sub.payloads(f"{prefix}/gateways/bd-replay/beidou/tx_result")
    )
    assert (result.outcome, result.reason) == ("failed", "replay_mode")
    assert [
        BeidouFeedback.model_validate_json(p).result
        for p in sub.payloads(f"{base}/beidou/feedback")
    ] == ["ok"]


def _source_samples() -> tuple[dict[str, list[bytes]], list[bytes]]:
    """The sample file's sentences by family (those quoted without a checksum given one), and
    its binary $TXSQ frames."""
    import re

    from tests.gateway.conftest import DATA
    from tests.gateway.nmea_util import with_checksum

    lines = DATA.joinpath("beidou", "samples_from_sources.txt").read_text("utf-8").splitlines()
    text = [x.encode() for x in lines if x.startswith("$")]
    for line in lines:
        quoted = re.search(r"\[(\$BD[A-Z]{3}(?:, [^,\]]*)+)\]", line)
        if quoted:
            body = ",".join(part.strip() for part in quoted.group(1).split(","))
            text.append(with_checksum(body[1:], "$"))
    by_family = {
        "2.1": [x for x in text if x.startswith(b"$BDTXR") or b",TXA," in x],
        "4.0": [x for x in text if x[3:6] in (b"ICP", b"PWI", b"TCI") or b",TCQ," in x],
    }
    frames = [bytes.fromhex(x[1:]) for x in lines if x.startswith("# 24 54 58 53 51 ")]
    return by_family, frames


@pytest.mark.parametrize("family", ["2.1", "4.0"])
async def test_every_sample_sentence_from_a_terminal_over_the_pty_reaches_the_hub(
    broker, collector, prefix, family: str
) -> None:  # type: ignore[no-untyped-def]
    samples = _source_samples()[0][family]
    assert len(samples) == {"2.1": 2, "4.0": 4}[family]
    async with rig(broker, collector, prefix, family) as r:
        other_before = r.process.counters["other_sentences"]
        await r.shore.port.write(b"".join(x + b"\r\n" for x in samples))
        await eventually(lambda: r.rx() != [] and r.feedback() != [], what="sample traffic")
        (rx,) = r.rx()
        (fb,) = r.feedback()
        if family == "2.1":  # $BDTXR and the quoted [$BDFKI, TXA, N, Y, 4, 0000]
            assert (rx.card, rx.kind, rx.terminal_time) == ("4207733", "data", "2337")
            assert rx.content_hex == "90000000000065C1FAF4B2E2CAD4"
            assert (fb.command, fb.result, fb.code) == ("TXA", "inhibited", "4")
        else:  # $BDICP, $BDPWI and the quoted $BDTCI and [$BDFKI, 080432, TCQ, Y, 0, 0]
            assert (rx.card, rx.kind, rx.terminal_time) == ("4207733", "data", "023242")
            assert rx.content_hex == "90000000000065BEF749B2E2CAD4"
            assert (fb.command, fb.result) == ("TCQ", "ok")
            await eventually(lambda: r.process.counters["other_sentences"] > other_before)
            await r.advance_until(
                lambda: (s := r.status()) is not None and s.card == "15240507",
                what="the sample card",
            )
        assert fb.request_id is None  # nothing of ours was in flight
        assert r.process.counters.rejections() == {}


async def test_the_sample_txsq_frames_written_to_the_pty_are_commands_to_the_terminal(
    broker, collector, prefix
) -> None:  # type: ignore[no-untyped-def]
    import os

    frames = _source_samples()[1]
    assert len(frames) == 2
    async with rig(broker, collector, prefix, "bd1") as r:
        host = os.open(r.shore.path, os.O_WRONLY | os.O_NOCTTY)  # as a second host program would
        try:
            os.write(host, b"".join(frames))
        finally:
            os.close(host)
        await eventually(lambda: len(r.shore.commands) == 2, what="both frames read")
    first, second = r.shore.commands
    assert (first.card, first.content) == ("2095718", b"123 ")
    assert (second.card, second.content) == ("2095719", b"123456789")


async def test_a_long_recall_order_goes_as_one_78_byte_message(broker, collector, prefix) -> None:  # type: ignore[no-untyped-def]
    """A warning that would take several parts on a 78-byte card goes as its compact template
    (signal, return deadline in Beijing time, first line), in one message."""
    async with rig(broker, collector, prefix, "2.1") as r:
        assert r.status() is not None and r.status().max_bytes == 78  # type: ignore[union-attr]
        body = "根据省防指通知，今年第9号台风“海葵”预计明日凌晨登陆，所有在外渔船务必于今日17时前回港避风。"
        r.down("rc1", "warning", body, title="台风“海葵”撤离令", ack="confirm", priority=1,
               signal="orange", recall={"deadline": "2026-07-01T09:00:00Z"})  # fmt: skip
        await r.advance_until(lambda: "rc1" in r.results(), what="sent")
        result = r.results()["rc1"]
        assert (result.outcome, result.parts) == ("sent", 1)
        assert r.process.counters["beidou_compact_templates"] == 1
        [got] = r.boat.received
        assert (got.kind, got.title, got.ack) == (DownKind.WARNING, "台风橙色预警", "confirm")
        assert got.body.startswith("1日17:00前回港;根据省防指通知")


async def test_an_urgent_message_is_the_terminals_alarm(broker, collector, prefix) -> None:  # type: ignore[no-untyped-def]
    """2.1 `$BDTXR` information type 2 (特快): the alarm key. Free text, raw data or a position
    sent so becomes a distress of the sender's card (at the fix when there is one); a reply sent
    so stays a reply; the same text sent ordinarily stays a text."""
    async with rig(broker, collector, prefix, "2.1") as r:
        r.shore.deliver(BOAT, ContentMode.MIXED, b"\xa4" + "遇险报警".encode("gb18030"))
        r.shore.deliver(BOAT, ContentMode.MIXED, b"\xa4" + "遇险报警".encode("gb18030"), True)
        r.shore.deliver(BOAT, ContentMode.CODE, bytes.fromhex("9000A1"), True)
        r.boat.position = Position(22.5, 116.25)
        r.boat.press_alarm(with_position=True)
        await r.advance_until(lambda: len(r.rx()) == 4, step_s=5.0, max_s=600)
        r.boat.type_text("n1 回 6", urgent=True)
        await r.advance_until(lambda: len(r.rx()) == 5, step_s=5.0, max_s=600)
        text, alarm, data, at_fix, reply = r.rx()
        day = f"bd{BOAT}-{r.clock.now():%y%m%d}"
        assert (text.kind, text.text) == ("text", "遇险报警")
        assert alarm.kind == "distress" and alarm.distress is not None
        assert (alarm.distress.distress_id, alarm.distress.text) == (day, "遇险报警")
        assert (alarm.distress.lat, alarm.distress.lon) == (0.0, 0.0)  # the hub's last known
        assert data.kind == "distress" and data.distress is not None
        assert data.distress.text is not None and "[9000A1]" in data.distress.text
        assert at_fix.kind == "distress" and at_fix.distress is not None
        assert (at_fix.distress.lat, at_fix.distress.lon) == (22.5, 116.25)
        assert reply.kind == "ack" and reply.ack is not None and reply.ack.recall is not None
        assert r.process.counters["beidou_alarms"] == 3


async def test_a_request_asked_again_after_it_went_gets_its_result_again(
    broker, collector, prefix
) -> None:  # type: ignore[no-untyped-def]
    """The hub asks again with the same id when no result reached it: one send, and the result
    published again (the first may have been lost)."""
    async with rig(broker, collector, prefix, "4.0") as r:
        r.tx(id="same1", text="测试")
        await r.advance_until(lambda: "same1" in r.results(), what="sent")
        r.tx(id="same1", text="测试")
        await eventually(lambda: len(r.sub.payloads(f"{r.base}/beidou/tx_result")) == 2)
        first, again = (
            BeidouTxResult.model_validate_json(p)
            for p in r.sub.payloads(f"{r.base}/beidou/tx_result")
        )
        assert first == again and first.outcome == "sent"
        await r_pass(r)
        assert len(r.shore.commands) == 1 and r.process.counters["duplicate_requests"] == 1


async def r_pass(r: Rig) -> None:
    """Two service intervals pass: a second copy, had it been queued, would go now."""
    for _ in range(24):
        r.clock.advance(5)
        await asyncio.sleep(0.01)
