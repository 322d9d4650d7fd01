"""Beidou RDSS text sentences as pynmea2 talker sentences (pynmea2 registers them by type).

Field names follow the BDS interface documents as quoted by public terminal code; `FKI` keeps
generic names because the 2.1 and 4.0 families lay it out differently (see `text_family`).
Sentences are handled as latin-1 strings so that raw GB18030 bytes survive and the checksum is
the XOR of the bytes.
"""

from __future__ import annotations

import pynmea2

from seaLink.wire.checksum import xor_checksum


class TXA(pynmea2.TalkerSentence):  # type: ignore[misc]
    """2.1 send request: $CCTXA,card,class(0 urgent/1 normal),mode(0/1/2),content."""

    fields = (
        ("Recipient card", "card"),
        ("Communication class", "comm_class"),
        ("Content mode", "mode"),
        ("Content", "content"),
    )


class TXR(pynmea2.TalkerSentence):  # type: ignore[misc]
    """2.1 received message: $BDTXR,info type,sender,mode,time (hhmm),content."""

    fields = (
        ("Information type", "info_type"),
        ("Sender card", "sender"),
        ("Content mode", "mode"),
        ("Send time", "send_time"),
        ("Content", "content"),
    )


class FKI(pynmea2.TalkerSentence):  # type: ignore[misc]
    """Feedback. 2.1: command,exec,freq ok,inhibit,wait(mmss); 4.0: time,command,Y/N,reason,wait."""

    fields = (
        ("Field 1", "f1"),
        ("Field 2", "f2"),
        ("Field 3", "f3"),
        ("Field 4", "f4"),
        ("Field 5", "f5"),
    )


class ICA(pynmea2.TalkerSentence):  # type: ignore[misc]
    """2.1 card query: $CCICA,0,00."""

    fields = (("Query type", "query_type"), ("Frame", "frame"))


class ICI(pynmea2.TalkerSentence):  # type: ignore[misc]
    """2.1 card information."""

    fields = (
        ("Card", "card"),
        ("Serial number", "serial"),
        ("Broadcast address", "broadcast"),
        ("User feature", "user_feature"),
        ("Service interval, s", "interval"),
        ("Communication level", "level"),
        ("Encryption", "encryption"),
        ("Subordinate users", "subordinates"),
    )


class TCQ(pynmea2.TalkerSentence):  # type: ignore[misc]
    """4.0 send request: $CCTCQ,card,frequency point,receipt,encoding(1-5),content,send rate."""

    fields = (
        ("Recipient card", "card"),
        ("Frequency point", "freq_point"),
        ("Receipt", "receipt"),
        ("Encoding", "encoding"),
        ("Content", "content"),
        ("Send rate", "send_rate"),
    )


class TCI(pynmea2.TalkerSentence):  # type: ignore[misc]
    """4.0 received message: $BDTCI,sender,recipient,frequency point,time,encoding,0,content."""

    fields = (
        ("Sender card", "sender"),
        ("Recipient card", "recipient"),
        ("Frequency point", "freq_point"),
        ("Send time", "send_time"),
        ("Encoding", "encoding"),
        ("Reserved", "reserved"),
        ("Content", "content"),
    )


class ICR(pynmea2.TalkerSentence):  # type: ignore[misc]
    """4.0 card query: $CCICR,0,00."""

    fields = (("Query type", "query_type"), ("Frame", "frame"))


class ICP(pynmea2.TalkerSentence):  # type: ignore[misc]
    """4.0 card information (fields 14 and 15: service interval and level, 0 meaning 5)."""

    fields = (
        ("Card", "card"),
        ("Broadcast id", "broadcast"),
        ("Authorization type", "auth_type"),
        ("User identity", "user_identity"),
        ("Service identity", "service_identity"),
        ("Confidentiality", "confidential"),
        ("Device type", "device_type"),
        ("Rescue", "rescue"),
        ("Military", "military"),
        ("Civil/military", "civil_military"),
        ("Allies", "allies"),
        ("User priority", "priority"),
        ("Service capabilities", "capabilities"),
        ("Service interval, s", "interval"),
        ("Communication level", "level"),
        ("Global identity", "global_identity"),
        ("Global message permission", "global_permission"),
        ("Global message interval", "global_interval"),
        ("Global message level", "global_level"),
        ("Subordinate users", "subordinates"),
        ("Group permission", "group_permission"),
        ("Own groups", "own_groups"),
        ("Joined groups", "joined_groups"),
    )


class PWI(pynmea2.TalkerSentence):  # type: ignore[misc]
    """4.0 signal power: time, then beam counts and levels (kept raw)."""

    fields = (("Time", "time"),)


BEIDOU_SENTENCES = ("TXA", "TXR", "FKI", "ICA", "ICI", "TCQ", "TCI", "ICR", "ICP", "PWI")


def render(talker: str, sentence_type: str, fields: list[str]) -> bytes:
    """A sentence with its checksum and CR LF, as bytes (fields are latin-1 strings)."""
    cls = pynmea2.TalkerSentence.sentence_types[sentence_type]
    text = cls(talker, sentence_type, fields).render(checksum=True, dollar=True, newline=True)
    return str(text).encode("latin-1")


def parse(line: bytes) -> pynmea2.TalkerSentence:
    """Parse one line (checksum required) into its registered pynmea2 sentence class.

    The envelope is split here rather than by `pynmea2.parse`, whose pattern takes any type
    ending in Q (TCQ) for a query sentence. Raises pynmea2's errors."""
    text = line.decode("latin-1").strip()
    if not text.startswith("$"):
        raise pynmea2.ParseError("no $", text)
    body, star, given = text[1:].rpartition("*")  # the last `*`: mixed text may hold one
    if not star:
        raise pynmea2.ChecksumError("checksum missing", text)
    try:
        expected = int(given, 16) if len(given) == 2 else -1
    except ValueError:
        expected = -1
    if expected != xor_checksum(body.encode("latin-1")):
        raise pynmea2.ChecksumError("checksum does not match", text)
    head, *fields = body.split(",")
    if len(head) != 5 or not head.isalnum():
        raise pynmea2.ParseError("bad sentence type", text)
    cls = pynmea2.TalkerSentence.sentence_types.get(head[2:])
    if cls is None:
        raise pynmea2.SentenceTypeError(f"unknown sentence type {head}", text)
    sentence: pynmea2.TalkerSentence = cls(head[:2], head[2:], fields)
    return sentence
