"""Class B static data comes in two parts (type 24 A: name; B: call sign and ship type), joined
here by MMSI so that each published part carries what is known of the other."""

from __future__ import annotations

from typing import Any

_JOINED = ("name", "callsign", "ship_type")


class ClassBStatics:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._known: dict[int, dict[str, Any]] = {}
        self._max = max_entries

    def join(self, mmsi: int, event: dict[str, Any]) -> None:
        """Remember this part's fields and fill the event with the other part's."""
        known = self._known.get(mmsi)
        if known is None:
            if len(self._known) >= self._max:
                self._known.clear()
            known = self._known[mmsi] = {}
        for key in _JOINED:
            if key in event:
                known[key] = event[key]
        for key, value in known.items():
            event.setdefault(key, value)
