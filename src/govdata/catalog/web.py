"""Catalog pages: browse and search, entry detail, history and comparison, and the department actions on an entry.

Routes only read and call the use cases in `service`, `changes`, `demands`, `duplicates` and `filings`;
every POST carries the session's CSRF token and answers with a 303 redirect and a flash message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from govdata import labels
from govdata.authz import Actor, Permission, in_jurisdiction
from govdata.catalog import changes, duplicates, queries, service
from govdata.catalog.models import (
    BaseDatabase,
    Classification,
    DataType,
    IdentifierKind,
    OpenType,
    Resource,
    ResourceVersion,
    ShareMode,
    ShareType,
    UpdateCycle,
    VersionState,
)
from govdata.catalog.schemas import (
    DOMAINS,
    TriggerIn,
    WithdrawIn,
)
from govdata.catalog.workflow import EDITABLE
from govdata.context import Ctx
from govdata.deadlines import DueInfo, due_info
from govdata.errors import DomainError, InvalidInput, NotFound
from govdata.org.models import Organization, OrgKind, RegionLevel
from govdata.web_support import CtxDep, PageActor, check_csrf, parse_form, redirect_with, render
from govdata.web_support import Posted as Posted  # re-exported for the catalog's pages

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


OptText = Annotated[str | None, Form(max_length=4000)]


# ---------------------------------------------------------------- helpers


_go = redirect_with


def _safe_next(target: object, fallback: str) -> str:
    text = str(target or "")
    return text if text.startswith("/") and not text.startswith("//") else fallback


def _valid(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return parse_form(model, data, blank_is_missing=False)


def _blank_to_none(value: object) -> str | None:
    text = str(value or "").strip()
    return text or None


def _due_fn(ctx: Ctx) -> Callable[[dt.date | None], DueInfo | None]:
    today = ctx.clock.today()

    def due(day: dt.date | None) -> DueInfo | None:
        return due_info(ctx.calendar, day, today) if day else None

    return due


def _departments(ctx: Ctx, actor: Actor | None = None) -> list[Organization]:
    orgs = [o for o in queries.organizations(ctx.session) if o.kind in (OrgKind.DEPARTMENT, OrgKind.OPERATOR)]
    if actor is not None and actor.region_path:
        orgs = [o for o in orgs if o.region.path.startswith(actor.region_path)]
    return orgs


def _reviewer_of(actor: Actor, resource: Resource) -> bool:
    return (
        Permission.CATALOG_REVIEW in actor.permissions
        and actor.is_authority
        and in_jurisdiction(actor, resource.region_path)
    )


_VALUE_LABELS: dict[type, dict[Any, str]] = {
    Classification: labels.CLASSIFICATION,
    BaseDatabase: labels.BASE_DATABASE,
    ShareType: labels.SHARE_TYPE,
    OpenType: labels.OPEN_TYPE,
    ShareMode: labels.SHARE_MODE,
    UpdateCycle: labels.UPDATE_CYCLE,
    DataType: labels.DATA_TYPE,
    IdentifierKind: labels.IDENTIFIER,
}


def _show(field: str, value: object) -> str:
    """A stored value as a reader expects to see it in a comparison."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field == "提供渠道":
        return labels.channels(str(value))
    if field in ("数据分级", "敏感级别") and isinstance(value, int):
        return labels.GRADE.get(value, str(value))
    mapping = _VALUE_LABELS.get(type(value))
    return mapping.get(value, str(value)) if mapping else str(value)


def _diff_view(diff: queries.VersionDiff) -> dict[str, Any]:
    return {
        "fields": [(c.field, _show(c.field, c.before), _show(c.field, c.after)) for c in diff.fields],
        "items_added": diff.items_added,
        "items_removed": diff.items_removed,
        "items_changed": [
            (name, [(c.field, _show(c.field, c.before), _show(c.field, c.after)) for c in cs])
            for name, cs in diff.items_changed
        ],
        "empty": not (diff.fields or diff.items_added or diff.items_removed or diff.items_changed),
    }


def _entry_view(ctx: Ctx, actor: Actor, resource: Resource) -> dict[str, Any]:
    """An entry in a duplicates list: the version under review if any, else the published one."""
    version = service.head_of(ctx.session, resource)
    if resource.published_version_id and version.state != VersionState.SUBMITTED:
        version = ctx.session.get(ResourceVersion, resource.published_version_id) or version
    return {
        "resource_id": resource.id,
        "code": resource.code,
        "name": version.name,
        "state": version.state,
        "org_name": resource.org.name,
        "source_resource_id": resource.source_resource_id,
        "designatable": in_jurisdiction(actor, resource.region_path),
    }


def _dup_view(ctx: Ctx, actor: Actor, cand: duplicates.DuplicateCandidate) -> dict[str, Any]:
    view = _entry_view(ctx, actor, service.get_resource(ctx.session, cand.resource_id))
    view.update(
        name_similarity=cand.name_similarity, item_overlap=cand.item_overlap, shared_items=cand.shared_items
    )
    return view


# ---------------------------------------------------------------- browse and search

_FILTER_ENUMS: dict[str, tuple[type, str]] = {
    "level": (RegionLevel, "层级"),
    "classification": (Classification, "资源分类"),
    "share_type": (ShareType, "共享类型"),
    "open_type": (OpenType, "开放类型"),
    "state": (VersionState, "状态"),
}
_PAGE_SIZES = (10, 20, 50, 100)


def _problems(exc: DomainError) -> list[str]:
    found = exc.details.get("problems") if exc.details else None
    if isinstance(found, list) and found and all(isinstance(p, str) for p in found):
        return found
    return [exc.message]


def _int_param(raw: str, low: int, high: int) -> int | None:
    return int(raw) if raw.isdigit() and low <= int(raw) <= high else None


@router.get("/catalog")
def catalog(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    params = request.query_params
    keys = ["q", "org_id", "region_code", "domain", "page", "size", *_FILTER_ENUMS]
    raw = {k: params.get(k, "").strip()[:200] for k in keys}
    problems: list[str] = []
    chosen: dict[str, Any] = {}
    for key, (enum, label) in _FILTER_ENUMS.items():
        if raw[key]:
            try:
                chosen[key] = enum(raw[key])
            except ValueError:
                problems.append(f"{label}“{raw[key]}”不是有效的筛选值，已忽略")
                raw[key] = ""
    org_id = _int_param(raw["org_id"], 1, 2**62) if raw["org_id"] else None
    if raw["org_id"] and org_id is None:
        problems.append("所选部门无效，已忽略")
        raw["org_id"] = ""
    if raw["region_code"] and not re.fullmatch(r"\d{6}", raw["region_code"]):
        problems.append("行政区划代码应为 6 位数字，已忽略")
        raw["region_code"] = ""
    page = _int_param(raw["page"], 1, 100_000) or 1
    size = _int_param(raw["size"], 1, 200) or 20
    filters = queries.SearchFilters(
        q=raw["q"],
        org_id=org_id,
        region_code=raw["region_code"] or None,
        domain=raw["domain"][:50] or None,
        **chosen,
    )
    try:
        found = queries.search_entries(ctx, actor, filters, page, size)
    except InvalidInput as exc:
        problems.append(exc.message)
        found = queries.Page(items=[], total=0, page=1, size=size)
    kept = {k: v for k, v in raw.items() if v and k not in ("page",)}
    return render(
        request,
        "catalog/list.html",
        found=found,
        f=raw,
        problems=problems,
        query=lambda **extra: urlencode({**kept, **extra}),
        departments=_departments(ctx),
        domains=DOMAINS,
        sizes=_PAGE_SIZES,
        enums={
            "level": labels.REGION_LEVEL,
            "classification": labels.CLASSIFICATION,
            "share_type": labels.SHARE_TYPE,
            "open_type": labels.OPEN_TYPE,
            "state": labels.VERSION_STATE,
        },
        can_create=Permission.CATALOG_EDIT in actor.permissions,
    )


# ---------------------------------------------------------------- the editor


@router.get("/catalog/{resource_id:int}")
def entry_detail(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    resource_id: int,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> Response:
    resource = service.get_resource(ctx.session, resource_id)
    current = service.visible_version(ctx, actor, resource)
    entry = queries.entry_detail(ctx, actor, resource_id, version or current.number)
    own = actor.org_id == resource.org_id
    perms = actor.permissions
    state = current.state
    source = None
    if resource.source_resource_id:
        src = service.get_resource(ctx.session, resource.source_resource_id)
        try:
            src_name: str | None = service.visible_version(ctx, actor, src).name
        except NotFound:
            src_name = None
        source = {"id": src.id, "code": src.code, "name": src_name, "org_name": src.org.name}
    due = _due_fn(ctx)
    triggers = []
    for t in entry.triggers:
        waiting = changes.trigger_due(t)  # type: ignore[arg-type]  # TriggerOut carries the same fields
        label, day = waiting if waiting else (None, None)
        triggers.append((t, label, due(day) if isinstance(day, dt.date) else None))
    return render(
        request,
        "catalog/detail.html",
        entry=entry,
        v=entry.version,
        resource=resource,
        current=current,
        viewing_current=entry.version.number == current.number,
        source=source,
        triggers=triggers,
        review_due=due(entry.version.review_due) if entry.version.state == VersionState.SUBMITTED else None,
        can_edit=own
        and Permission.CATALOG_EDIT in perms
        and (state in EDITABLE or state in (VersionState.PUBLISHED, VersionState.APPROVED)),
        can_submit=own and Permission.CATALOG_SUBMIT in perms and state in EDITABLE,
        can_withdraw=own and Permission.CATALOG_EDIT in perms and state in EDITABLE,
        can_trigger=resource.published_version_id is not None
        and Permission.CATALOG_TRIGGER in perms
        and (own or (actor.is_authority and in_jurisdiction(actor, resource.region_path))),
        can_review=_reviewer_of(actor, resource) and state in (VersionState.SUBMITTED, VersionState.APPROVED),
        trigger_kinds=labels.TRIGGER,
        today=ctx.clock.today().isoformat(),
    )


@router.get("/catalog/{resource_id:int}/compare")
def compare_versions(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    resource_id: int,
    from_: Annotated[int, Query(alias="from", ge=1, le=100_000)],
    to: Annotated[int, Query(ge=1, le=100_000)],
) -> Response:
    resource = service.get_resource(ctx.session, resource_id)
    versions = {v.number: v for v in service.visible_versions(ctx, actor, resource)}
    if from_ not in versions or to not in versions:
        raise NotFound("所选版本不存在或无权查看")
    return render(
        request,
        "catalog/compare.html",
        resource=resource,
        old=versions[from_],
        new=versions[to],
        numbers=sorted(versions),
        diff=_diff_view(queries.compare(versions[from_], versions[to])),
    )


@router.post("/catalog/{resource_id:int}/submit", dependencies=[Csrf])
def submit_entry(ctx: CtxDep, actor: PageActor, resource_id: int) -> Response:
    version = service.submit(ctx, actor, resource_id)
    due = version.review_due.isoformat() if version.review_due else "规定时限内"
    return _go(f"/catalog/{resource_id}", f"已提交审核，主管部门应于 {due} 前完成审核")


@router.post("/catalog/{resource_id:int}/withdraw", dependencies=[Csrf])
def withdraw_entry(ctx: CtxDep, actor: PageActor, resource_id: int, reason: OptText = None) -> Response:
    data = _valid(WithdrawIn, {"reason": _blank_to_none(reason)})
    version = service.withdraw_draft(ctx, actor, resource_id, data.reason)
    resource = service.get_resource(ctx.session, resource_id)
    message = f"已撤销第 {version.number} 版草稿"
    if resource.published_version_id is not None:
        message += "，条目仍以已发布的版本为准"
    return _go(f"/catalog/{resource_id}", message)


@router.post("/catalog/{resource_id:int}/triggers", dependencies=[Csrf])
def record_trigger(
    ctx: CtxDep,
    actor: PageActor,
    resource_id: int,
    kind: Annotated[str, Form(max_length=30)] = "",
    description: Annotated[str, Form(max_length=2000)] = "",
    occurred_on: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    data = _valid(
        TriggerIn, {"kind": kind, "description": description, "occurred_on": _blank_to_none(occurred_on)}
    )
    trigger = changes.record_trigger(ctx, actor, resource_id, data)
    return _go(
        f"/catalog/{resource_id}",
        f"已登记变更情形（{labels.TRIGGER[trigger.kind]}），目录应于 {trigger.update_due.isoformat()} 前完成更新",
    )


# ---------------------------------------------------------------- review
