"""The Ningbo case (2016), replayed: a distress 30 nmi offshore with 40 boats around.

    python -m bench.ningbo

In 2016 a duty officer took 13 minutes from the alarm to a nearby boat turning to help. Here a
coordinator's console session reacts to the alert with one action ("task the 2 nearest"), and the
script prints the time from the alarm to: the alert on the console, the boats tasked, the tasks
on the boats' terminals, and their acceptances in the incident log. Boats answer like people:
a few seconds to read, then accept with an ETA (or decline).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from datetime import UTC, datetime

import aiohttp
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from bench._common import machine
from bench._stack import PREFIX, Stack
from seaLink.wire.geo import destination, haversine_nm
from seaLink.wire.mqtt import PahoAsyncio

SCENE = destination(23.42, 117.08, 150.0, 30.0)  # 30 nmi SSE of 云澳 (Nan'ao)


class Boat:
    def __init__(
        self,
        vid: str,
        lat: float,
        lon: float,
        adapter: PahoAsyncio,
        rng: random.Random,
        log: list[str],
    ) -> None:
        self.vid, self.lat, self.lon, self.rng, self.log = vid, lat, lon, rng, log
        self.task_at: float | None = None
        self.c = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=vid, protocol=paho.MQTTv5
        )
        self.c.will_set(f"{PREFIX}/vessels/{vid}/status", b"offline", qos=1, retain=True)
        self.c.on_connect = lambda c, u, f, rc, p=None: self._online()
        self.c.on_message = lambda c, u, m: self._down(json.loads(m.payload))
        adapter.attach(self.c)

    def connect(self, port: int) -> None:
        self.c.connect("127.0.0.1", port, 60)

    def pub(self, kind: str, body: dict[str, object]) -> None:
        self.c.publish(
            f"{PREFIX}/vessels/{self.vid}/up/{kind}", json.dumps(body, ensure_ascii=False), qos=1
        )

    def _online(self) -> None:
        self.c.publish(f"{PREFIX}/vessels/{self.vid}/status", b"online", qos=1, retain=True)
        self.c.subscribe(f"{PREFIX}/vessels/{self.vid}/down", qos=1)
        now = datetime.now(UTC).isoformat()
        self.pub("hello", {"ts": now, "terminal": "ningbo/1"})
        self.pub(
            "position",
            {
                "ts": now,
                "lat": self.lat,
                "lon": self.lon,
                "sog": 3.0,
                "cog": 90.0,
                "state": "fishing",
            },
        )

    def _down(self, m: dict[str, object]) -> None:
        now = datetime.now(UTC).isoformat()
        self.pub("ack", {"msg_id": m["msg_id"], "state": "delivered", "ts": now})
        if m.get("kind") == "rescue_task":
            self.task_at = time.perf_counter()
            asyncio.get_running_loop().call_later(
                self.rng.uniform(3, 8), self._answer, str(m["msg_id"])
            )

    def _answer(self, msg_id: str) -> None:
        dist = haversine_nm(self.lat, self.lon, *SCENE)
        eta = round(dist / 8 * 60)
        now = datetime.now(UTC).isoformat()
        self.pub(
            "ack",
            {"msg_id": msg_id, "state": "accepted", "eta_min": eta, "ts": now, "text": "正在前往"},
        )


async def run(stack: Stack, vids: list[str]) -> None:
    rng = random.Random(2016)
    adapter = PahoAsyncio()
    log: list[str] = []
    distressed = vids[0]
    boats = [Boat(distressed, SCENE[0], SCENE[1], adapter, rng, log)]
    for vid in vids[1:]:
        lat, lon = destination(SCENE[0], SCENE[1], rng.uniform(0, 360), rng.uniform(3, 20))
        boats.append(Boat(vid, lat, lon, adapter, rng, log))
    for b in boats:
        b.connect(stack.broker.port)
    await asyncio.sleep(3)  # boats online, positions in
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {stack.token}"}) as s:
        ws = await s.ws_connect(f"{stack.api}/api/v1/events?token={stack.token}")
        t0 = time.perf_counter()
        boats[0].pub("distress", {"distress_id": "NB-2016", "ts": datetime.now(UTC).isoformat(), "lat": SCENE[0],
                                  "lon": SCENE[1], "nature": "flooding", "persons": 6, "text": "机舱进水，请求救援"})  # fmt: skip
        incident = None
        while incident is None:
            ev = json.loads((await ws.receive(timeout=10)).data)
            d = ev.get("data") or {}
            if (
                ev.get("type") == "alert"
                and d.get("type") == "distress"
                and d.get("action") == "raised"
            ):
                incident = d["incident_id"]
        t_alert = time.perf_counter()
        # The coordinator's one action: task the two nearest boats.
        r = await s.post(f"{stack.api}/api/v1/incidents/{incident}/task", json={"top": 2})
        tasked = (await r.json())["tasked"]
        t_tasked = time.perf_counter()
        accepted: dict[str, float] = {}
        while len(accepted) < len(tasked):
            ev = json.loads((await ws.receive(timeout=30)).data)
            d = ev.get("data") or {}
            if ev.get("type") == "incident_log" and d.get("kind") == "task_accepted":
                accepted[str(d["actor"]).removeprefix("vessel:")] = time.perf_counter()
        near = (
            await (await s.get(f"{stack.api}/api/v1/incidents/{incident}/nearest?limit=3")).json()
        )["vessels"]
        await ws.close()
    by_id = {b.vid: b for b in boats}
    print(
        f"\n[Ningbo case: distress {30} nmi offshore at {SCENE[0]:.3f}N {SCENE[1]:.3f}E, {len(boats) - 1} boats around]"
    )
    print(f"  alarm -> alert on the coordinator's console : {(t_alert - t0) * 1000:7.0f} ms")
    print(
        f"  alarm -> 2 nearest boats tasked (one action): {(t_tasked - t0) * 1000:7.0f} ms   (target: within 5 s; 2016: 13 min)"
    )
    for vid in tasked:
        b = by_id[vid]
        got = (b.task_at - t0) * 1000 if b.task_at else float("nan")
        print(
            f"  {vid}: {haversine_nm(b.lat, b.lon, *SCENE):4.1f} nmi away; task on board {got:6.0f} ms, "
            f"accepted {(accepted[vid] - t0):5.1f} s after the alarm (crew took 3-8 s to answer)"
        )
    print(
        "  nearest three now: "
        + ", ".join(f"{v['id']} {v['distance_nm']} nmi ETA {v['eta_min']} min" for v in near)
    )
    adapter.close()


def main() -> None:
    print(f"machine: {machine()}")
    stack = Stack(41, seed=2016)
    try:
        vids = stack.start()
        asyncio.run(run(stack, vids))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
