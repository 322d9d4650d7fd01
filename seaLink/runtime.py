"""Wires the hub together and owns its tasks: one TaskGroup, named tasks, ordered start and stop.

Start: store -> registry -> contact watch (from the store) -> MQTT link -> ingest -> API.
Stop (cancel): the TaskGroup cancels every task; uncommitted uplinks are simply not acknowledged,
so the broker redelivers them to the next hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from seaLink.clock import Clock, SystemClock
from seaLink.domain.ports import PortIndex, load_zones_document, ports_from_geojson
from seaLink.links.mqtt_link import MqttLink
from seaLink.metrics import HubMetrics
from seaLink.services.alerting import Alerting
from seaLink.services.auth import AuthService, hash_password
from seaLink.services.broadcasts import BroadcastService
from seaLink.services.contact_watch import ContactWatch
from seaLink.services.events import EventBus
from seaLink.services.gateway_uplinks import BeidouRouteView
from seaLink.services.ingest import IngestPipeline
from seaLink.services.outbox import Outbox
from seaLink.services.recall import RecallService
from seaLink.services.registry import RegistryCache
from seaLink.services.requests import RequestService
from seaLink.services.rescue import RescueService
from seaLink.services.training import TrainingService
from seaLink.services.zone_watch import ZoneWatch
from seaLink.settings import Settings
from seaLink.store.contact_writes import AlertChange
from seaLink.store.db import Database
from seaLink.store.distress_writes import DistressOutcome
from seaLink.store.ingest_writes import IngestWriter
from seaLink.store.users import ensure_admin
from seaLink.wire.topics import Topics

log = logging.getLogger(__name__)


class Hub:
    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, with_api: bool = True
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.metrics = HubMetrics()
        self.events = EventBus()
        self.topics = Topics(settings.mqtt.prefix)
        self.db = Database(settings.store.url, echo=settings.store.echo)
        self.registry = RegistryCache(self.db)
        self.zones_document = load_zones_document()
        self.ports = PortIndex(
            ports_from_geojson(self.zones_document, settings.contact.port_radius_nmi)
        )
        self.watch = ContactWatch(
            db=self.db,
            clock=self.clock,
            settings=settings.contact,
            registry=self.registry,
            ports=self.ports,
            metrics=self.metrics,
            events=self.events,
        )
        self.link = MqttLink(settings.mqtt, self.metrics, self.topics)
        self.outbox = Outbox(
            db=self.db,
            clock=self.clock,
            link=self.link,
            topics=self.topics,
            settings=settings.messaging,
            metrics=self.metrics,
            events=self.events,
        )
        self.broadcasts = BroadcastService(
            db=self.db,
            clock=self.clock,
            outbox=self.outbox,
            ports=self.ports,
            settings=settings.messaging,
            events=self.events,
        )
        self.alerting = Alerting(
            db=self.db,
            clock=self.clock,
            settings=settings.alerting,
            events=self.events,
            metrics=self.metrics,
        )
        self.zones = ZoneWatch(
            db=self.db, clock=self.clock, registry=self.registry, ports=self.ports, alerting=self.alerting,
            events=self.events, zones_document=self.zones_document,
            port_radius_nmi=settings.contact.port_radius_nmi,
        )  # fmt: skip
        self.requests = RequestService(
            db=self.db, clock=self.clock, outbox=self.outbox, alerting=self.alerting, events=self.events,
            settings=settings.requests,
        )  # fmt: skip
        self.training = TrainingService(db=self.db, clock=self.clock, broadcasts=self.broadcasts)
        self.recall = RecallService(
            db=self.db, clock=self.clock, outbox=self.outbox, alerting=self.alerting, watch=self.watch,
            ports=self.ports, events=self.events, resend_s=settings.messaging.recall_resend_s,
        )  # fmt: skip
        self.rescue = RescueService(
            db=self.db, clock=self.clock, outbox=self.outbox, settings=settings.alerting
        )
        self.ingest = IngestPipeline(
            link=self.link,
            writer=IngestWriter(self.db, settings.alerting.distress_leader_after_s),
            registry=self.registry,
            watch=self.watch,
            outbox=self.outbox,
            ports=self.ports,
            clock=self.clock,
            settings=settings.ingest,
            topics=self.topics,
            metrics=self.metrics,
            events=self.events,
        )
        self.auth = AuthService(
            self.db,
            self.clock,
            token_ttl_s=settings.api.token_ttl_s,
            max_failures=settings.api.login_max_failures,
            lockout_s=settings.api.lockout_s,
        )
        self.rescue.traffic = (
            self.ingest.gateways.traffic
        )  # AIS targets for the nearest-vessel search
        self.outbox.beidou = BeidouRouteView(self.ingest.gateways, self.registry)
        self._with_api = with_api
        self.api_runner: Any = None
        self.ready = asyncio.Event()

    async def prepare(self) -> None:
        await self.db.create_all()
        if self.settings.admin_password and await ensure_admin(
            self.db, hash_password(self.settings.admin_password), self.clock.now()
        ):
            log.warning("created user 'admin' from the admin_password setting")
        await self.registry.load()
        await self.watch.load()
        await self.outbox.load()
        await self.broadcasts.load_active()
        await self.alerting.load()
        self.ingest.on_distress.append(self._on_distress)
        self.ingest.on_incident_log.append(self._on_incident_log)
        await self.zones.load()
        await self.requests.load()
        await self.recall.load()
        self.broadcasts.on_recall.append(self.recall.register)
        self.ingest.request_due = timedelta(seconds=self.settings.requests.answer_within_s)
        self.ingest.on_requests.append(self.requests.arrived)
        self.ingest.on_fixes.append(self.zones.observe)
        self.watch.on_alert.append(self._on_contact_alert)
        # The registry and the contact book are large and long-lived: keep the cyclic garbage
        # collector from re-scanning them on every collection.
        gc.collect()
        gc.freeze()

    def _on_distress(self, outcome: DistressOutcome) -> None:
        if outcome.action == "raised":
            self.metrics.alerts_raised.labels("distress").inc()
            self.alerting.raised(outcome.alert_id)
        if outcome.action != "ignored":
            self.events.publish(
                "alert",
                {
                    "alert_id": outcome.alert_id,
                    "vessel_id": outcome.vessel_id,
                    "grid_id": outcome.grid_id,
                    "type": "distress",
                    "action": outcome.action,
                    "phase": "distress",
                    "severity": "critical",
                    "incident_id": outcome.incident_id,
                    "sound": outcome.action == "raised",
                    "at": self.clock.now().isoformat(),
                },
            )

    def _on_incident_log(self, entry: dict[str, Any]) -> None:
        grid = self.rescue.incident_grids.get(int(entry["incident_id"]))
        data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in entry.items()}
        self.events.publish("incident_log", data | {"grid_ids": [grid] if grid else []})

    def _on_contact_alert(self, change: AlertChange) -> None:
        if change.action == "raised":
            self.alerting.raised(change.alert_id)

    async def serve(self) -> None:
        """Run until cancelled."""
        await self.prepare()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.link.run(), name="mqtt-link")
                tg.create_task(self.ingest.run(), name="ingest")
                tg.create_task(self.watch.run(), name="contact-watch")
                tg.create_task(self.outbox.run(), name="outbox")
                tg.create_task(self.alerting.run(), name="alerting")
                tg.create_task(self.zones.run(), name="zone-watch")
                tg.create_task(self.requests.run(), name="requests")
                tg.create_task(self.recall.run(), name="recall")
                tg.create_task(self.broadcasts.report_progress(), name="broadcast-progress")
                if self._with_api:
                    from seaLink.api.app import start_api

                    self.api_runner = await start_api(self)
                await self.link.connected.wait()
                await self.training.start()
                self.ready.set()
                log.info("hub ready: %d vessels registered", len(self.registry))
        finally:
            self.training.stop()
            if self.api_runner is not None:
                await self.api_runner.cleanup()
            await self.db.dispose()

    @contextlib.asynccontextmanager
    async def running(self, timeout: float = 20.0) -> AsyncIterator[Hub]:
        """Start the hub in the background for the duration of a `with` block (tests, demo)."""
        task = asyncio.create_task(self.serve(), name="hub")
        ready = asyncio.ensure_future(self.ready.wait())
        done, _ = await asyncio.wait(
            {task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            ready.cancel()
            task.result()  # raises what stopped it
        if ready not in done:
            ready.cancel()
            task.cancel()
            raise TimeoutError("hub did not become ready (is the broker reachable?)")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def drained(self, timeout: float = 30.0) -> None:
        """Wait until every delivered uplink is committed and the watch has written its changes."""

        async def _wait() -> None:
            while self.link.inbox or not self.ingest.idle.is_set():
                await asyncio.sleep(0.02)
            await self.watch.settle()
            await self.outbox.settle()
            await self.zones.settle()
            await self.alerting.settle()
            await self.requests.settle()
            await self.recall.settle()

        await asyncio.wait_for(_wait(), timeout)
