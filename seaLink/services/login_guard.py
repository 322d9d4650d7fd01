"""Failed logins slow the one who fails, not the account's owner (issue 12.4).

Failures are counted per (user name, client address) and per client address: past
`max_failures` in a row for one name from one address, that name may be tried from that address
again only after a wait that doubles with each further failure (1 s, 2 s, 4 s, ... at most
`max_wait_s`); past `address_max_failures` for any names from one address, the address waits
the same way for every name (password spraying). A correct login from another address is never
held up: an attacker cannot lock the owner out, only himself. Names that do not exist are counted
exactly like names that do, so the answers (401, then 429 with Retry-After) tell nothing about
which names exist.

The counts live in the hub's memory: a restart forgets them, and each hub of a cluster counts
its own (docs/operations.md, security).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_ENTRIES = 100_000


@dataclass
class _Count:
    failures: int = 0
    last: datetime | None = None
    until: datetime | None = None  # no attempt before this


class LoginThrottle:
    def __init__(self, *, max_failures: int, address_max_failures: int, max_wait_s: int) -> None:
        self._max = max_failures
        self._address_max = address_max_failures
        self._max_wait = max_wait_s
        self._counts: dict[tuple[str, str], _Count] = {}

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("name", f"{username.casefold()}\x00{address}"), ("addr", address)

    def _fresh(self, key: tuple[str, str], now: datetime) -> _Count | None:
        c = self._counts.get(key)
        # A count is forgotten once it has been quiet for the longest wait after its last block.
        if c is not None and c.last is not None:
            quiet_since = max(c.last, c.until or c.last)
            if (now - quiet_since).total_seconds() > self._max_wait:
                del self._counts[key]
                return None
        return c

    def wait_s(self, username: str, address: str, now: datetime) -> int:
        """Seconds this name must wait before it may be tried from this address (0: go on)."""
        wait = 0.0
        for key in self._keys(username, address):
            c = self._fresh(key, now)
            if c is not None and c.until is not None and c.until > now:
                wait = max(wait, (c.until - now).total_seconds())
        return math.ceil(wait)

    def failed(self, username: str, address: str, now: datetime) -> int:
        """Count a failure; the wait it starts now (0: none yet)."""
        started = 0
        for key, limit in zip(
            self._keys(username, address), (self._max, self._address_max), strict=True
        ):
            c = self._fresh(key, now) or self._counts.setdefault(key, _Count())
            c.failures += 1
            c.last = now
            if c.failures >= limit:
                wait = min(2 ** min(c.failures - limit, 30), self._max_wait)
                c.until = now + timedelta(seconds=wait)
                started = max(started, wait)
        if len(self._counts) > MAX_ENTRIES:
            oldest = sorted(self._counts.items(), key=lambda kv: kv[1].last or now)
            for key, _ in oldest[: MAX_ENTRIES // 10]:
                del self._counts[key]
        return started

    def succeeded(self, username: str, address: str) -> None:
        """A correct login: this name's count from this address starts again (the address's
        count across names stays, so one known password does not reset a spraying run)."""
        self._counts.pop(self._keys(username, address)[0], None)
