"""JSON routes: the annual evaluation (SUP-2) and annual reports (SUP-3), incl. the report as a PDF."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from govdata.supervision import evaluation, reports
from govdata.supervision.evaluation import DeptResult
from govdata.supervision.pdf import render_pdf
from govdata.supervision.report_schemas import (
    DepartmentResultOut,
    EvaluationOut,
    EvaluationRunIn,
    EvaluationRunOut,
    IndicatorDetailOut,
    IndicatorScoreOut,
    PublishIn,
    RecordOut,
    ReportIn,
    ReportOut,
)
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["考核评估与年度报告"])


def _result_out(r: DeptResult) -> DepartmentResultOut:
    return DepartmentResultOut(
        org_id=r.org_id,
        name=r.name,
        total=r.total,
        dimensions=r.dimensions,
        ranks=r.ranks,
        indicators=[
            IndicatorScoreOut(
                id=s.id,
                dimension=s.dimension,
                indicator=s.indicator,
                numerator=s.numerator,
                denominator=s.denominator,
                score=s.score,
            )
            for s in r.indicators.values()
        ],
    )


def _evaluation_out(ctx: Any, actor: Any, run: Any) -> EvaluationOut:
    return EvaluationOut(
        run=EvaluationRunOut.model_validate(run),
        label=evaluation.year_label(run),
        results=[_result_out(r) for r in evaluation.results(ctx, actor, run)],
    )


@router.get("/evaluations", response_model=list[EvaluationRunOut], summary="年度考核评估列表")
def list_runs(ctx: CtxDep, actor: ApiActor) -> list[EvaluationRunOut]:
    return [EvaluationRunOut.model_validate(r) for r in evaluation.list_runs(ctx, actor)]


@router.post(
    "/evaluations", response_model=EvaluationOut, status_code=201, summary="计算（或重新计算）年度评估"
)
def run(ctx: CtxDep, actor: ApiActor, body: EvaluationRunIn) -> EvaluationOut:
    return _evaluation_out(ctx, actor, evaluation.run_evaluation(ctx, actor, body.year))


@router.get("/evaluations/{run_id}", response_model=EvaluationOut, summary="评估结果与排名")
def get_run(ctx: CtxDep, actor: ApiActor, run_id: int) -> EvaluationOut:
    return _evaluation_out(ctx, actor, evaluation.get_run(ctx, actor, run_id))


@router.post("/evaluations/{run_id}/publish", response_model=EvaluationRunOut, summary="发布评估结果")
def publish(ctx: CtxDep, actor: ApiActor, run_id: int, body: PublishIn) -> EvaluationRunOut:
    return EvaluationRunOut.model_validate(evaluation.publish(ctx, actor, run_id, public=body.public))


@router.get(
    "/evaluations/scores/{score_id}",
    response_model=IndicatorDetailOut,
    summary="某部门某项指标的计算明细（所依据的记录）",
)
def indicator_detail(ctx: CtxDep, actor: ApiActor, score_id: int) -> IndicatorDetailOut:
    run_, result, score = evaluation.get_score(ctx, actor, score_id)
    dimension, definition = evaluation.definitions_of(run_).find(score.indicator)
    return IndicatorDetailOut(
        id=score.id,
        org_id=result.org_id,
        dimension=dimension,
        indicator=score.indicator,
        label=definition.label,
        definition=definition.definition,
        numerator=score.numerator,
        denominator=score.denominator,
        score=score.score,
        records=[RecordOut(**r) for r in evaluation.indicator_records(score)],  # type: ignore[arg-type]
    )


@router.get("/reports", response_model=list[ReportOut], summary="年度报告列表")
def list_reports(ctx: CtxDep, actor: ApiActor) -> list[ReportOut]:
    return [ReportOut.model_validate(r) for r in reports.list_reports(ctx, actor)]


@router.post("/reports", response_model=ReportOut, summary="保存（或保存并提交）本单位的年度报告")
def save_report(ctx: CtxDep, actor: ApiActor, body: ReportIn) -> ReportOut:
    if body.submit:
        report = reports.submit(ctx, actor, body.kind, body.year, dict(body.sections))
    else:
        report = reports.save(ctx, actor, body.kind, body.year, dict(body.sections))
    return ReportOut.model_validate(report)


@router.get("/reports/{report_id}", summary="年度报告内容（含预填数据）")
def get_report(ctx: CtxDep, actor: ApiActor, report_id: int) -> dict[str, Any]:
    view = reports.view(ctx, reports.get_report(ctx, actor, report_id))
    return {
        **ReportOut.model_validate(view.report).model_dump(mode="json"),
        "title": view.title,
        "figures": view.figures,
        "sections": json.loads(view.report.sections),
    }


@router.get("/reports/{report_id}/pdf", summary="年度报告 PDF（含图表）", response_class=Response)
def report_pdf(ctx: CtxDep, actor: ApiActor, report_id: int) -> Response:
    view = reports.view(ctx, reports.get_report(ctx, actor, report_id))
    return Response(
        render_pdf(view),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="annual-report-{view.report.year}-{report_id}.pdf"'
        },
    )
