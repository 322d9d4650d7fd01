"""Issue 13.1 in the console: every kind of alert is worked to the end by named people, live on
every open console; a filtered list is acknowledged in one action."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Locator, Page, Route, expect

from tests.console.conftest import ADMIN_PW, COORD_PW, Console, PageErrors, shot
from tests.console.helpers import CJK_OUTSIDE_DATA, add_coordinator, login, sounds, zone_alerts

COORD2_PW = "coord-pass-2"


@pytest.fixture
async def second(
    browser: Browser, console: Console, page_errors: PageErrors
) -> AsyncIterator[Page]:
    """Another duty officer's console, on another PC: the admin's."""
    context = await browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="UTC"
    )
    p = await context.new_page()
    p.set_default_timeout(10_000)
    p.on("pageerror", lambda exc: page_errors.seen.append(f"exception (2nd console): {exc}"))
    yield p
    await context.close()


async def _open_alert(page: Page, vid: str) -> None:
    await page.click('.nav-link[data-route="alerts"]')
    hull = page.locator(".vessel-link", has_text=f"粤南澳渔0000{vid[1:]}")
    await page.locator(".alert-row").filter(has=hull).locator(".alert-link").click()
    await expect(page.locator(".alert-page .alert-state")).to_be_visible()


async def test_a_zone_alert_is_silenced_assigned_commented_acknowledged_and_resolved_live(
    page: Page, second: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await add_coordinator(hub, clock, "coord2", COORD2_PW, ["G01"])
    await login(page, console.base, "coord1", COORD_PW)  # G01's duty officer
    await login(second, console.base, "admin", ADMIN_PW)  # the county's admin, elsewhere
    await zone_alerts(hub, clock, "V1")

    banner = page.locator(".banner-item")
    await expect(banner).to_have_count(1)
    await expect(banner).to_contain_text("进入管控海域")
    await expect(banner.locator(".banner-unacked")).to_have_text("待确认")
    assert (await sounds(page))["alert"] == 1  # a chime: attention, not a distress alarm
    await expect(second.locator(".banner-item")).to_have_count(1)

    await _open_alert(page, "V1")
    state = page.locator(".alert-page .alert-state")
    await expect(state).to_have_text("待确认")
    await expect(page.locator(".alert-page .alert-level")).to_contain_text("值班员")

    # Silence: the sound only. Still waiting for acknowledgement, here and on the admin's console.
    await page.select_option(".alert-page select[name=silence_minutes]", "30")
    await page.click(".alert-page .alert-silence")
    await expect(page.locator(".alert-page .alert-sound")).to_contain_text("已静音至")
    await expect(page.locator(".alert-page .alert-sound")).to_contain_text("coord1")
    await expect(state).to_have_text("待确认")
    await expect(second.locator(".banner-item .banner-silenced")).to_contain_text("coord1")
    await expect(second.locator(".banner-item .banner-unacked")).to_have_text("待确认")

    # Assign to a colleague of the grid (offered by name), then comment.
    await page.select_option(".alert-page select[name=assignee]", "coord2")
    await page.click(".alert-page .alert-assign")
    await expect(page.locator(".alert-page .alert-assigned")).to_have_text("coord2")
    await page.fill(".alert-page textarea[name=comment]", "已电话联系船长，正在驶离")
    await page.click(".alert-page .alert-comment")
    await expect(page.locator(".trail-entry[data-action=comment]")).to_contain_text("正在驶离")

    # The admin's console follows: its own page of the alert shows who did what.
    await second.click(".banner-item .banner-view")
    await expect(second.locator(".alert-page .alert-assigned")).to_have_text("coord2")
    await expect(second.locator(".trail-entry[data-action=silenced]")).to_contain_text("coord1")
    await expect(second.locator(".trail-entry[data-action=assigned]")).to_contain_text("coord2")
    await expect(second.locator(".trail-entry[data-action=comment]")).to_contain_text("正在驶离")
    await shot(second, "duty-alert-page-second-console-zh")

    # Acknowledged by a named person: the banner goes on both consoles, both name him.
    await page.fill(".alert-page input[name=ack_note]", "船已掉头")
    await page.click(".alert-page .alert-ack")
    await expect(state).to_contain_text("已确认（coord1 ")
    await expect(second.locator(".alert-page .alert-state")).to_contain_text("已确认（coord1 ")
    await expect(page.locator(".banner-item")).to_have_count(0)
    await expect(second.locator(".banner-item")).to_have_count(0)
    await shot(page, "duty-alert-page-zh")

    # Words, not codes, in English too.
    await page.click('.lang-switch button[data-lang="en"]')
    await expect(state).to_contain_text("acknowledged by coord1 at ")
    await expect(page.locator(".trail-entry[data-action=silenced]")).to_contain_text(
        "silenced until"
    )
    assert await page.evaluate(CJK_OUTSIDE_DATA) == []
    await shot(page, "duty-alert-page-en")
    await page.click('.lang-switch button[data-lang="zh-CN"]')

    # Resolved with an outcome: gone from the open list on both consoles.
    await page.select_option(".alert-page select[name=outcome]", "other")
    await page.fill(".alert-page input[name=resolve_note]", "已离开保护区")
    await page.click(".alert-page .alert-resolve")
    await expect(state).to_have_text("已结案：其他")
    await expect(second.locator(".alert-page .alert-state")).to_have_text("已结案：其他")
    await second.click('.nav-link[data-route="alerts"]')
    await expect(second.locator(".alerts-body .empty")).to_have_text("没有告警")
    # The history says what became of it, in words (not "未处理").
    await second.click('.tab[data-view="all"]')
    await expect(second.locator(".alert-row .alert-state")).to_have_text("已结案：其他")


async def test_a_late_answer_neither_undoes_what_came_after_it_nor_wipes_what_is_being_typed(
    page: Page, console: Console
) -> None:
    """A busy hub or network may answer an action after the live event's own read of the alert,
    and after the next action: the older answer must not take the newer comment off the trail,
    nor empty a field the officer is typing into (it did: an assignment's late answer redrew
    the page with every field empty, and the comment typed meanwhile was refused as empty)."""
    hub, clock = console.hub, console.clock
    await add_coordinator(hub, clock, "coord2", COORD2_PW, ["G01"])
    await login(page, console.base, "coord1", COORD_PW)
    await zone_alerts(hub, clock, "V1")
    await _open_alert(page, "V1")

    release = asyncio.Event()

    async def answer_late(route: Route) -> None:
        response = await route.fetch()  # the hub has done it: the live event goes out now
        await release.wait()
        await route.fulfill(response=response)

    await page.route("**/api/v1/alerts/*/assign", answer_late)
    await page.select_option(".alert-page select[name=assignee]", "coord2")
    await page.click(".alert-page .alert-assign")
    # The live event's read shows the assignment while its own answer is held.
    await expect(page.locator(".alert-page .alert-assigned")).to_have_text("coord2")
    await page.fill(".alert-page textarea[name=comment]", "已电话联系船长")
    await page.click(".alert-page .alert-comment")
    await expect(page.locator(".trail-entry[data-action=comment]")).to_contain_text(
        "已电话联系船长"
    )
    await expect(page.locator(".alert-page textarea[name=comment]")).to_have_value("")
    await page.fill(".alert-page input[name=ack_note]", "船已掉头")

    # The assignment's answer comes now, older than everything above; the page redraws for it.
    await page.evaluate("document.querySelector('.alert-page .alert-actions').dataset.old = '1'")
    async with page.expect_request_finished(lambda r: r.url.endswith("/assign")):
        release.set()
    await page.wait_for_function(
        "!document.querySelector('.alert-page .alert-actions')?.dataset.old"
    )
    # As that redraw left it (a later read would mend a wrong page, and hide the fault).
    drawn = await page.evaluate(
        """() => ({
            comments: [...document.querySelectorAll('.trail-entry[data-action=comment]')]
                .map((e) => e.textContent),
            note: document.querySelector('.alert-page input[name=ack_note]').value,
        })"""
    )
    assert len(drawn["comments"]) == 1 and "已电话联系船长" in drawn["comments"][0], drawn
    assert drawn["note"] == "船已掉头", drawn
    await page.unroute("**/api/v1/alerts/*/assign")


async def _comment_from_the_admins_console(second: Page, text: str) -> None:
    """News for the first console: the admin comments on the same alert from elsewhere."""
    await second.click(".banner-item .banner-view")
    await second.fill(".alert-page textarea[name=comment]", text)
    await second.click(".alert-page .alert-comment")
    await expect(second.locator(".trail-entry[data-action=comment]")).to_contain_text(text)


async def _mark_drawing(page: Page) -> None:
    await page.evaluate("document.querySelector('.alert-page .alert-actions').dataset.old = '1'")


_REDRAWN_WITH = """(text) => !document.querySelector('.alert-page .alert-actions').dataset.old
    && [...document.querySelectorAll('.trail-entry[data-action=comment]')]
        .some((e) => e.textContent.includes(text))"""


async def _typing_a_comment(page: Page, second: Page, console: Console, text: str) -> Locator:
    """coord1 on the page of V1's zone alert, typing a comment; the admin logged in elsewhere."""
    await login(page, console.base, "coord1", COORD_PW)
    await login(second, console.base, "admin", ADMIN_PW)
    await zone_alerts(console.hub, console.clock, "V1")
    await _open_alert(page, "V1")
    comment = page.locator(".alert-page textarea[name=comment]")
    await comment.click()
    await page.keyboard.type(text)
    return comment


async def test_a_live_redraw_leaves_the_officer_typing_where_they_were(
    page: Page, second: Page, console: Console
) -> None:
    """Another console's action redraws the alert page while the officer is in mid-sentence: the
    rest of the sentence goes into the comment, at the caret (it went nowhere: the redraw took the
    keyboard away with the old field; under load, a whole typed comment was lost that way)."""
    comment = await _typing_a_comment(page, second, console, "已联系船长")
    for _ in range(4):
        await page.keyboard.press("ArrowLeft")  # the caret after 已: "电话" is missing
    await _mark_drawing(page)

    await _comment_from_the_admins_console(second, "港监已知悉")
    await page.wait_for_function(_REDRAWN_WITH, arg="港监已知悉")

    await page.keyboard.type("电话")
    await expect(comment).to_have_value("已电话联系船长")
    await expect(comment).to_be_focused()


async def test_a_word_being_composed_in_pinyin_is_not_cut_off_by_a_live_redraw(
    page: Page, second: Page, console: Console
) -> None:
    """Chinese is typed through an input method: pinyin first, the characters chosen after. A
    redraw in between would replace the field and lose the word being composed; the redraw waits
    for the word to be chosen, then comes."""
    comment = await _typing_a_comment(page, second, console, "已联系船长，")
    ime = await page.context.new_cdp_session(page)
    await ime.send(
        "Input.imeSetComposition", {"text": "zheng", "selectionStart": 5, "selectionEnd": 5}
    )
    await _mark_drawing(page)

    async def still_typing() -> None:
        # Keystrokes of the word now and then: a composition idle for 10 s lets the news through
        # (the next test), and the other console's part may take that long on a busy machine.
        for n in itertools.count():
            await asyncio.sleep(2)
            pinyin = "zhen" if n % 2 else "zheng"
            await ime.send(
                "Input.imeSetComposition",
                {"text": pinyin, "selectionStart": len(pinyin), "selectionEnd": len(pinyin)},
            )

    typing = asyncio.create_task(still_typing(), name="test-still-typing")
    try:
        async with page.expect_request_finished(
            lambda r: r.method == "GET" and r.url.endswith("/api/v1/alerts/1")
        ):
            await _comment_from_the_admins_console(second, "港监已知悉")
        # Let the page take the read in (it would redraw now, were it not waiting for the word).
        await page.evaluate("() => new Promise((done) => setTimeout(done, 100))")
    finally:
        typing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await typing

    await ime.send("Input.insertText", {"text": "正在"})  # the characters chosen: composition ends
    await page.wait_for_function(_REDRAWN_WITH, arg="港监已知悉")
    await expect(comment).to_have_value("已联系船长，正在")
    await page.keyboard.type("驶离")
    await expect(comment).to_have_value("已联系船长，正在驶离")


async def test_a_composition_whose_end_never_comes_holds_the_news_back_for_ten_seconds_only(
    page: Page, second: Page, console: Console
) -> None:
    """A duty room's page that stopped following the news would be worse than a word to type
    again: after ten seconds without a keystroke of the composition, the redraw comes."""
    await page.clock.install()
    comment = await _typing_a_comment(page, second, console, "已联系船长，")
    ime = await page.context.new_cdp_session(page)
    await ime.send(
        "Input.imeSetComposition", {"text": "zh", "selectionStart": 2, "selectionEnd": 2}
    )
    await _mark_drawing(page)
    async with page.expect_request_finished(
        lambda r: r.method == "GET" and r.url.endswith("/api/v1/alerts/1")
    ):
        await _comment_from_the_admins_console(second, "港监已知悉")
    # (That it waits while the word is composed: the test above.)
    await page.clock.run_for(10_500)
    await page.wait_for_function(_REDRAWN_WITH, arg="港监已知悉")
    await expect(comment).to_be_focused()


async def test_a_filtered_list_of_alerts_is_acknowledged_in_one_action(
    page: Page, console: Console
) -> None:
    hub, clock = console.hub, console.clock
    await login(page, console.base, "admin", ADMIN_PW)
    await zone_alerts(hub, clock, "V1", "V2", "V4")  # V1, V2 in grid G01; V4 in G02
    await page.click('.nav-link[data-route="alerts"]')
    rows = page.locator(".alert-row")
    await expect(rows).to_have_count(3)

    await page.select_option(".alert-filters select[name=grid]", "G01")
    await expect(rows).to_have_count(2)
    await page.check(".bulk-bar .pick-all")
    ack = page.locator(".bulk-bar .bulk-ack")
    await expect(ack).to_have_text("以 admin 名义确认所选 2 条")
    await page.fill(".bulk-bar input[name=bulk_note]", "已广播提醒驶离")
    await shot(page, "duty-bulk-ack-zh")
    await ack.click()
    await expect(page.locator(".form-status.ok")).to_contain_text("已确认 2 条")
    await expect(rows.locator(".alert-state")).to_contain_text(["已确认（admin ", "已确认（admin "])

    # The one outside the filter still waits.
    await page.select_option(".alert-filters select[name=grid]", "")
    waiting = page.locator('.alert-row[data-state="raised"]')
    await expect(waiting).to_have_count(1)
    await expect(waiting.locator(".vessel-link")).to_have_text("粤南澳渔00004")
    await expect(page.locator(".banner-item")).to_have_count(1)
