"""`sealink gateway nmea`: one GNSS box on a port, speaking the vessel protocol as its vessel.

The MQTT session is the vessel's own (docs/protocol.md §1): client id and user name = the vessel
id (the hub refuses a vessel topic published by another client where the broker says who
published), the vessel's password if the broker asks for one, a persistent session, the retained
`offline` will on `{prefix}/vessels/{vid}/status`. On every (re)connect: `online` (retained), then
`hello`, then the fixes kept while the broker was out of reach (`backfill: true`). A down channel
is not subscribed: the box has no screen, and the hub's outbox keeps what it did not acknowledge.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from gateway.clock import Clock, SystemClock
from gateway.counters import Counters
from gateway.mqtt_client import GatewayMqtt
from gateway.nmea.service import NmeaGateway
from gateway.replay import ReplayFile
from gateway.serial_link import SerialLink
from gateway.source import ByteSource
from seaLink import __version__
from seaLink.wire.payloads import HelloPayload
from seaLink.wire.topics import VESSEL_ID_PATTERN, Topics, UplinkKind

log = logging.getLogger(__name__)

DEFAULT_BAUD = 4800  # NMEA 0183
TERMINAL = f"SeaLink/nmea-gateway/{__version__}"


@dataclass(frozen=True, slots=True)
class NmeaGatewayConfig:
    """Read once at start (from the command line); every value has a documented default."""

    vessel_id: str
    broker_url: str = "mqtt://127.0.0.1:1883"
    prefix: str = "sealink/v1"
    port: str | None = None
    replay: Path | None = None
    rate: float = 0.0  # replay lines per second, 0 = as fast as possible
    baudrate: int = DEFAULT_BAUD
    password: str | None = None  # the vessel's broker password, when the broker asks for one
    max_batch: int = 10  # fixes per message at most; a message at most every flush_after_s
    flush_after_s: float = 1.0
    summary_interval_s: float = 300.0  # a counter summary in the log

    def __post_init__(self) -> None:
        if not re.match(VESSEL_ID_PATTERN, self.vessel_id):
            raise ValueError(f"vessel id {self.vessel_id!r} does not match {VESSEL_ID_PATTERN}")
        if (self.port is None) == (self.replay is None):
            raise ValueError("give exactly one of port or replay")

    @property
    def source_name(self) -> str:
        return str(self.replay) if self.replay is not None else str(self.port)


def vessel_broker_url(broker_url: str, vessel_id: str, password: str | None) -> str:
    """The broker URL with the vessel's account in it (user name = vessel id), whatever account
    the URL named before (e.g. the hub's own, from its settings)."""
    u = urlsplit(broker_url if "://" in broker_url else f"mqtt://{broker_url}")
    host = u.netloc.rpartition("@")[2]
    user = quote(vessel_id, safe="")
    if password:
        user += ":" + quote(password, safe="")
    return urlunsplit((u.scheme, f"{user}@{host}", u.path, u.query, u.fragment))


class NmeaGatewayProcess:
    """Wires the port, the vessel's MQTT session and the gateway; `run()` until cancelled (or
    the replay ends)."""

    def __init__(self, config: NmeaGatewayConfig, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        self.counters = Counters()
        topics = Topics(config.prefix)
        self.position_topic = topics.up(config.vessel_id, UplinkKind.POSITION)
        self.hello_topic = topics.up(config.vessel_id, UplinkKind.HELLO)
        self.status_topic = topics.status(config.vessel_id)
        self.mqtt: GatewayMqtt | None = None
        self.service: NmeaGateway | None = None
        self._port: ByteSource | None = None

    @property
    def port_is_open(self) -> bool:
        return self._port is not None and self._port.is_open

    async def run(self) -> int:
        cfg = self.config
        source = self._port = self._source()
        url = vessel_broker_url(cfg.broker_url, cfg.vessel_id, cfg.password)
        mqtt = self.mqtt = GatewayMqtt(url, cfg.vessel_id, keepalive_s=60)
        service = self.service = NmeaGateway(
            topic=self.position_topic,
            source=source,
            mqtt=mqtt,
            clock=self.clock,
            counters=self.counters,
            max_batch=cfg.max_batch,
            flush_after_s=cfg.flush_after_s,
        )
        mqtt.set_will(self.status_topic, b"offline")
        mqtt.on_connect(self._on_connect)
        if isinstance(source, SerialLink):
            source.on_state = self._port_state
        log.info(
            "nmea gateway: %s as vessel %s on %s", cfg.source_name, cfg.vessel_id, cfg.broker_url
        )
        async with asyncio.TaskGroup() as tg:
            mqtt_task = tg.create_task(mqtt.run(), name=f"nmea-{cfg.vessel_id}-mqtt")
            summary_task = tg.create_task(self._summaries(), name=f"nmea-{cfg.vessel_id}-log")
            try:
                await service.run()
                # a replay ended: let the broker have everything before going offline
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(mqtt.connected.wait(), 10)
                service.send_backlog()
                await mqtt.drain(30)
            finally:
                self.log_summary()
                await asyncio.shield(mqtt.close((self.status_topic, b"offline")))
                summary_task.cancel()
                mqtt_task.cancel()
        return 0

    def _on_connect(self) -> None:
        """On every (re)connect, in the protocol's order: status, hello, what was kept."""
        assert self.mqtt is not None and self.service is not None
        self.mqtt.publish(self.status_topic, b"online", qos=1, retain=True)
        hello = HelloPayload(ts=self.clock.now(), terminal=TERMINAL)
        self.mqtt.publish(self.hello_topic, hello.model_dump_json().encode(), qos=1)
        self.service.send_backlog()

    def _source(self) -> ByteSource:
        cfg = self.config
        if cfg.replay is not None:
            return ReplayFile(cfg.replay, cfg.rate, self.clock)
        return SerialLink(str(cfg.port), baudrate=cfg.baudrate, clock=self.clock)

    def _port_state(self, is_open: bool) -> None:
        log.info("nmea gateway %s: port %s", self.config.vessel_id, "open" if is_open else "closed")

    async def _summaries(self) -> None:
        while True:
            await self.clock.sleep(self.config.summary_interval_s)
            self.log_summary()

    def log_summary(self) -> None:
        """The counters in one log line (the gateway has no status topic of its own)."""
        tally = self.counters.snapshot()
        counts = ", ".join(f"{k} {v}" for k, v in sorted(tally.items()) if v) or "nothing yet"
        log.info("nmea gateway %s: %s", self.config.vessel_id, counts)
