"""`sealink gateway ais|beidou ...`: options into the gateway's settings."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from gateway.cli import add_gateway_parser, config_from_args
from seaLink.wire.gateway import GatewayKind


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sealink")
    sub = parser.add_subparsers(dest="cmd", required=True)
    add_gateway_parser(sub)
    return parser.parse_args(list(argv))


def test_a_beidou_gateway_on_a_port() -> None:
    args = _parse(
        "gateway",
        "beidou",
        "--port",
        "rfc2217://10.0.0.5:4001",
        "--family",
        "4.0",
        "--gateway-id",
        "bd-shore",
        "--interval",
        "30",
        "--max-bytes",
        "120",
    )
    config = config_from_args(args, "mqtt://hub:1883", "sealink/v1")
    assert (config.kind, config.gateway_id, config.port, config.family) == (
        GatewayKind.BEIDOU,
        "bd-shore",
        "rfc2217://10.0.0.5:4001",
        "4.0",
    )
    assert (config.interval_override_s, config.max_bytes_override, config.broker_url) == (
        30.0,
        120,
        "mqtt://hub:1883",
    )


def test_an_ais_gateway_replaying_a_file_on_its_own_broker() -> None:
    args = _parse(
        "gateway",
        "ais",
        "--replay",
        "capture.nmea",
        "--rate",
        "200",
        "--broker",
        "mqtt://other:1884",
    )
    config = config_from_args(args, "mqtt://hub:1883", "t1/v1")
    assert (config.kind, config.replay, config.rate, config.port) == (
        GatewayKind.AIS,
        Path("capture.nmea"),
        200.0,
        None,
    )
    assert (config.broker_url, config.prefix) == ("mqtt://other:1884", "t1/v1")
    assert config.gateway_id.startswith("ais-")


@pytest.mark.parametrize(
    "argv",
    [
        ("gateway", "ais"),  # a port or a replay file is required
        ("gateway", "ais", "--port", "/dev/ttyUSB0", "--replay", "x.nmea"),
        ("gateway", "beidou", "--port", "/dev/ttyS1", "--family", "3.0"),
    ],
)
def test_wrong_options_are_refused(argv: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit):
        _parse(*argv)


def test_the_parser_loads_no_gateway_code_and_knows_every_family() -> None:
    import subprocess
    import sys

    code = (
        "import sys, gateway.cli; "
        "print(sorted(m for m in sys.modules if m.startswith(('gateway.', 'pyais', 'pynmea2', 'serial'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['gateway.cli']"
    from gateway.beidou.family import FAMILY_NAMES
    from gateway.cli import FAMILY_NAMES as CLI_FAMILIES

    assert CLI_FAMILIES == FAMILY_NAMES
