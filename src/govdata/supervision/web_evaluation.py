"""Evaluation pages (SUP-2): choose a year, compute, the ranked results with charts, a department's scores per
dimension and indicator, and the drill-down to the records behind one indicator.

Routes only read and call `supervision.evaluation`; every POST carries the session's CSRF token and answers
with a 303 redirect and a flash message.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from govdata.authz import Permission, require
from govdata.errors import InvalidInput
from govdata.profiles.labels import EVALUATION_LABELS
from govdata.supervision import evaluation
from govdata.supervision.charts import evaluation_charts, to_svg
from govdata.supervision.report_models import EvaluationState
from govdata.web_support import CtxDep, PageActor, VisitorActor, check_csrf, redirect_with, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


_go = redirect_with


def score_text(value: float | None) -> str:
    return "不适用" if value is None else f"{value:.1f}"


def _year(raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise InvalidInput("评估年度应为 2000 至 2100 之间的四位年份")
    return int(raw)


@router.get("/supervision/evaluation")
def evaluation_page(
    request: Request, ctx: CtxDep, actor: PageActor, year: Annotated[str | None, Query(max_length=8)] = None
) -> Response:
    require(actor, Permission.SUPERVISION_READ)
    today = ctx.clock.today()
    chosen = _year(year, today.year)
    run = evaluation.find_run(ctx, actor, chosen)
    results = evaluation.results(ctx, actor, run) if run is not None else []
    charts = [to_svg(c) for c in evaluation_charts(results, EVALUATION_LABELS)] if results else []
    runs = evaluation.list_runs(ctx, actor)
    return render(
        request,
        "supervision/evaluation.html",
        year=chosen,
        years=sorted({today.year, today.year - 1, *(r.year for r in runs)}, reverse=True),
        run=run,
        label=evaluation.year_label(run) if run else f"{chosen} 年度",
        results=results,
        charts=charts,
        dimensions=EVALUATION_LABELS,
        definitions=evaluation.definitions_of(run) if run else None,
        can_run=Permission.EVALUATE in actor.permissions and actor.is_authority,
        published=run is not None and run.state == EvaluationState.PUBLISHED,
        sees_all=actor.is_authority or Permission.AUDIT_READ in actor.permissions,
        score=score_text,
    )


@router.post("/supervision/evaluation/run", dependencies=[Csrf])
def run_page(ctx: CtxDep, actor: PageActor, year: Annotated[str, Form(max_length=8)] = "") -> Response:
    chosen = _year(year, ctx.clock.today().year)
    run = evaluation.run_evaluation(ctx, actor, chosen)
    return _go(
        f"/supervision/evaluation?year={chosen}",
        f"已按平台记录计算{evaluation.year_label(run)}考核评估（草稿）；核对无误后可发布",
    )


@router.post("/supervision/evaluation/{run_id:int}/publish", dependencies=[Csrf])
def publish_page(
    ctx: CtxDep, actor: PageActor, run_id: int, public: Annotated[str, Form(max_length=4)] = ""
) -> Response:
    run = evaluation.publish(ctx, actor, run_id, public=public == "1")
    where = "，并在开放平台公开" if run.public else ""
    return _go(
        f"/supervision/evaluation?year={run.year}",
        f"{run.year} 年度考核评估结果已发布{where}；各部门可查看本部门得分",
    )


@router.get("/supervision/evaluation/{run_id:int}")
def department_page(
    request: Request, ctx: CtxDep, actor: PageActor, run_id: int, org: Annotated[int | None, Query()] = None
) -> Response:
    """One department's scores (?org=); a department sees its own, and without ?org= the ranked table."""
    run = evaluation.get_run(ctx, actor, run_id)
    org_id = org if org is not None else (None if actor.is_authority else actor.org_id)
    if org_id is None:
        return RedirectResponse(f"/supervision/evaluation?year={run.year}", status_code=303)
    result = evaluation.department_result(ctx, actor, run, org_id)
    return render(
        request,
        "supervision/evaluation_department.html",
        run=run,
        label=evaluation.year_label(run),
        result=result,
        definitions=evaluation.definitions_of(run),
        dimensions=EVALUATION_LABELS,
        score=score_text,
    )


@router.get("/supervision/evaluation/scores/{score_id:int}")
def indicator_page(request: Request, ctx: CtxDep, actor: PageActor, score_id: int) -> Response:
    """The drill-down: the fraction behind one indicator score and every record it was counted from."""
    run, result, item = evaluation.get_score(ctx, actor, score_id)
    dimension, definition = evaluation.definitions_of(run).find(item.indicator)
    return render(
        request,
        "supervision/evaluation_indicator.html",
        run=run,
        label=evaluation.year_label(run),
        result=result,
        dimension=EVALUATION_LABELS.get(dimension, dimension),
        definition=definition,
        item=item,
        records=evaluation.indicator_records(item),
        score=score_text,
    )


@router.get("/open/evaluations")
def public_page(request: Request, ctx: CtxDep, actor: VisitorActor) -> Response:
    """The portal's page of published evaluation results (SC45 可委托第三方机构开展评估并公开结果; HN18)."""
    return render(
        request,
        "supervision/evaluation_public.html",
        runs=[(run, evaluation.year_label(run), name, res) for run, name, res in evaluation.public_runs(ctx)],
        dimensions=EVALUATION_LABELS,
        score=score_text,
        portal_name=ctx.profile.bodies.open_portal,
    )
