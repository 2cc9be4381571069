"""Annual reports (SUP-3, WZ44): a department's report on last year's data work, and the authority's report
to the government that gathers them with the evaluation.

WZ44: departments submit in early January (上旬), the authority reports in late January (下旬); the profile's
`report_windows` gives the days. The figures are pre-filled from the records (the same indicator computations
as the evaluation, for the one department) and refreshed on every save until submission; the text sections are
the body's own. Submission before the window opens is refused (the year's figures are not final) with the
window's dates; after it closes it is accepted and marked late (返回的提示和报告上都写明) — a late report still
serves the government better than none, and supervision sees the lateness. Drafts can be saved at any time.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import func, select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.authz.core import in_jurisdiction
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization
from govdata.org.service import org_names
from govdata.pool.models import Pool
from govdata.supervision import evaluation
from govdata.supervision.indicators import INDICATORS, Period, published_entries
from govdata.supervision.report_models import AnnualReport, EvaluationState, ReportKind, ReportState

SECTION_LIMIT = 8000

SECTIONS: dict[ReportKind, dict[str, str]] = {
    ReportKind.DEPARTMENT: {
        "summary": "一、年度工作总体情况",
        "aggregation": "二、数据汇聚与数据质量",
        "sharing_opening": "三、数据共享与开放",
        "application": "四、数据应用成效",
        "security": "五、安全管理与问题整改",
        "plans": "六、存在问题与下一年度工作计划",
    },
    ReportKind.AUTHORITY: {
        "summary": "一、总体情况",
        "evaluation": "二、考核评估情况",
        "problems": "三、存在的主要问题",
        "plans": "四、下一年度工作安排",
    },
}

KIND_LABELS = {ReportKind.DEPARTMENT: "部门年度报告", ReportKind.AUTHORITY: "数据主管机构年度报告"}


@dataclass(frozen=True)
class Window:
    start: dt.date
    end: dt.date

    @property
    def text(self) -> str:
        return f"{self.start.year} 年 {self.start.month} 月 {self.start.day} 日至 {self.end.month} 月 {self.end.day} 日"


def window_of(ctx: Ctx, kind: ReportKind, year: int) -> Window:
    """The window for `year`'s report: in January (as the profile says) of the following year."""
    windows = ctx.profile.report_windows
    month, first, last = (
        windows.department_report if kind == ReportKind.DEPARTMENT else windows.authority_report
    )
    last = min(last, calendar.monthrange(year + 1, month)[1])
    return Window(dt.date(year + 1, month, first), dt.date(year + 1, month, last))


def _day(at: dt.datetime | None) -> str:
    return at.astimezone(CHINA_TZ).date().isoformat() if at is not None else ""


def _check_year(ctx: Ctx, year: int) -> None:
    today = ctx.clock.today()
    if not evaluation.FIRST_YEAR <= year <= today.year:
        raise InvalidInput(f"报告年度应在 {evaluation.FIRST_YEAR} 年至 {today.year} 年之间")


# --------------------------------------------------------------------------------------------- figures


def _department_figures(ctx: Ctx, org_id: int, year: int) -> dict[str, object]:
    """The department's counts for the year, from the same computations as the evaluation."""
    end = min(dt.date(year, 12, 31), ctx.clock.today())
    period = Period(ctx.session, [org_id], dt.date(year, 1, 1), end)
    indicators = []
    for dim, defs in ctx.profile.evaluation_indicators.items():
        for d in defs:
            c = INDICATORS[d.key].compute(period).get(org_id)
            indicators.append(
                {
                    "dimension": dim,
                    "key": d.key,
                    "label": d.label,
                    "numerator": c.numerator if c else 0,
                    "denominator": c.denominator if c else 0,
                    "score": c.score if c else None,
                }
            )
    entries = sum(1 for resource, _ in published_entries(period))
    pools, rows = ctx.session.execute(
        select(func.count(), func.coalesce(func.sum(Pool.row_count), 0)).where(
            Pool.org_id == org_id, Pool.created_at < period.end_at
        )
    ).one()
    figures: dict[str, object] = {
        "as_of": end.isoformat(),
        "counts": {
            "已发布目录条目（截至年末）": entries,
            "资源池（截至年末）": int(pools),
            "资源池数据行数（报告保存时）": int(rows),
        },
        "indicators": indicators,
        "evaluation": None,
    }
    org = ctx.session.get(Organization, org_id)
    run = _published_run(ctx, org.region.path if org else "", year)
    if run is not None:
        mine = [r for r in evaluation.results(ctx, _reader(), run) if r.org_id == org_id]
        if mine:
            figures["evaluation"] = _result_dict(run, mine[0])
    return figures


def _reader() -> Actor:
    from govdata.authz import system_actor

    return system_actor("annual report")


def _published_run(ctx: Ctx, region_path: str, year: int) -> evaluation.EvaluationRun | None:
    return ctx.session.execute(
        select(evaluation.EvaluationRun).where(
            evaluation.EvaluationRun.region_path == region_path,
            evaluation.EvaluationRun.year == year,
            evaluation.EvaluationRun.state == EvaluationState.PUBLISHED,
        )
    ).scalar_one_or_none()


def _result_dict(run: evaluation.EvaluationRun, r: evaluation.DeptResult) -> dict[str, object]:
    return {
        "run_id": run.id,
        "label": evaluation.year_label(run),
        "org_id": r.org_id,
        "name": r.name,
        "total": r.total,
        "rank": r.ranks.get("total"),
        "dimensions": r.dimensions,
    }


def _authority_figures(ctx: Ctx, authority: Organization, year: int) -> dict[str, object]:
    """Which departments reported (on time, late, not at all) and the level's evaluation, if computed."""
    departments = evaluation.departments_of(ctx, authority)
    reports = {
        r.org_id: r
        for r in ctx.session.execute(
            select(AnnualReport).where(AnnualReport.kind == ReportKind.DEPARTMENT, AnnualReport.year == year)
        ).scalars()
    }
    rows = []
    for dept in departments:
        rep = reports.get(dept.id)
        if rep is None or rep.state != ReportState.SUBMITTED:
            status = "未提交"
        else:
            status = "逾期提交" if rep.late else "按时提交"
        rows.append(
            {"org_id": dept.id, "name": dept.name, "status": status, "report_id": rep.id if rep else None}
        )
    run = ctx.session.execute(
        select(evaluation.EvaluationRun).where(
            evaluation.EvaluationRun.authority_org_id == authority.id, evaluation.EvaluationRun.year == year
        )
    ).scalar_one_or_none()
    results = []
    if run is not None:
        results = [_result_dict(run, r) for r in evaluation.results(ctx, _reader(), run)]
    return {
        "as_of": min(dt.date(year, 12, 31), ctx.clock.today()).isoformat(),
        "departments": rows,
        "evaluation": (
            {
                "run_id": run.id,
                "label": evaluation.year_label(run),
                "state": run.state.value,
                "results": results,
            }
            if run is not None
            else None
        ),
    }


# ------------------------------------------------------------------------------------------------ access


def _own_org(ctx: Ctx, actor: Actor, kind: ReportKind) -> Organization:
    if actor.org_id is None:
        raise Forbidden("当前账号不属于任何单位")
    if kind == ReportKind.AUTHORITY and not actor.is_authority:
        raise Forbidden("只有数据主管机构编写向本级政府的年度报告")
    if kind == ReportKind.DEPARTMENT and actor.is_authority:
        raise Forbidden("部门年度报告由各部门编写提交")
    org = ctx.session.get(Organization, actor.org_id)
    if org is None:
        raise NotFound("未找到本单位")
    return org


def _write_permission(kind: ReportKind) -> Permission:
    return Permission.REPORT_SUBMIT if kind == ReportKind.DEPARTMENT else Permission.EVALUATE


def get_report(ctx: Ctx, actor: Actor, report_id: int) -> AnnualReport:
    """A department reads its own; the authority and auditors read the level's; drafts only by their body."""
    require(actor, Permission.SUPERVISION_READ)
    report = ctx.session.get(AnnualReport, report_id)
    if report is None:
        raise NotFound("未找到该年度报告，或无权查看")
    own = report.org_id == actor.org_id
    oversees = (actor.is_authority or Permission.AUDIT_READ in actor.permissions) and in_jurisdiction(
        actor, report.region_path
    )
    if not (actor.is_system or own or (oversees and report.state == ReportState.SUBMITTED)):
        raise NotFound("未找到该年度报告，或无权查看")
    return report


def find_own(ctx: Ctx, actor: Actor, kind: ReportKind, year: int) -> AnnualReport | None:
    require(actor, Permission.SUPERVISION_READ)
    if actor.org_id is None:
        return None
    return ctx.session.execute(
        select(AnnualReport).where(
            AnnualReport.kind == kind, AnnualReport.org_id == actor.org_id, AnnualReport.year == year
        )
    ).scalar_one_or_none()


def list_reports(ctx: Ctx, actor: Actor, year: int | None = None) -> list[AnnualReport]:
    """Reports the actor may read, newest year first."""
    require(actor, Permission.SUPERVISION_READ)
    query = select(AnnualReport).order_by(AnnualReport.year.desc(), AnnualReport.kind, AnnualReport.id)
    if year is not None:
        query = query.where(AnnualReport.year == year)
    found = []
    for report in ctx.session.execute(query).scalars():
        try:
            found.append(get_report(ctx, actor, report.id))
        except NotFound:
            continue
    return found


# ------------------------------------------------------------------------------------------------ writes


def _clean_sections(kind: ReportKind, sections: dict[str, str]) -> dict[str, str]:
    unknown = [k for k in sections if k not in SECTIONS[kind]]
    if unknown:
        raise InvalidInput(f"未知的报告章节：{'、'.join(unknown)}；可填写：{'、'.join(SECTIONS[kind])}")
    too_long = [SECTIONS[kind][k] for k, v in sections.items() if len(v) > SECTION_LIMIT]
    if too_long:
        raise InvalidInput(f"{'、'.join(too_long)} 超过 {SECTION_LIMIT} 字，请精简")
    return {k: sections.get(k, "").strip() for k in SECTIONS[kind]}


def save(ctx: Ctx, actor: Actor, kind: ReportKind, year: int, sections: dict[str, str]) -> AnnualReport:
    """Create or update the actor's own draft report; the figures are refreshed from the records."""
    require(actor, _write_permission(kind))
    _check_year(ctx, year)
    org = _own_org(ctx, actor, kind)
    cleaned = _clean_sections(kind, sections)
    report = find_own(ctx, actor, kind, year)
    if report is not None and report.state == ReportState.SUBMITTED:
        raise InvalidTransition(f"{year} 年度报告已于 {_day(report.submitted_at)} 提交，不能再修改")
    figures = (
        _department_figures(ctx, org.id, year)
        if kind == ReportKind.DEPARTMENT
        else _authority_figures(ctx, org, year)
    )
    now = ctx.clock.now()
    if report is None:
        window = window_of(ctx, kind, year)
        report = AnnualReport(
            kind=kind,
            org_id=org.id,
            region_path=org.region.path,
            year=year,
            state=ReportState.DRAFT,
            window_start=window.start,
            window_end=window.end,
            late=False,
            created_at=now,
        )
        ctx.session.add(report)
    report.figures = json.dumps(figures, ensure_ascii=False)
    report.sections = json.dumps(cleaned, ensure_ascii=False)
    report.updated_at = now
    ctx.session.flush()
    record(ctx, actor, "report.save", "annual_report", report.id, detail={"kind": kind.value, "year": year})
    return report


def submit(ctx: Ctx, actor: Actor, kind: ReportKind, year: int, sections: dict[str, str]) -> AnnualReport:
    """Save and submit; refused before the window opens, accepted but marked late after it closes."""
    require(actor, _write_permission(kind))
    _check_year(ctx, year)
    window = window_of(ctx, kind, year)
    today = ctx.clock.today()
    if today < window.start:
        raise InvalidInput(
            f"{year} 年度{KIND_LABELS[kind]}的提交时间为 {window.text}，尚未开始；现在可以先保存草稿",
            details={"window_start": window.start.isoformat(), "window_end": window.end.isoformat()},
        )
    if not sections.get("summary", "").strip():
        raise InvalidInput(f"请填写“{SECTIONS[kind]['summary']}”后再提交")
    report = save(ctx, actor, kind, year, sections)
    report.state, report.late = ReportState.SUBMITTED, today > window.end
    report.submitted_at, report.submitted_by_id = ctx.clock.now(), actor.user_id
    record(
        ctx, actor, "report.submit", "annual_report", report.id, detail={"year": year, "late": report.late}
    )
    return report


# ------------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ReportView:
    """What the HTML page and the PDF both show."""

    report: AnnualReport
    title: str
    org_name: str
    window: Window
    figures: dict[str, object]
    sections: list[tuple[str, str]]  # (heading, text)


def view(ctx: Ctx, report: AnnualReport) -> ReportView:
    name = org_names(ctx.session, [report.org_id]).get(report.org_id, "")
    sections = json.loads(report.sections)
    return ReportView(
        report=report,
        title=f"{name} {report.year} 年度{'政务数据资源管理情况报告' if report.kind == ReportKind.DEPARTMENT else '政务数据资源管理情况年度报告'}",
        org_name=name,
        window=Window(report.window_start, report.window_end),
        figures=json.loads(report.figures),
        sections=[(heading, sections.get(key, "")) for key, heading in SECTIONS[report.kind].items()],
    )
