"""Chaos run: simulated vessels with flapping links, hubs killed with kill -9 at seeded random
moments, the broker restarted, PostgreSQL restarted; then every distress, broadcast and accepted
fix is checked against the boats' own counts, the store and the API.

    python -m bench.chaos [--vessels 1000] [--hubs 2] [--duration 300] [--kills 8] [--seed 1]

Exits 0 when every check passes (losses = 0, duplicates = 0), 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bench._common import machine
from bench.chaos.plan import ChaosConfig
from bench.chaos.run import run_chaos


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    d = ChaosConfig()
    p.add_argument("--vessels", type=int, default=d.vessels)
    p.add_argument("--hubs", type=int, default=d.hubs, help="more than 1: cluster mode")
    p.add_argument("--duration", type=float, default=d.duration_s, help="chaos phase, seconds")
    p.add_argument("--kills", type=int, default=d.hub_kills, help="hub kills (kill -9)")
    p.add_argument("--broker-restarts", type=int, default=d.broker_restarts)
    p.add_argument("--pg-restarts", type=int, default=d.pg_restarts)
    p.add_argument("--distresses", type=int, default=d.distresses)
    p.add_argument("--broadcasts", type=int, default=d.broadcasts)
    p.add_argument("--report-s", type=float, default=d.report_s, help="each vessel's fix interval")
    p.add_argument("--flap-every", type=float, default=d.flap_every_s, help="mean s between drops")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument(
        "--settle", type=float, default=d.settle_timeout_s, help="longest wait for recovery, s"
    )
    p.add_argument(
        "--strict-puback",
        action="store_true",
        help="terminals take a PUBACK 'no matching subscribers' as accepted (no re-send)",
    )
    p.add_argument("--workdir", type=Path, help="keep logs and data here")
    a = p.parse_args()
    cfg = ChaosConfig(
        vessels=a.vessels,
        hubs=a.hubs,
        duration_s=a.duration,
        hub_kills=a.kills,
        broker_restarts=a.broker_restarts,
        pg_restarts=a.pg_restarts,
        distresses=a.distresses,
        broadcasts=a.broadcasts,
        report_s=a.report_s,
        flap_every_s=a.flap_every,
        seed=a.seed,
        settle_timeout_s=a.settle,
        resend_no_subscribers=not a.strict_puback,
    )
    print(f"machine: {machine()}")
    print(f"command: python -m bench.chaos {' '.join(sys.argv[1:])}".rstrip())
    report = asyncio.run(run_chaos(cfg, a.workdir, lambda s: print(s, flush=True)))
    print(report.table())
    sys.exit(0 if report.passed else 1)


if __name__ == "__main__":
    main()
