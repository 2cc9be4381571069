"""Rectification notices (整改通知, SUP-1; AB36, SC38, HN40).

The authority tells a department to rectify one or more of its open violations by a deadline (the profile's
`rectification` limit in working days, counted from the day of issue). The department answers with what it
did; the authority accepts (the violations become rectified) or returns the answer (the department answers
again, same deadline). A notice still waiting for the department after its deadline is escalated to the
government named in the profile (`bodies.government`): by the scheduled job or by hand.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, can, require, system_actor
from govdata.catalog.queries import WorkItem, due_of
from govdata.context import Ctx
from govdata.deadlines import is_overdue
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.profiles.schema import Limit
from govdata.supervision.models import (
    NoticeState,
    NoticeViolation,
    RectificationNotice,
    Violation,
    ViolationState,
)
from govdata.supervision.service import may_read, region_of, scope
from govdata.textguard import SafeText

NOTICE_LABELS: dict[NoticeState, str] = {
    NoticeState.ISSUED: "待部门整改答复",
    NoticeState.ANSWERED: "部门已答复，待审核",
    NoticeState.RETURNED: "已退回，待部门重新答复",
    NoticeState.ACCEPTED: "整改已通过",
    NoticeState.ESCALATED: "逾期未整改，已报告政府",
}
AWAITING_DEPARTMENT = (NoticeState.ISSUED, NoticeState.RETURNED)


class NoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    violation_ids: list[int] = Field(min_length=1, max_length=100, title="违规事项")
    requirements: SafeText = Field(min_length=5, max_length=4000, title="整改要求")


class NoticeAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    answer: SafeText = Field(min_length=5, max_length=4000, title="整改情况（做了什么）")


class NoticeDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: SafeText = Field(min_length=2, max_length=2000, title="审核意见")


def list_notices(ctx: Ctx, actor: Actor, state: NoticeState | None = None) -> list[RectificationNotice]:
    require(actor, Permission.SUPERVISION_READ)
    stmt = select(RectificationNotice).where(
        scope(actor, RectificationNotice.org_id, RectificationNotice.region_path)
    )
    if state is not None:
        stmt = stmt.where(RectificationNotice.state == state)
    return list(ctx.session.scalars(stmt.order_by(RectificationNotice.id.desc()).limit(500)))


def get_notice(ctx: Ctx, actor: Actor, notice_id: int) -> RectificationNotice:
    require(actor, Permission.SUPERVISION_READ)
    found = ctx.session.get(RectificationNotice, notice_id)
    if found is None or not may_read(actor, found.org_id, found.region_path):
        raise NotFound("整改通知不存在，或无权查看")
    return found


def notice_violations(ctx: Ctx, notice_id: int) -> list[Violation]:
    return list(
        ctx.session.scalars(
            select(Violation)
            .join(NoticeViolation, NoticeViolation.violation_id == Violation.id)
            .where(NoticeViolation.notice_id == notice_id)
            .order_by(Violation.id)
        )
    )


def deadline_for(ctx: Ctx, issued: dt.date) -> dt.date:
    return ctx.calendar.add_workdays(issued, ctx.profile.limit(Limit.RECTIFICATION).days)


def issue(ctx: Ctx, actor: Actor, data: NoticeIn) -> RectificationNotice:
    """One notice to one department about its open violations; they become `notified`."""
    require(actor, Permission.SUPERVISE)
    ids = sorted(set(data.violation_ids))
    found = list(ctx.session.scalars(select(Violation).where(Violation.id.in_(ids))))
    if len(found) != len(ids):
        raise InvalidInput("所选违规事项中有不存在的记录")
    orgs = {v.org_id for v in found}
    if len(orgs) != 1:
        raise InvalidInput("一份整改通知只能针对一个责任单位的违规事项")
    for v in found:
        require(actor, Permission.SUPERVISE, region_path=v.region_path)
        if v.state != ViolationState.OPEN:
            raise InvalidTransition(f"违规事项 {v.id} 不是待处理状态，不能再下发整改通知")
    org_id = found[0].org_id
    _org, path = region_of(ctx, org_id)
    today = ctx.clock.today()
    notice = RectificationNotice(
        org_id=org_id,
        region_path=path,
        authority_org_id=actor.org_id,
        requirements=data.requirements,
        state=NoticeState.ISSUED,
        issued_at=ctx.clock.now(),
        issued_by_id=actor.user_id,
        deadline=deadline_for(ctx, today),
    )
    ctx.session.add(notice)
    ctx.session.flush()
    for v in found:
        v.state = ViolationState.NOTIFIED
        ctx.session.add(NoticeViolation(notice_id=notice.id, violation_id=v.id))
    ctx.session.flush()
    record(ctx, actor, "supervision.notice.issue", "rectification_notice", notice.id,
           detail={"org_id": org_id, "violations": ids, "deadline": notice.deadline})  # fmt: skip
    return notice


def answer(ctx: Ctx, actor: Actor, notice_id: int, data: NoticeAnswerIn) -> RectificationNotice:
    """The department says what it did; it may still answer after the deadline until it is escalated."""
    notice = get_notice(ctx, actor, notice_id)
    require(actor, Permission.RECTIFY)
    if not actor.is_system and actor.org_id != notice.org_id:
        raise Forbidden("只有被通知的部门可以答复整改通知")
    if notice.state not in AWAITING_DEPARTMENT:
        raise InvalidTransition(f"该整改通知当前为“{NOTICE_LABELS[notice.state]}”，不能答复")
    was = notice.state
    notice.state = NoticeState.ANSWERED
    notice.answer = data.answer
    notice.answered_at = ctx.clock.now()
    notice.answered_by_id = actor.user_id
    late = is_overdue(notice.deadline, ctx.clock.today())
    record(ctx, actor, "supervision.notice.answer", "rectification_notice", notice.id,
           detail={"from": was, "to": NoticeState.ANSWERED, "late": late})  # fmt: skip
    return notice


def _decide(ctx: Ctx, actor: Actor, notice_id: int) -> RectificationNotice:
    notice = get_notice(ctx, actor, notice_id)
    require(actor, Permission.SUPERVISE, region_path=notice.region_path)
    if notice.state != NoticeState.ANSWERED:
        raise InvalidTransition(f"该整改通知当前为“{NOTICE_LABELS[notice.state]}”，没有待审核的整改答复")
    return notice


def accept(ctx: Ctx, actor: Actor, notice_id: int, data: NoticeDecisionIn) -> RectificationNotice:
    notice = _decide(ctx, actor, notice_id)
    now = ctx.clock.now()
    notice.state = NoticeState.ACCEPTED
    notice.decision_note = data.note
    notice.decided_at = now
    closed = []
    for v in notice_violations(ctx, notice.id):
        if v.state == ViolationState.NOTIFIED:
            v.state = ViolationState.RECTIFIED
            v.closed_at = now
            v.closing_note = f"整改通知 {notice.id} 整改通过：{data.note}"
            closed.append(v.id)
    record(ctx, actor, "supervision.notice.accept", "rectification_notice", notice.id,
           detail={"to": NoticeState.ACCEPTED, "note": data.note, "rectified": closed})  # fmt: skip
    return notice


def return_answer(ctx: Ctx, actor: Actor, notice_id: int, data: NoticeDecisionIn) -> RectificationNotice:
    notice = _decide(ctx, actor, notice_id)
    notice.state = NoticeState.RETURNED
    notice.decision_note = data.note
    notice.decided_at = ctx.clock.now()
    record(ctx, actor, "supervision.notice.return", "rectification_notice", notice.id,
           detail={"to": NoticeState.RETURNED, "note": data.note})  # fmt: skip
    return notice


def _escalate(ctx: Ctx, actor: Actor, notice: RectificationNotice) -> None:
    government = ctx.profile.bodies.government
    was = notice.state
    notice.state = NoticeState.ESCALATED
    notice.escalated_on = ctx.clock.today()
    notice.escalated_to = government
    for v in notice_violations(ctx, notice.id):
        if v.state == ViolationState.NOTIFIED:
            v.state = ViolationState.ESCALATED
    record(ctx, actor, "supervision.notice.escalate", "rectification_notice", notice.id,
           detail={"from": was, "to": NoticeState.ESCALATED, "deadline": notice.deadline,
                   "government": government})  # fmt: skip


def escalate(ctx: Ctx, actor: Actor, notice_id: int) -> RectificationNotice:
    """By hand: only a notice still waiting for the department after its deadline."""
    notice = get_notice(ctx, actor, notice_id)
    require(actor, Permission.SUPERVISE, region_path=notice.region_path)
    if notice.state not in AWAITING_DEPARTMENT:
        raise InvalidTransition(f"该整改通知当前为“{NOTICE_LABELS[notice.state]}”，不能报告政府")
    if not is_overdue(notice.deadline, ctx.clock.today()):
        raise InvalidTransition(f"整改期限（{notice.deadline.isoformat()}）未到，不能报告政府")
    _escalate(ctx, actor, notice)
    return notice


def escalate_overdue(ctx: Ctx, actor: Actor | None = None) -> list[RectificationNotice]:
    """The job: every notice still waiting for the department after its deadline is escalated, once."""
    actor = actor or system_actor("rectification-escalation")
    require(actor, Permission.SUPERVISE)
    stmt = select(RectificationNotice).where(
        RectificationNotice.state.in_(AWAITING_DEPARTMENT),
        RectificationNotice.deadline < ctx.clock.today(),
    )
    if not actor.is_system:
        stmt = stmt.where(RectificationNotice.region_path.startswith(actor.region_path or "\x00"))
    late = list(ctx.session.scalars(stmt.order_by(RectificationNotice.id)))
    for notice in late:
        _escalate(ctx, actor, notice)
    return late


def work_items(ctx: Ctx, actor: Actor) -> list[WorkItem]:
    """The dashboard's share of rectification: notices to answer (the department), answers to review."""
    items = []
    if can(actor, Permission.RECTIFY) and actor.org_id is not None:
        for notice in ctx.session.scalars(
            select(RectificationNotice).where(
                RectificationNotice.org_id == actor.org_id, RectificationNotice.state.in_(AWAITING_DEPARTMENT)
            )
        ):
            items.append(WorkItem("整改通知待答复", f"整改通知 {notice.id}", f"/supervision/notices/{notice.id}",
                                  due_of(ctx, notice.deadline)))  # fmt: skip
    if can(actor, Permission.SUPERVISE) and actor.region_path:
        for notice in ctx.session.scalars(
            select(RectificationNotice).where(
                RectificationNotice.state == NoticeState.ANSWERED,
                RectificationNotice.region_path.startswith(actor.region_path, autoescape=True),
            )
        ):
            items.append(WorkItem("整改答复待审核", f"整改通知 {notice.id}", f"/supervision/notices/{notice.id}", None))
    return items
