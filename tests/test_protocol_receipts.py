"""Protocol v1.1 (issue 15.5): an `ack: "none"` receipt is re-sent after a hello only while it
matters. A `distress_ack` still undelivered when a coordinator resolves the alert (a false alarm)
is closed with it: the boat gets the `closed` stage, and no receipt ever again. Real hub, broker,
store (both databases)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from seaLink.clock import FakeClock
from seaLink.store.tables import Delivery, VesselState
from tests.test_broadcasts import online
from tests.test_distress import Outside, _post, clock, distress, setup  # noqa: F401
from tests.test_distress_status import _next
from tests.test_protocol_edges import _distress_alerts

_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]


async def wait_for(read: Any, *, equals: Any, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (value := await read()) != equals:
        assert loop.time() < deadline, f"still {value!r}, not {equals!r}"
        await asyncio.sleep(0.05)


async def _terminal(hub: Any, vid: str) -> Any:
    async with hub.db.engine.connect() as conn:
        return (await conn.execute(select(_vs.c.terminal).where(_vs.c.vessel_id == vid))).scalar()


async def _delivery(hub: Any, msg_id: str) -> Any:
    async with hub.db.engine.connect() as conn:
        return (
            await conn.execute(
                select(_d.c.state, _d.c.attempts, _d.c.closed_at).where(_d.c.msg_id == msg_id)
            )
        ).one()


async def test_a_receipt_of_a_resolved_alert_is_not_sent_again_after_hello(
    setup: tuple[Any, str, dict[str, str], Outside],  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    hub, base, h, _outside = setup
    v = online(hub, "V1", clock)
    try:
        v.publish("distress", distress(clock))
        receipt = await _next(v, "distress_ack")  # never answered `delivered`
        await hub.drained()
        [alert] = await _distress_alerts(base, h)
        status, _ = await _post(
            base, h, f"/api/v1/alerts/{alert['id']}/resolve", {"outcome": "false_alarm"}
        )
        assert status == 200
        closed = await _next(v, "distress_status")
        assert closed["stage"] == "closed" and closed["outcome"] == "false_alarm"
        state, attempts, closed_at = await _delivery(hub, receipt["msg_id"])
        assert state == "expired" and closed_at is not None
        # The terminal reconnects and says hello: once the grace is over, what it has not
        # confirmed comes again: the `closed` stage does, the receipt does not.
        v.publish("hello", {"ts": clock.now().isoformat(), "terminal": "test/2"})
        await wait_for(lambda: _terminal(hub, "V1"), equals="test/2")  # the hello is in
        await hub.drained()  # and its re-arming done, before the clock moves past the grace
        clock.advance(timedelta(seconds=hub.settings.messaging.replay_grace_s + 1))
        hub.outbox.kick()
        again = await _next(v, "distress_status")
        assert again["msg_id"] == closed["msg_id"]
        assert await _delivery(hub, receipt["msg_id"]) == (state, attempts, closed_at)
    finally:
        v.close()
