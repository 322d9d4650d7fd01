"""The protocol family of a Beidou terminal, chosen by setting: "2.1", "4.0" or "bd1" (binary)."""

from __future__ import annotations

from typing import Protocol

from gateway.beidou.binary_family import BinaryFamily
from gateway.beidou.content import ContentMode
from gateway.beidou.events import TerminalEvent
from gateway.beidou.text_family import Family21, Family40

FAMILY_NAMES = ("2.1", "4.0", "bd1")


class Family(Protocol):
    name: str
    send_name: str

    def card_query(self) -> bytes: ...

    def send_command(
        self, card: str, mode: ContentMode, content: bytes, urgent: bool = False
    ) -> bytes: ...

    def feed(self, chunk: bytes) -> list[TerminalEvent]: ...

    def max_bits(self, level: int) -> int: ...


def make_family(name: str, fki_y_with_reason: str = "ok") -> Family21 | Family40 | BinaryFamily:
    """`fki_y_with_reason`: how this terminal model means `$BDFKI` with `Y` and a non-zero
    reason, "ok" or "failed" (text families only)."""
    if name == "2.1":
        return Family21(fki_y_with_reason)
    if name == "4.0":
        return Family40(fki_y_with_reason)
    if name == "bd1":
        return BinaryFamily()
    raise ValueError(f"unknown Beidou family {name!r}; choose one of {', '.join(FAMILY_NAMES)}")
