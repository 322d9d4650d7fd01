"""The time window of uplinks (protocol §2.1, issue 15.8): what the hub does with a timestamp
that is too far back or ahead of its clock.

    ahead by more than `future_skew_s`            refused `ts_in_future` (a distress: see below)
    ahead by up to `future_skew_s`                taken; the vessel's contact and last position
                                                  use the time of receipt (`ingest_writes`)
    a live fix older than `live_max_age_s`        stored as history (`backfill`): never live
    older than `max_age_days`                     refused `ts_too_old`
    a distress outside [now - live_max_age_s,     taken at the time the hub received it: a boat
      now + future_skew_s]                        in distress is never refused for its clock

A terminal's clock is wrong after a flat battery (1970, 2001 and the GPS week roll-over are the
usual stamps); that must not make a live position or a distress pass as something it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from seaLink.settings import IngestSettings
from seaLink.wire.codec import Decoded, Rejection, RejectReason
from seaLink.wire.payloads import DistressPayload, Fix


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The bounds for one batch (computed once from the hub's clock)."""

    now: datetime
    future: datetime  # later than this: ts_in_future
    live: datetime  # a live fix earlier than this is history
    oldest: datetime  # earlier than this: ts_too_old

    @classmethod
    def at(cls, now: datetime, s: IngestSettings) -> TimeWindow:
        return cls(
            now,
            now + timedelta(seconds=s.future_skew_s),
            now - timedelta(seconds=s.live_max_age_s),
            now - timedelta(days=s.max_age_days),
        )

    def judge(self, decoded: Decoded) -> tuple[Decoded | Rejection, int]:
        """The payload as the hub takes it (or its refusal), and how many of its live fixes
        were taken as history for being stale."""
        if isinstance(decoded, DistressPayload):
            if self.live <= decoded.ts <= self.future:
                return decoded, 0
            return decoded.model_copy(update={"ts": self.now}), 0
        if isinstance(decoded, list):
            return self._fixes(decoded)
        ts = getattr(decoded, "ts", None)
        if isinstance(ts, datetime):
            refusal = self._bounds(ts)
            if refusal is not None:
                return refusal, 0
        return decoded, 0

    def _fixes(self, decoded: list) -> tuple[list[Fix] | Rejection, int]:  # type: ignore[type-arg]
        fixes: list[Fix] = []
        stale = 0
        for item in decoded:
            if not isinstance(item, Fix):
                return decoded, 0  # NMEA lines: their times are checked by their parser
            refusal = self._bounds(item.ts)
            if refusal is not None:
                return refusal, 0
            if not item.backfill and item.ts < self.live:
                item = item.model_copy(update={"backfill": True})
                stale += 1
            fixes.append(item)
        return fixes, stale

    def _bounds(self, ts: datetime) -> Rejection | None:
        if ts > self.future:
            return Rejection(
                RejectReason.TS_IN_FUTURE,
                f"timestamp {ts.isoformat()} is ahead of the hub's clock {self.now.isoformat()}",
            )
        if ts < self.oldest:
            return Rejection(
                RejectReason.TS_TOO_OLD,
                f"timestamp {ts.isoformat()} is older than the hub keeps "
                f"(before {self.oldest.isoformat()})",
            )
        return None
