"""Private brokers for tests: the helper shared with the benchmarks, and a Mosquitto that runs the
shipped configuration (deploy/mosquitto/mosquitto.conf) with accounts made by `sealink
credentials`, as an operator makes them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from seaLink.testing.mosquitto import Mosquitto, free_port

__all__ = ["Mosquitto", "ShippedMosquitto", "free_port"]

SHIPPED_CONF = Path(__file__).resolve().parent.parent / "deploy" / "mosquitto" / "mosquitto.conf"
# Lines of the shipped file that name this machine's ports, certificates and folders: the private
# broker has its own.
LOCAL_ONLY = {"listener", "certfile", "keyfile", "protocol", "persistence_location"}


def shipped_settings(dynsec_file: Path) -> str:
    """Every other line of the shipped configuration, with the plugin's file at `dynsec_file`."""
    kept = []
    for line in SHIPPED_CONF.read_text(encoding="utf-8").splitlines():
        words = line.split(maxsplit=1)
        if not words or words[0].startswith("#") or words[0] in LOCAL_ONLY:
            continue
        if words[0] == "plugin":
            assert Path(words[1]).is_file(), f"the shipped plugin path {words[1]} is missing"
        if words[0] == "plugin_opt_config_file":
            line = f"plugin_opt_config_file {dynsec_file}"
        kept.append(line)
    assert any(line.startswith("plugin_opt_config_file") for line in kept)
    return "\n".join(kept)


class ShippedMosquitto(Mosquitto):
    """A private Mosquitto with the shipped security settings and a new accounts file.

    `credentials(...)` runs `sealink credentials` against it and returns the password it printed.
    """

    def __init__(self, workdir: Path, websockets: bool = False, log_all: bool = False) -> None:
        self.dynsec = workdir / "dynamic-security.json"
        self.admin_password_file = workdir / "sealink-admin.password"
        extra = shipped_settings(self.dynsec) + ("\nlog_type all" if log_all else "")
        super().__init__(workdir, extra_conf=extra, websockets=websockets, anonymous=False)
        self.sealink("init", "--dynsec", str(self.dynsec))

    def sealink(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`sealink credentials <args>` with this broker's admin password file."""
        done = subprocess.run(
            [sys.executable, "-m", "seaLink.cli", "credentials", *args,
             "--admin-password-file", str(self.admin_password_file)],
            capture_output=True, text=True,
        )  # fmt: skip
        assert not check or done.returncode == 0, f"sealink credentials {args}: {done.stderr}"
        return done

    def credentials(self, kind: str, *args: str) -> str:
        out = self.sealink(kind, *args, "--broker", self.url).stdout
        return out.split("password: ")[1].split()[0]
