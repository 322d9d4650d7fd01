"""The shore Beidou terminals as a pool: which gateway (one terminal and card each) sends next.

Each online Beidou gateway with its card read is a member, with its own service interval from its
status. A message goes to the member that would finish it first: the fewest messages handed to it
and not yet answered, weighted by its interval. A member whose sends fail `STRIKES` times in a row
(terminal failure, inhibition, no feedback, refused as too soon) is taken out for `PAUSE_S`, then
back in; one success clears its strikes. A gateway that goes offline is out until it is back.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from seaLink.wire.gateway import BeidouTxResult, GatewayKind, GatewayState, TxOutcome

if TYPE_CHECKING:
    from seaLink.services.gateway_uplinks import GatewayUplinks
    from seaLink.services.registry import RegistryCache

STRIKES = 3
PAUSE_S = 300
# Failures that say something about the card or terminal (not about the message).
_CARD_FAILURES = frozenset({"terminal_failed", "inhibited", "no_feedback", "too_soon"})


class BeidouPool:
    """The outbox's view of the Beidou link: cards from the registry, gateways and results from
    what the gateways publish, and the choice of gateway for each message."""

    def __init__(self, uplinks: GatewayUplinks, registry: RegistryCache) -> None:
        self._uplinks = uplinks
        self._registry = registry
        self.results: deque[tuple[str, BeidouTxResult]] = uplinks.tx_results
        self.outstanding: dict[str, int] = {}
        self.strikes: dict[str, int] = {}
        self.paused_until: dict[str, datetime] = {}
        self.handed: dict[str, int] = {}  # messages handed to each gateway (for the record)

    def card_of(self, vessel_id: str) -> str | None:
        info = self._registry.get(vessel_id)
        return info.beidou_card if info else None

    def members(self, now: datetime | None = None) -> list[str]:
        """Online Beidou gateways with their card read, not paused, by id."""
        out = []
        for gid, st in sorted(self._uplinks.status.items()):
            if st.kind is not GatewayKind.BEIDOU or st.state is not GatewayState.ONLINE:
                continue
            if not st.card:
                continue
            until = self.paused_until.get(gid)
            if until is not None and now is not None and now < until:
                continue
            out.append(gid)
        return out

    def gateway(self, now: datetime | None = None) -> str | None:
        """A member, if there is any (Beidou can be used now)."""
        members = self.members(now)
        return members[0] if members else None

    def pick(self, now: datetime) -> str | None:
        """The member that would send one more message soonest."""
        members = self.members(now)
        if not members:
            return None

        def finish(gid: str) -> tuple[float, int, str]:
            interval = self._uplinks.status[gid].interval_s or 60.0
            return ((self.outstanding.get(gid, 0) + 1) * interval, self.handed.get(gid, 0), gid)

        gid = min(members, key=finish)
        self.outstanding[gid] = self.outstanding.get(gid, 0) + 1
        self.handed[gid] = self.handed.get(gid, 0) + 1
        return gid

    def answered(self, gid: str, result: BeidouTxResult, now: datetime) -> None:
        """A gateway's result for a message: its load and its health."""
        if self.outstanding.get(gid, 0) > 0:
            self.outstanding[gid] -= 1
        if result.outcome is TxOutcome.SENT:
            self.strikes.pop(gid, None)
            self.paused_until.pop(gid, None)
        elif result.reason in _CARD_FAILURES:
            self.strikes[gid] = self.strikes.get(gid, 0) + 1
            if self.strikes[gid] >= STRIKES:
                self.paused_until[gid] = now + timedelta(seconds=PAUSE_S)
                self.strikes[gid] = 0
