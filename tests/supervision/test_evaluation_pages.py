"""The evaluation and report pages end to end through the app: run, read, drill down, write, print, PDF."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from govdata.context import Ctx
from tests.http.test_catalog_pages import CSRF, login
from tests.supervision.evaluation_fixtures import records
from tests.world import World


def _token(client: TestClient) -> str:
    found = CSRF.search(client.get("/tokens").text)
    assert found
    return found.group(1)


def test_run_read_and_drill_down(client: TestClient, ctx: Ctx, world: World) -> None:
    rec = records(ctx, world)
    login(client, "admin")
    page = client.get("/supervision/evaluation")
    assert "计算 2026 年度评估" in page.text
    resp = client.post("/supervision/evaluation/run", data={"year": "2026", "csrf_token": _token(client)})
    assert resp.status_code == 200 and "年度截至 11 月 20 日" in resp.text and "草稿" in resp.text
    assert "<svg" in resp.text and "综合得分" in resp.text
    dept = re.search(r'href="(/supervision/evaluation/\d+\?org=\d+)">四川省公安厅', resp.text)
    assert dept
    detail = client.get(dept.group(1))
    assert "归集数据有效率" in detail.text
    score = re.search(r'href="(/supervision/evaluation/scores/\d+)">归集数据有效率', detail.text)
    assert score
    drill = client.get(score.group(1))
    assert "达标 1 / 总数 2" in drill.text and f'href="/batches/{rec.batch_id}"' in drill.text

    bad = client.post("/supervision/evaluation/run", data={"year": "abc", "csrf_token": _token(client)})
    assert bad.status_code == 422 and "四位年份" in bad.text
    future = client.post("/supervision/evaluation/run", data={"year": "2030", "csrf_token": _token(client)})
    assert future.status_code == 422 and "尚未开始的年度" in future.text

    run_id = re.search(r'action="/supervision/evaluation/(\d+)/publish"', resp.text)
    assert run_id
    published = client.post(
        f"/supervision/evaluation/{run_id.group(1)}/publish",
        data={"public": "1", "csrf_token": _token(client)},
    )
    assert "已发布，并在开放平台公开" in published.text

    client.cookies.clear()
    portal = client.get("/open/evaluations")  # anonymous: the results made public
    assert portal.status_code == 200 and "四川省大数据中心" in portal.text and "四川省公安厅" in portal.text
    assert "/supervision/evaluation/scores/" not in portal.text
    login(client, "gongan_officer")
    own = client.get("/supervision/evaluation?year=2026")
    assert "四川省公安厅" in own.text and "四川省民政厅" not in own.text


def test_write_submit_print_and_pdf(client: TestClient, ctx: Ctx, world: World) -> None:
    records(ctx, world)
    login(client, "gongan_officer")
    page = client.get("/supervision/reports")
    assert "2026 年 1 月 1 日至 1 月 10 日" in page.text and "逾期提交" in page.text
    form = {
        "kind": "department",
        "year": "2026",
        "section_summary": "全年目录编制完成。",
        "csrf_token": _token(client),
    }
    early = client.post("/supervision/reports", data={**form, "action": "submit"})
    assert "草稿已保存" in early.text and "2027 年 1 月 1 日至 1 月 10 日，尚未开始" in early.text
    assert "全年目录编制完成。" in early.text  # kept in the form
    hostile = client.post("/supervision/reports", data={**form, "section_summary": "<script>x</script>"})
    assert hostile.status_code in (400, 422) and "HTML" in hostile.text
    late = client.post("/supervision/reports", data={**form, "year": "2025", "action": "submit"})
    assert "已提交" in late.text and "逾期提交" in late.text
    report_id = re.search(r'href="/supervision/reports/(\d+)">查看报告', late.text)
    assert report_id
    html = client.get(f"/supervision/reports/{report_id.group(1)}")
    assert "<svg" in html.text and "本部门各项指标得分" in html.text and "全年目录编制完成。" in html.text
    pdf = client.get(f"/supervision/reports/{report_id.group(1)}.pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_the_authority_report_page_gathers_the_level(client: TestClient, ctx: Ctx, world: World) -> None:
    records(ctx, world)
    login(client, "admin")
    client.post("/supervision/evaluation/run", data={"year": "2026", "csrf_token": _token(client)})
    form = {
        "kind": "authority",
        "year": "2026",
        "section_summary": "全省情况。",
        "csrf_token": _token(client),
    }
    saved = client.post("/supervision/reports", data={**form, "action": "save"})
    assert "草稿已保存" in saved.text and "2027 年 1 月 21 日至 1 月 31 日" in saved.text
    found = re.search(r'href="/supervision/reports/(\d+)">预览草稿', saved.text)
    assert found
    html = client.get(f"/supervision/reports/{found.group(1)}")
    assert "四川省公安厅" in html.text and "未提交" in html.text and "各部门综合得分" in html.text
    assert "<svg" in html.text
