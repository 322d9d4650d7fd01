"""A typhoon recall on a scripted scenario: the board per grid, repeated orders to boats that have
not answered, alerts for boats still unaccounted at the deadline, the watch in typhoon mode."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from seaLink.store.tables import Delivery
from tests.test_broadcasts import online
from tests.test_distress import _get, _post, clock, setup  # noqa: F401  (fixtures)
from tests.test_ingest import wait_for


async def test_the_recall_board_reminders_and_deadline(setup: Any) -> None:  # noqa: F811
    hub, base, h, _outside = setup
    now = hub.clock.now
    boats = {
        vid: online(hub, vid, hub.clock) for vid in ("V1", "V2", "V3", "V4")
    }  # V5 is out of coverage
    try:
        for vid, (lat, lon) in {
            "V1": (23.2, 117.3),
            "V2": (23.1, 117.6),
            "V3": (22.9, 117.8),
            "V4": (23.0, 117.9),
        }.items():
            boats[vid].publish(
                "position",
                {"ts": now().isoformat(), "lat": lat, "lon": lon, "sog": 6.0, "cog": 0.0},
            )
        await wait_for(lambda: _reachable(hub, list(boats)))
        deadline = now() + timedelta(hours=2)
        status, created = await _post(base, h, "/api/v1/broadcasts", {
            "kind": "warning", "title": "台风“海葵”撤离令", "body": "所有渔船于今日17时前回港避风。",
            "signal": "orange", "recall": {"deadline": deadline.isoformat()}, "target": {"all": True},
            "expires_at": (deadline + timedelta(hours=12)).isoformat(),
        })  # fmt: skip
        assert status == 201
        bid = created["broadcast"]["id"]
        orders = {
            vid: await asyncio.to_thread(b.received.get, True, 10) for vid, b in boats.items()
        }
        assert all(o["recall"]["deadline"] for o in orders.values())
        for vid, o in orders.items():  # every terminal confirms delivery at once
            boats[vid].publish(
                "ack", {"msg_id": o["msg_id"], "state": "delivered", "ts": now().isoformat()}
            )
        assert hub.watch.book.typhoon is True

        def ack(vid: str, msg_id: str, **recall: Any) -> None:
            boats[vid].publish(
                "ack",
                {
                    "msg_id": msg_id,
                    "state": "acknowledged",
                    "ts": now().isoformat(),
                    "recall": recall,
                },
            )

        later = (
            now() + timedelta(seconds=30)
        ).isoformat()  # a new fix (same time = same fix, stored once)
        boats["V1"].publish("position", {"ts": later, "lat": 23.4052, "lon": 117.0785, "sog": 0.0})
        ack("V2", orders["V2"]["msg_id"], status="returning")
        ack("V3", orders["V3"]["msg_id"], status="sheltering", port="汕头港", persons_ashore=6)
        await asyncio.sleep(0.5)
        await hub.drained()
        board = await _get(base, h, f"/api/v1/broadcasts/{bid}/recall")
        assert board["total"] == {
            "total": 5,
            "in_port": 1,
            "returning": 1,
            "sheltering": 1,
            "unaccounted": 2,
            "persons_ashore": 6,
        }
        g01 = next(g for g in board["grids"] if g["grid_id"] == "G01")
        assert (g01["total"], g01["in_port"], g01["returning"], g01["sheltering"]) == (3, 1, 1, 1)

        hub.clock.advance(timedelta(minutes=15))  # unanswered boats get the order again
        await hub.recall.settle()
        await hub.outbox.settle()
        again = await asyncio.to_thread(boats["V4"].received.get, True, 10)
        boats["V4"].publish(
            "ack", {"msg_id": again["msg_id"], "state": "delivered", "ts": now().isoformat()}
        )
        assert again["msg_id"] == f"rc{bid}-V4-1" and again["title"].startswith("【再次提醒】")
        for vid in ("V1", "V2", "V3"):
            assert boats[vid].received.empty(), f"{vid} answered and must not be reminded"
        # V5's order has not gone out yet: it stands for the reminder, none queues behind it.
        async with hub.db.engine.connect() as conn:
            v5 = (
                await conn.execute(select(Delivery.msg_id).where(Delivery.vessel_id == "V5"))
            ).all()  # type: ignore[arg-type]
        assert [r[0] for r in v5] == [f"b{bid}-V5"]
        ack("V4", again["msg_id"], status="returning")
        await asyncio.sleep(0.5)
        await hub.drained()

        hub.clock.advance(deadline - now())  # the deadline: V5 is still unaccounted
        await hub.recall.settle()
        await hub.alerting.settle()
        alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
        assert [(a["vessel_id"], a["type"]) for a in alerts if a["type"] == "recall"] == [
            ("V5", "recall")
        ]
        board = await _get(base, h, f"/api/v1/broadcasts/{bid}/recall")
        assert board["total"]["unaccounted"] == 1 and board["total"]["returning"] == 2
    finally:
        for b in boats.values():
            b.close()


async def _reachable(hub: Any, vids: list[str]) -> bool:
    return all(hub.outbox.reachable(v, hub.clock.now()) for v in vids)
