"""Withdrawal requests (撤回申请, OPEN-5, AB33): someone whose rights open data infringes asks for it to go.

The provider verifies at once (the profile's WITHDRAWAL_VERIFY, 0 working days: the same day) and, when the
request looks warranted, suspends opening on the spot; then decides to withdraw the data, to re-process it
(back to drafting for de-identification, out of the portal meanwhile) or to reject the request, always with
a note the requester reads on the request page. The requester may appeal a decision to the authority of the
listing's jurisdiction, which upholds it or overturns it.

There is no step table for these requests: each move is an audit event with from → to and the note, in the
same transaction as the change, and the request row keeps the decision and the review.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, can, in_jurisdiction, require
from govdata.catalog.models import OpenType
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.opendata import service
from govdata.opendata.models import ListingState, OpenListing, WithdrawalRequest, WithdrawalState
from govdata.opendata.search import LISTED
from govdata.opendata.users import require_portal_use
from govdata.profiles.schema import Limit
from govdata.textguard import SafeText

W = WithdrawalState

STATE_LABELS: dict[WithdrawalState, str] = {
    W.RECEIVED: "待核实处理",
    W.DECIDED: "已处理",
    W.APPEALED: "复核中",
    W.REVIEWED: "已复核",
}
DECISION_LABELS: dict[str, str] = {
    "withdraw": "撤回数据（不再开放）",
    "reprocess": "重新处理（脱敏等处理后再开放）",
    "reject": "不予撤回",
}
REVIEW_LABELS: dict[str, str] = {"upheld": "维持原处理决定", "overturned": "撤销原处理决定"}
# Moves of a request: which states each one starts from.
_MOVES: dict[str, tuple[frozenset[WithdrawalState], WithdrawalState]] = {
    "suspend": (frozenset({W.RECEIVED}), W.RECEIVED),
    "decide": (frozenset({W.RECEIVED}), W.DECIDED),
    "appeal": (frozenset({W.DECIDED}), W.APPEALED),
    "review": (frozenset({W.APPEALED}), W.REVIEWED),
}
_MOVE_LABELS = {
    "suspend": "暂停开放",
    "decide": "作出处理决定",
    "appeal": "申请复核",
    "review": "作出复核决定",
}


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    listing_id: int = Field(title="数据集编号")
    reason: SafeText = Field(min_length=5, max_length=4000, title="撤回理由（开放数据如何侵犯了您的权益）")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: SafeText = Field(min_length=2, max_length=4000, title="说明")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["withdraw", "reprocess", "reject"] = Field(title="处理决定")
    note: SafeText = Field(min_length=2, max_length=4000, title="处理说明")


class ReviewDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Literal["upheld", "overturned"] = Field(title="复核决定")
    note: SafeText = Field(min_length=2, max_length=4000, title="复核意见")


def _check(request: WithdrawalRequest, move: str) -> WithdrawalState:
    allowed, to = _MOVES[move]
    if request.state not in allowed:
        raise InvalidTransition(f"撤回申请当前为“{STATE_LABELS[request.state]}”，不能{_MOVE_LABELS[move]}")
    return to


def _event(
    ctx: Ctx, actor: Actor, request: WithdrawalRequest, action: str, to: WithdrawalState, **detail: object
) -> None:
    record(ctx, actor, f"open.withdrawal.{action}", "open_withdrawal", request.id,
           detail={"from": request.state.value, "to": to.value, "listing": request.listing_id, **detail})  # fmt: skip
    request.state = to


# ---------------------------------------------------------------- who may see and act


def is_provider(actor: Actor, listing: OpenListing) -> bool:
    return can(actor, Permission.OPEN_ANSWER) and actor.org_id == listing.org_id


def is_supervisor(actor: Actor, listing: OpenListing) -> bool:
    return can(actor, Permission.OPEN_SUPERVISE) and in_jurisdiction(actor, listing.region_path)


def get_request(ctx: Ctx, actor: Actor, request_id: int) -> WithdrawalRequest:
    """The requester, the provider and the supervising authority see a request; for anyone else it does not
    exist (who complained about what is nobody else's business)."""
    require(actor, Permission.OPEN_USE)
    request = ctx.session.get(WithdrawalRequest, request_id)
    if request is None or not (
        actor.is_system
        or request.requester_id == actor.user_id
        or is_provider(actor, request.listing)
        or is_supervisor(actor, request.listing)
    ):
        raise NotFound("撤回申请不存在，或无权查看")
    return request


def _as_provider(ctx: Ctx, actor: Actor, request_id: int) -> WithdrawalRequest:
    request = get_request(ctx, actor, request_id)
    require(actor, Permission.OPEN_ANSWER)
    if not actor.is_system and actor.org_id != request.listing.org_id:
        raise Forbidden("只有数据提供部门可以核实和处理撤回申请")
    return request


def verify_due(ctx: Ctx, request: WithdrawalRequest) -> dt.date:
    """The day by which the provider verifies: AB33 says at once, the profile says how many working days
    (0: the day it arrived, or the next working day when it arrived on a holiday)."""
    days = ctx.profile.limit(Limit.WITHDRAWAL_VERIFY).days
    arrived = request.created_at.astimezone(CHINA_TZ).date()
    if days == 0:
        return ctx.calendar.next_workday(arrived, inclusive=True)
    return ctx.calendar.add_workdays(arrived, days)


# ---------------------------------------------------------------- use cases


def submit(ctx: Ctx, actor: Actor, data: WithdrawalIn) -> WithdrawalRequest:
    require_portal_use(ctx, actor)
    if actor.user_id is None:
        raise Forbidden("须以本人账号登录后提交撤回申请")
    listing = service.get_listing(ctx, data.listing_id)
    if listing.state not in LISTED:
        raise NotFound("该数据集不在开放目录中")
    if listing.open_type == OpenType.NONE:
        raise InvalidInput("该条目属于不予开放的数据，平台未开放其数据；对目录信息有异议的，请提交更正申请")
    same = ctx.session.execute(
        select(WithdrawalRequest.id).where(
            WithdrawalRequest.listing_id == listing.id,
            WithdrawalRequest.requester_id == actor.user_id,
            WithdrawalRequest.state == W.RECEIVED,
        )
    ).first()
    if same:
        raise Conflict(f"您对该数据集的撤回申请（编号 {same[0]}）正在处理，请勿重复提交")
    request = WithdrawalRequest(
        listing_id=listing.id,
        requester_id=actor.user_id,
        reason=data.reason,
        state=W.RECEIVED,
        suspended=False,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(request)
    ctx.session.flush()
    record(ctx, actor, "open.withdrawal.submit", "open_withdrawal", request.id,
           detail={"to": W.RECEIVED.value, "listing": listing.id, "org": listing.org_id})  # fmt: skip
    return request


def suspend(ctx: Ctx, actor: Actor, request_id: int, data: NoteIn) -> WithdrawalRequest:
    """Verification finds the request plausible: opening stops now, before any decision (AB33)."""
    request = _as_provider(ctx, actor, request_id)
    to = _check(request, "suspend")
    if request.listing.state == ListingState.SUSPENDED:
        raise Conflict(f"该数据集已暂停开放：{request.listing.suspended_reason or '—'}")
    service.suspend_listing(ctx, actor, request.listing_id, f"撤回申请 {request.id} 核实中：{data.note}")
    request.suspended = True
    _event(ctx, actor, request, "suspend", to, note=data.note)
    return request


def _move_listing(ctx: Ctx, actor: Actor, listing: OpenListing, move: str, reason: str) -> None:
    """Withdraw or re-process a listing unless it is already where the move would take it."""
    if move == "withdraw" and listing.state != ListingState.WITHDRAWN:
        service.withdraw_listing(ctx, actor, listing.id, reason)
    elif move == "revise" and listing.state not in (ListingState.DRAFT, ListingState.RETURNED):
        service.revise_listing(ctx, actor, listing.id, reason)


def decide(ctx: Ctx, actor: Actor, request_id: int, data: DecisionIn) -> WithdrawalRequest:
    """Withdraw, re-process (back to drafting: out of the portal until re-published) or reject; rejecting
    restores opening if this request suspended it."""
    request = _as_provider(ctx, actor, request_id)
    to = _check(request, "decide")
    listing = request.listing
    why = f"撤回申请 {request.id}：{data.note}"
    if data.decision == "withdraw":
        _move_listing(ctx, actor, listing, "withdraw", why)
    elif data.decision == "reprocess":
        _move_listing(ctx, actor, listing, "revise", f"{why}（重新进行去标识化处理）")
    elif request.suspended and listing.state == ListingState.SUSPENDED:
        service.restore_listing(ctx, actor, listing.id, f"撤回申请 {request.id} 不予撤回，恢复开放")
    request.decision = data.decision
    request.decision_note = data.note
    request.decided_by_id = actor.user_id
    request.decided_at = ctx.clock.now()
    _event(ctx, actor, request, "decide", to, decision=data.decision, note=data.note,
           listing_state=listing.state.value)  # fmt: skip
    return request


def appeal(ctx: Ctx, actor: Actor, request_id: int, data: NoteIn) -> WithdrawalRequest:
    """Only the requester appeals, once, to the authority of the listing's jurisdiction."""
    request = get_request(ctx, actor, request_id)
    if request.requester_id != actor.user_id:
        raise Forbidden("只有提出撤回申请的本人可以申请复核")
    to = _check(request, "appeal")
    request.appeal_reason = data.note
    _event(ctx, actor, request, "appeal", to, note=data.note)
    return request


def review(ctx: Ctx, actor: Actor, request_id: int, data: ReviewDecisionIn) -> WithdrawalRequest:
    """The authority upholds or overturns the provider's decision.

    Overturning a rejection or a re-processing withdraws the listing if it is still in the portal (published
    or suspended): the authority found the data should not be open. A listing already out of the portal
    (withdrawn, or back in drafting) stays out, and the finding is on record for the authority's own review
    of any resubmission (OPEN-2). Overturning a withdrawal does not reopen the data: the listing stays
    withdrawn and the finding is recorded, because data comes back to the portal only through a new review
    of the listing (there is no move from withdrawn to published), never as a side effect of an appeal.
    """
    request = get_request(ctx, actor, request_id)
    require(actor, Permission.OPEN_SUPERVISE)
    if not actor.is_system and not in_jurisdiction(actor, request.listing.region_path):
        raise Forbidden("只能复核本级及下级开放数据的撤回申请")
    to = _check(request, "review")
    listing = request.listing
    in_portal = listing.state in (ListingState.PUBLISHED, ListingState.SUSPENDED)
    if data.decision == "overturned" and request.decision in ("reject", "reprocess") and in_portal:
        service.withdraw_listing(ctx, actor, listing.id, f"撤回申请 {request.id} 复核：{data.note}")
    request.review_decision = data.decision
    request.review_note = data.note
    request.reviewed_by_id = actor.user_id
    request.reviewed_at = ctx.clock.now()
    _event(ctx, actor, request, "review", to, decision=data.decision, note=data.note,
           listing_state=listing.state.value)  # fmt: skip
    return request


# ---------------------------------------------------------------- lists


def my_requests(ctx: Ctx, actor: Actor) -> list[WithdrawalRequest]:
    """The requester's own requests, newest first (for /open/me)."""
    require(actor, Permission.OPEN_USE)
    if actor.user_id is None:
        return []
    return list(
        ctx.session.scalars(
            select(WithdrawalRequest)
            .where(WithdrawalRequest.requester_id == actor.user_id)
            .order_by(WithdrawalRequest.id.desc())
        )
    )


def inbox(ctx: Ctx, actor: Actor) -> list[WithdrawalRequest]:
    """Requests on the provider's own listings: the ones still to verify first, then the rest."""
    require(actor, Permission.OPEN_ANSWER)
    rows = ctx.session.scalars(
        select(WithdrawalRequest)
        .join(OpenListing, OpenListing.id == WithdrawalRequest.listing_id)
        .where(OpenListing.org_id == actor.org_id)
        .order_by(WithdrawalRequest.id.desc())
        .limit(500)
    ).all()
    return sorted(rows, key=lambda r: r.state != W.RECEIVED)


def appeals(ctx: Ctx, actor: Actor) -> list[WithdrawalRequest]:
    """Appeals waiting for the authority's review in its jurisdiction, oldest first."""
    require(actor, Permission.OPEN_SUPERVISE)
    stmt = (
        select(WithdrawalRequest)
        .join(OpenListing, OpenListing.id == WithdrawalRequest.listing_id)
        .where(WithdrawalRequest.state == W.APPEALED)
        .order_by(WithdrawalRequest.id)
    )
    if not actor.is_system:
        stmt = stmt.where(OpenListing.region_path.startswith(actor.region_path or "\x00"))
    return list(ctx.session.scalars(stmt))
