"""The pool of shore Beidou gateways: the choice by load and interval, a failing card taken out
and back in (pure: gateway statuses and results as the hub holds them)."""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from seaLink.services.beidou_pool import PAUSE_S, STRIKES, BeidouPool
from seaLink.wire.gateway import (
    BeidouTxResult,
    GatewayKind,
    GatewayState,
    GatewayStatus,
    TxOutcome,
)

T = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def pool(**intervals: float) -> BeidouPool:
    status = {
        gid: GatewayStatus(gateway_id=gid, kind=GatewayKind.BEIDOU, state=GatewayState.ONLINE,
                           card="42077" + str(i), interval_s=s)
        for i, (gid, s) in enumerate(intervals.items())
    }  # fmt: skip
    status["ais-1"] = GatewayStatus(
        gateway_id="ais-1", kind=GatewayKind.AIS, state=GatewayState.ONLINE
    )
    uplinks: Any = SimpleNamespace(status=status, tx_results=deque())
    return BeidouPool(uplinks, registry=None)  # type: ignore[arg-type]


def result(outcome: TxOutcome, reason: str | None = None) -> BeidouTxResult:
    return BeidouTxResult(id="m", outcome=outcome, reason=reason, ts=T)


def test_messages_go_where_they_would_be_sent_soonest() -> None:
    p = pool(a=60.0, b=30.0)
    picks = [p.pick(T) for _ in range(6)]
    # b sends twice as often: it takes two of every three
    assert picks.count("b") == 4 and picks.count("a") == 2
    p.answered("b", result(TxOutcome.SENT), T)
    assert p.outstanding == {"a": 2, "b": 3}


def test_a_failing_card_is_taken_out_and_comes_back() -> None:
    p = pool(a=60.0, b=60.0)
    for _ in range(STRIKES):
        p.answered("a", result(TxOutcome.FAILED, "terminal_failed"), T)
    assert p.members(T) == ["b"]
    assert {p.pick(T) for _ in range(3)} == {"b"}
    later = T + timedelta(seconds=PAUSE_S)
    assert p.members(later) == ["a", "b"]
    # a message's own fault (too long) says nothing of the card
    for _ in range(STRIKES):
        p.answered("b", result(TxOutcome.FAILED, "too_long"), later)
    assert p.members(later) == ["a", "b"]
    p._uplinks.status["a"] = p._uplinks.status["a"].model_copy(
        update={"state": GatewayState.OFFLINE}
    )
    assert p.members(later) == ["b"]
