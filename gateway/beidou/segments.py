"""Long messages over Beidou: split into numbered parts, joined again on the other side.

A part starts with a five-byte ASCII header `%RRIN`: `RR` a message reference (two base-36
digits, per sender), `I` the part number and `N` the number of parts (one base-36 digit each,
1-35). A message that fits in one Beidou message is sent as is, with no header. Text is split
between characters, never inside a GB18030 character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gateway.beidou.content import TEXT_ENCODING

HEADER_MARK = b"%"
HEADER_LEN = 5
MAX_PARTS = 35
_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_HEADER = re.compile(rb"^%([0-9A-Z]{2})([1-9A-Z])([1-9A-Z])")


class TooLong(ValueError):
    """The message needs more than `MAX_PARTS` parts at this card's length."""


def _b36(n: int, width: int) -> str:
    out = ""
    for _ in range(width):
        n, d = divmod(n, 36)
        out = _DIGITS[d] + out
    return out


def split_text(text: str, limit: int, ref: int) -> list[bytes]:
    """Encode `text` in GB18030 and cut it into parts of at most `limit` bytes."""
    data = text.encode(TEXT_ENCODING)
    if len(data) <= limit:
        return [data]
    room = limit - HEADER_LEN
    if room < 4:
        raise TooLong(f"a {limit}-byte message cannot carry a part header")
    chunks: list[bytes] = []
    current = b""
    for ch in text:
        encoded = ch.encode(TEXT_ENCODING)
        if len(current) + len(encoded) > room:
            chunks.append(current)
            current = b""
        current += encoded
    if current:
        chunks.append(current)
    return _number(chunks, ref)


def split_bytes(data: bytes, limit: int, ref: int) -> list[bytes]:
    """Raw (code mode) content cut into parts of at most `limit` bytes."""
    if len(data) <= limit:
        return [data]
    room = limit - HEADER_LEN
    if room < 1:
        raise TooLong(f"a {limit}-byte message cannot carry a part header")
    return _number([data[i : i + room] for i in range(0, len(data), room)], ref)


def _number(chunks: list[bytes], ref: int) -> list[bytes]:
    total = len(chunks)
    if total > MAX_PARTS:
        raise TooLong(f"{total} parts, at most {MAX_PARTS}")
    head = "%" + _b36(ref % 1296, 2)
    return [
        (head + _DIGITS[i] + _DIGITS[total]).encode("ascii") + chunk
        for i, chunk in enumerate(chunks, start=1)
    ]


@dataclass(slots=True)
class _Pending:
    first_seen: float
    total: int
    parts: dict[int, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Joined:
    data: bytes
    parts: int


class Joiner:
    """Joins parts per (sender, reference); incomplete messages expire after `timeout_s`."""

    def __init__(self, timeout_s: float = 3600.0) -> None:
        self._timeout = timeout_s
        self._pending: dict[tuple[str, bytes], _Pending] = {}
        self.expired = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def feed(self, sender: str, data: bytes, now: float) -> Joined | None:
        """The whole message when complete (unsplit data passes straight through)."""
        match = _HEADER.match(data)
        if match is None:
            return Joined(data, 1)
        ref = match.group(1)
        index = _DIGITS.index(match.group(2).decode())
        total = _DIGITS.index(match.group(3).decode())
        if index > total:
            return Joined(data, 1)
        key = (sender, ref)
        pending = self._pending.get(key)
        if pending is None or pending.total != total:
            pending = self._pending[key] = _Pending(now, total)
        pending.parts[index] = data[HEADER_LEN:]
        if len(pending.parts) < total:
            return None
        del self._pending[key]
        return Joined(b"".join(pending.parts[i] for i in range(1, total + 1)), total)

    def expire(self, now: float) -> int:
        old = [k for k, p in self._pending.items() if now - p.first_seen > self._timeout]
        for key in old:
            del self._pending[key]
        self.expired += len(old)
        return len(old)
