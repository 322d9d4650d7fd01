"""A whole AIS payload -> pyais message -> the fields of an `AisEvent` (as a plain dict).

pyais does the bit-level decoding. This module chooses the message types the hub wants, checks
their length, and maps each type's fields by a table. "Not available" values (lat 91, lon 181,
speed 102.3 kn, course 360, heading 511) are left out, as are positions outside the globe.
The common position reports skip the pyais message object: `field_reads` reads just the fields
the hub wants, at pyais's own offsets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from gateway.ais.field_reads import READS, read_fields
from gateway.ais.reasons import AisReject

Event = dict[str, Any]

# The fewest bits a message of each supported type has (ITU-R M.1371); shorter ones are refused.
MIN_BITS: dict[int, int] = {
    1: 168,
    2: 168,
    3: 168,
    4: 168,
    5: 420,
    6: 88,
    8: 56,
    9: 168,
    12: 72,
    14: 40,
    18: 168,
    19: 312,
    21: 272,
    24: 160,
    27: 96,
}
SUPPORTED_TYPES = frozenset(MIN_BITS)


# The message type is the first six bits: the value of the first armored character.
_FIRST_SIX = {c: (c - 48 if c < 88 else c - 56) for c in [*range(48, 88), *range(96, 120)]}


def decode_into(payload: bytes, fill: int, event: Event) -> int | AisReject:
    """Decode a whole payload into `event` (its `msg_type` and the type's fields); returns the
    MMSI, or an `AisReject` saying why not. Never raises."""
    if not payload:
        return AisReject.DECODE_ERROR
    msg_type = _FIRST_SIX.get(payload[0], -1)
    need = MIN_BITS.get(msg_type)
    if need is None:
        return AisReject.UNSUPPORTED_TYPE if msg_type >= 0 else AisReject.DECODE_ERROR
    if len(payload) * 6 - fill < need:
        return AisReject.DECODE_ERROR
    event["msg_type"] = msg_type
    reads = READS.get(msg_type)
    if reads is not None:  # the common position reports: only the fields the hub wants
        return read_fields(reads, payload, fill, event)
    try:
        msg = MSG_CLASS[msg_type].from_vector(bit_vector(payload, fill))
    except Exception:  # pyais raises many kinds on malformed bits; all mean the same here
        return AisReject.DECODE_ERROR
    FILLERS[msg_type](msg, event)
    return int(msg.mmsi)


# -- value filters -------------------------------------------------------------------------------


def _lat(v: float | None) -> float | None:
    return v if v is not None and -90.0 <= v <= 90.0 else None


def _lon(v: float | None) -> float | None:
    return v if v is not None and -180.0 <= v <= 180.0 else None


def _sog(v: float | None) -> float | None:
    return v if v is not None and 0.0 <= v <= 102.2 else None


def _cog(v: float | None) -> float | None:
    return v if v is not None and 0.0 <= v < 360.0 else None


def _heading(v: int | None) -> int | None:
    return v if v is not None and 0 <= v < 360 else None


def _text(v: str | None) -> str | None:
    """Six-bit text: `@` (value 0) is padding, and everything after the first one is padding
    too (`IBC G BUOY@?????????` is `IBC G BUOY`), in every text field (issue 15.12)."""
    if not v:
        return None
    return v.split("@", 1)[0].strip() or None


def _second(v: Any) -> int | None:
    """The UTC second of the report (60: not available, 61-63: positioning modes)."""
    return int(v) if v is not None and 0 <= v <= 59 else None


def _dimensions(m: Any, e: Event) -> None:
    """Length (A + B) and beam (C + D) in metres from the distances of the position reference to
    bow, stern, port and starboard; 0 means not available, so a sum with a 0 part is left out
    (A 511 / C, D 63 mean "that or more": kept as the least the vessel measures)."""
    a, b = getattr(m, "to_bow", None), getattr(m, "to_stern", None)
    c, d = getattr(m, "to_port", None), getattr(m, "to_starboard", None)
    if a and b:
        e["length_m"] = int(a) + int(b)
    if c and d:
        e["beam_m"] = int(c) + int(d)


def _eta(m: Any) -> dict[str, int] | None:
    """The ETA as sent (month, day, hour, minute; UTC, no year): None when not available (month
    0, day 0, hour 24, minute 60) or impossible."""
    month, day, hour, minute = m.month, m.day, m.hour, m.minute
    if not (1 <= (month or 0) <= 12 and 1 <= (day or 0) <= 31):
        return None
    if hour is None or hour > 23 or minute is None or minute > 59:
        return {"month": int(month), "day": int(day)}  # the day is known, not the time
    return {"month": int(month), "day": int(day), "hour": int(hour), "minute": int(minute)}


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


# -- one filler per message type ---------------------------------------------------------------


def _position(m: Any, e: Event) -> None:
    lat = _lat(m.lat)
    lon = _lon(m.lon)
    if lat is not None and lon is not None:
        e["lat"] = lat
        e["lon"] = lon
    sog = _sog(m.speed)
    if sog is not None:
        e["sog"] = sog
    cog = _cog(m.course)
    if cog is not None:
        e["cog"] = cog


def _class_a(m: Any, e: Event) -> None:
    # The most common message by far: written out in full rather than through helpers.
    lat, lon = m.lat, m.lon
    if lat is not None and lon is not None and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0:
        e["lat"] = lat
        e["lon"] = lon
    v = m.speed
    if v is not None and 0.0 <= v <= 102.2:
        e["sog"] = v
    v = m.course
    if v is not None and 0.0 <= v < 360.0:
        e["cog"] = v
    h = m.heading
    if h is not None and 0 <= h < 360:
        e["heading"] = h
    if m.status is not None:
        e["nav_status"] = int(m.status)
    v = m.second
    if v is not None and 0 <= v <= 59:
        e["utc_second"] = v


def _class_b(m: Any, e: Event) -> None:
    _position(m, e)
    heading = _heading(m.heading)
    if heading is not None:
        e["heading"] = heading
    _put(e, "utc_second", _second(m.second))


def _class_b_extended(m: Any, e: Event) -> None:
    _class_b(m, e)
    _put(e, "name", _text(m.shipname))
    _put(e, "ship_type", _int(m.ship_type))
    _dimensions(m, e)


def _base_station(m: Any, e: Event) -> None:
    lat, lon = _lat(m.lat), _lon(m.lon)
    if lat is not None and lon is not None:
        e["lat"], e["lon"] = lat, lon


def _static_voyage(m: Any, e: Event) -> None:
    _put(e, "name", _text(m.shipname))
    _put(e, "callsign", _text(m.callsign))
    _put(e, "ship_type", _int(m.ship_type))
    _put(e, "imo", m.imo or None)
    _put(e, "destination", _text(m.destination))
    _put(e, "draught", m.draught or None)
    _put(e, "eta", _eta(m))
    _dimensions(m, e)


def _binary_addressed(m: Any, e: Event) -> None:
    _put(e, "dest_mmsi", None if m.dest_mmsi is None else f"{m.dest_mmsi:09d}")
    _put(e, "dac", m.dac)
    _put(e, "fid", m.fid)


def _binary_broadcast(m: Any, e: Event) -> None:
    _put(e, "dac", m.dac)
    _put(e, "fid", m.fid)


def _sar_aircraft(m: Any, e: Event) -> None:
    speed = m.speed
    m_speed_ok = speed is not None and 0.0 <= speed < 1023.0
    lat, lon = _lat(m.lat), _lon(m.lon)
    if lat is not None and lon is not None:
        e["lat"], e["lon"] = lat, lon
    if m_speed_ok:
        e["sog"] = float(speed)
    cog = _cog(m.course)
    if cog is not None:
        e["cog"] = cog
    _put(e, "utc_second", _second(m.second))


def _safety_addressed(m: Any, e: Event) -> None:
    _put(e, "dest_mmsi", None if m.dest_mmsi is None else f"{m.dest_mmsi:09d}")
    _put(e, "text", _text(m.text))


def _safety_broadcast(m: Any, e: Event) -> None:
    _put(e, "text", _text(m.text))


# Safety text: whole six-bit characters only (pyais also reads a last, partial one).
TEXT_START_BITS = {12: 72, 14: 40}


def trim_text(msg_type: int, text: str, payload_bits: int) -> str:
    return text[: max(0, payload_bits - TEXT_START_BITS[msg_type]) // 6]


def _aid_to_navigation(m: Any, e: Event) -> None:
    _base_station(m, e)
    # The extension continues a name that fills all 20 characters; after padding it is none.
    name = m.name or ""
    if len(name) == 20 and "@" not in name:
        name += m.name_ext or ""
    _put(e, "name", _text(name))
    _put(e, "aid_type", _int(m.aid_type))
    _put(e, "utc_second", _second(m.second))
    _dimensions(m, e)


def _class_b_static(m: Any, e: Event) -> None:
    if m.partno == 0:
        _put(e, "name", _text(m.shipname))
    else:
        _put(e, "callsign", _text(getattr(m, "callsign", None)))
        _put(e, "ship_type", _int(m.ship_type))
        _dimensions(m, e)


def _long_range(m: Any, e: Event) -> None:
    lat, lon = _lat(m.lat), _lon(m.lon)
    if lat is not None and lon is not None:
        e["lat"], e["lon"] = lat, lon
    if m.speed is not None and m.speed < 63:
        e["sog"] = float(m.speed)
    cog = _cog(m.course)
    if cog is not None:
        e["cog"] = cog
    if m.status is not None:
        e["nav_status"] = int(m.status)


def _put(e: Event, key: str, value: Any) -> None:
    if value is not None:
        e[key] = value


FILLERS: dict[int, Callable[[Any, Event], None]] = {
    1: _class_a,
    2: _class_a,
    3: _class_a,
    4: _base_station,
    5: _static_voyage,
    6: _binary_addressed,
    8: _binary_broadcast,
    9: _sar_aircraft,
    12: _safety_addressed,
    14: _safety_broadcast,
    18: _class_b,
    19: _class_b_extended,
    21: _aid_to_navigation,
    24: _class_b_static,
    27: _long_range,
}
# Binary messages are passed on with their sentences for the hub to decode if it wants.
RAW_TYPES = frozenset({6, 8})
# Types whose name can reveal a net buoy.
NAMED_TYPES = frozenset({5, 19, 21, 24})
SPECIAL_TYPES = RAW_TYPES | NAMED_TYPES | frozenset(TEXT_START_BITS)
