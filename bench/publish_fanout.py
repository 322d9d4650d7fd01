"""The floor under `bench.broadcast`: the same fan-out with no hub and no store.

    python -m bench.publish_fanout [--vessels 10000] [--processes 2] [--connections 1,4,1,4]

What the broker and the lean fleet take for a 10,000-boat broadcast on this machine, against
which the hub's own figure is read; and whether sending through more connections changes it
(measured: it does not, so the broker's PUBACK is not what holds the hub's fan-out back).

No hub and no store: a private Mosquitto, `bench.lean_fleet` terminals (each answers a message
with two acks), and a publisher that sends one QoS 1 message to every boat's down topic through
N connections (`BufferedClient`s on one `PahoAsyncio` loop, as the hub's), at most `--window` in
flight per connection; its first connection also subscribes to the boats' uplinks, as the hub's
does, so the acks come back on it. Prints, per N, the time to the last PUBACK and to the last ack.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from bench._common import machine, raise_open_files
from seaLink.testing.mosquitto import Mosquitto
from seaLink.wire.mqtt import BufferedClient, PahoAsyncio
from seaLink.wire.topics import Topics

TOPICS = Topics()


def online(logs: list[Path]) -> int:
    total = 0
    for log in logs:
        lines = [x for x in log.read_text().splitlines() if x.startswith("{")]
        total += json.loads(lines[-1])["online"] if lines else 0
    return total


async def fan(port: int, ids: list[str], conns: int, window: int, run: int) -> tuple[float, float]:
    adapter = PahoAsyncio()
    clients: list[BufferedClient] = []
    inflight = [0] * conns
    room = [asyncio.Event() for _ in range(conns)]
    acked = [0, 0]  # PUBACKs, acks in
    all_acked = asyncio.Event()
    subscribed = asyncio.Event()
    for k in range(conns):
        c = BufferedClient(callback_api_version=CallbackAPIVersion.VERSION2,
                           client_id=f"fan-{run}-{k}", protocol=paho.MQTTv5)  # fmt: skip
        c.max_inflight_messages_set(0)

        def on_publish(
            _c: object, _u: object, _mid: int, _rc: object, _p: object, k: int = k
        ) -> None:
            inflight[k] -= 1
            room[k].set()
            acked[0] += 1
            if acked[0] == len(ids):
                all_acked.set()

        c.on_publish = on_publish
        if k == 0:
            c.on_connect = lambda cl, u, f, rc, p=None: cl.subscribe(
                f"{TOPICS.prefix}/vessels/+/up/#", qos=1
            )
            c.on_subscribe = lambda cl, u, mid, rc, p=None: subscribed.set()

            def on_message(_c: object, _u: object, _m: paho.MQTTMessage) -> None:
                acked[1] += 1

            c.on_message = on_message
        adapter.attach(c)
        await asyncio.to_thread(c.connect, "127.0.0.1", port, 60)
        clients.append(c)
    await asyncio.wait_for(subscribed.wait(), 10)

    async def send(k: int, part: list[str]) -> None:
        for i, vid in enumerate(part):
            while inflight[k] >= window:
                room[k].clear()
                await room[k].wait()
            body = {"msg_id": f"f{run}-{vid}", "kind": "notice", "ack": "confirm",
                    "title": "渔港检查通知", "body": "明天上午九点渔政检查消防设备，请做好准备。"}  # fmt: skip
            clients[k].publish(TOPICS.down(vid), json.dumps(body, ensure_ascii=False), qos=1)
            inflight[k] += 1
            if i % 200 == 199:
                await asyncio.sleep(0)

    t0 = time.perf_counter()
    await asyncio.gather(*(send(k, ids[k::conns]) for k in range(conns)))
    await asyncio.wait_for(all_acked.wait(), 120)
    pubacked = time.perf_counter() - t0
    while acked[1] < 2 * len(ids) and time.perf_counter() - t0 < 120:
        await asyncio.sleep(0.01)
    answered = time.perf_counter() - t0
    for c in clients:
        c.disconnect()
    adapter.close()
    return pubacked, answered


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--vessels", type=int, default=10_000)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--connections", default="1,4,1,4")
    p.add_argument("--window", type=int, default=4000)
    args = p.parse_args()
    raise_open_files(args.vessels + 256)
    print(f"machine: {machine()}   load average at start: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = Mosquitto(work / "broker")
        broker.start()
        ids = [f"V{i:05d}" for i in range(1, args.vessels + 1)]
        fleet, logs = [], []
        try:
            for n in range(args.processes):
                path = work / f"ids{n}"
                path.write_text("\n".join(ids[n :: args.processes]) + "\n")
                logs.append(work / f"lean{n}.log")
                fleet.append(subprocess.Popen(
                    [sys.executable, "-m", "bench.lean_fleet", str(broker.port), str(path)],
                    stdout=open(logs[-1], "wb"), stderr=subprocess.STDOUT))  # noqa: SIM115  # fmt: skip
            t0 = time.monotonic()
            while online(logs) < args.vessels and time.monotonic() - t0 < 120:
                time.sleep(0.5)
            print(f"{online(logs)} of {args.vessels} terminals connected")
            time.sleep(2)
            for run, conns in enumerate(int(x) for x in args.connections.split(",")):
                pubacked, answered = asyncio.run(fan(broker.port, ids, conns, args.window, run))
                print(f"  {conns} connection(s), window {args.window} each: last PUBACK "
                      f"{pubacked:.2f} s, last ack in {answered:.2f} s")  # fmt: skip
                time.sleep(2)
        finally:
            for f in fleet:
                f.terminate()
            broker.stop()


if __name__ == "__main__":
    main()
