"""Use cases of reconciliation (QUAL-3): the authority opens a case on a disagreement, the providers settle
it, and what they cannot settle goes back to the authority (AB26: providers → authority → government)."""

from __future__ import annotations

from sqlalchemy import or_, select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.pool import consistency
from govdata.pool.models import Pool
from govdata.profiles.schema import Limit
from govdata.quality.models import CaseState, ReconciliationCase
from govdata.quality.schemas import (
    EscalateCaseIn,
    GovernmentDecisionIn,
    GovernmentReferIn,
    OpenCaseIn,
    ResolveCaseIn,
)

CASE_STATE_LABELS = {
    CaseState.OPEN: "协商核实中",
    CaseState.ESCALATED: "已提请主管机构裁定",
    CaseState.GOVERNMENT: "已报请政府决定",
    CaseState.RESOLVED: "已核实",
}


def open_case(ctx: Ctx, actor: Actor, data: OpenCaseIn) -> ReconciliationCase:
    shared = consistency.find_shared(ctx, actor, data.pool_a_id, data.field_a, data.pool_b_id, data.field_b)
    subject = data.subject_id.upper()
    value_a = consistency.value_for(ctx, shared.pool_a, shared.field_a, subject)
    value_b = consistency.value_for(ctx, shared.pool_b, shared.field_b, subject)
    if value_a is None or value_b is None:
        raise InvalidInput("两个资源池中须都有该主体的这一信息项，才能发起协商核实")
    if value_a == value_b:
        raise InvalidInput("两个资源池的这一信息项一致，无需协商核实")
    existing = ctx.session.execute(
        select(ReconciliationCase.id).where(
            ReconciliationCase.subject_id == subject,
            ReconciliationCase.item_key == shared.key,
            ReconciliationCase.pool_a_id.in_([shared.pool_a.id, shared.pool_b.id]),
            ReconciliationCase.pool_b_id.in_([shared.pool_a.id, shared.pool_b.id]),
            ReconciliationCase.state != CaseState.RESOLVED,
        )
    ).first()
    if existing:
        raise InvalidInput(f"该主体的“{shared.key}”已有未办结的协商核实（编号 {existing[0]}）")
    case = ReconciliationCase(
        subject_id=subject,
        item_key=shared.key,
        region_path=_common_region(shared.pool_a, shared.pool_b),
        pool_a_id=shared.pool_a.id,
        field_a=shared.field_a,
        value_a=value_a,
        org_a_id=shared.pool_a.org_id,
        pool_b_id=shared.pool_b.id,
        field_b=shared.field_b,
        value_b=value_b,
        org_b_id=shared.pool_b.org_id,
        state=CaseState.OPEN,
        due_date=ctx.calendar.add_workdays(ctx.clock.today(), ctx.profile.limit(Limit.RECONCILIATION).days),
        opened_by_id=actor.user_id,
        opened_at=ctx.clock.now(),
        note=data.note,
    )
    ctx.session.add(case)
    ctx.session.flush()
    record(ctx, actor, "reconciliation.open", "reconciliation_case", case.id,
           detail={"subject": subject, "item": shared.key, "due": case.due_date})  # fmt: skip
    return case


def _common_region(a: Pool, b: Pool) -> str:
    """The lowest level that supervises both providers: the case belongs to that authority and those above."""
    paths = [p.resource.region_path if p.resource else "" for p in (a, b)]
    parts_a, parts_b = paths[0].split("/"), paths[1].split("/")
    common = []
    for x, y in zip(parts_a, parts_b, strict=False):
        if x != y or not x:
            break
        common.append(x)
    return "/".join(common) + "/" if common else ""


def get_case(ctx: Ctx, actor: Actor, case_id: int) -> ReconciliationCase:
    require(actor, Permission.POOL_READ)
    case = ctx.session.get(ReconciliationCase, case_id)
    if case is None or not _involved(actor, case):
        raise NotFound(f"协商核实 {case_id} 不存在或无权查看")
    return case


def _involved(actor: Actor, case: ReconciliationCase) -> bool:
    if actor.is_system:
        return True
    if actor.org_id in (case.org_a_id, case.org_b_id):
        return True
    return actor.is_authority and case.region_path.startswith(actor.region_path or "-")


def list_cases(ctx: Ctx, actor: Actor) -> list[ReconciliationCase]:
    require(actor, Permission.POOL_READ)
    stmt = select(ReconciliationCase).order_by(ReconciliationCase.id.desc())
    if not actor.is_system:
        scope = [ReconciliationCase.org_a_id == actor.org_id, ReconciliationCase.org_b_id == actor.org_id]
        if actor.is_authority and actor.region_path:
            scope.append(ReconciliationCase.region_path.startswith(actor.region_path, autoescape=True))
        stmt = stmt.where(or_(*scope))
    return list(ctx.session.execute(stmt).scalars())


def resolve_case(ctx: Ctx, actor: Actor, case_id: int, data: ResolveCaseIn) -> ReconciliationCase:
    """A provider (while open) or the authority (at any time) records the verified value."""
    case = get_case(ctx, actor, case_id)
    if case.state == CaseState.RESOLVED:
        raise InvalidTransition("该协商核实已办结")
    if case.state == CaseState.GOVERNMENT:
        raise InvalidTransition("已报请政府决定：请登记政府的决定")
    if case.state == CaseState.ESCALATED and not actor.is_authority:
        raise Forbidden("已提请主管机构裁定，由数据主管机构办结")
    _check_handler(actor)
    case.state = CaseState.RESOLVED
    case.correct_value = data.correct_value
    case.resolution = data.resolution
    case.resolved_by_id = actor.user_id
    case.resolved_at = ctx.clock.now()
    record(ctx, actor, "reconciliation.resolve", "reconciliation_case", case.id,
           detail={"correct_value": data.correct_value})  # fmt: skip
    return case


def escalate_case(ctx: Ctx, actor: Actor, case_id: int, data: EscalateCaseIn) -> ReconciliationCase:
    case = get_case(ctx, actor, case_id)
    _check_handler(actor)
    if case.state != CaseState.OPEN:
        raise InvalidTransition(f"当前状态为“{CASE_STATE_LABELS[case.state]}”，不能提请裁定")
    case.state = CaseState.ESCALATED
    case.note = ((case.note + "\n") if case.note else "") + f"提请裁定：{data.reason}"
    record(
        ctx, actor, "reconciliation.escalate", "reconciliation_case", case.id, detail={"reason": data.reason}
    )
    return case


def refer_to_government(ctx: Ctx, actor: Actor, case_id: int, data: GovernmentReferIn) -> ReconciliationCase:
    """AB26's last step: what the authority cannot settle goes to the government of the level."""
    case = get_case(ctx, actor, case_id)
    if not (actor.is_system or actor.is_authority):
        raise Forbidden("由数据主管机构报请同级人民政府决定")
    if case.state != CaseState.ESCALATED:
        raise InvalidTransition(
            f"当前状态为“{CASE_STATE_LABELS[case.state]}”：须先提请主管机构裁定，才能报请政府决定"
        )
    case.state = CaseState.GOVERNMENT
    case.referred_at, case.referred_by_id = ctx.clock.now(), actor.user_id
    case.note = ((case.note + "\n") if case.note else "") + f"报请政府决定：{data.reason}"
    record(ctx, actor, "reconciliation.refer", "reconciliation_case", case.id,
           detail={"from": CaseState.ESCALATED, "to": CaseState.GOVERNMENT, "reason": data.reason})  # fmt: skip
    return case


def record_government_decision(
    ctx: Ctx, actor: Actor, case_id: int, data: GovernmentDecisionIn
) -> ReconciliationCase:
    """The authority records who in the government decided, when, and what; the case is then resolved."""
    case = get_case(ctx, actor, case_id)
    if not (actor.is_system or actor.is_authority):
        raise Forbidden("由数据主管机构登记政府的决定")
    if case.state != CaseState.GOVERNMENT:
        raise InvalidTransition(f"当前状态为“{CASE_STATE_LABELS[case.state]}”，没有待登记的政府决定")
    if data.decided_on > ctx.clock.today():
        raise InvalidInput("决定日期不能晚于今天")
    if case.referred_at is not None and data.decided_on < case.referred_at.date():
        raise InvalidInput("决定日期不能早于报请政府决定的日期")
    case.state = CaseState.RESOLVED
    case.government_decision, case.government_decided_by = data.decision, data.decided_by
    case.government_decided_on = data.decided_on
    case.correct_value = data.correct_value
    case.resolution = f"政府决定（{data.decided_by}，{data.decided_on.isoformat()}）：{data.decision}"
    case.resolved_by_id, case.resolved_at = actor.user_id, ctx.clock.now()
    record(ctx, actor, "reconciliation.government_decision", "reconciliation_case", case.id,
           detail={"from": CaseState.GOVERNMENT, "to": CaseState.RESOLVED, "decided_by": data.decided_by,
                   "decided_on": data.decided_on, "correct_value": data.correct_value})  # fmt: skip
    return case


def _check_handler(actor: Actor) -> None:
    if not (actor.is_system or actor.is_authority or Permission.POOL_LOAD in actor.permissions):
        raise Forbidden("由提供数据的部门数据专员或数据主管机构办理")


def pools_of(ctx: Ctx, case: ReconciliationCase) -> tuple[Pool, Pool]:
    a, b = ctx.session.get(Pool, case.pool_a_id), ctx.session.get(Pool, case.pool_b_id)
    assert a is not None and b is not None
    return a, b
