"""`sealink gateway ais|beidou|nmea ...`, and `python -m gateway.cli ais|beidou|nmea ...` standalone.

sealink gateway ais --port /dev/ttyUSB0
sealink gateway ais --port socket://192.168.1.20:10110 --gateway-id ais-nanao
sealink gateway ais --replay capture.nmea --rate 200
sealink gateway beidou --port /dev/ttyS1 --family 4.0
sealink gateway beidou --port rfc2217://10.0.0.5:4001 --family bd1 --gateway-id bd-shore
sealink gateway nmea --port /dev/ttyUSB1 --vessel NA52445 --password-file /etc/sealink/NA52445.pw
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seaLink import logsafe
from seaLink.wire.gateway import GatewayKind

if TYPE_CHECKING:
    from gateway.app import GatewayConfig
    from gateway.nmea.process import NmeaGatewayConfig

# Kept here (not imported) so that adding the parser to `sealink` loads no gateway code.
FAMILY_NAMES = ("2.1", "4.0", "bd1")
FKI_Y_WITH_REASON = ("ok", "failed")  # as gateway.beidou.text_family
NMEA_KIND = "nmea"
VESSEL_PASSWORD_ENV = "SEALINK_VESSEL_PASSWORD"


def default_gateway_id(kind: str) -> str:
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())
    return f"{kind}-{host}"[:32]


def add_gateway_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `gateway` with its `ais` and `beidou` commands to a `sealink` sub-parser set."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "gateway",
        help="serial gateways: AIS receiver, Beidou short-message terminal, NMEA GNSS box",
    )
    kinds = parser.add_subparsers(dest="gateway_kind", required=True)
    _add_kinds(kinds)
    return parser


def _add_kinds(kinds: Any) -> None:
    ais = kinds.add_parser("ais", help="an AIS receiver (NMEA !AIVDM) to MQTT")
    _common(ais, GatewayKind.AIS)
    ais.add_argument(
        "--max-batch", type=int, default=500, help="AIS events per MQTT message (default 500)"
    )
    ais.add_argument(
        "--fragment-timeout",
        type=float,
        default=10.0,
        help="seconds to wait for the rest of a multi-sentence message (default 10)",
    )
    beidou = kinds.add_parser("beidou", help="a Beidou short-message terminal to and from MQTT")
    _common(beidou, GatewayKind.BEIDOU)
    beidou.add_argument(
        "--family",
        choices=FAMILY_NAMES,
        default="2.1",
        help="terminal protocol: 2.1 ($CCTXA), 4.0 ($CCTCQ) or bd1 (binary $TXSQ); default 2.1",
    )
    beidou.add_argument(
        "--interval", type=float, help="override the card's service interval, seconds"
    )
    beidou.add_argument("--max-bytes", type=int, help="override the card's message length, bytes")
    beidou.add_argument(
        "--fki-y-with-reason",
        choices=FKI_Y_WITH_REASON,
        default="ok",
        help="what this terminal model means by $BDFKI 'Y' with a non-zero reason: the send was"
        " accepted (ok, the default) or refused (failed)",
    )
    nmea = kinds.add_parser(
        NMEA_KIND, help="a plain NMEA 0183 GNSS box, reporting as its vessel's terminal"
    )
    _source_options(nmea, baud_help="serial speed (default 4800)")
    nmea.add_argument("--vessel", required=True, help="the vessel id: MQTT client id and user name")
    nmea.add_argument(
        "--password-file",
        type=Path,
        help=f"file with the vessel's broker password (default: ${VESSEL_PASSWORD_ENV}, or none)",
    )
    nmea.add_argument(
        "--max-batch",
        type=int,
        default=10,
        help="fixes per message; a message at most once a second otherwise (default 10)",
    )
    nmea.add_argument(
        "--summary-interval",
        type=float,
        default=300.0,
        help="seconds between counter summaries in the log (default 300)",
    )


def _common(parser: argparse.ArgumentParser, kind: GatewayKind) -> None:
    _source_options(parser, baud_help="serial speed (default 38400 AIS, 115200 Beidou)")
    parser.add_argument(
        "--gateway-id",
        default=default_gateway_id(kind.value),
        help="id in the topics sealink/v1/gateways/{id}/... (default: kind-hostname)",
    )
    parser.add_argument(
        "--status-interval", type=float, default=30.0, help="seconds between status updates"
    )


def _source_options(parser: argparse.ArgumentParser, baud_help: str) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--port",
        help="serial URL: /dev/ttyUSB0, a pty, socket://host:port, rfc2217://host:port",
    )
    source.add_argument("--replay", type=Path, metavar="FILE", help="play a recorded file")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="replay lines per second (0: as fast as possible)"
    )
    parser.add_argument("--broker", help="broker URL (default: the hub's settings)")
    parser.add_argument("--baud", type=int, help=baud_help)


def config_from_args(args: argparse.Namespace, broker_url: str, prefix: str) -> GatewayConfig:
    from gateway.app import GatewayConfig

    kind = GatewayKind(args.gateway_kind)
    common: dict[str, Any] = {
        "kind": kind,
        "gateway_id": args.gateway_id,
        "broker_url": args.broker or broker_url,
        "prefix": prefix,
        "port": args.port,
        "replay": args.replay,
        "rate": args.rate,
        "baudrate": args.baud,
        "status_interval_s": args.status_interval,
    }
    if kind is GatewayKind.AIS:
        return GatewayConfig(
            **common, max_batch=args.max_batch, fragment_timeout_s=args.fragment_timeout
        )
    return GatewayConfig(
        **common,
        family=args.family,
        interval_override_s=args.interval,
        max_bytes_override=args.max_bytes,
        fki_y_with_reason=args.fki_y_with_reason,
    )


def nmea_config_from_args(
    args: argparse.Namespace, broker_url: str, prefix: str
) -> NmeaGatewayConfig:
    from gateway.nmea.process import DEFAULT_BAUD, NmeaGatewayConfig

    if args.password_file is not None:
        password: str | None = args.password_file.read_text(encoding="utf-8").strip()
    else:
        password = os.environ.get(VESSEL_PASSWORD_ENV) or None
    return NmeaGatewayConfig(
        vessel_id=args.vessel,
        broker_url=args.broker or broker_url,
        prefix=prefix,
        port=args.port,
        replay=args.replay,
        rate=args.rate,
        baudrate=args.baud or DEFAULT_BAUD,
        password=password or None,
        max_batch=args.max_batch,
        summary_interval_s=args.summary_interval,
    )


def run_gateway(args: argparse.Namespace, broker_url: str, prefix: str) -> int:
    """Run one gateway until SIGINT/SIGTERM (or the end of a replay). Returns the exit code."""
    if args.gateway_kind == NMEA_KIND:
        from gateway.nmea.process import NmeaGatewayProcess

        try:
            nmea = nmea_config_from_args(args, broker_url, prefix)
        except (OSError, ValueError) as exc:
            raise SystemExit(f"sealink gateway nmea: {exc}") from None
        return asyncio.run(_until_signal(NmeaGatewayProcess(nmea).run()))
    from gateway.app import GatewayProcess

    config = config_from_args(args, broker_url, prefix)
    return asyncio.run(_until_signal(GatewayProcess(config).run()))


async def _until_signal(main: Coroutine[Any, Any, int]) -> int:
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(main, name="gateway-main")
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gateway.cli", description=__doc__)
    parser.add_argument("--prefix", default="sealink/v1", help="topic prefix (default sealink/v1)")
    parser.add_argument("--log-level", default="INFO")
    kinds = parser.add_subparsers(dest="gateway_kind", required=True)
    _add_kinds(kinds)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logsafe.setup(str(args.log_level))
    return run_gateway(args, args.broker or "mqtt://127.0.0.1:1883", args.prefix)


if __name__ == "__main__":
    sys.exit(main())
