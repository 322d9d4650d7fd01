"""The position reports that make up most AIS traffic (types 1, 2, 3 and 18), read field by field
straight off pyais's bit vector instead of through a whole pyais message object.

pyais builds every field of a message (turn rate, maneuver, RAIM, radio state...) into an attrs
object; the hub needs six of them. The bit offsets, widths, signs and unit conversions are not
written here: they are taken from pyais's own decoder plan for each message class, so the values
are pyais's to the last bit (tests compare both ways over every capture). Where pyais offers no
plan, or its bit vector does not keep the payload as one integer (PyPy), `READS` is empty and
every message goes through pyais's `from_vector`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

# One field to read: (event key, bit offset of its end, mask, sign bit or 0, pyais's conversion
# or None, lowest and highest value that is not "not available" or out of range).
FieldRead = tuple[str, int, int, int, Callable[[int], Any] | None, float, float]
# A type's reads: where its MMSI ends, the MMSI's mask, and the fields.
TypeReads = tuple[int, int, tuple[FieldRead, ...]]

# (event key, pyais field, valid range). Ends are inclusive and exact: 102.2 is 1022 / 10 and
# 359.9 is 3599 / 10, as pyais computes them; 91 degrees, 102.3 kn, 360 degrees, heading 511
# are the standard's "not available".
_CLASS_A = (
    ("nav_status", "status", 0, 15),
    ("sog", "speed", 0.0, 102.2),
    ("lon", "lon", -180.0, 180.0),
    ("lat", "lat", -90.0, 90.0),
    ("cog", "course", 0.0, 359.9),
    ("heading", "heading", 0, 359),
    ("utc_second", "second", 0, 59),  # the report's own UTC second (60-63: not a time)
)
_CLASS_B = _CLASS_A[1:]  # no navigational status
_WANTED = {1: _CLASS_A, 2: _CLASS_A, 3: _CLASS_A, 18: _CLASS_B}
_FLOAT_KIND = 2  # pyais's plan code for a float field (pyais.messages.FLOAT)


def _plan_reads(msg_type: int) -> TypeReads:
    """This type's reads, from pyais's decoder plan."""
    plan = {row[0]: row[1:] for row in MSG_CLASS[msg_type].decoder_plan()}
    mmsi_offset, mmsi_width = plan["mmsi"][:2]
    reads: list[FieldRead] = []
    for key, name, low, high in _WANTED[msg_type]:
        offset, width, signed, kind, convert = plan[name]
        if convert is None and kind == _FLOAT_KIND:
            convert = float
        sign = 1 << (width - 1) if signed else 0
        reads.append((key, offset + width, (1 << width) - 1, sign, convert, low, high))
    return mmsi_offset + mmsi_width, (1 << mmsi_width) - 1, tuple(reads)


def _usable() -> bool:
    """Whether this pyais has decoder plans and keeps a payload as one integer (CPython)."""
    return isinstance(getattr(bit_vector(b"1", 0), "_value", None), int) and all(
        hasattr(MSG_CLASS[t], "decoder_plan") for t in _WANTED
    )


READS: dict[int, TypeReads] = {t: _plan_reads(t) for t in _WANTED} if _usable() else {}


def read_fields(reads: TypeReads, payload: bytes, fill: int, event: dict[str, Any]) -> int:
    """Put the valid fields of a payload (long enough for its type) into `event`; returns the
    MMSI. Latitude and longitude are kept only as a pair: half a position is no position."""
    bits = bit_vector(payload, fill)
    value: int = bits._value  # type: ignore[attr-defined]  # there, as _usable() checked
    length = len(bits)
    mmsi_end, mmsi_mask, fields = reads
    for key, end, mask, sign, convert, low, high in fields:
        raw = (value >> (length - end)) & mask
        if raw & sign:
            raw -= sign << 1
        field = raw if convert is None else convert(raw)
        if low <= field <= high:
            event[key] = field
    if ("lat" in event) is not ("lon" in event):
        event.pop("lat", None)
        event.pop("lon", None)
    return (value >> (length - mmsi_end)) & mmsi_mask
