"""Annual reports (SUP-3, WZ44): pre-filled figures, the submission window, late marking, HTML and PDF."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader

from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.supervision import evaluation, reports
from govdata.supervision.pdf import render_pdf
from govdata.supervision.report_models import ReportKind, ReportState
from tests.supervision.evaluation_fixtures import records
from tests.world import World

DEPT = ReportKind.DEPARTMENT
TEXT = {"summary": "全年完成目录编制和数据归集。", "plans": "明年扩大共享范围。"}


def _at(ctx: Ctx, day: dt.date) -> Ctx:
    return Ctx(session=ctx.session, clock=FixedClock(dt.datetime.combine(day, dt.time(10), CHINA_TZ)))


def test_a_draft_is_prefilled_from_the_records(ctx: Ctx, world: World) -> None:
    records(ctx, world)
    report = reports.save(ctx, world.actor("gongan_officer"), DEPT, 2026, TEXT)
    figures = json.loads(report.figures)
    assert figures["counts"]["已发布目录条目（截至年末）"] == 1
    by_key = {i["key"]: i for i in figures["indicators"]}
    assert (by_key["load_validity"]["numerator"], by_key["load_validity"]["denominator"]) == (1, 2)
    assert report.state == ReportState.DRAFT
    assert (report.window_start, report.window_end) == (dt.date(2027, 1, 1), dt.date(2027, 1, 10))
    # unknown sections and overlong text are refused, nothing written
    with pytest.raises(InvalidInput, match="未知的报告章节"):
        reports.save(ctx, world.actor("gongan_officer"), DEPT, 2026, {"bonus": "x"})
    with pytest.raises(InvalidInput, match="超过 8000 字"):
        reports.save(ctx, world.actor("gongan_officer"), DEPT, 2026, {"summary": "字" * 8001})


def test_the_window_decides_when_and_whether_late(ctx: Ctx, world: World) -> None:
    officer = world.actor("gongan_officer")
    # the running year's report: its window has not opened, and the message gives the window's dates
    with pytest.raises(InvalidInput, match="2027 年 1 月 1 日至 1 月 10 日，尚未开始"):
        reports.submit(ctx, officer, DEPT, 2026, TEXT)
    # last year's report, in its window: on time
    on_time = reports.submit(_at(ctx, dt.date(2026, 1, 8)), officer, DEPT, 2025, TEXT)
    assert on_time.state == ReportState.SUBMITTED and not on_time.late
    with pytest.raises(InvalidTransition, match="已于 2026-01-08 提交"):
        reports.save(ctx, officer, DEPT, 2025, TEXT)
    # after the window: accepted, marked late
    late = reports.submit(ctx, world.actor("minzheng_officer"), DEPT, 2025, TEXT)
    assert late.late
    with pytest.raises(InvalidInput, match="请填写“一、年度工作总体情况”"):
        reports.submit(ctx, world.actor("minzheng_officer"), DEPT, 2024, {"plans": "x"})


def test_who_writes_and_reads_which_report(ctx: Ctx, world: World) -> None:
    with pytest.raises(Forbidden):
        reports.save(ctx, world.actor("admin"), DEPT, 2025, TEXT)  # the authority writes its own kind
    with pytest.raises(Forbidden):
        reports.save(ctx, world.actor("gongan_user"), DEPT, 2025, TEXT)
    with pytest.raises(Forbidden):
        reports.save(ctx, world.actor("gongan_officer"), ReportKind.AUTHORITY, 2025, {"summary": "x"})
    draft = reports.save(ctx, world.actor("gongan_officer"), DEPT, 2025, TEXT)
    with pytest.raises(NotFound):
        reports.get_report(ctx, world.actor("admin"), draft.id)  # a draft stays with its body
    with pytest.raises(NotFound):
        reports.get_report(ctx, world.actor("minzheng_officer"), draft.id)
    submitted = reports.submit(ctx, world.actor("gongan_officer"), DEPT, 2025, TEXT)
    assert reports.get_report(ctx, world.actor("admin"), submitted.id).id == submitted.id
    assert reports.get_report(ctx, world.actor("auditor"), submitted.id).id == submitted.id
    with pytest.raises(NotFound):
        reports.get_report(ctx, world.actor("city2_reviewer"), submitted.id)


def test_the_authority_report_gathers_departments_and_the_evaluation(ctx: Ctx, world: World) -> None:
    records(ctx, world)
    admin = world.actor("admin")
    run = evaluation.run_evaluation(ctx, admin, 2026)
    evaluation.publish(ctx, admin, run.id, public=False)
    reports.save(ctx, world.actor("gongan_officer"), DEPT, 2026, TEXT)
    report = reports.save(ctx, admin, ReportKind.AUTHORITY, 2026, {"summary": "全省情况良好。"})
    figures = json.loads(report.figures)
    statuses = {d["name"]: d["status"] for d in figures["departments"]}
    assert statuses == {"四川省公安厅": "未提交", "四川省民政厅": "未提交", "四川省审计厅": "未提交"}
    assert len(figures["evaluation"]["results"]) == 3
    # the department's report now carries its published evaluation
    dept = reports.save(ctx, world.actor("gongan_officer"), DEPT, 2026, TEXT)
    assert json.loads(dept.figures)["evaluation"]["name"] == "四川省公安厅"


def test_the_pdf_is_a_real_pdf_with_the_text_and_charts(ctx: Ctx, world: World) -> None:
    records(ctx, world)
    admin = world.actor("admin")
    evaluation.run_evaluation(ctx, admin, 2026)
    report = reports.save(ctx, admin, ReportKind.AUTHORITY, 2026, {"summary": "全省政务数据共享稳步推进。"})
    data = render_pdf(reports.view(ctx, report))
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    for expected in (
        "2026 年度",
        "全省政务数据共享稳步推进",
        "各部门综合得分",
        "各维度平均得分",
        "四川省公安厅",
    ):
        assert expected in text, expected
    dept = reports.save(ctx, world.actor("gongan_officer"), DEPT, 2026, TEXT)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(reports.view(ctx, dept)))).pages)
    assert "本部门各项指标得分" in text and "归集数据有效率" in text
