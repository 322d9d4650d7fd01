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
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from seaLink.metrics import HubMetrics
from seaLink.settings import MqttSettings
from seaLink.wire.gateway import hub_gateway_subscriptions
from seaLink.wire.mqtt import parse_broker_url
from seaLink.wire.session import MqttSession, SessionOwner, SessionSettings
from seaLink.wire.topics import Topics

log = logging.getLogger(__name__)

# QoS 1 publishes the outbox keeps in flight at most. Under a 10,000-boat fan-out the hub saw
# each PUBACK ~0.7 s after its publish (while reading its socket between store round trips):
# 1,000 in flight capped sending near 1,400/s (bench.broadcast: all delivered 6.9-7.7 s); 4,000
# gave 4.1-5.3 s, and 10,000 no better.
PUBLISH_WINDOW = 4000
URGENT_SUFFIX = "-urgent"  # the client id of the hub's distress session: `<client id>-urgent`
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
    via: MqttLink | None = None  # the session that delivered it (None: the hub's main one)


class MqttLink(SessionOwner):
    """The hub's `MqttSession`: subscribes to the uplinks, queues them for the pipeline, and
    acknowledges them when the pipeline says they are committed.

    A lost connection is tried again after 0.2 s, doubling to 2 s at most: the hub subscribes on
    every connect, and until it has, a broker that forgot its (shared) subscriptions over a
    restart, as Mosquitto 2.0 does, answers vessels' uplinks "no matching subscribers" (they send
    them again, docs/protocol.md §4). A refused connection costs the broker next to nothing, so
    the hub is back within 2 s of the broker. Every connection uses a new paho client: packet ids
    of an earlier connection mean nothing on a new one (the broker redelivers those uplinks, and
    the outbox re-sends what was not confirmed)."""

    def __init__(
        self,
        settings: MqttSettings,
        metrics: HubMetrics,
        topics: Topics,
        *,
        urgent_of: MqttLink | None = None,
    ) -> None:
        """`urgent_of`: this is the hub's urgent session beside that main link: it subscribes to
        distress calls only and queues them in the main link's urgent lane."""
        self._settings = settings
        self._metrics = metrics
        self._topics = topics
        self._urgent_only = urgent_of is not None
        self.inbox: deque[RawUplink] = deque()
        self.inbox_ready = asyncio.Event()
        # Distress calls take their own lane: they never wait behind a batch of positions.
        self.urgent: deque[RawUplink] = urgent_of.urgent if urgent_of else deque()
        self.urgent_ready: asyncio.Event = urgent_of.urgent_ready if urgent_of else asyncio.Event()
        self._urgent_suffix = "/up/distress"
        self.connected = asyncio.Event()
        # Packet ids of our publishes that the broker has acknowledged, for the outbox.
        self.published: deque[tuple[int, int]] = deque()  # (connection, mid)
        self.published_ready = asyncio.Event()
        self._awaiting: set[int] = set()  # packet ids of this connection's QoS 1 publishes
        self.on_connected: list[Callable[[], None]] = []
        # Several hubs: hub-to-hub topics (not uplinks) go to `on_internal`, acknowledged at once.
        self.internal_filters: list[str] = []
        self.internal_prefix = ""
        self.on_internal: Callable[[str, bytes], None] | None = None
        s = settings
        self._session = MqttSession(
            parse_broker_url(s.url),
            SessionSettings(
                client_id=f"{s.client_id}{URGENT_SUFFIX}" if self._urgent_only else s.client_id,
                protocol=s.protocol,
                keepalive_s=s.keepalive_s,
                session_expiry_s=s.session_expiry_s,
                receive_maximum=s.receive_maximum,
                manual_ack=True,
                # paho's own window costs a scan of every message in flight per PUBACK (a
                # 10,000-boat broadcast spent seconds in it): the outbox keeps the window
                # instead (`awaiting_puback`, PUBLISH_WINDOW), and paho sends at once.
                max_inflight=0,
                max_queued=0,
                reconnect_first_s=RECONNECT_FIRST_S,
                reconnect_max_s=RECONNECT_MAX_S,
                buffered=True,
                new_client_each_time=True,
            ),
            self,
            logger=log,
        )

    @property
    def checks_sender(self) -> bool:
        return bool(self._settings.sender_property)

    @property
    def reconnect(self) -> bool:
        """False for a hub that adopts a dead hub's session: it connects once, because when that
        hub returns and takes its session back, the adopter must not take it again (its cluster
        loop decides)."""
        return self._session.reconnect

    @reconnect.setter
    def reconnect(self, value: bool) -> None:
        self._session.reconnect = value

    @property
    def refused_subscriptions(self) -> tuple[str, ...]:
        """Subscriptions the broker refused on this connection (the hub hears nothing there)."""
        return self._session.refused if self._session.online else ()

    # -- pipeline side -------------------------------------------------------------------------

    def ack(self, uplinks: Iterable[RawUplink]) -> int:
        """PUBACK what is committed. Uplinks of an earlier connection are redelivered anyway."""
        session = self._session
        if not session.online:
            return 0
        client, connection = session.client, session.connections
        n = 0
        for up in uplinks:
            if up.qos > 0 and up.connection == connection and up.via in (self, None):
                client.ack(up.mid, up.qos)
                n += 1
        return n

    def hold_uplinks(self, held: bool) -> None:
        """Leave the broker's next uplinks with the broker (True) or take them again (False): the
        main session stops reading while a distress is being stored, so that the loop's turns
        go to the distress and not to parsing a flood of positions."""
        self._session.pause_reading(held)

    @property
    def connection(self) -> int:
        return self._session.connections

    def publish(
        self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False
    ) -> int | None:
        """Queue a publish; returns its packet id, or None while disconnected."""
        if not self._session.online:
            return None
        info = self._session.client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            return None
        if qos > 0:
            self._awaiting.add(info.mid)
        return info.mid

    @property
    def awaiting_puback(self) -> int:
        """QoS 1 publishes of this connection the broker has not acknowledged yet."""
        return len(self._awaiting)

    # -- connection ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected until cancelled (with `reconnect` off: until the link is lost)."""
        await self._session.run()

    # -- the session's callbacks ---------------------------------------------------------------

    def mqtt_subscriptions(self) -> list[tuple[str, int | SubscribeOptions]]:
        if self._urgent_only:
            # Retained copies (there should be none: the hub clears them) are the main
            # session's to take; this one wants what is sent from now on.
            qos: int | SubscribeOptions = (
                SubscribeOptions(qos=1, retainHandling=SubscribeOptions.RETAIN_DO_NOT_SEND)
                if self._settings.protocol == "5"
                else 1
            )
            filters = self._topics.hub_urgent_subscriptions(self._settings.shared_group)
            return [(f, qos) for f in filters]
        subs = self._topics.hub_subscriptions(self._settings.shared_group)
        # Gateway traffic is not shared: every hub keeps the whole picture of AIS traffic, gateway
        # status and Beidou send results (the outbox on the schedule holder needs them); the store's
        # natural keys make the copies harmless, and there are few gateways.
        subs += hub_gateway_subscriptions(self._topics)
        subs += self.internal_filters
        return [(f, 1) for f in subs]

    def mqtt_connected(self, session_present: bool) -> None:
        self._awaiting.clear()  # an earlier connection's packet ids mean nothing now
        self.connected.set()
        if self._urgent_only:
            self._metrics.mqtt_urgent_connected.set(1)
        elif self.reconnect:  # an adopted session is not the hub's own connection
            self._metrics.mqtt_connected.set(1)
        for callback in self.on_connected:
            callback()

    def mqtt_offline(self, lost: bool) -> None:
        self.connected.clear()
        if self._urgent_only:
            self._metrics.mqtt_urgent_connected.set(0)
        elif self.reconnect:
            self._metrics.mqtt_connected.set(0)

    def mqtt_refused(self, filters: list[str]) -> None:
        self._metrics.mqtt_subscriptions_refused.inc(len(filters))

    def mqtt_published(self, mid: int, reason: ReasonCode | None) -> None:
        self._awaiting.discard(mid)
        self.published.append((self._session.connections, mid))
        self.published_ready.set()

    def mqtt_message(self, client: paho.Client, _u: Any, msg: paho.MQTTMessage) -> None:
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
        raw = RawUplink(
            topic=msg.topic,
            payload=bytes(msg.payload),
            mid=msg.mid,
            qos=msg.qos,
            retain=bool(msg.retain),
            sender=sender,
            received_mono=time.monotonic(),
            connection=self._session.connections,
            via=self,
        )
        if self._urgent_only or msg.topic.endswith(self._urgent_suffix):
            self.urgent.append(raw)
            self.urgent_ready.set()
        else:
            self.inbox.append(raw)
            self.inbox_ready.set()
