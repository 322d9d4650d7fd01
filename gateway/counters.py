"""Counters by name: lines read, events published, rejections by reason."""

from __future__ import annotations

from collections import Counter


class Counters:
    """A named tally. Rejection counters are named `rejected.<reason>`."""

    def __init__(self) -> None:
        self._tally: Counter[str] = Counter()

    def inc(self, name: str, n: int = 1) -> None:
        self._tally[name] += n

    def reject(self, reason: str, n: int = 1) -> None:
        self._tally[f"rejected.{reason}"] += n

    def __getitem__(self, name: str) -> int:
        return self._tally[name]

    def rejected(self, reason: str) -> int:
        return self._tally[f"rejected.{reason}"]

    def rejections(self) -> dict[str, int]:
        """Rejections by reason (without the `rejected.` prefix)."""
        return {k[9:]: v for k, v in self._tally.items() if k.startswith("rejected.") and v}

    def snapshot(self) -> dict[str, int]:
        return dict(self._tally)
