"""Binary Beidou-1 ("4.0" interface) frames: `$` + four-letter name, 2-byte length (the whole
frame), 3-byte user address, body, XOR checksum of all preceding bytes.

| frame | direction | body after the address |
|---|---|---|
| `$TXSQ` | host -> terminal | info, recipient(3), length in bits(2), ack(1), content |
| `$TXXX` | terminal -> host | info, sender(3), hour, minute, length in bits(2), content, CRC flag |
| `$FKXX` | terminal -> host | flag(1), extra(4): the command name, or the wait (s) when too soon |
| `$ICJC` | host -> terminal | frame number(1) |
| `$ICXX` | terminal -> host | frame(1), broadcast(3), user type(1), interval s(2), level(1), secret(1), users(2) |

TXSQ info byte: 0b010 (message) in bits 7-5, bit 2 normal (0 = urgent), bit 1 code/mixed (0 =
Chinese). TXXX info: 0x40, bit 5 code/mixed. Mixed content starts with the 0xA4 marker. The wait
of a "too soon" FKXX is read little-endian, as the reference implementation does (est.).
"""

from __future__ import annotations

from gateway.beidou.content import MIXED_MARKER, ContentMode
from gateway.beidou.events import (
    CardInfo,
    CardQuery,
    Feedback,
    Other,
    Received,
    Rejected,
    SendCommand,
    TerminalEvent,
)
from gateway.beidou.limits import (
    LEVEL_BITS_BDS2,
    LEVEL_BITS_BDS2_ENCRYPTED,
    NO_CARD_ADDRESSES,
    NO_CARD_INTERVAL_S,
)
from seaLink.wire.checksum import xor_checksum
from seaLink.wire.gateway import FeedbackResult

NAMES = (b"TXSQ", b"TXXX", b"FKXX", b"ICJC", b"ICXX")
_OTHER_NAMES = (b"DWSQ", b"DWXX", b"GLJC", b"GLZK", b"XTZJ", b"ZJXX", b"TXHZ", b"SJSC", b"SJXX")
_MIN_FRAME = 11  # $ + name + length + address + checksum
_MAX_FRAME = 2048

# FKXX flags -> (result, detail)
FLAGS: dict[int, tuple[FeedbackResult, str]] = {
    0: (FeedbackResult.OK, "ok"),
    1: (FeedbackResult.FAILED, "failed"),
    2: (FeedbackResult.FAILED, "signal not locked"),
    3: (FeedbackResult.FAILED, "battery low"),
    4: (FeedbackResult.TOO_SOON, "service interval not reached"),
    5: (FeedbackResult.FAILED, "encryption error"),
    6: (FeedbackResult.FAILED, "CRC error"),
    7: (FeedbackResult.INHIBITED, "transmission inhibited"),
    8: (FeedbackResult.OK, "inhibition lifted"),
}


def frame(name: bytes, address: int, body: bytes) -> bytes:
    length = 1 + 4 + 2 + 3 + len(body) + 1
    head = b"$" + name + length.to_bytes(2, "big") + address.to_bytes(3, "big") + body
    return head + bytes([xor_checksum(head)])


class BinaryFamily:
    name = "bd1"
    send_name = "TXSQ"
    level_bits = LEVEL_BITS_BDS2

    def __init__(self) -> None:
        self._buffer = b""

    def max_bits(self, level: int) -> int:
        return self.level_bits.get(level, min(self.level_bits.values()))

    # -- host -> terminal ---------------------------------------------------------------------

    def card_query(self) -> bytes:
        return frame(b"ICJC", 0, b"\x00")

    def send_command(
        self, card: str, mode: ContentMode, content: bytes, urgent: bool = False
    ) -> bytes:
        info = 0x40 | (0 if urgent else 0x04) | (0 if mode is ContentMode.CHINESE else 0x02)
        body = (
            bytes([info])
            + int(card).to_bytes(3, "big")
            + (len(content) * 8).to_bytes(2, "big")
            + b"\x00"
            + content
        )
        return frame(b"TXSQ", 0, body)

    # -- terminal -> host ---------------------------------------------------------------------

    def card_info(self, info: CardInfo) -> bytes:
        body = (
            b"\x00"
            + (0).to_bytes(3, "big")
            + b"\x00"
            + int(info.interval_s).to_bytes(2, "big")
            + bytes([info.level])
            + b"\x00"
            + (0).to_bytes(2, "big")
        )
        return frame(b"ICXX", int(info.card), body)

    def received(self, rx: Received, own_card: str = "0") -> bytes:
        info = 0x40 | (0 if rx.mode is ContentMode.CHINESE else 0x20)
        hour, minute = _hour_minute(rx.terminal_time)
        body = (
            bytes([info])
            + int(rx.sender).to_bytes(3, "big")
            + bytes([hour, minute])
            + (len(rx.content) * 8).to_bytes(2, "big")
            + rx.content
            + b"\x00"
        )
        return frame(b"TXXX", int(own_card), body)

    def feedback(self, fb: Feedback, own_card: str = "0") -> bytes:
        flag = int(fb.code) if fb.code.isdigit() else _flag_for(fb.result)
        extra = int(fb.wait_s).to_bytes(4, "little") if flag == 4 else b"TXSQ"
        return frame(b"FKXX", int(own_card), bytes([flag]) + extra)

    # -- parsing (both directions) -------------------------------------------------------------

    def feed(self, chunk: bytes) -> list[TerminalEvent]:
        """Frames out of a byte stream; garbage and bad frames are skipped and reported."""
        buf = self._buffer + chunk
        events: list[TerminalEvent] = []
        while True:
            start = buf.find(b"$")
            if start < 0:
                if buf:
                    events.append(Rejected("bad_format", buf[:64]))
                buf = b""
                break
            if start > 0:
                events.append(Rejected("bad_format", buf[:start][:64]))
                buf = buf[start:]
            if len(buf) < 7:
                break
            name = buf[1:5]
            length = int.from_bytes(buf[5:7], "big")
            if name not in NAMES + _OTHER_NAMES or not _MIN_FRAME <= length <= _MAX_FRAME:
                events.append(Rejected("bad_format", buf[:7]))
                buf = buf[1:]
                continue
            if len(buf) < length:
                # A corrupt length can make us wait for bytes that belong to the next frame:
                # if a whole, valid frame is already waiting further on, that one wins.
                later = _valid_frame_at(buf, 1)
                if later is None:
                    break
                events.append(Rejected("bad_format", buf[:later][:64]))
                buf = buf[later:]
                continue
            candidate = buf[:length]
            if xor_checksum(candidate[:-1]) != candidate[-1]:
                events.append(Rejected("bad_checksum", candidate))
                buf = buf[1:]
                continue
            buf = buf[length:]
            events.append(self.parse_frame(candidate))
        self._buffer = buf[-_MAX_FRAME:]
        return events

    def parse_frame(self, data: bytes) -> TerminalEvent:
        """One checksum-verified frame -> event. Never raises."""
        name = data[1:5]
        body = data[10:-1]
        try:
            if name == b"TXXX":
                return _txxx(body)
            if name == b"FKXX":
                return _fkxx(body)
            if name == b"ICXX":
                return self._icxx(data[7:10], body)
            if name == b"TXSQ":
                return _txsq(body)
            if name == b"ICJC":
                return CardQuery()
        except (IndexError, ValueError):
            return Rejected("bad_format", data)
        return Other(name.decode("ascii"))

    def _icxx(self, address: bytes, body: bytes) -> TerminalEvent:
        if len(body) < 11 or body[0] != 0:
            return Rejected("bad_format", body)
        interval = int.from_bytes(body[5:7], "big")
        level = body[7]
        number = int.from_bytes(address, "big")
        if number in NO_CARD_ADDRESSES or (interval >= NO_CARD_INTERVAL_S and level == 0):
            return Rejected("no_card", body)
        bits = self.max_bits(level)
        if body[8]:  # the secrecy byte: an encrypted card has its own limits
            bits = LEVEL_BITS_BDS2_ENCRYPTED.get(level, min(LEVEL_BITS_BDS2_ENCRYPTED.values()))
        return CardInfo(str(number), float(interval), level, bits)


def _valid_frame_at(buf: bytes, start: int) -> int | None:
    """Where a complete frame with a good checksum starts, at or after `start`."""
    at = buf.find(b"$", start)
    while at >= 0:
        length = int.from_bytes(buf[at + 5 : at + 7], "big")
        if (
            buf[at + 1 : at + 5] in NAMES
            and _MIN_FRAME <= length <= len(buf) - at
            and xor_checksum(buf[at : at + length - 1]) == buf[at + length - 1]
        ):
            return at
        at = buf.find(b"$", at + 1)
    return None


def _content(info_code: bool, bits: int, data: bytes) -> tuple[ContentMode, bytes]:
    content = data[: (bits + 7) // 8]
    if len(content) * 8 < bits:
        raise ValueError("content shorter than its length")
    if not info_code:
        return ContentMode.CHINESE, content
    if content[:1] == bytes([MIXED_MARKER]):
        return ContentMode.MIXED, content
    return ContentMode.CODE, content


def _txxx(body: bytes) -> Received:
    info = body[0]
    sender = str(int.from_bytes(body[1:4], "big"))
    hour, minute = body[4], body[5]
    bits = int.from_bytes(body[6:8], "big")
    mode, content = _content(bool(info & 0x20), bits, body[8:-1] if len(body) > 8 else b"")
    return Received(sender, mode, content, f"{hour:02d}{minute:02d}")


def _txsq(body: bytes) -> SendCommand:
    info = body[0]
    if info >> 5 != 0b010:
        raise ValueError("not a message request")
    card = str(int.from_bytes(body[1:4], "big"))
    bits = int.from_bytes(body[4:6], "big")
    mode, content = _content(bool(info & 0x02), bits, body[7:])
    return SendCommand(card, mode, content, urgent=not info & 0x04)


def _fkxx(body: bytes) -> Feedback:
    flag = body[0]
    extra = body[1:5]
    if len(extra) < 4:
        raise ValueError("short feedback")
    result, detail = FLAGS.get(flag, (FeedbackResult.FAILED, f"flag {flag}"))
    wait = float(int.from_bytes(extra, "little")) if flag == 4 else 0.0
    command = "TXSQ" if flag == 4 else extra.decode("ascii", "replace")
    return Feedback(command, result, wait, str(flag), detail)


def _flag_for(result: FeedbackResult) -> int:
    return {FeedbackResult.OK: 0, FeedbackResult.TOO_SOON: 4, FeedbackResult.INHIBITED: 7}.get(
        result, 1
    )


def _hour_minute(hhmm: str | None) -> tuple[int, int]:
    if hhmm and len(hhmm) >= 4 and hhmm[:4].isdigit():
        return int(hhmm[:2]) % 24, int(hhmm[2:4]) % 60
    return 0, 0
