"""Sending a notice to people and group robots, on every channel, so that no channel can block
another: each send has a time limit; a failed send is tried again after each wait in
`alerting.retry_failed_s`; what is over a person's hourly limit on a paid channel waits for the
digest. Every attempt returns a record (sent / failed / held), shown on the alert."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from seaLink.clock import Clock
from seaLink.metrics import HubMetrics
from seaLink.services.notifiers import Channel, Notice, Recipient
from seaLink.services.robots import RobotChannel
from seaLink.services.storm import RateLimit
from seaLink.settings import AlertingSettings
from seaLink.texts import Phrase, render

log = logging.getLogger(__name__)

# Channels a person pays for, or reads one by one: held to an hourly limit, the rest in a digest.
LIMITED = ("sms", "email", "wecom", "dingtalk", "feishu")
Row = dict[str, object]
# What a record's error says when the send is to be tried again, and when it waits for the digest:
# read back by services/delivery.py to say where each person's notification stands.
RETRY_NOTE = " (try {attempt} in {wait} s)"
HELD_NOTE = "held for the digest (hourly limit)"
_RETRY_BOOKED = re.compile(r" \(try \d+ in \d+ s\)$")


def retry_booked(error: str) -> bool:
    """Does a failed attempt's error say another try is booked?"""
    return bool(_RETRY_BOOKED.search(error))


@dataclass
class _Retry:
    due: datetime
    attempt: int  # the attempt this will be (1 = the first retry)
    channel: Any
    notice: Notice
    recipient: Recipient
    address: str


class Dispatcher:
    def __init__(
        self, *, clock: Clock, settings: AlertingSettings, channels: list[Channel],
        robots: list[RobotChannel], metrics: HubMetrics | None = None,
    ) -> None:  # fmt: skip
        self._clock = clock
        self._metrics = metrics
        self._settings = settings
        self.channels = channels
        self.robots = robots
        self._limit = RateLimit(settings.notify_max_per_hour)
        self._digest_at: datetime | None = None
        self._retries: list[_Retry] = []

    async def send(
        self, notice: Notice, people: list[Recipient], grid_id: str, *, limited: bool
    ) -> list[Row]:
        """Tell every person on every channel they have, and the grid's robots of this level."""
        jobs = [
            self._send(ch, notice, r, address, limited=limited)
            for r in people
            for ch in self.channels
            if (address := ch.addresses(r))
        ]
        for robot in self.robots:
            if robot.wants(grid_id, notice.level):
                who = Recipient(f"robot:{robot.robot.kind}", robot.robot.kind)
                jobs.append(self._send(robot, notice, who, robot.robot.url, limited=limited))
        return list(await asyncio.gather(*jobs))

    async def remind(self, notice: Notice, people: list[Recipient]) -> None:
        """Something that is not an alert (a request waiting): people's own channels only."""
        await asyncio.gather(*[
            self._send(ch, notice, r, a) for r in people for ch in self.channels
            if ch.name != "console" and (a := ch.addresses(r))
        ])  # fmt: skip

    def next_due(self) -> datetime | None:
        times = [r.due for r in self._retries] + ([self._digest_at] if self._digest_at else [])
        return min(times, default=None)

    async def due(self, now: datetime) -> list[Row]:
        """Retries and digests whose time has come."""
        rows: list[Row] = []
        ready, self._retries = (
            [r for r in self._retries if r.due <= now],
            [r for r in self._retries if r.due > now],
        )
        for r in ready:
            rows.append(await self._send(r.channel, r.notice, r.recipient, r.address,
                                         attempt=r.attempt))  # fmt: skip
        if self._digest_at is not None and self._digest_at <= now:
            self._digest_at = None
            rows += await self._flush_digests()
        return rows

    async def _flush_digests(self) -> list[Row]:
        """One message per person and channel for all that the hourly limit held back."""
        rows: list[Row] = []
        for (_rid, _channel), held in self._limit.take_digests().items():
            channel, r, address = held[0][0], held[0][1], held[0][2]
            notices: list[Notice] = [n for _c, _r, _a, n in held]
            phrase = Phrase("notify.digest", {
                "count": len(notices), "list": "；".join(n.text for n in notices[:20])})  # fmt: skip
            first = notices[0]
            ids = [a for n in notices for a in n.data.get("alert_ids", [n.alert_id])]
            digest = Notice(first.alert_id, first.grid_id, first.vessel_id, first.type,
                            first.severity, first.level, render(phrase, self._settings.language),
                            {"alert_ids": ids}, phrase.as_dict())  # fmt: skip
            row = await self._send(channel, digest, r, address)
            rows += [row | {"alert_id": aid} for aid in ids]
        return rows

    async def _send(
        self, ch: Any, notice: Notice, r: Recipient, address: str, *, limited: bool = False,
        attempt: int = 0,
    ) -> Row:  # fmt: skip
        now = self._clock.now()
        if limited and ch.name in LIMITED and not self._limit.allow(r.id, ch.name, now):
            if self._digest_at is None:
                self._digest_at = now + timedelta(seconds=self._settings.digest_every_s)
            self._limit.defer(r.id, ch.name, (ch, r, address, notice))
            return self._row(notice, ch, r, address, False, HELD_NOTE)
        ok, error = True, ""
        try:
            await asyncio.wait_for(ch.send(notice, r, address), self._settings.channel_timeout_s)
        except Exception as exc:  # a failing channel is recorded and retried, never blocks others
            ok, error = False, f"{type(exc).__name__}: {exc}"[:480]  # the note fits in 512
            waits = self._settings.retry_failed_s
            if attempt < len(waits) and ch.name != "console":
                self._retries.append(_Retry(now + timedelta(seconds=waits[attempt]), attempt + 1,
                                            ch, notice, r, address))  # fmt: skip
                error += RETRY_NOTE.format(attempt=attempt + 2, wait=waits[attempt])
            shown = ch.robot.kind if isinstance(ch, RobotChannel) else address  # no robot keys
            log.warning("alert %d: %s to %s failed: %s", notice.alert_id, ch.name, shown, error)
        return self._row(notice, ch, r, address, ok, error)

    def _row(
        self, notice: Notice, ch: Any, r: Recipient, address: str, ok: bool, error: str
    ) -> Row:
        shown = address if not isinstance(ch, RobotChannel) else ch.robot.kind  # no URL keys
        if self._metrics is not None:
            result = "sent" if ok else "held" if error == HELD_NOTE else "failed"
            self._metrics.notifications.labels(ch.name, result).inc()
        return {
            "alert_id": notice.alert_id,
            "level": notice.level,
            "channel": ch.name,
            "recipient": f"{r.id} {shown}"[:128],
            "ts": self._clock.now(),
            "ok": ok,
            "error": error,
        }
