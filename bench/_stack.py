"""A whole SeaLink on this machine for the benchmarks: a private Mosquitto, a fresh SQLite store
with a generated fleet, `sealink hub` in its own process, and an admin session on its API."""

from __future__ import annotations

import asyncio
import functools
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from seaLink.domain.fleetgen import generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet, write_fleet_csv
from seaLink.testing.mosquitto import Mosquitto, free_port

ADMIN_PASSWORD = "bench-admin-pass"
PREFIX = "sealink/v1"
PROFILE = "SEALINK_BENCH_PROFILE"


class Stack:
    def __init__(
        self,
        vessels: int,
        seed: int = 1,
        extra_env: dict[str, str] | None = None,
        broker_conf: str = "",
        edges: int = 0,
    ) -> None:
        """`edges`: that many more brokers, each bridged to the hub's (the boats connect to
        them): one broker process holds as many connections as it may open files, 20,000 on
        this machine, and the benchmark cannot raise that hard limit without CAP_SYS_RESOURCE."""
        self.work = Path(tempfile.mkdtemp(prefix="sealink-bench-"))
        self.broker = Mosquitto(self.work / "broker", extra_conf=broker_conf)
        self.edges = [
            Mosquitto(self.work / f"edge-{i}", extra_conf="\n".join([broker_conf, *_bridge(i, self.broker.port)]))
            for i in range(edges)
        ]  # fmt: skip
        self.url = f"sqlite+aiosqlite:///{self.work}/hub.db"
        self.port = free_port()
        self.fleet_dir = self.work / "fleet"
        self.vessels = vessels
        self.seed = seed
        self.extra_env = extra_env or {}
        self.hub: subprocess.Popen[bytes] | None = None
        self.sim: subprocess.Popen[bytes] | None = None
        self.lean: list[subprocess.Popen[bytes]] = []
        self.token = ""
        self.group_of: dict[str, str] = {}  # each vessel's fishing group

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> list[str]:
        """Brokers, the fleet's store, the hub. With edges, edge i holds boats i, i + edges, ...
        (`ids[i::edges]`), and its bridge brings down only theirs: as one broker would, the hub's
        hands each down message on once, not to every edge (three times at 50,000 boats)."""
        fleet = generate_fleet(
            self.vessels, ports_from_geojson(load_zones_document()), seed=self.seed
        )
        for i, edge in enumerate(self.edges):
            mine = fleet.vessels[i :: len(self.edges)]
            with edge.conf.open("a", encoding="utf-8") as conf:
                conf.writelines(f"topic {PREFIX}/vessels/{v.id}/down in 1\n" for v in mine)
        self.broker.start()
        for edge in self.edges:
            edge.start()
        write_fleet_csv(fleet, self.fleet_dir)

        async def load() -> None:
            db = Database(self.url)
            try:
                await db.create_all()
                await import_fleet(db, fleet)
            finally:
                await db.dispose()

        asyncio.run(load())
        env = dict(os.environ, SEALINK_MQTT__URL=self.broker.url, SEALINK_STORE__URL=self.url,
                   SEALINK_MQTT__CLIENT_ID=f"bench-{uuid.uuid4().hex[:6]}", SEALINK_API__PORT=str(self.port),
                   SEALINK_ADMIN_PASSWORD=ADMIN_PASSWORD, SEALINK_LOG_LEVEL="WARNING",
                   SEALINK_API__LOGIN_RATE_PER_MIN="1000", **self.extra_env)  # fmt: skip
        # With $SEALINK_BENCH_PROFILE, a hub whose profiler `profiling()` switches on and off.
        hub = ["bench._profiled_hub"] if os.environ.get(PROFILE) else ["seaLink.cli", "hub"]
        self.hub = subprocess.Popen(
            [sys.executable, "-m", *hub],
            env=env,
            stdout=open(self.work / "hub.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                _OPENER.open(f"{self.api}/healthz", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"hub did not start: {(self.work / 'hub.log').read_text()}"
                    ) from None
                time.sleep(0.2)
        self.token = self.call(
            "POST", "/api/v1/auth/login", {"username": "admin", "password": ADMIN_PASSWORD}
        )["token"]
        self.group_of = {v.id: v.group_id for v in fleet.vessels}
        return [v.id for v in fleet.vessels]

    def start_sim(self, *args: str) -> None:
        self.sim = subprocess.Popen(
            [sys.executable, "-m", "seaLink.cli", "sim", "fleet", "--fleet", str(self.fleet_dir),
             "--broker", self.broker.url, *args],
            stdout=open(self.work / "sim.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
        )  # fmt: skip

    def start_lean(
        self, ids: list[str], processes: int, *args: str, tag: str = "", port: int | None = None
    ) -> None:
        """`bench.lean_fleet` terminals for `ids`, split over `processes` processes, on the
        hub's broker or the one on `port` (an edge)."""
        for n in range(processes):
            part = ids[n::processes]
            path = self.work / f"lean-{tag}{n}.ids"
            lines = (f"{vid} {self.group_of.get(vid, '')}".rstrip() for vid in part)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            where = str(port or self.broker.port)
            cmd = [sys.executable, "-m", "bench.lean_fleet", where, str(path)]
            log = open(self.work / f"lean-{tag}{n}.log", "wb")  # noqa: SIM115
            self.lean.append(subprocess.Popen([*cmd, *args], stdout=log, stderr=subprocess.STDOUT))

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.api + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        with _OPENER.open(req, timeout=60) as r:
            return json.loads(r.read())

    def health(self) -> dict[str, Any]:
        """The hub's /healthz (also when it answers 503, degraded: the body says why)."""
        try:
            with _OPENER.open(f"{self.api}/healthz", timeout=30) as r:
                return dict(json.loads(r.read()))
        except urllib.error.HTTPError as exc:
            return dict(json.loads(exc.read()))

    def _metrics_text(self) -> str:
        with _OPENER.open(f"{self.api}/metrics", timeout=5) as r:
            return str(r.read().decode())

    def metric(self, name: str) -> float:
        text = self._metrics_text()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def loop_lag(self) -> dict[str, float]:
        """The hub's event-loop lag histogram: observations by bucket bound (cumulative)."""
        text = self._metrics_text()
        prefix = 'sealink_event_loop_lag_seconds_bucket{le="'
        return {
            line[len(prefix) :].split('"', 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(prefix)
        }

    def profiling(self, on: bool) -> None:
        """Switch the hub's profiler on, or off (writing $SEALINK_BENCH_PROFILE); no-op without."""
        if self.hub is not None and os.environ.get(PROFILE):
            self.hub.send_signal(signal.SIGUSR1 if on else signal.SIGUSR2)

    def stop(self) -> None:
        for p in (*self.lean, self.sim, self.hub):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
        for edge in self.edges:
            edge.stop()
        self.broker.stop()
        if os.environ.get("SEALINK_BENCH_KEEP"):
            print(f"kept: {self.work} (hub.log, sim.log, the store)")
        else:  # a 10,000-boat store and its logs are tens of MB a run
            shutil.rmtree(self.work, ignore_errors=True)


class _FromLoopback(urllib.request.HTTPHandler):
    """The benchmark's calls to the hub bind their source address before they connect. The
    terminals bind theirs (127.0.0.2, ...) to have ports enough for 50,000 boats; a port taken by
    a bind is one Linux no longer picks for a plain connect, on any address, and with 50,000 boats
    none was left: the benchmark's own calls to the hub failed (EADDRNOTAVAIL). A bind picks a
    port free on its own address."""

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(
            functools.partial(http.client.HTTPConnection, source_address=("127.0.0.1", 0)), req
        )


_OPENER = urllib.request.build_opener(_FromLoopback())


def _bridge(i: int, core_port: int) -> list[str]:
    """An edge broker's bridge to the hub's: the boats' uplinks and status go in, their down
    messages come out (persistent, QoS 1 both ways; the down topics of its own boats, added by
    `Stack.start`)."""
    return [
        f"connection edge{i}",
        f"address 127.0.0.1:{core_port}",
        f"remote_clientid bench-edge-{i}",
        "cleansession false",
        "bridge_protocol_version mqttv311",
        "try_private false",
        f"topic {PREFIX}/vessels/+/up/# out 1",
        f"topic {PREFIX}/vessels/+/status out 1",
    ]
