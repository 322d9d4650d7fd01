"""The 24-hour contact watch: raises lost-contact alerts when a vessel falls silent on all links.

Driven by deadlines (see `ContactBook`), persisted through `ContactWriter`, announced as domain
events (`ContactChanged`, `AlertRaised` / `AlertPhaseChanged` / `AlertResolved`) once committed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sqlalchemy import select

from seaLink.clock import Clock
from seaLink.domain.contact import ContactRules, ContactState, LostPhase
from seaLink.domain.contact_book import ContactBook, ContactChange, VesselContact
from seaLink.domain.events import (
    AlertPhaseChanged,
    AlertRaised,
    AlertResolved,
    ContactChanged,
    DomainEvent,
    Emit,
)
from seaLink.domain.ports import PortIndex
from seaLink.metrics import HubMetrics
from seaLink.services.registry import RegistryCache
from seaLink.settings import ContactSettings
from seaLink.store.contact_writes import AlertChange, ContactWriter
from seaLink.store.db import Database
from seaLink.store.outage import StoreOutage
from seaLink.store.tables import Alert, VesselState

log = logging.getLogger(__name__)


def rules_from(settings: ContactSettings) -> ContactRules:
    return ContactRules(
        interval_at_sea_s=settings.interval_at_sea_s,
        overdue_missed=settings.overdue_missed,
        lost_missed=settings.lost_missed,
        alert_after_s=settings.alert_after_s,
        distress_after_s=settings.distress_after_s,
        in_port_maintenance_after_s=settings.in_port_maintenance_after_s,
    )


class ContactWatch:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: ContactSettings,
        registry: RegistryCache,
        ports: PortIndex,
        metrics: HubMetrics,
        emit: Emit,
    ) -> None:
        self._db = db
        self._clock = clock
        self._settings = settings
        self._registry = registry
        self._ports = ports
        self._metrics = metrics
        self._emit = emit
        self._writer = ContactWriter(db)
        self._outage = StoreOutage("contact watch", metrics.store_errors, logger=log)
        self.book = ContactBook(rules_from(settings))
        self._pending: list[ContactChange] = []
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()  # set whenever nothing is pending (tests wait on it)
        self.wakeups = 0  # loop iterations, and the CPU they took: what the watch costs
        self.cpu_seconds = 0.0

    async def load(self) -> None:
        """Rebuild the book from the store: last heard times, states, open alerts."""
        now = self._clock.now()
        vs = VesselState.__table__  # type: ignore[attr-defined]
        async with self._db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        vs.c.vessel_id,
                        vs.c.last_heard,
                        vs.c.last_link,
                        vs.c.lat,
                        vs.c.lon,
                        vs.c.nav_state,
                        vs.c.contact_state,
                        vs.c.contact_since,
                    )
                )
            ).all()
            alert = Alert.__table__  # type: ignore[attr-defined]
            open_lost = await conn.execute(
                select(alert.c.vessel_id, alert.c.phase).where(
                    alert.c.type == "lost_contact", alert.c.state != "resolved"
                )
            )
            phases: dict[str, str] = {r[0]: r[1] for r in open_lost.all()}
        for vid, heard, link, lat, lon, nav, state, since in rows:
            info = self._registry.get(vid)
            if info is None:
                continue
            in_port = nav == "in_port" or (
                lat is not None and lon is not None and self._ports.port_at(lat, lon) is not None
            )
            vc = VesselContact(
                vessel_id=vid,
                grid_id=info.grid_id,
                interval_s=info.report_interval_s,
                last_heard=heard,
                last_link=link,
                in_port=in_port,
                state=ContactState(state)
                if state in ContactState._value2member_map_
                else ContactState.UNKNOWN,
                phase=LostPhase(phases[vid]) if phases.get(vid) else None,
                since=since,
            )
            self.book.register(vc)
            if heard is not None:
                self.book.schedule(vc, now)
        self.book.hold_until = now + timedelta(seconds=self._settings.startup_grace_s)
        self._update_gauges()
        log.info("contact watch: %d vessels loaded", len(self.book))

    def ensure_vessel(self, vessel_id: str) -> None:
        if vessel_id in self.book.vessels:
            return
        info = self._registry.get(vessel_id)
        if info is not None:
            self.book.register(VesselContact(vessel_id, info.grid_id, info.report_interval_s))

    def heard(self, vessel_id: str, at: object, link: str, in_port: bool | None) -> None:
        """A sign of life on any link (called after the uplink is committed)."""
        self.ensure_vessel(vessel_id)
        change = self.book.heard(vessel_id, at, link, in_port, self._clock.now())  # type: ignore[arg-type]
        if change is not None:
            self._pending.append(change)
        self._kick()

    def set_typhoon(self, active: bool) -> None:
        self._pending.extend(self.book.set_typhoon(active, self._clock.now()))
        self._kick()

    async def settle(self) -> None:
        """Return once the watch has judged everything due now and committed the changes."""
        self._kick()
        await self.idle.wait()

    def _kick(self) -> None:
        self.idle.clear()
        self._wake.set()

    async def run(self) -> None:
        while True:
            started = time.thread_time()
            self.wakeups += 1
            self._wake.clear()
            now = self._clock.now()
            self._pending.extend(self.book.due(now))
            if self._pending:
                changes, self._pending = self._pending, []
                await self._commit(changes)
                self.cpu_seconds += time.thread_time() - started
                continue
            self.idle.set()
            self.cpu_seconds += time.thread_time() - started
            await self._clock.wait_until(self.book.next_deadline, self._wake)

    async def _commit(self, changes: list[ContactChange]) -> None:
        # Kept until stored: a database outage delays the alerts, never loses them.
        alerts = await self._outage.until_done(
            lambda: self._writer.apply(changes), only_outages=False
        )
        emitted: list[DomainEvent] = [
            ContactChanged(
                c.vessel_id, c.grid_id, c.state.value, c.phase.value if c.phase else None,
                c.at, c.last_heard,
            )
            for c in changes
        ]  # fmt: skip
        for a in alerts:
            if a.action == "raised":  # the duty officer is told by the alert itself: a normal event
                log.info(
                    "alert %d raised: %s %s for vessel %s", a.alert_id, a.type, a.phase, a.vessel_id
                )
            emitted.append(_alert_event(a))
        self._emit(emitted)
        self._update_gauges()

    def _update_gauges(self) -> None:
        for state, n in self.book.counts().items():
            self._metrics.contact_states.labels(state).set(n)


_ALERT_EVENT: dict[str, type[AlertRaised | AlertPhaseChanged]] = {
    "raised": AlertRaised,
    "phase": AlertPhaseChanged,
}


def _alert_event(a: AlertChange) -> DomainEvent:
    facts = (a.alert_id, a.vessel_id, a.grid_id, a.type, a.phase, a.severity, a.at)
    if a.action == "resolved":  # heard again, or back in port
        return AlertResolved(*facts, by="system", outcome="contact_restored")
    return _ALERT_EVENT[a.action](*facts)
