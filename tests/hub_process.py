"""Runs `sealink hub` as a separate process, so tests can kill it with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from seaLink.settings import Settings


class HubProcess:
    def __init__(
        self, settings: Settings, workdir: Path, extra_env: dict[str, str] | None = None
    ) -> None:
        self.settings = settings
        self.extra_env = extra_env or {}
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def env(self) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ)
        env.update(
            {
                "SEALINK_MQTT__URL": s.mqtt.url,
                "SEALINK_MQTT__CLIENT_ID": s.mqtt.client_id,
                "SEALINK_MQTT__PREFIX": s.mqtt.prefix,
                "SEALINK_STORE__URL": s.store.url,
                "SEALINK_API__PORT": str(s.api.port),
                "SEALINK_CONTACT__STARTUP_GRACE_S": "600",
                "SEALINK_LOG_LEVEL": "WARNING",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 30.0) -> None:
        self.starts += 1
        log = open(self.workdir / f"hub-{self.starts}.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "seaLink.cli", "hub"], env=self.env(), stdout=log, stderr=log
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"hub exited: {(self.workdir / f'hub-{self.starts}.log').read_text()}"
                )
            try:
                if self.health().get("mqtt"):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError("hub did not become healthy")

    def health(self) -> dict[str, object]:
        url = f"http://127.0.0.1:{self.settings.api.port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                return dict(json.loads(r.read()))
        except urllib.error.HTTPError as e:
            return dict(json.loads(e.read()))

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
