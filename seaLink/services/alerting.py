"""Routes alerts to the right people and escalates them until someone acknowledges.

A new alert goes at once to the grid's on-duty coordinator (level 0). While nobody acknowledges it,
it climbs: the grid leader and the backup (level 1), then the county emergency desk (level 2), on
each type's own schedule. Escalations are booked in the store, so they survive a restart.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from seaLink.clock import Clock
from seaLink.domain.escalation import PHASE_FLOOR, Level, Policy, policy_key
from seaLink.domain.events import AlertEscalated, Emit, alert_facts
from seaLink.metrics import HubMetrics
from seaLink.services.alert_links import AlertLinks
from seaLink.services.deadlines import DeadlineLoop
from seaLink.services.dispatch import Dispatcher
from seaLink.services.events import EventBus
from seaLink.services.notifiers import (
    Channel,
    ConsoleChannel,
    EmailChannel,
    Notice,
    Recipient,
    SmsChannel,
    WebhookChannel,
)
from seaLink.services.robots import RobotChannel
from seaLink.services.storm import StormGate, urgent
from seaLink.settings import AlertingSettings
from seaLink.store import alert_store
from seaLink.store.db import Database
from seaLink.store.outage import is_store_outage
from seaLink.texts import Phrase, exercised, render

log = logging.getLogger(__name__)

_SEEN_MAX = 100_000
# Deadline keys that are not alert ids (those are positive): the storm window, the digest.
_STORM, _DISPATCH = -1, -2  # the storm window; retries and digests


class Alerting(DeadlineLoop):
    name = "alerting"

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        settings: AlertingSettings,
        events: EventBus,
        metrics: HubMetrics,
        emit: Emit,
        links: AlertLinks | None = None,
    ) -> None:
        super().__init__(clock)
        self._db = db
        self._settings = settings
        self._emit = emit
        self._metrics = metrics
        channels: list[Channel] = [ConsoleChannel(events)]
        if settings.webhook_url:
            channels.append(WebhookChannel(settings.webhook_url))
        if settings.sms_webhook_url:
            channels.append(SmsChannel(settings.sms_webhook_url))
        if settings.smtp_host:
            channels.append(
                EmailChannel(settings.smtp_host, settings.smtp_port, settings.smtp_from)
            )
        robots = [RobotChannel(r, lambda aid: links.url(aid, clock.now()) if links else None)
                  for r in settings.robots]  # fmt: skip
        self.dispatch = Dispatcher(clock=clock, settings=settings, channels=channels, robots=robots,
                                   metrics=metrics)  # fmt: skip
        # Every kind of alert climbs the chain while nobody acknowledges it, on its own timers.
        self.policies = {
            kind: Policy((getattr(settings, f"{kind}_leader_after_s"),
                          getattr(settings, f"{kind}_county_after_s")))
            for kind in ("distress", "lost_contact", "zone", "separation", "recall")
        }  # fmt: skip
        self._new: list[int] = []
        self._phased: list[int] = []  # alerts that entered a new SAR phase
        self._storm = StormGate(timedelta(seconds=settings.storm_window_s))
        # Alerts already taken (a raised alert may be told of twice: by its event and by a
        # cluster holder's re-read of the store); bounded, oldest forgotten first.
        self._seen: dict[int, None] = {}
        # Notifications decided but not yet sent (a database outage between the decision and
        # the sending must delay them, never lose them), and sent ones not yet recorded.
        self._to_notify: list[tuple[dict[str, object], Level]] = []
        self._unrecorded: list[dict[str, object]] = []

    async def load(self) -> None:
        for alert_id, at in await alert_store.escalating(self._db):
            self.book(at, alert_id)

    def raised(self, alert_id: int) -> None:
        """A new alert is in the store: tell level 0 and book its escalation (once)."""
        if alert_id in self._seen:
            return
        self._seen[alert_id] = None
        if len(self._seen) > _SEEN_MAX:
            del self._seen[next(iter(self._seen))]
        self._new.append(alert_id)
        self.kick()

    def phase_changed(self, alert_id: int) -> None:
        """A lost-contact alert entered a new phase: tell people again, escalate afresh."""
        self._phased.append(alert_id)
        self.kick()

    def _has_more(self) -> bool:
        return bool(self._new or self._phased or self._to_notify)

    async def _before_due(self) -> None:
        # Each step leaves its queue only once done, so a store outage retries it, never drops it.
        if self._unrecorded:
            await self._record()
        while self._new or self._phased or self._to_notify:
            queue: list[Any] = self._to_notify or self._new or self._phased
            try:
                if self._to_notify:
                    alert, level = self._to_notify[0]
                    if urgent(alert):  # a distress is never gathered nor held: now, alone
                        rows = await self._notify([alert], level)
                    else:
                        self.book(self._storm.hold(alert, level, self._clock.now()), _STORM)
                        rows = []
                    self._to_notify.pop(0)  # sent (or held), whatever the store does next
                    self._unrecorded.extend(rows)
                    await self._record()
                elif self._new:
                    await self._take_new(self._new[0])
                    self._new.pop(0)
                else:
                    await self._take_phase(self._phased[0])
                    self._phased.pop(0)
            except Exception as exc:
                if is_store_outage(exc):
                    raise  # kept queued: the loop waits for the store and tries again
                log.exception("alerting: %r failed; dropped", queue.pop(0))

    async def _take_new(self, alert_id: int) -> None:
        alert = await alert_store.get_alert(self._db, alert_id)
        if alert is None:
            return
        policy = self.policies.get(policy_key(alert["type"]))
        nxt = policy.next_escalation(_since(alert), 0) if policy else None
        if alert["escalate_at"] is None and nxt is not None:
            await alert_store.book_escalation(self._db, alert_id, nxt)
        if nxt is not None:
            self.book(nxt, alert_id)
        self._to_notify.append((alert, Level.DUTY))

    async def _take_phase(self, alert_id: int) -> None:
        alert = await alert_store.get_alert(self._db, alert_id)
        if alert is None or alert["state"] != "raised":
            return
        floor = PHASE_FLOOR.get(str(alert["phase"]), Level.DUTY)
        policy = self.policies.get(policy_key(alert["type"]))
        nxt = policy.next_escalation(_since(alert), int(floor)) if policy else None
        now = self._clock.now()
        if floor > Level.DUTY:
            note = render(Phrase("trail.escalated", {"level": int(floor)}))
            if await alert_store.escalate(self._db, alert_id, int(floor), nxt, now, note):
                alert["escalation_level"] = int(floor)
                self._emit([AlertEscalated(**alert_facts(alert, now), level=int(floor))])
        elif nxt is not None:
            await alert_store.book_escalation(self._db, alert_id, nxt)
        if nxt is not None:
            self.book(nxt, alert_id)
        for level in range(int(floor) + 1):  # everyone up to the phase's level, at once
            self._to_notify.append((alert, Level(level)))

    async def _due(self, alert_id: int, now: datetime) -> None:
        if alert_id == _STORM:
            await self._flush_storm(now)
            return
        if alert_id == _DISPATCH:
            self._unrecorded.extend(await self.dispatch.due(now))
            await self._record()
            self._book_dispatch()
            return
        alert = await alert_store.get_alert(self._db, alert_id)
        if alert is None or alert["state"] != "raised" or alert["escalate_at"] is None:
            return  # acknowledged or resolved meanwhile: escalation stops
        booked = _dt(alert["escalate_at"])
        if booked > now:  # a booking from before a phase change: the store's time stands
            self.book(booked, alert_id)
            return
        level = int(alert["escalation_level"]) + 1
        policy = self.policies.get(policy_key(alert["type"]))
        nxt = policy.next_escalation(_since(alert), level) if policy else None
        note = render(Phrase("trail.escalated", {"level": level}))
        if await alert_store.escalate(self._db, alert_id, level, nxt, now, note):
            alert["escalation_level"] = level
            if nxt is not None:
                self.book(nxt, alert_id)
            self._emit([AlertEscalated(**alert_facts(alert, now), level=level)])
            self._to_notify.append((alert, Level(min(level, Level.COUNTY))))  # sent next round

    async def _recipients(self, grid_id: str, level: Level) -> list[Recipient]:
        if level is Level.COUNTY:
            s = self._settings
            return [
                Recipient(
                    "county-desk", s.county_desk_name, s.county_desk_phone, s.county_desk_email
                )
            ]
        return await alert_store.recipients(self._db, grid_id, int(level), self._clock.now())

    async def _flush_storm(self, now: datetime) -> None:
        for (_grid, _kind, level), alerts in self._storm.due(now):
            self._unrecorded.extend(await self._notify(alerts, Level(level)))
            await self._record()
        nxt = self._storm.next_due()
        if nxt is not None:
            self.book(nxt, _STORM)

    def _book_dispatch(self) -> None:
        """Retries and digests have their own time: booked under one key."""
        nxt = self.dispatch.next_due()
        if nxt is not None:
            self.book(nxt, _DISPATCH)

    async def _notify(self, alerts: list[dict[str, Any]], level: Level) -> list[dict[str, object]]:
        """Tell the people of this level on every channel: of one alert, or of several gathered
        (same grid, kind and level) in one message; returns what to record (each alert)."""
        alert = alerts[0]
        grid_id = str(alert["grid_id"])
        people = await self._recipients(grid_id, level)
        if len(alerts) == 1:
            phrase = notice_phrase(alert, int(level))
        else:
            names = [str(a.get("hull_name") or a["vessel_id"]) for a in alerts]
            phrase = Phrase("notify.storm", {
                "grid": grid_id, "count": len(alerts), "type": policy_key(str(alert["type"])),
                "vessels": "、".join(names[:30]) + ("…" if len(names) > 30 else ""),
                "level": int(level)})  # fmt: skip
        text = render(phrase, self._settings.language)
        ids = [int(str(a["id"])) for a in alerts]
        notice = Notice(
            int(str(alert["id"])),
            grid_id,
            str(alert["vessel_id"]),
            str(alert["type"]),
            str(alert["severity"]),
            int(level),
            text,
            {"phase": alert.get("phase"), "alert_ids": ids},
            phrase.as_dict(),
        )
        grid_name = render(Phrase("notify.grid", {"grid": grid_id}), self._settings.language)
        rows = await self.dispatch.send(notice, people or [Recipient("grid:" + grid_id, grid_name)],
                                        grid_id, limited=not urgent(alert))  # fmt: skip
        self._book_dispatch()
        # Each alert of a gathered message has its own record of who was told.
        return [row | {"alert_id": aid} for row in rows for aid in ids]

    async def _record(self) -> None:
        """Store who was told what; kept for the next round while the store is away."""
        try:
            await alert_store.record_notifications(self._db, self._unrecorded)
        except Exception as exc:
            if is_store_outage(exc):
                raise
            log.exception("alerting: %d notification records lost", len(self._unrecorded))
        self._unrecorded = []

    async def remind(
        self, grid_id: str, level: int, text: str, data: dict[str, object]
    ) -> list[str]:
        """Tell level-0 (coordinator) or level-1 (leader) people of a grid something that is not an
        alert (a request waiting for an answer); returns who was told."""
        people = await self._recipients(grid_id, Level(min(level, Level.COUNTY)))
        notice = Notice(
            0, grid_id, str(data.get("vessel_id", "")), "request", "notice", level, text, dict(data)
        )
        await self.dispatch.remind(notice, people)
        self._book_dispatch()
        return [r.name for r in people]


def notice_phrase(alert: dict[str, Any], level: int) -> Phrase:
    """What people are told of an alert: its kind in words, the boat, what happened, who is told."""
    detail: Any = Phrase.from_json(alert.get("detail_phrase"))
    phased = alert["type"] == "lost_contact" and alert.get("phase")
    return exercised(_notice(alert, level, phased, detail), bool(alert.get("exercise")))


def _notice(alert: dict[str, Any], level: int, phased: Any, detail: Any) -> Phrase:
    return Phrase(
        "notify.alert.phase" if phased else "notify.alert",
        {
            "type": policy_key(str(alert["type"])),  # zone:7 is a zone alert
            "phase": alert.get("phase"),
            "vessel": alert.get("hull_name") or alert["vessel_id"],
            "detail": detail.as_dict() if detail else alert.get("detail") or "",
            "alert_id": alert["id"],
            "level": level,
        },
    )


def _dt(value: Any) -> datetime:
    return (
        value
        if isinstance(value, datetime)
        else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )


def _since(alert: dict[str, Any]) -> datetime:
    """Escalation counts from the alert's last phase change, or from when it was raised."""
    return _dt(alert.get("phase_at") or alert["raised_at"])
