"""The contact watch's bookkeeping, without I/O: who was heard when, and who is due for a look.

Each vessel has at most one live entry in a deadline heap. Hearing from a vessel only updates its
record (O(1)); when its deadline comes, the vessel is judged again and either changes state or is
scheduled for its next deadline. So a fleet that reports on time, or that is all quiet, costs
nothing between deadlines, whatever its size.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from seaLink.domain.contact import ContactRules, ContactState, Judgement, LostPhase, judge


@dataclass(slots=True)
class VesselContact:
    vessel_id: str
    grid_id: str
    interval_s: int | None
    last_heard: datetime | None = None
    last_link: str | None = None
    in_port: bool = False
    state: ContactState = ContactState.UNKNOWN
    phase: LostPhase | None = None
    since: datetime | None = None
    scheduled: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContactChange:
    vessel_id: str
    grid_id: str
    at: datetime
    old_state: ContactState
    old_phase: LostPhase | None
    state: ContactState
    phase: LostPhase | None
    last_heard: datetime | None
    link: str | None


class ContactBook:
    def __init__(self, rules: ContactRules) -> None:
        self.rules = rules
        self.vessels: dict[str, VesselContact] = {}
        self.typhoon = False
        self.hold_until: datetime | None = None  # no worsening before this (start-up grace)
        self._heap: list[tuple[datetime, str]] = []
        self._counts: dict[ContactState, int] = dict.fromkeys(ContactState, 0)

    def __len__(self) -> int:
        return len(self.vessels)

    @property
    def next_deadline(self) -> datetime | None:
        return self._heap[0][0] if self._heap else None

    def register(self, vc: VesselContact) -> None:
        old = self.vessels.get(vc.vessel_id)
        if old is not None:
            self._counts[old.state] -= 1
        self.vessels[vc.vessel_id] = vc
        self._counts[vc.state] += 1

    def schedule(self, vc: VesselContact, when: datetime | None) -> None:
        """Ask for a look at `when`, unless an earlier look is already booked."""
        if when is None:
            return
        if vc.scheduled is not None and vc.scheduled <= when:
            return
        vc.scheduled = when
        heapq.heappush(self._heap, (when, vc.vessel_id))

    def heard(
        self, vessel_id: str, at: datetime, link: str, in_port: bool | None, now: datetime
    ) -> ContactChange | None:
        vc = self.vessels.get(vessel_id)
        if vc is None:
            return None
        if vc.last_heard is None or at > vc.last_heard:
            vc.last_heard = at
            vc.last_link = link
        same_place = in_port is None or in_port == vc.in_port
        if same_place and vc.state is ContactState.OK and vc.scheduled is not None:
            # Heard again and still where it was: it stays in contact, and the look already
            # booked comes no later than the new judgement's would (a broadcast's acks hear
            # every boat at once).
            return None
        if in_port is not None:
            vc.in_port = in_port
        return self._rejudge(vc, now)

    def set_typhoon(self, active: bool, now: datetime) -> list[ContactChange]:
        self.typhoon = active
        changes = []
        for vc in self.vessels.values():
            if vc.state in (ContactState.OVERDUE, ContactState.LOST):
                change = self._rejudge(vc, now)
                if change:
                    changes.append(change)
        return changes

    def due(self, now: datetime) -> list[ContactChange]:
        """Judge every vessel whose deadline has come; return the changes."""
        changes = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            when, vid = heapq.heappop(heap)
            vc = self.vessels.get(vid)
            if vc is None or vc.scheduled != when:
                continue  # superseded by an earlier booking, or vessel removed
            vc.scheduled = None
            change = self._rejudge(vc, now)
            if change:
                changes.append(change)
        return changes

    def _rejudge(self, vc: VesselContact, now: datetime) -> ContactChange | None:
        if vc.last_heard is None:
            return None
        j = judge(
            last_heard=vc.last_heard,
            now=now,
            in_port=vc.in_port,
            typhoon=self.typhoon,
            rules=self.rules,
            interval_s=vc.interval_s,
        )
        if self.hold_until is not None and now < self.hold_until and _worse(j, vc):
            # Just started: the broker may still be handing us what the vessel sent meanwhile.
            self.schedule(vc, self.hold_until)
            return None
        self.schedule(vc, j.next_check)
        if j.state == vc.state and j.phase == vc.phase:
            return None
        change = ContactChange(
            vessel_id=vc.vessel_id,
            grid_id=vc.grid_id,
            at=now,
            old_state=vc.state,
            old_phase=vc.phase,
            state=j.state,
            phase=j.phase,
            last_heard=vc.last_heard,
            link=vc.last_link,
        )
        self._counts[vc.state] -= 1
        self._counts[j.state] += 1
        vc.state, vc.phase, vc.since = j.state, j.phase, now
        return change

    def counts(self) -> dict[str, int]:
        return {s.value: n for s, n in self._counts.items()}


_RANK = {
    ContactState.UNKNOWN: 0,
    ContactState.OK: 0,
    ContactState.OVERDUE: 1,
    ContactState.MAINTENANCE: 1,
    ContactState.LOST: 2,
}
_PHASE_RANK = {None: 0, LostPhase.UNCERTAINTY: 1, LostPhase.ALERT: 2, LostPhase.DISTRESS: 3}


def _worse(j: Judgement, vc: VesselContact) -> bool:
    return (_RANK[j.state], _PHASE_RANK[j.phase]) > (_RANK[vc.state], _PHASE_RANK[vc.phase])
