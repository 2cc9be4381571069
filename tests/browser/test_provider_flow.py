"""A technical service provider in a real browser (SEC-7): the authority records the provider, its contract and
the clearance, opens a staff account; the staff member logs in elsewhere; ending the contract early throws that
session out at once (sessions deleted, not merely refused later)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_catalog_flow import log_in
from tests.http.open_feedback_cases import org_code
from tests.world import World

pytestmark = pytest.mark.browser
STAFF_PASSWORD = "Vendor2026pass"


def test_the_contract_end_logs_the_provider_staff_out(
    page: Page, chromium: Browser, live_server: str, world: World
) -> None:
    log_in(page, "admin", "/providers")
    page.fill("#p-name", "蜀云运维有限公司")
    page.fill("#p-uscc", org_code(42))
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("已登记技术服务单位")
    page.fill("#c-number", "HT-B-1")
    page.fill("#c-scope", "共享交换平台运行维护")
    page.fill("#c-start", "2026-11-01")
    page.fill("#c-end", "2027-03-31")
    page.get_by_role("button", name="登记合同").click()
    expect(page.locator(".flash")).to_contain_text("须先记录安全审查")
    page.fill("#r-on", "2026-11-02")
    page.fill("#r-by", "省网信办")
    page.fill("#r-conf", "2026-11-03")
    page.get_by_role("button", name="记录", exact=True).click()
    page.fill("#a-user", "yw_browser")
    page.fill("#a-name", "王工")
    page.fill("#a-pass", STAFF_PASSWORD)
    page.get_by_role("button", name="开设账号").click()
    expect(page.locator(".flash")).to_contain_text("有效至 2027-03-31")

    other = chromium.new_context(base_url=live_server, locale="zh-CN")
    try:
        staff = other.new_page()
        staff.set_default_timeout(15_000)
        staff.goto("/login?next=/catalog")
        staff.fill("#username", "yw_browser")
        staff.fill("#password", STAFF_PASSWORD)
        staff.get_by_role("button", name="登录").click()
        expect(staff.locator("header .who")).to_contain_text("王工")

        page.fill("#e-reason", "服务单位人员变动，提前解除")
        page.get_by_role("button", name="终止合同").click()
        expect(page.locator(".flash")).to_contain_text("账号已停用")
        expect(page.locator("table")).to_contain_text("已停用")

        staff.goto("/catalog")
        expect(staff).to_have_url(re.compile(r"/login"))
    finally:
        other.close()
