"""In-process publish/subscribe of events for the live console and other notifiers.

Durable events (alerts, contact changes, deliveries, requests) get increasing ids and are kept in a
bounded history, so a client that reconnects with its last id gets what it missed. Volatile events
(positions) are only sent live: a reconnecting client re-reads the latest positions.
A slow subscriber never slows the hub: its queue drops the oldest events and it is told to resync.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    id: int | None  # None for volatile events
    type: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def grid_id(self) -> str | None:
        g = self.data.get("grid_id")
        return g if isinstance(g, str) else None


class Subscription:
    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self.dropped = 0

    def offer(self, ev: Event) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(ev)


class EventBus:
    def __init__(self, history: int = 20_000) -> None:
        # Ids start from the clock in milliseconds, so they keep increasing across hub restarts
        # and a client's id from before a restart is recognised as too old to replay.
        self._ids = itertools.count(int(time.time() * 1000))
        self._subscribers: set[Subscription] = set()
        self._history: deque[Event] = deque(maxlen=history)
        # Several hubs: events raised here are also handed to the relay (type, data, volatile).
        self.on_local: list[Callable[[str, dict[str, Any], bool], None]] = []

    def publish(
        self, type_: str, data: dict[str, Any], *, volatile: bool = False, relayed: bool = False
    ) -> Event:
        """Announce an event; `relayed` marks one that another hub raised (not relayed again)."""
        ev = Event(None if volatile else next(self._ids), type_, data)
        if not relayed:
            for relay in self.on_local:
                relay(type_, data, volatile)
        if not volatile:
            self._history.append(ev)
        for sub in self._subscribers:
            sub.offer(ev)
        return ev

    def subscribe(self, maxsize: int = 10_000) -> Subscription:
        sub = Subscription(maxsize)
        self._subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

    @property
    def last_id(self) -> int:
        return (self._history[-1].id or 0) if self._history else 0

    def since(self, last_id: int) -> list[Event] | None:
        """Durable events after `last_id`, or None if the history no longer reaches back."""
        if not self._history or last_id > self.last_id:
            return None
        first = self._history[0].id or 0
        if last_id < first - 1:
            return None
        return [e for e in self._history if (e.id or 0) > last_id]
