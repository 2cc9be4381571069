"""The sharing flow in a real browser: request → partial approval → application credential → exchange call.

民政 asks for 公安's conditional population entry, 公安 approves only part of it (no address), 民政 creates an
application credential and copies it from the page; a department system then calls the live exchange API with it
and gets only the granted items, masked.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from govdata.context import Ctx
from tests.browser.test_catalog_flow import log_in, log_out
from tests.sharing.fixtures import PEOPLE, population
from tests.world import World

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/govdata-sharing-flow.png"
PURPOSE = "低保对象身份核查"


def test_request_partial_approval_credential_and_exchange_call(
    page: Page, live_server: str, ctx: Ctx, world: World
) -> None:
    rid = population(ctx, world)  # 公安's conditional 户籍人口基本信息 with three people loaded

    # 民政 finds the entry in the sharing catalog and asks for three items.
    log_in(page, "minzheng_officer", "/sharing")
    expect(page.get_by_role("heading", name="政务数据共享目录")).to_be_visible()
    page.locator(f'a[href="/sharing/request/{rid}"]').click()
    expect(page.get_by_role("heading", name=re.compile("申请共享：户籍人口基本信息"))).to_be_visible()
    expect(page.locator("#next-title")).to_be_visible()
    for item in ("id_number", "name", "address"):
        page.check(f"input[name=items][value={item}]")
    page.fill("#purpose", PURPOSE)
    page.fill("#duty", "《社会救助暂行办法》规定的最低生活保障审核确认")
    page.fill("#duration_days", "30")
    page.select_option("#channel", "api")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".flash")).to_contain_text("等待四川省公安厅答复：应于 2026-12-01 前答复")
    match = re.search(r"/sharing/requests/(\d+)", page.url)
    assert match, page.url
    request_path = f"/sharing/requests/{match.group(1)}"
    log_out(page)

    # 公安 answers from its inbox: it agrees to the ID number and the name, not the address.
    log_in(page, "gongan_officer", "/sharing/requests?tab=inbox")
    page.locator(f'a[href="{request_path}"]').first.click()
    expect(page.locator("#explain")).to_contain_text("2026-12-01")
    page.locator("#partial summary").click()
    expect(page.locator("#pi-address")).to_be_checked()
    page.uncheck("#pi-address")
    expect(page.locator("#mask-id_number")).to_have_value("id_number")  # the item's default masking
    page.fill("#partial-note", "户籍地址与低保审核无关，不予提供")
    page.locator("#partial-form").get_by_role("button", name="部分同意").click()
    expect(page.locator(".flash")).to_contain_text("已部分同意，授权已生效，有效期至 2026-12-19")
    expect(page.locator("#grant-title")).to_be_visible()
    log_out(page)

    # 民政 creates an application credential and copies it from the page, where it is shown once.
    log_in(page, "minzheng_officer", "/sharing/apps")
    page.fill("#name", "低保审核系统")
    page.fill("#rate_per_minute", "60")
    page.get_by_role("button", name="创建凭证").click()
    expect(page.get_by_role("alert")).to_contain_text("只显示这一次")
    credential = page.locator("#credential").inner_text().strip()
    assert credential.startswith("gdx") and "." in credential
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.goto("/sharing/apps")
    expect(page.locator("table.share-apps")).to_contain_text("低保审核系统")
    assert credential not in page.content()  # never shown again

    # The department system calls the exchange: only the granted items come back, the ID number masked.
    person = PEOPLE[0][0]
    resp = httpx.get(
        f"{live_server}/api/v1/exchange/{rid}/records/{person}",
        params={"purpose": PURPOSE},
        headers={"Authorization": f"Bearer {credential}"},
        timeout=15,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["items"] == ["id_number", "name"]
    row = body["rows"][0]
    assert "address" not in row and "birth_date" not in row
    assert row["name"] == "张三"
    assert row["id_number"] != person and "*" in row["id_number"] and row["id_number"].startswith(person[:6])
    other_purpose = httpx.get(
        f"{live_server}/api/v1/exchange/{rid}/records/{person}",
        params={"purpose": "其他用途"},
        headers={"Authorization": f"Bearer {credential}"},
        timeout=15,
    )
    assert other_purpose.status_code == 403
