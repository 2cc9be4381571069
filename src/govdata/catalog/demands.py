"""CAT-6: the demand list — what departments need from others, aggregated and answered by the authority."""

from __future__ import annotations

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import Demand, DemandState, Resource
from govdata.catalog.schemas import DemandAnswerIn, DemandIn
from govdata.context import Ctx
from govdata.errors import InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization, OrgKind
from govdata.profiles.schema import Limit

DEMAND_STATE_LABELS: dict[DemandState, str] = {
    DemandState.OPEN: "待答复",
    DemandState.MATCHED: "已匹配现有资源",
    DemandState.ASSIGNED: "已交由部门采集",
    DemandState.REJECTED: "不予支持",
}


def create_demand(ctx: Ctx, actor: Actor, data: DemandIn) -> Demand:
    require(actor, Permission.DEMAND_CREATE)
    org = ctx.session.get(Organization, actor.org_id) if actor.org_id else None
    if org is None:
        raise InvalidInput("只有政务部门可以提出数据需求")
    demand = Demand(
        org_id=org.id,
        region_path=org.region.path,
        title=data.title,
        description=data.description,
        wanted_items=data.wanted_items,
        purpose=data.purpose,
        state=DemandState.OPEN,
        due_date=ctx.calendar.add_workdays(ctx.clock.today(), ctx.profile.limit(Limit.DEMAND_ANSWER).days),
        created_by_id=actor.user_id,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(demand)
    ctx.session.flush()
    record(ctx, actor, "demand.create", "catalog_demand", demand.id, detail={"title": data.title})
    return demand


def get_demand(ctx: Ctx, actor: Actor, demand_id: int) -> Demand:
    demand = ctx.session.get(Demand, demand_id)
    if demand is None:
        raise NotFound(f"需求 {demand_id} 不存在")
    if actor.org_id != demand.org_id:
        require(actor, Permission.DEMAND_MANAGE, region_path=demand.region_path, hide=True)
    return demand


def answer_demand(ctx: Ctx, actor: Actor, demand_id: int, data: DemandAnswerIn) -> Demand:
    demand = ctx.session.get(Demand, demand_id)
    if demand is None:
        raise NotFound(f"需求 {demand_id} 不存在")
    require(actor, Permission.DEMAND_MANAGE, region_path=demand.region_path)
    if demand.state != DemandState.OPEN:
        raise InvalidTransition(f"该需求已处理（{DEMAND_STATE_LABELS[demand.state]}），不能重复答复")
    if data.state == DemandState.OPEN:
        raise InvalidInput("请选择处理结果：匹配现有资源、交由部门采集或不予支持")
    demand.matched_resource_id = None
    demand.assigned_org_id = None
    if data.state == DemandState.MATCHED:
        resource = ctx.session.get(Resource, data.matched_resource_id) if data.matched_resource_id else None
        if resource is None or resource.published_version_id is None:
            raise InvalidInput("匹配现有资源时须选择一个已发布的目录条目")
        demand.matched_resource_id = resource.id
    elif data.state == DemandState.ASSIGNED:
        org = ctx.session.get(Organization, data.assigned_org_id) if data.assigned_org_id else None
        if org is None or org.kind not in (OrgKind.DEPARTMENT, OrgKind.OPERATOR):
            raise InvalidInput("交由部门采集时须选择承担采集的政务部门")
        demand.assigned_org_id = org.id
    demand.state = data.state
    demand.answer = data.answer
    demand.answered_by_id = actor.user_id
    demand.answered_at = ctx.clock.now()
    record(
        ctx,
        actor,
        "demand.answer",
        "catalog_demand",
        demand.id,
        detail={"state": data.state, "resource": demand.matched_resource_id, "org": demand.assigned_org_id},
    )
    return demand
