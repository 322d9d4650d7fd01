"""Multi-sentence AIS messages: fragments joined by (talker, channel, sequential id, count).

Fragments may come in any order. A group that is not complete within `timeout_s` of its first
fragment is dropped: its fragments count as `orphan_fragment` when the first fragment never came,
else as `stale_fragment`. A fragment number seen twice in one group means the sender reused the
sequential id for a new message: the old, incomplete group is dropped the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.ais.framing import Sentence
from gateway.ais.reasons import AisReject
from gateway.ais.tagblock import TagBlock
from gateway.counters import Counters

GroupKey = tuple[bytes, bytes, bytes, int]


@dataclass(slots=True)
class Message:
    """A whole AIS message: the joined payload and the sentences it came in."""

    payload: bytes
    fill: int
    sentences: list[bytes]
    channel: bytes
    tag: TagBlock | None


@dataclass(slots=True)
class _Group:
    first_seen: float
    parts: list[Sentence | None]
    held: int = 0
    tag: TagBlock | None = field(default=None)


class Reassembler:
    def __init__(self, counters: Counters, timeout_s: float = 10.0) -> None:
        self._counters = counters
        self._timeout = timeout_s
        self._groups: dict[GroupKey, _Group] = {}

    @property
    def pending(self) -> int:
        """Groups waiting for fragments."""
        return len(self._groups)

    def add(self, sentence: Sentence, now: float) -> Message | None:
        """Hold a fragment; return the message when its last missing fragment arrives."""
        key = (sentence.talker, sentence.channel, sentence.seq, sentence.total)
        group = self._groups.get(key)
        if group is not None and group.parts[sentence.part - 1] is not None:
            held = group.parts[sentence.part - 1]
            if held is not None and held.payload == sentence.payload:
                self._counters.reject(AisReject.DUPLICATE_FRAGMENT)
                return None
            self._drop(key, group)
            group = None
        if group is None:
            group = _Group(now, [None] * sentence.total)
            self._groups[key] = group
        group.parts[sentence.part - 1] = sentence
        group.held += 1
        if sentence.tag is not None and (group.tag is None or sentence.part == 1):
            group.tag = sentence.tag
        if group.held < sentence.total:
            return None
        del self._groups[key]
        parts = [p for p in group.parts if p is not None]
        return Message(
            b"".join(p.payload for p in parts),
            parts[-1].fill,
            [p.raw for p in parts],
            sentence.channel,
            group.tag,
        )

    def expire(self, now: float) -> int:
        """Drop groups older than the timeout; returns how many fragments were dropped."""
        dropped = 0
        deadline = now - self._timeout
        for key, group in list(self._groups.items()):
            if group.first_seen > deadline:
                break  # groups are kept in creation order
            dropped += self._drop(key, group)
        return dropped

    def _drop(self, key: GroupKey, group: _Group) -> int:
        del self._groups[key]
        reason = (
            AisReject.STALE_FRAGMENT if group.parts[0] is not None else AisReject.ORPHAN_FRAGMENT
        )
        self._counters.reject(reason, group.held)
        return group.held
