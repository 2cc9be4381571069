"""JSON routes of the portal's feedback side: withdrawals (OPEN-5), catalog corrections (OPEN-6), comments and
public demands (OPEN-8), user suspension (OPEN-7) and authorised development (DEV-2).

The routes only translate: every rule is in `withdrawals`, `feedback`, `development` and `users`.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from govdata.opendata import development, feedback, portal, users, withdrawals
from govdata.opendata.development import ConsentIn, DevApplyIn, EndIn, GrantIn, RefuseIn
from govdata.opendata.feedback import (
    CommentIn,
    CorrectionAnswerIn,
    CorrectionIn,
    DemandAnswerIn,
    DemandIn,
    ExtensionIn,
    HideIn,
    ReplyIn,
)
from govdata.opendata.models import (
    AccessSuspension,
    CatalogCorrection,
    Comment,
    DevQualification,
    PublicDemand,
    WithdrawalRequest,
)
from govdata.opendata.schemas import ReasonIn
from govdata.opendata.withdrawals import DecisionIn, NoteIn, ReviewDecisionIn, WithdrawalIn
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["开放平台：撤回、更正、评论、需求与授权开发"])


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class WithdrawalOut(_Out):
    id: int
    listing_id: int
    requester_id: int
    reason: str
    state: str
    suspended: bool
    decision: str | None
    decision_note: str | None
    decided_at: dt.datetime | None
    appeal_reason: str | None
    review_decision: str | None
    review_note: str | None
    reviewed_at: dt.datetime | None
    created_at: dt.datetime


class CorrectionOut(_Out):
    id: int
    listing_id: int
    content: str
    state: str
    due_date: dt.date
    extended_at: dt.datetime | None
    extension_reason: str | None
    overdue_flagged_at: dt.datetime | None
    corrected: bool | None
    answer: str | None
    answered_at: dt.datetime | None
    created_at: dt.datetime


class CommentOut(_Out):
    id: int
    listing_id: int
    author: str
    rating: int | None
    body: str
    reply: str | None
    replied_at: dt.datetime | None
    at: dt.datetime


class CommentsOut(BaseModel):
    average_rating: float | None
    raters: int
    comments: list[CommentOut]


class DemandOut(_Out):
    id: int
    title: str
    description: str
    org_name: str | None
    state: str
    answer: str | None
    listing_id: int | None
    created_at: dt.datetime
    answered_at: dt.datetime | None


class SuspensionOut(_Out):
    id: int
    user_id: int
    reason: str
    at: dt.datetime
    lifted_at: dt.datetime | None
    lift_reason: str | None


class PortalUserOut(BaseModel):
    id: int
    username: str
    display_name: str
    subject_kind: str | None
    subject_masked: str
    suspended: bool
    suspension_reason: str | None


class RetrievalOut(BaseModel):
    id: int
    listing_id: int
    listing_title: str
    channel: str
    format: str | None
    rows: int | None
    at: dt.datetime


class UserRecordOut(BaseModel):
    retrievals: list[RetrievalOut]
    suspensions: list[SuspensionOut]


class DevOut(BaseModel):
    id: int
    applicant_id: int
    region_path: str
    purpose: str
    capability: str
    security: str
    listing_ids: list[int]
    state: str
    assessment: str | None
    scope: str | None
    degree: str | None
    valid_until: dt.date | None
    disposal: str | None
    derived_ownership: str | None
    revenue_share: str | None
    decided_at: dt.datetime | None
    disposal_record: str | None
    created_at: dt.datetime


class AgreementTextOut(BaseModel):
    text_version: str
    text: str


class AgreementOut(_Out):
    id: int
    kind: str
    development_id: int | None
    text_version: str
    text: str
    text_sm3: str
    signer_name: str
    signer_subject_id: str | None
    signed_at: dt.datetime


def _w(found: WithdrawalRequest) -> WithdrawalOut:
    return WithdrawalOut.model_validate(found)


def _c(found: CatalogCorrection) -> CorrectionOut:
    return CorrectionOut.model_validate(found)


def _dev(found: DevQualification) -> DevOut:
    data = {name: getattr(found, name) for name in DevOut.model_fields if name != "listing_ids"}
    return DevOut(**data, listing_ids=development.listing_ids(found))


def _suspension(found: AccessSuspension) -> SuspensionOut:
    return SuspensionOut.model_validate(found)


# ---------------------------------------------------------------- withdrawals (OPEN-5)


@router.post(
    "/open/withdrawals", response_model=WithdrawalOut, status_code=201, summary="申请撤回侵犯权益的开放数据"
)
def submit_withdrawal(ctx: CtxDep, actor: ApiActor, body: WithdrawalIn) -> WithdrawalOut:
    return _w(withdrawals.submit(ctx, actor, body))


@router.get(
    "/open/withdrawals", response_model=list[WithdrawalOut], summary="撤回申请列表（我的 / 待处理 / 待复核）"
)
def list_withdrawals(
    ctx: CtxDep, actor: ApiActor, role: str = Query("mine", pattern="^(mine|inbox|appeals)$")
) -> list[WithdrawalOut]:
    fetch = {"mine": withdrawals.my_requests, "inbox": withdrawals.inbox, "appeals": withdrawals.appeals}[
        role
    ]
    return [_w(r) for r in fetch(ctx, actor)]


@router.get("/open/withdrawals/{request_id}", response_model=WithdrawalOut, summary="撤回申请详情")
def get_withdrawal(ctx: CtxDep, actor: ApiActor, request_id: int) -> WithdrawalOut:
    return _w(withdrawals.get_request(ctx, actor, request_id))


@router.post(
    "/open/withdrawals/{request_id}/suspend", response_model=WithdrawalOut, summary="核实后立即暂停开放"
)
def suspend_withdrawal(ctx: CtxDep, actor: ApiActor, request_id: int, body: NoteIn) -> WithdrawalOut:
    return _w(withdrawals.suspend(ctx, actor, request_id, body))


@router.post(
    "/open/withdrawals/{request_id}/decide",
    response_model=WithdrawalOut,
    summary="处理决定：撤回 / 重新处理 / 不予撤回",
)
def decide_withdrawal(ctx: CtxDep, actor: ApiActor, request_id: int, body: DecisionIn) -> WithdrawalOut:
    return _w(withdrawals.decide(ctx, actor, request_id, body))


@router.post(
    "/open/withdrawals/{request_id}/appeal", response_model=WithdrawalOut, summary="申请人请求主管机构复核"
)
def appeal_withdrawal(ctx: CtxDep, actor: ApiActor, request_id: int, body: NoteIn) -> WithdrawalOut:
    return _w(withdrawals.appeal(ctx, actor, request_id, body))


@router.post(
    "/open/withdrawals/{request_id}/review", response_model=WithdrawalOut, summary="主管机构复核：维持或撤销"
)
def review_withdrawal(ctx: CtxDep, actor: ApiActor, request_id: int, body: ReviewDecisionIn) -> WithdrawalOut:
    return _w(withdrawals.review(ctx, actor, request_id, body))


# ---------------------------------------------------------------- corrections (OPEN-6)


@router.post(
    "/open/corrections", response_model=CorrectionOut, status_code=201, summary="对开放目录提出更正申请"
)
def submit_correction(ctx: CtxDep, actor: ApiActor, body: CorrectionIn) -> CorrectionOut:
    return _c(feedback.submit_correction(ctx, actor, body))


@router.get(
    "/open/corrections", response_model=list[CorrectionOut], summary="更正申请列表（我的 / 待答复 / 逾期）"
)
def list_corrections(
    ctx: CtxDep, actor: ApiActor, role: str = Query("mine", pattern="^(mine|inbox|overdue)$")
) -> list[CorrectionOut]:
    fetch = {
        "mine": feedback.my_corrections,
        "inbox": feedback.correction_inbox,
        "overdue": feedback.overdue_corrections,
    }[role]
    return [_c(r) for r in fetch(ctx, actor)]


@router.post(
    "/open/corrections/sweep-overdue",
    response_model=list[CorrectionOut],
    summary="逾期未答复的更正申请记为疑似违规（每件一次）",
)
def sweep_corrections(ctx: CtxDep, actor: ApiActor) -> list[CorrectionOut]:
    return [_c(r) for r in feedback.sweep(ctx, actor)]


@router.get("/open/corrections/{correction_id}", response_model=CorrectionOut, summary="更正申请详情")
def get_correction(ctx: CtxDep, actor: ApiActor, correction_id: int) -> CorrectionOut:
    return _c(feedback.get_correction(ctx, actor, correction_id))


@router.post(
    "/open/corrections/{correction_id}/extend", response_model=CorrectionOut, summary="延长答复期限（一次）"
)
def extend_correction(ctx: CtxDep, actor: ApiActor, correction_id: int, body: ExtensionIn) -> CorrectionOut:
    return _c(feedback.extend_correction(ctx, actor, correction_id, body))


@router.post(
    "/open/corrections/{correction_id}/answer", response_model=CorrectionOut, summary="答复是否更正及如何更正"
)
def answer_correction(
    ctx: CtxDep, actor: ApiActor, correction_id: int, body: CorrectionAnswerIn
) -> CorrectionOut:
    return _c(feedback.answer_correction(ctx, actor, correction_id, body))


# ---------------------------------------------------------------- comments (OPEN-8)


@router.get("/open/listings/{listing_id}/comments", response_model=CommentsOut, summary="数据集的评论和评分")
def list_comments(ctx: CtxDep, actor: ApiActor, listing_id: int) -> CommentsOut:
    portal.public_listing(ctx, listing_id)
    average, raters = feedback.rating_summary(ctx, listing_id)
    shown = [CommentOut.model_validate(c) for c in feedback.visible_comments(ctx, listing_id)]
    return CommentsOut(average_rating=average, raters=raters, comments=shown)


@router.post(
    "/open/listings/{listing_id}/comments", response_model=CommentOut, status_code=201, summary="评论并评分"
)
def add_comment(ctx: CtxDep, actor: ApiActor, listing_id: int, body: CommentIn) -> CommentOut:
    return _comment_out(ctx, feedback.add_comment(ctx, actor, listing_id, body))


def _comment_out(ctx: CtxDep, comment: Comment) -> CommentOut:
    return CommentOut.model_validate(feedback.comment_view(ctx, comment))


@router.post("/open/comments/{comment_id}/reply", response_model=CommentOut, summary="提供部门回复评论")
def reply_comment(ctx: CtxDep, actor: ApiActor, comment_id: int, body: ReplyIn) -> CommentOut:
    return _comment_out(ctx, feedback.reply(ctx, actor, comment_id, body))


@router.post("/open/comments/{comment_id}/hide", response_model=CommentOut, summary="主管机构隐藏不当评论")
def hide_comment(ctx: CtxDep, actor: ApiActor, comment_id: int, body: HideIn) -> CommentOut:
    return _comment_out(ctx, feedback.hide(ctx, actor, comment_id, body))


# ---------------------------------------------------------------- public demands (OPEN-8, WZ35)


@router.get("/open/demands", response_model=list[DemandOut], summary="数据需求（公开列表 / 我的 / 待我答复）")
def list_demands(
    ctx: CtxDep, actor: ApiActor, role: str = Query("public", pattern="^(public|mine|inbox)$")
) -> list[DemandOut]:
    if role == "mine":
        rows = feedback.my_demands(ctx, actor)
    elif role == "inbox":
        rows = feedback.demand_inbox(ctx, actor)
    else:
        rows = feedback.public_demands(ctx)
    return [DemandOut.model_validate(d) for d in rows]


def _demand_out(ctx: CtxDep, demand: PublicDemand) -> DemandOut:
    return DemandOut.model_validate(feedback.demand_view(ctx, demand))


@router.post("/open/demands", response_model=DemandOut, status_code=201, summary="提出数据开放需求")
def submit_demand(ctx: CtxDep, actor: ApiActor, body: DemandIn) -> DemandOut:
    return _demand_out(ctx, feedback.submit_demand(ctx, actor, body))


@router.post("/open/demands/{demand_id}/answer", response_model=DemandOut, summary="答复数据需求")
def answer_demand(ctx: CtxDep, actor: ApiActor, demand_id: int, body: DemandAnswerIn) -> DemandOut:
    return _demand_out(ctx, feedback.answer_demand(ctx, actor, demand_id, body))


# ---------------------------------------------------------------- portal users (OPEN-7)


@router.get("/open/users", response_model=list[PortalUserOut], summary="查找开放平台用户")
def find_users(
    ctx: CtxDep, actor: ApiActor, q: str = Query("", max_length=50, description="姓名、用户名或证件号码")
) -> list[PortalUserOut]:
    return [
        PortalUserOut(
            id=u.id,
            username=u.username,
            display_name=u.display_name,
            subject_kind=u.subject_kind,
            subject_masked=u.subject_masked,
            suspended=u.suspension is not None,
            suspension_reason=u.suspension.reason if u.suspension else None,
        )
        for u in feedback.find_public_users(ctx, actor, q)
    ]


@router.get(
    "/open/users/{user_id}/retrievals", response_model=UserRecordOut, summary="用户近期获取记录和暂停记录"
)
def user_record(ctx: CtxDep, actor: ApiActor, user_id: int) -> UserRecordOut:
    taken = [
        RetrievalOut(
            id=r.id,
            listing_id=r.listing_id,
            listing_title=title,
            channel=r.channel,
            format=r.format,
            rows=r.rows,
            at=r.at,
        )
        for r, title in feedback.recent_retrievals(ctx, actor, user_id)
    ]
    held = [_suspension(s) for s in feedback.suspension_history(ctx, actor, user_id)]
    return UserRecordOut(retrievals=taken, suspensions=held)


@router.post(
    "/open/users/{user_id}/suspend", response_model=SuspensionOut, summary="暂停用户的开放数据访问权限"
)
def suspend_user(ctx: CtxDep, actor: ApiActor, user_id: int, body: ReasonIn) -> SuspensionOut:
    return _suspension(users.suspend_user(ctx, actor, user_id, body.reason))


@router.post("/open/users/{user_id}/lift", response_model=SuspensionOut, summary="恢复用户的访问权限")
def lift_suspension(ctx: CtxDep, actor: ApiActor, user_id: int, body: ReasonIn) -> SuspensionOut:
    return _suspension(users.lift_suspension(ctx, actor, user_id, body.reason))


# ---------------------------------------------------------------- authorised development (DEV-2)


@router.post(
    "/open/development", response_model=DevOut, status_code=201, summary="申请授权开发（法人或组织）"
)
def apply_development(ctx: CtxDep, actor: ApiActor, body: DevApplyIn) -> DevOut:
    return _dev(development.apply(ctx, actor, body))


@router.get(
    "/open/development", response_model=list[DevOut], summary="授权开发申请（我的 / 待评估 / 待部门同意）"
)
def list_development(
    ctx: CtxDep, actor: ApiActor, role: str = Query("mine", pattern="^(mine|queue|consent)$")
) -> list[DevOut]:
    fetch = {
        "mine": development.my_applications,
        "queue": development.queue,
        "consent": development.consent_requests,
    }[role]
    return [_dev(d) for d in fetch(ctx, actor)]


@router.get("/open/development/{dev_id}", response_model=DevOut, summary="授权开发申请详情")
def get_development(ctx: CtxDep, actor: ApiActor, dev_id: int) -> DevOut:
    return _dev(development.get_dev(ctx, actor, dev_id))


@router.post(
    "/open/development/{dev_id}/consent", response_model=DevOut, summary="提供部门对不予开放数据表示同意与否"
)
def consent_development(ctx: CtxDep, actor: ApiActor, dev_id: int, body: ConsentIn) -> DevOut:
    return _dev(development.consent(ctx, actor, dev_id, body))


@router.post("/open/development/{dev_id}/grant", response_model=DevOut, summary="评估后授权并确定协议条款")
def grant_development(ctx: CtxDep, actor: ApiActor, dev_id: int, body: GrantIn) -> DevOut:
    return _dev(development.grant(ctx, actor, dev_id, body))


@router.post("/open/development/{dev_id}/refuse", response_model=DevOut, summary="评估后不予授权")
def refuse_development(ctx: CtxDep, actor: ApiActor, dev_id: int, body: RefuseIn) -> DevOut:
    return _dev(development.refuse(ctx, actor, dev_id, body))


@router.get(
    "/open/development/{dev_id}/agreement",
    response_model=AgreementTextOut,
    summary="授权开发协议文本（待签署）",
)
def development_agreement(ctx: CtxDep, actor: ApiActor, dev_id: int) -> AgreementTextOut:
    dev = development.get_dev(ctx, actor, dev_id)
    return AgreementTextOut(text_version=development.TEXT_VERSION, text=development.agreement_text(ctx, dev))


@router.post("/open/development/{dev_id}/sign", response_model=AgreementOut, summary="在线签署授权开发协议")
def sign_development(ctx: CtxDep, actor: ApiActor, dev_id: int) -> AgreementOut:
    return AgreementOut.model_validate(development.sign(ctx, actor, dev_id))


@router.post(
    "/open/development/{dev_id}/end", response_model=DevOut, summary="终止授权开发并记录数据处置情况"
)
def end_development(ctx: CtxDep, actor: ApiActor, dev_id: int, body: EndIn) -> DevOut:
    return _dev(development.end(ctx, actor, dev_id, body))
