"""Message content as Beidou terminals carry it: Chinese, code (hex) or mixed.

* chinese: GB18030 (a superset of GB2312/GBK) text, two bytes per Chinese character;
* code: raw bytes, written in sentences as hexadecimal digits;
* mixed: a 0xA4 marker byte, then GB18030 text of Chinese and ASCII characters.

In text sentences the content field is the hexadecimal form of these bytes for every mode. Some
terminals print Chinese content as raw GB18030 bytes instead; that is accepted on input.
"""

from __future__ import annotations

import binascii
from enum import StrEnum

TEXT_ENCODING = "gb18030"
MIXED_MARKER = 0xA4
_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")


class ContentMode(StrEnum):
    CHINESE = "chinese"
    CODE = "code"
    MIXED = "mixed"


def encode_text(text: str) -> bytes:
    return text.encode(TEXT_ENCODING)


def decode_text(data: bytes) -> str | None:
    """GB18030 text, or None when the bytes are not valid GB18030."""
    try:
        return data.decode(TEXT_ENCODING)
    except UnicodeDecodeError:
        return None


def wrap(mode: ContentMode, payload: bytes) -> bytes:
    """The bytes a terminal transmits for `payload` (adds the mixed-mode marker)."""
    return bytes([MIXED_MARKER]) + payload if mode is ContentMode.MIXED else payload


def unwrap(mode: ContentMode, content: bytes) -> bytes:
    """The payload of received content (drops the mixed-mode marker when present)."""
    if mode is ContentMode.MIXED and content[:1] == bytes([MIXED_MARKER]):
        return content[1:]
    return content


def is_pure_chinese(text: str) -> bool:
    """True when every character takes two bytes in GB18030 (what chinese mode can carry)."""
    return all(len(ch.encode(TEXT_ENCODING)) == 2 for ch in text)


def to_field(content: bytes) -> str:
    """Content as it is written in a text sentence: upper-case hexadecimal."""
    return content.hex().upper()


def from_field(field: bytes) -> bytes | None:
    """A sentence's content field -> bytes: hexadecimal, or raw GB18030 text. None if neither.

    An odd number of hex digits (code mode counts digits) is padded with a zero digit."""
    if field and all(b in _HEX_DIGITS for b in field):
        digits = field if len(field) % 2 == 0 else field + b"0"
        try:
            return binascii.unhexlify(digits)
        except binascii.Error:
            return None
    if decode_text(field) is not None:
        return field
    return None
