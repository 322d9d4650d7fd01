"""Multi-sentence AIS messages: joined by talker, channel, sequential id and count, in order;
fragments wait for each other; orphans and stale fragments are dropped with their reasons."""

from __future__ import annotations

import pyais

from gateway.ais.framing import Sentence, frame_line
from gateway.ais.pipeline import AisPipeline
from gateway.ais.reasons import AisReject
from gateway.ais.reassembly import Reassembler
from gateway.counters import Counters
from tests.gateway.nmea_util import rechecksum

PART1 = b"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C"
PART2 = b"!AIVDM,2,2,1,A,88888888880,2*25"
OTHER1 = b"!SAVDM,2,1,4,A,55Mub7P00001L@;SO7TI8DDltqB222222222220O0000067<0620@jhQDTVG,0*43"
OTHER2 = b"!SAVDM,2,2,4,A,30H88888880,2*49"


def _s(line: bytes) -> Sentence:
    s = frame_line(line)
    assert isinstance(s, Sentence)
    return s


def test_two_fragments_make_one_message_in_order() -> None:
    r = Reassembler(Counters())
    assert r.add(_s(PART1), 0.0) is None
    message = r.add(_s(PART2), 0.1)
    assert message is not None
    assert message.payload == _s(PART1).payload + _s(PART2).payload
    assert message.fill == 2
    assert message.sentences == [PART1, PART2]
    assert r.pending == 0


def test_a_lost_first_part_never_joins_the_next_message_reusing_the_id() -> None:
    """Issue 15.11: [X part 2, Y part 1, Y part 2] with one sequential id gave Y with X's tail,
    and Y's own part 2 then waited to corrupt the next message."""
    counters = Counters()
    x2 = _s(rechecksum(OTHER2.replace(b",4,", b",1,").replace(b"!SAVDM", b"!AIVDM")))
    events = AisPipeline(counters).process([x2.raw, PART1, PART2], 1.7e9, 0.0)
    whole = pyais.decode(PART1, PART2)  # the reference decoder, given the right pair
    assert len(events) == 1 and events[0]["mmsi"] == f"{whole.mmsi:09d}"
    assert events[0]["destination"] == whole.destination.split("@")[0].strip()
    assert counters.rejected(AisReject.ORPHAN_FRAGMENT) == 1
    assert counters.rejected(AisReject.STALE_FRAGMENT) == 0


def test_fragments_out_of_order_cannot_belong_together() -> None:
    counters = Counters()
    r = Reassembler(counters)
    assert r.add(_s(PART2), 0.0) is None
    assert r.add(_s(PART1), 0.1) is None  # a part 1 after a part 2: a new message
    assert counters.rejected(AisReject.ORPHAN_FRAGMENT) == 1
    assert r.pending == 1


def test_fragments_of_different_talkers_or_channels_are_not_mixed() -> None:
    r = Reassembler(Counters())
    channel_b = _s(rechecksum(PART2.replace(b",A,", b",B,")))
    talker_sa = _s(rechecksum(PART2.replace(b"!AIVDM", b"!SAVDM")))
    assert r.add(_s(PART1), 0.0) is None
    assert r.add(channel_b, 0.0) is None
    assert r.add(talker_sa, 0.0) is None
    assert r.pending == 3


def test_interleaved_messages_are_each_completed() -> None:
    counters = Counters()
    events = AisPipeline(counters).process([PART1, OTHER1, OTHER2, PART2], 1.7e9, 0.0)
    other = pyais.decode(OTHER1, OTHER2)  # the reference decoder, given the pair directly
    assert [e["mmsi"] for e in events] == [f"{other.mmsi:09d}", "351759000"]
    assert counters.rejections() == {}


def test_a_lone_second_fragment_is_an_orphan_once_its_time_is_up() -> None:
    counters = Counters()
    r = Reassembler(counters, timeout_s=5.0)
    assert r.add(_s(PART2), 0.0) is None
    r.expire(4.9)
    assert counters.rejected(AisReject.ORPHAN_FRAGMENT) == 0
    r.expire(5.1)
    assert counters.rejected(AisReject.ORPHAN_FRAGMENT) == 1
    assert r.pending == 0


def test_a_first_fragment_never_completed_is_stale() -> None:
    counters = Counters()
    r = Reassembler(counters, timeout_s=5.0)
    r.add(_s(PART1), 0.0)
    r.expire(6.0)
    assert counters.rejected(AisReject.STALE_FRAGMENT) == 1
    # the second part arriving after its time is an orphan itself, not a message
    assert r.add(_s(PART2), 7.0) is None
    r.expire(13.0)
    assert counters.rejected(AisReject.ORPHAN_FRAGMENT) == 1


def test_a_reused_sequential_id_drops_the_unfinished_message() -> None:
    counters = Counters()
    r = Reassembler(counters)
    r.add(_s(PART1), 0.0)
    r.add(_s(rechecksum(PART1.replace(b"55?Mb", b"55?Mc"))), 0.5)
    assert counters.rejected(AisReject.STALE_FRAGMENT) == 1
    assert r.pending == 1


def test_a_repeated_fragment_is_counted_as_duplicate() -> None:
    counters = Counters()
    r = Reassembler(counters)
    r.add(_s(PART1), 0.0)
    r.add(_s(PART1), 0.1)
    assert counters.rejected(AisReject.DUPLICATE_FRAGMENT) == 1
    assert r.add(_s(PART2), 0.2) is not None


def test_the_pipeline_expires_fragments_even_without_new_lines() -> None:
    counters = Counters()
    pipeline = AisPipeline(counters, fragment_timeout_s=2.0)
    pipeline.process([PART2], 1.7e9, 0.0)
    assert pipeline.pending_fragments == 1
    pipeline.expire(3.0)
    assert pipeline.pending_fragments == 0
    assert counters.rejected(AisReject.ORPHAN_FRAGMENT) == 1
