"""A simulated fleet in one process: many terminals, one asyncio loop, three named tasks.

- `sim-scheduler` runs every timed action (reports, scenario events, human replies, repeats);
- `sim-connect` switches terminals on gradually (default 200 a second) so thousands of boats
  do not hit the broker in the same instant;
- `sim-progress` prints a progress line every few seconds.

`FleetSim.run()` returns when the duration is up or `stop` is set; it then switches every
terminal off cleanly and, if asked, dumps per-vessel counters as JSON.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from seaLink.wire import Topics
from seaLink.wire.mqtt import PahoAsyncio, parse_broker_url
from simulators.clock import Scheduler, SimClock
from simulators.coverage import CoverageSettings
from simulators.fleet_csv import SimVessel
from simulators.movement import MovementSettings, Track
from simulators.routing import default_router
from simulators.scenario import ResolvedEvent, Scenario, resolve
from simulators.stats import FleetCounters, write_stats
from simulators.vessel import SimContext, Terminal, TerminalSettings

log = logging.getLogger(__name__)
_CLOSE_WAIT_S = 5.0


@dataclass(frozen=True, slots=True)
class SimConfig:
    """How to run a fleet. Times are simulated seconds unless named `real`."""

    broker_url: str = "mqtt://127.0.0.1:1883"
    prefix: str = "sealink/v1"
    seed: int = 7
    speed: float = 1.0
    interval_s: float = 600.0  # default report interval; a vessel's report_interval_s wins
    duration_real_s: float = 0.0  # 0: until stopped
    connect_rate: float = 200.0  # terminals switched on per real second (this process)
    progress_real_s: float = 5.0
    coverage: CoverageSettings = field(default_factory=CoverageSettings)
    terminal: TerminalSettings = field(default_factory=TerminalSettings)
    movement: MovementSettings = field(default_factory=MovementSettings)
    slice_index: int = 0  # this process simulates vessels i with i % slice_count == slice_index
    slice_count: int = 1
    run_id: str = field(default_factory=lambda: secrets.token_hex(3))
    start_wall: float | None = None  # epoch seconds of simulated t=0 (aligns processes)
    stats_path: Path | None = None


ProgressSink = Callable[[FleetCounters], None]


def print_progress(counters: FleetCounters) -> None:
    print(counters.line(), flush=True)


class FleetSim:
    def __init__(
        self,
        vessels: Sequence[SimVessel],
        scenario: Scenario,
        config: SimConfig,
        progress: ProgressSink | None = print_progress,
    ) -> None:
        if config.speed <= 0 or config.interval_s <= 0:
            raise ValueError("speed and interval must be positive")
        self.vessels = list(vessels)
        self.scenario = scenario
        self.config = config
        self.progress = progress
        self.counters = FleetCounters()
        self.router = default_router()
        # Resolved against the whole fleet, so every process of a split fleet picks the same boats.
        self.events: list[ResolvedEvent] = resolve(
            scenario, self.vessels, config.seed, self.router.navigable
        )
        self.coverage = scenario.coverage or config.coverage
        self.terminals: dict[str, Terminal] = {}
        self.clock: SimClock | None = None

    def owned(self) -> list[tuple[int, SimVessel]]:
        c = self.config
        return [(i, v) for i, v in enumerate(self.vessels) if i % c.slice_count == c.slice_index]

    def terminal(self, vessel_id: str) -> Terminal:
        return self.terminals[vessel_id]

    def online_count(self) -> int:
        return sum(1 for t in self.terminals.values() if t.online)

    async def run(self, stop: asyncio.Event | None = None) -> FleetCounters:
        cfg = self.config
        stop = stop or asyncio.Event()
        self.clock = SimClock(cfg.speed, cfg.start_wall)
        scheduler = Scheduler(self.clock)
        adapter = PahoAsyncio()
        ctx = SimContext(
            topics=Topics(cfg.prefix),
            broker=parse_broker_url(cfg.broker_url),
            adapter=adapter,
            scheduler=scheduler,
            clock=self.clock,
            counters=self.counters,
            coverage=self.coverage,
            settings=cfg.terminal,
            seed=cfg.seed,
            run_id=cfg.run_id,
            fleet_ids=tuple(v.id for v in self.vessels),
        )
        try:
            self._build(ctx)
            self._schedule_events(ctx)
            async with asyncio.TaskGroup() as tg:
                sched_task = tg.create_task(scheduler.run(), name="sim-scheduler")
                connect_task = tg.create_task(self._switch_on(), name="sim-connect")
                progress_task = tg.create_task(self._report_progress(), name="sim-progress")
                try:
                    await self._wait_for_stop(stop)
                finally:
                    connect_task.cancel()
                    progress_task.cancel()
                    ctx.stopping = True
                    await self._switch_off()
                    sched_task.cancel()
        finally:
            for t in self.terminals.values():
                adapter.detach(t.client)
            adapter.close()
            self.counters.sim_time_s = self.clock.now()
            if self.progress is not None:
                self.progress(self.counters)
            if cfg.stats_path is not None:
                write_stats(cfg.stats_path, self.stats())
        return self.counters

    def _build(self, ctx: SimContext) -> None:
        cfg = self.config
        for i, v in self.owned():
            track = Track(
                i,
                cfg.seed,
                v.home_port,
                self.router,
                group=v.group_id,
                gear=v.gear,
                settings=cfg.movement,
            )
            interval = float(v.report_interval_s or cfg.interval_s)
            self.terminals[v.id] = Terminal(v, i, track, interval, ctx)
        self.counters.vessels = len(self.terminals)

    def _schedule_events(self, ctx: SimContext) -> None:
        for resolved in self.events:
            mine = [self.terminals[v] for v in resolved.vessel_ids if v in self.terminals]
            if mine:
                ctx.scheduler.at(resolved.event.at_s, partial(self._fire, resolved, mine))

    def _fire(self, resolved: ResolvedEvent, terminals: list[Terminal]) -> None:
        ev, t = resolved.event, resolved.event.at_s
        log.info("sim: %s on %s", ev.label(), ", ".join(x.vid for x in terminals[:5]))
        for term in terminals:
            if ev.action == "silence":
                term.silence(t, ev.duration_s)
            elif ev.action == "out_of_coverage":
                term.out_of_coverage(t, ev.duration_s)
            elif ev.action == "goto":
                term.goto(t, ev)
            elif ev.action == "distress":
                term.start_distress(t, ev)
            elif ev.action == "cancel_distress":
                term.cancel_distress(t, ev)
            elif ev.action == "request":
                term.request(t, ev)
            elif ev.action == "fault":
                term.fault(t, ev)

    async def _switch_on(self) -> None:
        rate = max(1.0, self.config.connect_rate)
        started = time.monotonic()
        for n, term in enumerate(self.terminals.values()):
            term.power_on()
            ahead = (n + 1) / rate - (time.monotonic() - started)
            if ahead > 0.01:  # sleep in slices of at least 10 ms, not once per terminal
                await asyncio.sleep(ahead)

    async def _report_progress(self) -> None:
        assert self.clock is not None
        while True:
            await asyncio.sleep(self.config.progress_real_s)
            self.counters.sim_time_s = self.clock.now()
            if self.progress is not None:
                self.progress(self.counters)

    async def _wait_for_stop(self, stop: asyncio.Event) -> None:
        duration = self.config.duration_real_s
        if duration > 0:
            try:
                await asyncio.wait_for(stop.wait(), timeout=duration)
            except TimeoutError:
                pass
        else:
            await stop.wait()

    async def _switch_off(self) -> None:
        for term in self.terminals.values():
            term.shutdown()
        deadline = time.monotonic() + _CLOSE_WAIT_S
        while time.monotonic() < deadline:
            if all(t.closed() for t in self.terminals.values()):
                return
            await asyncio.sleep(0.02)
        left = sum(1 for t in self.terminals.values() if not t.closed())
        log.warning("sim: %d terminals did not close within %.0f s", left, _CLOSE_WAIT_S)

    def stats(self) -> dict[str, Any]:
        """Per-vessel counters (what the JSON dump holds)."""
        return {
            "run_id": self.config.run_id,
            "seed": self.config.seed,
            "totals": self.counters.as_dict(),
            "vessels": {vid: t.record.as_dict() for vid, t in self.terminals.items()},
        }
