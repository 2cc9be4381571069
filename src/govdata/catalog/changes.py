"""CAT-4: change triggers (AB16) and the deadlines they start."""

from __future__ import annotations

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import ChangeTrigger, TriggerKind, TriggerState
from govdata.catalog.schemas import TriggerIn
from govdata.catalog.service import get_resource
from govdata.context import Ctx
from govdata.errors import InvalidInput
from govdata.profiles.schema import Limit

TRIGGER_LABELS: dict[TriggerKind, str] = {
    TriggerKind.LAW: "法律法规或政策修订",
    TriggerKind.DUTY: "行政管理职能变化",
    TriggerKind.SYSTEM: "信息系统更新",
    TriggerKind.OTHER: "其他情形",
}
TRIGGER_STATE_LABELS: dict[TriggerState, str] = {
    TriggerState.OPEN: "待更新目录",
    TriggerState.UPDATED: "已更新，待报送",
    TriggerState.REPORTED: "已报送，待审核",
    TriggerState.CLOSED: "已办结",
}


def record_trigger(ctx: Ctx, actor: Actor, resource_id: int, data: TriggerIn) -> ChangeTrigger:
    """The department (or the authority) records that a change happened; the update is due from that day."""
    resource = get_resource(ctx.session, resource_id)
    if actor.is_authority:
        require(actor, Permission.CATALOG_TRIGGER, region_path=resource.region_path)
    else:
        require(actor, Permission.CATALOG_TRIGGER, org_id=resource.org_id, hide=True)
    if resource.published_version_id is None:
        raise InvalidInput("该条目尚未发布，直接修改草稿即可，无需登记变更情形")
    today = ctx.clock.today()
    if data.occurred_on > today:
        raise InvalidInput("变更情形的发生日期不能晚于今天")
    limit = ctx.profile.limit(Limit.CATALOG_UPDATE)
    trigger = ChangeTrigger(
        resource_id=resource.id,
        kind=data.kind,
        description=data.description,
        occurred_on=data.occurred_on,
        state=TriggerState.OPEN,
        update_due=ctx.calendar.add_workdays(data.occurred_on, limit.days),
        recorded_by_id=actor.user_id,
        recorded_at=ctx.clock.now(),
    )
    ctx.session.add(trigger)
    ctx.session.flush()
    record(
        ctx,
        actor,
        "catalog.trigger",
        "catalog_trigger",
        trigger.id,
        detail={"resource_id": resource.id, "kind": data.kind, "update_due": trigger.update_due},
    )
    return trigger


def trigger_due(trigger: ChangeTrigger) -> tuple[str, object] | None:
    """Which deadline the trigger is waiting on now: (label, due date)."""
    if trigger.state == TriggerState.OPEN:
        return "目录更新", trigger.update_due
    if trigger.state == TriggerState.UPDATED and trigger.report_due is not None:
        return "报送主管部门", trigger.report_due
    return None
