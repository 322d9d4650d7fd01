"""Whose turn it is on the hub's one event loop: a person waiting first, bulk work after.

Bulk work (an ingest batch, a fan-out, the outbox's bookkeeping) gives the loop back a slice at
a time. A slice of each of them runs in every turn of the loop, and a coordinator's read waits a
whole turn for each of its store trips: with 10,000 deliveries changing, a broadcast's roll-up
(four trips) took 100-200 ms. While a request is being answered, bulk work waits at its next
slice (never longer than `HOLD_MAX_S` a slice, so a stream of requests cannot stop the hub
hearing boats) and the request's trips are served in turns of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from seaLink.store.write_gate import URGENT, write_priority

HOLD_MAX_S = 0.05


class Turns:
    def __init__(self) -> None:
        self._people = 0
        self._none_waiting = asyncio.Event()
        self._none_waiting.set()

    @contextlib.contextmanager
    def person(self) -> Iterator[None]:
        """While a request is answered."""
        self._people += 1
        self._none_waiting.clear()
        try:
            yield
        finally:
            self._people -= 1
            if not self._people:
                self._none_waiting.set()

    async def bulk(self) -> None:
        """Between two slices of bulk work: a turn for the others, and the requests first. The
        distress lane waits for no one. Not for a request's own work: it would wait for itself
        (the cap a slice)."""
        if not self._people or write_priority() == URGENT:
            await asyncio.sleep(0)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._none_waiting.wait(), HOLD_MAX_S)


_turns: dict[asyncio.AbstractEventLoop, Turns] = {}


def turns() -> Turns:
    """The running loop's (each test's hub runs on a loop of its own)."""
    loop = asyncio.get_running_loop()
    found = _turns.get(loop)
    if found is None:
        if len(_turns) > 64:
            _turns.clear()  # loops of finished tests
        found = _turns[loop] = Turns()
    return found


async def bulk_turn() -> None:
    await turns().bulk()
