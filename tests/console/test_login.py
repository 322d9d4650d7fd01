"""Logging in and out of the console, in Chinese by default."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import Page, expect

from tests.console.conftest import ADMIN_PW, Console, PageErrors, shot
from tests.console.helpers import login


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
