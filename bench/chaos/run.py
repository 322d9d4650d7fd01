"""One chaos run: start everything, play the seeded timeline, settle, check, report."""

from __future__ import annotations

import asyncio
import logging
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.chaos.checks import Report, check_run, settled
from bench.chaos.coordinator import Coordinator, SentBroadcast
from bench.chaos.infra import ADMIN_PASSWORD, PREFIX, HubSlot, Infrastructure, tail
from bench.chaos.plan import Action, ChaosConfig, timeline
from bench.chaos.terminals import FleetBehaviour, TerminalFleet

log = logging.getLogger("chaos")


@dataclass
class Disruptions:
    hub_kills: int = 0
    hub_self_exits: list[str] = field(default_factory=list)
    broker_restarts: int = 0
    pg_restarts: int = 0
    restart_at: dict[str, float] = field(default_factory=dict)  # hub -> when to start it again


class ChaosRun:
    def __init__(self, cfg: ChaosConfig, workdir: Path, say: Callable[[str], None]) -> None:
        self.cfg = cfg
        self.say = say
        self.infra = Infrastructure(workdir, cfg.vessels, cfg.hubs, cfg.seed)
        self.rng = random.Random(f"{cfg.seed}:run")
        self.fleet = TerminalFleet(
            self.infra.broker.url,
            PREFIX,
            FleetBehaviour(
                report_s=cfg.report_s,
                flap_every_s=cfg.flap_every_s,
                down_s=cfg.down_s,
                distress_repeat_s=cfg.distress_repeat_s,
                connect_spread_s=min(20.0, cfg.vessels / 100),
                resend_no_subscribers=cfg.resend_no_subscribers,
            ),
            cfg.seed,
        )
        for v in self.infra.fleet.vessels:
            port = self.infra.ports[v.home_port]
            self.fleet.add(v.id, v.grid_id, port.lat, port.lon)
        ids = sorted(self.fleet.terminals)
        self.distress_vessels = self.rng.sample(ids, min(cfg.distresses, len(ids)))
        self.grids = sorted({v.grid_id for v in self.infra.fleet.vessels})
        self.broadcasts: list[SentBroadcast] = []
        self.disruptions = Disruptions()
        self.t0 = 0.0

    def live_apis(self) -> list[str]:
        live = [h.api for h in self.infra.hubs if h.alive()]
        return live or [h.api for h in self.infra.hubs]

    def elapsed(self) -> str:
        clock = time.strftime("%H:%M:%S", time.gmtime())
        return f"{time.monotonic() - self.t0:6.1f}s {clock}Z"

    # --- the hub supervisor (what systemd's Restart=always does in production) ---------------

    async def supervise(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for hub in self.infra.hubs:
                if hub.alive():
                    continue
                if hub.name not in self.disruptions.restart_at:
                    # Not our kill: it died by itself. Note why, then restart it like systemd.
                    why = f"{hub.name} (start {hub.starts}): {_last_line(tail(hub.log_path, 200))}"
                    self.disruptions.hub_self_exits.append(why)
                    self.say(f"{self.elapsed()}  {hub.name} exited by itself; restarting")
                    self.disruptions.restart_at[hub.name] = time.monotonic() + 1.0
                if time.monotonic() >= self.disruptions.restart_at[hub.name]:
                    del self.disruptions.restart_at[hub.name]
                    hub.start()
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass

    # --- the timeline -------------------------------------------------------------------------

    async def play(self, action: Action, coord: Coordinator, tg: asyncio.TaskGroup) -> None:
        d = self.disruptions
        if action.kind == "hub_kill":
            hub = self._victim(action.arg)
            if hub is None:
                return
            d.restart_at[hub.name] = time.monotonic() + self.rng.uniform(*self.cfg.hub_down_s)
            hub.kill9()
            d.hub_kills += 1
            self.say(f"{self.elapsed()}  kill -9 {hub.name} (kill {d.hub_kills})")
        elif action.kind == "broker_restart":
            self.say(f"{self.elapsed()}  broker restart")
            await asyncio.to_thread(self.infra.restart_broker)
            d.broker_restarts += 1
        elif action.kind == "pg_restart":
            self.say(f"{self.elapsed()}  PostgreSQL restart")
            await asyncio.to_thread(self.infra.pg.restart)
            d.pg_restarts += 1
        elif action.kind == "distress":
            vid = self.distress_vessels[action.arg]
            self.fleet.terminals[vid].raise_distress(f"{vid}-chaos-{action.arg}")
            self.say(f"{self.elapsed()}  distress from {vid}")
        elif action.kind == "broadcast":
            tg.create_task(self._broadcast(action.arg, coord), name=f"broadcast-{action.arg}")

    def _victim(self, preferred: int) -> HubSlot | None:
        hubs = self.infra.hubs
        for i in range(len(hubs)):
            hub = hubs[(preferred + i) % len(hubs)]
            if hub.alive() and hub.name not in self.disruptions.restart_at:
                return hub
        return None

    async def _broadcast(self, n: int, coord: Coordinator) -> None:
        if n % 2 == 0:
            target: dict[str, object] = {"all": True}
        else:
            target = {"grids": self.rng.sample(self.grids, max(1, len(self.grids) // 3))}
        sent = await coord.broadcast(f"B{n}", target)
        self.broadcasts.append(sent)
        self.say(f"{self.elapsed()}  broadcast {sent.tag} (id {sent.id}) to {target}")

    async def distress_desk(self, coord: Coordinator, stop: asyncio.Event) -> None:
        """The duty officer: acknowledges each distress alert that comes in."""
        while not stop.is_set():
            try:
                await coord.acknowledge_distresses()
            except Exception as exc:  # a hub died under the request: the next round retries
                log.debug("distress desk: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), 2.0)
            except TimeoutError:
                pass

    # --- the whole run ------------------------------------------------------------------------

    async def run(self) -> Report:
        cfg = self.cfg
        started = time.monotonic()
        self.say(f"starting: broker, PostgreSQL, {cfg.hubs} hub(s), {cfg.vessels} vessels")
        stop_fleet, stop_side = asyncio.Event(), asyncio.Event()
        try:
            await self.infra.start()
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.fleet.run(stop_fleet), name="terminals")
                tg.create_task(self.supervise(stop_side), name="hub-supervisor")
                try:
                    report = await self._phases(tg, stop_side)
                finally:
                    stop_side.set()
                    stop_fleet.set()
        finally:
            await self.fleet.close()
            await asyncio.to_thread(self.infra.stop)
        report.figures["run time"] = f"{time.monotonic() - started:.0f} s"
        return report

    async def _phases(self, tg: asyncio.TaskGroup, stop_side: asyncio.Event) -> Report:
        cfg = self.cfg
        await self._wait(
            lambda: all(t.books.connects for t in self.fleet.terminals.values()),
            180,
            "every vessel connected once",
        )
        async with Coordinator(self.live_apis, ADMIN_PASSWORD) as coord:
            tg.create_task(self.distress_desk(coord, stop_side), name="distress-desk")
            self.t0 = time.monotonic()
            self.say(f"{self.elapsed()}  chaos phase: {cfg.duration_s:.0f} s")
            async with asyncio.TaskGroup() as actions:
                for action in timeline(cfg):
                    await asyncio.sleep(max(0.0, self.t0 + action.at - time.monotonic()))
                    await self.play(action, coord, actions)
                await asyncio.sleep(max(0.0, self.t0 + cfg.duration_s - time.monotonic()))
            # Settle: coverage back for everyone, no new fixes, every hub up again.
            self.fleet.flapping = False
            self.fleet.reporting = False
            self.fleet.reconnect_all_now()
            self.say(f"{self.elapsed()}  settling (up to {cfg.settle_timeout_s:.0f} s)")
            deadline = time.monotonic() + cfg.settle_timeout_s
            waiting = "?"
            while time.monotonic() < deadline:
                waiting = await settled(self)
                if not waiting:
                    break
                await asyncio.sleep(3.0)
            self.say(f"{self.elapsed()}  settled" if not waiting else f"not settled: {waiting}")
            settle_s = cfg.settle_timeout_s - max(0.0, deadline - time.monotonic())
            await asyncio.sleep(3.0)  # a late duplicate would show up now
            report = await check_run(self, coord)
            report.figures["chaos phase / settling"] = (
                f"{cfg.duration_s:.0f} s / {settle_s:.0f} s"
                + (f" (gave up: {waiting})" if waiting else "")
            )
            return report

    async def _wait(self, cond: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not reached in {timeout:.0f} s")
            await asyncio.sleep(0.5)


def _fresh_workdir(workdir: Path | None) -> Path:
    """The run's own folder: a fresh broker and database each time."""
    if workdir is None:
        return Path(tempfile.mkdtemp(prefix="sealink-chaos-"))
    shutil.rmtree(workdir, ignore_errors=True)
    return workdir


def _last_line(text: str) -> str:
    """The error a dead hub's log ends with (the last line naming one), else its last line."""
    lines = [x.strip(" |+-") for x in text.splitlines() if x.strip(" |+-")]
    errors = [x for x in lines if "Error" in x or "Exception" in x]
    return (errors or lines or ["(empty log)"])[-1][:300]


async def run_chaos(
    cfg: ChaosConfig, workdir: Path | None = None, say: Callable[[str], None] = print
) -> Report:
    """Run once; the work folder (logs, broker and database files) is kept if given or failed."""
    work = _fresh_workdir(workdir)
    report = await ChaosRun(cfg, work, say).run()
    if workdir is None and report.passed:
        shutil.rmtree(work, ignore_errors=True)
    else:
        say(f"logs, broker and database files kept in {work}")
    return report
