"""NMEA 4.0 tag blocks (`\\s:station,c:unixtime*hh\\`) and the USCG trailer (`...*hh,r<station>,<time>`).

Only what the gateway uses is kept: the receiving station (s:), the receive time (c:), and the
sentence group (g:). A tag block whose checksum is wrong is refused as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from seaLink.wire.checksum import xor_checksum

# c: values outside these years are not times (seconds); milliseconds are accepted too.
_MIN_UNIX = 946_684_800  # 2000-01-01
_MAX_UNIX = 4_102_444_800  # 2100-01-01


@dataclass(frozen=True, slots=True)
class TagBlock:
    source: str | None = None
    unix_time: float | None = None
    group: tuple[int, int, int] | None = None  # (sentence number, total, group id)


def parse_tag_block(raw: bytes) -> TagBlock | None:
    """The fields of a tag block (without its backslashes), or None when it is malformed."""
    star = raw.find(b"*")
    if star >= 0:
        given = raw[star + 1 :]
        if len(given) != 2:
            return None
        try:
            expected = int(given, 16)
        except ValueError:
            return None
        raw = raw[:star]
        if xor_checksum(raw) != expected:
            return None
    if not raw.isascii():
        return None
    source: str | None = None
    unix_time: float | None = None
    group: tuple[int, int, int] | None = None
    for item in raw.split(b","):
        key, sep, value = item.partition(b":")
        if not sep:
            return None
        if key == b"s":
            source = value.decode()
        elif key == b"c":
            unix_time = parse_unix_time(value)
        elif key == b"g":
            group = _parse_group(value)
    return TagBlock(source, unix_time, group)


def parse_unix_time(value: bytes) -> float | None:
    """Seconds (or milliseconds) since 1970 -> seconds, if plausible."""
    try:
        number = float(value)
    except ValueError:
        return None
    for candidate in (number, number / 1000.0):
        if _MIN_UNIX <= candidate < _MAX_UNIX:
            return candidate
    return None


def _parse_group(value: bytes) -> tuple[int, int, int] | None:
    parts = value.split(b"-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def parse_uscg_trailer(trailer: bytes) -> TagBlock | None:
    """`,d-109,S2105,...,r003669946,1325394060,1325394001`: station (r/b prefix) and unix time."""
    source: str | None = None
    unix_time: float | None = None
    for item in trailer.split(b","):
        if not item:
            continue
        first = item[:1]
        if first in (b"r", b"b") and item[1:].isdigit():
            source = item.decode()
        elif unix_time is None and item.isdigit():
            unix_time = parse_unix_time(item)
    if source is None and unix_time is None:
        return None
    return TagBlock(source, unix_time, None)
