"""Violation records (SUP-4) and the forms' items departments register (AB22).

Who sees what: the authority its own level and below, a department its own records only, auditors everything
(they audit the supervisors too). Only the authority records a violation by hand or dismisses one; dismissing
needs a reason and is how a justified deviation is closed (fault tolerance, SUP-5).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, false, select, true

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.context import Ctx
from govdata.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization, OrgKind, Region, Role, SubjectKind
from govdata.supervision import detect
from govdata.supervision.models import FormItem, Violation, ViolationKind, ViolationState
from govdata.textguard import SafeText

KIND_LABELS: dict[ViolationKind, str] = {
    ViolationKind.CATALOG_UPDATE_LATE: "目录未按时更新",
    ViolationKind.CATALOG_REVIEW_LATE: "目录未按时审核",
    ViolationKind.SHARE_ANSWER_LATE: "共享申请逾期办理",
    ViolationKind.CORRECTION_LATE: "校核申请逾期办理",
    ViolationKind.OPEN_APPLICATION_LATE: "开放申请逾期答复",
    ViolationKind.OPEN_CORRECTION_LATE: "开放纠错逾期答复",
    ViolationKind.OPEN_REVIEW_LATE: "开放清单未按时审核",
    ViolationKind.REFUSAL_WITHOUT_BASIS: "无依据不予共享/开放",
    ViolationKind.DUPLICATE_COLLECTION: "重复采集",
    ViolationKind.OBTAINABLE_BY_SHARING: "可共享获取的数据向群众索取",
    ViolationKind.USE_BEYOND_PURPOSE: "超出授权用途使用",
    ViolationKind.POOL_OVERDUE: "资源池未按周期更新",
    ViolationKind.OTHER: "其他（检查发现）",
}
STATE_LABELS: dict[ViolationState, str] = {
    ViolationState.OPEN: "待处理",
    ViolationState.NOTIFIED: "已下发整改通知",
    ViolationState.RECTIFIED: "已整改",
    ViolationState.ESCALATED: "逾期未整改，已报告政府",
    ViolationState.DISMISSED: "经核实不构成违规（容错）",
}
CLOSED = (ViolationState.RECTIFIED, ViolationState.DISMISSED)


class ViolationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    org_id: int = Field(title="责任单位")
    summary: SafeText = Field(min_length=5, max_length=2000, title="违规情形（检查中发现的事实）")
    occurred_on: dt.date = Field(title="发生日期")
    source: SafeText = Field(default="监督检查", min_length=2, max_length=200, title="发现途径")


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: SafeText = Field(min_length=5, max_length=2000, title="不构成违规的理由（容错依据）")


class FormItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    form_name: SafeText = Field(min_length=2, max_length=200, title="办事表单名称")
    item_name: SafeText = Field(min_length=1, max_length=100, title="向群众索取的信息项")
    subject_kind: SubjectKind = Field(default=SubjectKind.PERSON, title="主体类型")


# ---------------------------------------------------------------- scope


def is_auditor(actor: Actor) -> bool:
    return actor.role == Role.AUDITOR


def scope(actor: Actor, org_col: Any, region_col: Any) -> ColumnElement[bool]:
    """The rows an actor may read: system and auditors all, the authority its level and below, others own."""
    if actor.is_system or is_auditor(actor):
        return true()
    if actor.is_authority:
        return region_col.startswith(actor.region_path or "\x00")
    if actor.org_id is None:
        return false()
    return and_(org_col == actor.org_id)


def may_read(actor: Actor, org_id: int, region_path: str) -> bool:
    if actor.is_system or is_auditor(actor):
        return True
    if actor.is_authority:
        return region_path.startswith(actor.region_path or "\x00")
    return actor.org_id == org_id


def region_of(ctx: Ctx, org_id: int) -> tuple[Organization, str]:
    org = ctx.session.get(Organization, org_id)
    if org is None:
        raise InvalidInput("责任单位不存在")
    region = ctx.session.get(Region, org.region_id)
    assert region is not None
    return org, region.path


def supervised_orgs(ctx: Ctx, actor: Actor) -> list[Organization]:
    """Departments and operators the actor supervises (its level and below), for choosing in forms."""
    require(actor, Permission.SUPERVISE)
    stmt = (
        select(Organization)
        .join(Region, Region.id == Organization.region_id)
        .where(Organization.kind != OrgKind.AUTHORITY)
        .order_by(Region.path, Organization.name)
    )
    if not actor.is_system:
        stmt = stmt.where(Region.path.startswith(actor.region_path or "\x00"))
    return list(ctx.session.scalars(stmt))


# ---------------------------------------------------------------- violations


def list_violations(
    ctx: Ctx,
    actor: Actor,
    *,
    kind: ViolationKind | None = None,
    state: ViolationState | None = None,
    org_id: int | None = None,
    limit: int = 500,
) -> list[Violation]:
    require(actor, Permission.SUPERVISION_READ)
    stmt = select(Violation).where(scope(actor, Violation.org_id, Violation.region_path))
    if kind is not None:
        stmt = stmt.where(Violation.kind == kind)
    if state is not None:
        stmt = stmt.where(Violation.state == state)
    if org_id is not None:
        stmt = stmt.where(Violation.org_id == org_id)
    return list(
        ctx.session.scalars(stmt.order_by(Violation.occurred_on.desc(), Violation.id.desc()).limit(limit))
    )


def get_violation(ctx: Ctx, actor: Actor, violation_id: int) -> Violation:
    require(actor, Permission.SUPERVISION_READ)
    found = ctx.session.get(Violation, violation_id)
    if found is None or not may_read(actor, found.org_id, found.region_path):
        raise NotFound("违规记录不存在，或无权查看")
    return found


def evidence(violation: Violation) -> dict[str, Any]:
    """The evidence as stored: {"links": [{"label", "href"}], "facts": {...}}."""
    try:
        data = json.loads(violation.evidence or "{}")
    except ValueError:
        return {"links": [], "facts": {}}
    return {"links": data.get("links", []), "facts": data.get("facts", {})}


def record_violation(ctx: Ctx, actor: Actor, data: ViolationIn) -> Violation:
    """The authority records what an inspection found (kind OTHER)."""
    require(actor, Permission.SUPERVISE)
    org, path = region_of(ctx, data.org_id)
    require(actor, Permission.SUPERVISE, region_path=path)
    if org.kind == OrgKind.AUTHORITY and org.id == actor.org_id:
        raise InvalidInput("不能将本机构记为责任单位")
    if data.occurred_on > ctx.clock.today():
        raise InvalidInput("发生日期不能晚于今天")
    now = ctx.clock.now()
    violation = Violation(
        kind=ViolationKind.OTHER,
        state=ViolationState.OPEN,
        dedupe_key=f"manual:{org.id}:{uuid.uuid4().hex}",  # recorded by hand: never a duplicate of another
        org_id=org.id,
        region_path=path,
        summary=data.summary,
        evidence=json.dumps({"links": [], "facts": {"source": data.source}}, ensure_ascii=False),
        occurred_on=data.occurred_on,
        detected_at=now,
        detected_by_id=actor.user_id,
    )
    ctx.session.add(violation)
    ctx.session.flush()
    record(ctx, actor, "supervision.violation.record", "violation", violation.id,
           detail={"org_id": org.id, "kind": ViolationKind.OTHER, "source": data.source})  # fmt: skip
    return violation


def dismiss(ctx: Ctx, actor: Actor, violation_id: int, data: DismissIn) -> Violation:
    """Fault tolerance: the authority finds the deviation justified and closes it with the reason on record."""
    found = get_violation(ctx, actor, violation_id)
    require(actor, Permission.SUPERVISE, region_path=found.region_path)
    if found.state not in (ViolationState.OPEN, ViolationState.NOTIFIED):
        raise InvalidTransition(f"该违规记录当前为“{STATE_LABELS[found.state]}”，不能再认定为不构成违规")
    was = found.state
    found.state = ViolationState.DISMISSED
    found.closed_at = ctx.clock.now()
    found.closing_note = data.reason
    record(ctx, actor, "supervision.violation.dismiss", "violation", found.id,
           detail={"from": was, "to": ViolationState.DISMISSED, "reason": data.reason})  # fmt: skip
    return found


def run_detection(ctx: Ctx, actor: Actor) -> dict[str, int]:
    """Run every detector now (the scheduled job does the same); audited with what it found."""
    require(actor, Permission.SUPERVISE)
    counts = detect.detect_all(ctx)
    record(ctx, actor, "supervision.detect", "violation", None, detail=counts)
    return counts


# ---------------------------------------------------------------- forms' items (AB22)


def list_form_items(ctx: Ctx, actor: Actor) -> list[FormItem]:
    require(actor, Permission.SUPERVISION_READ)
    return list(
        ctx.session.scalars(
            select(FormItem)
            .where(scope(actor, FormItem.org_id, FormItem.region_path))
            .order_by(FormItem.form_name, FormItem.id)
        )
    )


def add_form_item(ctx: Ctx, actor: Actor, data: FormItemIn) -> FormItem:
    require(actor, Permission.RECTIFY)
    if actor.org_id is None:
        raise InvalidInput("须以部门账号登记本部门办事表单的信息项")
    _org, path = region_of(ctx, actor.org_id)
    same = ctx.session.scalar(
        select(FormItem.id).where(
            FormItem.org_id == actor.org_id,
            FormItem.form_name == data.form_name,
            FormItem.item_name == data.item_name,
            FormItem.subject_kind == data.subject_kind.value,
        )
    )
    if same:
        raise Conflict(f"表单「{data.form_name}」的“{data.item_name}”已登记（编号 {same}）")
    item = FormItem(
        org_id=actor.org_id,
        region_path=path,
        form_name=data.form_name,
        item_name=data.item_name,
        subject_kind=data.subject_kind.value,
        created_at=ctx.clock.now(),
        created_by_id=actor.user_id,
    )
    ctx.session.add(item)
    ctx.session.flush()
    record(ctx, actor, "supervision.form_item.add", "form_item", item.id,
           detail={"form": data.form_name, "item": data.item_name, "subject_kind": data.subject_kind})  # fmt: skip
    return item


def remove_form_item(ctx: Ctx, actor: Actor, item_id: int) -> None:
    require(actor, Permission.RECTIFY)
    item = ctx.session.get(FormItem, item_id)
    if item is None or item.org_id != actor.org_id:
        raise NotFound("该表单信息项不存在，或不属于本部门")
    record(ctx, actor, "supervision.form_item.remove", "form_item", item.id,
           detail={"form": item.form_name, "item": item.item_name})  # fmt: skip
    ctx.session.delete(item)
    ctx.session.flush()


def obtainable_items(ctx: Ctx, items: list[FormItem]) -> dict[int, list[tuple[int, int, str, str]]]:
    """For each form item, the other departments' shared entries it could be obtained from."""
    offers = detect.shared_offers(ctx)
    out: dict[int, list[tuple[int, int, str, str]]] = {}
    for item in items:
        key = detect.item_key(item.item_name) or ""
        out[item.id] = [o for o in offers.get((key, item.subject_kind), []) if o[1] != item.org_id]
    return out
