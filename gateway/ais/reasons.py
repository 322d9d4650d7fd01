"""Why an AIS line or message was not published. Each reason has its own counter."""

from __future__ import annotations

from enum import StrEnum


class AisReject(StrEnum):
    BAD_CHECKSUM = "bad_checksum"
    BAD_FORMAT = "bad_format"
    BAD_TAG_BLOCK = "bad_tag_block"
    UNSUPPORTED_SENTENCE = "unsupported_sentence"
    ORPHAN_FRAGMENT = "orphan_fragment"
    STALE_FRAGMENT = "stale_fragment"
    DUPLICATE_FRAGMENT = "duplicate_fragment"
    DECODE_ERROR = "decode_error"
    UNSUPPORTED_TYPE = "unsupported_type"
    BAD_MMSI = "bad_mmsi"
    LINE_TOO_LONG = "line_too_long"
