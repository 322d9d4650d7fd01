"""Multi-sentence AIS messages: fragments joined by (talker, channel, sequential id, count).

A station sends the fragments of one message one after the other, in order, and a receiver
hands them on in that order; the sequential id (0-9) is reused for later messages. So a group
takes only a fragment numbered above every fragment it holds: a fragment numbered at or below
(a part 1 after a part 2, say) belongs to a new message that reuses the id, and the old,
incomplete group is dropped. Without that rule a part 2 whose part 1 was lost would wait and be
joined to the next message's part 1 (issue 15.11). A fragment seen twice (same number, same
payload) is a duplicate. A group that is not complete within `timeout_s` of its first fragment
is dropped. Dropped fragments count as `orphan_fragment` when the group never had its first
fragment, else as `stale_fragment`.
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
    last: int = 0  # the highest fragment number held
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
        if group is not None and sentence.part <= group.last:
            held = group.parts[sentence.part - 1]
            if held is not None and held.payload == sentence.payload:
                self._counters.reject(AisReject.DUPLICATE_FRAGMENT)
                return None
            self._drop(key, group)  # a new message reusing the id: the old one cannot end
            group = None
        if group is None:
            group = _Group(now, [None] * sentence.total)
            self._groups[key] = group
        group.parts[sentence.part - 1] = sentence
        group.held += 1
        group.last = sentence.part
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
