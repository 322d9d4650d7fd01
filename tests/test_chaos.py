"""The chaos harness, small: 100 vessels with flapping links, two hubs (cluster mode) killed with
kill -9, the broker and a private PostgreSQL restarted. Nothing accepted may be lost or doubled.

The full run is `python -m bench.chaos` (1,000 vessels); its output is in docs/performance.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos.plan import ChaosConfig
from bench.chaos.run import run_chaos

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(600)]

SMALL = ChaosConfig(
    vessels=100,
    hubs=2,
    duration_s=60,
    hub_kills=2,
    broker_restarts=1,
    pg_restarts=1,
    distresses=4,
    broadcasts=3,
    report_s=4,
    flap_every_s=30,
    settle_timeout_s=180,
    seed=6,
)


async def test_small_chaos_run_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    lines: list[str] = []
    report = await run_chaos(SMALL, tmp_path / "chaos", lines.append)
    print("\n".join(lines))
    print(report.table())
    figures = report.figures
    # The disruptions really happened, and the fleet really flapped.
    assert figures["hub kills (kill -9)"] == "2"
    assert figures["broker restarts"] == "1"
    assert figures["PostgreSQL restarts"] == "1"
    assert int(figures["link drops (flapping + restarts)"]) > SMALL.vessels
    # Every check, from the boats' side, the store's and the API's.
    failed = [f"{c.name}: {c.detail}" for c in report.checks if not c.ok]
    assert not failed, "\n".join(failed)
    assert len(report.checks) == 4
    assert (report.losses, report.duplicates) == (0, 0)
