"""The AIS chain, top to bottom: line -> checksum and tag block (framing) -> reassembly ->
decode (pyais) -> classify -> event. Each bad line or message is counted by reason and skipped.

The stages live in their own modules; this one only calls them in order, on the hot path.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from gateway.ais.classify import Classifier
from gateway.ais.decode import (
    NAMED_TYPES,
    RAW_TYPES,
    SPECIAL_TYPES,
    TEXT_START_BITS,
    Event,
    decode_into,
    trim_text,
)
from gateway.ais.framing import REFUSED_TAG, Sentence, frame_line
from gateway.ais.reasons import AisReject
from gateway.ais.reassembly import Message, Reassembler
from gateway.ais.static_join import ClassBStatics
from gateway.counters import Counters

_MAX_MMSI = 999_999_999


class AisPipeline:
    """Turns received lines into `AisEvent` dicts (see `seaLink.wire.gateway.AisEvent`)."""

    def __init__(self, counters: Counters, *, fragment_timeout_s: float = 10.0) -> None:
        self.counters = counters
        self._reassembler = Reassembler(counters, fragment_timeout_s)
        self._classifier = Classifier()
        self._statics = ClassBStatics()
        self._iso_cache: dict[float, str] = {}
        # The classifier's own cache, read here directly on the hot path.
        self._classes = self._classifier.cache

    @property
    def pending_fragments(self) -> int:
        return self._reassembler.pending

    def process(self, lines: Iterable[bytes], received: float, now: float) -> list[Event]:
        """Lines received at unix time `received`; `now` is the monotonic time for expiry."""
        events: list[Event] = []
        reject = self.counters.reject
        reassemble = self._reassembler.add
        emit = self._emit
        default_ts = self._iso(received)
        n_lines = 0
        for line in lines:
            n_lines += 1
            sentence = frame_line(line)
            if isinstance(sentence, AisReject):
                if line.strip():  # blank lines are not worth a count
                    reject(sentence)
                continue
            if sentence.total == 1:
                emit(sentence, default_ts, events)
                continue
            message = reassemble(sentence, now)
            if message is not None:
                emit(message, default_ts, events)
        if self._reassembler.pending:
            self._reassembler.expire(now)
        self.counters.inc("lines", n_lines)
        self.counters.inc("events", len(events))
        return events

    def expire(self, now: float) -> None:
        """Drop overdue fragments even when no line arrives."""
        self._reassembler.expire(now)

    def _emit(self, message: Message | Sentence, default_ts: str, events: list[Event]) -> None:
        tag = message.tag
        event: Event = {
            "msg_type": 0,  # set by the decoder
            "ts": default_ts if tag is None or tag.unix_time is None else self._iso(tag.unix_time),
        }
        mmsi = decode_into(message.payload, message.fill, event)
        if isinstance(mmsi, AisReject):
            self.counters.reject(mmsi)
            return
        if not 0 < mmsi <= _MAX_MMSI:
            self.counters.reject(AisReject.BAD_MMSI)
            return
        if tag is not None:
            if tag is REFUSED_TAG:  # the sentence is kept, without the block's time and station
                self.counters.reject(AisReject.BAD_TAG_BLOCK)
            elif tag.source is not None:
                event["source"] = tag.source
        msg_type: int = event["msg_type"]
        if msg_type in SPECIAL_TYPES:
            self._special(msg_type, mmsi, message, event)
        known = self._classes.get((mmsi << 5) | msg_type)
        if known is None:
            known = self._classifier.classify(mmsi, msg_type)
        event["mmsi"], event["class"] = known
        events.append(event)

    def _special(self, msg_type: int, mmsi: int, message: Message | Sentence, event: Event) -> None:
        """The rare steps: join class B statics, note buoy names, keep binary sentences."""
        if msg_type == 24:
            self._statics.join(mmsi, event)
        if msg_type in NAMED_TYPES:
            self._classifier.note_name(mmsi, event.get("name"))
        if msg_type in TEXT_START_BITS and "text" in event:
            bits = len(message.payload) * 6 - message.fill
            event["text"] = trim_text(msg_type, event["text"], bits) or None
            if event["text"] is None:
                del event["text"]
        if msg_type in RAW_TYPES:
            sentences = message.sentences if isinstance(message, Message) else [message.raw]
            event["raw"] = [raw[: raw.index(b"*") + 3].decode("ascii") for raw in sentences]

    def _iso(self, unix_time: float) -> str:
        text = self._iso_cache.get(unix_time)
        if text is None:
            if len(self._iso_cache) > 4096:
                self._iso_cache.clear()
            when = datetime.fromtimestamp(unix_time, UTC)
            text = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            self._iso_cache[unix_time] = text
        return text
