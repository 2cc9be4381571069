"""The evaluation in a real browser: the authority computes the year's evaluation, opens a department's scores
and drills into one indicator down to the records behind it, then follows a record's link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from govdata.context import Ctx
from tests.browser.test_catalog_flow import flash, log_in
from tests.supervision.evaluation_fixtures import records
from tests.world import World

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/govdata-evaluation-flow.png"
RESULTS_SCREENSHOT = "/tmp/govdata-evaluation-results.png"


def test_authority_drills_into_a_score(page: Page, ctx: Ctx, world: World) -> None:
    rec = records(ctx, world)
    log_in(page, "admin", "/supervision/evaluation")
    page.get_by_role("link", name="考核评估").first.click()
    expect(page.get_by_role("heading", name="政务数据资源管理考核评估")).to_be_visible()
    page.get_by_role("button", name="计算 2026 年度评估").click()
    assert "年度截至 11 月 20 日" in flash(page)
    table = page.locator("table.evaluation-results")
    expect(table).to_contain_text("四川省公安厅")
    expect(page.locator("svg.chart").first).to_be_visible()
    page.screenshot(path=RESULTS_SCREENSHOT, full_page=True)

    table.get_by_role("link", name="四川省公安厅").click()
    expect(page.get_by_role("heading", name="四川省公安厅")).to_be_visible()
    page.get_by_role("link", name="归集数据有效率").click()
    expect(page.get_by_role("heading", name="归集数据有效率")).to_be_visible()
    expect(page.locator(".calc")).to_contain_text("达标 1 / 总数 2")
    records_table = page.locator("table.records")
    expect(records_table).to_contain_text("读取 2 行，拒收 1 行")
    page.screenshot(path=SCREENSHOT, full_page=True)
    records_table.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(f"/batches/{rec.batch_id}$"))

    # back on the results, the authority publishes; the department then sees its own score only
    page.goto("/supervision/evaluation?year=2026")
    page.get_by_role("button", name="发布评估结果").click()
    assert "已发布" in flash(page)
