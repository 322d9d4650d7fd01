"""In-process publish/subscribe of events for the live console and other notifiers.

Subscribers get a bounded queue; a slow subscriber loses its oldest events (and is told how many)
rather than slowing the hub. Durable state is always in the store; events are the live view.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    def __init__(self, history: int = 10_000) -> None:
        self._ids = itertools.count(1)
        self._subscribers: set[asyncio.Queue[Event]] = set()
        self._history: list[Event] = []
        self._history_max = history

    def publish(self, type_: str, data: dict[str, Any]) -> Event:
        ev = Event(next(self._ids), type_, data)
        self._history.append(ev)
        if len(self._history) > self._history_max:
            del self._history[: len(self._history) // 2]
        for q in self._subscribers:
            if q.full():
                q.get_nowait()
            q.put_nowait(ev)
        return ev

    def subscribe(self, maxsize: int = 5000) -> asyncio.Queue[Event]:
        q: asyncio.Queue[Event] = asyncio.Queue(maxsize)
        self._subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[Event]) -> None:
        self._subscribers.discard(q)

    def since(self, last_id: int) -> list[Event]:
        """Events after `last_id` still in memory (for a reconnecting client)."""
        return [e for e in self._history if e.id > last_id]
