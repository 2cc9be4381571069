"""The public portal in a real browser: a visitor searches in Chinese, opens a dataset, previews it, logs in
and downloads it; the file names its source and retrieval date and holds only de-identified values."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from govdata.context import Ctx
from tests.browser.test_catalog_flow import log_in
from tests.opendata.fixtures import published_listing
from tests.world import World

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/govdata-portal-flow.png"


def test_visitor_searches_previews_and_downloads(
    page: Page, live_server: str, ctx: Ctx, world: World
) -> None:
    listing = published_listing(ctx, world)

    page.goto("/open")
    expect(page.locator("h1")).to_contain_text("公共数据开放专区")  # the profile names the portal
    page.fill("#q", "户籍 人口")
    page.get_by_role("button", name="检索").click()
    expect(page.locator(".result-count")).to_have_text("1")
    # Facets narrow and show what is chosen.
    page.locator('.facet[data-facet="format"] a', has_text="JSON").click()
    expect(page.locator('.facet[data-facet="format"] a.on')).to_contain_text("JSON")
    expect(page.locator(".result-count")).to_have_text("1")
    page.get_by_role("link", name="户籍人口基本信息（脱敏）").click()

    expect(page.locator("h1")).to_contain_text("户籍人口基本信息（脱敏）")
    preview = page.locator("table.preview")
    expect(preview).to_contain_text("张*")
    expect(preview).not_to_contain_text("李四")
    expect(page.locator(".downloads")).to_contain_text("须实名认证")
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Downloading needs an identity: log in as a registered citizen and come back.
    log_in(page, "citizen", f"/open/datasets/{listing.id}")
    expect(page).to_have_url(f"{live_server}/open/datasets/{listing.id}")
    with page.expect_download() as waiting:
        page.locator("a.download-csv").click()
    download = waiting.value
    assert download.suggested_filename == f"open-{listing.id}-2026-11-20.csv"
    body = Path(download.path()).read_text(encoding="utf-8-sig")
    first, rest = body.split("\n", 1)
    assert (
        first.startswith("# 数据来源：四川省公安厅《户籍人口基本信息（脱敏）》")
        and "获取日期：2026-11-20" in first
    )
    rows = list(csv.DictReader(io.StringIO(rest)))
    assert [r["name"] for r in rows] == ["张*", "李*", "王*"]
    assert all("*" in r["id_number"] for r in rows)
