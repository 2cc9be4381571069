"""The data subject's flow in a real browser (QUAL-1, QUAL-4): the citizen sees who accessed their data, files a
correction from their record, 公安's officer answers it, and the citizen sees the result and the dates."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from govdata.context import Ctx
from tests.browser.test_catalog_flow import log_in, log_out
from tests.http.correction_cases import CITIZEN_ID, citizen_pool
from tests.sharing.fixtures import credential, granted
from tests.world import World

pytestmark = pytest.mark.browser
PURPOSE = "低保对象身份核查"


def test_citizen_sees_accesses_files_a_correction_and_sees_the_answer(
    page: Page, live_server: str, ctx: Ctx, world: World
) -> None:
    rid, _row = citizen_pool(ctx, world)
    granted(ctx, world, rid)
    key = credential(ctx, world)
    resp = httpx.get(f"{live_server}/api/v1/exchange/{rid}/records/{CITIZEN_ID}", params={"purpose": PURPOSE},
                     headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert resp.status_code == 200, resp.text

    log_in(page, "citizen", "/me/data")
    expect(page.get_by_role("heading", name="我的数据", exact=True)).to_be_visible()
    accesses = page.locator("table.accesses")
    expect(accesses).to_contain_text(PURPOSE)
    expect(accesses).to_contain_text("民政")
    page.get_by_role("link", name="申请更正").first.click()
    page.select_option("#field_name", "name")
    page.fill("#proposed_value", "赵陆")
    page.fill("#problem", "姓名登记有误")
    page.check("input[name=proof_shown]")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".flash")).to_contain_text("应于 2026-11-27 前答复")
    request_path = page.url.split("?")[0].removeprefix(live_server)
    log_out(page)

    log_in(page, "gongan_officer", "/corrections")
    page.locator(f'a[href="{request_path}"]').first.click()
    expect(page.locator("#explain")).to_contain_text("2026-11-27")
    page.check("input[name=result][value=corrected]")
    page.fill("#answer", "核对户籍档案，姓名应为赵陆")
    page.locator("#answer-form").get_by_role("button", name="答复").click()
    expect(page.locator(".flash")).to_contain_text("已更正")
    log_out(page)

    log_in(page, "citizen", "/me/data")
    expect(page.locator(".record").first).to_contain_text("赵陆")
    expect(page.locator("#requests ~ table")).to_contain_text("更正为“赵陆”")
    page.locator(f'a[href="{request_path}"]').click()
    expect(page.locator("#explain")).to_contain_text("已更正")
