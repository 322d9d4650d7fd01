"""The run's own infrastructure: a private Mosquitto, a private PostgreSQL, and hub processes.

Everything here is real and private to the run, so it may be killed and restarted at will: the
broker with persistence on a free port, a throw-away PostgreSQL cluster (never the machine's
shared server), and `sealink hub` processes that a supervisor restarts when they die, as systemd
would (`Restart=always`).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from seaLink.domain.fleetgen import Fleet, generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.testing.mosquitto import Mosquitto, free_port
from seaLink.testing.postgres import PrivatePostgres

ADMIN_PASSWORD = "chaos-admin-pass"
PREFIX = "sealink/v1"
DATABASE = "chaos"


@dataclass
class HubSlot:
    """One hub process slot (a stable hub id, its API port); the process comes and goes."""

    name: str
    port: int
    env: dict[str, str]
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0  # killed by the run with SIGKILL
    exits: list[str] = field(default_factory=list)  # died by itself: the end of its log

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}-{self.starts}.log"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        self.starts += 1
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "seaLink.cli", "hub"], env=self.env, stdout=log, stderr=log
            )

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api}/healthz", timeout=2) as r:
                return bool(json.loads(r.read()).get("mqtt"))
        except (OSError, ValueError):
            return False

    def vitals(self) -> str:
        """Health and the cluster/outbox counters of a live hub, for the diagnostics."""
        if not self.alive():
            return f"{self.name}: not running"
        try:
            with urllib.request.urlopen(f"{self.api}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError as exc:
            return f"{self.name}: {exc}"
        wanted = (
            "sealink_cluster_scheduler",
            "sealink_outbox_sent_total",
            "sealink_outbox_pending",
            "sealink_mqtt_connected",
        )
        lines = [x for x in text.splitlines() if x.startswith(wanted)]
        return f"{self.name} (healthy {self.healthy()}): {'; '.join(lines)}"

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Infrastructure:
    def __init__(self, workdir: Path, vessels: int, hubs: int, seed: int) -> None:
        self.workdir = workdir
        self.broker = Mosquitto(workdir / "broker")
        # Its own /tmp folder: the `postgres` user cannot reach into root's private temp folders.
        self.pg = PrivatePostgres()
        zones = load_zones_document()
        self.fleet: Fleet = generate_fleet(vessels, ports_from_geojson(zones), seed=seed)
        self.ports = {p.name: p for p in ports_from_geojson(zones)}
        self.broker_restarts = 0
        self.hubs = [
            self._slot(f"hub-{chr(ord('a') + i)}", clustered=hubs > 1) for i in range(hubs)
        ]

    @property
    def store_url(self) -> str:
        return self.pg.url(DATABASE)

    def _slot(self, name: str, *, clustered: bool) -> HubSlot:
        port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "SEALINK_MQTT__URL": self.broker.url,
                "SEALINK_MQTT__CLIENT_ID": "chaos-hub" if clustered else f"chaos-{name}",
                "SEALINK_MQTT__PREFIX": PREFIX,
                "SEALINK_STORE__URL": self.store_url,
                "SEALINK_API__PORT": str(port),
                "SEALINK_API__LOGIN_RATE_PER_MIN": "1000",
                "SEALINK_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "SEALINK_LOG_LEVEL": os.environ.get("SEALINK_CHAOS_HUB_LOG_LEVEL", "WARNING"),
            }
        )
        if clustered:
            env.update(
                {
                    "SEALINK_CLUSTER__ENABLED": "true",
                    "SEALINK_CLUSTER__HUB_ID": name,
                    # A short lease so that the schedule moves within seconds of a kill.
                    "SEALINK_CLUSTER__LEASE_S": "6",
                    "SEALINK_CLUSTER__HEARTBEAT_S": "1",
                    "SEALINK_CLUSTER__DEAD_AFTER_S": "3",
                    "SEALINK_CLUSTER__REFRESH_S": "2",
                }
            )
        return HubSlot(name, port, env, self.workdir)

    async def start(self) -> None:
        """Broker, database with the fleet, then the hubs; returns when every hub is healthy."""
        await asyncio.to_thread(self.broker.start)
        await asyncio.to_thread(self.pg.start)
        await asyncio.to_thread(self.pg.create_database, DATABASE)
        db = Database(self.store_url)
        try:
            await db.create_all()
            await import_fleet(db, self.fleet)
        finally:
            await db.dispose()
        # One after the other: two hubs starting at once on an empty database race to create
        # APScheduler's job table, and one of them dies (a first-deployment race, reported).
        for hub in self.hubs:
            hub.start()
            await asyncio.to_thread(self.wait_healthy, hub, 90)

    def wait_healthy(self, hub: HubSlot, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not hub.alive():
                raise RuntimeError(f"{hub.name} exited: {tail(hub.log_path)}")
            if hub.healthy():
                return
            time.sleep(0.2)
        raise TimeoutError(f"{hub.name} did not become healthy: {tail(hub.log_path)}")

    def restart_broker(self) -> None:
        """Stop (SIGTERM: Mosquitto writes its persistence file) and start on the same port."""
        self.broker.restart()
        self.broker_restarts += 1

    def stop(self) -> None:
        for hub in self.hubs:
            hub.stop()
        self.broker.stop()
        if self.pg.logfile.exists():
            shutil.copy(self.pg.logfile, self.workdir / "postgres.log")
        self.pg.remove()


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
