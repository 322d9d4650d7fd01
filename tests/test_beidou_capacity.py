"""The issue's capacity case, through the benchmark's own run (`bench/beidou.py`): 30 boats that
only Beidou reaches, 3 shore cards at 60 s and group broadcast. Every boat has the warning within
5 minutes of simulated time, by one send; the rule of operations.md (ceil(N / K) rounds of s
seconds without groups) is checked on a smaller run the test computes itself."""

from __future__ import annotations

import math
from pathlib import Path

from bench.beidou import run_once
from seaLink.testing.mosquitto import Mosquitto


async def test_thirty_beidou_only_boats_get_a_warning_within_five_minutes_by_group_send(
    broker: Mosquitto, tmp_path: Path
) -> None:
    simulated, _real, sends = await run_once(tmp_path, broker, 30, 3, 60.0, 2, group=True)
    assert simulated <= 5 * 60, simulated
    assert sends == 1  # one send to the group's address reached all thirty


async def test_without_groups_k_cards_serve_n_boats_in_ceil_n_over_k_rounds(
    broker: Mosquitto, tmp_path: Path
) -> None:
    boats, cards, interval = 6, 2, 60.0
    simulated, _real, sends = await run_once(tmp_path, broker, boats, cards, interval, 2, False)
    rounds = math.ceil(boats / cards)
    assert sends == boats
    # the last round's sends go at (rounds - 1) intervals after the first; a little slack for
    # the terminals' feedback and the hub's dispatch rounds
    assert (rounds - 1) * interval <= simulated <= rounds * interval + 30, simulated
