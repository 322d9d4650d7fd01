"""A fleet split over several processes: start the workers, add up their progress, stop them.

One Python process drives a few thousand paho clients comfortably; 10,000+ vessels need
several. Each worker runs the same code on every n-th vessel of the same fleet CSV, with the
same seed, run id and simulated t=0, so the result is the same fleet as one process would run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from simulators.stats import STATS_ENV, FleetCounters, merge_stats, write_stats

_STARTUP_S = 1.5  # simulated t=0 a little ahead, so every worker has loaded its fleet by then
_STOP_GRACE_S = 20.0


def part_path(stats_path: Path, k: int) -> Path:
    return stats_path.with_name(f"{stats_path.name}.part{k}")


async def run_split(
    worker_args: list[str], processes: int, stats_path: Path | None, duration_s: float
) -> int:
    """Run `processes` workers with `worker_args` (everything but --slice/--start-wall)."""
    start_wall = time.time() + _STARTUP_S
    procs: list[asyncio.subprocess.Process] = []
    for k in range(processes):
        env = dict(os.environ)
        env.pop(STATS_ENV, None)
        if stats_path is not None:
            env[STATS_ENV] = str(part_path(stats_path, k))
        procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "simulators.worker",
                *worker_args,
                "--slice",
                f"{k}/{processes}",
                "--start-wall",
                repr(start_wall),
                stdout=asyncio.subprocess.PIPE,
                env=env,
            )
        )
    latest: dict[int, dict[str, Any]] = {}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with asyncio.TaskGroup() as tg:
            readers = [
                tg.create_task(_read_progress(k, p, latest), name=f"sim-worker-{k}-progress")
                for k, p in enumerate(procs)
            ]
            printer = tg.create_task(_print_totals(latest), name="sim-workers-progress")
            done = tg.create_task(_wait_all(procs), name="sim-workers-wait")
            stopped = tg.create_task(stop.wait(), name="sim-workers-stop")
            limit = duration_s + _STARTUP_S + _STOP_GRACE_S if duration_s > 0 else None
            await asyncio.wait({done, stopped}, timeout=limit, return_when=asyncio.FIRST_COMPLETED)
            if not done.done():
                await _stop_all(procs)
            stopped.cancel()
            await done
            for r in readers:
                await r
            printer.cancel()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print(_totals(latest).line() + "  (all processes)", flush=True)
    if stats_path is not None:
        _merge_parts(stats_path, processes)
    codes = [p.returncode or 0 for p in procs]
    return max(codes, default=0)


async def _read_progress(
    k: int, proc: asyncio.subprocess.Process, latest: dict[int, dict[str, Any]]
) -> None:
    assert proc.stdout is not None
    async for raw in proc.stdout:
        with contextlib.suppress(ValueError):
            msg = json.loads(raw)
            if isinstance(msg, dict) and isinstance(msg.get("progress"), dict):
                latest[k] = msg["progress"]


def _totals(latest: dict[int, dict[str, Any]]) -> FleetCounters:
    totals = FleetCounters()
    for part in latest.values():
        totals.add(part)
    return totals


async def _print_totals(latest: dict[int, dict[str, Any]]) -> None:
    while True:
        await asyncio.sleep(5.0)
        if latest:
            print(_totals(latest).line() + f"  ({len(latest)} processes)", flush=True)


async def _wait_all(procs: list[asyncio.subprocess.Process]) -> None:
    for p in procs:
        await p.wait()


async def _stop_all(procs: list[asyncio.subprocess.Process]) -> None:
    """SIGTERM each worker we started (by its own handle), then kill what does not exit."""
    for p in procs:
        if p.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                p.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(_wait_all(procs), timeout=_STOP_GRACE_S)
    except TimeoutError:
        for p in procs:
            if p.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    p.kill()


def _merge_parts(stats_path: Path, processes: int) -> None:
    parts = []
    for k in range(processes):
        path = part_path(stats_path, k)
        if path.is_file():
            parts.append(json.loads(path.read_text(encoding="utf-8")))
            path.unlink()
    write_stats(stats_path, merge_stats(parts))
