"""JSON routes for people: share requests, answers, coordination, grants, credentials, disputes, usage."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from govdata.sharing import apps, disputes, queries, service
from govdata.sharing.schemas import (
    AppIn,
    AppOut,
    ApproveIn,
    CoordinateIn,
    DataReturnIn,
    DisputeActIn,
    DisputeIn,
    DisputeOut,
    GrantOut,
    NewAppOut,
    NoteIn,
    NoticeOut,
    RefuseIn,
    RequestOut,
    RevokeIn,
    ShareRequestIn,
)
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["共享交换"])


@router.post("/share-requests", response_model=RequestOut, status_code=201, summary="申请共享数据")
def submit(ctx: CtxDep, actor: ApiActor, body: ShareRequestIn) -> RequestOut:
    return RequestOut.model_validate(service.submit_request(ctx, actor, body))


@router.get(
    "/share-requests",
    response_model=list[RequestOut],
    summary="共享申请列表（本单位申请的 / 向本单位申请的 / 待协调的）",
)
def list_requests(
    ctx: CtxDep, actor: ApiActor, role: str = Query("mine", pattern="^(mine|inbox|coordination)$")
) -> list[RequestOut]:
    if role == "inbox":
        rows = queries.inbox(ctx, actor)
    elif role == "coordination":
        rows = queries.coordination_queue(ctx, actor)
    else:
        rows = queries.my_requests(ctx, actor)
    return [RequestOut.model_validate(r.request) for r in rows]


@router.get("/share-requests/{request_id}", response_model=RequestOut, summary="共享申请详情")
def get_request(ctx: CtxDep, actor: ApiActor, request_id: int) -> RequestOut:
    return RequestOut.model_validate(service.get_request(ctx, actor, request_id))


@router.post(
    "/share-requests/{request_id}/approve", response_model=RequestOut, summary="提供部门同意（可部分同意）"
)
def approve(ctx: CtxDep, actor: ApiActor, request_id: int, body: ApproveIn) -> RequestOut:
    return RequestOut.model_validate(service.approve(ctx, actor, request_id, body))


@router.post(
    "/share-requests/{request_id}/refuse",
    response_model=RequestOut,
    summary="提供部门拒绝（须说明理由和依据）",
)
def refuse(ctx: CtxDep, actor: ApiActor, request_id: int, body: RefuseIn) -> RequestOut:
    return RequestOut.model_validate(service.refuse(ctx, actor, request_id, body))


@router.post(
    "/share-requests/{request_id}/open-access", response_model=RequestOut, summary="数据主管机构开通权限"
)
def open_access(ctx: CtxDep, actor: ApiActor, request_id: int) -> RequestOut:
    return RequestOut.model_validate(service.open_access(ctx, actor, request_id))


@router.post(
    "/share-requests/{request_id}/escalate", response_model=RequestOut, summary="提请数据主管机构协调"
)
def escalate(ctx: CtxDep, actor: ApiActor, request_id: int, body: NoteIn) -> RequestOut:
    return RequestOut.model_validate(service.escalate(ctx, actor, request_id, body))


@router.post(
    "/share-requests/{request_id}/coordinate", response_model=RequestOut, summary="数据主管机构协调决定"
)
def coordinate(ctx: CtxDep, actor: ApiActor, request_id: int, body: CoordinateIn) -> RequestOut:
    return RequestOut.model_validate(service.coordinate(ctx, actor, request_id, body))


@router.post("/share-requests/{request_id}/withdraw", response_model=RequestOut, summary="撤回申请")
def withdraw(ctx: CtxDep, actor: ApiActor, request_id: int) -> RequestOut:
    return RequestOut.model_validate(service.withdraw(ctx, actor, request_id))


@router.post(
    "/share-requests/sweep-overdue",
    response_model=list[RequestOut],
    summary="逾期未答复的申请转协调并记为疑似违规",
)
def sweep(ctx: CtxDep, actor: ApiActor) -> list[RequestOut]:
    return [RequestOut.model_validate(r) for r in service.sweep_overdue(ctx, actor)]


@router.get("/share-grants", response_model=list[GrantOut], summary="共享授权列表")
def list_grants(ctx: CtxDep, actor: ApiActor) -> list[GrantOut]:
    return [GrantOut.model_validate(g) for g in queries.grants(ctx, actor)]


@router.get("/share-grants/{grant_id}", response_model=GrantOut, summary="共享授权详情")
def get_grant(ctx: CtxDep, actor: ApiActor, grant_id: int) -> GrantOut:
    return GrantOut.model_validate(service.get_grant(ctx, actor, grant_id))


@router.post("/share-grants/{grant_id}/revoke", response_model=GrantOut, summary="撤销授权（立即失效）")
def revoke(ctx: CtxDep, actor: ApiActor, grant_id: int, body: RevokeIn) -> GrantOut:
    return GrantOut.model_validate(service.revoke(ctx, actor, grant_id, body))


@router.post(
    "/share-grants/data-return",
    response_model=GrantOut,
    status_code=201,
    summary="数据回流：向下级单位授权其辖区数据",
)
def data_return(ctx: CtxDep, actor: ApiActor, body: DataReturnIn) -> GrantOut:
    return GrantOut.model_validate(service.data_return(ctx, actor, body))


@router.get("/share-apps", response_model=list[AppOut], summary="本单位的应用凭证")
def list_apps(ctx: CtxDep, actor: ApiActor) -> list[AppOut]:
    return [AppOut.model_validate(a) for a in apps.list_apps(ctx, actor)]


@router.post(
    "/share-apps", response_model=NewAppOut, status_code=201, summary="创建应用凭证（凭证只显示一次）"
)
def create_app(ctx: CtxDep, actor: ApiActor, body: AppIn) -> NewAppOut:
    app, credential = apps.create_app(ctx, actor, body)
    return NewAppOut(**AppOut.model_validate(app).model_dump(), credential=credential)


@router.post("/share-apps/{app_id}/revoke", response_model=AppOut, summary="停用应用凭证")
def revoke_app(ctx: CtxDep, actor: ApiActor, app_id: int) -> AppOut:
    return AppOut.model_validate(apps.revoke_app(ctx, actor, app_id))


@router.get("/share-disputes", response_model=list[DisputeOut], summary="共享属性异议")
def list_disputes(ctx: CtxDep, actor: ApiActor) -> list[DisputeOut]:
    return [DisputeOut.model_validate(d) for d in disputes.list_disputes(ctx, actor)]


@router.post("/share-disputes", response_model=DisputeOut, status_code=201, summary="对共享属性提出异议")
def raise_dispute(ctx: CtxDep, actor: ApiActor, body: DisputeIn) -> DisputeOut:
    return DisputeOut.model_validate(disputes.raise_dispute(ctx, actor, body))


@router.get("/share-disputes/{dispute_id}", response_model=DisputeOut, summary="异议详情")
def get_dispute(ctx: CtxDep, actor: ApiActor, dispute_id: int) -> DisputeOut:
    return DisputeOut.model_validate(disputes.get_dispute(ctx, actor, dispute_id))


@router.post(
    "/share-disputes/{dispute_id}/act", response_model=DisputeOut, summary="办理异议：答复、上报或决定"
)
def act_dispute(ctx: CtxDep, actor: ApiActor, dispute_id: int, body: DisputeActIn) -> DisputeOut:
    return DisputeOut.model_validate(disputes.act(ctx, actor, dispute_id, body))


@router.get("/share-usage", summary="共享数据使用情况（提供部门的知情权）")
def usage(
    ctx: CtxDep,
    actor: ApiActor,
    start: dt.date,
    end: dt.date,
    resource_id: int | None = None,
    format: str = Query("json", pattern="^(json|csv)$"),
) -> object:
    rows = queries.usage(ctx, actor, start, end, resource_id)
    if format == "csv":
        name = f"usage-{start.isoformat()}-{end.isoformat()}.csv"
        return StreamingResponse(
            queries.usage_csv(rows, start, end),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return [vars(r) for r in rows]


@router.get("/share-notices", response_model=list[NoticeOut], summary="更正通知：本单位获取的数据被更正")
def list_notices(ctx: CtxDep, actor: ApiActor, unread: bool = False) -> list[NoticeOut]:
    return [NoticeOut.model_validate(n) for n in queries.notices(ctx, actor, unread_only=unread)]


@router.post("/share-notices/{notice_id}/read", response_model=NoticeOut, summary="标记更正通知为已读")
def read_notice(ctx: CtxDep, actor: ApiActor, notice_id: int) -> NoticeOut:
    return NoticeOut.model_validate(service.mark_notice_read(ctx, actor, notice_id))
