"""The two text sentence families of Beidou RDSS terminals.

| what | "2.1" (BDS-2) | "4.0" (BDS-3) |
|---|---|---|
| send | `$CCTXA,card,class,mode,content` | `$CCTCQ,card,2,1,encoding,content,0` |
| receive | `$BDTXR,type,sender,mode,hhmm,content` | `$BDTCI,sender,recipient,freq,hhmmss,encoding,0,content` |
| feedback | `$BDFKI,TXA,Y/N,freq Y/N,inhibit,mmss` | `$BDFKI,hhmmss,TCQ,Y/N,reason,seconds` |
| card query | `$CCICA,0,00` -> `$BDICI` | `$CCICR,0,00` -> `$BDICP` |

2.1 modes: 0 Chinese, 1 code, 2 mixed. 4.0 encodings: 1 Chinese, 2 code, 3 mixed, 4 and 5 the
compressed ones (received as raw data, never sent). Chinese content is sent as raw GB2312 bytes in
the field, as terminals do; code and mixed content as hexadecimal (see `content`). A card answer
for "no card" (address 0 or all ones, or a 9999 s interval at level 0) is refused `no_card`; an
encrypted ("E") BDS-2 card has its own length limits. A sentence of the other family is refused
`wrong_family`. `$BDFKI` with `Y` and a non-zero reason is read as `fki_y_with_reason` says
("ok" or "failed": terminal models disagree).
A 2.1 `$BDTXR` of information type 2 (特快, urgent) is marked `urgent`: the class a boat
terminal's alarm key sends in (the gateway reads it as a distress).
Each family both writes host commands and parses them, so that simulated terminals reuse it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import pynmea2

from gateway.beidou import sentences
from gateway.beidou.content import ContentMode, from_field, to_field
from gateway.beidou.events import (
    CardInfo,
    CardQuery,
    Feedback,
    Other,
    Received,
    Rejected,
    SendCommand,
    TerminalEvent,
    normalize_card,
)
from gateway.beidou.limits import (
    LEVEL_BITS_BDS2,
    LEVEL_BITS_BDS2_ENCRYPTED,
    LEVEL_BITS_BDS3,
    NO_CARD_ADDRESSES,
    NO_CARD_INTERVAL_S,
)
from gateway.lines import LineSplitter
from seaLink.wire.gateway import FeedbackResult

# 2.1 inhibit indicator and 4.0 failure reasons -> (result, detail). Values are from terminal
# vendors' code; what a terminal really prints may differ (est.).
INHIBIT_21: dict[str, tuple[FeedbackResult, str]] = {
    "1": (FeedbackResult.INHIBITED, "transmission inhibited"),
    "2": (FeedbackResult.INHIBITED, "radio silence"),
    "3": (FeedbackResult.FAILED, "power not locked"),
    "4": (FeedbackResult.INHIBITED, "transmission inhibited (4)"),
}
REASONS_40: dict[str, tuple[FeedbackResult, str]] = {
    "1": (FeedbackResult.TOO_SOON, "service interval not reached"),
    "2": (FeedbackResult.INHIBITED, "transmission inhibited"),
    "3": (FeedbackResult.INHIBITED, "radio silence"),
    "4": (FeedbackResult.FAILED, "power not locked"),
    "5": (FeedbackResult.FAILED, "no IC card detected"),
    "6": (FeedbackResult.FAILED, "no permission"),
    "11": (FeedbackResult.FAILED, "checksum error"),
}
# 2.1 `$BDTXR` information type: 1 ordinary, 2 urgent (特快, the class of a terminal's alarm),
# 3 group broadcast (通播), 4 and 5 messages fetched by a query to the centre.
INFO_ORDINARY_21, INFO_URGENT_21 = "1", "2"
_MODES_21 = {"0": ContentMode.CHINESE, "1": ContentMode.CODE, "2": ContentMode.MIXED}
_MODES_40 = {"1": ContentMode.CHINESE, "2": ContentMode.CODE, "3": ContentMode.MIXED}
# Received only: the compressed encodings (压缩汉字 4, 压缩代码 5) are kept as raw data.
_RX_MODES_40 = {**_MODES_40, "4": ContentMode.CODE, "5": ContentMode.CODE}
_HEX = frozenset("0123456789ABCDEFabcdef")
FKI_Y_WITH_REASON = ("ok", "failed")


class _Refuse(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _card(text: str | None) -> str:
    card = normalize_card(text or "")
    if card is None:
        raise _Refuse("bad_card")
    return card


def _number(text: str | None, default: float | None = None) -> float:
    try:
        return float(text or "")
    except ValueError:
        if default is not None:
            return default
        raise _Refuse("bad_format") from None


def _content(field: str | None) -> bytes:
    data = from_field((field or "").encode("latin-1"))
    if data is None:
        raise _Refuse("bad_content")
    return data


def _odd_digits(mode: ContentMode, field: str | None) -> str | None:
    text = field or ""
    if mode is ContentMode.CODE and len(text) % 2 == 1 and all(c in _HEX for c in text):
        return text.upper()
    return None


def _raw_chinese(mode: ContentMode, content: bytes) -> str:
    """The content field: raw GB2312 bytes for Chinese (as terminals write it), else hex."""
    return content.decode("latin-1") if mode is ContentMode.CHINESE else to_field(content)


def _no_card(card: str, interval: float, level: str | None) -> bool:
    if int(card) in NO_CARD_ADDRESSES:
        return True
    return interval >= NO_CARD_INTERVAL_S and (level or "0").strip() in ("0", "")


def parse_feedback(s: pynmea2.TalkerSentence, y_with_reason: str = "ok") -> Feedback:
    """$BDFKI in either layout: 4.0 starts with a time (digits), 2.1 with the command name.
    `y_with_reason`: what `Y` with a non-zero reason means for this terminal model."""
    if (s.f1 or "").replace(".", "").isdigit():
        command, ok, reason, wait = s.f2 or "", s.f3 == "Y", s.f4 or "0", s.f5 or "0"
        if ok and reason.strip("0") and y_with_reason == "failed":
            ok = False
        if ok:
            return Feedback(command, FeedbackResult.OK, _number(wait, 0.0), reason)
        result, detail = REASONS_40.get(reason, (FeedbackResult.FAILED, f"reason {reason}"))
        return Feedback(command, result, _number(wait, 0.0), reason, detail)
    command, executed, freq_ok, inhibit, wait = (s.f1 or "", s.f2, s.f3, s.f4 or "0", s.f5)
    wait_s = _mmss(wait)
    if executed == "Y":
        return Feedback(command, FeedbackResult.OK, wait_s, inhibit)
    if freq_ok == "N":
        return Feedback(command, FeedbackResult.TOO_SOON, wait_s, inhibit, "interval not reached")
    if inhibit != "0":
        result, detail = INHIBIT_21.get(inhibit, (FeedbackResult.INHIBITED, f"inhibit {inhibit}"))
        return Feedback(command, result, wait_s, inhibit, detail)
    return Feedback(command, FeedbackResult.FAILED, wait_s, inhibit, "not executed")


def _mmss(text: str | None) -> float:
    """2.1 wait field: four digits mmss ("0040" = 40 s); plain seconds are accepted too."""
    value = (text or "").strip()
    if len(value) == 4 and value.isdigit():
        return int(value[:2]) * 60 + int(value[2:])
    return _number(value, 0.0)


def _level(text: str | None) -> int:
    level = int(_number(text, 0))
    return 5 if level == 0 else level


class TextFamily:
    """Shared line handling; subclasses give the sentence layouts."""

    name = ""
    send_name = ""
    level_bits: ClassVar[dict[int, int]] = {}

    other_family: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, fki_y_with_reason: str = "ok") -> None:
        if fki_y_with_reason not in FKI_Y_WITH_REASON:
            raise ValueError(f"fki_y_with_reason is one of {', '.join(FKI_Y_WITH_REASON)}")
        self._lines = LineSplitter()
        self._parsers: dict[str, Callable[[pynmea2.TalkerSentence], TerminalEvent]] = {}
        self.fki_y_with_reason = fki_y_with_reason

    def _feedback(self, s: pynmea2.TalkerSentence) -> Feedback:
        return parse_feedback(s, self.fki_y_with_reason)

    def feed(self, chunk: bytes) -> list[TerminalEvent]:
        overflows = self._lines.overflows
        events: list[TerminalEvent] = []
        for line in self._lines.feed(chunk):
            start = line.find(b"$")
            if start > 0 and line[:start].strip():
                # Line noise before the sentence: noted, and the sentence is still read.
                events.append(Rejected("junk_before_sentence", line[:start][:64]))
                line = line[start:]
            events.append(self.parse_line(line))
        if self._lines.overflows != overflows:
            events.append(Rejected("line_too_long", b""))
        return events

    def parse_line(self, line: bytes) -> TerminalEvent:
        """One sentence -> event. Never raises: bad lines become `Rejected` with a reason."""
        stripped = line.strip()
        if not stripped.startswith(b"$"):
            return Rejected("bad_format", stripped)
        if b"*" not in stripped:
            return Rejected("missing_checksum", stripped)
        try:
            sentence = sentences.parse(stripped)
        except pynmea2.ChecksumError:
            return Rejected("bad_checksum", stripped)
        except pynmea2.SentenceTypeError:
            return Other(stripped[1:6].decode("latin-1"))
        except (pynmea2.ParseError, ValueError):
            return Rejected("bad_format", stripped)
        parser = self._parsers.get(sentence.sentence_type)
        if parser is None:
            if sentence.sentence_type in self.other_family:
                return Rejected("wrong_family", stripped)  # the gateway's --family is wrong
            return Other(sentence.talker + sentence.sentence_type)
        try:
            return parser(sentence)
        except _Refuse as refusal:
            return Rejected(refusal.reason, stripped)
        except (ValueError, TypeError, IndexError):
            return Rejected("bad_format", stripped)

    def max_bits(self, level: int) -> int:
        return self.level_bits.get(level, min(self.level_bits.values()))


class Family21(TextFamily):
    """BDS-2 "2.1" sentences."""

    name = "2.1"
    send_name = "TXA"
    level_bits = LEVEL_BITS_BDS2
    other_family = frozenset({"TCI", "ICP", "TCQ", "ICR"})

    def __init__(self, fki_y_with_reason: str = "ok") -> None:
        super().__init__(fki_y_with_reason)
        self._parsers = {
            "TXR": self._txr,
            "FKI": self._feedback,
            "ICI": self._ici,
            "TXA": self._txa,
            "ICA": lambda _s: CardQuery(),
        }

    # host -> terminal
    def card_query(self) -> bytes:
        return sentences.render("CC", "ICA", ["0", "00"])

    def send_command(
        self, card: str, mode: ContentMode, content: bytes, urgent: bool = False
    ) -> bytes:
        code = {v: k for k, v in _MODES_21.items()}[mode]
        return sentences.render(
            "CC",
            "TXA",
            [f"{int(card):07d}", "0" if urgent else "1", code, _raw_chinese(mode, content)],
        )

    # terminal -> host
    def card_info(self, info: CardInfo, serial: str = "0") -> bytes:
        fields = [
            f"{int(info.card):07d}",
            serial,
            "0",
            "0",
            f"{info.interval_s:g}",
            str(info.level),
            "N",
            "0",
        ]
        return sentences.render("BD", "ICI", fields)

    def received(self, rx: Received, raw_chinese: bool = False) -> bytes:
        code = {v: k for k, v in _MODES_21.items()}[rx.mode]
        content = to_field(rx.content)
        if raw_chinese and rx.mode is ContentMode.CHINESE:
            content = rx.content.decode("latin-1")
        info_type = INFO_URGENT_21 if rx.urgent else INFO_ORDINARY_21
        fields = [info_type, f"{int(rx.sender):07d}", code, rx.terminal_time or "", content]
        return sentences.render("BD", "TXR", fields)

    def feedback(self, fb: Feedback, at_hhmmss: str = "000000") -> bytes:
        ok = fb.result is FeedbackResult.OK
        freq = "N" if fb.result is FeedbackResult.TOO_SOON else "Y"
        inhibit = (fb.code or "1") if fb.result is FeedbackResult.INHIBITED else "0"
        minutes, seconds = divmod(round(fb.wait_s), 60)
        wait = f"{min(minutes, 99):02d}{seconds:02d}"
        return sentences.render("BD", "FKI", [fb.command, "Y" if ok else "N", freq, inhibit, wait])

    # parsers
    def _txr(self, s: pynmea2.TalkerSentence) -> Received:
        mode = _MODES_21.get(s.mode or "")
        if mode is None:
            raise _Refuse("unsupported_mode")
        return Received(
            _card(s.sender), mode, _content(s.content), s.send_time or None,
            digits=_odd_digits(mode, s.content),
            urgent=(s.info_type or "").strip() == INFO_URGENT_21,
        )  # fmt: skip

    def _ici(self, s: pynmea2.TalkerSentence) -> CardInfo:
        card, interval = _card(s.card), _number(s.interval)
        if _no_card(card, interval, s.level):
            raise _Refuse("no_card")
        level = _level(s.level)
        bits = self.max_bits(level)
        if (s.encryption or "").strip().upper() == "E":
            bits = LEVEL_BITS_BDS2_ENCRYPTED.get(level, min(LEVEL_BITS_BDS2_ENCRYPTED.values()))
        return CardInfo(card, interval, level, bits)

    def _txa(self, s: pynmea2.TalkerSentence) -> SendCommand:
        mode = _MODES_21.get(s.mode or "")
        if mode is None:
            raise _Refuse("unsupported_mode")
        return SendCommand(_card(s.card), mode, _content(s.content), urgent=s.comm_class == "0")


class Family40(TextFamily):
    """BDS-3 "4.0" sentences."""

    name = "4.0"
    send_name = "TCQ"
    level_bits = LEVEL_BITS_BDS3
    other_family = frozenset({"TXR", "ICI", "TXA", "ICA"})

    def __init__(self, fki_y_with_reason: str = "ok") -> None:
        super().__init__(fki_y_with_reason)
        self._parsers = {
            "TCI": self._tci,
            "FKI": self._feedback,
            "ICP": self._icp,
            "TCQ": self._tcq,
            "ICR": lambda _s: CardQuery(),
            "PWI": lambda _s: Other("BDPWI"),
        }

    def card_query(self) -> bytes:
        return sentences.render("CC", "ICR", ["0", "00"])

    def send_command(
        self, card: str, mode: ContentMode, content: bytes, urgent: bool = False
    ) -> bytes:
        code = {v: k for k, v in _MODES_40.items()}[mode]
        return sentences.render(
            "CC", "TCQ", [str(int(card)), "2", "1", code, _raw_chinese(mode, content), "0"]
        )

    def card_info(self, info: CardInfo, broadcast: str = "0") -> bytes:
        level = "0" if info.level == 5 else str(info.level)
        fields = [
            str(int(info.card)),
            broadcast,
            "1",
            "3",
            "0",
            "N",
            "1",
            "Y",
            "1",
            "0",
            "0",
            "3",
            "1",
            f"{info.interval_s:g}",
            level,
            "1",
            "1",
            "2",
            "2",
            "0",
            "0",
            "0",
            "0",
        ]
        return sentences.render("BD", "ICP", fields)

    def received(self, rx: Received, raw_chinese: bool = False) -> bytes:
        code = {v: k for k, v in _MODES_40.items()}[rx.mode]
        content = to_field(rx.content)
        if raw_chinese and rx.mode is ContentMode.CHINESE:
            content = rx.content.decode("latin-1")
        fields = [rx.sender, rx.recipient or "0", "2", rx.terminal_time or "", code, "0", content]
        return sentences.render("BD", "TCI", fields)

    def feedback(self, fb: Feedback, at_hhmmss: str = "000000") -> bytes:
        ok = fb.result is FeedbackResult.OK
        reason = (
            "0"
            if ok
            else (
                fb.code
                or {FeedbackResult.TOO_SOON: "1", FeedbackResult.INHIBITED: "2"}.get(fb.result, "4")
            )
        )
        fields = [at_hhmmss, fb.command, "Y" if ok else "N", reason, f"{round(fb.wait_s)}"]
        return sentences.render("BD", "FKI", fields)

    def _tci(self, s: pynmea2.TalkerSentence) -> Received:
        mode = _RX_MODES_40.get(s.encoding or "")
        if mode is None:
            raise _Refuse("unsupported_mode")
        recipient = normalize_card(s.recipient or "")
        return Received(
            _card(s.sender), mode, _content(s.content), s.send_time or None, recipient,
            digits=_odd_digits(mode, s.content),
        )  # fmt: skip

    def _icp(self, s: pynmea2.TalkerSentence) -> CardInfo:
        card = _card(s.card)
        if int(card) in NO_CARD_ADDRESSES:  # level 0 means 5 here: only the address tells
            raise _Refuse("no_card")
        level = _level(s.level)
        return CardInfo(card, _number(s.interval), level, self.max_bits(level))

    def _tcq(self, s: pynmea2.TalkerSentence) -> SendCommand:
        mode = _MODES_40.get(s.encoding or "")
        if mode is None:
            raise _Refuse("unsupported_mode")
        return SendCommand(_card(s.card), mode, _content(s.content))
