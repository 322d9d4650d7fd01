"""`sealink terminal`: serves the reference vessel terminal on 127.0.0.1.

The server only hands out static files and the page's configuration (vessel id, broker WebSocket
URL, topic prefix, credentials). Everything the page does afterwards goes straight to the broker
over MQTT, exactly as a third-party terminal would; the hub's API is never involved.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

from aiohttp import web

from seaLink.wire.topics import VESSEL_ID_PATTERN

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
TERMINAL_NAME = "SeaLink/reference-terminal/1"


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    """What the page needs to act as one vessel; served as /config.json."""

    vessel_id: str
    broker_ws: str = "ws://127.0.0.1:9001"
    prefix: str = "sealink/v1"
    # amqtt (the demo's embedded broker) speaks only 3.1.1; Mosquitto and EMQX speak 5.
    protocol: str = "5"
    username: str = ""
    password: str = ""
    # A position entered by hand when the tablet was set up (WGS-84): used while the tablet has no
    # GNSS fix and nobody typed another, always shown and sent as entered by hand, never as a fix.
    lat: float | None = None
    lon: float | None = None
    terminal: str = TERMINAL_NAME
    # Persons aboard as the registry has them: where the distress form's count starts.
    persons: int | None = None

    def __post_init__(self) -> None:
        if not re.match(VESSEL_ID_PATTERN, self.vessel_id):
            raise ValueError(f"not a vessel id: {self.vessel_id!r}")
        if not self.broker_ws.startswith(("ws://", "wss://")):
            raise ValueError(f"the broker URL must be ws:// or wss://, not {self.broker_ws!r}")
        if self.protocol not in ("5", "3.1.1"):
            raise ValueError(f"MQTT protocol must be 5 or 3.1.1, not {self.protocol!r}")
        if self.persons is not None and not 0 <= self.persons <= 500:
            raise ValueError(f"persons aboard must be 0-500, not {self.persons}")


def registered_persons(fleet_folder: Path, vessel_id: str) -> int:
    """Persons aboard of a vessel as the fleet CSV (`sealink fleet import`'s folder) has them."""
    from seaLink.store.fleet_io import read_fleet_csv

    for v in read_fleet_csv(fleet_folder).vessels:
        if v.id == vessel_id:
            return int(v.persons)
    raise ValueError(f"vessel {vessel_id!r} is not in {fleet_folder / 'vessels.csv'}")


def terminal_app(config: TerminalConfig) -> web.Application:
    app = web.Application()

    async def index(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def config_json(_request: web.Request) -> web.Response:
        # no-store: the credentials must not linger in a cache.
        return web.json_response(asdict(config), headers={"Cache-Control": "no-store"})

    app.router.add_get("/", index)
    app.router.add_get("/config.json", config_json)
    app.router.add_static("/", STATIC_DIR, follow_symlinks=False)
    return app


@contextlib.asynccontextmanager
async def terminal_server(
    config: TerminalConfig, host: str = "127.0.0.1", port: int = 8090
) -> AsyncIterator[str]:
    """Serve the terminal until the block ends; yields the page's URL."""
    runner = web.AppRunner(terminal_app(config), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        url = f"http://{host}:{port}/"
        log.info("terminal for %s at %s (broker %s)", config.vessel_id, url, config.broker_ws)
        yield url
    finally:
        await runner.cleanup()


async def serve_terminal(config: TerminalConfig, host: str, port: int) -> None:
    """Serve until cancelled (`sealink terminal`)."""
    async with terminal_server(config, host, port) as url:
        print(
            f"SeaLink terminal for vessel {config.vessel_id}: open {url}\n"
            f"  broker {config.broker_ws} (MQTT {config.protocol} over WebSocket), prefix {config.prefix}",
            flush=True,
        )
        await asyncio.Event().wait()
