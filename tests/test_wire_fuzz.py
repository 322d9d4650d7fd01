"""Property-based tests of the vessel protocol's decoders: arbitrary input never raises, and every
refusal carries a reason a person can act on."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from seaLink.wire.codec import Rejection, RejectReason, decode_uplink
from seaLink.wire.nmea import parse_nmea_fixes
from seaLink.wire.topics import TopicError, Topics, UplinkKind
from tests.fuzzing import fuzz_settings

FUZZ = fuzz_settings(300)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=6)
    ),
    max_leaves=20,
)
FIELDS = ["ts", "lat", "lon", "sog", "cog", "state", "backfill", "msg_id", "distress_id", "request_id",
          "terminal", "nature", "persons", "cancel", "reason", "category", "text", "crew", "answers", "recall"]  # fmt: skip
near_valid = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=10)


def check(result: object) -> None:
    if isinstance(result, Rejection):
        assert isinstance(result.reason, RejectReason)
        assert result.detail.strip(), "a refusal must say why"


@FUZZ
@given(kind=st.sampled_from(list(UplinkKind)), payload=st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(kind: UplinkKind, payload: bytes) -> None:
    check(decode_uplink(kind, payload, max_bytes=300, max_fixes=10))


@FUZZ
@given(kind=st.sampled_from(list(UplinkKind)), obj=near_valid | st.lists(near_valid, max_size=4))
def test_near_valid_json_never_raises(kind: UplinkKind, obj: object) -> None:
    payload = json.dumps(obj, ensure_ascii=False, allow_nan=True).encode()
    check(decode_uplink(kind, payload, max_bytes=10_000, max_fixes=3))


@FUZZ
@given(topic=st.text(max_size=80))
def test_topics_parse_or_say_why(topic: str) -> None:
    try:
        Topics("sealink/v1").parse_vessel(topic)
    except TopicError as exc:
        assert exc.reason in {"unknown_topic", "bad_vessel_id"} and exc.detail


@FUZZ
@given(lines=st.lists(st.text(alphabet=st.characters(max_codepoint=127), max_size=90), max_size=6))
def test_nmea_lines_never_raise_and_refusals_have_reasons(lines: list[str]) -> None:
    fixes, problems = parse_nmea_fixes(lines)
    assert all(p.reason for p in problems)
    assert all(-90 <= f.lat <= 90 and -180 <= f.lon <= 180 for f in fixes)
