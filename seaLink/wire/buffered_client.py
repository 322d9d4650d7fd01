"""A paho client that reads its socket in large chunks and decodes the common packets itself.

paho asks for each packet in three or four `recv` calls (the type byte, the length bytes one by
one, then the rest); under a flood of small uplinks those system calls are a large part of the
receive path. Here one `recv` of up to 64 KiB serves many packets, and `buffered` tells the
reader that packets are waiting although the socket has nothing more to say.

paho then decodes every PUBLISH and PUBACK into MQTT 5 `Properties` and `ReasonCode` objects,
even when the packet carries none: in a 10,000-boat broadcast that was 28% of the hub's event
loop (py-spy), more than the store's share. A whole PUBLISH of QoS 0 or 1 without properties and
a plain PUBACK (the broker's "success", two bytes) are the bulk of the traffic; they are decoded
here, and handed to paho's own callbacks and bookkeeping. Anything else (a packet with
properties or a reason code, QoS 2, CONNACK, SUBACK, a packet not yet whole) goes through
paho's reader unchanged.
"""

from __future__ import annotations

import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

_PUBLISH = 0x30
_PUBACK = 0x40
_AGAIN = MQTTErrorCode.MQTT_ERR_AGAIN
_OK = MQTTErrorCode.MQTT_ERR_SUCCESS
_LOST = MQTTErrorCode.MQTT_ERR_CONN_LOST
# What paho decodes a plain PUBACK to ("success", no properties): `on_publish` gets the same,
# one pair for every client (nothing changes them).
_PUBACK_OK = ReasonCode(PacketTypes.PUBACK)
_PUBACK_PROPS = Properties(PacketTypes.PUBACK)  # type: ignore[no-untyped-call]


class ReceivedMessage(paho.MQTTMessage):
    """A received message: paho's, without the `info` (a delivery tracker with its own lock)
    that only a message being sent uses."""

    __slots__ = ()

    def __init__(self, mid: int, topic: bytes) -> None:  # no super(): it would build `info`
        self.mid = mid
        self._topic = topic
        self.state = paho.mqtt_ms_invalid
        self.properties = None


class BufferedClient(paho.Client):
    RECV_CHUNK = 65536

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._rbuf = bytearray()
        self._filtered = False  # per-topic callbacks (`message_callback_add`) in use

    @property
    def buffered(self) -> int:
        return len(self._rbuf)

    def reconnect(self) -> MQTTErrorCode:
        self._rbuf.clear()  # bytes of an old connection are never parsed as the new one's
        return super().reconnect()

    def message_callback_add(self, sub: str, callback: Any) -> None:
        self._filtered = True
        super().message_callback_add(sub, callback)

    def read_packets(self, deadline: float) -> MQTTErrorCode:
        """paho's `loop_read`, bounded in time rather than in packets: handles what is waiting
        (buffered, then on the socket) until nothing is or `deadline` (`time.perf_counter`)
        has passed, checked every 16 packets."""
        n = 0
        while True:
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == _AGAIN:
                return _OK
            n += 1
            if n & 15 == 0 and time.perf_counter() > deadline:
                return _OK

    def _packet_read(self) -> MQTTErrorCode:
        if self._in_packet["command"] == 0:  # not in the middle of a packet paho is reading
            if not self._rbuf:
                try:
                    data = super()._sock_recv(self.RECV_CHUNK)
                except BlockingIOError:
                    return _AGAIN
                except OSError as err:
                    self._easy_log(paho.MQTT_LOG_ERR, "failed to receive on socket: %s", err)
                    return _LOST
                if not data:
                    return _LOST
                self._rbuf += data
                self._last_bytes_received = time.monotonic()  # paho's keepalive clock
            rc = self._decode_whole()
            if rc is not None:
                return rc
        return super()._packet_read()

    def _decode_whole(self) -> MQTTErrorCode | None:
        """The packet at the head of the buffer, if it is whole and of the common kinds;
        None leaves it to paho."""
        buf = self._rbuf
        size = len(buf)
        if size < 2:
            return None
        header = buf[0]
        kind = header & 0xF0
        if kind != _PUBLISH and header != _PUBACK:
            return None
        length, at = 0, 1
        while True:  # the remaining length: up to four bytes, seven bits each
            if at >= size or at > 4:
                return None
            byte = buf[at]
            length |= (byte & 0x7F) << (7 * (at - 1))
            at += 1
            if not byte & 0x80:
                break
        end = at + length
        if end > size:
            return None
        if kind == _PUBACK:
            if length != 2:
                return None  # a reason code or properties: paho's
            mid = buf[at] << 8 | buf[at + 1]
            del buf[:end]
            with self._out_message_mutex:
                if mid in self._out_messages:
                    return self._do_on_publish(mid, _PUBACK_OK, _PUBACK_PROPS)
            return _OK
        return self._publish(header, at, end)

    def _publish(self, header: int, at: int, end: int) -> MQTTErrorCode | None:
        buf = self._rbuf
        qos = (header >> 1) & 3
        if qos > 1 or at + 2 > end:
            return None
        topic_len = buf[at] << 8 | buf[at + 1]
        at += 2
        if topic_len == 0 or at + topic_len > end:
            return None  # an empty topic (alias or error) or a malformed packet: paho's
        topic = bytes(buf[at : at + topic_len])
        at += topic_len
        mid = 0
        if qos:
            if at + 2 > end:
                return None
            mid = buf[at] << 8 | buf[at + 1]
            at += 2
        if self._protocol == paho.MQTTv5:
            if at >= end or buf[at] != 0:
                return None  # properties (a sender stamped by the broker): paho decodes them
            at += 1
        message = ReceivedMessage(mid, topic)
        message.payload = bytes(buf[at:end])
        message.qos = qos
        message.dup = bool(header & 0x08)
        message.retain = bool(header & 0x01)
        message.timestamp = time.monotonic()
        del buf[:end]
        self._handle_on_message(message)
        if qos and not self._manual_ack:
            return self._send_puback(mid)
        return _OK

    def _handle_on_message(self, message: paho.MQTTMessage) -> None:
        # paho looks every topic up in its table of per-topic callbacks, even an empty one:
        # 14% of the hub's time under a flood of positions (py-spy). Without such callbacks,
        # straight to `on_message`, with paho's own handling of an exception it raises.
        if self._filtered:
            super()._handle_on_message(message)
            return
        on_message = self.on_message
        if on_message is None:
            return
        with self._in_callback_mutex:
            try:
                on_message(self, self._userdata, message)
            except Exception as err:
                self._easy_log(paho.MQTT_LOG_ERR, "Caught exception in on_message: %s", err)
                if not self.suppress_exceptions:
                    raise

    def _sock_recv(self, bufsize: int) -> bytes:
        # paho's own reader, for what is left to it: served from the buffer first.
        buf = self._rbuf
        if not buf:
            data = super()._sock_recv(self.RECV_CHUNK)
            if len(data) <= bufsize:
                return data  # all of it asked for, or b"" at the end of the stream
            buf += data
        out = bytes(buf[:bufsize])
        del buf[:bufsize]  # cheap: a bytearray drops its head without moving the rest
        return out
