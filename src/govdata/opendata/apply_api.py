"""JSON routes of conditional-open applications (OPEN-4) and the "usable but invisible" sandbox (OPEN-8)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from govdata.audit.service import sm3_hex
from govdata.context import Ctx
from govdata.opendata import agreements, applications, sandbox
from govdata.opendata.applications import (
    AnswerIn,
    ApplicationIn,
    ExtendIn,
    RefuseIn,
    SignIn,
    item_list,
)
from govdata.opendata.models import AgreementKind, ApplicationState, OpenApplication
from govdata.opendata.schemas import ReasonIn
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["开放平台：有条件开放申请"])
SqlBody = Annotated[
    str,
    Body(
        media_type="text/plain",
        min_length=1,
        max_length=sandbox.MAX_SQL,
        description="查询语句：对表 data 的一条 SELECT 聚合查询（请求体即 SQL 文本）",
        examples=["SELECT address, COUNT(*) AS n FROM data GROUP BY address ORDER BY n DESC"],
    ),
]


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: str | None
    to_state: str
    actor_name: str
    note: str | None
    at: dt.datetime


class AgreementOut(BaseModel):
    kind: AgreementKind
    label: str
    text_version: str
    text_sm3: str
    signer_name: str
    signer_subject_id: str | None
    signed_at: dt.datetime
    intact: bool  # the stored words still hash to the recorded digest


class ApplicationOut(BaseModel):
    id: int
    listing_id: int
    listing_title: str
    provider_org_id: int
    provider_name: str
    applicant_id: int
    applicant_name: str
    applicant_subject_id: str | None
    purpose: str
    items: list[str]
    security_measures: str
    term_days: int
    sandbox_only: bool
    state: ApplicationState
    state_label: str
    due_date: dt.date | None
    due_label: str | None
    extended_at: dt.datetime | None
    extension_reason: str | None
    overdue_flagged_at: dt.datetime | None
    answer: str | None
    answer_basis: str | None
    answered_at: dt.datetime | None
    approved_items: list[str] | None
    approved_days: int | None
    access_from: dt.date | None
    access_until: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    steps: list[StepOut] = Field(default_factory=list, description="只在单件详情中返回")
    agreements: list[AgreementOut] = Field(default_factory=list, description="只在单件详情中返回")


class TextOut(BaseModel):
    kind: AgreementKind
    label: str
    text_version: str
    text: str
    text_sm3: str = Field(description="签署时可回传此摘要，确保签署的就是所阅读的文本")
    signed_at: dt.datetime | None


class SandboxOut(BaseModel):
    query_id: int
    outcome: str
    columns: list[str]
    rows: list[list[object]]
    groups_returned: int
    groups_suppressed: int = Field(description="记录数少于 k 而不予返回的分组数")
    truncated: bool = Field(description="分组数超过上限，只返回了前面的部分")
    k: int = Field(description="每个分组至少须有的记录数")


class SandboxQueryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sql: str
    outcome: str
    reason: str | None
    groups_returned: int
    groups_suppressed: int
    at: dt.datetime


def application_out(ctx: Ctx, application: OpenApplication, *, full: bool = False) -> ApplicationOut:
    due = applications.answer_due(ctx, application)
    out = ApplicationOut(
        id=application.id,
        listing_id=application.listing_id,
        listing_title=application.listing.title,
        provider_org_id=application.provider_org_id,
        provider_name=application.listing.org.name,
        applicant_id=application.applicant_id,
        applicant_name=application.applicant.display_name,
        applicant_subject_id=application.applicant.subject_id,
        purpose=application.purpose,
        items=item_list(application.items),
        security_measures=application.security_measures,
        term_days=application.term_days,
        sandbox_only=application.sandbox_only,
        state=application.state,
        state_label=applications.shown_state(application, ctx.clock.today()),
        due_date=application.due_date,
        due_label=due.label if due else None,
        extended_at=application.extended_at,
        extension_reason=application.extension_reason,
        overdue_flagged_at=application.overdue_flagged_at,
        answer=application.answer,
        answer_basis=application.answer_basis,
        answered_at=application.answered_at,
        approved_items=item_list(application.approved_items) if application.approved_items else None,
        approved_days=application.approved_days,
        access_from=application.access_from,
        access_until=application.access_until,
        created_at=application.created_at,
        updated_at=application.updated_at,
    )
    if full:
        out.steps = [StepOut.model_validate(s) for s in application.steps]
        out.agreements = [
            AgreementOut(
                kind=a.kind,
                label=agreements.KIND_LABELS[a.kind],
                text_version=a.text_version,
                text_sm3=a.text_sm3,
                signer_name=a.signer_name,
                signer_subject_id=a.signer_subject_id,
                signed_at=a.signed_at,
                intact=agreements.verify(a),
            )
            for a in applications.signed(ctx, application.id).values()
        ]
    return out


@router.post(
    "/open/applications",
    response_model=ApplicationOut,
    status_code=201,
    summary="申请使用有条件开放数据（须实名注册的个人或单位账号）",
)
def submit(ctx: CtxDep, actor: ApiActor, body: ApplicationIn) -> ApplicationOut:
    return application_out(ctx, applications.submit(ctx, actor, body), full=True)


@router.get(
    "/open/applications",
    response_model=list[ApplicationOut],
    summary="有条件开放申请列表：mine 我的申请 / inbox 提供单位待办 / jurisdiction 主管机构辖区",
)
def list_applications(
    ctx: CtxDep,
    actor: ApiActor,
    scope: str | None = Query(None, pattern="^(mine|inbox|jurisdiction)$"),
) -> list[ApplicationOut]:
    rows = applications.list_applications(ctx, actor, scope or applications.default_scope(actor))
    return [application_out(ctx, r.application) for r in rows]


@router.get("/open/applications/{application_id}", response_model=ApplicationOut, summary="申请详情")
def show(ctx: CtxDep, actor: ApiActor, application_id: int) -> ApplicationOut:
    return application_out(ctx, applications.get_application(ctx, actor, application_id), full=True)


@router.get(
    "/open/applications/{application_id}/texts",
    response_model=list[TextOut],
    summary="待签署（或已签署）的数据安全承诺书和数据使用协议全文",
)
def texts(ctx: CtxDep, actor: ApiActor, application_id: int) -> list[TextOut]:
    application = applications.get_application(ctx, actor, application_id)
    done = applications.signed(ctx, application.id)
    out = []
    for kind in applications.SIGNED_KINDS:
        if kind in done:
            words, version, at = done[kind].text, done[kind].text_version, done[kind].signed_at
        elif application.state == ApplicationState.APPROVED:
            words, version, at = (
                applications.agreement_text(ctx, application, kind),
                applications.TEXT_VERSION,
                None,
            )
        else:
            continue
        out.append(
            TextOut(
                kind=kind,
                label=agreements.KIND_LABELS[kind],
                text_version=version,
                text=words,
                text_sm3=sm3_hex(words.encode("utf-8")),
                signed_at=at,
            )
        )
    return out


@router.post(
    "/open/applications/{application_id}/approve",
    response_model=ApplicationOut,
    summary="提供单位同意（可部分同意：减少信息项、缩短期限、仅限沙箱）",
)
def approve(ctx: CtxDep, actor: ApiActor, application_id: int, body: AnswerIn) -> ApplicationOut:
    return application_out(ctx, applications.approve(ctx, actor, application_id, body), full=True)


@router.post(
    "/open/applications/{application_id}/refuse",
    response_model=ApplicationOut,
    summary="提供单位不予同意（须说明理由和法律法规或政策依据）",
)
def refuse(ctx: CtxDep, actor: ApiActor, application_id: int, body: RefuseIn) -> ApplicationOut:
    return application_out(ctx, applications.refuse(ctx, actor, application_id, body), full=True)


@router.post(
    "/open/applications/{application_id}/extend",
    response_model=ApplicationOut,
    summary="延长答复期限（只能一次，须在期限内并经主要负责人同意）",
)
def extend(ctx: CtxDep, actor: ApiActor, application_id: int, body: ExtendIn) -> ApplicationOut:
    return application_out(ctx, applications.extend(ctx, actor, application_id, body), full=True)


@router.post(
    "/open/applications/{application_id}/withdraw", response_model=ApplicationOut, summary="申请人撤回申请"
)
def withdraw(ctx: CtxDep, actor: ApiActor, application_id: int) -> ApplicationOut:
    return application_out(ctx, applications.withdraw(ctx, actor, application_id), full=True)


@router.post(
    "/open/applications/{application_id}/sign",
    response_model=ApplicationOut,
    summary="在线签署数据安全承诺书或数据使用协议（两份均签署后生效）",
)
def sign(ctx: CtxDep, actor: ApiActor, application_id: int, body: SignIn) -> ApplicationOut:
    return application_out(ctx, applications.sign(ctx, actor, application_id, body), full=True)


@router.post(
    "/open/applications/{application_id}/revoke",
    response_model=ApplicationOut,
    summary="提供单位终止使用（须说明理由）",
)
def revoke(ctx: CtxDep, actor: ApiActor, application_id: int, body: ReasonIn) -> ApplicationOut:
    return application_out(ctx, applications.revoke(ctx, actor, application_id, body), full=True)


@router.post(
    "/open/applications/{application_id}/sandbox",
    response_model=SandboxOut,
    summary="“可用不可见”沙箱查询：只返回记录数不少于 k 的分组的聚合结果",
    responses={422: {"description": "查询被拒绝（原因见 error.message），拒绝也会留下记录"}},
)
def sandbox_query(ctx: CtxDep, actor: ApiActor, application_id: int, sql: SqlBody) -> object:
    """The body is the SQL itself (`Content-Type: text/plain`), so quotes need no JSON escaping:
    `curl -H 'Content-Type: text/plain' --data-binary @query.sql …`."""
    result = sandbox.run(ctx, actor, application_id, sql)
    if result.outcome == "refused":
        # Returned, not raised: the transaction commits, so the refused attempt stays on record.
        error = {
            "code": "sandbox_refused",
            "message": result.reason,
            "details": {"query_id": result.query_id},
        }
        return JSONResponse({"error": error}, status_code=422)
    return SandboxOut(
        query_id=result.query_id,
        outcome=result.outcome,
        columns=result.columns,
        rows=result.rows,
        groups_returned=result.groups_returned,
        groups_suppressed=result.groups_suppressed,
        truncated=result.truncated,
        k=result.k,
    )


@router.get(
    "/open/applications/{application_id}/sandbox",
    response_model=list[SandboxQueryOut],
    summary="本申请最近的沙箱查询记录",
)
def sandbox_history(ctx: CtxDep, actor: ApiActor, application_id: int) -> list[SandboxQueryOut]:
    return [SandboxQueryOut.model_validate(q) for q in sandbox.history(ctx, actor, application_id)]
