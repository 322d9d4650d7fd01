"""The gateway's MQTT session: `seaLink.wire.session.MqttSession`, with per-topic handlers.

The retained status is the client's will, so the hub sees `offline` when a gateway dies. The
session is persistent (clean session off) so that send requests addressed to a gateway wait in
the broker while it restarts; QoS 1 messages published while disconnected are queued by paho
(up to `max_queued`) and sent on reconnect, so one paho client serves every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.reasoncodes import ReasonCode

from seaLink.wire.mqtt import parse_broker_url
from seaLink.wire.session import MqttSession, SessionOwner, SessionSettings

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes], None]


class GatewayMqtt(SessionOwner):
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
        self._subscriptions: dict[str, tuple[int, MessageHandler]] = {}
        self._on_connect_hooks: list[Callable[[], None]] = []
        self.connected = asyncio.Event()
        self._unacked: set[int] = set()
        self._drained = asyncio.Event()
        self._drained.set()
        self.dropped = 0
        self._session = MqttSession(
            parse_broker_url(broker_url),
            SessionSettings(
                client_id=client_id,
                protocol="3.1.1",
                keepalive_s=keepalive_s,
                will=None if will_topic is None else (will_topic, will_payload),
                max_inflight=200,
                max_queued=max_queued,
                reconnect_first_s=min_backoff_s,
                reconnect_max_s=max_backoff_s,
            ),
            self,
            logger=log,
        )

    @property
    def connections(self) -> int:
        return self._session.connections

    def set_will(self, topic: str, payload: bytes) -> None:
        """The retained message the broker publishes if the gateway vanishes (before connecting)."""
        self._session.client.will_set(topic, payload, qos=1, retain=True)

    def on_connect(self, hook: Callable[[], None]) -> None:
        """Call `hook` after every (re)connection, e.g. to publish the retained status."""
        self._on_connect_hooks.append(hook)

    def subscribe(self, topic: str, handler: MessageHandler, qos: int = 1) -> None:
        self._subscriptions[topic] = (qos, handler)
        self._session.subscribe(topic, qos)

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> bool:
        """Queue a message; False when paho's queue is full (counted in `dropped`)."""
        info = self._session.client.publish(topic, payload, qos=qos, retain=retain)
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
        await self._session.run()

    async def close(self, last_words: tuple[str, bytes] | None = None) -> None:
        """Publish `last_words` (retained), wait for it, and disconnect (no will then)."""
        if self.connected.is_set():
            if last_words is not None:
                self.publish(last_words[0], last_words[1], qos=1, retain=True)
            await self.drain(3.0)
            self._session.disconnect()
            for _ in range(20):
                if self._session.client.socket() is None:
                    break
                await asyncio.sleep(0.01)

    # -- session callbacks (on the loop) -------------------------------------------------------

    def mqtt_subscriptions(self) -> list[tuple[str, int]]:
        return [(topic, qos) for topic, (qos, _handler) in self._subscriptions.items()]

    def mqtt_connected(self, session_present: bool) -> None:
        self.connected.set()
        for hook in self._on_connect_hooks:
            try:
                hook()
            except Exception:
                log.exception("mqtt: on-connect hook failed")

    def mqtt_offline(self, lost: bool) -> None:
        self.connected.clear()

    def mqtt_message(self, client: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        for topic, (_qos, handler) in self._subscriptions.items():
            if paho.topic_matches_sub(topic, msg.topic):
                try:
                    handler(msg.topic, bytes(msg.payload))
                except Exception:
                    log.exception("mqtt: handler for %s failed", msg.topic)

    def mqtt_published(self, mid: int, reason: ReasonCode | None) -> None:
        self._unacked.discard(mid)
        if not self._unacked:
            self._drained.set()
