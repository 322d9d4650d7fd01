"""Console benchmark: the fleet map with 10,000 vessels, measured inside headless Chromium.

    .venv/bin/python -m bench.console [--vessels 10000] [--rate 2000] [--seconds 20]

One process runs a private Mosquitto, the hub (SQLite, in process) serving the console, and a
paced MQTT publisher; Chromium is its own process. Every figure about the page is taken in the
page with performance.now() (see shore_console/js/core/perf.js) and read back at the end:

  * loading the fleet snapshot (REST) and drawing it;
  * applying one full update of every vessel's position (stores, map, list), from real WebSocket
    frames and, to have exactly N positions in one frame, from a synthetic frame fed through the
    same handler (target: < 200 ms for 10,000);
  * whether the WebSocket consumer keeps up: positions received by the page against fixes sent
    over MQTT at a steady rate, how busy the page's main thread was, and how old fixes were when
    they arrived.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from playwright.async_api import Page, async_playwright

from bench._common import machine, percentile
from seaLink.domain.fleetgen import CoordinatorSpec, Fleet, GridSpec
from seaLink.runtime import Hub
from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.testing.mosquitto import Mosquitto, free_port
from seaLink.wire.fleet_csv import VesselSpec
from seaLink.wire.topics import Topics

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ADMIN_PW = "bench-admin-pw"
PREFIX = "benchconsole/v1"
PER_GRID = 18
PER_GROUP = 6
SCREENSHOT = Path(__file__).resolve().parent.parent / "tests" / "artifacts" / "console"


def bench_fleet(n: int) -> Fleet:
    """n vessels B00001... in grids of 18 and groups of 6 (built directly: the Nan'ao generator has
    only 89,999 hull numbers and checks ports; here only the size matters)."""
    grids: list[GridSpec] = []
    coords: list[CoordinatorSpec] = []
    vessels: list[VesselSpec] = []
    n_grids = (n + PER_GRID - 1) // PER_GRID
    for g in range(1, n_grids + 1):
        gid = f"G{g:03d}"
        grids.append(GridSpec(gid, f"测试第{g}网格", f"C{g:03d}"))
        coords.append(CoordinatorSpec(f"C{g:03d}", f"网格长{g}", f"139{g:08d}", "", (gid,)))
    for i in range(1, n + 1):
        g = (i - 1) // PER_GRID + 1
        vessels.append(
            VesselSpec(
                id=f"B{i:05d}",
                hull_name=f"粤南澳渔{10000 + i:05d}",
                mmsi=f"412{i:06d}",
                beidou_card=None,
                grid_id=f"G{g:03d}",
                group_id=f"G{g:03d}-F{(i - 1) % PER_GRID // PER_GROUP + 1}",
                home_port="云澳渔港",
                gear="trawl",
                persons=6,
                links=("mqtt",),
            )
        )
    return Fleet(grids, coords, vessels)


def position(i: int, step: int) -> tuple[float, float]:
    """A spot for vessel i at step `step`: spread east of Nan'ao, away from the reserve, moving."""
    lat = 22.60 + (i % 100) * 0.008 + step * 0.0005
    lon = 117.45 + (i // 100) * 0.008 + step * 0.0005
    return round(lat, 5), round(lon, 5)


class Publisher:
    """One paho client publishing fixes as the vessels (the hub checks no sender here)."""

    def __init__(self, broker: Mosquitto, topics: Topics) -> None:
        self.topics = topics
        self.sent = 0
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"bench-pub-{uuid.uuid4().hex[:6]}",
            protocol=paho.MQTTv5,
        )
        self.client.max_inflight_messages_set(2000)
        self.client.max_queued_messages_set(0)
        self.client.connect("127.0.0.1", broker.port, 60)
        self.client.loop_start()

    def publish(self, vid: str, lat: float, lon: float) -> None:
        ts = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        body = {"ts": ts, "lat": lat, "lon": lon, "sog": 4.2, "cog": 90.0, "state": "fishing"}
        self.client.publish(self.topics.up(vid, "position"), json.dumps(body), qos=1)
        self.sent += 1

    def burst(self, ids: list[str], step: int) -> float:
        started = time.perf_counter()
        for i, vid in enumerate(ids):
            self.publish(vid, *position(i, step))
        return time.perf_counter() - started

    def paced(self, ids: list[str], rate: int, seconds: float, stop: threading.Event) -> None:
        """`rate` fixes a second for `seconds`, round-robin over the fleet, in 10 ms slices."""
        started = time.perf_counter()
        k = 0
        while not stop.is_set():
            elapsed = time.perf_counter() - started
            if elapsed >= seconds:
                break
            due = int(elapsed * rate)
            while k < due:
                i = k % len(ids)
                self.publish(ids[i], *position(i, 2 + k // len(ids)))
                k += 1
            time.sleep(0.01)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


async def page_figures(page: Page) -> dict[str, Any]:
    figures: dict[str, Any] = await page.evaluate(
        "() => JSON.parse(JSON.stringify(window.__sealinkPerf))"
    )
    return figures


async def wait_positions(page: Page, at_least: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = int(await page.evaluate("() => window.__sealinkPerf.positions"))
        if got >= at_least:
            return got
        await asyncio.sleep(0.2)
    return int(await page.evaluate("() => window.__sealinkPerf.positions"))


SYNTHETIC = """(n) => {
    // A frame with n fresh positions for the first n vessels, through the WebSocket handler.
    const ids = [...window.__sealinkMap.vessels._byId.keys()].slice(0, n);
    const t = Date.now();
    const out = [];
    for (let rep = 0; rep < 5; rep++) {
        const ts = new Date(t + (rep + 1) * 1000).toISOString();
        const positions = ids.map((id, i) => ({
            vessel_id: id, grid_id: null, ts, sog: 4, cog: 90, backfill: false,
            lat: 22.6 + (i % 100) * 0.008 + rep * 0.001, lon: 117.45 + Math.floor(i / 100) * 0.008,
        }));
        window.__sealinkLive.inject({ id: null, type: "positions", data: { positions } });
        out.push(window.__sealinkPerf.batches.at(-1));
    }
    return out;
}"""


CONTACT_STORM = """async (n) => {
    // A typhoon signal re-judges the whole fleet: n contact changes arrive back to back. Time
    // from the first to the list, counters and map redrawn (two animation frames later).
    const ids = [...window.__sealinkMap.vessels._byId.keys()].slice(0, n);
    const at = new Date(Date.now() + 60_000).toISOString();
    const t0 = performance.now();
    for (const id of ids) {
        window.__sealinkLive.inject({ id: null, type: "contact",
            data: { vessel_id: id, grid_id: null, state: "overdue", phase: null, at, last_heard: null } });
    }
    const handled = performance.now() - t0;
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { handled, shown: performance.now() - t0 };
}"""


def summarise(batches: list[dict[str, Any]]) -> dict[str, float]:
    apply = [b["applyMs"] for b in batches]
    draw = [b["drawMs"] for b in batches]
    return {
        "frames": len(batches),
        "largest": max((b["n"] for b in batches), default=0),
        "apply_p50": percentile(apply, 50),
        "apply_max": max(apply, default=float("nan")),
        "draw_p50": percentile(draw, 50),
    }


async def run(n: int, rate: int, seconds: float, work: Path) -> dict[str, Any]:
    broker = Mosquitto(work / "mosquitto")
    broker.start()
    store = f"sqlite+aiosqlite:///{work}/sealink.db"
    db = Database(store)
    await db.create_all()
    fleet = bench_fleet(n)
    await import_fleet(db, fleet)
    await db.dispose()
    settings = Settings(
        mqtt={"url": broker.url, "client_id": "hub-bench-console", "prefix": PREFIX},
        store={"url": store},
        api={"port": free_port()},
        admin_password=ADMIN_PW,
    )  # type: ignore[arg-type]
    hub = Hub(settings)
    ids = [v.id for v in fleet.vessels]
    out: dict[str, Any] = {"vessels": n}
    pub = Publisher(broker, Topics(PREFIX))
    try:
        async with hub.running(timeout=60):
            # Every vessel heard once before the page opens: the snapshot has 10,000 positions.
            # (Publishing from a thread: the hub's event loop is this process's loop too.)
            await asyncio.to_thread(pub.burst, ids, 0)
            await _until_committed(hub, n, 120)
            base = f"http://127.0.0.1:{settings.api.port}"
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = await browser.new_page(viewport={"width": 1440, "height": 900})
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                await page.goto(f"{base}/console/")
                await page.fill("input[name=username]", "admin")
                await page.fill("input[name=password]", ADMIN_PW)
                started = time.perf_counter()
                await page.click("button[type=submit]")
                await page.wait_for_function(
                    "() => window.__sealinkPerf.snapshots.length > 0", timeout=120_000
                )
                out["login_to_map_s"] = time.perf_counter() - started
                snap = (await page_figures(page))["snapshots"][0]
                out["snapshot"] = snap
                out["drawn_on_map"] = await page.evaluate("() => window.__sealinkMap.vessels.drawn")
                await asyncio.sleep(1.5)

                # One full update from the hub: every vessel moves at once.
                before = int(await page.evaluate("() => window.__sealinkPerf.positions"))
                nb = len((await page_figures(page))["batches"])
                out["burst_publish_s"] = await asyncio.to_thread(pub.burst, ids, 1)
                got = await wait_positions(page, before + n, 60)
                await asyncio.sleep(1.2)
                full = (await page_figures(page))["batches"][nb:]
                out["full_update_live"] = summarise(full) | {"received": got - before}
                synthetic = await page.evaluate(SYNTHETIC, n)
                out["full_update_synthetic"] = {
                    "n": synthetic[0]["n"],
                    "apply_ms": [round(b["applyMs"], 1) for b in synthetic],
                    "parse_ms": [round(b["parseMs"], 1) for b in synthetic],
                    "draw_ms": [round(b["drawMs"], 1) for b in synthetic],
                }
                out["contact_storm_ms"] = await page.evaluate(CONTACT_STORM, n)
                await asyncio.sleep(1.5)
                SCREENSHOT.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(SCREENSHOT / "bench-10k.png"))

                # Steady load: does the page keep up?
                figs = await page_figures(page)
                before, nb = figs["positions"], len(figs["batches"])
                resync_before = figs["frames"].get("resync", 0)
                sent_before = pub.sent
                stop = threading.Event()
                t0 = time.perf_counter()
                thread = threading.Thread(
                    target=pub.paced, args=(ids, rate, seconds, stop), name="bench-publisher"
                )
                thread.start()
                await asyncio.to_thread(thread.join)
                publish_s = time.perf_counter() - t0
                sent = pub.sent - sent_before
                got = await wait_positions(page, before + sent, 15)
                figs = await page_figures(page)
                steady = figs["batches"][nb:]
                busy = sum(b["parseMs"] + b["applyMs"] for b in steady)
                span_s = max(
                    publish_s, (steady[-1]["at"] - steady[0]["at"]) / 1000 if steady else 0
                )
                out["steady"] = summarise(steady) | {
                    "rate_target": rate,
                    "seconds": publish_s,
                    "sent": sent,
                    "received": got - before,
                    "resyncs": figs["frames"].get("resync", 0) - resync_before,
                    "disconnects": len(figs["disconnects"]),
                    "main_thread_busy": busy / 1000 / span_s if span_s else float("nan"),
                    "first_lag_p50_ms": percentile([b["firstLagMs"] for b in steady], 50),
                    "last_lag_p50_ms": percentile([b["lastLagMs"] for b in steady], 50),
                    "first_lag_max_ms": max((b["firstLagMs"] for b in steady), default=0),
                }
                out["page_errors"] = errors
                await browser.close()
    finally:
        pub.close()
        broker.stop()
    return out


async def _until_committed(hub: Hub, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while hub.ingest.committed < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"hub committed {hub.ingest.committed} of {n} fixes")
        await asyncio.sleep(0.2)
    await hub.drained()


def report(r: dict[str, Any]) -> None:
    print(f"machine: {machine()}")
    print(f"vessels: {r['vessels']:,}")
    s = r["snapshot"]
    print(
        f"login -> map drawn: {r['login_to_map_s']:.2f} s "
        f"(REST snapshot fetch {s['fetchMs']:.0f} ms, apply+draw {s['applyMs']:.0f} ms); "
        f"vessels drawn: {r['drawn_on_map']:,}"
    )
    live = r["full_update_live"]
    print(
        f"full update from the hub: {live['received']:,} positions in {live['frames']} frame(s), "
        f"largest {live['largest']:,}; apply p50 {live['apply_p50']:.1f} ms, "
        f"max {live['apply_max']:.1f} ms (draw p50 {live['draw_p50']:.1f} ms)"
    )
    syn = r["full_update_synthetic"]
    print(
        f"full update, one frame of {syn['n']:,} positions (x5): apply "
        f"{statistics.median(syn['apply_ms']):.1f} ms median {syn['apply_ms']}, "
        f"of which draw {statistics.median(syn['draw_ms']):.1f} ms; JSON parse "
        f"{statistics.median(syn['parse_ms']):.1f} ms  [target < 200 ms]"
    )
    cs = r["contact_storm_ms"]
    print(
        f"contact storm: {r['vessels']:,} contact changes handled in {cs['handled']:.0f} ms, "
        f"shown (list re-sorted, counters, map) after {cs['shown']:.0f} ms"
    )
    st = r["steady"]
    print(
        f"steady load: {st['sent']:,} fixes sent in {st['seconds']:.1f} s "
        f"({st['sent'] / st['seconds']:.0f}/s, target {st['rate_target']}/s); page received "
        f"{st['received']:,} ({st['received'] / max(1, st['sent']):.1%}) in {st['frames']} frames; "
        f"resyncs {st['resyncs']}, disconnects {st['disconnects']}"
    )
    print(
        f"  per frame: largest {st['largest']:,}, apply p50 {st['apply_p50']:.1f} ms, "
        f"max {st['apply_max']:.1f} ms; page main thread busy {st['main_thread_busy']:.1%}; "
        f"age of fixes on arrival p50 {st['last_lag_p50_ms']:.0f}-{st['first_lag_p50_ms']:.0f} ms "
        f"(newest-oldest in a frame), oldest max {st['first_lag_max_ms']:.0f} ms"
    )
    print(f"page errors: {len(r['page_errors'])} {r['page_errors'][:3]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--vessels", type=int, default=10_000)
    ap.add_argument("--rate", type=int, default=2_000, help="fixes per second in the steady phase")
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-console-") as tmp:
        result = asyncio.run(run(args.vessels, args.rate, args.seconds, Path(tmp)))
    report(result)


if __name__ == "__main__":
    main()
