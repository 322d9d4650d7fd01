"""The NMEA 0183 checksum: the XOR of every byte between `$`/`!` and `*` (tag blocks: between the
backslash and `*`), written as two hex digits. The Beidou binary frames close with the same XOR of
all their bytes. One implementation for the hub, the gateways and the simulators."""

from __future__ import annotations

from functools import reduce
from operator import xor


def xor_checksum(body: bytes) -> int:
    """XOR of all bytes. Folding one big integer is faster than a byte loop for NMEA lengths."""
    if len(body) > 128:
        return reduce(xor, body, 0)
    x = int.from_bytes(body, "little")
    x ^= x >> 512
    x ^= x >> 256
    x ^= x >> 128
    x ^= x >> 64
    x ^= x >> 32
    x ^= x >> 16
    x ^= x >> 8
    return x & 0xFF


def nmea_checksum(body: str | bytes) -> str:
    """The `hh` after `*` for `body` (text as latin-1, so raw GB18030 bytes keep their value)."""
    data = body.encode("latin-1") if isinstance(body, str) else body
    return f"{xor_checksum(data):02X}"
