"""JSON routes: correction requests (校核申请) and subject access (`/me/…`, QUAL-1…QUAL-4)."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter

from govdata.authz import Permission, can
from govdata.errors import Forbidden
from govdata.quality import corrections, subject
from govdata.quality.schemas import (
    CorrectionAnswerIn,
    CorrectionExtendIn,
    CorrectionIn,
    CorrectionOut,
    ForwardIn,
    MyAccessOut,
    MyRecordOut,
    RecordFieldOut,
)
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["数据校核与本人数据"])


@router.post(
    "/corrections",
    response_model=CorrectionOut,
    status_code=201,
    summary="对本人数据提出校核（更正/删除）申请",
)
def file(ctx: CtxDep, actor: ApiActor, body: CorrectionIn) -> CorrectionOut:
    return CorrectionOut.model_validate(corrections.file(ctx, actor, body))


@router.get(
    "/corrections", response_model=list[CorrectionOut], summary="校核申请：本人的 / 本部门待办的 / 本级的"
)
def list_requests(ctx: CtxDep, actor: ApiActor) -> list[CorrectionOut]:
    if can(actor, Permission.CORRECTION_FORWARD):
        found = corrections.of_level(ctx, actor)
    elif can(actor, Permission.CORRECTION_ANSWER):
        found = corrections.inbox(ctx, actor)
    elif can(actor, Permission.CORRECTION_FILE):
        found = corrections.mine(ctx, actor)
    else:
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")
    return [CorrectionOut.model_validate(r) for r in found]


@router.get("/corrections/{request_id}", response_model=CorrectionOut, summary="校核申请详情")
def get(ctx: CtxDep, actor: ApiActor, request_id: int) -> CorrectionOut:
    return CorrectionOut.model_validate(corrections.get(ctx, actor, request_id))


@router.post(
    "/corrections/{request_id}/forward", response_model=CorrectionOut, summary="主管机构转交归集部门"
)
def forward(ctx: CtxDep, actor: ApiActor, request_id: int, body: ForwardIn) -> CorrectionOut:
    return CorrectionOut.model_validate(corrections.forward(ctx, actor, request_id, body))


@router.post("/corrections/{request_id}/extend", response_model=CorrectionOut, summary="经负责人批准延期一次")
def extend(ctx: CtxDep, actor: ApiActor, request_id: int, body: CorrectionExtendIn) -> CorrectionOut:
    return CorrectionOut.model_validate(corrections.extend(ctx, actor, request_id, body))


@router.post("/corrections/{request_id}/answer", response_model=CorrectionOut, summary="答复校核结果")
def answer(ctx: CtxDep, actor: ApiActor, request_id: int, body: CorrectionAnswerIn) -> CorrectionOut:
    return CorrectionOut.model_validate(corrections.answer(ctx, actor, request_id, body))


@router.get("/me/records", response_model=list[MyRecordOut], summary="各资源池中关于本人的记录")
def my_records(ctx: CtxDep, actor: ApiActor) -> list[MyRecordOut]:
    data = subject.my_data(ctx, actor)
    return [
        MyRecordOut(
            resource_id=r.resource_id, resource_code=r.resource_code, resource_name=r.resource_name,
            org_name=r.org_name, row_id=r.row_id, batch_id=r.batch_id, loaded_at=r.loaded_at,
            under_verification=r.under_verification,
            fields=[RecordFieldOut(field_name=f, label=label, value=v) for f, label, v in r.fields],
        )
        for r in data.records
    ]  # fmt: skip


@router.get(
    "/me/base-records", response_model=list[subject.GoldenValue], summary="基础数据库中本人的记录及来源"
)
def my_base_records(ctx: CtxDep, actor: ApiActor) -> list[subject.GoldenValue]:
    return subject.my_data(ctx, actor).golden


@router.get("/me/accesses", response_model=list[MyAccessOut], summary="谁在何时、为何用途获取了本人的数据")
def my_accesses(ctx: CtxDep, actor: ApiActor) -> list[MyAccessOut]:
    return [MyAccessOut(**dataclasses.asdict(a)) for a in subject.my_accesses(ctx, actor)]
