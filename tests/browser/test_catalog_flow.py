"""The catalog's main flow in a real browser: compile → submit → return → fix → resubmit → approve → published."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.world import PASSWORD

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/govdata-catalog-flow.png"


def log_in(page: Page, username: str, next_path: str = "/") -> None:
    page.goto(f"/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_contain_text(username)


def log_out(page: Page) -> None:
    page.locator("header .who").get_by_role("button", name="退出").click()
    expect(page.get_by_role("status")).to_contain_text("已退出登录")


def flash(page: Page) -> str:
    return page.locator(".flash").inner_text()


def fill_item(page: Page, row: int, name: str, field: str, data_type: str, length: str, **extra: str) -> None:
    page.fill(f"[name=item-{row}-name]", name)
    page.fill(f"[name=item-{row}-field_name]", field)
    page.select_option(f"[name=item-{row}-data_type]", data_type)
    page.fill(f"[name=item-{row}-length]", length)
    for key, value in extra.items():
        page.select_option(f"[name=item-{row}-{key}]", value)


def test_compile_review_return_fix_and_publish(page: Page) -> None:
    # A department officer compiles an entry with two data items and submits it.
    log_in(page, "gongan_officer", "/catalog/new")
    expect(page.get_by_role("heading", name="编制新的目录条目")).to_be_visible()
    page.fill("#name", "机动车驾驶人信息")
    page.fill("#summary", "本省机动车驾驶人的姓名、公民身份号码、准驾车型等信息")
    page.fill("#domain", "公共安全")
    page.fill("#format_type", "PostgreSQL")
    page.select_option("#update_cycle", "daily")
    page.select_option("#share_type", "conditional")
    page.fill("#share_conditions", "用于政务服务事项办理")
    page.fill("#share_basis", "《中华人民共和国道路交通安全法》第十九条")
    page.select_option("#open_type", "none")
    page.fill("#open_basis", "《中华人民共和国个人信息保护法》第二十八条")
    page.select_option("#grade", "3")
    fill_item(page, 0, "公民身份号码", "id_number", "string", "18", identifier_kind="person", sensitivity="3")
    fill_item(page, 1, "准驾车型", "licence_class", "string", "10", sensitivity="2")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".flash")).to_have_text("已保存草稿")
    match = re.search(r"/catalog/(\d+)", page.url)
    assert match, page.url
    entry = f"/catalog/{match.group(1)}"
    expect(page.locator("table.data-items tbody tr")).to_have_count(2)
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".flash")).to_have_text("已提交审核，主管部门应于 2026-11-27 前完成审核")
    log_out(page)

    # The reviewer finds it in the queue and returns it with a comment.
    log_in(page, "reviewer", "/review")
    page.get_by_role("link", name="机动车驾驶人信息").first.click()
    expect(page.get_by_role("heading", name=re.compile("审核：机动车驾驶人信息"))).to_be_visible()
    page.fill("#comment", "共享条件过宽，请写明可使用的部门范围")
    page.get_by_role("button", name="退回修改").click()
    expect(page.locator(".flash")).to_have_text("已退回，意见已告知部门")
    log_out(page)

    # The officer sees the comment, fixes the entry and resubmits.
    log_in(page, "gongan_officer", entry)
    expect(page.get_by_role("alert")).to_contain_text("共享条件过宽，请写明可使用的部门范围")
    page.get_by_role("link", name="编辑", exact=True).click()
    expect(page.locator("[name=item-1-name]")).to_have_value("准驾车型")
    page.fill("#share_conditions", "仅限公安、交通运输部门办理驾驶证相关业务时使用")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator(".flash")).to_have_text("已保存修改，请重新提交审核")
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator(".flash")).to_contain_text("已提交审核")
    log_out(page)

    # The reviewer approves; with this profile approval publishes.
    log_in(page, "reviewer", "/review")
    page.get_by_role("link", name="机动车驾驶人信息").first.click()
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".flash")).to_have_text("审核通过并已发布到本级目录")

    page.goto(entry)
    expect(page.locator("h1 .badge")).to_have_text("已发布")
    expect(page.locator("dl.meta")).to_contain_text("仅限公安、交通运输部门办理驾驶证相关业务时使用")
    page.screenshot(path=SCREENSHOT, full_page=True)
