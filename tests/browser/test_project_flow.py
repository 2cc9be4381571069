"""The project flow in a real browser (Debian Chromium): the department registers a project and compiles its
catalog; the authority approves; at acceptance the checklist names the entry whose pool is empty and the
refusal says so; once the pool is loaded the project is accepted."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from govdata.context import Ctx
from govdata.pool.service import load_file
from govdata.supervision import projects
from govdata.supervision.project_models import Project
from tests.browser.test_catalog_flow import flash, log_in, log_out
from tests.http import helpers as h
from tests.world import World

pytestmark = pytest.mark.browser


def test_register_compile_approve_refuse_then_accept(page: Page, ctx: Ctx, world: World) -> None:
    entry = h.published(ctx, world, name="居住证信息")
    ctx.session.commit()
    log_in(page, "gongan_officer", "/projects")
    page.get_by_role("link", name="登记新项目").click()
    page.fill("#name", "居住证信息管理系统建设项目")
    page.fill("#code", "SCGA-2026-09")
    page.fill("#budget_wan", "abc")
    page.fill("#start_date", "2026-01-01")
    page.fill("#end_date", "2026-12-31")
    page.fill("#manager", "王建国")
    page.fill("#description", "建设居住证申领和签注系统")
    page.fill("#systems", "居住证管理系统")
    page.get_by_role("button", name="登记项目").click()
    expect(page.locator(".error-box")).to_contain_text("项目预算应为数字")
    page.fill("#budget_wan", "320.5")
    page.get_by_role("button", name="登记项目").click()
    expect(page.locator(".flash")).to_contain_text("已登记")
    page.select_option("#resource_id", str(entry.id))
    page.get_by_role("button", name="编入项目目录").click()
    expect(page.locator(".flash")).to_contain_text(entry.code)
    page.get_by_role("button", name="报送审批").click()
    assert "已报送审批" in flash(page)
    log_out(page)

    log_in(page, "reviewer", "/projects")
    page.get_by_role("link", name="居住证信息管理系统建设项目").click()
    page.get_by_role("button", name="审批通过").click()
    assert "项目已审批通过" in flash(page)
    project = ctx.session.query(Project).filter_by(code="SCGA-2026-09").one()
    officer = world.actor("gongan_officer")
    projects.department_move(ctx, officer, project.id, "start")
    projects.department_move(ctx, officer, project.id, "request_acceptance")
    ctx.session.commit()
    page.reload()
    expect(page.locator("table").first).to_contain_text("尚未建立资源池")
    page.get_by_role("button", name="验收通过").click()
    expect(page.locator(".error-box")).to_contain_text("不能通过验收")
    expect(page.locator(".error-box")).to_contain_text(entry.code)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pop.csv"
        path.write_text(h.POOL_CSV, encoding="utf-8")
        load_file(ctx, officer, entry.id, path)
    ctx.session.commit()
    page.goto(f"/projects/{project.id}")
    expect(page.get_by_text("验收条件已满足")).to_be_visible()
    page.fill("#comment", "数据已汇聚，同意验收")
    page.get_by_role("button", name="验收通过").click()
    assert "项目已通过验收" in flash(page)
    expect(page.locator("h1")).to_contain_text("已验收")
