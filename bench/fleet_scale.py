"""One hub and many boats: what a vessel costs at 1,000, 10,000 and 50,000 (issue 17.4).

    python -m bench.fleet_scale [--sizes 1000,10000,50000] [--report-s 600] [--idle-s 30]

For each size: a private Mosquitto, a fresh SQLite store with a generated fleet, `sealink hub` in
its own process, and that many `bench.lean_fleet` terminals (persistent sessions), each reporting
a fix every `--report-s` seconds (first ones spread over the interval). A broker process holds as
many connections as it may open files; above that the boats connect to edge brokers bridged to
the hub's (as a larger deployment would), one terminal process per edge; each edge's bridge
brings down only its own boats' topics (`bench._stack.Stack.start`), so that each down message
crosses the brokers once, as with one broker.
Once every boat is connected and heard, the benchmark measures:
- the hub at rest (contact watch, keepalives, the trickle of fixes): CPU over `--idle-s`, RSS;
- ingest at that trickle: publish -> commit latency of every fix stored meanwhile (the fix's own
  time stamp against the hub's `received_at`, both from this machine's clock);
- a broadcast to every boat: the POST, and when the last delivery is recorded (the hub's count
  of committed answers, then confirmed by the roll-up: `all_recorded`).
Then it prints each figure per vessel: they must not grow with the fleet. The open-file limit is
raised by the benchmark as far as the hard limit (beyond it needs CAP_SYS_RESOURCE).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime
from typing import Any

import psutil
from sqlalchemy import text

from bench._common import cpu_seconds, machine, main_thread_seconds, percentile, raise_open_files
from bench._stack import Stack
from seaLink.store.db import Database


def wait_heard(stack: Stack, n: int, limit_s: float) -> float:
    t0 = time.monotonic()
    while stack.health()["contact"]["ok"] < n:
        if time.monotonic() - t0 > limit_s:
            raise RuntimeError(f"only {stack.health()['contact']['ok']} of {n} boats heard")
        time.sleep(1)
    return time.monotonic() - t0


async def fix_latencies(url: str, since: datetime) -> list[float]:
    """Milliseconds from each fix's time stamp to its `received_at`, for fixes stored after
    `since` (the lean terminals stamp a fix when they publish it)."""
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    text("SELECT ts, received_at FROM position WHERE received_at > :since"),
                    {"since": since.strftime("%Y-%m-%d %H:%M:%S.%f")},
                )
            ).all()
    finally:
        await db.dispose()
    out = []
    for ts, received in rows:
        a = ts if isinstance(ts, datetime) else datetime.fromisoformat(str(ts))
        b = received if isinstance(received, datetime) else datetime.fromisoformat(str(received))
        out.append((b.replace(tzinfo=None) - a.replace(tzinfo=None)).total_seconds() * 1000)
    return out


DELIVERED = 'sealink_acks_total{state="delivered"}'


def all_recorded(stack: Stack, bid: int, n: int, posted: float, before: float) -> float | None:
    """When every delivery was recorded: when the hub's count of committed `delivered` answers
    (its /metrics) reached n, as the roll-up then confirms. The roll-up alone, polled five times
    a second, read all 50,000 deliveries each time (12-44 ms) and cost the hub a fifth of a core
    while it worked. Should the roll-up not confirm (an answer counted twice), the time of its
    own first complete read."""
    counted = None
    while counted is None and time.monotonic() - posted < 120:
        if stack.metric(DELIVERED) - before >= n:
            counted = time.monotonic() - posted
        else:
            time.sleep(0.1)
    while time.monotonic() - posted < 120:
        states = stack.call("GET", f"/api/v1/broadcasts/{bid}")["rollup"]["states"]
        if states["delivered"] + states["read"] + states["acknowledged"] >= n:
            return counted if counted is not None else time.monotonic() - posted
        counted = None
        time.sleep(0.2)
    return None


def one_size(n: int, report_s: float, idle_s: float, per_broker: int) -> dict[str, Any]:
    edges = 0 if n <= per_broker else -(-n // per_broker)
    processes = max(2, edges)
    # 50,000 persistent sessions saved every second would keep the brokers busy saving.
    stack = Stack(n, broker_conf="autosave_interval 1800", edges=edges)
    try:
        ids = stack.start()
        started = time.monotonic()
        for i in range(processes):
            port = stack.edges[i].port if edges else None
            # Each process from its own loopback address: one address has ~28,000 ephemeral
            # ports, and connect() crawls as they run out (50,000 boats stalled on it).
            stack.start_lean(ids[i::processes], 1, "--report-s", str(report_s), "--bind",
                             f"127.0.0.{i + 2}", "--connect-rate", "2500", tag=str(i), port=port)  # fmt: skip
        heard_s = wait_heard(stack, n, 600)
        assert stack.hub is not None
        hub = psutil.Process(stack.hub.pid)
        time.sleep(5)  # the hellos' after-effects (outbox replays, contact changes) settle
        since = datetime.now(UTC).replace(tzinfo=None)
        cpu0, t0 = sum(hub.cpu_times()[:2]), time.monotonic()
        time.sleep(idle_s)
        idle_cpu = (sum(hub.cpu_times()[:2]) - cpu0) / (time.monotonic() - t0)
        rss_mb = hub.memory_info().rss / 2**20
        broker_rss = psutil.Process(stack.broker.proc.pid).memory_info().rss / 2**20  # type: ignore[union-attr]
        lat = asyncio.run(fix_latencies(stack.url, since))
        pids = {"hub": [stack.hub.pid],
                "brokers": [b.proc.pid for b in (stack.broker, *stack.edges) if b.proc],
                "fleet": [p.pid for p in stack.lean]}  # fmt: skip
        cpu_before = {k: sum(cpu_seconds(pid) for pid in v) for k, v in pids.items()}
        loop_before = main_thread_seconds(stack.hub.pid)
        delivered_before = stack.metric(DELIVERED)
        posted = time.monotonic()
        created = stack.call("POST", "/api/v1/broadcasts", {
            "kind": "notice", "title": "台风预警", "body": "台风将于明晚抵达，请及时回港避风。",
            "reply": "confirm", "target": {"all": True}})  # fmt: skip
        post_s = time.monotonic() - posted
        bid = created["broadcast"]["id"]
        delivered_s = all_recorded(stack, bid, n, posted, delivered_before)
        cpu = {k: sum(cpu_seconds(pid) for pid in v) - cpu_before[k] for k, v in pids.items()}
        cpu["hub event loop"] = main_thread_seconds(stack.hub.pid) - loop_before
        return {
            "n": n, "processes": processes, "edges": edges, "connect_s": time.monotonic() - started,
            "heard_s": heard_s, "idle_cpu": idle_cpu, "rss_mb": rss_mb, "broker_rss_mb": broker_rss,
            "fixes": len(lat), "fix_p50": percentile(lat, 50), "fix_p99": percentile(lat, 99),
            "post_s": post_s, "delivered_s": delivered_s, "cpu": cpu,
        }  # fmt: skip
    finally:
        stack.stop()


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", default="1000,10000,50000")
    p.add_argument("--report-s", type=float, default=600.0)
    p.add_argument("--idle-s", type=float, default=30.0)
    p.add_argument("--per-broker", type=int, default=0, help="boats per broker (0: as files allow)")
    args = p.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    limit = raise_open_files(max(sizes) * 2 + 4096)
    per_broker = args.per_broker or limit - 1024  # a file per connection, some for the broker
    print(f"machine: {machine()}   load average at start: {os.getloadavg()[0]:.2f}   "
          f"open files: {limit}")  # fmt: skip
    results = []
    for n in sizes:
        r = one_size(n, args.report_s, args.idle_s, per_broker)
        results.append(r)
        delivered = "not all" if r["delivered_s"] is None else f"{r['delivered_s']:.2f} s"
        print(
            f"\n[{n:,} boats, SQLite, {r['processes']} terminal processes"
            + (f", {r['edges']} edge brokers bridged to the hub's" if r["edges"] else "")
            + f"] all heard after "
            f"{r['heard_s']:.0f} s\n"
            f"  hub at rest: CPU {r['idle_cpu'] * 100:.1f}% of a core, RSS {r['rss_mb']:.0f} MB "
            f"(target < 1 GB); broker RSS {r['broker_rss_mb']:.0f} MB\n"
            f"  fixes at 1 per {args.report_s:.0f} s per boat: {r['fixes']:,} stored in "
            f"{args.idle_s:.0f} s, publish -> stored p50 {r['fix_p50']:.1f} ms, p99 "
            f"{r['fix_p99']:.1f} ms (target p99 < 50 ms)\n"
            f"  broadcast to all: POST {r['post_s'] * 1000:.0f} ms, every delivery recorded "
            f"{delivered} after it (target <= 10 s at 50,000)\n"
            f"  CPU from the POST to the last delivery seen: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in r["cpu"].items()),
            flush=True,
        )
    print("\nper vessel:")
    print("  boats    hub CPU at rest   hub RSS    POST      all delivered")
    for r in results:
        n = r["n"]
        delivered = "-" if r["delivered_s"] is None else f"{r['delivered_s'] / n * 1e6:.0f} us"
        print(
            f"  {n:>6,}   {r['idle_cpu'] / n * 1e6:8.2f} us/s   {r['rss_mb'] * 1024 / n:6.1f} KB   "
            f"{r['post_s'] / n * 1e6:5.0f} us   {delivered}"
        )
    print("  (RSS per vessel includes the hub's fixed ~100 MB, which weighs most on small fleets)")


if __name__ == "__main__":
    main()
