"""The store's side of a fleet-wide broadcast, without broker or hub process (issue 17.2, 17.4).

    python -m bench.store_rounds [--deliveries 50000] [--round 2000] [--checkpoint hub|commits]

A fresh SQLite store (the hub's engine: its pragmas, one-trip statements and write gate) with a
generated fleet gets one broadcast's deliveries. Then, round after round as a fan-out goes:
the outbox's full look at what is due (`OutboxStore.due`), its reads of what expired and when to
wake next (`expire`, `next_due`, `next_expiry`, every round), its bookkeeping of the round
(`record_sends`), the ingest's commit of the boats' two answers to the round before
(`IngestWriter.commit`: delivered and acknowledged, their ack events, the boats' last-heard), and
a roll-up's counts (`broadcast_store.rollup`). One step at a time, so each figure is the store's
own time for that step (the time a round waits for it), not a share of a busy machine.
`--checkpoint hub`: the hub's checkpointer runs beside, as in `sealink hub` (`store/wal.py`);
`commits`: SQLite's default, the log copied back inside whichever commit passes 1,000 pages.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench._common import machine
from seaLink.domain.fleetgen import generate_fleet
from seaLink.domain.ports import load_zones_document, ports_from_geojson
from seaLink.store import broadcast_store
from seaLink.store.batch import BatchPlan, Heard
from seaLink.store.db import Database
from seaLink.store.fleet_io import import_fleet
from seaLink.store.ingest_writes import IngestWriter
from seaLink.store.outbox_store import OutboxStore

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
BODY = '{"title":"台风预警","body":"台风将于明晚抵达，请及时回港避风。","ack":"confirm","broadcast_id":1}'


def _deliveries(fleet: Any) -> list[dict[str, Any]]:
    return [
        {"msg_id": f"b1-{v.id}", "broadcast_id": 1, "vessel_id": v.id, "grid_id": v.grid_id,
         "kind": "notice", "priority": 2, "state": "queued", "rank": 0, "attempts": 0,
         "payload": BODY, "next_attempt_at": NOW, "queued_at": NOW,
         "expires_at": NOW + timedelta(hours=6), "last_error": ""}
        for v in fleet.vessels
    ]  # fmt: skip


def _answers(msgs: list[Any], at: datetime) -> BatchPlan:
    plan = BatchPlan(received_at=at)
    for m in msgs:
        for state in ("delivered", "acknowledged"):
            plan.acks.append({"m": m.msg_id, "v": m.vessel_id, "ts": at, "state": state,
                              "ln": "mqtt"})  # fmt: skip
            plan.ack_events.append({"msg_id": m.msg_id, "vessel_id": m.vessel_id, "state": state,
                                    "ts": at, "received_at": at, "link": "mqtt", "crew": "[]",
                                    "text": "", "answers": "[]", "eta_min": None,
                                    "recall": None})  # fmt: skip
        plan.heard[m.vessel_id] = Heard(at, "mqtt")
    return plan


async def run(n: int, round_size: int, checkpoint: str, work: Path) -> dict[str, list[float]]:
    path = work / "store.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    if checkpoint == "commits":

        @event.listens_for(db.engine.sync_engine, "connect")
        def _default_checkpoints(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA wal_autocheckpoint=1000")
            cur.close()

    spent: dict[str, list[float]] = defaultdict(list)
    checkpointer = None
    try:
        await db.create_all()
        fleet = generate_fleet(n, ports_from_geojson(load_zones_document()), seed=1)
        await import_fleet(db, fleet)
        store, writer = OutboxStore(db), IngestWriter(db)
        async with db.engine.begin() as conn:
            await store.insert(conn, _deliveries(fleet))
        if checkpoint == "hub":
            from seaLink.store import wal  # (not in builds before it: they run `commits`)

            checkpointer = asyncio.create_task(wal.keep_checkpointed(str(path)), name="wal")

        async def timed(kind: str, step: Any) -> Any:
            started = time.perf_counter()
            result = await step
            spent[kind].append(time.perf_counter() - started)
            return result

        answered: list[Any] = []
        at = NOW
        while True:
            at += timedelta(milliseconds=200)
            due = await timed("due (a full look)", store.due(at, round_size))
            await timed("expire, next due, next expiry", _wake_reads(store, at))
            if answered:
                await timed("ingest: two answers a boat", writer.commit(_answers(answered, at)))
            if not due:
                break
            attempts = [{"did": m.id, "link": "mqtt", "attempts": m.attempts + 1,
                         "next_at": at + timedelta(seconds=60)} for m in due]  # fmt: skip
            await timed("bookkeeping (attempt and sent)",
                        store.record_sends(attempts, [m.id for m in due], at))  # fmt: skip
            await timed("roll-up counts", broadcast_store.rollup(db, 1, "confirm", missing_limit=0))
            answered = due
        return spent
    finally:
        if checkpointer is not None:
            checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await checkpointer
        await db.dispose()


async def _wake_reads(store: OutboxStore, at: datetime) -> None:
    await store.expire(at)
    await store.next_due()
    await store.next_expiry(at)


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--deliveries", type=int, default=50_000)
    p.add_argument("--round", type=int, default=2000, help="messages a round (dispatch_batch)")
    p.add_argument("--checkpoint", choices=["hub", "commits"], default="hub")
    args = p.parse_args()
    print(f"machine: {machine()}   load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="sealink-store-rounds-") as work:
        started = time.perf_counter()
        spent = asyncio.run(run(args.deliveries, args.round, args.checkpoint, Path(work)))
        wall = time.perf_counter() - started
    print(f"{args.deliveries:,} deliveries, rounds of {args.round:,}, checkpoints: "
          f"{args.checkpoint} (whole run with the fleet's import {wall:.1f} s)")  # fmt: skip
    total = 0.0
    for kind, times in spent.items():
        total += sum(times)
        print(f"  {kind:32s} {len(times):3d} x  mean {statistics.mean(times) * 1000:6.1f} ms  "
              f"max {max(times) * 1000:6.1f} ms  all {sum(times):6.2f} s")  # fmt: skip
    print(f"  {'the store, every step':32s}                              all {total:6.2f} s "
          f"({total / args.deliveries * 1e6:.0f} us a delivery)")  # fmt: skip


if __name__ == "__main__":
    main()
