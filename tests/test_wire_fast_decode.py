"""`BufferedClient` decodes whole PUBLISH and plain PUBACK packets itself (paho's decoders were 28%
of the hub's loop in a broadcast). Differential: whatever bytes arrive, however they are cut, the
hub's client hands on exactly the messages, in the order, with the fields, and returns the same
codes as paho's own reader does on the same bytes: MQTT 5 and 3.1.1, QoS 0 and 1 (and 2, left to
paho), properties, retained and duplicate flags, empty payloads, and packets made malformed."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
import pytest
from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from seaLink.wire.buffered_client import BufferedClient
from tests.fuzzing import fuzz_settings


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


@dataclass
class Publish:
    topic: bytes
    payload: bytes
    qos: int
    retain: bool
    dup: bool
    mid: int
    user: list[tuple[str, str]]
    expiry: int | None
    corrupt: int  # 0: as it should be; 1: topic length past the end; 2: cut short

    def encode(self, v5: bool) -> bytes:
        body = struct.pack("!H", len(self.topic) + (200 if self.corrupt == 1 else 0)) + self.topic
        if self.qos:
            body += struct.pack("!H", self.mid)
        if v5:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            if self.user:
                props.UserProperty = self.user
            if self.expiry is not None:
                props.MessageExpiryInterval = self.expiry
            body += props.pack()  # type: ignore[no-untyped-call]
        body += self.payload
        if self.corrupt == 2:
            body = body[: len(self.topic) // 2 + 1]
        header = 0x30 | self.qos << 1 | (0x08 if self.dup else 0) | (0x01 if self.retain else 0)
        return bytes([header]) + varint(len(body)) + body


text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
publishes = st.builds(
    Publish,
    topic=st.one_of(
        st.just(b"sealink/v1/V1/ack"),
        text.map(lambda s: s.encode()).filter(bool),
        st.binary(min_size=1, max_size=8),  # not UTF-8: paho hands it on; `.topic` then raises
    ),
    payload=st.one_of(
        st.just(b""), st.binary(max_size=300), st.binary(min_size=16_000, max_size=70_000)
    ),
    qos=st.sampled_from([0, 1, 1, 2]),
    retain=st.booleans(),
    dup=st.booleans(),
    mid=st.integers(1, 65535),
    user=st.lists(st.tuples(text, text), max_size=2),
    expiry=st.none() | st.integers(0, 2**32 - 1),
    corrupt=st.sampled_from([0, 0, 0, 0, 0, 0, 1, 2]),
)


def pingresp() -> bytes:
    return b"\xd0\x00"


class Reader:
    """A client of one class reading from one end of a socket pair, recording what it hands on."""

    def __init__(self, cls: type[paho.Client], v5: bool, manual_ack: bool) -> None:
        self.client = cls(
            callback_api_version=CallbackAPIVersion.VERSION2,
            protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
            manual_ack=manual_ack,
        )
        self.mine, self.theirs = socket.socketpair()
        self.mine.setblocking(False)
        self.theirs.setblocking(False)
        self.client._sock = self.mine  # type: ignore[assignment]
        self.got: list[Any] = []
        self.codes: list[MQTTErrorCode] = []
        self.client.on_message = self.on_message

    def on_message(self, _c: paho.Client, _u: Any, m: paho.MQTTMessage) -> None:
        props = m.properties.json() if m.properties is not None else {}  # type: ignore[no-untyped-call]
        self.got.append((m._topic, m.payload, m.qos, m.retain, m.dup, m.mid, props))

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self.failed:
            try:
                view = view[self.theirs.send(view) :]
            except BlockingIOError:  # the pair's buffer is full: read some first
                pass
            self.read()

    @property
    def failed(self) -> bool:
        return MQTTErrorCode.MQTT_ERR_PROTOCOL in self.codes

    def read(self) -> None:
        while not self.failed:
            rc = self.client._packet_read()
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                return
            self.codes.append(rc)

    def acks_sent(self) -> bytes:
        out = b""
        try:
            while chunk := self.theirs.recv(65536):
                out += chunk
        except BlockingIOError:
            pass
        return out

    def close(self) -> None:
        self.mine.close()
        self.theirs.close()


@fuzz_settings(150)
@given(
    packets=st.lists(st.one_of(publishes, st.just(None)), min_size=1, max_size=12),
    cuts=st.lists(st.integers(1, 40_000), max_size=6),
    v5=st.booleans(),
    manual_ack=st.booleans(),
)
def test_the_hub_client_hands_on_what_paho_would_from_any_stream(
    packets: list[Publish | None], cuts: list[int], v5: bool, manual_ack: bool
) -> None:
    stream = b"".join(p.encode(v5) if p else pingresp() for p in packets)
    pieces, at = [], 0
    for n in cuts:  # the same bytes, arriving cut wherever TCP pleases
        pieces.append(stream[at : at + n])
        at += n
    pieces.append(stream[at:])
    readers = [Reader(BufferedClient, v5, manual_ack), Reader(paho.Client, v5, manual_ack)]
    try:
        for piece in pieces:
            if piece:
                for r in readers:
                    r.feed(piece)
        fast, plain = readers
        assert fast.got == plain.got
        assert fast.codes == plain.codes
        assert fast.acks_sent() == plain.acks_sent()  # the PUBACKs (and PUBRECs) it answers with
        assert isinstance(fast.client, BufferedClient)
        assert fast.client.buffered == 0 or fast.failed
    finally:
        for r in readers:
            r.close()


def burst(v5: bool) -> bytes:
    """Every remaining-length size (1 to 3 bytes) back to back, most without properties (the
    path the hub's client decodes itself), then a packet whose topic runs past its end."""
    sizes = [0, 1, 100, 120, 127, 128, 200, 1000, 16_370, 16_384, 20_000]
    packets = [
        Publish(f"sealink/v1/V{i}/ack".encode(), bytes([i % 251]) * sizes[i % len(sizes)],
                qos=i % 2, retain=i % 3 == 0, dup=i % 5 == 0, mid=i + 1,
                user=[("by", "V1")] if i % 7 == 6 else [], expiry=None, corrupt=0)
        for i in range(120)
    ]  # fmt: skip
    packets.append(Publish(b"t/x", b"after", 1, False, False, 9, [], None, corrupt=1))
    packets.append(Publish(b"t/y", b"never read", 1, False, False, 10, [], None, corrupt=0))
    return b"".join(p.encode(v5) for p in packets)


@pytest.mark.parametrize("v5", [True, False])
@pytest.mark.parametrize("piece", [1 << 20, 7, 1000])
def test_a_burst_of_every_size_then_a_malformed_packet_is_read_as_paho_reads_it(
    v5: bool, piece: int
) -> None:
    stream = burst(v5)
    readers = [Reader(BufferedClient, v5, False), Reader(paho.Client, v5, False)]
    try:
        for at in range(0, len(stream), piece):
            for r in readers:
                r.feed(stream[at : at + piece])
        fast, plain = readers
        assert len(plain.got) == 120 and plain.failed  # the truth: all before, none after
        assert fast.got == plain.got
        assert fast.codes == plain.codes
        assert fast.acks_sent() == plain.acks_sent()
    finally:
        for r in readers:
            r.close()


@fuzz_settings(100)
@given(
    acks=st.lists(
        st.tuples(
            st.integers(1, 40), st.sampled_from([None, 0x00, 0x10, 0x80, 0x97]), st.booleans()
        ),
        max_size=30,
    ),
    v5=st.booleans(),
)
def test_publish_acknowledgements_reach_on_publish_as_paho_reports_them(
    acks: list[tuple[int, int | None, bool]], v5: bool
) -> None:
    """The broker's PUBACKs: plain (the bulk, decoded here) or with a reason code and properties
    (paho's), for messages in flight and for ids not (or no longer) in flight."""
    stream = b""
    for mid, reason, props in acks:
        body = struct.pack("!H", mid)
        if v5 and reason is not None:
            body += bytes([reason]) + (b"\x00" if props else b"")
        stream += bytes([0x40, len(body)]) + body
    readers = [Reader(BufferedClient, v5, False), Reader(paho.Client, v5, False)]
    seen: list[list[tuple[int, int, dict[str, Any]]]] = [[], []]
    try:
        for r, calls in zip(readers, seen, strict=True):
            for mid in range(1, 31):  # ids 31-40 are not in flight
                m = paho.MQTTMessage(mid, b"sealink/v1/V1/notice")
                m.qos = 1
                r.client._out_messages[mid] = m
            r.client._inflight_messages = 30
            r.client.on_publish = lambda _c, _u, mid, rc, p, calls=calls: calls.append(
                (mid, rc.value, p.json())
            )
            r.feed(stream)
        fast, plain = readers
        assert seen[0] == seen[1]
        assert fast.codes == plain.codes
        assert [m.mid for m in fast.client._out_messages.values()] == [
            m.mid for m in plain.client._out_messages.values()
        ]
        assert fast.client._inflight_messages == plain.client._inflight_messages
        # The truth, from the stream: each id in flight reported once, at its first PUBACK.
        firsts = list(dict.fromkeys(mid for mid, _r, _p in acks if mid <= 30))
        assert [mid for mid, _rc, _p in seen[0]] == firsts
    finally:
        for r in readers:
            r.close()
