"""One MQTT session kept alive: the hub's link, the gateways and the simulated terminals use it.

For one client id it
- connects with a persistent session (MQTT 5: `clean_start=false` and a session expiry, with a
  Receive Maximum where asked; MQTT 3.1.1: clean session off), so the broker keeps the client's
  subscriptions and its queued QoS 1 messages while it is away;
- subscribes again on every connection (a broker may have forgotten the subscriptions over a
  restart) and reads the SUBACK: a refused subscription (reason code 0x80 or above, e.g. an ACL or
  a dynamic-security role that does not allow it) is logged at ERROR once per connection, kept in
  `refused` and counted, since a client refused its subscriptions silently receives nothing;
- after a lost connection or a failed attempt, connects again after a `Backoff` (the first retry
  after `reconnect_first_s`, doubling to `reconnect_max_s`, reset by a CONNACK); an outage is
  logged once when it starts and once when it ends;
- leaves acknowledgements to its owner where asked (`manual_ack`): the hub sends a PUBACK only
  after the uplink is committed.

It runs on callbacks, with no task of its own (a simulator runs thousands of terminals on one
loop through one `PahoAsyncio`); `run()` wraps it for the owners that want a task. Whether it
should be connected is `start()`/`stop()`, narrowed by the owner's `mqtt_wanted()` (a simulated
terminal out of coverage); `drop()` loses the link without DISCONNECT, so the broker publishes
the will, as for a boat that sailed out of range.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from seaLink.wire.backoff import Backoff
from seaLink.wire.mqtt import BrokerAddress, BufferedClient, PahoAsyncio

log = logging.getLogger(__name__)

Timer = Callable[[float, Callable[[], None]], object]


@dataclass(frozen=True, slots=True)
class SessionSettings:
    client_id: str
    protocol: str = "5"  # "5" or "3.1.1"
    keepalive_s: int = 60
    session_expiry_s: int = 86_400  # MQTT 5: how long the broker keeps the session while away
    receive_maximum: int | None = None  # MQTT 5: QoS 1 messages the broker may have unacked
    manual_ack: bool = False  # the owner acknowledges what it received (`client.ack`)
    username: str | None = None  # default: the broker URL's
    password: str | None = None  # default: the broker URL's
    will: tuple[str, bytes] | None = None  # published retained at QoS 1 if the link dies
    max_inflight: int = 20
    max_queued: int = 0  # publishes paho keeps while disconnected (0: no limit)
    connect_timeout_s: float = 5.0  # the TCP handshake
    connack_timeout_s: float = 15.0
    reconnect_first_s: float = 1.0
    reconnect_max_s: float = 30.0
    buffered: bool = False  # read the socket in 64 KiB chunks (`BufferedClient`): the hub
    # A new paho client for every connection: nothing of an old connection (packet ids, packets
    # paho would send again) reaches the next one. The hub's link: its outbox re-sends itself.
    new_client_each_time: bool = False
    # DNS and the TCP handshake off the loop (a remote broker). The simulator connects thousands
    # of terminals to a broker on its host or LAN, where the handshake takes microseconds.
    connect_in_thread: bool = True
    quiet: bool = False  # outages, reconnections and losses at DEBUG (a fleet of thousands)
    # The local address to connect from ("": any). Each address has its own ~28,000 ephemeral
    # ports: a benchmark's 50,000 boats on one machine spread over 127.0.0.2, 127.0.0.3, ...
    bind_address: str = ""


def _shut(sock: object) -> None:
    """Close the link under paho, without DISCONNECT: the broker publishes the will. Only the
    socket is shut: the loop's reader sees the end of the stream and paho cleans up from there
    (reading here could dispatch a CONNACK already buffered, from inside a callback, and paho's
    callback lock is not reentrant)."""
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)


class SessionOwner:
    """What a session asks and tells its owner (the hub's link, a gateway, a simulated
    terminal). Override what is needed; all of it runs on the loop."""

    def mqtt_subscriptions(self) -> Sequence[tuple[str, int | SubscribeOptions]]:
        """(filter, QoS or MQTT 5 subscription options) to subscribe to, asked on every
        connection."""
        return ()

    def mqtt_wanted(self) -> bool:
        """Whether to be connected now (while started): a terminal out of coverage is not."""
        return True

    def mqtt_connected(self, session_present: bool) -> None:
        """Connected, the subscriptions sent."""

    def mqtt_offline(self, lost: bool) -> None:
        """A connection ended; `lost`: not by us (the broker, the network)."""

    def mqtt_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        """A message: paho's own `on_message`, which paho calls directly (the hot path)."""

    def mqtt_published(self, mid: int, reason: ReasonCode | None) -> None:
        """The broker acknowledged our QoS 1 publish `mid` (MQTT 5: with a reason code)."""

    def mqtt_connect_failed(self) -> None:
        """An attempt ended without an accepted CONNACK."""

    def mqtt_refused(self, filters: list[str]) -> None:
        """The broker refused these subscriptions (already logged)."""


class MqttSession:
    """One client id kept connected; see the module's docstring. Callbacks run on the loop."""

    __slots__ = (
        "_active",
        "_adapter",
        "_attempt",
        "_backoff",
        "_closing",
        "_done",
        "_log",
        "_on_message",
        "_outage_since",
        "_own_adapter",
        "_owner",
        "_retry_due",
        "_retry_handle",
        "_sub_mids",
        "_timer",
        "broker",
        "client",
        "connect_errors",
        "connecting",
        "connections",
        "online",
        "reconnect",
        "refused",
        "refused_total",
        "settings",
    )

    def __init__(
        self,
        broker: BrokerAddress,
        settings: SessionSettings,
        owner: SessionOwner,
        *,
        adapter: PahoAsyncio | None = None,
        timer: Timer | None = None,
        jitter: Callable[[], float] | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        """`adapter`: shared by many sessions (else the session makes its own when started).
        `timer(delay, action)` replaces `loop.call_later` (the simulator's scheduler);
        `jitter()` multiplies each reconnection delay."""
        self.broker = broker
        self.settings = settings
        self._owner = owner
        # The hot path: paho hands messages straight to the owner. A client we gave up (dropped,
        # closed, replaced) gets `on_message = None`: what it still reads is not news (with a
        # dropped socket our PUBACK cannot reach the broker, so it will send that again).
        self._on_message = owner.mqtt_message
        self._adapter = adapter
        self._own_adapter = False
        self._timer = timer
        self._log = logger or log
        self._backoff = Backoff(settings.reconnect_first_s, settings.reconnect_max_s, jitter)
        self.online = False
        self.connecting = False
        self.reconnect = True  # False: connect once (a hub adopting a dead hub's session)
        self.connections = 0  # CONNACKs accepted; a packet id is valid on its connection only
        self.connect_errors = 0
        self.refused: tuple[str, ...] = ()  # subscriptions refused on this connection
        self.refused_total = 0
        self._active = False
        self._closing = False  # what paho still reports of a socket we dropped is not news
        self._attempt = 0
        self._retry_due = False
        self._retry_handle: object = None
        self._outage_since: float | None = None
        self._sub_mids: dict[int, list[str]] = {}
        self._done: asyncio.Future[None] | None = None
        self.client: paho.Client = self._make_client()
        if adapter is not None and not settings.new_client_each_time:
            adapter.attach(self.client)

    # -- what the owner calls ----------------------------------------------------------------

    @property
    def wanted(self) -> bool:
        return self._active and self._owner.mqtt_wanted()

    def start(self) -> None:
        """Be connected from now on (as far as the owner's `mqtt_wanted()` agrees)."""
        if self._adapter is None:
            self._adapter = PahoAsyncio()
            self._own_adapter = True
            if not self.settings.new_client_each_time:
                self._adapter.attach(self.client)
        self._active = True
        self.ensure_connected()

    def ensure_connected(self) -> None:
        """Connect now unless connected, connecting, waiting to retry or not wanted."""
        if self.wanted and not (self.online or self.connecting or self._retry_due):
            self.connect()

    def connect(self) -> None:
        """Start a connection attempt now."""
        self._attempt += 1
        attempt = self._attempt
        self._closing = False
        self.connecting = True
        client = self._next_client()
        client.on_message = self._on_message
        if self.settings.connect_in_thread:
            loop = asyncio.get_running_loop()
            done = loop.run_in_executor(None, self._open, client)
            done.add_done_callback(partial(self._opened, attempt, client))
            return
        try:
            self._open(client)
        except (OSError, ValueError) as exc:
            self._failed(attempt, f"{type(exc).__name__}: {exc}")
            return
        self._later(self.settings.connack_timeout_s, partial(self._connack_overdue, attempt))

    def subscribe(self, topic: str, qos: int = 1) -> None:
        """Subscribe now if connected (else on the next connection, if `subscriptions()` has it)."""
        if self.online:
            self._subscribe([(topic, qos)])

    def pause_reading(self, paused: bool) -> None:
        """Stop (or resume) reading what the broker sends on this connection; the broker holds
        it meanwhile. Publishing goes on. A new connection reads (its CONNACK must get in)."""
        if self._adapter is not None:
            if paused:
                self._adapter.pause(self.client)
            else:
                self._adapter.resume(self.client)

    def drop(self) -> None:
        """Lose the link abruptly: no DISCONNECT, so the broker publishes the will."""
        self._attempt += 1  # whatever the attempt under way still reports is void
        self._closing = True
        self.client.on_message = None
        _shut(self.client.socket())
        self.connecting = False
        self._went_offline(lost=False)

    def disconnect(self) -> None:
        """Say goodbye (DISCONNECT: no will) and stay away until connected again."""
        if self.online:
            self._attempt += 1
            self._closing = True
            self.client.on_message = None
            self.client.disconnect()
            self._went_offline(lost=False)
        elif self.connecting:
            self.drop()

    def stop(self) -> None:
        """Disconnect and stay disconnected."""
        self._active = False
        cancel = getattr(self._retry_handle, "cancel", None)
        if cancel is not None:
            cancel()
        self._retry_due = False
        self.disconnect()
        if self._adapter is not None:
            self._adapter.detach(self.client)
            if self._own_adapter:
                self._adapter.close()
                self._adapter = None
                self._own_adapter = False
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    async def run(self) -> None:
        """Stay connected until cancelled (or, with `reconnect` off, until the link is lost)."""
        self._done = asyncio.get_running_loop().create_future()
        self.start()
        try:
            await self._done
        finally:
            self.stop()

    # -- connecting ----------------------------------------------------------------------------

    def _make_client(self) -> paho.Client:
        s, b = self.settings, self.broker
        v5 = s.protocol == "5"
        client = (BufferedClient if s.buffered else paho.Client)(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=s.client_id,
            protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
            clean_session=None if v5 else False,
            transport="websockets" if b.websocket else "tcp",
            manual_ack=s.manual_ack,
        )
        username = s.username if s.username is not None else b.username
        if username:
            client.username_pw_set(username, s.password if s.password is not None else b.password)
        if b.tls:
            client.tls_set()
        if s.will is not None:
            client.will_set(s.will[0], s.will[1], qos=1, retain=True)
        client.max_inflight_messages_set(s.max_inflight)
        client.max_queued_messages_set(s.max_queued)
        client.connect_timeout = s.connect_timeout_s
        client.on_connect = self._paho_connect
        client.on_disconnect = self._paho_disconnect
        client.on_publish = self._paho_publish
        client.on_subscribe = self._paho_subscribe
        return client

    def _next_client(self) -> paho.Client:
        if not self.settings.new_client_each_time:
            return self.client
        old = self.client
        if self._adapter is not None:
            self._adapter.detach(old)
        old.on_message = None
        _shut(old.socket())
        self.client = self._make_client()
        if self._adapter is not None:
            self._adapter.attach(self.client)
        return self.client

    def _open(self, client: paho.Client) -> None:
        """The blocking part: DNS, TCP (and TLS) handshake, CONNECT queued."""
        s, b = self.settings, self.broker
        if s.protocol == "5":
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = s.session_expiry_s
            if s.receive_maximum is not None:
                props.ReceiveMaximum = s.receive_maximum
            client.connect(b.host, b.port, s.keepalive_s, bind_address=s.bind_address,
                           clean_start=False, properties=props)  # fmt: skip
        else:
            client.connect(b.host, b.port, s.keepalive_s, bind_address=s.bind_address)

    def _opened(self, attempt: int, client: paho.Client, done: asyncio.Future[None]) -> None:
        """A threaded `_open` finished (its CONNACK may already have been handled)."""
        if done.cancelled():
            return
        exc = done.exception()
        if attempt != self._attempt or not self._active:
            if exc is None and not self._active and not self.online:
                _shut(client.socket())  # stopped while the handshake ran
            return
        if exc is not None:
            if not isinstance(exc, OSError | ValueError):
                self._log.error("mqtt: %s: connecting failed", self._name, exc_info=exc)
            if self.connecting:
                self._failed(attempt, f"{type(exc).__name__}: {exc}")
            return
        if self.connecting:
            self._later(self.settings.connack_timeout_s, partial(self._connack_overdue, attempt))

    def _connack_overdue(self, attempt: int) -> None:
        if attempt == self._attempt and self.connecting:
            self._closing = True
            self.client.on_message = None
            _shut(self.client.socket())
            self._failed(attempt, f"no CONNACK within {self.settings.connack_timeout_s:g}s")

    def _failed(self, attempt: int, why: str, *, logged: bool = False) -> None:
        """An attempt that did not end in an accepted CONNACK."""
        if attempt != self._attempt:
            return
        self.connecting = False
        self.connect_errors += 1
        self._owner.mqtt_connect_failed()
        if self._outage_since is None:  # once per outage, not once per attempt
            self._outage_since = time.monotonic()
            if not logged:
                self._log.log(
                    self._level(logging.WARNING),
                    "mqtt: %s cannot reach the broker %s:%s: %s",
                    self._name,
                    self.broker.host,
                    self.broker.port,
                    why,
                )
        else:
            self._log.debug("mqtt: %s still cannot connect: %s", self._name, why)
        self._after_loss()

    def _after_loss(self) -> None:
        if not self.reconnect:
            self._log.info("mqtt: session %s closed; not reconnecting", self.settings.client_id)
            self._active = False
            if self._done is not None and not self._done.done():
                self._done.set_result(None)
            return
        if self._retry_due or not self.wanted:
            return
        self._retry_due = True
        self._retry_handle = self._later(self._backoff.next(), self._retry)

    def _retry(self) -> None:
        self._retry_due = False
        self._retry_handle = None
        self.ensure_connected()

    def _later(self, delay: float, action: Callable[[], None]) -> object:
        if self._timer is not None:
            return self._timer(delay, action)
        return asyncio.get_running_loop().call_later(delay, action)

    def _went_offline(self, lost: bool) -> None:
        if not self.online:
            return
        self.online = False
        try:
            self._owner.mqtt_offline(lost)
        except Exception:
            self._log.exception("mqtt: %s: the owner's mqtt_offline failed", self._name)

    def _subscribe(self, filters: list[tuple[str, int | SubscribeOptions]]) -> None:
        rc, mid = self.client.subscribe(filters)  # type: ignore[arg-type]  # mixed QoS/options
        if rc == paho.MQTT_ERR_SUCCESS and mid is not None:
            self._sub_mids[mid] = [topic for topic, _ in filters]

    @property
    def _name(self) -> str:
        return self.settings.client_id

    def _level(self, level: int) -> int:
        return logging.DEBUG if self.settings.quiet else level

    # -- paho callbacks (on the loop, from PahoAsyncio's socket callbacks) ---------------------

    def _paho_connect(
        self, client: paho.Client, _u: Any, flags: Any, rc: ReasonCode, _p: Any = None
    ) -> None:
        if client is not self.client or self._closing or not self.connecting:
            return  # a socket we already gave up
        if rc.is_failure:
            self._log.log(
                logging.WARNING if self.settings.quiet else logging.ERROR,
                "mqtt: the broker refused %s: %s",
                self._name,
                rc,
            )
            self._closing = True  # paho closes the socket and reports a disconnect: not news
            self._failed(self._attempt, f"refused: {rc}", logged=True)
            return
        self.connecting = False
        if not self.wanted:  # switched off or stopped while the CONNACK was on its way
            self.drop()
            return
        self.online = True
        self.connections += 1
        self._backoff.reset()
        self.refused = ()
        self._sub_mids.clear()
        if self._outage_since is not None:
            self._log.log(
                self._level(logging.WARNING),
                "mqtt: %s reached the broker again after %.1fs",
                self._name,
                time.monotonic() - self._outage_since,
            )
            self._outage_since = None
        subs = list(self._owner.mqtt_subscriptions())
        if subs:
            self._subscribe(subs)  # one SUBSCRIBE, so one SUBACK tells what was refused
        try:
            self._owner.mqtt_connected(bool(flags.session_present))
        except Exception:
            self._log.exception("mqtt: %s: the owner's mqtt_connected failed", self._name)
        self._log.log(
            self._level(logging.INFO),
            "mqtt: connected to %s:%s as %s (session present: %s), subscribed to %s",
            self.broker.host,
            self.broker.port,
            self._name,
            bool(flags.session_present),
            [topic for topic, _ in subs],
        )

    def _paho_disconnect(
        self, client: paho.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any = None
    ) -> None:
        if client is not self.client:
            return
        if self._closing:  # the end of a socket we dropped or closed ourselves
            self._closing = False
            return
        if self.connecting:
            self._failed(self._attempt, f"the broker closed the connection before CONNACK ({rc})")
        elif self.online:
            self._log.log(
                self._level(logging.WARNING), "mqtt: %s disconnected (%s)", self._name, rc
            )
            self._went_offline(lost=True)
            self._after_loss()

    def _paho_publish(
        self, client: paho.Client, _u: Any, mid: int, rc: ReasonCode | None, _p: Any = None
    ) -> None:
        if client is self.client:
            self._owner.mqtt_published(mid, rc)

    def _paho_subscribe(
        self, client: paho.Client, _u: Any, mid: int, codes: list[ReasonCode], _p: Any = None
    ) -> None:
        filters = self._sub_mids.pop(mid, None) if client is self.client else None
        if filters is None:
            return
        refused = [f for f, rc in zip(filters, codes, strict=False) if rc.is_failure]
        if not refused:
            return
        first = not self.refused
        self.refused += tuple(refused)
        self.refused_total += len(refused)
        self._log.log(
            logging.ERROR if first else logging.WARNING,
            "mqtt: the broker refused %s the subscriptions %s (%s): nothing will arrive on them; "
            "check the account's roles or ACL",
            self._name,
            refused,
            ", ".join(str(rc) for rc in codes if rc.is_failure),
        )
        self._owner.mqtt_refused(refused)
