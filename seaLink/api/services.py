"""What the API's routes may use: the services they call and the API's settings, nothing more.

Built once by the composition root (`seaLink.runtime`) from the hub's parts; the routes never see
the hub itself, so what a handler can reach is written here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seaLink.clock import Clock
    from seaLink.links.mqtt_link import MqttLink
    from seaLink.metrics import HubMetrics
    from seaLink.services.accounts import Accounts
    from seaLink.services.alert_desk import AlertDesk
    from seaLink.services.alert_links import AlertLinks
    from seaLink.services.auth import AuthService
    from seaLink.services.broadcasts import BroadcastService
    from seaLink.services.contact_watch import ContactWatch
    from seaLink.services.drills import DrillService
    from seaLink.services.duty import DutyRoster
    from seaLink.services.events import EventBus
    from seaLink.services.fleet_view import FleetView
    from seaLink.services.ingest import IngestPipeline
    from seaLink.services.port_log import PortLog
    from seaLink.services.recall import RecallService
    from seaLink.services.registry import RegistryCache
    from seaLink.services.requests import RequestService
    from seaLink.services.rescue import RescueService
    from seaLink.services.stats import FleetStats
    from seaLink.services.store_health import StoreHealth
    from seaLink.services.training import TrainingService
    from seaLink.services.typhoons import TyphoonDesk
    from seaLink.services.zone_admin import ZoneAdmin
    from seaLink.settings import ApiSettings


@dataclass(frozen=True, slots=True)
class HealthSources:
    """What /healthz, /readyz and /metrics read: the hub's sessions, ingest and counters."""

    link: MqttLink
    urgent_link: MqttLink
    ingest: IngestPipeline
    registry: RegistryCache
    watch: ContactWatch
    store: StoreHealth
    metrics: HubMetrics
    ready: asyncio.Event  # set once the hub has started
    # Several hubs: whether this one holds the schedule now (a single hub always does).
    holds_schedule: Callable[[], bool]


@dataclass(frozen=True, slots=True)
class ApiServices:
    settings: ApiSettings
    clock: Clock
    health: HealthSources
    auth: AuthService
    events: EventBus
    links: AlertLinks
    fleet: FleetView
    alert_desk: AlertDesk
    drills: DrillService
    rescue: RescueService
    duty: DutyRoster
    broadcasts: BroadcastService
    recall: RecallService
    requests: RequestService
    training: TrainingService
    accounts: Accounts
    stats: FleetStats
    port_log: PortLog
    typhoons: TyphoonDesk
    zone_admin: ZoneAdmin
