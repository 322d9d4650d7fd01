"""Trainings page: a coordinator schedules a session with a quiz, the boats get the study pack, the
session starts, crews sign in and answer, and the page shows attendance per grid, vessel and crew
member and hands out the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page, expect

from seaLink.clock import FakeClock
from tests.console.conftest import COORD_PW, Console, shot
from tests.console.helpers import login
from tests.heard import until_heard, uplinks_heard
from tests.test_broadcasts import online, receive
from tests.test_ingest import wait_for


@pytest.fixture
def fake_clock() -> FakeClock:
    # Session times are typed in the browser against its own clock: the hub's must agree.
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


async def test_a_coordinator_schedules_a_training_and_sees_attendance_and_the_csv(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    boats = {vid: online(hub, vid, clock) for vid in ("V1", "V2", "V3")}
    try:

        async def reachable() -> bool:
            return all(hub.outbox.reachable(v, clock.now()) for v in boats)

        await wait_for(reachable)
        await login(page, console.base, "coord1", COORD_PW)
        await page.click('.nav-link[data-route="trainings"]')
        await expect(page.locator(".trainings-page h1")).to_have_text("培训安排")
        await expect(page.locator(".trainings-page .empty")).to_have_text("暂无培训")

        await page.click(".training-new")
        form = page.locator(".training-form")
        await form.locator("input[name=title]").fill("海上急救")
        await form.locator("textarea[name=study_pack]").fill("第一讲：心肺复苏要点")
        await form.locator("input[name=grid][value=G01]").check()
        await form.locator(".quiz-add").click()
        await form.locator("input[name=q_text]").fill("落水者救生圈应抛向？")
        await form.locator("textarea[name=q_options]").fill("上风\n下风")
        await form.locator("select[name=q_answer]").select_option("A")
        await shot(page, "training-form-zh")
        await form.locator(".training-create").click()

        await expect(page.locator(".training-page h1")).to_contain_text("培训 #")
        tid = int(page.url.rsplit("/", 1)[1])
        summary = page.locator(".training-summary")
        await expect(summary).to_contain_text("海上急救")
        await expect(summary).to_contain_text("待开始")
        await expect(summary).to_contain_text("1 题，及格线 80 分")
        await expect(page.locator(".attendance-host")).to_contain_text("培训尚未开始")
        packs = {vid: await receive(boats[vid]) for vid in boats}
        assert all(p["title"] == "【学习资料】海上急救" for p in packs.values())

        # The start time comes: what the scheduler runs then.
        assert await hub.training.run(tid) is not None
        notices = {vid: await receive(boats[vid]) for vid in boats}
        now = clock.now().isoformat()
        heard = uplinks_heard(hub)
        for vid, crew, answers in (("V1", ["陈海生", "林水生"], ["A"]), ("V2", ["许德华"], ["B"])):
            boats[vid].publish("ack", {"msg_id": notices[vid]["msg_id"], "state": "acknowledged",
                                       "ts": now, "crew": crew, "answers": answers})  # fmt: skip
        await until_heard(hub, heard, ack=2)

        grid = page.locator('.attendance-grids tr[data-grid="G01"] td')
        await expect(grid).to_have_text(["3", "2", "3", "1"])  # vessels, attended, crew, passed
        v1 = page.locator('.attendance-vessels tr[data-vessel="V1"] td')
        await expect(v1.nth(3)).to_have_text("是")
        await expect(v1.nth(5)).to_have_text("100")
        v3 = page.locator('.attendance-vessels tr[data-vessel="V3"]')
        await expect(v3).to_have_class("absent")
        await expect(page.locator(".attendance-crew tbody tr")).to_have_count(3)
        await expect(summary).to_contain_text("进行中")
        await shot(page, "training-attendance-zh")

        async with page.expect_download() as info:
            await page.click(".csv-download")
        download = await info.value
        assert download.suggested_filename == f"training-{tid}.csv"
        path = await download.path()
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert {r["crew_member"] for r in rows} == {"陈海生", "林水生", "许德华", ""}
        assert {r["vessel_id"] for r in rows if r["attended"] == "no"} == {"V3"}

        await page.click(".back-link")
        row = page.locator(f'.training-row[data-training-id="{tid}"]')
        await expect(row).to_contain_text("海上急救")
        await expect(row).to_contain_text("云澳第1网格")
        await expect(row.locator(".training-status")).to_have_text("进行中")
    finally:
        for v in boats.values():
            v.close()
