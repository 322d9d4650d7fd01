"""Who transmitted an AIS message: vessel, distress beacon, aid to navigation, base station, net
buoy...

MMSIs are padded to nine digits first. The rules are data (`PREFIX_CLASSES`, `BUOY_TYPES`,
`BASE_STATION_TYPES`, `BUOY_NAME_PATTERNS`):

* 970/972/974 + 6 digits: AIS-SART, man-overboard device, EPIRB-AIS;
* 111 + 6: SAR aircraft; 99 + 7: aid to navigation; 98 + MID: craft of a parent ship (vessel);
* 00 + MID + 4: a base (coast) station, but only for base-station message types;
* MID (2xx-7xx) + 6: a vessel when the MID is allocated;
* any other number (unallocated MID, or shorter than nine digits on air, e.g. a "base station"
  sending vessel position reports) on a position or static report: a probable net buoy;
* any station whose name reads like a buoy's telemetry ("12.5V", "80%", "NET-3", "BUOY"):
  a probable net buoy from then on.
"""

from __future__ import annotations

import re

from pyais.constants import COUNTRY_MAPPING

from seaLink.wire.gateway import AisClass

ALLOCATED_MIDS: frozenset[int] = frozenset(COUNTRY_MAPPING)

# (first digits of the padded MMSI, class), longest prefixes first.
PREFIX_CLASSES: tuple[tuple[str, AisClass], ...] = (
    ("970", AisClass.SART),
    ("972", AisClass.MOB),
    ("974", AisClass.EPIRB),
    ("111", AisClass.SAR_AIRCRAFT),
    ("99", AisClass.ATON),
)

# Messages net buoys are seen to send (class A/B position and static reports).
BUOY_TYPES = frozenset({1, 2, 3, 5, 18, 19, 24})
# Messages a base station sends; anything else from a 00MID number is not a base station.
BASE_STATION_TYPES = frozenset({4, 6, 7, 8, 10, 12, 13, 14, 15, 16, 17, 20, 22, 23, 25, 26})

BUOY_NAME_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b\d{1,2}(\.\d{1,2})?\s?V\b"),  # battery voltage, "12.5V"
    re.compile(r"\b\d{1,3}\s?%(\s|$)"),  # battery percent, "80%"
    re.compile(r"^(NET|BUOY|FISHNET|NETBUOY)\b"),
    re.compile(r"\bBUOY\b"),
)


_RENAMEABLE = frozenset({AisClass.VESSEL, AisClass.UNKNOWN, AisClass.NET_BUOY})


def pad_mmsi(mmsi: int) -> str:
    return f"{mmsi:09d}"


def name_looks_like_buoy(name: str) -> bool:
    return any(p.search(name) for p in BUOY_NAME_PATTERNS)


def classify_mmsi(mmsi: int, msg_type: int) -> AisClass:
    """The class from the number (and message type) alone."""
    padded = pad_mmsi(mmsi)
    for prefix, cls in PREFIX_CLASSES:
        if padded.startswith(prefix):
            return cls
    first = padded[0]
    if padded.startswith("98"):
        return AisClass.VESSEL if int(padded[2:5]) in ALLOCATED_MIDS else AisClass.UNKNOWN
    if first == "8":  # handheld VHF with AIS: a person or a small craft, not a boat's station
        return AisClass.UNKNOWN
    if padded.startswith("00") and int(padded[2:5]) in ALLOCATED_MIDS:
        if msg_type in BASE_STATION_TYPES:
            return AisClass.BASE_STATION
    elif "2" <= first <= "7" and int(padded[:3]) in ALLOCATED_MIDS:
        return AisClass.VESSEL
    # A made-up number (unallocated MID, or fewer than nine digits on air) on a report that
    # buoys send: a probable net buoy. Anything else we cannot place.
    return AisClass.NET_BUOY if msg_type in BUOY_TYPES else AisClass.UNKNOWN


class Classifier:
    """`classify_mmsi` with a cache (keyed by MMSI and message type, read directly by the
    pipeline), plus the buoys recognised by their names."""

    def __init__(self, max_cached: int = 200_000) -> None:
        self.cache: dict[int, tuple[str, str]] = {}
        self.named_buoys: set[int] = set()
        self._max = max_cached

    def note_name(self, mmsi: int, name: str | None) -> None:
        """Remember a station whose static report names it like a net buoy."""
        if mmsi in self.named_buoys or not name or not name_looks_like_buoy(name):
            return
        if classify_mmsi(mmsi, 5) in _RENAMEABLE:
            self.named_buoys.add(mmsi)
            for msg_type in range(32):  # forget what its number alone said
                self.cache.pop((mmsi << 5) | msg_type, None)

    def classify(self, mmsi: int, msg_type: int) -> tuple[str, str]:
        """(MMSI padded to nine digits, class value)."""
        key = (mmsi << 5) | msg_type
        found = self.cache.get(key)
        if found is None:
            if len(self.cache) >= self._max:
                self.cache.clear()
            cls = AisClass.NET_BUOY if mmsi in self.named_buoys else classify_mmsi(mmsi, msg_type)
            found = self.cache[key] = (pad_mmsi(mmsi), cls.value)
        return found
