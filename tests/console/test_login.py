"""Logging in and out of the console, in Chinese by default."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, Console, PageErrors, shot
from tests.console.helpers import login
from tests.test_ingest import wait_for


async def test_a_wrong_password_is_refused_in_chinese_then_the_right_one_opens_the_console(
    page: Page, console: Console, page_errors: PageErrors
) -> None:
    page_errors.allow(r"status of 401")  # the browser logs the refused login request itself
    await page.goto(f"{console.base}/")
    assert page.url.endswith("/console/")
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await expect(page.locator("button[type=submit]")).to_have_text("登录")
    await page.fill("input[name=username]", "admin")
    await page.fill("input[name=password]", "not-the-password")
    await page.click("button[type=submit]")
    await expect(page.locator(".login-error")).to_have_text("用户名或密码错误")
    await shot(page, "login-error-zh")

    await page.fill("input[name=password]", ADMIN_PW)
    await page.click("button[type=submit]")
    await expect(page.locator(".topbar")).to_be_visible()
    await expect(page.locator(".nav-link.active")).to_have_text("船队地图")
    await expect(page.locator(".user")).to_contain_text("admin")
    token = await page.evaluate("() => JSON.parse(sessionStorage.getItem('sealink.session')).token")
    assert token

    # A reload keeps the session (sessionStorage); logging out ends it.
    await page.reload()
    await expect(page.locator(".topbar")).to_be_visible()
    await page.click("button.logout")
    await expect(page.locator("input[name=username]")).to_be_visible()
    assert await page.evaluate("() => sessionStorage.getItem('sealink.session')") is None
    # The hub ended the token too: a copy of it is worth nothing now.
    async with aiohttp.ClientSession() as s:

        async def refused() -> bool:
            me = f"{console.base}/api/v1/auth/me"
            r = await s.get(me, headers={"Authorization": f"Bearer {token}"})
            return r.status == 401

        await wait_for(refused)


async def test_repeated_wrong_passwords_say_how_long_to_wait(
    page: Page, console: Console, page_errors: PageErrors
) -> None:
    page_errors.allow(r"status of 401")
    page_errors.allow(r"status of 429")
    await page.goto(f"{console.base}/")
    await page.fill("input[name=username]", "admin")
    for _ in range(5):
        await page.fill("input[name=password]", "not-the-password")
        await page.click("button[type=submit]")
        await expect(page.locator(".login-error")).to_have_text("用户名或密码错误")
        await page.evaluate("() => { document.querySelector('.login-error').textContent = ''; }")
    await page.fill("input[name=password]", ADMIN_PW)
    await page.click("button[type=submit]")
    await expect(page.locator(".login-error")).to_have_text("本机登录失败次数过多，请 1 秒后再试")
    console.clock.advance(timedelta(seconds=1))
    await page.click("button[type=submit]")
    await expect(page.locator(".topbar")).to_be_visible()


async def test_an_expired_session_returns_to_the_login_screen_with_a_reason(
    page: Page, console: Console, page_errors: PageErrors
) -> None:
    page_errors.allow(r"status of 401")
    await login(page, console.base, "admin", ADMIN_PW)
    console.clock.advance(timedelta(hours=12, seconds=1))  # the token's lifetime
    # Opening a vessel reads its history from the API. (The hub may also have asked the page to
    # re-read everything meanwhile: either way the first refused request ends the session.)
    await page.evaluate("() => { location.hash = '#/vessel/V1'; }")
    await expect(page.locator(".login-error")).to_have_text("登录已过期，请重新登录")
    assert await page.evaluate("() => sessionStorage.getItem('sealink.session')") is None
