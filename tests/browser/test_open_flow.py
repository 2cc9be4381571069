"""The conditional-open flow in a real browser: apply → partial approval → sign both texts online → download.

A registered organisation (a research institute, identified by its USCC) applies on the portal for 公安's
conditional population dataset; 公安 approves only part of it (no birth date) from its inbox; the institute
reads and signs the security commitment and the data use agreement, and then downloads the CSV, which carries
its source and retrieval date and only the approved items.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from govdata.context import Ctx
from tests.browser.test_catalog_flow import log_in, log_out
from tests.opendata.fixtures import published_listing
from tests.opendata.test_applications import ORG_USCC, organisation
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser
SCREENSHOT = "/tmp/govdata-open-flow.png"
INSTITUTE = "四川人口研究院有限公司"


def log_in_portal(page: Page, username: str, display_name: str, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("header .who")).to_contain_text(display_name)


def test_organisation_applies_is_partly_approved_signs_and_downloads(
    page: Page, live_server: str, ctx: Ctx, world: World
) -> None:
    listing = published_listing(ctx, world, "conditional")
    institute = organisation(ctx)

    # The institute finds the dataset and applies for the name, birth date and address (not the ID number).
    log_in_portal(page, institute.username, INSTITUTE, f"/open/datasets/{listing.id}")
    page.locator("a.apply-link").click()
    expect(page.get_by_role("heading", name="申请使用有条件开放数据")).to_be_visible()
    expect(page.locator("#what-next")).to_contain_text("2026-12-04")
    expect(page.locator("#what-next")).to_contain_text("最多 10 个工作日")
    page.uncheck("#item-id_number")
    page.fill("#purpose", "开展阿坝州人口年龄结构研究")
    page.fill("#security_measures", "专人专机保管，内网隔离，访问留痕，研究结束后删除")
    page.fill("#term_days", "90")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".flash")).to_contain_text("四川省公安厅应于 2026-12-04 前答复")
    match = re.search(r"/open/applications/(\d+)", page.url)
    assert match, page.url
    path = f"/open/applications/{match.group(1)}"
    log_out(page)

    # 公安 answers from its inbox: the name and the address, not the birth date.
    log_in(page, "gongan_officer", "/open/manage/applications")
    expect(page.locator("table.applications")).to_contain_text("还剩 10 个工作日（2026-12-04 截止）")
    page.locator(f'a[href="{path}"]').first.click()
    page.locator("#partial summary").click()
    page.locator("#partial-form input[name=items][value=birth_date]").uncheck()
    page.fill("#partial-note", "研究年龄结构无需精确出生日期以外的信息，出生日期不予提供")
    page.locator("#partial-form").get_by_role("button", name="部分同意").click()
    expect(page.locator(".flash")).to_contain_text("已部分同意")
    expect(page.locator("#approved-items")).to_contain_text("姓名、户籍地址")
    log_out(page)

    # The institute reads both texts, with its USCC and the approved items filled in, and signs each.
    log_in_portal(page, institute.username, INSTITUTE, path)
    commitment = page.locator("#sign-security_commitment")
    expect(commitment.locator("pre.agreement-text")).to_contain_text(f"统一社会信用代码：{ORG_USCC}")
    expect(commitment.locator("pre.agreement-text")).to_contain_text(
        "姓名（脱敏后开放）、户籍地址（脱敏后开放）"
    )
    commitment.get_by_label("我已阅读并同意").check()
    commitment.get_by_role("button", name="签署《数据安全承诺书》").click()
    expect(page.locator(".flash")).to_contain_text("请继续签署另一份文本")
    agreement = page.locator("#sign-data_use")
    expect(agreement.locator("pre.agreement-text")).to_contain_text("不得对数据进行重新识别")
    agreement.get_by_label("我已阅读并同意").check()
    agreement.get_by_role("button", name="签署《数据使用协议》").click()
    expect(page.locator(".flash")).to_contain_text("申请已生效：使用期限至 2027-02-17")
    expect(page.locator("#signed")).to_contain_text("文本完整")
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Then it downloads the CSV: source and retrieval date first, and only the approved items as columns.
    with page.expect_download() as download:
        page.locator("#use a.download-csv").click()
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert "数据来源" in lines[0] and "获取日期：2026-11-20" in lines[0], lines[0]
    assert lines[1].split(",") == ["name", "address"], lines[1]
    assert len(lines) == 2 + 3  # the fixture's three people
    assert all("1980-01-01" not in line for line in lines)
