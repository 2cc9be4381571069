"""Staff pages of the portal's feedback side — the provider's inbox and the authority's appeals, portal user
suspension (OPEN-7) — and authorised development (DEV-2): the public explanation and application, the
applicant's case page with the agreement to sign, and the staff case page (consent, assessment, grant or
refusal, end with the disposal record).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata.authz import Actor, Permission, can
from govdata.context import Ctx
from govdata.deadlines import due_info
from govdata.errors import Forbidden, InvalidInput
from govdata.opendata import development, feedback, users, withdrawals
from govdata.opendata.models import DevState, ListingState, OpenListing, WithdrawalState
from govdata.opendata.schemas import ReasonIn
from govdata.opendata.web_feedback_support import (
    FORM_ERRORS,
    Csrf,
    Posted,
    agree,
    go,
    history,
    page,
    parse,
    text,
    values,
)
from govdata.opendata.workflow import OPEN_TYPE_LABELS
from govdata.org.models import Role, SubjectKind, User
from govdata.web_support import CtxDep, PageActor, VisitorActor, render

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------- staff: the inbox


def _staff(actor: Actor) -> None:
    if not (can(actor, Permission.OPEN_ANSWER) or can(actor, Permission.OPEN_SUPERVISE)):
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")


@router.get("/open/manage/feedback")
def manage_feedback(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    _staff(actor)
    today = ctx.clock.today()
    provider = can(actor, Permission.OPEN_ANSWER)
    supervisor = can(actor, Permission.OPEN_SUPERVISE)
    w_rows = withdrawals.inbox(ctx, actor) if provider else []
    c_rows = feedback.correction_inbox(ctx, actor) if provider else []
    comments = feedback.comment_inbox(ctx, actor) if provider else []
    return page(
        request,
        ctx,
        "open/manage_feedback.html",
        provider=provider,
        supervisor=supervisor,
        withdrawals=[
            (
                w,
                due_info(ctx.calendar, withdrawals.verify_due(ctx, w), today)
                if w.state == WithdrawalState.RECEIVED
                else None,
            )
            for w in w_rows
        ],
        corrections=[
            (c, due_info(ctx.calendar, c.due_date, today) if c.state == feedback.PENDING else None)
            for c in c_rows
        ],
        comments=comments,
        titles=dict(
            ctx.session.execute(
                select(OpenListing.id, OpenListing.title).where(
                    OpenListing.id.in_({c.listing_id for c in comments})
                )
            ).all()
        ),
        appeals=withdrawals.appeals(ctx, actor) if supervisor else [],
        overdue=[
            (c, due_info(ctx.calendar, c.due_date, today)) for c in feedback.overdue_corrections(ctx, actor)
        ]
        if supervisor
        else [],
        demands=feedback.demand_inbox(ctx, actor),
        consents=development.consent_requests(ctx, actor) if provider else [],
        W_STATE=withdrawals.STATE_LABELS,
        DECISION=withdrawals.DECISION_LABELS,
        C_STATE=feedback.CORRECTION_LABELS,
    )


@router.post("/open/manage/feedback/sweep", dependencies=[Csrf])
def sweep(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    flagged = feedback.sweep(ctx, actor)
    return go("/open/manage/feedback", f"已将 {len(flagged)} 件逾期未答复的更正申请记为疑似违规")


# ---------------------------------------------------------------- staff: portal users (OPEN-7)


@router.get("/open/manage/users")
def manage_users(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    q: Annotated[str, Query(max_length=50)] = "",
    user: Annotated[int | None, Query()] = None,
) -> Response:
    found = feedback.find_public_users(ctx, actor, q)
    chosen = ctx.session.get(User, user) if user else None
    if chosen is not None and chosen.role != Role.PUBLIC_USER:
        chosen = None
    return render(
        request,
        "open/manage_users.html",
        q=q,
        found=found,
        chosen=chosen,
        chosen_masked=feedback.mask_subject(chosen.subject_id) if chosen else "",
        held=users.active_suspension(ctx, chosen.id) if chosen else None,
        retrievals=feedback.recent_retrievals(ctx, actor, chosen.id) if chosen else [],
        history=feedback.suspension_history(ctx, actor, chosen.id) if chosen else [],
    )


def _user_act(ctx: Ctx, actor: Actor, user_id: int, form: FormData, action: str) -> Response:
    use_case = users.suspend_user if action == "suspend" else users.lift_suspension
    back = f"/open/manage/users?user={user_id}"
    try:
        use_case(ctx, actor, user_id, parse(ReasonIn, {"reason": text(form, "reason", 2000)}).reason)
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return go(back, f"未能办理：{exc.message}")
    return go(back, "已暂停该用户的开放数据访问权限" if action == "suspend" else "已恢复该用户的访问权限")


@router.post("/open/manage/users/{user_id:int}/suspend", dependencies=[Csrf])
def user_suspend(ctx: CtxDep, actor: PageActor, user_id: int, form: Posted) -> Response:
    return _user_act(ctx, actor, user_id, form, "suspend")


@router.post("/open/manage/users/{user_id:int}/lift", dependencies=[Csrf])
def user_lift(ctx: CtxDep, actor: PageActor, user_id: int, form: Posted) -> Response:
    return _user_act(ctx, actor, user_id, form, "lift")


# ---------------------------------------------------------------- staff: authorised development


@router.get("/open/manage/development")
def manage_development(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    _staff(actor)
    return render(
        request,
        "open/developers_manage.html",
        queue=development.queue(ctx, actor) if can(actor, Permission.OPEN_SUPERVISE) else [],
        consents=development.consent_requests(ctx, actor) if can(actor, Permission.OPEN_ANSWER) else [],
        supervisor=can(actor, Permission.OPEN_SUPERVISE),
        STATE=development.STATE_LABELS,
    )


def _dev_case(request: Request, ctx: Ctx, actor: Actor, dev_id: int, *, errors: list[str] | None = None,
              failed: str = "", kept: dict[str, str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    dev = development.get_dev(ctx, actor, dev_id)
    supervisor = development.is_supervisor(actor, dev)
    own_none = [li for li in development.needs_consent(ctx, dev) if li.org_id == actor.org_id]
    pending = dev.state == DevState.PENDING
    return render(
        request,
        "open/developers_manage_detail.html",
        status_code=status_code,
        applicant=ctx.session.get(User, dev.applicant_id),
        needs=development.needs_consent(ctx, dev),
        own_none=own_none if can(actor, Permission.OPEN_ANSWER) and pending else [],
        can={
            "decide": supervisor and pending,
            "end": supervisor and dev.state in (DevState.GRANTED, DevState.ACTIVE),
        },
        today=ctx.clock.today(),
        open_types=OPEN_TYPE_LABELS,
        errors=errors or [],
        failed=failed,
        kept=kept or {},
        **_dev_context(ctx, dev),
    )


@router.get("/open/manage/development/{dev_id:int}")
def development_case(request: Request, ctx: CtxDep, actor: PageActor, dev_id: int) -> Response:
    return _dev_case(request, ctx, actor, dev_id)


_GRANT_FIELDS = (
    "assessment",
    "scope",
    "degree",
    "valid_until",
    "disposal",
    "derived_ownership",
    "revenue_share",
)


def _dev_act(request: Request, ctx: Ctx, actor: Actor, dev_id: int, form: FormData, action: str) -> Response:
    model, use_case, fields, done = {
        "consent": (
            development.ConsentIn,
            development.consent,
            ("listing_id", "agree", "note"),
            "已记录本部门意见",
        ),
        "grant": (development.GrantIn, development.grant, _GRANT_FIELDS, "已授权，等待申请单位在线签署协议"),
        "refuse": (development.RefuseIn, development.refuse, ("assessment",), "已作出不予授权的决定"),
        "end": (
            development.EndIn,
            development.end,
            ("disposal_record", "early_reason"),
            "授权开发已终止，处置情况已记录",
        ),
    }[action]
    kept = values(form, *fields)
    data: dict[str, Any] = {**kept, "agree": agree(kept["agree"])} if action == "consent" else dict(kept)
    try:
        use_case(ctx, actor, dev_id, parse(model, data))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _dev_case(request, ctx, actor, dev_id, errors=[exc.message], failed=action, kept=kept,
                         status_code=exc.http_status)  # fmt: skip
    return go(f"/open/manage/development/{dev_id}", done)


@router.post("/open/manage/development/{dev_id:int}/consent", dependencies=[Csrf])
def dev_consent(request: Request, ctx: CtxDep, actor: PageActor, dev_id: int, form: Posted) -> Response:
    return _dev_act(request, ctx, actor, dev_id, form, "consent")


@router.post("/open/manage/development/{dev_id:int}/grant", dependencies=[Csrf])
def dev_grant(request: Request, ctx: CtxDep, actor: PageActor, dev_id: int, form: Posted) -> Response:
    return _dev_act(request, ctx, actor, dev_id, form, "grant")


@router.post("/open/manage/development/{dev_id:int}/refuse", dependencies=[Csrf])
def dev_refuse(request: Request, ctx: CtxDep, actor: PageActor, dev_id: int, form: Posted) -> Response:
    return _dev_act(request, ctx, actor, dev_id, form, "refuse")


@router.post("/open/manage/development/{dev_id:int}/end", dependencies=[Csrf])
def dev_end(request: Request, ctx: CtxDep, actor: PageActor, dev_id: int, form: Posted) -> Response:
    return _dev_act(request, ctx, actor, dev_id, form, "end")


# ---------------------------------------------------------------- authorised development (public side)


def _is_org(ctx: Ctx, actor: Actor | None) -> bool:
    user = ctx.session.get(User, actor.user_id) if actor and actor.user_id else None
    return (
        user is not None and user.role == Role.PUBLIC_USER and user.subject_kind == SubjectKind.ORGANISATION
    )


def _developers(request: Request, ctx: Ctx, actor: Actor | None, *, errors: list[str] | None = None,
                kept: dict[str, Any] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    is_org = _is_org(ctx, actor)
    choices = []
    if is_org:
        choices = list(ctx.session.scalars(
            select(OpenListing).where(OpenListing.state == ListingState.PUBLISHED).order_by(OpenListing.title).limit(300)
        ))  # fmt: skip
    mine = development.my_applications(ctx, actor) if actor and can(actor, Permission.OPEN_USE) else []
    return page(
        request,
        ctx,
        "open/developers.html",
        status_code,
        is_org=is_org,
        choices=choices,
        mine=mine,
        STATE=development.STATE_LABELS,
        errors=errors or [],
        kept=kept or {"listing_ids": []},
    )


@router.get("/open/developers")
def developerspage(request: Request, ctx: CtxDep, actor: VisitorActor) -> Response:
    return _developers(request, ctx, actor)


@router.post("/open/developers", dependencies=[Csrf])
def post_development(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    kept: dict[str, Any] = values(form, "purpose", "capability", "security")
    kept["listing_ids"] = [v for v in form.getlist("listing_ids") if isinstance(v, str) and v.strip()]
    try:
        if not kept["listing_ids"]:
            raise InvalidInput("请至少选择一个拟开发利用的数据集")
        dev = development.apply(ctx, actor, parse(development.DevApplyIn, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _developers(request, ctx, actor, errors=[exc.message], kept=kept, status_code=exc.http_status)
    return go(
        f"/open/developers/{dev.id}",
        f"授权开发申请已提交（编号 {dev.id}），{ctx.profile.bodies.authority}将评估",
    )


def _dev_context(ctx: Ctx, dev: development.DevQualification) -> dict[str, Any]:
    granted = dev.state in (DevState.GRANTED, DevState.ACTIVE, DevState.ENDED)
    return {
        "d": dev,
        "listings": development.listings_of(ctx, dev),
        "consents": development.consents(ctx, dev),
        "text": development.agreement_text(ctx, dev) if granted else None,
        "signed": development.agreement_of(ctx, dev),
        "history": history(ctx, "dev_qualification", dev.id),
        "STATE": development.STATE_LABELS,
    }


@router.get("/open/developers/{dev_id:int}")
def developmentpage(request: Request, ctx: CtxDep, actor: PageActor, dev_id: int) -> Response:
    dev = development.get_dev(ctx, actor, dev_id)
    staff = development.is_supervisor(actor, dev) or can(actor, Permission.OPEN_ANSWER)
    mine = dev.applicant_id == actor.user_id
    return page(request, ctx, "open/developers_detail.html", staff=staff, mine=mine, **_dev_context(ctx, dev))


@router.post("/open/developers/{dev_id:int}/sign", dependencies=[Csrf])
def sign_development(request: Request, ctx: CtxDep, actor: PageActor, dev_id: int) -> Response:
    try:
        signed = development.sign(ctx, actor, dev_id)
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return go(f"/open/developers/{dev_id}", f"未能签署：{exc.message}")
    return go(
        f"/open/developers/{dev_id}", f"已签署授权开发协议（SM3 摘要 {signed.text_sm3[:16]}…），协议生效"
    )
