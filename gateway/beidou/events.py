"""What flows between a host and its Beidou terminal, in either direction, family-independent."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.beidou.content import ContentMode
from seaLink.wire.gateway import FeedbackResult


def normalize_card(text: str) -> str | None:
    """A card number as decimal digits without leading zeros ("0166166" -> "166166")."""
    digits = text.strip()
    if not digits.isdigit() or not digits.isascii():
        return None
    card = str(int(digits))
    return card if len(card) <= 11 else None


# -- terminal -> host ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardInfo:
    card: str
    interval_s: float
    level: int
    max_bits: int

    @property
    def max_bytes(self) -> int:
        return self.max_bits // 8


@dataclass(frozen=True, slots=True)
class Received:
    sender: str
    mode: ContentMode
    content: bytes  # as transmitted (mixed content starts with its 0xA4 marker)
    terminal_time: str | None = None
    recipient: str | None = None
    # Code mode counts hex digits: an odd count cannot be bytes, so the digits are kept as sent.
    digits: str | None = None
    # Sent in the urgent class (2.1 `$BDTXR` information type 2, 特快通信): what a boat terminal's
    # alarm key sends. The gateway reads it as a distress unless it is a reply or a distress.
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class Feedback:
    command: str
    result: FeedbackResult
    wait_s: float = 0.0
    code: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Other:
    """A well-formed sentence the gateway has no use for (power, RNSS positions...)."""

    name: str


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str
    raw: bytes


# -- host -> terminal (what a simulated terminal parses) ------------------------------------------


@dataclass(frozen=True, slots=True)
class SendCommand:
    card: str
    mode: ContentMode
    content: bytes
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class CardQuery:
    pass


TerminalEvent = CardInfo | Received | Feedback | Other | Rejected | SendCommand | CardQuery
