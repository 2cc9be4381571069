"""Annual report pages (SUP-3, WZ44): write, save and submit the own body's report for a year, read the level's
reports, and print one (HTML with SVG charts) or download it as a PDF.

The submission window and its dates are always shown; submission before it opens is refused with the dates,
after it closes it is accepted and marked late (see supervision.reports).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import ValidationError
from starlette.responses import Response

from govdata.authz import Permission, require
from govdata.errors import InvalidInput
from govdata.org.service import org_names
from govdata.supervision import reports
from govdata.supervision.charts import report_charts, to_svg
from govdata.supervision.pdf import render_pdf
from govdata.supervision.report_models import ReportKind, ReportState
from govdata.supervision.report_schemas import ReportIn
from govdata.validation import validation_message
from govdata.web_support import CtxDep, PageActor, Posted, check_csrf, form_text, redirect_with, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


_go = redirect_with


def _year(raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise InvalidInput("报告年度应为 2000 至 2100 之间的四位年份")
    return int(raw)


@router.get("/supervision/reports")
def reports_page(
    request: Request, ctx: CtxDep, actor: PageActor, year: Annotated[str | None, Query(max_length=8)] = None
) -> Response:
    require(actor, Permission.SUPERVISION_READ)
    chosen = _year(year, ctx.clock.today().year - 1)
    kind = ReportKind.AUTHORITY if actor.is_authority else ReportKind.DEPARTMENT
    can_write = (
        Permission.EVALUATE in actor.permissions
        if actor.is_authority
        else (Permission.REPORT_SUBMIT in actor.permissions)
    )
    own = reports.find_own(ctx, actor, kind, chosen) if can_write else None
    listed = reports.list_reports(ctx, actor)
    own_sections = reports.view(ctx, own).sections if own else []
    texts = dict(zip(reports.SECTIONS[kind], (text for _, text in own_sections), strict=False))
    return render(
        request,
        "supervision/reports.html",
        year=chosen,
        kind=kind,
        kind_label=reports.KIND_LABELS[kind],
        window=reports.window_of(ctx, kind, chosen),
        today=ctx.clock.today(),
        can_write=can_write,
        own=own,
        sections=reports.SECTIONS[kind],
        texts=texts,
        listed=listed,
        names=org_names(ctx.session, [r.org_id for r in listed]),
        kind_labels=reports.KIND_LABELS,
    )


@router.post("/supervision/reports", dependencies=[Csrf])
def save_page(ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    kind_raw = form_text(form, "kind", 20)
    try:
        data = ReportIn.model_validate(
            {
                "kind": kind_raw,
                "year": form_text(form, "year", 8) or "0",
                "sections": {
                    key: form_text(form, f"section_{key}", reports.SECTION_LIMIT + 1)
                    for key in reports.SECTIONS.get(ReportKind(kind_raw), {})
                }
                if kind_raw in ReportKind.__members__.values()
                else {},
                "submit": form_text(form, "action", 10) == "submit",
            }
        )
    except ValidationError as exc:
        message, details = validation_message(exc.errors())
        raise InvalidInput(message, details={"problems": details}) from None
    if data.submit:
        try:
            report = reports.submit(ctx, actor, data.kind, data.year, dict(data.sections))
        except InvalidInput as exc:
            if "window_start" not in exc.details:
                raise
            # too early: keep what was written as a draft rather than lose it, and say when to submit
            reports.save(ctx, actor, data.kind, data.year, dict(data.sections))
            return _go(f"/supervision/reports?year={data.year}", f"草稿已保存。{exc.message}")
        late = (
            f"；已超过提交时间（{reports.Window(report.window_start, report.window_end).text}），标记为逾期提交"
            if report.late
            else ""
        )
        msg = f"{data.year} 年度{reports.KIND_LABELS[data.kind]}已提交{late}"
    else:
        report = reports.save(ctx, actor, data.kind, data.year, dict(data.sections))
        msg = f"草稿已保存，预填数据已按当前记录更新；请在 {reports.Window(report.window_start, report.window_end).text} 提交"
    return _go(f"/supervision/reports?year={data.year}", msg)


@router.get("/supervision/reports/{report_id:int}")
def report_page(request: Request, ctx: CtxDep, actor: PageActor, report_id: int) -> Response:
    view = reports.view(ctx, reports.get_report(ctx, actor, report_id))
    return render(
        request,
        "supervision/report.html",
        view=view,
        report=view.report,
        charts=[to_svg(c) for c in report_charts(view.report.kind.value, view.figures)],
        submitted=view.report.state == ReportState.SUBMITTED,
    )


@router.get("/supervision/reports/{report_id:int}.pdf")
def report_pdf_page(ctx: CtxDep, actor: PageActor, report_id: int) -> Response:
    view = reports.view(ctx, reports.get_report(ctx, actor, report_id))
    return Response(
        render_pdf(view),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="annual-report-{view.report.year}-{report_id}.pdf"'
        },
    )
