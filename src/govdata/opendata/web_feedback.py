"""Public pages of the portal's feedback side: a dataset's comments with the forms for comments, corrections
and withdrawals; one withdrawal or correction request with the forms its parties may use; public demands; the
user's own requests. The staff pages and authorised development are in `web_feedback_manage`, included below.

Routes only read and call the use cases in `withdrawals` and `feedback`; every POST carries the session's CSRF
token; a form the use case refuses is shown again with what was typed and the Chinese reason, and nothing of
it is written.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata.authz import Actor, Permission, can, require
from govdata.context import Ctx
from govdata.deadlines import due_info
from govdata.errors import DomainError
from govdata.opendata import development, feedback, portal, web_feedback_manage, withdrawals
from govdata.opendata.models import ListingState, WithdrawalState
from govdata.opendata.web_feedback_support import (
    FORM_ERRORS,
    Csrf,
    Posted,
    go,
    history,
    limit_words,
    page,
    parse,
    values,
)
from govdata.profiles.schema import Limit
from govdata.web_support import CtxDep, PageActor, VisitorActor

router = APIRouter(include_in_schema=False)
router.include_router(web_feedback_manage.router)


# ---------------------------------------------------------------- a dataset's feedback page


def _dataset(
    request: Request,
    ctx: Ctx,
    actor: Actor | None,
    listing_id: int,
    *,
    errors: list[str] | None = None,
    failed: str = "",
    kept: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    listing = portal.public_listing(ctx, listing_id)
    average, raters = feedback.rating_summary(ctx, listing.id)
    return page(
        request,
        ctx,
        "open/feedback_dataset.html",
        status_code,
        listing=listing,
        average=average,
        raters=raters,
        comments=feedback.visible_comments(ctx, listing.id),
        correction_limit=limit_words(ctx, Limit.OPEN_CORRECTION_ANSWER),
        verify_limit=limit_words(ctx, Limit.WITHDRAWAL_VERIFY),
        provider=actor is not None and withdrawals.is_provider(actor, listing),
        supervisor=actor is not None and withdrawals.is_supervisor(actor, listing),
        can_use=actor is not None and can(actor, Permission.OPEN_USE),
        errors=errors or [],
        failed=failed,
        kept=kept or {},
    )


@router.get("/open/datasets/{listing_id:int}/feedback")
def dataset_feedback(request: Request, ctx: CtxDep, actor: VisitorActor, listing_id: int) -> Response:
    return _dataset(request, ctx, actor, listing_id)


def _refused(request: Request, ctx: Ctx, actor: Actor, listing_id: int, failed: str, kept: dict[str, str],
             exc: DomainError) -> Response:  # fmt: skip
    ctx.session.rollback()
    return _dataset(request, ctx, actor, listing_id, errors=[exc.message], failed=failed, kept=kept,
                    status_code=exc.http_status)  # fmt: skip


@router.post("/open/datasets/{listing_id:int}/comments", dependencies=[Csrf])
def post_comment(request: Request, ctx: CtxDep, actor: PageActor, listing_id: int, form: Posted) -> Response:
    kept = values(form, "body", "rating")
    try:
        feedback.add_comment(ctx, actor, listing_id, parse(feedback.CommentIn, kept))
    except FORM_ERRORS as exc:
        return _refused(request, ctx, actor, listing_id, "comment", kept, exc)
    return go(f"/open/datasets/{listing_id}/feedback", "评论已发表，感谢您的反馈")


@router.post("/open/datasets/{listing_id:int}/corrections", dependencies=[Csrf])
def post_correction(
    request: Request, ctx: CtxDep, actor: PageActor, listing_id: int, form: Posted
) -> Response:
    kept = values(form, "content")
    try:
        found = feedback.submit_correction(
            ctx, actor, parse(feedback.CorrectionIn, {**kept, "listing_id": listing_id})
        )
    except FORM_ERRORS as exc:
        return _refused(request, ctx, actor, listing_id, "correction", kept, exc)
    return go(
        f"/open/corrections/{found.id}",
        f"更正申请已提交（编号 {found.id}），提供部门应于 {found.due_date} 前答复",
    )


@router.post("/open/datasets/{listing_id:int}/withdrawals", dependencies=[Csrf])
def post_withdrawal(
    request: Request, ctx: CtxDep, actor: PageActor, listing_id: int, form: Posted
) -> Response:
    kept = values(form, "reason")
    try:
        found = withdrawals.submit(
            ctx, actor, parse(withdrawals.WithdrawalIn, {**kept, "listing_id": listing_id})
        )
    except FORM_ERRORS as exc:
        return _refused(request, ctx, actor, listing_id, "withdrawal", kept, exc)
    return go(f"/open/withdrawals/{found.id}", f"撤回申请已提交（编号 {found.id}），提供部门将立即核实")


@router.post("/open/comments/{comment_id:int}/reply", dependencies=[Csrf])
def reply_comment(request: Request, ctx: CtxDep, actor: PageActor, comment_id: int, form: Posted) -> Response:
    kept = values(form, "reply")
    try:
        comment = feedback.reply(ctx, actor, comment_id, parse(feedback.ReplyIn, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return go(_back(ctx, comment_id), f"未能回复：{exc.message}")
    return go(f"/open/datasets/{comment.listing_id}/feedback", "已回复")


@router.post("/open/comments/{comment_id:int}/hide", dependencies=[Csrf])
def hide_comment(request: Request, ctx: CtxDep, actor: PageActor, comment_id: int, form: Posted) -> Response:
    kept = values(form, "reason")
    try:
        comment = feedback.hide(ctx, actor, comment_id, parse(feedback.HideIn, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return go(_back(ctx, comment_id), f"未能隐藏：{exc.message}")
    return go(f"/open/datasets/{comment.listing_id}/feedback", "评论已隐藏（保留存档）")


def _back(ctx: Ctx, comment_id: int) -> str:
    comment = ctx.session.get(feedback.Comment, comment_id)
    return f"/open/datasets/{comment.listing_id}/feedback" if comment else "/open"


# ---------------------------------------------------------------- one withdrawal request


def _withdrawal(request: Request, ctx: Ctx, actor: Actor, request_id: int, *, errors: list[str] | None = None,
                failed: str = "", kept: dict[str, str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    found = withdrawals.get_request(ctx, actor, request_id)
    provider = withdrawals.is_provider(actor, found.listing)
    supervisor = withdrawals.is_supervisor(actor, found.listing)
    state = found.state
    due = None
    if state == WithdrawalState.RECEIVED:
        due = due_info(ctx.calendar, withdrawals.verify_due(ctx, found), ctx.clock.today())
    return page(
        request,
        ctx,
        "open/withdraw_detail.html",
        status_code,
        w=found,
        due=due,
        history=history(ctx, "open_withdrawal", found.id),
        STATE=withdrawals.STATE_LABELS,
        DECISION=withdrawals.DECISION_LABELS,
        REVIEW=withdrawals.REVIEW_LABELS,
        can={
            "suspend": provider and state == WithdrawalState.RECEIVED
            and found.listing.state == ListingState.PUBLISHED,
            "decide": provider and state == WithdrawalState.RECEIVED,
            "appeal": found.requester_id == actor.user_id and state == WithdrawalState.DECIDED,
            "review": supervisor and state == WithdrawalState.APPEALED,
        },
        staff=provider or supervisor,
        errors=errors or [],
        failed=failed,
        kept=kept or {},
    )  # fmt: skip


@router.get("/open/withdrawals/{request_id:int}")
def withdrawalpage(request: Request, ctx: CtxDep, actor: PageActor, request_id: int) -> Response:
    return _withdrawal(request, ctx, actor, request_id)


def _withdrawal_act(
    request: Request, ctx: Ctx, actor: Actor, request_id: int, form: FormData, action: str
) -> Response:
    model, use_case, fields, done = {
        "suspend": (withdrawals.NoteIn, withdrawals.suspend, ("note",), "已暂停开放，请尽快作出处理决定"),
        "decide": (
            withdrawals.DecisionIn,
            withdrawals.decide,
            ("decision", "note"),
            "处理决定已作出，申请人可在本页查看",
        ),
        "appeal": (withdrawals.NoteIn, withdrawals.appeal, ("note",), "复核申请已提交数据主管机构"),
        "review": (withdrawals.ReviewDecisionIn, withdrawals.review, ("decision", "note"), "复核决定已作出"),
    }[action]
    kept = values(form, *fields)
    try:
        use_case(ctx, actor, request_id, parse(model, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _withdrawal(request, ctx, actor, request_id, errors=[exc.message], failed=action, kept=kept,
                           status_code=exc.http_status)  # fmt: skip
    return go(f"/open/withdrawals/{request_id}", done)


@router.post("/open/withdrawals/{request_id:int}/suspend", dependencies=[Csrf])
def withdrawal_suspend(
    request: Request, ctx: CtxDep, actor: PageActor, request_id: int, form: Posted
) -> Response:
    return _withdrawal_act(request, ctx, actor, request_id, form, "suspend")


@router.post("/open/withdrawals/{request_id:int}/decide", dependencies=[Csrf])
def withdrawal_decide(
    request: Request, ctx: CtxDep, actor: PageActor, request_id: int, form: Posted
) -> Response:
    return _withdrawal_act(request, ctx, actor, request_id, form, "decide")


@router.post("/open/withdrawals/{request_id:int}/appeal", dependencies=[Csrf])
def withdrawal_appeal(
    request: Request, ctx: CtxDep, actor: PageActor, request_id: int, form: Posted
) -> Response:
    return _withdrawal_act(request, ctx, actor, request_id, form, "appeal")


@router.post("/open/withdrawals/{request_id:int}/review", dependencies=[Csrf])
def withdrawal_review(
    request: Request, ctx: CtxDep, actor: PageActor, request_id: int, form: Posted
) -> Response:
    return _withdrawal_act(request, ctx, actor, request_id, form, "review")


# ---------------------------------------------------------------- one correction request


def _correction(request: Request, ctx: Ctx, actor: Actor, correction_id: int, *, errors: list[str] | None = None,
                failed: str = "", kept: dict[str, str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    found = feedback.get_correction(ctx, actor, correction_id)
    provider = withdrawals.is_provider(actor, found.listing)
    pending = found.state == feedback.PENDING
    return page(
        request,
        ctx,
        "open/correction_detail.html",
        status_code,
        c=found,
        due=due_info(ctx.calendar, found.due_date, ctx.clock.today()) if pending else None,
        limit=limit_words(ctx, Limit.OPEN_CORRECTION_ANSWER),
        history=history(ctx, "open_correction", found.id),
        STATE=feedback.CORRECTION_LABELS,
        can={"extend": provider and pending and found.extended_at is None, "answer": provider and pending},
        staff=provider or withdrawals.is_supervisor(actor, found.listing),
        errors=errors or [],
        failed=failed,
        kept=kept or {},
    )


@router.get("/open/corrections/{correction_id:int}")
def correctionpage(request: Request, ctx: CtxDep, actor: PageActor, correction_id: int) -> Response:
    return _correction(request, ctx, actor, correction_id)


def _correction_act(
    request: Request, ctx: Ctx, actor: Actor, correction_id: int, form: FormData, action: str
) -> Response:
    model, use_case, fields, done = {
        "extend": (
            feedback.ExtensionIn,
            feedback.extend_correction,
            ("days", "reason", "approved_by"),
            "答复期限已延长",
        ),
        "answer": (
            feedback.CorrectionAnswerIn,
            feedback.answer_correction,
            ("corrected", "answer"),
            "已答复申请人",
        ),
    }[action]
    kept = values(form, *fields)
    try:
        use_case(ctx, actor, correction_id, parse(model, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _correction(request, ctx, actor, correction_id, errors=[exc.message], failed=action, kept=kept,
                           status_code=exc.http_status)  # fmt: skip
    return go(f"/open/corrections/{correction_id}", done)


@router.post("/open/corrections/{correction_id:int}/extend", dependencies=[Csrf])
def correction_extend(
    request: Request, ctx: CtxDep, actor: PageActor, correction_id: int, form: Posted
) -> Response:
    return _correction_act(request, ctx, actor, correction_id, form, "extend")


@router.post("/open/corrections/{correction_id:int}/answer", dependencies=[Csrf])
def correction_answer(
    request: Request, ctx: CtxDep, actor: PageActor, correction_id: int, form: Posted
) -> Response:
    return _correction_act(request, ctx, actor, correction_id, form, "answer")


# ---------------------------------------------------------------- public demands


def _demands(request: Request, ctx: Ctx, actor: Actor | None, *, errors: list[str] | None = None,
             failed: str = "", kept: dict[str, str] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    rows = feedback.public_demands(ctx)
    answerable: set[int] = set()
    if actor is not None and (can(actor, Permission.OPEN_SUPERVISE) or can(actor, Permission.OPEN_ANSWER)):
        answerable = {d.id for d in feedback.demand_inbox(ctx, actor)}
    return page(
        request,
        ctx,
        "open/demands.html",
        status_code,
        demands=rows,
        answerable=answerable,
        orgs=feedback.demand_orgs(ctx),
        can_use=actor is not None and can(actor, Permission.OPEN_USE),
        STATE=feedback.DEMAND_LABELS,
        errors=errors or [],
        failed=failed,
        kept=kept or {},
    )


@router.get("/open/demands")
def demandspage(request: Request, ctx: CtxDep, actor: VisitorActor) -> Response:
    return _demands(request, ctx, actor)


@router.post("/open/demands", dependencies=[Csrf])
def post_demand(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    kept = values(form, "title", "description", "org_id")
    try:
        demand = feedback.submit_demand(ctx, actor, parse(feedback.DemandIn, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _demands(
            request, ctx, actor, errors=[exc.message], failed="new", kept=kept, status_code=exc.http_status
        )
    return go("/open/demands", f"数据需求已提交（编号 {demand.id}），答复将在本页公开")


@router.post("/open/demands/{demand_id:int}/answer", dependencies=[Csrf])
def answer_demand(request: Request, ctx: CtxDep, actor: PageActor, demand_id: int, form: Posted) -> Response:
    kept = values(form, "answer", "listing_id")
    try:
        feedback.answer_demand(ctx, actor, demand_id, parse(feedback.DemandAnswerIn, kept))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _demands(request, ctx, actor, errors=[exc.message], failed=f"answer-{demand_id}", kept=kept,
                        status_code=exc.http_status)  # fmt: skip
    return go("/open/demands", f"已答复数据需求 {demand_id}")


# ---------------------------------------------------------------- the user's own requests


@router.get("/open/me/requests")
def my_requests(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    require(actor, Permission.OPEN_USE)
    return page(
        request,
        ctx,
        "open/feedback_me.html",
        withdrawals=withdrawals.my_requests(ctx, actor),
        corrections=feedback.my_corrections(ctx, actor),
        demands=feedback.my_demands(ctx, actor),
        devs=development.my_applications(ctx, actor),
        W_STATE=withdrawals.STATE_LABELS,
        DECISION=withdrawals.DECISION_LABELS,
        C_STATE=feedback.CORRECTION_LABELS,
        D_STATE=feedback.DEMAND_LABELS,
        DEV_STATE=development.STATE_LABELS,
    )
