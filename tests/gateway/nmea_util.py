"""Building test sentences with correct checksums."""

from __future__ import annotations

from functools import reduce
from operator import xor


def with_checksum(body: str, start: str = "!") -> bytes:
    """`AIVDM,1,1,,A,...,0` -> `!AIVDM,1,1,,A,...,0*hh`."""
    return f"{start}{body}*{reduce(xor, body.encode('latin-1'), 0):02X}".encode("latin-1")


def rechecksum(line: bytes) -> bytes:
    """A sentence with its body edited, given the checksum its new body needs."""
    start, body = line[:1].decode(), line[1 : line.index(b"*")].decode("latin-1")
    return with_checksum(body, start)
