"""The Beidou gateway: a terminal on a port <-> MQTT.

Received messages are joined (split ones), decoded from the compact text form and published on
`beidou/rx` with the sender's card; one sent in the urgent class (a terminal's alarm) is a
distress unless it decodes to a reply, a request or a distress; feedback goes to `beidou/feedback`. Send requests arrive on
`beidou/tx`, are deduplicated by id, queued (distress first) and paced by the card; each one's
outcome is published on `beidou/tx_result`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from datetime import datetime
from typing import Any

import pydantic_core
from pydantic import ValidationError

from gateway.beidou import compact
from gateway.beidou.content import ContentMode, decode_text, is_pure_chinese, unwrap
from gateway.beidou.events import CardInfo, Feedback, Received
from gateway.beidou.family import make_family
from gateway.beidou.idrefs import IdTable
from gateway.beidou.replies import ALARM_TEXT, alarm_distress, parse_reply
from gateway.beidou.segments import Joiner
from gateway.beidou.send_queue import DISTRESS, REMINDER, ROUTINE, WARNING, OutboundJob
from gateway.beidou.session import TerminalSession
from gateway.clock import Clock
from gateway.counters import Counters
from gateway.mqtt_client import GatewayMqtt
from gateway.source import ByteSource
from seaLink.wire.gateway import (
    BEIDOU_TX_REQUESTS,
    BeidouFeedback,
    BeidouRx,
    BeidouRxKind,
    BeidouTxRequest,
    BeidouTxResult,
    GatewayTopics,
    TxContentMode,
    TxOutcome,
)
from seaLink.wire.payloads import (
    AckPayload,
    DistressPayload,
    DownKind,
    DownMessage,
    RequestPayload,
)

log = logging.getLogger(__name__)

DISTRESS_KINDS = frozenset({DownKind.DISTRESS_ACK, DownKind.RESCUE_TASK})
_MODES = {
    TxContentMode.CHINESE: ContentMode.CHINESE,
    TxContentMode.CODE: ContentMode.CODE,
    TxContentMode.MIXED: ContentMode.MIXED,
}


class BeidouGateway:
    def __init__(
        self,
        *,
        topics: GatewayTopics,
        family: str,
        source: ByteSource,
        fki_y_with_reason: str = "ok",
        mqtt: GatewayMqtt,
        clock: Clock,
        counters: Counters,
        read_only: bool = False,
        interval_override_s: float | None = None,
        max_bytes_override: int | None = None,
        feedback_timeout_s: float = 10.0,
        part_timeout_s: float = 3600.0,
    ) -> None:
        self._topics = topics
        self.family_name = family
        self._source = source
        self._mqtt = mqtt
        self._clock = clock
        self.counters = counters
        self._read_only = read_only
        self.ids = IdTable()
        self._joiner = Joiner(part_timeout_s)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._sent: OrderedDict[str, bytes] = OrderedDict()  # request id -> its `sent` result
        self.session = TerminalSession(
            make_family(family, fki_y_with_reason),
            source.write,
            clock,
            counters,
            on_received=self._on_received,
            on_feedback=self._on_feedback,
            on_result=self._on_result,
            on_card=self._on_card,
            interval_override_s=interval_override_s,
            max_bytes_override=max_bytes_override,
            feedback_timeout_s=feedback_timeout_s,
        )
        mqtt.subscribe(topics.beidou_tx, self._on_tx)

    def details(self) -> dict[str, Any]:
        """What the retained status tells about the terminal."""
        card = self.session.card
        return {
            "family": self.family_name,
            "card": card.card if card else None,
            "interval_s": self.session.interval_s,
            "max_bytes": self.session.max_bytes,
        }

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            if not self._read_only:
                session = tg.create_task(self.session.run(), name="beidou-session")
            parts = tg.create_task(self._expire_parts(), name="beidou-expire-parts")
            try:
                async for chunk in self._source.chunks():
                    try:
                        self.session.feed(chunk)
                    except Exception:  # a bug must not stop the terminal: count it, go on
                        log.exception("beidou: failed on %d bytes from the terminal", len(chunk))
                        self.counters.reject("internal_error")
            finally:
                parts.cancel()
                if not self._read_only:
                    session.cancel()

    def port_state(self, is_open: bool) -> None:
        if is_open:
            self.session.port_reopened()

    # -- tx: MQTT -> terminal ---------------------------------------------------------------------

    def _on_tx(self, _topic: str, payload: bytes) -> None:
        try:
            parsed = BEIDOU_TX_REQUESTS.validate_json(payload)
        except ValidationError as exc:
            self.counters.reject("invalid_request")
            request_id = _request_id(payload)
            if request_id:
                self._result(request_id, None, False, "invalid_request", _first_error(exc), 0, 0)
            return
        for request in parsed if isinstance(parsed, list) else [parsed]:
            self._accept(request)

    def _accept(self, request: BeidouTxRequest) -> None:
        if request.cancel:
            self._cancel(request)
            return
        if request.id in self._seen:
            self.counters.inc("duplicate_requests")
            sent = self._sent.get(request.id)
            if sent is not None:  # asked again after it went: the hub may have missed the result
                self._publish(self._topics.beidou_tx_result, sent.decode())
            return
        self._seen[request.id] = None
        if len(self._seen) > 10_000:
            self._seen.popitem(last=False)
        if self._read_only:
            self._result(
                request.id, request.card, False, "replay_mode", "no terminal to send", 0, 0
            )
            return
        job = self._job_for(request)
        if job is not None:
            self.session.submit(job)

    def _cancel(self, request: BeidouTxRequest) -> None:
        """The hub reached the boat another way: drop the request unless a part already went out
        (then it finishes and says `sent`). An id never seen is answered `cancelled` too, so that
        the hub is not left waiting for a request that was lost on the way."""
        self.counters.inc("beidou_cancel_requests")
        if self.session.withdraw(request.id):
            self.counters.inc("beidou_cancelled")
            self._seen.pop(request.id, None)
            self._result(request.id, request.card, False, "cancelled", "withdrawn by the hub", 0, 0)
        elif request.id not in self._seen:
            self._result(
                request.id, request.card, False, "unknown_request", "not queued here", 0, 0
            )

    def _job_for(self, request: BeidouTxRequest) -> OutboundJob | None:
        if request.down is not None:
            down = request.down
            text = compact.encode_down(down, self.ids.ref_for(down.msg_id))
            if isinstance(text, compact.CompactError):
                self._result(request.id, request.card, False, text.reason, text.detail, 0, 0)
                return None
            ref = self.ids.ref_for(down.msg_id)
            return OutboundJob(
                request.id,
                request.card,
                ContentMode.MIXED,
                request.priority,
                traffic_class(down),
                text=text,
                shorten=lambda room: compact.encode_down_short(down, ref, room),
                expires=down.expires,
            )
        if request.text is not None:
            text = compact.pack_text(request.text)
            mode = _MODES[request.mode or TxContentMode.MIXED]
            if mode is ContentMode.CODE or (
                mode is ContentMode.CHINESE and not is_pure_chinese(text)
            ):
                self._result(
                    request.id,
                    request.card,
                    False,
                    "invalid_request",
                    f"text cannot be sent in {mode.value} mode",
                    0,
                    0,
                )
                return None
            return OutboundJob(request.id, request.card, mode, request.priority, text=text)
        data = bytes.fromhex(request.content_hex or "")
        return OutboundJob(request.id, request.card, ContentMode.CODE, request.priority, data=data)

    def _on_result(
        self, job: OutboundJob, sent: bool, reason: str | None, detail: str | None
    ) -> None:
        if not sent:
            self._seen.pop(job.request_id, None)  # the hub may ask again (same id) later
        self._result(job.request_id, job.card, sent, reason, detail, job.next_part, job.bytes_sent)

    def _result(
        self,
        request_id: str,
        card: str | None,
        sent: bool,
        reason: str | None,
        detail: str | None,
        parts: int,
        sent_bytes: int,
    ) -> None:
        result = BeidouTxResult(
            id=request_id[:64],
            card=card,
            outcome=TxOutcome.SENT if sent else TxOutcome.FAILED,
            reason=reason,
            detail=detail,
            ts=self._clock.now(),
            parts=parts,
            bytes_sent=sent_bytes,
        )
        text = result.model_dump_json(exclude_none=True)
        if sent:
            self._sent[request_id] = text.encode()
            if len(self._sent) > 10_000:
                self._sent.popitem(last=False)
        self._publish(self._topics.beidou_tx_result, text)

    def _on_feedback(self, fb: Feedback, job: OutboundJob | None) -> None:
        message = BeidouFeedback(
            ts=self._clock.now(),
            family=self.family_name,
            command=fb.command,
            result=fb.result,
            wait_s=fb.wait_s,
            code=fb.code,
            detail=fb.detail,
            request_id=job.request_id if job is not None else None,
        )
        self._publish(self._topics.beidou_feedback, message.model_dump_json(exclude_none=True))

    def _on_card(self, _card: CardInfo) -> None:
        self.counters.inc("beidou_card_reads")

    # -- rx: terminal -> MQTT ---------------------------------------------------------------------

    def _on_received(self, rx: Received) -> None:
        payload = unwrap(rx.mode, rx.content)
        joined = self._joiner.feed(rx.sender, payload, self._clock.monotonic())
        if joined is None:
            self.counters.inc("beidou_parts_held")
            return
        now = self._clock.now()
        fields: dict[str, Any] = {}
        text = decode_text(joined.data)
        if rx.digits is not None and joined.parts == 1:  # an odd count of code digits, as sent
            fields = {"kind": BeidouRxKind.DATA, "content_hex": rx.digits}
        elif text is None or (rx.mode is ContentMode.CODE and not compact.is_compact(text)):
            fields = {"kind": BeidouRxKind.DATA, "content_hex": joined.data.hex().upper()}
        elif compact.is_compact(text):
            fields = self._decode_compact(text)
        else:
            fields = self._typed(text, rx.sender, now)
        if rx.urgent:
            fields = self._alarm(fields, rx.sender, now)
        basis = f"{rx.sender}|{joined.data.hex()}|{rx.terminal_time or now.strftime('%Y%m%d%H%M')}"
        message = BeidouRx(
            rx_id=hashlib.sha1(basis.encode()).hexdigest()[:24],
            card=rx.sender,
            ts=now,
            family=self.family_name,
            terminal_time=rx.terminal_time,
            parts=joined.parts,
            **fields,
        )
        self.counters.inc(f"beidou_rx.{message.kind.value}")
        self._publish(self._topics.beidou_rx, message.model_dump_json(exclude_none=True))

    def _typed(self, text: str, card: str, now: datetime) -> dict[str, Any]:
        """A reply keyed in by the crew (`n1 回 6`, `SOS`), else plain text for the hub's log."""
        reply = parse_reply(text, card, now)
        if reply is None:
            return {"kind": BeidouRxKind.TEXT, "text": text}
        self.counters.inc("beidou_typed_replies")
        return self._fields_of(reply)

    def _alarm(self, fields: dict[str, Any], card: str, now: datetime) -> dict[str, Any]:
        """An urgent-class message: the terminal's alarm. A reply, request or distress sent in
        that class stays what it is; anything else (a position, free text, raw data) raises a
        distress for the card's boat, so that no alarm waits on its content being understood."""
        kind = fields["kind"]
        if kind in (BeidouRxKind.ACK, BeidouRxKind.REQUEST, BeidouRxKind.DISTRESS):
            return fields
        self.counters.inc("beidou_alarms")
        note = fields.get("text")
        if kind is BeidouRxKind.DATA:
            note = f"{ALARM_TEXT} [{fields['content_hex']}]"
        distress = alarm_distress(card, now, note, fields.get("fixes") or [])
        return {"kind": BeidouRxKind.DISTRESS, "distress": distress}

    def _decode_compact(self, text: str) -> dict[str, Any]:
        decoded = compact.decode_up(text)
        if isinstance(decoded, compact.CompactError):
            self.counters.reject(decoded.reason)
            return {"kind": BeidouRxKind.TEXT, "text": text}
        return self._fields_of(decoded)

    def _fields_of(self, decoded: compact.UpMessage) -> dict[str, Any]:
        if isinstance(decoded, list):
            return {"kind": BeidouRxKind.POSITION, "fixes": decoded}
        if isinstance(decoded, AckPayload):
            resolved = decoded.model_copy(update={"msg_id": self.ids.resolve(decoded.msg_id)})
            return {"kind": BeidouRxKind.ACK, "ack": resolved}
        if isinstance(decoded, DistressPayload):
            return {"kind": BeidouRxKind.DISTRESS, "distress": decoded}
        assert isinstance(decoded, RequestPayload)
        return {"kind": BeidouRxKind.REQUEST, "request": decoded}

    # -- helpers ------------------------------------------------------------------------------

    def _publish(self, topic: str, json_text: str) -> None:
        if not self._mqtt.publish(topic, json_text.encode()):
            self.counters.inc("dropped_publishes")

    async def _expire_parts(self) -> None:
        while True:
            await self._clock.sleep(60.0)
            expired = self._joiner.expire(self._clock.monotonic())
            if expired:
                self.counters.reject("stale_parts", expired)


def traffic_class(down: DownMessage) -> int:
    """Distress traffic, then warnings and recall orders, then the rest, then reminders."""
    if down.kind in DISTRESS_KINDS:
        return DISTRESS
    if (down.model_extra or {}).get("reminder"):
        return REMINDER
    return WARNING if down.kind is DownKind.WARNING else ROUTINE


def _request_id(payload: bytes) -> str | None:
    try:
        data = pydantic_core.from_json(payload)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"]:
        return str(data["id"])
    return None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err["loc"]) or "payload"
    return f"{where}: {err['msg']}"[:200]
