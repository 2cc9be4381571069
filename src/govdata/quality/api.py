"""JSON routes: cross-source consistency and reconciliation cases."""

from __future__ import annotations

from fastapi import APIRouter, Query

from govdata.pool import consistency
from govdata.quality import service
from govdata.quality.schemas import (
    CaseOut,
    DisagreementOut,
    EscalateCaseIn,
    GovernmentDecisionIn,
    GovernmentReferIn,
    OpenCaseIn,
    ResolveCaseIn,
    SharedItemOut,
)
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["数据一致性"])


@router.get("/consistency", response_model=list[SharedItemOut], summary="跨部门相同信息项的一致性比对")
def summary(ctx: CtxDep, actor: ApiActor, samples: int = Query(5, ge=0, le=50)) -> list[SharedItemOut]:
    return [
        SharedItemOut(
            key=p.shared.key,
            subject_kind=p.shared.subject_kind,
            pool_a_id=p.shared.pool_a.id,
            resource_a_id=p.shared.pool_a.resource_id,
            field_a=p.shared.field_a,
            label_a=p.shared.label_a,
            pool_b_id=p.shared.pool_b.id,
            resource_b_id=p.shared.pool_b.resource_id,
            field_b=p.shared.field_b,
            label_b=p.shared.label_b,
            compared=p.compared,
            disagreeing=p.disagreeing,
            samples=[DisagreementOut(**vars(d)) for d in p.samples],
        )
        for p in consistency.summarise(ctx, actor, samples=samples)
    ]


@router.get("/consistency/disagreements", response_model=list[DisagreementOut], summary="不一致的记录")
def disagreements(
    ctx: CtxDep,
    actor: ApiActor,
    pool_a_id: int,
    field_a: str = Query(max_length=60),
    pool_b_id: int = Query(),
    field_b: str = Query(max_length=60),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> list[DisagreementOut]:
    shared = consistency.find_shared(ctx, actor, pool_a_id, field_a, pool_b_id, field_b)
    return [
        DisagreementOut(**vars(d))
        for d in consistency.disagreements(ctx, actor, shared, limit=limit, offset=offset)
    ]


@router.get("/reconciliations", response_model=list[CaseOut], summary="协商核实案件")
def list_cases(ctx: CtxDep, actor: ApiActor) -> list[CaseOut]:
    return [CaseOut.model_validate(c) for c in service.list_cases(ctx, actor)]


@router.post("/reconciliations", response_model=CaseOut, status_code=201, summary="就不一致数据发起协商核实")
def open_case(ctx: CtxDep, actor: ApiActor, body: OpenCaseIn) -> CaseOut:
    return CaseOut.model_validate(service.open_case(ctx, actor, body))


@router.get("/reconciliations/{case_id}", response_model=CaseOut, summary="协商核实详情")
def get_case(ctx: CtxDep, actor: ApiActor, case_id: int) -> CaseOut:
    return CaseOut.model_validate(service.get_case(ctx, actor, case_id))


@router.post("/reconciliations/{case_id}/resolve", response_model=CaseOut, summary="办结：记录核实后的正确值")
def resolve(ctx: CtxDep, actor: ApiActor, case_id: int, body: ResolveCaseIn) -> CaseOut:
    return CaseOut.model_validate(service.resolve_case(ctx, actor, case_id, body))


@router.post(
    "/reconciliations/{case_id}/escalate", response_model=CaseOut, summary="协商不成，提请主管机构裁定"
)
def escalate(ctx: CtxDep, actor: ApiActor, case_id: int, body: EscalateCaseIn) -> CaseOut:
    return CaseOut.model_validate(service.escalate_case(ctx, actor, case_id, body))


@router.post(
    "/reconciliations/{case_id}/refer", response_model=CaseOut, summary="主管机构裁定不了的，报请政府决定"
)
def refer(ctx: CtxDep, actor: ApiActor, case_id: int, body: GovernmentReferIn) -> CaseOut:
    return CaseOut.model_validate(service.refer_to_government(ctx, actor, case_id, body))


@router.post(
    "/reconciliations/{case_id}/government-decision", response_model=CaseOut, summary="登记政府的决定"
)
def government_decision(ctx: CtxDep, actor: ApiActor, case_id: int, body: GovernmentDecisionIn) -> CaseOut:
    return CaseOut.model_validate(service.record_government_decision(ctx, actor, case_id, body))
