"""Who acts on each domain event: the hub's one table of reactions, and the router that runs it.

Two tables, because with several hubs they run in different places:
- `live`: what the console sees at once; runs on the hub that committed the event.
- `schedule`: what the stateful services (contact watch, outbox, zones, alerting, requests) do;
  runs on the hub that holds the schedule. A hub that does not hold it forwards its events there
  (`forward`, set by the cluster), and the holder `replay`s them.
A single hub runs both. A handler that raises is logged and costs nothing else: the other
handlers, and the loop that dispatched, go on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from seaLink.domain.events import (
    ALERT_EVENTS,
    AcksApplied,
    AlertAcknowledged,
    AlertPhaseChanged,
    AlertRaised,
    AlertResolved,
    BeidouResultsArrived,
    ContactChanged,
    DistressCancelRequested,
    DistressRaised,
    DistressReceiptQueued,
    DistressRepeated,
    DomainEvent,
    IncidentLogged,
    LinkStatusChanged,
    PortReported,
    PositionsStored,
    RequestArrived,
    TerminalHello,
    VesselHeard,
)
from seaLink.metrics import HubMetrics
from seaLink.services.alerting import Alerting
from seaLink.services.contact_watch import ContactWatch
from seaLink.services.live_view import LiveView
from seaLink.services.outbox import Outbox
from seaLink.services.port_log import PortLog
from seaLink.services.recall import RecallService
from seaLink.services.requests import RequestService
from seaLink.services.zone_watch import ZoneWatch

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]
Routes = dict[type, list[Handler]]


def hub_routes(
    *,
    live: LiveView,
    watch: ContactWatch,
    outbox: Outbox,
    zones: ZoneWatch,
    alerting: Alerting,
    requests: RequestService,
    recall: RecallService,
    port_log: PortLog,
    metrics: HubMetrics,
) -> tuple[Routes, Routes]:
    """The table: (live routes, schedule routes)."""

    def acks_applied(e: AcksApplied) -> None:
        # Counted per state, not per ack: a 10,000-boat broadcast applies 20,000 in seconds.
        for state, n in Counter(e.states).items():
            metrics.acks.labels(state).inc(n)
        outbox.acks_applied()

    def alert_raised(e: AlertRaised) -> None:
        if not e.exercise:
            metrics.alerts_raised.labels(e.type.split(":", 1)[0]).inc()
        alerting.raised(e.alert_id)
        recall_sees(e)

    def recall_sees(e: AlertRaised | AlertResolved | AlertPhaseChanged) -> None:
        # A recalled boat in distress or out of contact moves to those lines of the board.
        if e.type in ("distress", "lost_contact") and not e.exercise:
            recall.observe()

    def distress_raised(e: DistressRaised) -> None:
        if not e.exercise:  # a drill is never counted as a real alert
            metrics.alerts_raised.labels("distress").inc()
        alerting.raised(e.alert_id)
        outbox.kick()  # its distress_ack is queued in the same commit

    live_routes: Routes = {
        PositionsStored: [live.positions],
        DistressRaised: [live.distress],
        DistressRepeated: [live.distress],
        DistressCancelRequested: [live.distress],
        IncidentLogged: [live.incident_log],
        ContactChanged: [live.contact],
        **{t: [live.alert] for t in ALERT_EVENTS},
    }
    schedule_routes: Routes = {
        VesselHeard: [
            lambda e: watch.heard(e.vessel_id, e.at, e.link, e.in_port),
            lambda e: outbox.vessel_heard(e.vessel_id, e.at, e.link),
        ],
        LinkStatusChanged: [lambda e: outbox.vessel_status(e.vessel_id, e.online, e.at)],
        TerminalHello: [lambda e: outbox.vessel_hello(e.vessel_id, e.at)],
        PositionsStored: [zones.observe_stored, recall.observe, port_log.observe],
        AcksApplied: [acks_applied, recall.observe],
        DistressRaised: [distress_raised, recall.observe],
        DistressRepeated: [lambda e: outbox.kick()],
        DistressCancelRequested: [lambda e: outbox.kick()],
        DistressReceiptQueued: [lambda e: outbox.kick()],
        PortReported: [port_log.observe_reports, recall.observe],
        RequestArrived: [lambda e: requests.arrived([e.request_id], e.due_at, {e.request_id: e.grid_id})],
        BeidouResultsArrived: [lambda e: outbox.kick()],
        AlertRaised: [alert_raised],
        AlertPhaseChanged: [lambda e: alerting.phase_changed(e.alert_id)],
        # What the boat in distress is told (queued with the change itself) goes out now.
        AlertAcknowledged: [lambda e: outbox.kick()],
        AlertResolved: [lambda e: outbox.kick(), recall_sees],
        IncidentLogged: [lambda e: outbox.kick()],
    }  # fmt: skip
    return live_routes, schedule_routes


class EventRouter:
    def __init__(self) -> None:
        self.live: Routes = {}
        self.schedule: Routes = {}
        # Several hubs: hands the schedule's events to its holder; True if it took them.
        self.forward: Callable[[list[DomainEvent]], bool] | None = None

    def dispatch(self, events: Sequence[DomainEvent]) -> None:
        """Events this hub committed."""
        if not events:
            return
        self._run(self.live, events)
        if self.forward is not None:
            scheduled = [e for e in events if type(e) in self.schedule]
            if not scheduled or self.forward(scheduled):
                return
        self._run(self.schedule, events)

    def replay(self, events: Sequence[DomainEvent]) -> None:
        """Events another hub committed (this hub holds the schedule)."""
        self._run(self.schedule, events)

    @staticmethod
    def _run(routes: Routes, events: Sequence[DomainEvent]) -> None:
        for event in events:
            for handler in routes.get(type(event), ()):
                try:
                    handler(event)
                except Exception:
                    log.exception("event %s: a handler failed", type(event).__name__)
