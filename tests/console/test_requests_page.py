"""Requests inbox: a fisherman's request sent from the boat appears live, past due marked; the
coordinator replies (the boat receives it and the page follows the reply to "read"), assigns and
resolves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Page, expect

from seaLink.clock import FakeClock
from tests.console.conftest import COORD_PW, Console, shot
from tests.console.helpers import login
from tests.test_broadcasts import online, receive
from tests.test_ingest import wait_for


@pytest.fixture
def fake_clock() -> FakeClock:
    # Two hours behind the browser's clock: a request received now is an hour past due there.
    return FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))


async def test_a_request_from_a_boat_appears_live_is_answered_assigned_and_resolved(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    boat = online(hub, "V1", clock)
    try:

        async def reachable() -> bool:
            return bool(hub.outbox.reachable("V1", clock.now()))

        await wait_for(reachable)
        await login(page, console.base, "coord1", COORD_PW)
        await page.click('.nav-link[data-route="requests"]')
        await expect(page.locator(".requests-page .empty")).to_have_text("没有求助")

        boat.publish("request", {"request_id": "NA1-r-1", "ts": clock.now().isoformat(),
                                 "category": "equipment", "text": "雷达故障，请帮忙联系维修"})  # fmt: skip
        row = page.locator('.request-row[data-vessel="V1"]')
        await expect(row).to_have_count(1)  # live: nobody reloaded the page
        await expect(row).to_contain_text("粤南澳渔00001")
        await expect(row).to_contain_text("设备")
        await expect(row).to_contain_text("雷达故障，请帮忙联系维修")
        await expect(row).to_have_class("request-row state-open overdue fresh")
        await expect(row.locator(".late-badge")).to_have_text("已超时")

        clock.advance(timedelta(hours=2))  # the hub catches up with the browser
        boat.publish("request", {"request_id": "NA1-r-2", "ts": clock.now().isoformat(),
                                 "category": "supplies", "text": "需要补给淡水"})  # fmt: skip
        await expect(page.locator(".request-row")).to_have_count(2)
        row = page.locator(".request-row", has_text="雷达故障")
        second = page.locator(".request-row").first  # the newest first
        await expect(second).to_contain_text("补给")
        await expect(second.locator(".late-badge")).to_have_count(0)
        await shot(page, "requests-inbox-zh")

        await row.locator(".request-text").click()
        detail = page.locator(".request-detail")
        await expect(detail).to_contain_text("雷达故障，请帮忙联系维修")
        await expect(detail.locator('.log-entry[data-kind="received"]')).to_have_count(1)
        await detail.locator("textarea[name=reply]").fill("已联系维修站，明早到码头。")
        await detail.locator(".request-reply").click()
        await expect(page.locator(".form-status.ok")).to_have_text("回复已发出，正在送往船上")

        down = await receive(boat)
        assert down["kind"] == "reply" and down["in_reply_to"] == "NA1-r-1"
        assert down["body"] == "已联系维修站，明早到码头。"
        replied = page.locator('.request-detail .log-entry[data-kind="replied"]')
        await expect(replied).to_contain_text("已联系维修站，明早到码头。")
        boat.publish(
            "ack", {"msg_id": down["msg_id"], "state": "read", "ts": clock.now().isoformat()}
        )
        await expect(replied.locator(".delivery-state")).to_have_text("已读")
        # Answered: no longer in the open tab.
        await expect(page.locator(".request-row", has_text="雷达故障")).to_have_count(0)

        await page.locator('.request-detail input[name="assign"]').fill("coord1")
        await page.click(".request-assign")
        await expect(
            page.locator('.request-detail .log-entry[data-kind="assigned"]')
        ).to_contain_text("coord1")
        await page.locator('.request-detail input[name="resolve_note"]').fill("已修复")
        await page.click(".request-resolve")
        await expect(page.locator(".request-detail .request-state")).to_have_text("已解决")
        await expect(page.locator(".request-detail .request-reply")).to_have_count(0)

        await page.click('.tab[data-view="resolved"]')
        # The open list stays on screen until the resolved one arrives: wait for its content.
        await expect(page.locator(".request-row", has_text="需要补给淡水")).to_have_count(0)
        done = page.locator(".request-row")
        await expect(done).to_have_count(1)
        await expect(done).to_contain_text("雷达故障")
        await expect(done).to_contain_text("coord1")
        await shot(page, "requests-resolved-zh")
    finally:
        boat.close()
