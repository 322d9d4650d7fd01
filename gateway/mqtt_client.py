"""The gateway's MQTT session: one paho client on asyncio, kept connected with backoff.

The retained status is the client's will, so the hub sees `offline` when a gateway dies. The
session is persistent (clean session off) so that send requests addressed to a gateway wait in
the broker while it restarts; QoS 1 messages published while disconnected are queued by paho
(up to `max_queued`) and sent on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from seaLink.wire.mqtt import PahoAsyncio, masked_url, parse_broker_url

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes], None]


class GatewayMqtt:
    def __init__(
        self,
        broker_url: str,
        client_id: str,
        *,
        will_topic: str | None = None,
        will_payload: bytes = b"",
        keepalive_s: int = 30,
        max_queued: int = 20_000,
        min_backoff_s: float = 0.5,
        max_backoff_s: float = 15.0,
    ) -> None:
        self._url = broker_url
        self._addr = parse_broker_url(broker_url)
        self._keepalive = keepalive_s
        self._min_backoff = min_backoff_s
        self._max_backoff = max_backoff_s
        self.connected = asyncio.Event()
        self._lost = asyncio.Event()
        self._subscriptions: dict[str, tuple[int, MessageHandler]] = {}
        self._on_connect_hooks: list[Callable[[], None]] = []
        self._unacked: set[int] = set()
        self._drained = asyncio.Event()
        self._drained.set()
        self.dropped = 0
        self.connections = 0
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=paho.MQTTv311,
            clean_session=False,
        )
        if self._addr.username:
            client.username_pw_set(self._addr.username, self._addr.password)
        if self._addr.tls:
            client.tls_set()
        if will_topic is not None:
            client.will_set(will_topic, will_payload, qos=1, retain=True)
        client.max_inflight_messages_set(200)
        client.max_queued_messages_set(max_queued)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        self._client = client

    def set_will(self, topic: str, payload: bytes) -> None:
        """The retained message the broker publishes if the gateway vanishes (before connecting)."""
        self._client.will_set(topic, payload, qos=1, retain=True)

    def on_connect(self, hook: Callable[[], None]) -> None:
        """Call `hook` after every (re)connection, e.g. to publish the retained status."""
        self._on_connect_hooks.append(hook)

    def subscribe(self, topic: str, handler: MessageHandler, qos: int = 1) -> None:
        self._subscriptions[topic] = (qos, handler)
        if self.connected.is_set():
            self._client.subscribe(topic, qos)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        """Queue a message; False when paho's queue is full (counted in `dropped`)."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc == paho.MQTT_ERR_QUEUE_SIZE:
            self.dropped += 1
            return False
        if qos > 0:
            self._unacked.add(info.mid)
            self._drained.clear()
        return True

    async def drain(self, timeout_s: float = 10.0) -> bool:
        """Wait until every QoS 1 message published so far is acknowledged by the broker."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drained.wait(), timeout_s)
        return self._drained.is_set()

    async def run(self) -> None:
        """Stay connected until cancelled; then disconnect cleanly."""
        adapter = PahoAsyncio()
        adapter.attach(self._client)
        backoff = self._min_backoff
        first = True
        try:
            while True:
                self._lost.clear()
                try:
                    if first:
                        await asyncio.to_thread(
                            self._client.connect, self._addr.host, self._addr.port, self._keepalive
                        )
                        first = False
                    else:
                        await asyncio.to_thread(self._client.reconnect)
                    await asyncio.wait_for(self._wait_connack(), timeout=15)
                    backoff = self._min_backoff
                    await self._lost.wait()
                except (OSError, ConnectionError, TimeoutError) as exc:
                    log.warning("mqtt: cannot reach %s: %s", masked_url(self._url), exc)
                self.connected.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
        finally:
            adapter.detach(self._client)
            adapter.close()

    async def close(self, last_words: tuple[str, bytes] | None = None) -> None:
        """Publish `last_words` (retained), wait for it, and disconnect (no will then)."""
        if self.connected.is_set():
            if last_words is not None:
                self.publish(last_words[0], last_words[1], qos=1, retain=True)
            await self.drain(3.0)
            self._client.disconnect()
            for _ in range(20):
                if self._client.socket() is None:
                    break
                await asyncio.sleep(0.01)

    async def _wait_connack(self) -> None:
        connected = asyncio.create_task(self.connected.wait(), name="mqtt-wait-connack")
        lost = asyncio.create_task(self._lost.wait(), name="mqtt-wait-lost")
        try:
            await asyncio.wait([connected, lost], return_when=asyncio.FIRST_COMPLETED)
        finally:
            connected.cancel()
            lost.cancel()
        if not self.connected.is_set():
            raise ConnectionError("the broker closed the connection before CONNACK")

    # -- paho callbacks (run on the loop, from PahoAsyncio's socket callbacks) ------------------

    def _on_connect(
        self, client: paho.Client, _u: Any, _flags: Any, rc: ReasonCode, _p: Any = None
    ) -> None:
        if rc.is_failure:
            log.error("mqtt: broker refused the gateway: %s", rc)
            self._lost.set()
            return
        self.connections += 1
        for topic, (qos, _handler) in self._subscriptions.items():
            client.subscribe(topic, qos)
        self.connected.set()
        for hook in self._on_connect_hooks:
            try:
                hook()
            except Exception:
                log.exception("mqtt: on-connect hook failed")

    def _on_disconnect(
        self, _c: paho.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any = None
    ) -> None:
        self.connected.clear()
        self._lost.set()

    def _on_message(self, _c: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        for topic, (_qos, handler) in self._subscriptions.items():
            if paho.topic_matches_sub(topic, msg.topic):
                try:
                    handler(msg.topic, bytes(msg.payload))
                except Exception:
                    log.exception("mqtt: handler for %s failed", msg.topic)

    def _on_publish(self, _c: paho.Client, _u: Any, mid: int, _rc: Any, _p: Any = None) -> None:
        self._unacked.discard(mid)
        if not self._unacked:
            self._drained.set()
