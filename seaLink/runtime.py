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
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import make_url

from seaLink.api.services import ApiServices, HealthSources
from seaLink.clock import Clock, SystemClock
from seaLink.domain.ports import PortIndex, load_zones_document, ports_from_geojson
from seaLink.domain.zones import ZoneKind
from seaLink.errors import StoreError
from seaLink.links.mqtt_link import MqttLink
from seaLink.metrics import HubMetrics
from seaLink.services.accounts import Accounts
from seaLink.services.alert_desk import AlertDesk
from seaLink.services.alert_links import AlertLinks
from seaLink.services.alerting import Alerting
from seaLink.services.auth import AuthService, hash_password_off_loop
from seaLink.services.beidou_pool import BeidouPool
from seaLink.services.broadcasts import BroadcastService
from seaLink.services.cluster import Cluster, ClusterParts, default_hub_id
from seaLink.services.contact_watch import ContactWatch
from seaLink.services.drills import DrillService
from seaLink.services.duty import DutyRoster
from seaLink.services.event_routes import EventRouter, hub_routes
from seaLink.services.events import EventBus
from seaLink.services.fleet_view import FleetView
from seaLink.services.gateway_uplinks import GatewayUplinks
from seaLink.services.ingest import IngestPipeline
from seaLink.services.live_view import LiveView
from seaLink.services.loop_lag import watch_loop_lag
from seaLink.services.outbox import Outbox
from seaLink.services.port_log import PortLog
from seaLink.services.recall import RecallService
from seaLink.services.registry import RegistryCache
from seaLink.services.requests import RequestService
from seaLink.services.rescue import RescueService
from seaLink.services.retention import RetentionLoop
from seaLink.services.stats import FleetStats
from seaLink.services.store_health import StoreHealth
from seaLink.services.training import TrainingService
from seaLink.services.typhoons import TyphoonDesk
from seaLink.services.zone_admin import ZoneAdmin
from seaLink.services.zone_watch import ZoneWatch
from seaLink.settings import Settings, gateway_kinds
from seaLink.store import wal
from seaLink.store.db import Database
from seaLink.store.ingest_writes import IngestWriter
from seaLink.store.outage import FIRST_DELAY_S, MAX_DELAY_S, is_store_outage
from seaLink.store.retention import PositionRetention
from seaLink.store.users import ensure_admin
from seaLink.wire.backoff import Backoff
from seaLink.wire.topics import Topics

log = logging.getLogger(__name__)


class Hub:
    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, with_api: bool = True
    ) -> None:
        self.cluster: Cluster | None = None
        self.hub_id = settings.cluster.hub_id or default_hub_id()
        if settings.cluster.enabled:
            # Each hub its own persistent session, all in one shared subscription group.
            mqtt = settings.mqtt
            settings = settings.model_copy(
                update={
                    "mqtt": mqtt.model_copy(
                        update={
                            "client_id": f"{mqtt.client_id}-{self.hub_id}",
                            "shared_group": mqtt.shared_group or "sealink-hubs",
                        }
                    )
                }
            )
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.metrics = HubMetrics()
        self.events = EventBus()
        # Domain events go through here; its table of routes is filled once the services exist.
        self.router = EventRouter()
        emit = self.router.dispatch
        self.topics = Topics(settings.mqtt.prefix)
        self.db = Database(
            settings.store.url,
            echo=settings.store.echo,
            pool_size=settings.store.pool_size,
            max_overflow=settings.store.max_overflow,
            name=f"sealink-hub {settings.cluster.hub_id or settings.mqtt.client_id}",
        )
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
            emit=emit,
        )
        self.link = MqttLink(settings.mqtt, self.metrics, self.topics)
        self.urgent_link = MqttLink(settings.mqtt, self.metrics, self.topics, urgent_of=self.link)
        # What the gateways say (AIS traffic, Beidou cards and results): read by ingest, the
        # outbox's Beidou pool and the rescue search.
        self.gateways = GatewayUplinks(
            self.registry, self.topics, self.metrics, gateway_kinds(settings.gateways)
        )
        self.outbox = Outbox(
            db=self.db,
            clock=self.clock,
            link=self.link,
            topics=self.topics,
            settings=settings.messaging,
            metrics=self.metrics,
            events=self.events,
            beidou=BeidouPool(self.gateways, self.registry),
        )
        self.broadcasts = BroadcastService(
            db=self.db,
            clock=self.clock,
            outbox=self.outbox,
            ports=self.ports,
            settings=settings.messaging,
            events=self.events,
        )
        self.links = AlertLinks(
            settings.api.public_url, settings.api.link_secret,
            timedelta(seconds=settings.api.link_ttl_s),
        )  # fmt: skip
        self.alerting = Alerting(
            db=self.db,
            clock=self.clock,
            settings=settings.alerting,
            events=self.events,
            metrics=self.metrics,
            emit=emit,
            links=self.links,
        )
        self.zones = ZoneWatch(
            db=self.db, clock=self.clock, registry=self.registry, ports=self.ports,
            emit=emit, zones_document=self.zones_document,
            port_radius_nmi=settings.contact.port_radius_nmi,
            confirm_fixes=settings.contact.zone_confirm_fixes,
            confirm_s=settings.contact.zone_confirm_s,
        )  # fmt: skip
        self.port_log = PortLog(
            db=self.db, clock=self.clock, ports=self.ports, registry=self.registry, emit=emit,
            bands=lambda: [z for z in self.zones.tracker.zones if z.kind is ZoneKind.MORATORIUM],
            match=timedelta(minutes=settings.contact.port_report_match_min),
            live_max_age=timedelta(seconds=settings.ingest.live_max_age_s),
        )  # fmt: skip
        self.accounts = Accounts(db=self.db, clock=self.clock)
        self.fleet = FleetView(db=self.db)
        self.typhoons = TyphoonDesk(db=self.db, clock=self.clock, ports=self.ports)
        self.store_health = StoreHealth(self.db)
        self.duty = DutyRoster(db=self.db, clock=self.clock)
        self.stats = FleetStats(
            db=self.db, clock=self.clock, contact=settings.contact, ports=self.ports
        )
        self.zone_admin = ZoneAdmin(
            db=self.db, clock=self.clock, registry=self.registry, watch=self.zones
        )
        self.requests = RequestService(
            db=self.db, clock=self.clock, outbox=self.outbox, alerting=self.alerting, events=self.events,
            settings=settings.requests,
        )  # fmt: skip
        self.training = TrainingService(db=self.db, clock=self.clock, broadcasts=self.broadcasts)
        self.recall = RecallService(
            db=self.db, clock=self.clock, outbox=self.outbox, emit=emit, watch=self.watch,
            ports=self.ports, events=self.events, resend_s=settings.messaging.recall_resend_s,
            window_s=settings.messaging.recall_track_window_s,
            judge_every_s=settings.messaging.recall_judge_s,
        )  # fmt: skip
        self.rescue = RescueService(
            db=self.db, clock=self.clock, outbox=self.outbox, settings=settings.alerting,
            traffic=self.gateways.traffic,
        )  # fmt: skip
        self.alert_desk = AlertDesk(
            db=self.db, clock=self.clock, emit=emit,
            county_desk_name=settings.alerting.county_desk_name,
        )  # fmt: skip
        st = settings.store
        self.retention = RetentionLoop(
            PositionRetention(self.db, keep_days=st.retention_days, archive_every_s=st.archive_every_s,
                              archive_days=st.archive_days, batch=st.retention_batch),
            self.clock, st.retention_interval_s,
        )  # fmt: skip
        self.drills = DrillService(db=self.db, clock=self.clock, outbox=self.outbox)
        self.live = LiveView(self.events, self.registry, self.rescue.incident_grids.get)
        self.router.live, self.router.schedule = hub_routes(
            live=self.live, watch=self.watch, outbox=self.outbox, zones=self.zones,
            alerting=self.alerting, requests=self.requests, recall=self.recall,
            port_log=self.port_log, metrics=self.metrics,
        )  # fmt: skip
        self.ingest = self.make_ingest(self.link, self.gateways)
        self.auth = AuthService(
            self.db,
            self.clock,
            token_ttl_s=settings.api.token_ttl_s,
            max_failures=settings.api.login_max_failures,
            lockout_s=settings.api.lockout_s,
            address_max_failures=settings.api.login_address_max_failures,
        )
        self._with_api = with_api
        self.api_runner: Any = None
        self.ready = asyncio.Event()
        if settings.cluster.enabled:
            self.cluster = Cluster(self._cluster_parts(), self.hub_id)
        self.api = self._api_services()

    def _cluster_parts(self) -> ClusterParts:
        """What this hub's part in a cluster works with (it never sees the hub)."""
        return ClusterParts(
            settings=self.settings.cluster, mqtt=self.settings.mqtt, topics=self.topics,
            link=self.link, router=self.router, events=self.events, db=self.db, clock=self.clock,
            metrics=self.metrics, watch=self.watch, outbox=self.outbox, alerting=self.alerting,
            training=self.training, make_ingest=self.make_ingest,
            load_schedule=self.load_schedule, start_schedule=self.start_schedule,
            reload_shared=self.reload_shared,
        )  # fmt: skip

    def _api_services(self) -> ApiServices:
        """The services the API's routes call (they never see the hub)."""
        cluster = self.cluster
        return ApiServices(
            settings=self.settings.api, clock=self.clock,
            health=HealthSources(
                link=self.link, urgent_link=self.urgent_link, ingest=self.ingest,
                registry=self.registry, watch=self.watch, store=self.store_health,
                metrics=self.metrics, ready=self.ready,
                holds_schedule=(lambda: cluster.leader) if cluster is not None else (lambda: True),
            ),
            auth=self.auth, events=self.events, links=self.links, fleet=self.fleet,
            alert_desk=self.alert_desk, drills=self.drills, rescue=self.rescue, duty=self.duty,
            broadcasts=self.broadcasts, recall=self.recall, requests=self.requests,
            training=self.training, accounts=self.accounts, stats=self.stats,
            port_log=self.port_log, typhoons=self.typhoons, zone_admin=self.zone_admin,
        )  # fmt: skip

    def make_ingest(self, link: MqttLink, gateways: GatewayUplinks | None = None) -> IngestPipeline:
        """An ingest pipeline for a link (a second one when this hub adopts a dead hub's session)."""
        return IngestPipeline(
            link=link,
            writer=IngestWriter(self.db, self.settings.alerting.distress_leader_after_s),
            registry=self.registry,
            deliveries=self.outbox.store,
            router=self.router,
            ports=self.ports,
            clock=self.clock,
            settings=self.settings.ingest,
            topics=self.topics,
            metrics=self.metrics,
            request_due=timedelta(seconds=self.settings.requests.answer_within_s),
            gateway_kinds=gateway_kinds(self.settings.gateways),
            gateways=gateways,
        )

    async def prepare(self) -> None:
        await self._when_store_ready()
        await self.registry.load()
        await self.watch.load()
        await self.outbox.load()
        await self.broadcasts.load_active()
        await self.alerting.load()
        await self.zones.load()
        await self.port_log.load()
        await self.requests.load()
        await self.recall.load()
        self.broadcasts.on_recall.append(self.recall.register)
        if self.cluster is not None:
            self.cluster.attach()
        # The registry and the contact book are large and long-lived: keep the cyclic garbage
        # collector from re-scanning them on every collection.
        gc.collect()
        gc.freeze()
        # A broadcast's acks or a flood of fixes allocate short-lived objects by the hundred
        # thousand a second: collecting the young generation every 700 allocations cost ~6% of
        # the loop (bench.ingest_pipeline --uplink ack); every 20,000 it is noise.
        gc.set_threshold(20_000, 10, 10)

    async def _when_store_ready(self) -> None:
        """Create the schema (and the first admin), waiting for the database if it is not up yet
        (a machine booting, a PostgreSQL restart): backoff 0.5 s doubling to 10 s, for at most
        `store.start_timeout_s`. A database that answers with an error (a wrong password, no such
        database) stops the start at once."""
        timeout = self.settings.store.start_timeout_s
        started = time.monotonic()
        backoff = Backoff(FIRST_DELAY_S, MAX_DELAY_S)
        where = make_url(self.settings.store.url).render_as_string(hide_password=True)
        tries = 0
        while True:
            tries += 1
            try:
                await self.db.create_all()
                if self.settings.admin_password and await ensure_admin(
                    self.db,
                    await hash_password_off_loop(self.settings.admin_password),
                    self.clock.now(),
                ):
                    # A first start's normal step, not a warning.
                    log.info("created user 'admin' from the admin_password setting")
                break
            except Exception as exc:
                if not is_store_outage(exc):
                    raise
                waited = time.monotonic() - started
                if waited >= timeout:
                    raise StoreError(
                        f"the database at {where} did not answer within {timeout:g}s "
                        f"(store.start_timeout_s): {type(exc).__name__}: {exc}"
                    ) from exc
                delay = min(backoff.next(), timeout - waited)
                log.warning(
                    "waiting for the database at %s (%s: %s); retry in %.1fs, %.0fs left "
                    "(store.start_timeout_s)",
                    where, type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "",
                    delay, timeout - waited,
                )  # fmt: skip
                await asyncio.sleep(delay)
        if tries > 1:
            log.warning("database at %s answered after %.1fs", where, time.monotonic() - started)

    async def load_schedule(self) -> None:
        """Re-read the scheduled services' state from the store (a hub taking over the schedule)."""
        await self.watch.load()
        self.watch.book.hold_until = None  # other hubs kept hearing the fleet: no start-up grace
        await self.outbox.load()
        await self.broadcasts.load_active()
        await self.alerting.load()
        await self.zones.reload()
        await self.port_log.load()
        await self.requests.load()
        await self.recall.load()

    async def reload_shared(self) -> None:
        """Re-read what other hubs' API calls created (alerts handled, requests, recalls, zones,
        port calls, broadcasts, training sessions): the schedule holder's periodic refresh."""
        await self.alerting.load()
        await self.requests.load()
        await self.recall.load()
        await self.zones.reload()
        await self.port_log.load()
        await self.broadcasts.load_active()
        self.training.wakeup()

    async def start_schedule(self, tg: asyncio.TaskGroup) -> None:
        """The loops that act on time and state: one hub runs them (all of them, when alone)."""
        tg.create_task(self.watch.run(), name="contact-watch")
        tg.create_task(self.outbox.run(), name="outbox")
        tg.create_task(self.alerting.run(), name="alerting")
        tg.create_task(self.zones.run(), name="zone-watch")
        tg.create_task(self.port_log.run(), name="port-log")
        tg.create_task(self.requests.run(), name="requests")
        tg.create_task(self.recall.run(), name="recall")
        tg.create_task(self.broadcasts.report_progress(), name="broadcast-progress")
        tg.create_task(self.retention.run(), name="retention")

    async def serve(self) -> None:
        """Run until cancelled."""
        await self.prepare()
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.link.run(), name="mqtt-link")
                tg.create_task(self.urgent_link.run(), name="mqtt-urgent-link")
                tg.create_task(self.ingest.run(), name="ingest")
                tg.create_task(self.ingest.run_urgent(), name="distress-lane")
                tg.create_task(watch_loop_lag(self.metrics.loop_lag), name="loop-lag")
                if self.db.sqlite_file is not None:
                    tg.create_task(
                        wal.keep_checkpointed(self.db.sqlite_file), name="wal-checkpoint"
                    )
                if self.cluster is None:
                    self.metrics.cluster_leader.set(1)
                    await self.start_schedule(tg)
                else:
                    # Paused until this hub holds the schedule; its API can still add sessions.
                    await self.training.start(paused=True)
                    tg.create_task(self.cluster.run(tg), name="cluster")
                if self._with_api:
                    from seaLink.api.app import start_api

                    self.api_runner = await start_api(self.api)
                await self.link.connected.wait()
                if self.cluster is None:
                    await self.training.start()
                self.ready.set()
                log.info("hub ready: %d vessels registered", len(self.registry))
        finally:
            if self.cluster is not None:
                await self.cluster.stop()
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
            while not self.ingest.drained:
                await asyncio.sleep(0.02)
            await self.watch.settle()
            await self.outbox.settle()
            await self.zones.settle()
            await self.port_log.settle()
            await self.alerting.settle()
            await self.requests.settle()
            await self.recall.settle()

        await asyncio.wait_for(_wait(), timeout)
