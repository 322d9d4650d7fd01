"""The gateway's retained status: online with its counters, or offline (also its MQTT will)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.clock import Clock
from gateway.counters import Counters
from gateway.mqtt_client import GatewayMqtt
from seaLink.wire.gateway import GatewayKind, GatewayState, GatewayStatus


class StatusReporter:
    def __init__(
        self,
        mqtt: GatewayMqtt,
        topic: str,
        *,
        gateway_id: str,
        kind: GatewayKind,
        port: str,
        clock: Clock,
        counters: Counters,
        port_open: Callable[[], bool],
        details: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self._mqtt = mqtt
        self.topic = topic
        self._gateway_id = gateway_id
        self._kind = kind
        self._port = port
        self._clock = clock
        self._counters = counters
        self._port_open = port_open
        self._details = details

    def status(self, state: GatewayState) -> GatewayStatus:
        extra = self._details() if self._details is not None else {}
        online = state is GatewayState.ONLINE
        return GatewayStatus(
            gateway_id=self._gateway_id,
            kind=self._kind,
            state=state,
            ts=self._clock.now(),
            port=self._port,
            port_open=online and self._port_open(),
            counters=self._counters.snapshot() if online else {},
            **extra,
        )

    def payload(self, state: GatewayState) -> bytes:
        return self.status(state).model_dump_json(by_alias=True, exclude_none=True).encode()

    def publish(self) -> None:
        """Publish `online` (retained) now: on connect, on port changes, and periodically."""
        if self._mqtt.connected.is_set():
            self._mqtt.publish(self.topic, self.payload(GatewayState.ONLINE), retain=True)

    async def run(self, interval_s: float) -> None:
        while True:
            await self._clock.sleep(interval_s)
            self.publish()
