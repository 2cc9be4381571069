"""Use cases of catalog entries: compile, edit, submit, review, publish, with every version kept."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session, object_session

from govdata.audit.service import record
from govdata.authz import Actor, Permission, in_jurisdiction, require
from govdata.catalog import search
from govdata.catalog.models import (
    BaseDatabase,
    ChangeTrigger,
    Classification,
    DataItem,
    Filing,
    FilingState,
    Resource,
    ResourceVersion,
    Transition,
    TriggerState,
    VersionState,
)
from govdata.catalog.rules import check_entry
from govdata.catalog.schemas import DOMAINS, CreateEntryIn, EditEntryIn, EntryIn
from govdata.catalog.workflow import EDITABLE, Action, next_state
from govdata.context import Ctx
from govdata.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization, OrgKind, Region, RegionLevel
from govdata.profiles.schema import Limit

_CLASS_DIGIT = {Classification.BASE: "1", Classification.THEME: "2", Classification.DEPARTMENT: "3"}
_BASE_XIANG = {db: f"{i:02d}" for i, db in enumerate(BaseDatabase, start=1)}
_LEVEL_XIANG = {RegionLevel.PROVINCE: "01", RegionLevel.CITY: "02", RegionLevel.COUNTY: "03"}
_VERSION_FIELDS = [
    "classification",
    "base_database",
    "domain",
    "name",
    "summary",
    "format_category",
    "format_type",
    "update_cycle",
    "share_type",
    "share_conditions",
    "share_basis",
    "share_mode",
    "open_type",
    "open_conditions",
    "open_basis",
    "deidentified",
    "usage_requirements",
    "grade",
    "release_date",
]
_ITEM_FIELDS = [
    "name",
    "field_name",
    "data_type",
    "length",
    "identifier_kind",
    "sensitivity",
    "required",
    "is_basic",
    "description",
]


def resource_code(resource: Resource, version: ResourceVersion, org: Organization, region: Region) -> str:
    """The national catalog guide's structure: 类(1) 项(2) 目(3) 细目(3) / 顺序码."""
    if version.classification == Classification.BASE and version.base_database:
        xiang = _BASE_XIANG[version.base_database]
    elif version.classification == Classification.THEME:
        xiang = f"{(DOMAINS.index(version.domain) + 1) % 100:02d}" if version.domain in DOMAINS else "99"
    else:
        xiang = _LEVEL_XIANG[region.level]
    mu = org.org_code[-3:].rjust(3, "0")
    ximu = region.code[-3:]
    return f"{_CLASS_DIGIT[version.classification]}{xiang}{mu}{ximu}/{resource.id:06d}"


def _actor_org(ctx: Ctx, actor: Actor) -> Organization:
    org = ctx.session.get(Organization, actor.org_id) if actor.org_id else None
    if org is None or org.kind not in (OrgKind.DEPARTMENT, OrgKind.OPERATOR):
        raise InvalidInput("只有政务部门或公共服务运营单位可以编制目录条目")
    return org


def _apply(version: ResourceVersion, data: EntryIn) -> None:
    for name in _VERSION_FIELDS:
        setattr(version, name, getattr(data, name))
    version.share_channels = ",".join(dict.fromkeys(c.value for c in data.share_channels))
    version.related_codes = ",".join(dict.fromkeys(c.strip() for c in data.related_codes if c.strip()))
    version.change_reason = data.change_reason
    session = object_session(version)
    if session is not None and version.items:
        version.items.clear()  # delete the old rows first: (version, field_name) is unique
        session.flush()
    version.items = [
        DataItem(position=i, **{f: getattr(item, f) for f in _ITEM_FIELDS})
        for i, item in enumerate(data.items)
    ]


def _copy(source: ResourceVersion, target: ResourceVersion) -> None:
    for name in [*_VERSION_FIELDS, "share_channels", "related_codes"]:
        setattr(target, name, getattr(source, name))
    target.items = [
        DataItem(position=item.position, **{f: getattr(item, f) for f in _ITEM_FIELDS})
        for item in source.items
    ]


def move(ctx: Ctx, actor: Actor, version: ResourceVersion, action: Action, reason: str | None = None) -> None:
    """The one place a version changes state: checks the table, records the transition and the audit event."""
    before = version.state
    version.state = next_state(before, action)
    version.updated_at = ctx.clock.now()
    _log_transition(ctx, actor, version, before, reason)
    record(
        ctx,
        actor,
        f"catalog.{action.value}",
        "catalog_version",
        version.id,
        detail={"resource_id": version.resource_id, "from": before, "to": version.state, "reason": reason},
    )


def get_resource(session: Session, resource_id: int) -> Resource:
    resource = session.get(Resource, resource_id)
    if resource is None:
        raise NotFound(f"目录条目 {resource_id} 不存在")
    return resource


def head_of(session: Session, resource: Resource) -> ResourceVersion:
    version = session.get(ResourceVersion, resource.head_version_id)
    assert version is not None
    return version


def _log_transition(
    ctx: Ctx, actor: Actor, version: ResourceVersion, before: VersionState | None, reason: str | None
) -> None:
    """Every move is kept: who, from → to, why, when (a new version starts with a move from nothing)."""
    ctx.session.add(
        Transition(
            version_id=version.id,
            from_state=before.value if before else None,
            to_state=version.state.value,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            reason=reason,
            at=ctx.clock.now(),
        )
    )


def _reindex(ctx: Ctx, resource: Resource, version: ResourceVersion) -> None:
    ctx.session.flush()
    search.index_version(ctx.session, version, resource.org.name, resource.code)


def create_entry(ctx: Ctx, actor: Actor, data: CreateEntryIn) -> Resource:
    require(actor, Permission.CATALOG_EDIT)
    org = _actor_org(ctx, actor)
    check_entry(ctx.session, data)
    if data.supplementary and org.region.parent_id is None:
        raise InvalidInput("补充目录由下级编制并报上级备案；最高一级的部门无需编制补充目录")
    now = ctx.clock.now()
    resource = Resource(
        code=f"tmp-{uuid.uuid4().hex}",
        org_id=org.id,
        region_id=org.region_id,
        region_path=org.region.path,
        supplementary=data.supplementary,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(resource)
    ctx.session.flush()
    version = ResourceVersion(
        resource_id=resource.id,
        number=1,
        state=VersionState.DRAFT,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    _apply(version, data)
    ctx.session.add(version)
    ctx.session.flush()
    resource.code = resource_code(resource, version, org, org.region)
    resource.head_version_id = version.id
    resource.org = org
    _reindex(ctx, resource, version)
    _log_transition(ctx, actor, version, None, "新建")
    record(ctx, actor, "catalog.create", "catalog_resource", resource.id, detail={"code": resource.code})
    return resource


def edit_entry(ctx: Ctx, actor: Actor, resource_id: int, data: EditEntryIn) -> ResourceVersion:
    """Edit the working draft; on a published or approved entry this opens a new version for review."""
    resource = get_resource(ctx.session, resource_id)
    require(actor, Permission.CATALOG_EDIT, org_id=resource.org_id, hide=True)
    check_entry(ctx.session, data, own_code=resource.code)
    head = head_of(ctx.session, resource)
    now = ctx.clock.now()
    trigger = _trigger_for(ctx, resource, data.trigger_id)
    if head.state in EDITABLE:
        version = head
        _apply(version, data)
        version.updated_at = now
        if trigger is not None:
            version.trigger_id = trigger.id
        action = "catalog.edit"
    elif head.state in (VersionState.PUBLISHED, VersionState.APPROVED):
        if not data.change_reason:
            raise InvalidInput("修改已发布的目录条目须填写变更原因（将作为新版本报送审核）")
        version = ResourceVersion(
            resource_id=resource.id,
            number=max(v.number for v in resource.versions) + 1,  # withdrawn numbers are not reused
            state=VersionState.DRAFT,
            created_by_id=actor.user_id,
            created_at=now,
            updated_at=now,
            trigger_id=trigger.id if trigger else None,
        )
        _apply(version, data)
        ctx.session.add(version)
        ctx.session.flush()
        resource.head_version_id = version.id
        _log_transition(ctx, actor, version, None, data.change_reason)
        action = "catalog.new_version"
    elif head.state == VersionState.WITHDRAWN:
        raise InvalidTransition("该条目的草稿已撤销且从未发布；如仍需要，请新建目录条目")
    else:
        raise Conflict("该条目正在审核中，审核完成前不能修改；如需修改请等待退回")
    if trigger is not None and trigger.state == TriggerState.OPEN:
        trigger.state = TriggerState.UPDATED
        trigger.updated_on = ctx.clock.today()
        trigger.report_due = ctx.calendar.add_workdays(
            trigger.updated_on, ctx.profile.limit(Limit.CATALOG_UPDATE_REPORT).days
        )
    resource.updated_at = now
    _reindex(ctx, resource, version)
    record(ctx, actor, action, "catalog_version", version.id, detail={"resource_id": resource.id})
    return version


def _trigger_for(ctx: Ctx, resource: Resource, trigger_id: int | None) -> ChangeTrigger | None:
    if trigger_id is None:
        return None
    trigger = ctx.session.get(ChangeTrigger, trigger_id)
    if trigger is None or trigger.resource_id != resource.id:
        raise InvalidInput("所选变更情形不属于该条目")
    if trigger.state == TriggerState.CLOSED:
        raise InvalidInput("该变更情形已办结")
    return trigger


def submit(ctx: Ctx, actor: Actor, resource_id: int) -> ResourceVersion:
    resource = get_resource(ctx.session, resource_id)
    require(actor, Permission.CATALOG_SUBMIT, org_id=resource.org_id, hide=True)
    version = head_of(ctx.session, resource)
    move(ctx, actor, version, Action.SUBMIT)
    today = ctx.clock.today()
    version.submitted_at = ctx.clock.now()
    limit = Limit.CATALOG_UPDATE_REVIEW if version.number > 1 else Limit.CATALOG_REVIEW
    version.review_due = ctx.calendar.add_workdays(today, ctx.profile.limit(limit).days)
    if version.trigger_id is not None:
        trigger = ctx.session.get(ChangeTrigger, version.trigger_id)
        if trigger is not None and trigger.state in (TriggerState.OPEN, TriggerState.UPDATED):
            trigger.state = TriggerState.REPORTED
            trigger.reported_on = today
    return version


def review(ctx: Ctx, actor: Actor, resource_id: int, decision: str, comment: str | None) -> ResourceVersion:
    resource = get_resource(ctx.session, resource_id)
    require(actor, Permission.CATALOG_REVIEW, region_path=resource.region_path)
    version = head_of(ctx.session, resource)
    if decision == "return":
        if not comment:
            raise InvalidInput("退回修改须填写审核意见，说明需要修改的内容")
        move(ctx, actor, version, Action.RETURN, comment)
    elif decision == "approve":
        move(ctx, actor, version, Action.APPROVE, comment)
    else:
        raise InvalidInput("审核结论只能是“通过”或“退回”")
    version.reviewed_by_id = actor.user_id
    version.reviewed_at = ctx.clock.now()
    version.review_comment = comment
    if version.trigger_id is not None:
        trigger = ctx.session.get(ChangeTrigger, version.trigger_id)
        if trigger is not None:
            if decision == "approve":
                trigger.state = TriggerState.CLOSED
                trigger.closed_on = ctx.clock.today()
            else:
                trigger.state = TriggerState.UPDATED
    if decision == "approve" and not ctx.profile.workflow.separate_publish_step:
        publish(ctx, actor, resource_id)
    return version


def publish(ctx: Ctx, actor: Actor, resource_id: int) -> ResourceVersion:
    resource = get_resource(ctx.session, resource_id)
    require(actor, Permission.CATALOG_PUBLISH, region_path=resource.region_path)
    version = head_of(ctx.session, resource)
    move(ctx, actor, version, Action.PUBLISH)
    version.published_at = ctx.clock.now()
    if version.release_date is None:
        version.release_date = ctx.clock.today()
    previous_id = resource.published_version_id
    if previous_id is not None and previous_id != version.id:
        previous = ctx.session.get(ResourceVersion, previous_id)
        assert previous is not None
        move(ctx, actor, previous, Action.SUPERSEDE, f"由第 {version.number} 版替代")
        search.unindex_versions(ctx.session, [previous.id])
    resource.published_version_id = version.id
    resource.updated_at = ctx.clock.now()
    if resource.supplementary:
        _file_with_upper_level(ctx, resource, version)
    return version


def _file_with_upper_level(ctx: Ctx, resource: Resource, version: ResourceVersion) -> None:
    region = ctx.session.get(Region, resource.region_id)
    assert region is not None
    if region.parent is None:
        return
    today = ctx.clock.today()
    ctx.session.add(
        Filing(
            version_id=version.id,
            resource_id=resource.id,
            upper_region_path=region.parent.path,
            state=FilingState.PENDING,
            filed_at=ctx.clock.now(),
            due_date=ctx.calendar.add_workdays(today, ctx.profile.limit(Limit.SUPPLEMENTARY_FILING).days),
        )
    )


def withdraw_draft(ctx: Ctx, actor: Actor, resource_id: int, reason: str | None) -> ResourceVersion:
    """Abandon a draft; an entry that was published before falls back to its published version."""
    resource = get_resource(ctx.session, resource_id)
    require(actor, Permission.CATALOG_EDIT, org_id=resource.org_id, hide=True)
    version = head_of(ctx.session, resource)
    move(ctx, actor, version, Action.WITHDRAW, reason)
    search.unindex_versions(ctx.session, [version.id])
    if resource.published_version_id is not None:
        resource.head_version_id = resource.published_version_id
    return version


def sees_head(actor: Actor, org_id: int, region_path: str, head_state: VersionState) -> bool:
    """The working version is the department's own; the authority sees it once submitted; others never."""
    return (
        actor.is_system
        or actor.org_id == org_id
        or (
            actor.is_authority
            and in_jurisdiction(actor, region_path)
            and head_state not in (VersionState.DRAFT, VersionState.WITHDRAWN)
        )
    )


def visible_version(ctx: Ctx, actor: Actor, resource: Resource) -> ResourceVersion:
    """What this actor may see of an entry; another department's drafts stay invisible (NotFound)."""
    require(actor, Permission.CATALOG_READ)
    head = head_of(ctx.session, resource)
    if sees_head(actor, resource.org_id, resource.region_path, head.state):
        return head
    if resource.published_version_id is None:
        raise NotFound(f"目录条目 {resource.id} 不存在")
    published = ctx.session.get(ResourceVersion, resource.published_version_id)
    assert published is not None
    return published


def visible_versions(ctx: Ctx, actor: Actor, resource: Resource) -> list[ResourceVersion]:
    """Version history as far as the actor may see it."""
    shown = visible_version(ctx, actor, resource)
    if actor.is_system or actor.org_id == resource.org_id:
        return list(resource.versions)
    public = (VersionState.PUBLISHED, VersionState.SUPERSEDED)
    return [
        v for v in resource.versions if v.id == shown.id or (v.number < shown.number and v.state in public)
    ]
