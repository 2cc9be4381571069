"""Use cases of share requests and grants (SHARE-2…4, SHARE-7, SC22, SC25).

Unconditional entries are granted at once with the purpose recorded; conditional ones wait for the provider's
answer within the profile's working days; not-shared ones go to the authority for coordination. A grant is
the only thing the exchange honours, and it stops working the moment it expires or is revoked.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import delete, select

from govdata.audit.service import record, record_late_once
from govdata.authz import Actor, Permission, can, in_jurisdiction, require
from govdata.catalog.models import Resource, ResourceVersion, ShareType
from govdata.catalog.service import get_resource
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, NotFound
from govdata.org.models import Organization
from govdata.profiles.schema import Limit
from govdata.sharing import masking
from govdata.sharing.models import (
    Channel,
    CorrectionNotice,
    Delivery,
    ExchangeCall,
    GrantKind,
    RequestState,
    RequestStep,
    ShareGrant,
    ShareRequest,
)
from govdata.sharing.schemas import (
    ApproveIn,
    ConditionIn,
    CoordinateIn,
    DataReturnIn,
    NoteIn,
    RefuseIn,
    RevokeIn,
    ShareRequestIn,
)
from govdata.sharing.workflow import (
    Action,
    Condition,
    FilterOp,
    check,
    dump_filter,
    is_narrower,
    parse_filter,
)


def published_version(ctx: Ctx, resource: Resource) -> ResourceVersion:
    """Only published entries are in the sharing catalog."""
    version = ctx.session.get(ResourceVersion, resource.published_version_id or 0)
    if version is None:
        raise NotFound("该目录条目尚未发布，不在共享目录中")
    return version


def _conditions(raw: list[ConditionIn] | None, fields: set[str]) -> list[Condition] | None:
    if raw is None:
        return None
    return parse_filter([c.model_dump() for c in raw], fields)


def _items(wanted: list[str], version: ResourceVersion) -> list[str]:
    known = [item.field_name for item in version.items]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise InvalidInput(f"信息项 {'、'.join(unknown)} 不属于该目录条目")
    chosen = set(wanted)
    return [name for name in known if name in chosen]  # catalog order, no repeats


def check_rules(raw: dict[str, str], fields: set[str]) -> dict[str, masking.MaskRule]:
    """Masking a provider sets on approval: known items only, known rules only."""
    rules: dict[str, masking.MaskRule] = {}
    for field, rule in raw.items():
        if field not in fields:
            raise InvalidInput(f"脱敏规则中的信息项“{field}”不在同意的信息项中")
        try:
            rules[field] = masking.MaskRule(rule)
        except ValueError:
            names = "、".join(r.value for r in masking.MaskRule)
            raise InvalidInput(f"脱敏规则“{rule}”不存在（可用：{names}）") from None
    return rules


def grant_masking(version: ResourceVersion, items: list[str], rules: dict[str, masking.MaskRule]) -> str:
    """The grant keeps the effective rule of every item it lets out: set ones, else the item's default.

    Every item is listed, unmasked ones as `none`: the exchange's masker lets out only what is listed.
    """
    effective: dict[str, str] = {}
    for item in version.items:
        if item.field_name not in items:
            continue
        rule = rules.get(item.field_name) or masking.default_rule(
            field_name=item.field_name,
            item_name=item.name,
            identifier_kind=item.identifier_kind.value,
            data_type=item.data_type.value,
            sensitivity=item.sensitivity,
        )
        effective[item.field_name] = rule.value
    return json.dumps(effective, ensure_ascii=False)


def _step(ctx: Ctx, actor: Actor, request: ShareRequest, to: RequestState, note: str | None) -> None:
    request.steps.append(
        RequestStep(
            from_state=request.state.value if request.state else None,
            to_state=to.value,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            note=note,
            at=ctx.clock.now(),
        )
    )
    request.state = to
    request.updated_at = ctx.clock.now()


def _due(ctx: Ctx, which: Limit) -> dt.date:
    return ctx.calendar.add_workdays(ctx.clock.today(), ctx.profile.limit(which).days)


def submit_request(ctx: Ctx, actor: Actor, data: ShareRequestIn) -> ShareRequest:
    require(actor, Permission.SHARE_REQUEST)
    if actor.org_id is None:
        raise Forbidden("只有政务部门的账号可以申请共享数据")
    resource = get_resource(ctx.session, data.resource_id)
    version = published_version(ctx, resource)
    if resource.org_id == actor.org_id:
        raise InvalidInput("这是本单位的数据资源，无需申请共享")
    items = _items(data.items, version)
    scope = _conditions(data.row_filter, {i.field_name for i in version.items}) or []
    same = ctx.session.execute(
        select(ShareRequest.id).where(
            ShareRequest.consumer_org_id == actor.org_id,
            ShareRequest.resource_id == resource.id,
            ShareRequest.purpose == data.purpose,
            ShareRequest.state.in_(
                [RequestState.PENDING, RequestState.AWAITING_ACCESS, RequestState.COORDINATING]
            ),
        )
    ).first()
    if same:
        raise Conflict(f"本单位已有同一用途的申请正在办理（编号 {same[0]}），请勿重复申请")
    matching_allowed = data.channel == Channel.MATCH and (
        version.share_type != ShareType.NONE or ctx.profile.workflow.match_on_not_shared
    )
    if version.share_type == ShareType.UNCONDITIONAL or matching_allowed:
        # SHARE-3 / SHARE-4: obtained directly through the platform, the purpose still on record.
        first, due, note = RequestState.GRANTED, None, "无条件共享或核验申请，平台直接授权"
    elif version.share_type == ShareType.CONDITIONAL:
        first, due, note = RequestState.PENDING, _due(ctx, Limit.SHARE_ANSWER), None
    else:
        first, due = RequestState.COORDINATING, _due(ctx, Limit.SHARE_COORDINATION)
        note = "不予共享的数据，提请数据主管机构协调"
    now = ctx.clock.now()
    request = ShareRequest(
        consumer_org_id=actor.org_id,
        provider_org_id=resource.org_id,
        resource_id=resource.id,
        version_id=version.id,
        region_path=resource.region_path,
        share_type=version.share_type.value,
        items=",".join(items),
        row_filter=dump_filter(scope),
        purpose=data.purpose,
        duty=data.duty,
        duration_days=data.duration_days,
        channel=data.channel,
        due_date=due,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    _step(ctx, actor, request, first, note)
    ctx.session.add(request)
    ctx.session.flush()
    if first == RequestState.GRANTED:
        _grant(ctx, actor, request, items, scope, data.duration_days, {})
    ctx.session.flush()
    record(ctx, actor, "share.request.submit", "share_request", request.id, purpose=data.purpose,
           detail={"resource": resource.code, "items": items, "state": request.state.value})  # fmt: skip
    return request


def get_request(ctx: Ctx, actor: Actor, request_id: int) -> ShareRequest:
    require(actor, Permission.SHARE_READ)
    request = ctx.session.get(ShareRequest, request_id)
    if request is None or not _involved(
        actor, request.consumer_org_id, request.provider_org_id, request.region_path
    ):
        raise NotFound(f"共享申请 {request_id} 不存在或无权查看")
    return request


def _involved(actor: Actor, consumer: int, provider: int, region_path: str) -> bool:
    if actor.is_system or actor.org_id in (consumer, provider):
        return True
    return actor.is_authority and in_jurisdiction(actor, region_path)


def _as_provider(actor: Actor, request: ShareRequest) -> None:
    require(actor, Permission.SHARE_ANSWER, org_id=request.provider_org_id)


def _as_consumer(actor: Actor, request: ShareRequest) -> None:
    require(actor, Permission.SHARE_REQUEST)
    if not actor.is_system and actor.org_id != request.consumer_org_id:
        raise Forbidden("只有申请单位可以办理此操作")


def _as_coordinator(actor: Actor, region_path: str) -> None:
    require(actor, Permission.SHARE_COORDINATE, region_path=region_path)


def approve(ctx: Ctx, actor: Actor, request_id: int, data: ApproveIn) -> ShareRequest:
    """The provider consents, whole or in part (fewer items, narrower scope, shorter term)."""
    request = get_request(ctx, actor, request_id)
    _as_provider(actor, request)
    requested = [i for i in request.items.split(",") if i]
    items = data.items if data.items is not None else requested
    extra = [i for i in items if i not in requested]
    if extra:
        raise InvalidInput(f"只能同意申请中的信息项；{'、'.join(extra)} 未被申请")
    if not items:
        raise InvalidInput("至少同意一个信息项；全部不同意请选择“拒绝”并说明理由和依据")
    fields = set(requested)
    asked_scope = parse_filter(request.row_filter, set(_version_fields(ctx, request)))
    scope = _conditions(data.row_filter, set(_version_fields(ctx, request)))
    if scope is None:
        scope = asked_scope
    elif not is_narrower(scope, asked_scope):
        raise InvalidInput("部分同意只能缩小数据范围：申请中的每个范围条件都须保留或收窄")
    days = data.duration_days or request.duration_days
    if days > request.duration_days:
        raise InvalidInput(f"同意的期限不能超过申请的 {request.duration_days} 天")
    rules = check_rules(data.masking or {}, set(items) & fields)
    partial = set(items) != set(requested) or scope != asked_scope or days != request.duration_days
    request.approved_items = ",".join(items)
    request.approved_filter = dump_filter(scope)
    request.approved_masking = json.dumps({k: v.value for k, v in rules.items()}, ensure_ascii=False)
    request.approved_days = days
    request.answer = data.note
    request.answered_by_id = actor.user_id
    request.answered_at = ctx.clock.now()
    note = ("部分同意" if partial else "同意") + (f"：{data.note}" if data.note else "")
    if ctx.profile.workflow.authority_opens_share_access:
        check(request.state, Action.APPROVE, RequestState.AWAITING_ACCESS)
        request.due_date = _due(ctx, Limit.SHARE_OPEN_ACCESS)
        _step(ctx, actor, request, RequestState.AWAITING_ACCESS, note)
    else:
        check(request.state, Action.APPROVE, RequestState.GRANTED)
        request.due_date = None
        _step(ctx, actor, request, RequestState.GRANTED, note)
        _grant(ctx, actor, request, items, scope, days, rules)
    record(ctx, actor, "share.request.approve", "share_request", request.id,
           detail={"items": items, "partial": partial, "filter": request.approved_filter})  # fmt: skip
    return request


def _version_fields(ctx: Ctx, request: ShareRequest) -> list[str]:
    version = ctx.session.get(ResourceVersion, request.version_id)
    assert version is not None
    return [item.field_name for item in version.items]


def refuse(ctx: Ctx, actor: Actor, request_id: int, data: RefuseIn) -> ShareRequest:
    request = get_request(ctx, actor, request_id)
    _as_provider(actor, request)
    check(request.state, Action.REFUSE, RequestState.REFUSED)
    request.answer, request.answer_basis = data.reason, data.basis
    request.answered_by_id, request.answered_at = actor.user_id, ctx.clock.now()
    request.due_date = None
    _step(ctx, actor, request, RequestState.REFUSED, f"{data.reason}（依据：{data.basis}）")
    record(ctx, actor, "share.request.refuse", "share_request", request.id,
           detail={"reason": data.reason, "basis": data.basis})  # fmt: skip
    return request


def open_access(ctx: Ctx, actor: Actor, request_id: int) -> ShareRequest:
    """SC25: after the provider's consent the authority opens the access rights."""
    request = get_request(ctx, actor, request_id)
    _as_coordinator(actor, request.region_path)
    check(request.state, Action.OPEN_ACCESS, RequestState.GRANTED)
    items = [i for i in (request.approved_items or request.items).split(",") if i]
    scope = parse_filter(request.approved_filter or request.row_filter, set(_version_fields(ctx, request)))
    rules = masking.rules_from_json(request.approved_masking)
    request.due_date = None
    _step(ctx, actor, request, RequestState.GRANTED, "数据主管机构开通共享权限")
    _grant(ctx, actor, request, items, scope, request.approved_days or request.duration_days, rules)
    record(ctx, actor, "share.request.open_access", "share_request", request.id)
    return request


def escalate(ctx: Ctx, actor: Actor, request_id: int, data: NoteIn) -> ShareRequest:
    """The consumer takes a refusal (or an answer that is late) to the authority (SHARE-4)."""
    request = get_request(ctx, actor, request_id)
    _as_consumer(actor, request)
    if request.state in (RequestState.PENDING, RequestState.AWAITING_ACCESS) and not _late(ctx, request):
        raise InvalidInput(f"答复期限（{request.due_date}）未到，期满未答复时才能提请协调")
    check(request.state, Action.ESCALATE, RequestState.COORDINATING)
    request.due_date = _due(ctx, Limit.SHARE_COORDINATION)
    _step(ctx, actor, request, RequestState.COORDINATING, data.note)
    record(ctx, actor, "share.request.escalate", "share_request", request.id, detail={"note": data.note})
    return request


def _late(ctx: Ctx, request: ShareRequest) -> bool:
    return request.due_date is not None and ctx.clock.today() > request.due_date


def coordinate(ctx: Ctx, actor: Actor, request_id: int, data: CoordinateIn) -> ShareRequest:
    request = get_request(ctx, actor, request_id)
    _as_coordinator(actor, request.region_path)
    if data.decision == "uphold":
        check(request.state, Action.COORDINATE_UPHOLD, RequestState.REFUSED)
        request.coordination_note, request.due_date = data.note, None
        request.answer = request.answer or data.note
        _step(ctx, actor, request, RequestState.REFUSED, f"协调决定不予共享：{data.note}")
    else:
        check(request.state, Action.COORDINATE_GRANT, RequestState.GRANTED)
        fields = set(_version_fields(ctx, request))
        requested = [i for i in request.items.split(",") if i]
        items = data.items if data.items is not None else requested
        extra = [i for i in items if i not in requested]
        if extra or not items:
            raise InvalidInput("协调共享的信息项须在申请范围内且至少一项")
        scope = _conditions(data.row_filter, fields)
        asked = parse_filter(request.row_filter, fields)
        if scope is None:
            scope = asked
        elif not is_narrower(scope, asked):
            raise InvalidInput("协调确定的数据范围不能超出申请范围")
        request.coordination_note, request.due_date = data.note, None
        _step(ctx, actor, request, RequestState.GRANTED, f"协调决定共享：{data.note}")
        _grant(ctx, actor, request, items, scope, request.duration_days, {})
    record(ctx, actor, "share.request.coordinate", "share_request", request.id,
           detail={"decision": data.decision, "note": data.note})  # fmt: skip
    return request


def withdraw(ctx: Ctx, actor: Actor, request_id: int) -> ShareRequest:
    request = get_request(ctx, actor, request_id)
    _as_consumer(actor, request)
    check(request.state, Action.WITHDRAW, RequestState.WITHDRAWN)
    request.due_date = None
    _step(ctx, actor, request, RequestState.WITHDRAWN, None)
    record(ctx, actor, "share.request.withdraw", "share_request", request.id)
    return request


def sweep_overdue(ctx: Ctx, actor: Actor) -> list[ShareRequest]:
    """Late answers are flagged once, escalated to the authority and recorded as possible violations."""
    require(actor, Permission.SHARE_COORDINATE)
    pending = [RequestState.PENDING, RequestState.AWAITING_ACCESS]
    late = record_late_once(
        ctx, actor, select(ShareRequest).where(ShareRequest.state.in_(pending)).order_by(ShareRequest.id),
        ShareRequest.due_date, ShareRequest.overdue_flagged_at, "share.request.overdue",
        lambda r: {"state": r.state.value, "due": r.due_date, "provider_org_id": r.provider_org_id},
    )  # fmt: skip
    for request in late:
        was, due = request.state, request.due_date
        request.due_date = _due(ctx, Limit.SHARE_COORDINATION)
        who = "提供部门" if was == RequestState.PENDING else "数据主管机构"
        _step(
            ctx,
            actor,
            request,
            RequestState.COORDINATING,
            f"{who}逾期未办理（应于 {due} 前），转主管机构协调",
        )
    return late


@dataclass(frozen=True)
class GrantTerms:
    """What a new grant lets out, to whom and for what: the one shape both requests and data return fill in."""

    kind: GrantKind
    request_id: int | None
    consumer_org_id: int
    provider_org_id: int
    resource_id: int
    items: list[str]
    scope: list[Condition]
    rules: dict[str, masking.MaskRule]
    purpose: str
    duty: str
    channel: Channel
    days: int


def _new_grant(ctx: Ctx, actor: Actor, version: ResourceVersion, terms: GrantTerms) -> ShareGrant:
    today = ctx.clock.today()
    grant = ShareGrant(
        kind=terms.kind,
        request_id=terms.request_id,
        consumer_org_id=terms.consumer_org_id,
        provider_org_id=terms.provider_org_id,
        resource_id=terms.resource_id,
        items=",".join(terms.items),
        row_filter=dump_filter(terms.scope),
        masking=grant_masking(version, terms.items, terms.rules),
        purpose=terms.purpose,
        duty=terms.duty,
        channel=terms.channel,
        valid_from=today,
        expires_on=today + dt.timedelta(days=terms.days - 1),
        created_by_id=actor.user_id,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(grant)
    ctx.session.flush()
    return grant


def _grant(
    ctx: Ctx,
    actor: Actor,
    request: ShareRequest,
    items: list[str],
    scope: list[Condition],
    days: int,
    rules: dict[str, masking.MaskRule],
) -> ShareGrant:
    version = ctx.session.get(ResourceVersion, request.version_id)
    assert version is not None
    terms = GrantTerms(
        GrantKind.REQUEST, request.id, request.consumer_org_id, request.provider_org_id, request.resource_id,
        items, scope, rules, request.purpose, request.duty, request.channel, days,
    )  # fmt: skip
    grant = _new_grant(ctx, actor, version, terms)
    request.grant_id = grant.id
    record(ctx, actor, "share.grant.create", "share_grant", grant.id, purpose=grant.purpose,
           detail={"request": request.id, "items": items, "expires_on": grant.expires_on})  # fmt: skip
    return grant


def get_grant(ctx: Ctx, actor: Actor, grant_id: int) -> ShareGrant:
    require(actor, Permission.SHARE_READ)
    grant = ctx.session.get(ShareGrant, grant_id)
    if grant is None:
        raise NotFound(f"共享授权 {grant_id} 不存在或无权查看")
    region = grant.resource.region_path
    if not _involved(actor, grant.consumer_org_id, grant.provider_org_id, region):
        raise NotFound(f"共享授权 {grant_id} 不存在或无权查看")
    return grant


def revoke(ctx: Ctx, actor: Actor, grant_id: int, data: RevokeIn) -> ShareGrant:
    grant = get_grant(ctx, actor, grant_id)
    if actor.org_id == grant.provider_org_id and can(actor, Permission.SHARE_ANSWER):
        pass
    else:
        _as_coordinator(actor, grant.resource.region_path)
    if grant.revoked_at is not None:
        raise InvalidInput("该授权已撤销")
    grant.revoked_at, grant.revoked_by_id, grant.revoke_reason = ctx.clock.now(), actor.user_id, data.reason
    record(ctx, actor, "share.grant.revoke", "share_grant", grant.id, detail={"reason": data.reason})
    return grant


def region_prefix(code: str) -> str:
    """GB/T 2260 code of a region → the prefix its subordinate codes share (510000 → 51, 513200 → 5132)."""
    prefix = code
    while len(prefix) > 2 and prefix.endswith("00"):
        prefix = prefix[:-2]
    return prefix


def data_return(ctx: Ctx, actor: Actor, data: DataReturnIn) -> ShareGrant:
    """SC22: the upper level grants a lower-level body the rows of its own region, no request needed."""
    resource = get_resource(ctx.session, data.resource_id)
    version = published_version(ctx, resource)
    if not (actor.org_id == resource.org_id and can(actor, Permission.SHARE_ANSWER)):
        _as_coordinator(actor, resource.region_path)
    consumer = ctx.session.get(Organization, data.consumer_org_id)
    if consumer is None:
        raise NotFound(f"单位 {data.consumer_org_id} 不存在")
    if not (
        consumer.region.path.startswith(resource.region_path) and consumer.region.path != resource.region_path
    ):
        raise InvalidInput("数据回流只能给下级行政区划的单位")
    items = _items(data.items, version)
    if data.region_field not in {i.field_name for i in version.items}:
        raise InvalidInput(f"信息项“{data.region_field}”不属于该目录条目")
    scope = [Condition(data.region_field, FilterOp.PREFIX, (region_prefix(consumer.region.code),))]
    terms = GrantTerms(
        GrantKind.DATA_RETURN, None, consumer.id, resource.org_id, resource.id, items, scope, {},
        data.purpose, data.duty, Channel.API, data.duration_days,
    )  # fmt: skip
    grant = _new_grant(ctx, actor, version, terms)
    record(ctx, actor, "share.grant.data_return", "share_grant", grant.id, purpose=data.purpose,
           detail={"consumer": consumer.name, "region": consumer.region.code, "items": items})  # fmt: skip
    return grant


def mark_notice_read(ctx: Ctx, actor: Actor, notice_id: int) -> CorrectionNotice:
    require(actor, Permission.SHARE_READ)
    notice = ctx.session.get(CorrectionNotice, notice_id)
    if notice is None or (not actor.is_system and notice.consumer_org_id != actor.org_id):
        raise NotFound(f"更正通知 {notice_id} 不存在或无权查看")
    if notice.read_at is None:
        notice.read_at = ctx.clock.now()
        record(ctx, actor, "share.notice.read", "share_notice", notice.id)
    return notice


def purge_call_log(ctx: Ctx, actor: Actor, before: dt.datetime) -> int:
    """Exchange calls and deliveries older than `before`; refused inside the retention period (SHARE-8, HN12)."""
    from govdata.audit.service import retention_cutoff

    require(actor, Permission.AUDIT_PURGE)
    cutoff = retention_cutoff(ctx)
    if before > cutoff:
        raise InvalidInput(
            f"共享交换调用记录须至少保存 {ctx.profile.audit_retention_months} 个月："
            f"只能删除 {cutoff.date().isoformat()} 之前的记录"
        )
    moment = before.astimezone(dt.UTC)
    ctx.session.execute(delete(Delivery).where(Delivery.at < moment))
    count = ctx.session.execute(delete(ExchangeCall).where(ExchangeCall.at < moment)).rowcount  # type: ignore[attr-defined]
    record(
        ctx, actor, "share.call_log.purge", "share_call", None, detail={"deleted": count, "before": before}
    )
    return int(count)
