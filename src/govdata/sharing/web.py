"""Pages of the sharing exchange (共享交换): the sharing catalog, the request form, the request lists and one
request with the forms its parties may use (answer, refuse, escalate, withdraw, open access, coordinate).

Grants, application credentials, the usage report and disputes are in `web_manage`, included below. Routes only
read and call the use cases in `service` and `queries`; every POST carries the session's CSRF token. A form the
use case refuses is shown again with what was typed and the Chinese reason, and nothing of it is written.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from govdata import labels
from govdata.authz import Actor, Permission, in_jurisdiction, require
from govdata.catalog.models import Resource, ResourceVersion, ShareType, VersionState
from govdata.catalog.queries import Page, SearchFilters, search_entries
from govdata.catalog.service import get_resource
from govdata.context import Ctx
from govdata.deadlines import due_info
from govdata.errors import Forbidden, InvalidInput
from govdata.profiles.schema import Limit
from govdata.sharing import queries, service, web_manage
from govdata.sharing.masking import MASK_RULE_LABELS
from govdata.sharing.models import RequestState, ShareGrant, ShareRequest
from govdata.sharing.schemas import ApproveIn, CoordinateIn, NoteIn, RefuseIn, ShareRequestIn
from govdata.sharing.web_common import (
    FORM_ERRORS,
    Posted,
    default_rule,
    go,
    item_labels,
    limit_words,
    mask_words,
    org_names,
    page,
    parse,
    problems,
    published_items,
    rows_of,
    scope_conditions,
    scope_rows,
    scope_words,
    text,
)
from govdata.sharing.workflow import (
    ACTION_LABELS,
    CHANNEL_LABELS,
    FILTER_OP_LABELS,
    STATE_LABELS,
    WAITING,
    Action,
)
from govdata.web_support import CtxDep, PageActor, check_csrf

router = APIRouter(include_in_schema=False)
router.include_router(web_manage.router)
Csrf = Depends(check_csrf)
PER_PAGE = 20


def _helpers(ctx: Ctx) -> dict[str, Any]:
    return {
        "STATE": STATE_LABELS,
        "CHANNEL": CHANNEL_LABELS,
        "OPS": FILTER_OP_LABELS,
        "MASK": MASK_RULE_LABELS,
        "authority": ctx.profile.bodies.authority,
    }


# ---------------------------------------------------------------- the sharing catalog


@router.get("/sharing")
def sharing_catalog(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    require(actor, Permission.SHARE_READ)
    params = request.query_params
    q = params.get("q", "").strip()[:200]
    raw_type = params.get("share_type", "").strip()[:20]
    raw_page = params.get("page", "1").strip()
    found_problems: list[str] = []
    share_type = None
    if raw_type:
        try:
            share_type = ShareType(raw_type)
        except ValueError:
            found_problems.append(f"共享类型“{raw_type}”不是有效的筛选值，已忽略")
            raw_type = ""
    number = int(raw_page) if raw_page.isdigit() and 1 <= int(raw_page) <= 100_000 else 1
    filters = SearchFilters(q=q, share_type=share_type, state=VersionState.PUBLISHED)
    try:
        found = search_entries(ctx, actor, filters, number, PER_PAGE)
    except InvalidInput as exc:
        found_problems.append(exc.message)
        found = Page(items=[], total=0, page=1, size=PER_PAGE)
    versions = published_items(ctx, [r.resource_id for r in found.items])
    kept = {k: v for k, v in (("q", q), ("share_type", raw_type)) if v}
    return page(
        request,
        "sharing/catalog.html",
        actor,
        "catalog",
        status_code=422 if found_problems else 200,
        found=found,
        rows=[(r, versions.get(r.resource_id)) for r in found.items],
        f={"q": q, "share_type": raw_type},
        problems=found_problems,
        link=lambda n: "/sharing?" + urlencode({**kept, "page": n}),
        can_request=Permission.SHARE_REQUEST in actor.permissions and actor.org_id is not None,
        match_on_not_shared=ctx.profile.workflow.match_on_not_shared,
        types=labels.SHARE_TYPE,
        **_helpers(ctx),
    )


# ---------------------------------------------------------------- the request form


def _requester(ctx: Ctx, actor: Actor, resource_id: int) -> tuple[Resource, ResourceVersion]:
    require(actor, Permission.SHARE_REQUEST)
    if actor.org_id is None:
        raise Forbidden("只有政务部门的账号可以申请共享数据")
    resource = get_resource(ctx.session, resource_id)
    return resource, service.published_version(ctx, resource)


def _what_next(ctx: Ctx, version: ResourceVersion, provider: str) -> dict[str, Any]:
    """What happens after submitting, for this entry's sharing type, with the profile's limits."""
    flow = ctx.profile.workflow
    return {
        "answer": limit_words(ctx, Limit.SHARE_ANSWER),
        "access": limit_words(ctx, Limit.SHARE_OPEN_ACCESS) if flow.authority_opens_share_access else None,
        "coordination": limit_words(ctx, Limit.SHARE_COORDINATION),
        "match_allowed": version.share_type != ShareType.NONE or flow.match_on_not_shared,
        "provider": provider,
    }


def _request_form(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    resource: Resource,
    version: ResourceVersion,
    *,
    values: dict[str, Any] | None = None,
    rows: list[dict[str, str]] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "sharing/request_form.html",
        actor,
        "catalog",
        status_code=status_code,
        resource=resource,
        version=version,
        own=resource.org_id == actor.org_id,
        v=values or {"items": [], "purpose": "", "duty": "", "duration_days": "90", "channel": "api"},
        rows=rows or scope_rows(None),
        item_pairs=[(i.field_name, i.name) for i in version.items],
        errors=errors or [],
        next=_what_next(ctx, version, resource.org.name),
        types=labels.SHARE_TYPE,
        **_helpers(ctx),
    )


@router.get("/sharing/request/{resource_id:int}")
def request_form(request: Request, ctx: CtxDep, actor: PageActor, resource_id: int) -> Response:
    resource, version = _requester(ctx, actor, resource_id)
    return _request_form(request, ctx, actor, resource, version)


def _submitted_message(ctx: Ctx, share: ShareRequest) -> str:
    if share.state == RequestState.GRANTED:
        grant = ctx.session.get(ShareGrant, share.grant_id)
        until = f"，有效期至 {grant.expires_on.isoformat()}" if grant else ""
        return (
            f"已授权（编号 {share.id}）：平台已直接授权{until}；调用共享交换接口时请说明用途“{share.purpose}”"
        )
    due = share.due_date.isoformat() if share.due_date else "规定时限内"
    if share.state == RequestState.PENDING:
        return f"申请已提交（编号 {share.id}），等待{share.provider_org.name}答复：应于 {due} 前答复"
    return (
        f"该数据不予共享，申请（编号 {share.id}）已提交{ctx.profile.bodies.authority}协调，应于 {due} 前办结"
    )


@router.post("/sharing/request/{resource_id:int}", dependencies=[Csrf])
def request_submit(
    request: Request, ctx: CtxDep, actor: PageActor, resource_id: int, form: Posted
) -> Response:
    resource, version = _requester(ctx, actor, resource_id)
    items = [i for i in form.getlist("items") if isinstance(i, str) and i]
    values = {
        "items": items,
        "purpose": text(form, "purpose", 400),
        "duty": text(form, "duty", 4000),
        "duration_days": text(form, "duration_days", 10),
        "channel": text(form, "channel", 20),
    }
    rows = scope_rows(form)
    try:
        if not items:
            raise InvalidInput("请至少选择一个要申请的信息项")
        data = parse(
            ShareRequestIn, {**values, "resource_id": resource.id, "row_filter": scope_conditions(rows)}
        )
        share = service.submit_request(ctx, actor, data)
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _request_form(
            request,
            ctx,
            actor,
            resource,
            version,
            values=values,
            rows=rows,
            errors=problems(exc),
            status_code=exc.http_status,
        )
    return go(f"/sharing/requests/{share.id}", _submitted_message(ctx, share))


# ---------------------------------------------------------------- the lists


@router.get("/sharing/requests")
def request_lists(
    request: Request, ctx: CtxDep, actor: PageActor, tab: Annotated[str, Query(max_length=20)] = ""
) -> Response:
    require(actor, Permission.SHARE_READ)
    perms = actor.permissions
    lists = {"mine": ("我的申请", queries.my_requests)}
    if Permission.SHARE_ANSWER in perms:
        lists["inbox"] = ("待我答复", queries.inbox)
    if Permission.SHARE_COORDINATE in perms:
        lists["coordination"] = ("协调事项", queries.coordination_queue)
    if tab not in lists:
        tab = "coordination" if "coordination" in lists and actor.is_authority else "mine"
    found = {key: fetch(ctx, actor) for key, (_label, fetch) in lists.items()}
    todo = {"inbox": {RequestState.PENDING}}  # the provider's own work; the rest waits on others
    waiting = {
        key: sum(1 for r in rows if r.request.state in todo.get(key, WAITING)) for key, rows in found.items()
    }
    rows = found[tab]
    orgs = org_names(ctx, [o for r in rows for o in (r.request.consumer_org_id, r.request.provider_org_id)])
    return page(
        request,
        "sharing/requests.html",
        actor,
        "requests",
        tabs=[(key, label) for key, (label, _fetch) in lists.items()],
        tab=tab,
        waiting=waiting,
        rows=rows,
        orgs=orgs,
        can_request=Permission.SHARE_REQUEST in perms,
        **_helpers(ctx),
    )


# ---------------------------------------------------------------- one request


def _roles(actor: Actor, share: ShareRequest, late: bool) -> dict[str, bool]:
    """Which forms the viewer may use: the use cases' own rules, so only forms that can succeed are offered."""
    perms, state = actor.permissions, share.state
    provider = actor.org_id == share.provider_org_id and Permission.SHARE_ANSWER in perms
    consumer = actor.org_id == share.consumer_org_id and Permission.SHARE_REQUEST in perms
    coordinator = Permission.SHARE_COORDINATE in perms and in_jurisdiction(actor, share.region_path)
    answering = state in (RequestState.PENDING, RequestState.AWAITING_ACCESS)
    return {
        "provider": provider,
        "consumer": consumer,
        "coordinator": coordinator,
        "approve": provider and state == RequestState.PENDING,
        "refuse": provider and state == RequestState.PENDING,
        "escalate": consumer and (state == RequestState.REFUSED or (answering and late)),
        "escalate_later": consumer and answering and not late,
        "withdraw": consumer and state in WAITING,
        "open_access": coordinator and state == RequestState.AWAITING_ACCESS,
        "coordinate": coordinator and state == RequestState.COORDINATING,
    }


def _detail(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    request_id: int,
    *,
    errors: list[str] | None = None,
    failed: str = "",
    kept: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    share = service.get_request(ctx, actor, request_id)
    version = ctx.session.get(ResourceVersion, share.version_id)
    names = item_labels(version)
    requested = [i for i in share.items.split(",") if i]
    due = None
    if share.due_date and share.state in WAITING:
        due = due_info(ctx.calendar, share.due_date, ctx.clock.today())
    grant = ctx.session.get(ShareGrant, share.grant_id) if share.grant_id else None
    defaults = {i.field_name: default_rule(i).value for i in (version.items if version else [])}
    kept = kept or {}
    partial = {
        "items": kept.get("items", requested),
        "rows": kept.get("rows") or rows_of(share.row_filter, names),
        "duration_days": kept.get("duration_days", str(share.duration_days)),
        "mask": {**defaults, **kept.get("mask", {})},
        "note": kept.get("note", ""),
    }
    return page(
        request,
        "sharing/request.html",
        actor,
        "requests",
        status_code=status_code,
        share=share,
        version=version,
        names=names,
        requested=[(f, names.get(f, f)) for f in requested],
        approved=[(f, names.get(f, f)) for f in (share.approved_items or "").split(",") if f],
        scope=scope_words(share.row_filter, names),
        approved_scope=scope_words(share.approved_filter, names) if share.approved_filter else None,
        grant=grant,
        grant_masking=mask_words(grant.masking, names) if grant else [],
        due=due,
        limits={
            "answer": limit_words(ctx, Limit.SHARE_ANSWER),
            "access": limit_words(ctx, Limit.SHARE_OPEN_ACCESS),
            "coordination": limit_words(ctx, Limit.SHARE_COORDINATION),
        },
        can=_roles(actor, share, due is not None and due.overdue),
        partial=partial,
        errors=errors or [],
        failed=failed,
        kept=kept,
        share_types=labels.SHARE_TYPE,
        ACTION=ACTION_LABELS,
        today=ctx.clock.today(),
        **_helpers(ctx),
    )


@router.get("/sharing/requests/{request_id:int}")
def request_detail(request: Request, ctx: CtxDep, actor: PageActor, request_id: int) -> Response:
    return _detail(request, ctx, actor, request_id)


def _form_failed(
    request: Request, ctx: Ctx, actor: Actor, request_id: int, exc: Any, failed: str, kept: dict[str, Any]
) -> Response:
    ctx.session.rollback()  # nothing of a refused form may remain
    return _detail(
        request, ctx, actor, request_id, errors=problems(exc), failed=failed, kept=kept,
        status_code=exc.http_status,
    )  # fmt: skip


def _granted_until(ctx: Ctx, share: ShareRequest) -> str:
    grant = ctx.session.get(ShareGrant, share.grant_id) if share.grant_id else None
    return f"授权已生效，有效期至 {grant.expires_on.isoformat()}" if grant else "授权已生效"


def _partial_approval(ctx: Ctx, actor: Actor, request_id: int, form: Any, kept: dict[str, Any]) -> ApproveIn:
    share = service.get_request(ctx, actor, request_id)
    version = ctx.session.get(ResourceVersion, share.version_id)
    items = kept["items"]
    if not items:
        raise InvalidInput("至少同意一个信息项；全部不同意请选择“拒绝”并说明理由和依据")
    masks: dict[str, str] = {}
    for item in version.items if version else []:
        chosen = text(form, f"mask-{item.field_name}", 20)
        if chosen:
            kept["mask"][item.field_name] = chosen
        if item.field_name in items and chosen and chosen != default_rule(item).value:
            masks[item.field_name] = chosen  # only what differs from the item's default is a decision
    body = {
        "items": items,
        "row_filter": scope_conditions(kept["rows"]),
        "duration_days": kept["duration_days"],
        "masking": masks or None,
        "note": kept["note"] or None,
    }
    return parse(ApproveIn, body, {"note": "答复意见", "duration_days": "同意的使用期限（天）"})


@router.post("/sharing/requests/{request_id:int}/approve", dependencies=[Csrf])
def request_approve(
    request: Request, ctx: CtxDep, actor: PageActor, request_id: int, form: Posted
) -> Response:
    in_part = text(form, "mode", 20) == "partial"
    kept: dict[str, Any] = {"note": text(form, "note")}
    if in_part:
        kept |= {
            "items": [i for i in form.getlist("items") if isinstance(i, str) and i],
            "rows": scope_rows(form),
            "duration_days": text(form, "duration_days", 10),
            "mask": {},
        }
    try:
        if in_part:
            data = _partial_approval(ctx, actor, request_id, form, kept)
        else:
            data = parse(ApproveIn, {"note": kept["note"] or None}, {"note": "答复意见"})
        share = service.approve(ctx, actor, request_id, data)
    except FORM_ERRORS as exc:
        return _form_failed(request, ctx, actor, request_id, exc, "partial" if in_part else "approve", kept)
    said = "已部分同意" if in_part else "已同意"
    if share.state == RequestState.AWAITING_ACCESS:
        due = share.due_date.isoformat() if share.due_date else "规定时限内"
        return go(
            f"/sharing/requests/{share.id}",
            f"{said}，待{ctx.profile.bodies.authority}于 {due} 前开通共享权限",
        )
    return go(f"/sharing/requests/{share.id}", f"{said}，{_granted_until(ctx, share)}")


@router.post("/sharing/requests/{request_id:int}/refuse", dependencies=[Csrf])
def request_refuse(
    request: Request, ctx: CtxDep, actor: PageActor, request_id: int, form: Posted
) -> Response:
    kept = {"reason": text(form, "reason"), "basis": text(form, "basis")}
    try:
        data = parse(RefuseIn, kept, {"reason": "拒绝理由"})
        share = service.refuse(ctx, actor, request_id, data)
    except FORM_ERRORS as exc:
        return _form_failed(request, ctx, actor, request_id, exc, "refuse", kept)
    return go(
        f"/sharing/requests/{share.id}",
        f"已拒绝，理由和依据已告知申请单位；申请单位可提请{ctx.profile.bodies.authority}协调",
    )


@router.post("/sharing/requests/{request_id:int}/escalate", dependencies=[Csrf])
def request_escalate(
    request: Request, ctx: CtxDep, actor: PageActor, request_id: int, form: Posted
) -> Response:
    kept = {"note": text(form, "note")}
    try:
        data = parse(NoteIn, kept, {"note": "提请协调的理由"})
        share = service.escalate(ctx, actor, request_id, data)
    except FORM_ERRORS as exc:
        return _form_failed(request, ctx, actor, request_id, exc, "escalate", kept)
    due = share.due_date.isoformat() if share.due_date else "规定时限内"
    return go(f"/sharing/requests/{share.id}", f"已提请{ctx.profile.bodies.authority}协调，应于 {due} 前办结")


@router.post("/sharing/requests/{request_id:int}/withdraw", dependencies=[Csrf])
def request_withdraw(request: Request, ctx: CtxDep, actor: PageActor, request_id: int) -> Response:
    try:
        share = service.withdraw(ctx, actor, request_id)
    except FORM_ERRORS as exc:
        return _form_failed(request, ctx, actor, request_id, exc, "withdraw", {})
    return go(f"/sharing/requests/{share.id}", f"已撤回申请（编号 {share.id}）")


@router.post("/sharing/requests/{request_id:int}/open-access", dependencies=[Csrf])
def request_open_access(request: Request, ctx: CtxDep, actor: PageActor, request_id: int) -> Response:
    try:
        share = service.open_access(ctx, actor, request_id)
    except FORM_ERRORS as exc:
        return _form_failed(request, ctx, actor, request_id, exc, "open_access", {})
    return go(f"/sharing/requests/{share.id}", f"已开通共享权限，{_granted_until(ctx, share)}")


@router.post("/sharing/requests/{request_id:int}/coordinate", dependencies=[Csrf])
def request_coordinate(
    request: Request, ctx: CtxDep, actor: PageActor, request_id: int, form: Posted
) -> Response:
    kept = {"decision": text(form, "decision", 20), "note": text(form, "note")}
    try:
        data = parse(CoordinateIn, kept, {"decision": "协调结果", "note": "协调意见"})
        share = service.coordinate(ctx, actor, request_id, data)
    except FORM_ERRORS as exc:
        return _form_failed(request, ctx, actor, request_id, exc, "coordinate", kept)
    if share.state == RequestState.GRANTED:
        message = f"{ACTION_LABELS[Action.COORDINATE_GRANT]}，{_granted_until(ctx, share)}"
    else:
        message = f"{ACTION_LABELS[Action.COORDINATE_UPHOLD]}，已告知申请单位"
    return go(f"/sharing/requests/{share.id}", message)
