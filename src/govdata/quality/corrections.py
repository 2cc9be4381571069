"""Correction requests (校核申请) of data subjects about records held on them (QUAL-1, QUAL-2, QUAL-4).

- AB20: filed with the collecting body, verified within the profile's `correction_answer` (AB20 5 working days,
  extendable to 10 with the head's approval; WZ17 10 + 10). Filed with the authority instead, it is forwarded
  within `correction_forward` (AB20: 2 working days); the department's time starts when it receives it.
- AB22 (QUAL-4): the subject may also ask for deletion; the result is corrected, deleted or not corrected (with
  reason and basis), told to the requester on their page.
- WZ17 (QUAL-2): while pending the record carries a 核实中 mark (pool views, the exchange), so business that
  relies on it goes on knowing the value is being verified; whether valid proof was shown is recorded.
- A correction made flows into the pool, the base databases and consumers (pool.amend).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select

from govdata.audit.service import record, record_late_once
from govdata.authz import Actor, Permission, can, in_jurisdiction, require, system_actor
from govdata.catalog.models import Resource
from govdata.catalog.queries import WorkItem, due_of
from govdata.context import Ctx
from govdata.deadlines import is_overdue
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization, OrgKind, User
from govdata.pool import amend
from govdata.pool.models import Pool
from govdata.pool.tables import SUBJECT
from govdata.profiles.schema import Limit
from govdata.quality.models import (
    PENDING_STATES,
    CorrectionKind,
    CorrectionRequest,
    CorrectionState,
    FiledWith,
)
from govdata.quality.schemas import CorrectionAnswerIn, CorrectionExtendIn, CorrectionIn, ForwardIn

S = CorrectionState
STATE_LABELS = {
    S.AT_AUTHORITY: "待主管机构转交",
    S.PENDING: "核实中",
    S.CORRECTED: "已更正",
    S.DELETED: "已删除",
    S.NOT_CORRECTED: "不予更正",
}
KIND_LABELS = {CorrectionKind.CORRECT: "更正", CorrectionKind.DELETE: "删除"}
FILED_LABELS = {FiledWith.DEPARTMENT: "向归集部门提出", FiledWith.AUTHORITY: "向数据主管机构提出"}

# The workflow (DESIGN rule 2): (state, move) → next state. Anything else is an InvalidTransition.
TRANSITIONS: dict[tuple[CorrectionState, str], CorrectionState] = {
    (S.AT_AUTHORITY, "forward"): S.PENDING,
    (S.PENDING, "extend"): S.PENDING,
    (S.PENDING, "corrected"): S.CORRECTED,
    (S.PENDING, "deleted"): S.DELETED,
    (S.PENDING, "not_corrected"): S.NOT_CORRECTED,
}


def _move(req: CorrectionRequest, move: str) -> CorrectionState:
    target = TRANSITIONS.get((req.state, move))
    if target is None:
        raise InvalidTransition(f"校核申请当前为“{STATE_LABELS[req.state]}”，不能进行此项操作")
    return target


def subject_of(ctx: Ctx, actor: Actor) -> str:
    """The identifier the logged-in person's records are held under (checked when the account was made)."""
    user = ctx.session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.subject_id:
        raise Forbidden("您的账号未登记身份证号码或统一社会信用代码，无法查询或申请校核本人数据")
    return user.subject_id.upper()


def _pool_of(ctx: Ctx, resource_id: int) -> Pool:
    pool = ctx.session.execute(select(Pool).where(Pool.resource_id == resource_id)).scalar_one_or_none()
    if pool is None:
        raise NotFound("该目录条目没有归集数据")
    return pool


def _pending_same(ctx: Ctx, pool_id: int, row_id: int, field: str | None) -> int | None:
    """A pending request on the same record and item (a deletion clashes with anything on the record)."""
    stmt = select(CorrectionRequest.id).where(
        CorrectionRequest.pool_id == pool_id,
        CorrectionRequest.row_id == row_id,
        CorrectionRequest.state.in_(PENDING_STATES),
    )
    if field is not None:
        stmt = stmt.where(or_(CorrectionRequest.field_name == field, CorrectionRequest.field_name.is_(None)))
    found = ctx.session.execute(stmt.limit(1)).first()
    return int(found[0]) if found else None


def file(ctx: Ctx, actor: Actor, data: CorrectionIn) -> CorrectionRequest:
    require(actor, Permission.CORRECTION_FILE)
    subject = subject_of(ctx, actor)
    resource = ctx.session.get(Resource, data.resource_id)
    if resource is None:
        raise NotFound("该目录条目不存在")
    pool = _pool_of(ctx, resource.id)
    row = amend.read_row(ctx, pool, data.row_id) if pool.subject_field else None
    if row is None or str(row[SUBJECT] or "").upper() != subject:
        raise NotFound("该记录不存在，或不是关于您本人的记录：只能对载有您本人身份标识的记录提出校核申请")
    kind = CorrectionKind(data.kind)
    field, label, current, proposed = None, None, None, None
    if kind == CorrectionKind.CORRECT:
        if not data.field_name:
            raise InvalidInput("请选择有误的信息项")
        column = next((c for c in pool.columns if c.field_name == data.field_name and not c.retired), None)
        if column is None:
            raise InvalidInput(f"该记录没有信息项“{data.field_name}”")
        if column.field_name == pool.subject_field:
            raise InvalidInput("身份标识本身不能在此更正：请持证明材料到归集部门办理")
        if not data.proposed_value:
            raise InvalidInput("请填写该信息项应当的值")
        field, label = column.field_name, column.label
        current, proposed = amend.as_text(row.get(field)), data.proposed_value
        if current == proposed:
            raise InvalidInput(f"您填写的值与记录中的“{label}”相同，无需更正")
    duplicate = _pending_same(ctx, pool.id, data.row_id, field)
    if duplicate is not None:
        raise Conflict(f"您对这条记录{('的“' + label + '”') if label else ''}已有未办结的校核申请（编号 {duplicate}），"
                       "请等待答复，不要重复提交")  # fmt: skip
    today = ctx.clock.today()
    with_authority = data.filed_with == FiledWith.AUTHORITY.value
    req = CorrectionRequest(
        requester_id=actor.user_id, subject_id=subject, resource_id=resource.id, pool_id=pool.id,
        row_id=data.row_id, org_id=pool.org_id, region_path=resource.region_path, kind=kind,
        field_name=field, item_label=label, current_value=current, proposed_value=proposed,
        problem=data.problem, reason=data.reason, proof_shown=data.proof_shown,
        filed_with=FiledWith(data.filed_with), state=S.AT_AUTHORITY if with_authority else S.PENDING,
        created_at=ctx.clock.now(),
    )  # fmt: skip
    if with_authority:
        req.forward_due = ctx.calendar.add_workdays(today, ctx.profile.limit(Limit.CORRECTION_FORWARD).days)
    else:
        req.received_on = today
        req.due_date = ctx.calendar.add_workdays(today, ctx.profile.limit(Limit.CORRECTION_ANSWER).days)
    ctx.session.add(req)
    ctx.session.flush()
    record(ctx, actor, "quality.correction.file", "correction_request", req.id,
           detail={"to": req.state, "kind": kind, "resource": resource.id, "row": data.row_id, "field": field,
                   "filed_with": data.filed_with, "proof_shown": data.proof_shown,
                   "due": req.due_date, "forward_due": req.forward_due})  # fmt: skip
    return req


def may_see(actor: Actor, req: CorrectionRequest) -> bool:
    if actor.is_system or req.requester_id == actor.user_id:
        return True
    if can(actor, Permission.CORRECTION_ANSWER) and actor.org_id == req.org_id:
        return True
    return can(actor, Permission.CORRECTION_FORWARD) and in_jurisdiction(actor, req.region_path)


def get(ctx: Ctx, actor: Actor, request_id: int) -> CorrectionRequest:
    if not any(can(actor, p) for p in (Permission.CORRECTION_FILE, Permission.CORRECTION_ANSWER,
                                       Permission.CORRECTION_FORWARD)):  # fmt: skip
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")
    req = ctx.session.get(CorrectionRequest, request_id)
    if req is None or not may_see(actor, req):
        raise NotFound(f"校核申请 {request_id} 不存在，或无权查看")
    return req


def forward(ctx: Ctx, actor: Actor, request_id: int, data: ForwardIn) -> CorrectionRequest:
    """The authority hands a request filed with it to the collecting department (AB20: within 2 working days)."""
    require(actor, Permission.CORRECTION_FORWARD)
    req = get(ctx, actor, request_id)
    if not in_jurisdiction(actor, req.region_path):
        raise Forbidden("只能转交本级及下级的校核申请")
    target = _move(req, "forward")
    org = ctx.session.get(Organization, data.org_id)
    if org is None or org.kind not in (OrgKind.DEPARTMENT, OrgKind.OPERATOR):
        raise InvalidInput("请选择负责归集该数据的政务部门或公共服务运营单位")
    today = ctx.clock.today()
    late = is_overdue(req.forward_due, today)
    req.state, req.org_id = target, org.id
    req.forwarded_at, req.forwarded_by_id, req.received_on = ctx.clock.now(), actor.user_id, today
    req.due_date = ctx.calendar.add_workdays(today, ctx.profile.limit(Limit.CORRECTION_ANSWER).days)
    record(ctx, actor, "quality.correction.forward", "correction_request", req.id,
           detail={"from": S.AT_AUTHORITY, "to": target, "org_id": org.id, "note": data.note, "late": late,
                   "due": req.due_date})  # fmt: skip
    return req


def _as_answerer(ctx: Ctx, actor: Actor, request_id: int) -> CorrectionRequest:
    require(actor, Permission.CORRECTION_ANSWER)
    req = get(ctx, actor, request_id)
    if not actor.is_system and actor.org_id != req.org_id:
        raise Forbidden("只有受理该申请的归集部门可以办理")
    return req


def extend(ctx: Ctx, actor: Actor, request_id: int, data: CorrectionExtendIn) -> CorrectionRequest:
    """Once, before the due date passes, up to the profile's days, with the head's approval on record (AB20)."""
    req = _as_answerer(ctx, actor, request_id)
    _move(req, "extend")
    limit = ctx.profile.limit(Limit.CORRECTION_ANSWER)
    if not limit.extension_days:
        raise InvalidInput("本地办法未规定可以延期，须在期限内答复")
    if req.extended_at is not None:
        raise Conflict(f"该申请已于 {req.extended_at.date().isoformat()} 延期一次，不能再次延期")
    today = ctx.clock.today()
    if is_overdue(req.due_date, today):
        raise InvalidInput(f"校核期限（{req.due_date}）已过，不能再延期，请尽快答复")
    if data.days > limit.extension_days:
        raise InvalidInput(
            f"最多可延长 {limit.extension_days} 个工作日（{limit.extension_requires or '经批准'}）"
        )
    approved_on = data.approved_on or today
    if approved_on > today:
        raise InvalidInput("批准日期不能晚于今天")
    old = req.due_date
    assert old is not None
    req.due_date = ctx.calendar.add_workdays(old, data.days)
    req.extended_at, req.extension_days, req.extension_reason = ctx.clock.now(), data.days, data.reason
    req.extension_approved_by, req.extension_approved_on = data.approved_by, approved_on
    record(ctx, actor, "quality.correction.extend", "correction_request", req.id,
           detail={"from_due": old, "to_due": req.due_date, "days": data.days, "reason": data.reason,
                   "approved_by": data.approved_by, "approved_on": approved_on})  # fmt: skip
    return req


def answer(ctx: Ctx, actor: Actor, request_id: int, data: CorrectionAnswerIn) -> CorrectionRequest:
    """The verified result; a correction or deletion is applied in the same transaction (pool.amend)."""
    req = _as_answerer(ctx, actor, request_id)
    target = _move(req, data.result)
    pool = ctx.session.get(Pool, req.pool_id)
    assert pool is not None
    applies = target in (S.CORRECTED, S.DELETED)
    if applies and not actor.is_system and pool.org_id != actor.org_id:
        raise InvalidInput("该记录由其他部门归集，本部门不能修改；请答复“不予更正”并说明应向哪个部门申请")
    if target == S.CORRECTED:
        if req.kind != CorrectionKind.CORRECT or req.field_name is None:
            raise InvalidInput("这是删除申请：请答复“已删除”或“不予更正”")
        if not data.value:
            raise InvalidInput("请填写核实后的正确值")
    if target == S.NOT_CORRECTED and len(data.answer) < 5:
        raise InvalidInput("不予更正须写明理由和依据")
    if applies:
        source = f"校核申请 {req.id}（{KIND_LABELS[req.kind]}）"
        field = req.field_name if target == S.CORRECTED else None
        req.applied_batch_id = amend.amend(ctx, actor, pool, req.row_id, field=field, value=data.value,
                                           source=source)  # fmt: skip
    late = is_overdue(req.due_date, ctx.clock.today())
    before = req.state
    req.state = target
    req.result_value = data.value if target == S.CORRECTED else None
    req.answer, req.answered_by_id, req.answered_at = data.answer, actor.user_id, ctx.clock.now()
    record(ctx, actor, "quality.correction.answer", "correction_request", req.id,
           detail={"from": before, "to": target, "value": req.result_value, "late": late,
                   "batch": req.applied_batch_id})  # fmt: skip
    return req


def sweep(ctx: Ctx, actor: Actor | None = None) -> int:
    """Late forwarding and late answers, each flagged once as a possible violation (SUP-4)."""
    actor = actor or system_actor("correction-sweep")
    require(actor, Permission.SUPERVISE)
    late_forward = record_late_once(
        ctx, actor,
        select(CorrectionRequest).where(CorrectionRequest.state == S.AT_AUTHORITY).order_by(CorrectionRequest.id),
        CorrectionRequest.forward_due, CorrectionRequest.forward_flagged_at, "quality.correction.forward_overdue",
        lambda r: {"due": r.forward_due, "region_path": r.region_path, "org_id": r.org_id},
    )  # fmt: skip
    late_answer = record_late_once(
        ctx, actor,
        select(CorrectionRequest).where(CorrectionRequest.state == S.PENDING).order_by(CorrectionRequest.id),
        CorrectionRequest.due_date, CorrectionRequest.overdue_flagged_at, "quality.correction.overdue",
        lambda r: {"due": r.due_date, "org_id": r.org_id, "resource": r.resource_id},
    )  # fmt: skip
    return len(late_forward) + len(late_answer)


# ---------------------------------------------------------------- listings and the 核实中 mark


def mine(ctx: Ctx, actor: Actor) -> list[CorrectionRequest]:
    require(actor, Permission.CORRECTION_FILE)
    if actor.user_id is None:
        return []
    stmt = select(CorrectionRequest).where(CorrectionRequest.requester_id == actor.user_id)
    return list(ctx.session.scalars(stmt.order_by(CorrectionRequest.id.desc())))


def inbox(ctx: Ctx, actor: Actor) -> list[CorrectionRequest]:
    """The department's requests: pending by due date, then the latest answered."""
    require(actor, Permission.CORRECTION_ANSWER)
    own = select(CorrectionRequest).where(CorrectionRequest.org_id == actor.org_id)
    pending = ctx.session.scalars(
        own.where(CorrectionRequest.state == S.PENDING).order_by(
            CorrectionRequest.due_date, CorrectionRequest.id
        )
    ).all()
    done = ctx.session.scalars(
        own.where(CorrectionRequest.state.not_in(PENDING_STATES))
        .order_by(CorrectionRequest.id.desc())
        .limit(50)
    ).all()
    return [*pending, *done]


def of_level(ctx: Ctx, actor: Actor, limit: int = 300) -> list[CorrectionRequest]:
    """The authority's view: requests to forward first, then every request of its level and below."""
    require(actor, Permission.CORRECTION_FORWARD)
    stmt = select(CorrectionRequest)
    if not actor.is_system:
        stmt = stmt.where(
            CorrectionRequest.region_path.startswith(actor.region_path or "\x00", autoescape=True)
        )
    rows = list(ctx.session.scalars(stmt.order_by(CorrectionRequest.id.desc()).limit(limit)))
    return sorted(rows, key=lambda r: r.state != S.AT_AUTHORITY)


def under_verification(ctx: Ctx, resource_id: int, subjects: Iterable[str]) -> set[str]:
    """Which of these subjects have a pending request on the entry (one indexed query)."""
    wanted = [s for s in subjects if s]
    if not wanted:
        return set()
    rows = ctx.session.execute(
        select(CorrectionRequest.subject_id).where(
            CorrectionRequest.resource_id == resource_id,
            CorrectionRequest.state.in_(PENDING_STATES),
            CorrectionRequest.subject_id.in_(wanted),
        )
    ).scalars()
    return set(rows)


def pending_rows(ctx: Ctx, subject_id: str) -> dict[tuple[int, int], CorrectionRequest]:
    """(pool, row) → a pending request of this subject: the 核实中 mark on the subject's own page."""
    rows = ctx.session.scalars(
        select(CorrectionRequest).where(
            CorrectionRequest.subject_id == subject_id, CorrectionRequest.state.in_(PENDING_STATES)
        )
    )
    return {(r.pool_id, r.row_id): r for r in rows}


def work_items(ctx: Ctx, actor: Actor) -> list[WorkItem]:
    """The dashboard's share of corrections: to answer (the collecting department), to forward (the authority)."""
    items = []
    if can(actor, Permission.CORRECTION_ANSWER) and actor.org_id is not None:
        for req in ctx.session.scalars(
            select(CorrectionRequest)
            .where(CorrectionRequest.org_id == actor.org_id, CorrectionRequest.state == S.PENDING)
            .order_by(CorrectionRequest.due_date)
        ):
            items.append(WorkItem("校核申请待答复", f"校核申请 {req.id}（{req.item_label or KIND_LABELS[req.kind]}）",
                                  f"/corrections/{req.id}", due_of(ctx, req.due_date)))  # fmt: skip
    if can(actor, Permission.CORRECTION_FORWARD) and actor.region_path:
        for req in ctx.session.scalars(
            select(CorrectionRequest).where(
                CorrectionRequest.state == S.AT_AUTHORITY,
                CorrectionRequest.region_path.startswith(actor.region_path, autoescape=True),
            )
        ):
            items.append(WorkItem("校核申请待转交", f"校核申请 {req.id}", f"/corrections/{req.id}",
                                  due_of(ctx, req.forward_due)))  # fmt: skip
    return items
