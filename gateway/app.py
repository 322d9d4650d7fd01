"""One gateway process: its settings, its MQTT session, its port, its service; started and
stopped in one place."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path

from gateway.ais.service import AisGateway
from gateway.beidou.service import BeidouGateway
from gateway.clock import Clock, SystemClock
from gateway.counters import Counters
from gateway.mqtt_client import GatewayMqtt
from gateway.replay import ReplayFile
from gateway.serial_link import SerialLink
from gateway.source import ByteSource
from gateway.status import StatusReporter
from seaLink.broker.accounts import gateway_client_id
from seaLink.wire.gateway import GatewayKind, GatewayState, GatewayTopics
from seaLink.wire.topics import Topics

log = logging.getLogger(__name__)

DEFAULT_BAUD = {GatewayKind.AIS: 38400, GatewayKind.BEIDOU: 115200}


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """Read once at start (from the command line); every value has a documented default."""

    kind: GatewayKind
    gateway_id: str
    broker_url: str = "mqtt://127.0.0.1:1883"
    prefix: str = "sealink/v1"
    port: str | None = None
    replay: Path | None = None
    rate: float = 0.0  # replay lines per second, 0 = as fast as possible
    baudrate: int | None = None
    status_interval_s: float = 30.0
    # AIS
    max_batch: int = 500
    fragment_timeout_s: float = 10.0
    # Beidou
    family: str = "2.1"
    interval_override_s: float | None = None
    max_bytes_override: int | None = None
    feedback_timeout_s: float = 10.0
    fki_y_with_reason: str = "ok"  # terminal model: $BDFKI "Y" with a non-zero reason is ...

    @property
    def source_name(self) -> str:
        return str(self.replay) if self.replay is not None else str(self.port)


class GatewayProcess:
    """Wires the parts of one gateway; `run()` until cancelled (or the replay ends)."""

    def __init__(self, config: GatewayConfig, clock: Clock | None = None) -> None:
        if (config.port is None) == (config.replay is None):
            raise ValueError("give exactly one of port or replay")
        self.config = config
        self.clock = clock or SystemClock()
        self.counters = Counters()
        self.topics = GatewayTopics(Topics(config.prefix), config.gateway_id)
        self.service: AisGateway | BeidouGateway | None = None
        self.mqtt: GatewayMqtt | None = None
        self.status: StatusReporter | None = None
        self._port: ByteSource | None = None

    @property
    def port_is_open(self) -> bool:
        """Whether the port (or replay file) is open now: what the status reports as port_open."""
        return self._port is not None and self._port.is_open

    async def run(self) -> int:
        cfg = self.config
        source = self._port = self._source()
        mqtt = self.mqtt = GatewayMqtt(cfg.broker_url, gateway_client_id(cfg.gateway_id))
        service = self.service = self._service(source, mqtt)
        details = service.details if isinstance(service, BeidouGateway) else None
        status = self.status = StatusReporter(
            mqtt,
            self.topics.status,
            gateway_id=cfg.gateway_id,
            kind=cfg.kind,
            port=cfg.source_name,
            clock=self.clock,
            counters=self.counters,
            port_open=lambda: source.is_open,
            details=details,
        )
        offline = status.payload(GatewayState.OFFLINE)
        mqtt.set_will(self.topics.status, offline)
        mqtt.on_connect(status.publish)
        if isinstance(source, SerialLink):
            source.on_state = self._port_state
        async with asyncio.TaskGroup() as tg:
            mqtt_task = tg.create_task(mqtt.run(), name=f"gw-{cfg.gateway_id}-mqtt")
            status_task = tg.create_task(
                status.run(cfg.status_interval_s), name=f"gw-{cfg.gateway_id}-status"
            )
            try:
                await service.run()
                # a replay ended: let the broker have everything before going offline
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(mqtt.connected.wait(), 10)
                status.publish()
                await mqtt.drain(30)
            finally:
                await asyncio.shield(
                    mqtt.close((self.topics.status, status.payload(GatewayState.OFFLINE)))
                )
                status_task.cancel()
                mqtt_task.cancel()
        return 0

    def _source(self) -> ByteSource:
        cfg = self.config
        if cfg.replay is not None:
            return ReplayFile(cfg.replay, cfg.rate, self.clock)
        baud = cfg.baudrate or DEFAULT_BAUD[cfg.kind]
        return SerialLink(str(cfg.port), baudrate=baud, clock=self.clock)

    def _service(self, source: ByteSource, mqtt: GatewayMqtt) -> AisGateway | BeidouGateway:
        cfg = self.config
        if cfg.kind is GatewayKind.AIS:
            return AisGateway(
                topic=self.topics.ais,
                source=source,
                mqtt=mqtt,
                clock=self.clock,
                counters=self.counters,
                max_batch=cfg.max_batch,
                fragment_timeout_s=cfg.fragment_timeout_s,
            )
        return BeidouGateway(
            topics=self.topics,
            family=cfg.family,
            fki_y_with_reason=cfg.fki_y_with_reason,
            source=source,
            mqtt=mqtt,
            clock=self.clock,
            counters=self.counters,
            read_only=isinstance(source, ReplayFile),
            interval_override_s=cfg.interval_override_s,
            max_bytes_override=cfg.max_bytes_override,
            feedback_timeout_s=cfg.feedback_timeout_s,
        )

    def _port_state(self, is_open: bool) -> None:
        log.info("gateway %s: port %s", self.config.gateway_id, "open" if is_open else "closed")
        if isinstance(self.service, BeidouGateway):
            self.service.port_state(is_open)
        if self.status is not None:
            self.status.publish()
