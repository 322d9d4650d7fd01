"""Whose turn it is on the hub's event loop (`seaLink.turns`): bulk work waits at its slices while
a request is answered, never longer than HOLD_MAX_S a slice, and the distress lane waits for no
one; the API counts a request from its start to its answer, a live event stream never."""

from __future__ import annotations

import asyncio
import time

from aiohttp import test_utils, web

from seaLink.api.app import first_turns
from seaLink.store.write_gate import mark_urgent
from seaLink.turns import HOLD_MAX_S, bulk_turn, turns


async def test_bulk_work_waits_while_a_request_is_answered() -> None:
    order: list[str] = []
    leave = asyncio.Event()

    async def request() -> None:
        with turns().person():
            order.append("request in")
            await leave.wait()
            order.append("request out")

    async def bulk() -> None:
        for n in range(3):
            order.append(f"slice {n}")
            await bulk_turn()

    answering = asyncio.create_task(request())
    await asyncio.sleep(0)  # the request is in
    working = asyncio.create_task(bulk())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert order == ["request in", "slice 0"]  # the slice's turn waits for the request
    leave.set()
    await asyncio.gather(answering, working)
    assert order == ["request in", "slice 0", "request out", "slice 1", "slice 2"]


async def test_a_request_that_never_ends_holds_bulk_work_only_so_long_a_slice() -> None:
    stuck = asyncio.Event()

    async def request() -> None:
        with turns().person():
            await stuck.wait()

    answering = asyncio.create_task(request())
    await asyncio.sleep(0)
    started = time.monotonic()
    await asyncio.wait_for(bulk_turn(), timeout=5)  # returns: the hub goes on hearing boats
    assert time.monotonic() - started >= HOLD_MAX_S * 0.9
    answering.cancel()
    await asyncio.gather(answering, return_exceptions=True)
    assert turns()._people == 0  # a cancelled request leaves the count


async def test_the_distress_lane_waits_for_no_request() -> None:
    stuck = asyncio.Event()

    async def request() -> None:
        with turns().person():
            await stuck.wait()

    async def distress_lane() -> float:
        mark_urgent()  # this task's context only, as the hub's lane
        started = time.monotonic()
        for _ in range(10):
            await bulk_turn()
        return time.monotonic() - started

    answering = asyncio.create_task(request())
    await asyncio.sleep(0)
    took = await asyncio.create_task(distress_lane())
    assert took < HOLD_MAX_S  # ten slices, none of them held
    answering.cancel()
    await asyncio.gather(answering, return_exceptions=True)


async def test_the_api_counts_a_request_until_it_is_answered_and_a_live_stream_never() -> None:
    seen: dict[str, int] = {}

    async def plain(request: web.Request) -> web.Response:
        seen["plain"] = turns()._people
        return web.Response(text="ok")

    async def stream(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        seen["stream"] = turns()._people
        await ws.send_str("hello")
        await ws.close()
        return ws

    app = web.Application(middlewares=[first_turns])
    app.router.add_get("/plain", plain)
    app.router.add_get("/stream", stream)
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        assert (await client.get("/plain")).status == 200
        async with client.ws_connect("/stream") as ws:
            assert (await ws.receive()).data == "hello"
        assert turns()._people == 0
    assert seen == {"plain": 1, "stream": 0}
