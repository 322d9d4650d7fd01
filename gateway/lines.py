"""Bytes as they arrive from a port -> whole lines (without the line end).

Receivers end their lines with CR LF (NMEA 0183), LF, or CR alone (some AIS receivers): all
three end a line (issue 15.13). A CR LF split between two chunks gives an empty line, which is
dropped like every empty line. A last line that never gets its end (a receiver switched off, a
replay file without a final line end) is handed out by `flush`: the gateways call it when the
source ends or has been quiet for a moment.
"""

from __future__ import annotations


class LineSplitter:
    """Keeps the unfinished tail between chunks; a line longer than `max_line` is dropped."""

    def __init__(self, max_line: int = 4096) -> None:
        self._tail = b""
        self._max = max_line
        self.overflows = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._tail + chunk if self._tail else chunk
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        parts = data.split(b"\n")
        tail = parts.pop()
        if len(tail) > self._max:
            self.overflows += 1
            tail = b""
        self._tail = tail
        return [p for p in parts if p]

    @property
    def pending(self) -> bool:
        """Whether an unfinished line is waiting for its end."""
        return bool(self._tail)

    def flush(self) -> list[bytes]:
        """The unfinished line as a whole line (none if there is nothing waiting)."""
        tail, self._tail = self._tail, b""
        return [tail] if tail.strip() else []

    def reset(self) -> None:
        """Forget a partial line (the port was reopened)."""
        self._tail = b""
