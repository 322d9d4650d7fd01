"""Nothing the broker delivered is lost, and nothing is stored twice, when the hub is killed -9."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from seaLink.settings import Settings
from seaLink.store.db import Database
from seaLink.store.tables import Position, Uplink
from tests.hub_process import HubProcess
from tests.vessel_client import TestVessel

VESSELS = [f"V{i}" for i in range(1, 6)]
PER_VESSEL = 200  # 1,000 positions in all


def _publish_all(settings: Settings, base: datetime, done: threading.Event) -> None:
    clients = [TestVessel(settings.mqtt.url, vid, prefix=settings.mqtt.prefix) for vid in VESSELS]
    try:
        for i in range(PER_VESSEL):
            for c in clients:
                ts = (base + timedelta(seconds=i)).isoformat()
                c.client.publish(
                    c.topics.up(c.vessel_id, "position"),
                    f'{{"ts":"{ts}","lat":23.{i:03d},"lon":117.2,"sog":5.0,"cog":90}}',
                    qos=1,
                )
            if i % 20 == 0:
                clients[0].publish(
                    "distress", {"distress_id": f"d{i}", "ts": ts, "lat": 23.1, "lon": 117.3}
                )
            time.sleep(0.01)  # ~2 s of traffic, so the kill lands mid-stream
        for c in clients:
            c.client.publish(
                c.topics.up(c.vessel_id, "hello"),
                b'{"ts":"%s","terminal":"t"}' % ts.encode(),
                qos=1,
            ).wait_for_publish(10)
    finally:
        for c in clients:
            c.close()
        done.set()


async def _counts(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            p = (await conn.execute(select(func.count()).select_from(Position))).scalar_one()
            u = (
                await conn.execute(
                    select(func.count()).select_from(Uplink).where(Uplink.kind == "distress")
                )
            ).scalar_one()  # type: ignore[arg-type]
        return int(p), int(u)
    finally:
        await db.dispose()


async def test_kill_9_mid_stream_loses_nothing_and_duplicates_nothing(
    registered: Settings, tmp_path: Path
) -> None:
    hub = HubProcess(registered, tmp_path)
    hub.start()
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    done = threading.Event()
    publisher = threading.Thread(target=_publish_all, args=(registered, base, done), daemon=True)
    publisher.start()
    try:
        for _ in range(400):  # kill once some, but not all, are stored
            stored, _ = await _counts(registered.store.url)
            if stored >= 150:
                break
            await asyncio.sleep(0.02)
        hub.kill9()
        killed_at, _ = await _counts(registered.store.url)
        assert 0 < killed_at < len(VESSELS) * PER_VESSEL, "the kill must land mid-stream"
        await asyncio.to_thread(done.wait, 30)
        hub.start()
        for _ in range(300):
            stored, distress = await _counts(registered.store.url)
            if stored >= len(VESSELS) * PER_VESSEL and distress >= PER_VESSEL // 20:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # anything still arriving would show up as an excess
        stored, distress = await _counts(registered.store.url)
    finally:
        hub.stop()
    assert stored == len(VESSELS) * PER_VESSEL
    assert distress == PER_VESSEL // 20
