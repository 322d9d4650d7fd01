"""The hub's MQTT link: a persistent session with manual acknowledgements.

An uplink is handed to the ingest pipeline with its packet id and is acknowledged (PUBACK) only
after the pipeline says it is committed. If the hub dies first, the broker redelivers it to the
hub's persistent session; the store's natural keys make the redelivery a no-op.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from seaLink.metrics import HubMetrics
from seaLink.settings import MqttSettings
from seaLink.wire.gateway import hub_gateway_subscriptions
from seaLink.wire.mqtt import BufferedClient, PahoAsyncio, masked_url, parse_broker_url
from seaLink.wire.topics import Topics

log = logging.getLogger(__name__)

RECONNECT_FIRST_S = 0.2  # not at once: two clients with one id would take turns in a tight loop
RECONNECT_MAX_S = 2.0


@dataclass(slots=True)
class RawUplink:
    """One message as the broker delivered it, before any checking."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    retain: bool
    sender: str | None  # client id stamped by a trusted broker, when configured
    received_mono: float  # for latency figures; the pipeline stamps times from its Clock
    connection: int  # which connection delivered it; packet ids are only valid on that one


class MqttLink:
    """Connects, subscribes, reconnects with backoff, and queues uplinks for the pipeline."""

    def __init__(self, settings: MqttSettings, metrics: HubMetrics, topics: Topics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._topics = topics
        self.inbox: deque[RawUplink] = deque()
        self.inbox_ready = asyncio.Event()
        self.connected = asyncio.Event()
        self._connection = 0
        self._client: paho.Client | None = None
        self._disconnected = asyncio.Event()
        # Packet ids of our publishes that the broker has acknowledged, for the outbox.
        self.published: deque[tuple[int, int]] = deque()  # (connection, mid)
        self.published_ready = asyncio.Event()
        self.on_connected: list[Callable[[], None]] = []
        # Several hubs: hub-to-hub topics (not uplinks) go to `on_internal`, acknowledged at once.
        self.internal_filters: list[str] = []
        self.internal_prefix = ""
        self.on_internal: Callable[[str, bytes], None] | None = None
        # A hub that adopts a dead hub's session connects once: when that hub returns and takes
        # its session back, the adopter must not take it again (its cluster loop decides).
        self.reconnect = True

    @property
    def checks_sender(self) -> bool:
        return bool(self._settings.sender_property)

    # -- pipeline side -------------------------------------------------------------------------

    def ack(self, uplinks: Iterable[RawUplink]) -> int:
        """PUBACK what is committed. Uplinks of an earlier connection are redelivered anyway."""
        client = self._client
        if client is None:
            return 0
        n = 0
        for up in uplinks:
            if up.qos > 0 and up.connection == self._connection:
                client.ack(up.mid, up.qos)
                n += 1
        return n

    @property
    def connection(self) -> int:
        return self._connection

    def publish(
        self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False
    ) -> int | None:
        """Queue a publish; returns its packet id, or None while disconnected."""
        client = self._client
        if client is None or not self.connected.is_set():
            return None
        info = client.publish(topic, payload, qos=qos, retain=retain)
        return info.mid if info.rc == paho.MQTT_ERR_SUCCESS else None

    # -- connection ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected until cancelled.

        A lost connection is tried again after 0.2 s, doubling to 2 s at most: the hub
        subscribes on every connect, and until it has, a broker that forgot its (shared)
        subscriptions over a restart, as Mosquitto 2.0 does, answers vessels' uplinks "no matching
        subscribers" (they send them again, docs/protocol.md §4). A refused connection costs the
        broker next to nothing, so the hub is back within 2 s of the broker."""
        adapter = PahoAsyncio()
        backoff = RECONNECT_FIRST_S
        unreachable_since: float | None = None
        try:
            while True:
                client = self._make_client()
                adapter.attach(client)
                self._disconnected.clear()
                try:
                    await self._connect(client)
                    backoff = RECONNECT_FIRST_S
                    if unreachable_since is not None:
                        log.warning(
                            "mqtt: broker %s reachable again after %.1fs",
                            masked_url(self._settings.url),
                            time.monotonic() - unreachable_since,
                        )
                        unreachable_since = None
                    await self._disconnected.wait()
                except (OSError, ConnectionError) as exc:
                    if unreachable_since is None:  # once per outage, not once per attempt
                        unreachable_since = time.monotonic()
                        log.warning(
                            "mqtt: cannot reach broker %s: %s", masked_url(self._settings.url), exc
                        )
                    else:
                        log.debug("mqtt: still cannot reach broker: %s", exc)
                finally:
                    self.connected.clear()
                    if self.reconnect:  # an adopted session is not the hub's own connection
                        self._metrics.mqtt_connected.set(0)
                    adapter.detach(client)
                    if client.socket() is not None:
                        client.disconnect()
                    self._client = None
                if not self.reconnect:
                    log.info("mqtt: session %s closed; not reconnecting", self._settings.client_id)
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_S)
        finally:
            adapter.close()

    def _make_client(self) -> paho.Client:
        s = self._settings
        v5 = s.protocol == "5"
        client = BufferedClient(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
            clean_session=None if v5 else False,
            manual_ack=True,
        )
        addr = parse_broker_url(s.url)
        if addr.username:
            client.username_pw_set(addr.username, addr.password)
        if addr.tls:
            client.tls_set()
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        return client

    async def _connect(self, client: paho.Client) -> None:
        s = self._settings
        addr = parse_broker_url(s.url)
        props = None
        kwargs: dict[str, Any] = {}
        if s.protocol == "5":
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = s.session_expiry_s
            props.ReceiveMaximum = s.receive_maximum
            kwargs["clean_start"] = False
        self._client = client
        # connect() blocks only for the TCP handshake; run it off the loop.
        await asyncio.to_thread(
            client.connect, addr.host, addr.port, s.keepalive_s, properties=props, **kwargs
        )
        await asyncio.wait_for(self._wait_connack(), timeout=15)

    async def _wait_connack(self) -> None:
        connected = asyncio.ensure_future(self.connected.wait())
        lost = asyncio.ensure_future(self._disconnected.wait())
        try:
            await asyncio.wait([connected, lost], return_when=asyncio.FIRST_COMPLETED)
        finally:
            connected.cancel()
            lost.cancel()
        if not self.connected.is_set():
            raise ConnectionError("broker closed the connection before CONNACK")

    def _on_connect(
        self, client: paho.Client, _u: Any, flags: Any, rc: ReasonCode, _p: Any = None
    ) -> None:
        if rc.is_failure:
            log.error("mqtt: broker refused the hub: %s", rc)
            self._disconnected.set()
            return
        self._connection += 1
        subs = self._topics.hub_subscriptions(self._settings.shared_group)
        # Gateway traffic is not shared: every hub keeps the whole picture of AIS traffic, gateway
        # status and Beidou send results (the outbox on the schedule holder needs them); the store's
        # natural keys make the copies harmless, and there are few gateways.
        subs += hub_gateway_subscriptions(self._topics)
        subs += self.internal_filters
        client.subscribe([(f, 1) for f in subs])
        self.connected.set()
        if self.reconnect:
            self._metrics.mqtt_connected.set(1)
        for callback in self.on_connected:
            callback()
        log.info(
            "mqtt: connected to %s as %s (session present: %s), subscribed to %s",
            masked_url(self._settings.url),
            self._settings.client_id,
            flags.session_present,
            subs,
        )

    def _on_publish(
        self, _c: paho.Client, _u: Any, mid: int, _rc: Any = None, _p: Any = None
    ) -> None:
        self.published.append((self._connection, mid))
        self.published_ready.set()

    def _on_disconnect(
        self, _c: paho.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any = None
    ) -> None:
        log.warning("mqtt: disconnected (%s)", rc)
        self._disconnected.set()

    def _on_message(self, client: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
        if self.internal_prefix and msg.topic.startswith(self.internal_prefix):
            if self.on_internal is not None:
                self.on_internal(msg.topic, bytes(msg.payload))
            if msg.qos > 0:
                client.ack(msg.mid, msg.qos)
            return
        sender = None
        prop_name = self._settings.sender_property
        if prop_name and msg.properties is not None:
            for key, value in getattr(msg.properties, "UserProperty", []) or []:
                if key == prop_name:
                    sender = value
        self.inbox.append(
            RawUplink(
                topic=msg.topic,
                payload=bytes(msg.payload),
                mid=msg.mid,
                qos=msg.qos,
                retain=bool(msg.retain),
                sender=sender,
                received_mono=time.monotonic(),
                connection=self._connection,
            )
        )
        self.inbox_ready.set()
