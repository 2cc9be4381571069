"""Disputes about an entry's sharing attribute (SHARE-9, AB24): departments → authority → government.

The departments negotiate first (the provider answers); either may take it to the authority, which decides or
refers it to the government; the authority records the government's decision. Each step is kept with its note.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, in_jurisdiction, require
from govdata.catalog.service import get_resource
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.labels import SHARE_TYPE
from govdata.profiles.schema import Limit
from govdata.sharing.models import CaseLevel, DisputeStep, ShareDispute
from govdata.sharing.schemas import DisputeActIn, DisputeIn
from govdata.sharing.service import published_version
from govdata.sharing.workflow import LEVEL_LABELS

NEXT_LEVEL = {CaseLevel.DEPARTMENTS: CaseLevel.AUTHORITY, CaseLevel.AUTHORITY: CaseLevel.GOVERNMENT}


def raise_dispute(ctx: Ctx, actor: Actor, data: DisputeIn) -> ShareDispute:
    require(actor, Permission.SHARE_REQUEST)
    resource = get_resource(ctx.session, data.resource_id)
    version = published_version(ctx, resource)
    if actor.org_id is None or actor.org_id == resource.org_id:
        raise InvalidInput("对共享属性有异议的应是使用数据的部门，而不是提供部门本身")
    if data.claimed_share_type == version.share_type.value:
        raise InvalidInput(f"该目录条目已是“{SHARE_TYPE[version.share_type]}”，无需提出异议")
    open_one = ctx.session.execute(
        select(ShareDispute.id).where(
            ShareDispute.resource_id == resource.id,
            ShareDispute.raised_by_org_id == actor.org_id,
            ShareDispute.level != CaseLevel.DECIDED,
        )
    ).first()
    if open_one:
        raise InvalidInput(f"本单位对该条目已有未办结的异议（编号 {open_one[0]}）")
    dispute = ShareDispute(
        resource_id=resource.id,
        region_path=resource.region_path,
        raised_by_org_id=actor.org_id,
        provider_org_id=resource.org_id,
        current_share_type=version.share_type.value,
        claimed_share_type=data.claimed_share_type,
        argument=data.argument,
        level=CaseLevel.DEPARTMENTS,
        due_date=ctx.calendar.add_workdays(ctx.clock.today(), ctx.profile.limit(Limit.SHARE_ANSWER).days),
        created_at=ctx.clock.now(),
    )
    _step(ctx, actor, dispute, "raise", data.argument)
    ctx.session.add(dispute)
    ctx.session.flush()
    record(ctx, actor, "share.dispute.raise", "share_dispute", dispute.id,
           detail={"resource": resource.code, "claimed": data.claimed_share_type})  # fmt: skip
    return dispute


def _step(
    ctx: Ctx, actor: Actor, dispute: ShareDispute, action: str, note: str, decision: str | None = None
) -> None:
    dispute.steps.append(
        DisputeStep(
            level=dispute.level.value,
            action=action,
            decision=decision,
            note=note,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            at=ctx.clock.now(),
        )
    )


def get_dispute(ctx: Ctx, actor: Actor, dispute_id: int) -> ShareDispute:
    require(actor, Permission.SHARE_READ)
    dispute = ctx.session.get(ShareDispute, dispute_id)
    if dispute is None or not _involved(actor, dispute):
        raise NotFound(f"共享属性异议 {dispute_id} 不存在或无权查看")
    return dispute


def _involved(actor: Actor, dispute: ShareDispute) -> bool:
    if actor.is_system or actor.org_id in (dispute.raised_by_org_id, dispute.provider_org_id):
        return True
    return actor.is_authority and in_jurisdiction(actor, dispute.region_path)


def list_disputes(ctx: Ctx, actor: Actor) -> list[ShareDispute]:
    require(actor, Permission.SHARE_READ)
    stmt = select(ShareDispute).order_by(ShareDispute.id.desc())
    if not actor.is_system:
        scope = [ShareDispute.raised_by_org_id == actor.org_id, ShareDispute.provider_org_id == actor.org_id]
        if actor.is_authority and actor.region_path:
            scope.append(ShareDispute.region_path.startswith(actor.region_path, autoescape=True))
        stmt = stmt.where(or_(*scope))
    return list(ctx.session.execute(stmt.limit(500)).scalars())


def act(ctx: Ctx, actor: Actor, dispute_id: int, data: DisputeActIn) -> ShareDispute:
    dispute = get_dispute(ctx, actor, dispute_id)
    if dispute.level == CaseLevel.DECIDED:
        raise InvalidTransition("该异议已有决定")
    if data.action == "answer":
        if dispute.level != CaseLevel.DEPARTMENTS:
            raise InvalidTransition(f"异议已进入“{LEVEL_LABELS[dispute.level]}”阶段，提供部门不再单独答复")
        require(actor, Permission.SHARE_ANSWER, org_id=dispute.provider_org_id)
        _step(ctx, actor, dispute, "answer", data.note)
    elif data.action == "withdraw":
        require(actor, Permission.SHARE_REQUEST, org_id=dispute.raised_by_org_id)
        dispute.outcome = f"异议方接受答复，撤回异议。{data.note}"
        _step(ctx, actor, dispute, "withdraw", data.note)
        dispute.level, dispute.due_date = CaseLevel.DECIDED, None
    elif data.action == "escalate":
        _may_escalate(actor, dispute)
        dispute.level = NEXT_LEVEL[dispute.level]
        dispute.due_date = ctx.calendar.add_workdays(
            ctx.clock.today(), ctx.profile.limit(Limit.SHARE_COORDINATION).days
        )
        _step(ctx, actor, dispute, "escalate", data.note)
    else:
        require(actor, Permission.SHARE_COORDINATE, region_path=dispute.region_path)
        if dispute.level not in (CaseLevel.AUTHORITY, CaseLevel.GOVERNMENT):
            raise InvalidTransition("部门间协商阶段由部门答复；协商不成再提请数据主管机构决定")
        if data.decision is None:
            raise InvalidInput("请选择决定的共享属性")
        who = (
            "同级人民政府决定（由数据主管机构登记）"
            if dispute.level == CaseLevel.GOVERNMENT
            else "数据主管机构决定"
        )
        _step(ctx, actor, dispute, "decide", data.note, data.decision)
        from govdata.catalog.models import ShareType

        dispute.outcome = f"{who}：{SHARE_TYPE[ShareType(data.decision)]}。{data.note}"
        dispute.level = CaseLevel.DECIDED
        dispute.due_date = None
    record(ctx, actor, f"share.dispute.{data.action}", "share_dispute", dispute.id,
           detail={"level": dispute.level.value, "decision": data.decision, "note": data.note})  # fmt: skip
    return dispute


def _may_escalate(actor: Actor, dispute: ShareDispute) -> None:
    if dispute.level == CaseLevel.DEPARTMENTS:
        require(actor, Permission.SHARE_REQUEST)
        if not actor.is_system and actor.org_id not in (dispute.raised_by_org_id, dispute.provider_org_id):
            raise Forbidden("由异议双方之一提请数据主管机构")
    elif dispute.level == CaseLevel.AUTHORITY:
        require(actor, Permission.SHARE_COORDINATE, region_path=dispute.region_path)
    else:
        raise InvalidTransition("已报请同级人民政府决定，不能再上报")
