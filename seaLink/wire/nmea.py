"""Plain NMEA 0183 position sentences (RMC, GGA, GLL, VTG) into protocol fixes.

Used by the hub for the `up/nmea` topic and by gateways whose terminals speak nothing else. The
talkers accepted are GP (GPS), BD and GB (Beidou) and GN (multi-constellation). Sentences of one
epoch (the same time of day) merge into one fix: RMC brings the date, speed and course; GGA and GLL
the position; VTG adds speed and course to the fix before it (or after it, if it comes first).

Pure: no I/O, no clock. Never raises on bad input: every line that does not become (part of) a fix
is returned with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

import pynmea2

from seaLink.wire.payloads import Fix

TALKERS = frozenset({"GP", "BD", "GB", "GN"})
_MAX_LINE = 82
_HALF_DAY = dt.timedelta(hours=12)
_MAX_SOG = 102.2


class NmeaReject(StrEnum):
    """Why a line gave no fix."""

    BAD_CHECKSUM = "bad_checksum"
    MISSING_CHECKSUM = "missing_checksum"
    BAD_FORMAT = "bad_format"
    UNSUPPORTED_SENTENCE = "unsupported_sentence"
    UNSUPPORTED_TALKER = "unsupported_talker"
    NO_FIX = "no_fix"
    OUT_OF_RANGE = "out_of_range"
    NO_POSITION = "no_position"


@dataclass(frozen=True, slots=True)
class NmeaRejection:
    reason: NmeaReject
    line: str
    detail: str


@dataclass(slots=True)
class _Epoch:
    """A fix being assembled from the sentences of one time of day."""

    time: dt.time
    date: dt.date | None = None
    lat: float | None = None
    lon: float | None = None
    sog: float | None = None
    cog: float | None = None
    lines: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Motion:
    sog: float | None
    cog: float | None
    line: str


class _Reject(Exception):
    def __init__(self, reason: NmeaReject, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def parse_nmea_fixes(
    lines: Iterable[str],
    *,
    now: dt.datetime | None = None,
    require_checksum: bool = True,
) -> tuple[list[Fix], list[NmeaRejection]]:
    """Parse sentences into fixes, oldest first, and rejections with reasons.

    `now` (UTC) dates the sentences that carry only a time of day (GGA, GLL) when no RMC of the
    same batch gives the date; a time more than 12 h ahead of `now` is taken as yesterday's.
    """
    ref = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    epochs: list[_Epoch] = []
    motions: list[tuple[int, _Motion]] = []  # (index of the epoch before it, motion)
    rejections: list[NmeaRejection] = []
    for raw in lines:
        line = raw.strip() if isinstance(raw, str) else ""
        if not line:
            continue
        try:
            sentence = _parse(line, require_checksum)
            kind = sentence.sentence_type
            handler = _HANDLERS[kind]
            handler(sentence, line, epochs, motions)
        except _Reject as rej:
            rejections.append(NmeaRejection(rej.reason, line, rej.detail))
    _attach_motions(epochs, motions, rejections)
    return _to_fixes(epochs, ref, rejections), rejections


def _parse(line: str, require_checksum: bool) -> pynmea2.TalkerSentence:
    if len(line) > _MAX_LINE:
        raise _Reject(NmeaReject.BAD_FORMAT, f"{len(line)} characters, NMEA allows {_MAX_LINE}")
    if not line.isascii() or line[0] != "$":
        raise _Reject(NmeaReject.BAD_FORMAT, "not an ASCII sentence starting with '$'")
    if "*" not in line and require_checksum:
        raise _Reject(NmeaReject.MISSING_CHECKSUM, "no *hh checksum")
    try:
        sentence = pynmea2.parse(line)
    except pynmea2.ChecksumError as exc:
        raise _Reject(NmeaReject.BAD_CHECKSUM, str(exc.args[0][0])) from None
    except pynmea2.SentenceTypeError:
        raise _Reject(NmeaReject.UNSUPPORTED_SENTENCE, f"sentence {line[1:6]!r}") from None
    except (pynmea2.ParseError, ValueError) as exc:
        raise _Reject(NmeaReject.BAD_FORMAT, _first_arg(exc)) from None
    if not isinstance(sentence, pynmea2.TalkerSentence) or sentence.sentence_type not in _HANDLERS:
        raise _Reject(NmeaReject.UNSUPPORTED_SENTENCE, f"sentence {line[1:6]!r}")
    if sentence.talker not in TALKERS:
        raise _Reject(NmeaReject.UNSUPPORTED_TALKER, f"talker {sentence.talker!r}")
    return sentence


def _first_arg(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    return str(arg[0] if isinstance(arg, tuple) else arg)[:120]


# -- one handler per sentence type --------------------------------------------------------------


def _time_of(sentence: pynmea2.TalkerSentence) -> dt.time:
    value = sentence.timestamp
    if not isinstance(value, dt.time):
        raise _Reject(NmeaReject.BAD_FORMAT, f"bad time {value!r}")
    return value


def _position(sentence: pynmea2.TalkerSentence) -> tuple[float, float]:
    if not sentence.lat or not sentence.lon:
        raise _Reject(NmeaReject.NO_FIX, "no position")
    if sentence.lat_dir not in ("N", "S") or sentence.lon_dir not in ("E", "W"):
        raise _Reject(NmeaReject.BAD_FORMAT, "bad hemisphere")
    try:
        lat, lon = float(sentence.latitude), float(sentence.longitude)
    except ValueError as exc:
        raise _Reject(NmeaReject.BAD_FORMAT, str(exc)[:120]) from None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise _Reject(NmeaReject.OUT_OF_RANGE, f"position {lat}, {lon}")
    return lat, lon


def _float_or_none(value: object, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(str(value))
    except ValueError:
        raise _Reject(NmeaReject.BAD_FORMAT, f"bad {what} {value!r}") from None


def _epoch_for(epochs: list[_Epoch], time: dt.time) -> _Epoch:
    for epoch in reversed(epochs[-4:]):
        if epoch.time == time:
            return epoch
    epoch = _Epoch(time)
    epochs.append(epoch)
    return epoch


def _rmc(s: pynmea2.TalkerSentence, line: str, epochs: list[_Epoch], _m: object) -> None:
    if s.status != "A":
        raise _Reject(NmeaReject.NO_FIX, f"status {s.status!r} (not A)")
    time = _time_of(s)
    date = s.datestamp
    if not isinstance(date, dt.date):
        raise _Reject(NmeaReject.BAD_FORMAT, f"bad date {date!r}")
    lat, lon = _position(s)
    sog = _float_or_none(s.spd_over_grnd, "speed")
    cog = _float_or_none(s.true_course, "course")
    epoch = _epoch_for(epochs, time)
    epoch.date, epoch.lat, epoch.lon = date, lat, lon
    epoch.sog = sog if sog is not None else epoch.sog
    epoch.cog = cog if cog is not None else epoch.cog
    epoch.lines.append(line)


def _gga(s: pynmea2.TalkerSentence, line: str, epochs: list[_Epoch], _m: object) -> None:
    if str(s.gps_qual) in ("", "0", "None"):
        raise _Reject(NmeaReject.NO_FIX, "quality 0 (no fix)")
    _fix_from_position(s, line, epochs)


def _gll(s: pynmea2.TalkerSentence, line: str, epochs: list[_Epoch], _m: object) -> None:
    if s.status not in ("A", ""):
        raise _Reject(NmeaReject.NO_FIX, f"status {s.status!r} (not A)")
    _fix_from_position(s, line, epochs)


def _fix_from_position(s: pynmea2.TalkerSentence, line: str, epochs: list[_Epoch]) -> None:
    time = _time_of(s)
    lat, lon = _position(s)
    epoch = _epoch_for(epochs, time)
    epoch.lat, epoch.lon = lat, lon
    epoch.lines.append(line)


def _vtg(
    s: pynmea2.TalkerSentence,
    line: str,
    epochs: list[_Epoch],
    motions: list[tuple[int, _Motion]],
) -> None:
    sog = _float_or_none(s.spd_over_grnd_kts, "speed")
    cog = _float_or_none(s.true_track, "course")
    if sog is None and cog is None:
        raise _Reject(NmeaReject.NO_FIX, "neither speed nor course")
    motions.append((len(epochs) - 1, _Motion(sog, cog, line)))


_Handler = Callable[[pynmea2.TalkerSentence, str, list[_Epoch], list[tuple[int, _Motion]]], None]
_HANDLERS: dict[str, _Handler] = {"RMC": _rmc, "GGA": _gga, "GLL": _gll, "VTG": _vtg}


# -- assembly ------------------------------------------------------------------------------------


def _attach_motions(
    epochs: list[_Epoch], motions: list[tuple[int, _Motion]], rejections: list[NmeaRejection]
) -> None:
    for before, motion in motions:
        index = before if before >= 0 else 0
        if index >= len(epochs):
            rejections.append(
                NmeaRejection(NmeaReject.NO_POSITION, motion.line, "VTG without a position fix")
            )
            continue
        epoch = epochs[index]
        epoch.sog = motion.sog if motion.sog is not None else epoch.sog
        epoch.cog = motion.cog if motion.cog is not None else epoch.cog


def _to_fixes(epochs: list[_Epoch], ref: dt.datetime, rejections: list[NmeaRejection]) -> list[Fix]:
    fixes: list[Fix] = []
    last_date: dt.date | None = None
    for epoch in epochs:
        if epoch.date is not None:
            last_date = epoch.date
        if epoch.lat is None or epoch.lon is None:
            for line in epoch.lines:
                rejections.append(NmeaRejection(NmeaReject.NO_POSITION, line, "no position"))
            continue
        ts = _timestamp(epoch, last_date, ref)
        if epoch.sog is not None and not 0.0 <= epoch.sog <= _MAX_SOG:
            for line in epoch.lines:
                rejections.append(
                    NmeaRejection(NmeaReject.OUT_OF_RANGE, line, f"speed {epoch.sog} kn")
                )
            continue
        cog = None if epoch.cog is None else epoch.cog % 360.0
        fixes.append(Fix(ts=ts, lat=epoch.lat, lon=epoch.lon, sog=epoch.sog, cog=cog))
    return fixes


def _timestamp(epoch: _Epoch, batch_date: dt.date | None, ref: dt.datetime) -> dt.datetime:
    time = epoch.time.replace(tzinfo=dt.UTC)
    date = epoch.date or batch_date
    if date is not None:
        return dt.datetime.combine(date, time)
    guess = dt.datetime.combine(ref.date(), time)
    if guess - ref > _HALF_DAY:
        guess -= dt.timedelta(days=1)
    elif ref - guess > _HALF_DAY:
        guess += dt.timedelta(days=1)
    return guess
