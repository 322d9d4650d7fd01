"""A typhoon recall on a scripted scenario: the board per grid, repeated orders to boats that have
not answered, alerts for boats still unaccounted at the deadline, the watch in typhoon mode."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from seaLink.store.tables import Delivery
from tests.heard import until_heard, uplinks_heard
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
            "V3": (23.44, 117.133),  # in 青澳湾, not its home port
            "V4": (23.0, 117.9),
        }.items():
            # V1, V2 and V4 steam north-west, towards their home port 云澳渔港.
            boats[vid].publish(
                "position",
                {"ts": now().isoformat(), "lat": lat, "lon": lon, "sog": 6.0, "cog": 300.0},
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
        heard = uplinks_heard(hub)
        boats["V1"].publish("position", {"ts": later, "lat": 23.4052, "lon": 117.0785, "sog": 0.0})
        ack("V2", orders["V2"]["msg_id"], status="returning")
        ack("V3", orders["V3"]["msg_id"], status="sheltering", port="青澳湾", persons_ashore=6)
        await until_heard(hub, heard, position=1, ack=2)
        board = await _get(base, h, f"/api/v1/broadcasts/{bid}/recall")
        t = board["total"]
        assert (t["total"], t["in_port"], t["returning"], t["sheltering"], t["unaccounted"]) == (
            5,
            1,
            2,
            1,
            1,
        ), t  # V4 has not answered but its track closes on its harbour: returning (by track)
        assert (t["persons_ashore"], t["done"], t["contradicted"]) == (6, 1, 0)
        rows = {v["vessel_id"]: v for v in board["vessels"]}
        assert (rows["V4"]["line"], rows["V4"]["source"]) == (
            "returning_late",
            "track",
        )  # 50 nmi out
        assert rows["V1"]["source"] == "track" and rows["V3"]["source"] == "answer"
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
        heard = uplinks_heard(hub)
        ack("V4", again["msg_id"], status="returning")
        await until_heard(hub, heard, ack=1)

        hub.clock.advance(deadline - now())  # the deadline: V2 and V4 at sea, V5 unaccounted
        await hub.recall.settle()
        await hub.alerting.settle()
        alerts = (await _get(base, h, "/api/v1/alerts"))["alerts"]
        # V2 and V4 fell silent at sea for two hours of a typhoon: lost contact (their own
        # alerts), not recall alerts; V5 never answered nor was seen.
        assert sorted(
            (a["vessel_id"], a["type"], a["phase"]) for a in alerts if a["type"] == "recall"
        ) == [("V5", "recall", "unaccounted")], alerts
        board = await _get(base, h, f"/api/v1/broadcasts/{bid}/recall")
        t = board["total"]
        assert (t["unaccounted"], t["lost_contact"], t["returning"]) == (1, 2, 0), t
    finally:
        for b in boats.values():
            b.close()


async def _reachable(hub: Any, vids: list[str]) -> bool:
    return all(hub.outbox.reachable(v, hub.clock.now()) for v in vids)
