"""A broadcast's downlink is dumped once with a msg_id slot and the id swapped in per vessel
(issue 17.2): every copy must be exactly what a model built for that vessel would send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from seaLink.wire.payloads import MSG_ID_SLOT, DownKind, DownMessage, with_msg_id
from tests.fuzzing import fuzz_settings

FUZZ = fuzz_settings(200)
ids = st.from_regex(r"\A[A-Za-z0-9_.:-]{1,64}\Z")
# Texts that try to look like the slot, with every Unicode edge the wire may carry.
texts = st.one_of(
    st.text(),
    st.sampled_from([MSG_ID_SLOT, f'"msg_id":"{MSG_ID_SLOT}"', '{"msg_id":"x"}', "a\u0000b"]),
)


def _message(msg_id: str, title: str, body: str, **extra: object) -> DownMessage:
    now = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    return DownMessage(
        msg_id=msg_id, kind=DownKind.WARNING, priority=1, title=title, body=body, issued=now,
        expires=now + timedelta(hours=6), ack="confirm", broadcast_id=7, **extra,
    )  # fmt: skip


@FUZZ
@given(msg_id=ids, title=texts, body=texts)
def test_the_swapped_copy_equals_the_vessels_own_message(
    msg_id: str, title: str, body: str
) -> None:
    extra = {"signal": "blue", "recall": {"deadline": "2026-12-07T08:00:00Z"}}
    template = _message(MSG_ID_SLOT, title, body, **extra).model_dump_json(exclude_none=True)
    own = _message(msg_id, title, body, **extra).model_dump_json(exclude_none=True)
    assert with_msg_id(template, msg_id) == own


@pytest.mark.parametrize("bad", ["", "a b", "ab\n", "x" * 65, 'a"b', "渔"])
def test_an_id_the_model_would_refuse_is_refused(bad: str) -> None:
    template = _message(MSG_ID_SLOT, "t", "b").model_dump_json(exclude_none=True)
    with pytest.raises(ValueError):
        with_msg_id(template, bad)


def test_only_a_template_dumped_with_the_slot_is_accepted() -> None:
    with pytest.raises(ValueError):
        with_msg_id(_message("b7-V1", "t", "b").model_dump_json(), "b7-V2")
