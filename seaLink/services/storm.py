"""Alert storms (90 boats out of coverage in a typhoon's rain bands) must not bury the duty
officer's phone: what is not a distress is gathered and sent as one notification per grid, kind
and level each window ("G08: 14 boats out of coverage"), and no person gets more than a set
number of messages an hour on a paid channel: the rest wait for a digest. A distress call, or
anything critical, is never held: it goes out at once, alone.

Pure bookkeeping, no I/O: the alerting service asks, sends and records."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from seaLink.domain.escalation import policy_key

BucketKey = tuple[str, str, int]  # grid, kind of alert, level


def urgent(alert: dict[str, Any]) -> bool:
    """Never gathered nor held: a distress (any source) or a critical alert."""
    return alert["type"] == "distress" or alert.get("severity") == "critical"


@dataclass
class _Bucket:
    due: datetime
    alerts: list[dict[str, Any]] = field(default_factory=list)


class StormGate:
    """Gathers non-urgent notifications per (grid, kind, level) for `window`."""

    def __init__(self, window: timedelta) -> None:
        self._window = window
        self._buckets: dict[BucketKey, _Bucket] = {}

    def hold(self, alert: dict[str, Any], level: int, now: datetime) -> datetime:
        """Keep it for its bucket; returns when the bucket is due."""
        key = (str(alert["grid_id"]), policy_key(str(alert["type"])), level)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(now + self._window)
        bucket.alerts.append(alert)
        return bucket.due

    def due(self, now: datetime) -> list[tuple[BucketKey, list[dict[str, Any]]]]:
        out = [(k, b.alerts) for k, b in self._buckets.items() if b.due <= now]
        for k, _ in out:
            del self._buckets[k]
        return out

    def next_due(self) -> datetime | None:
        return min((b.due for b in self._buckets.values()), default=None)

    def __len__(self) -> int:
        return sum(len(b.alerts) for b in self._buckets.values())


class RateLimit:
    """At most `per_hour` messages to one recipient on one channel in any hour; what is over the
    limit is kept for that recipient's digest."""

    def __init__(self, per_hour: int) -> None:
        self._per_hour = per_hour
        self._sent: dict[tuple[str, str], deque[datetime]] = defaultdict(deque)
        self.digest: dict[tuple[str, str], list[Any]] = defaultdict(list)

    def allow(self, recipient: str, channel: str, now: datetime) -> bool:
        times = self._sent[(recipient, channel)]
        while times and now - times[0] >= timedelta(hours=1):
            times.popleft()
        if len(times) >= self._per_hour:
            return False
        times.append(now)
        return True

    def defer(self, recipient: str, channel: str, item: Any) -> None:
        self.digest[(recipient, channel)].append(item)

    def take_digests(self) -> dict[tuple[str, str], list[Any]]:
        out, self.digest = dict(self.digest), defaultdict(list)
        return out
