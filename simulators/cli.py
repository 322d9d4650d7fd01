"""`sealink sim fleet`: the entry point the hub's CLI calls (`run_sim`).

The fleet comes from `--fleet DIR` (a fleet CSV folder) or, without it, from running
`sealink fleet generate` in a subprocess (or any generator the caller passes), because the
simulator may use nothing of the hub but its public protocol.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import sys
import tempfile
from pathlib import Path

from simulators.coverage import CoverageSettings
from simulators.fleet import FleetSim, SimConfig
from simulators.fleet_csv import FleetError, FleetGenerator, generate_with_cli, read_vessels
from simulators.procs import run_split
from simulators.scenario import ScenarioError, load_scenario
from simulators.stats import FleetCounters, stats_path_from_env
from simulators.vessel import TerminalSettings

log = logging.getLogger(__name__)
CONNECT_RATE = 200.0  # terminals switched on per second, over all processes


def run_sim(
    args: argparse.Namespace,
    broker_url: str,
    prefix: str,
    generate: FleetGenerator | None = None,
) -> int:
    """Run the simulated fleet until --duration, SIGINT or SIGTERM. Returns an exit code.

    `args` carries vessels, scenario, seed, fleet, processes, interval, speed, duration and
    broker (as parsed by `sealink sim fleet`); `args.broker` overrides `broker_url`.
    """
    broker = args.broker or broker_url
    try:
        scenario = load_scenario(args.scenario)
        with tempfile.TemporaryDirectory(prefix="sealink-sim-") as tmp:
            if args.fleet:
                folder = Path(args.fleet)
            else:
                folder = (generate or generate_with_cli)(args.vessels or 300, args.seed, Path(tmp))
            vessels = read_vessels(folder)
            print(
                f"sim: {len(vessels)} vessels from {args.fleet or 'a generated fleet'}, "
                f"scenario {scenario.name!r}, speed x{args.speed:g}, broker {broker}, "
                f"prefix {prefix}",
                flush=True,
            )
            if args.processes > 1:
                return _run_split(args, broker, prefix, folder)
            sim = FleetSim(
                vessels,
                scenario,
                SimConfig(
                    broker_url=broker,
                    prefix=prefix,
                    seed=args.seed,
                    speed=args.speed,
                    interval_s=args.interval,
                    duration_real_s=args.duration,
                    connect_rate=getattr(args, "connect_rate", CONNECT_RATE),
                    stats_path=stats_path_from_env(),
                    terminal=TerminalSettings(protocol=getattr(args, "protocol", "5")),
                    coverage=CoverageSettings(radius_nm=getattr(args, "coverage_nm", 25.0)),
                ),
            )
            counters = asyncio.run(_until_signal(sim))
    except (FleetError, ScenarioError, ValueError) as exc:
        print(f"sealink sim fleet: {exc}", file=sys.stderr)
        return 2
    if counters.vessels and not counters.connects:
        print(f"sealink sim fleet: no vessel could connect to {broker}", file=sys.stderr)
        return 1
    return 0


async def _until_signal(sim: FleetSim) -> FleetCounters:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return await sim.run(stop)


def _run_split(args: argparse.Namespace, broker: str, prefix: str, folder: Path) -> int:
    worker_args = [
        "--fleet",
        str(folder),
        "--scenario",
        str(args.scenario),
        "--seed",
        str(args.seed),
        "--interval",
        repr(float(args.interval)),
        "--speed",
        repr(float(args.speed)),
        "--duration",
        repr(float(args.duration)),
        "--broker",
        broker,
        "--prefix",
        prefix,
        "--run-id",
        secrets.token_hex(3),
        "--connect-rate",
        repr(getattr(args, "connect_rate", CONNECT_RATE) / args.processes),
        "--protocol",
        getattr(args, "protocol", "5"),
        "--coverage-nm",
        repr(float(getattr(args, "coverage_nm", 25.0))),
    ]
    return asyncio.run(
        run_split(worker_args, args.processes, stats_path_from_env(), float(args.duration))
    )
