"""Bytes as they arrive from a port -> whole lines (without the line end)."""

from __future__ import annotations


class LineSplitter:
    """Keeps the unfinished tail between chunks; a line longer than `max_line` is dropped."""

    def __init__(self, max_line: int = 4096) -> None:
        self._tail = b""
        self._max = max_line
        self.overflows = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._tail + chunk if self._tail else chunk
        parts = data.split(b"\n")
        tail = parts.pop()
        if len(tail) > self._max:
            self.overflows += 1
            tail = b""
        self._tail = tail
        return [p for p in parts if p and p != b"\r"]

    def reset(self) -> None:
        """Forget a partial line (the port was reopened)."""
        self._tail = b""
