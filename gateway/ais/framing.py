"""One received line -> a checksum-verified AIS sentence (with its tag block), or a reason.

`!AIVDM,2,1,7,A,<payload>,0*hh` fields: talker+type, fragment count, fragment number,
sequential message id, channel, armored payload, fill bits. Both `!` and `$` starts and the VDM
(others) / VDO (own ship) types of any talker are accepted.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from gateway.ais.reasons import AisReject
from gateway.ais.tagblock import TagBlock, parse_tag_block, parse_uscg_trailer
from seaLink.wire.checksum import xor_checksum

# The six-bit armoring alphabet: '0'..'W' and '`'..'w'.
_ARMOR = bytes(range(48, 88)) + bytes(range(96, 120))
_HEX_BYTE = {f"{i:02X}".encode(): i for i in range(256)} | {
    f"{i:02x}".encode(): i for i in range(256)
}
_BACKSLASH = ord("\\")
_CR = ord("\r")
_STARTS = (ord("!"), ord("$"))
_SPACE = frozenset(b" \t\r\n")
_DIGITS = {str(i).encode(): i for i in range(10)}
_AIS_TYPES = (b"VDM", b"VDO")
MAX_LINE = 512


# A tag block whose checksum or fields are wrong: the sentence (which has its own checksum) is
# kept, without the block's time and station, and the block is counted as refused.
REFUSED_TAG = TagBlock()


class Sentence(NamedTuple):
    """A verified AIS sentence. `tag` is its tag block (or USCG trailer), if it had one."""

    talker: bytes
    total: int
    part: int
    seq: bytes
    channel: bytes
    payload: bytes
    fill: int
    raw: bytes  # the sentence as received, without its tag block (a trailer may follow *hh)
    tag: TagBlock | None


_new_sentence = tuple.__new__  # a NamedTuple built without its keyword handling: hot path


_TALKERS: dict[bytes, bytes] = {}  # "AIVDM" -> "AI": the few heads a feed uses, remembered


def _talker_of(head: bytes) -> bytes | None:
    if len(head) != 5 or head[2:] not in _AIS_TYPES:
        return None
    if len(_TALKERS) < 64:
        _TALKERS[head] = head[:2]
    return head[:2]


# The shape nearly every line has: no tag block, no trailer, at most a CR after the checksum.
# One C-level match checks and splits it; any other line takes the general path, which also
# names the reason a bad line is refused. (Both give the same answer: tests compare them.)
_PLAIN = re.compile(
    rb"[!$]([A-Z]{2})VD[MO],([1-9]),([1-9]),(\d*),([^,*]*),([0-W`-w]*),([0-5])"
    rb"\*([0-9A-F]{2}|[0-9a-f]{2})\r?"
)


def frame_line(line: bytes) -> Sentence | AisReject:
    """Check and split one line. Never raises; a bad line gives the reason it is refused."""
    plain = _PLAIN.fullmatch(line)
    if plain is None or len(line) > MAX_LINE:
        return frame_any_line(line)
    talker, count_f, number_f, seq, channel, payload, fill_f, given = plain.groups()
    star = plain.start(8) - 1
    if xor_checksum(line[1:star]) != _HEX_BYTE[given]:
        return AisReject.BAD_CHECKSUM
    total = _DIGITS[count_f]
    part = _DIGITS[number_f]
    if part > total:
        return AisReject.BAD_FORMAT
    raw = line if line[-1] != _CR else line[: star + 3]
    return _new_sentence(  # type: ignore[no-any-return]
        Sentence, (talker, total, part, seq, channel, payload, _DIGITS[fill_f], raw, None)
    )


def frame_any_line(line: bytes) -> Sentence | AisReject:
    """`frame_line` for any line: tag blocks, trailers, surrounding blanks, every refusal."""
    if not line:
        return AisReject.BAD_FORMAT
    if line[-1] in _SPACE or line[0] in _SPACE:
        line = line.strip()
        if not line:
            return AisReject.BAD_FORMAT
    if len(line) > MAX_LINE:
        return AisReject.LINE_TOO_LONG
    tag: TagBlock | None = None
    if line[0] == _BACKSLASH:
        end = line.find(b"\\", 1)
        if end < 0:
            return AisReject.BAD_FORMAT
        tag = parse_tag_block(line[1:end]) or REFUSED_TAG
        line = line[end + 1 :]
    star = line.find(b"*")
    if star < 1 or line[0] not in _STARTS:
        return AisReject.BAD_FORMAT
    expected = _HEX_BYTE.get(line[star + 1 : star + 3])
    if expected is None:
        return AisReject.BAD_FORMAT
    body = line[1:star]
    if xor_checksum(body) != expected:
        return AisReject.BAD_CHECKSUM
    fields = body.split(b",")
    head = fields[0]
    talker = _TALKERS.get(head)
    if talker is None:
        talker = _talker_of(head)
        if talker is None:
            return AisReject.UNSUPPORTED_SENTENCE
    if len(fields) != 7:
        return AisReject.BAD_FORMAT
    _, count_f, number_f, seq, channel, payload, fill_f = fields
    total = _DIGITS.get(count_f, 0)
    part = _DIGITS.get(number_f, 0)
    fill = _DIGITS.get(fill_f, 9)
    if not (1 <= part <= total and fill <= 5) or (seq and not seq.isdigit()):
        return AisReject.BAD_FORMAT
    if payload.translate(None, _ARMOR):
        return AisReject.BAD_FORMAT
    if len(line) > star + 3 and tag is None:  # a USCG receiver's trailer
        tag = parse_uscg_trailer(line[star + 3 :])
    return _new_sentence(  # type: ignore[no-any-return]
        Sentence, (talker, total, part, seq, channel, payload, fill, line, tag)
    )
