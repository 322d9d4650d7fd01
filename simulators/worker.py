"""One process of a split fleet (`sealink sim fleet --processes N` starts N of these).

Prints its counters as one JSON object per line on stdout for the parent to add up; logs go to
stderr. Stops on SIGINT/SIGTERM or after --duration, disconnecting cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import logging
import signal
import sys

from simulators.coverage import CoverageSettings
from simulators.fleet import FleetSim, SimConfig
from simulators.fleet_csv import FleetError, read_vessels
from simulators.scenario import ScenarioError, load_scenario
from simulators.stats import FleetCounters, stats_path_from_env
from simulators.vessel import TerminalSettings


def _json_progress(counters: FleetCounters) -> None:
    print(json.dumps({"progress": counters.as_dict()}), flush=True)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m simulators.worker")
    p.add_argument("--fleet", required=True)
    p.add_argument("--scenario", default="normal")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--interval", type=float, default=600.0)
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--duration", type=float, default=0.0)
    p.add_argument("--broker", required=True)
    p.add_argument("--prefix", default="sealink/v1")
    p.add_argument("--slice", required=True, help="k/n: simulate vessels i with i % n == k")
    p.add_argument("--run-id", required=True)
    p.add_argument("--start-wall", type=float, required=True)
    p.add_argument("--connect-rate", type=float, default=200.0)
    p.add_argument("--progress", type=float, default=2.0)
    p.add_argument("--protocol", choices=["5", "3.1.1"], default="5")
    p.add_argument("--coverage-nm", type=float, default=25.0)
    return p


async def _serve(sim: FleetSim) -> FleetCounters:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return await sim.run(stop)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # `kill -USR1 <pid>` prints every thread's stack: the way to see what a busy worker is doing.
    faulthandler.register(signal.SIGUSR1)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    k, _, n = args.slice.partition("/")
    try:
        sim = FleetSim(
            read_vessels(args.fleet),
            load_scenario(args.scenario),
            SimConfig(
                broker_url=args.broker,
                prefix=args.prefix,
                seed=args.seed,
                speed=args.speed,
                interval_s=args.interval,
                duration_real_s=args.duration,
                connect_rate=args.connect_rate,
                progress_real_s=args.progress,
                slice_index=int(k),
                slice_count=int(n),
                run_id=args.run_id,
                start_wall=args.start_wall,
                stats_path=stats_path_from_env(),
                terminal=TerminalSettings(protocol=args.protocol),
                coverage=CoverageSettings(radius_nm=args.coverage_nm),
            ),
            progress=_json_progress,
        )
    except (FleetError, ScenarioError, ValueError) as exc:
        print(f"sim worker {args.slice}: {exc}", file=sys.stderr)
        return 2
    counters = asyncio.run(_serve(sim))
    return 0 if counters.connects > 0 or counters.vessels == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
