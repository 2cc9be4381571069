"""Supervision in a real browser: the authority records a violation from an inspection, issues a rectification
notice (deadline shown), the department answers it from its own view, the authority accepts; then a spot check
drawn with a seed shows how to redraw it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from govdata.context import Ctx
from govdata.supervision import spotchecks
from tests.browser.test_catalog_flow import log_in, log_out
from tests.world import World

pytestmark = pytest.mark.browser


def test_violation_notice_answer_accept_and_spot_check(
    page: Page, live_server: str, ctx: Ctx, world: World
) -> None:
    log_in(page, "admin", "/supervision")
    form = page.locator('form[action="/supervision/violations"]')
    form.locator("select[name=org_id]").select_option(label="四川省民政厅")
    form.locator("textarea[name=summary]").fill("检查发现低保办事指南仍要求群众提交户籍证明")
    form.get_by_role("button", name="记录").click()
    expect(page.locator(".flash")).to_contain_text("已记录违规事项")
    vid = re.search(r"/supervision/violations/(\d+)", page.url).group(1)  # type: ignore[union-attr]
    page.goto("/supervision")
    page.check(f"input[name=violation_ids][value='{vid}']")
    page.fill("textarea[name=requirements]", "取消户籍证明要求，改为通过共享核验")
    page.get_by_role("button", name="下发整改通知").click()
    expect(page.locator(".flash")).to_contain_text("整改期限 2026-12-18")
    notice_path = re.search(r"/supervision/notices/\d+", page.url).group(0)  # type: ignore[union-attr]
    log_out(page)

    log_in(page, "minzheng_officer", "/supervision/notices")
    page.locator(f'a[href="{notice_path}"]').click()
    expect(page.locator(".facts")).to_contain_text("2026-12-18")
    page.fill("textarea[name=answer]", "已修改办事指南，改为部门间共享核验户籍信息")
    page.get_by_role("button", name="提交整改情况").click()
    expect(page.locator(".flash")).to_contain_text("等待数据主管机构审核")
    log_out(page)

    log_in(page, "admin", notice_path)
    page.fill("textarea[name=note]", "已核实，整改到位")
    page.get_by_role("button", name="整改通过").click()
    expect(page.locator(".flash")).to_contain_text("整改已通过")
    expect(page.locator("body")).to_contain_text("已整改")

    page.goto("/supervision/spotchecks")
    page.fill("input[name=title]", "第四季度抽查")
    page.fill("input[name=size]", "2")
    page.fill("input[name=seed]", "42")
    page.get_by_role("button", name="抽取").click()
    expect(page.locator(".flash")).to_contain_text("随机种子 42")
    check = ctx.session.get(spotchecks.SpotCheck, int(page.url.split("/")[-1].split("?")[0]))
    assert check is not None
    expect(page.locator(".facts")).to_contain_text(str(spotchecks.redraw(check)))
