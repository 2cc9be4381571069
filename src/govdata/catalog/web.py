"""Catalog pages: browse and search, entry detail and editor, review, demands, duplicates, filings, roll-up.

Routes only read and call the use cases in `service`, `changes`, `demands`, `duplicates` and `filings`;
every POST carries the session's CSRF token and answers with a 303 redirect and a flash message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata import labels
from govdata.authz import Actor, Permission, in_jurisdiction, require
from govdata.catalog import changes, demands, duplicates, filings, queries, service
from govdata.catalog.models import (
    BaseDatabase,
    Classification,
    DataType,
    DemandState,
    FilingState,
    IdentifierKind,
    OpenType,
    Resource,
    ResourceVersion,
    ShareMode,
    ShareType,
    TriggerState,
    UpdateCycle,
    VersionState,
)
from govdata.catalog.schemas import (
    DOMAINS,
    FORMAT_CATEGORIES,
    CreateEntryIn,
    DemandAnswerIn,
    DemandIn,
    DesignateIn,
    EditEntryIn,
    FilingDecisionIn,
    ReviewIn,
    TriggerIn,
    WithdrawIn,
)
from govdata.catalog.workflow import EDITABLE, STATE_LABELS
from govdata.context import Ctx
from govdata.deadlines import DueInfo, due_info
from govdata.errors import Conflict, DomainError, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization, OrgKind, Region, RegionLevel
from govdata.validation import validation_message
from govdata.web_support import CtxDep, PageActor, check_csrf, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


async def _posted(request: Request) -> FormData:
    """The whole posted form (cached by Starlette, so the CSRF check and the route share one parse)."""
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]
OptText = Annotated[str | None, Form(max_length=4000)]


# ---------------------------------------------------------------- helpers


def _go(path: str, msg: str) -> RedirectResponse:
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}msg={quote(msg)}", status_code=303)


def _safe_next(target: object, fallback: str) -> str:
    text = str(target or "")
    return text if text.startswith("/") and not text.startswith("//") else fallback


def _valid(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """Validate a small form; bad input becomes the Chinese InvalidInput the error page shows."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, details = validation_message(exc.errors())
        raise InvalidInput(message, details={"problems": details}) from None


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

_ENTRY_FIELDS = [
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
    "usage_requirements",
    "grade",
    "release_date",
    "related_codes",
    "change_reason",
    "trigger_id",
]
_ITEM_TEXT = ["name", "field_name", "data_type", "length", "identifier_kind", "sensitivity", "description"]
_ITEM_FLAGS = ["required", "is_basic"]
_ITEM_KEY = re.compile(r"^item-(\d{1,4})-")
_MAX_ROWS = 600
_BLANK_ROWS = 3
_ADD_ROWS = 5


def _blank_row() -> dict[str, Any]:
    row: dict[str, Any] = {k: "" for k in _ITEM_TEXT}
    row.update(data_type="string", identifier_kind="none", sensitivity="1", required=False, is_basic=False)
    return row


def _is_blank(row: dict[str, Any]) -> bool:
    """A row the user typed nothing into; a row with anything typed is saved (and validated)."""
    return not any(str(row[k]).strip() for k in ("name", "field_name", "length", "description"))


def _new_values() -> dict[str, Any]:
    values: dict[str, Any] = {k: "" for k in _ENTRY_FIELDS}
    values.update(
        classification="department",
        format_category="数据库",
        update_cycle="monthly",
        share_type="unconditional",
        share_mode="platform",
        open_type="none",
        grade="1",
        share_channels=["api"],
        deidentified=False,
        supplementary=False,
    )
    return values


def _values_of(version: ResourceVersion, *, new_version: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values: dict[str, Any] = {}
    for name in _ENTRY_FIELDS[:-3]:
        value = getattr(version, name, None)
        values[name] = "" if value is None else str(value)
    values["release_date"] = version.release_date.isoformat() if version.release_date else ""
    values["related_codes"] = ", ".join(c for c in version.related_codes.split(",") if c)
    values["change_reason"] = "" if new_version else (version.change_reason or "")
    values["trigger_id"] = "" if new_version or version.trigger_id is None else str(version.trigger_id)
    values["share_channels"] = [c for c in version.share_channels.split(",") if c]
    values["deidentified"] = version.deidentified
    values["supplementary"] = version.resource.supplementary
    rows = []
    for item in version.items:
        row = {k: "" if getattr(item, k) is None else str(getattr(item, k)) for k in _ITEM_TEXT}
        row.update(required=item.required, is_basic=item.is_basic)
        rows.append(row)
    return values, rows


def _read_form(form: FormData) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in _ENTRY_FIELDS}
    values["share_channels"] = [str(c) for c in form.getlist("share_channels")]
    values["deidentified"] = bool(form.get("deidentified"))
    values["supplementary"] = bool(form.get("supplementary"))
    indices = sorted({int(m.group(1)) for key in form if (m := _ITEM_KEY.match(key))})[:_MAX_ROWS]
    rows = []
    for i in indices:
        row: dict[str, Any] = {k: str(form.get(f"item-{i}-{k}") or "") for k in _ITEM_TEXT}
        row.update({flag: bool(form.get(f"item-{i}-{flag}")) for flag in _ITEM_FLAGS})
        rows.append(row)
    return values, rows


def _payload(values: dict[str, Any], rows: list[dict[str, Any]], *, creating: bool) -> dict[str, Any]:
    data: dict[str, Any] = {k: values[k] for k in _ENTRY_FIELDS[:-3]}
    for key in ("base_database", "share_conditions", "share_basis", "open_conditions", "open_basis"):
        data[key] = _blank_to_none(values[key])
    data["usage_requirements"] = _blank_to_none(values["usage_requirements"])
    data["release_date"] = _blank_to_none(values["release_date"])
    data["share_mode"] = values["share_mode"] or ShareMode.PLATFORM.value
    data["share_channels"] = values["share_channels"]
    data["deidentified"] = values["deidentified"]
    data["related_codes"] = [c for c in re.split(r"[\s,，、;；]+", values["related_codes"]) if c]
    data["change_reason"] = _blank_to_none(values["change_reason"])
    data["items"] = [
        {
            **{k: row[k] for k in ("name", "field_name", "data_type")},
            "length": _blank_to_none(row["length"]),
            "identifier_kind": row["identifier_kind"] or IdentifierKind.NONE.value,
            "sensitivity": row["sensitivity"] or "1",
            "required": row["required"],
            "is_basic": row["is_basic"],
            "description": _blank_to_none(row["description"]),
        }
        for row in rows
        if not _is_blank(row)
    ]
    if creating:
        data["supplementary"] = values["supplementary"]
    else:
        data["trigger_id"] = _blank_to_none(values["trigger_id"])
    return data


def _error_keys(errors: list[Any]) -> set[str]:
    """Form field names to mark as invalid, from pydantic error locations."""
    keys: set[str] = set()
    for error in errors:
        loc = error.get("loc", ())
        if len(loc) >= 3 and loc[0] == "items" and isinstance(loc[1], int):
            keys.add(f"item-{loc[1]}-{loc[2]}")
        elif loc:
            keys.add(str(loc[0]))
    return keys


def _rows_for_form(rows: list[dict[str, Any]], extra: int) -> list[dict[str, Any]]:
    """Filled rows first (so row numbers match the messages), then the blank ones, then `extra` new rows."""
    filled = [r for r in rows if not _is_blank(r)]
    blank = [r for r in rows if _is_blank(r)]
    blank += [_blank_row() for _ in range(max(0, _BLANK_ROWS - len(blank)) + extra)]
    return (filled + blank)[: _MAX_ROWS + _BLANK_ROWS]


def _editor(
    request: Request,
    ctx: Ctx,
    *,
    values: dict[str, Any],
    rows: list[dict[str, Any]],
    resource: Resource | None = None,
    head: ResourceVersion | None = None,
    errors: list[str] | None = None,
    error_keys: set[str] | None = None,
    extra_rows: int = 0,
    status_code: int = 200,
) -> Response:
    new_version = head is not None and head.state in (VersionState.PUBLISHED, VersionState.APPROVED)
    triggers = []
    if resource is not None:
        triggers = [
            t
            for t in queries.triggers_of(ctx.session, resource.id)
            if t.state in (TriggerState.OPEN, TriggerState.UPDATED)
        ]
    return render(
        request,
        "catalog/editor.html",
        status_code=status_code,
        f=values,
        rows=_rows_for_form(rows, extra_rows),
        resource=resource,
        head=head,
        new_version=new_version,
        needs_reason=new_version or (head is not None and head.number > 1),
        triggers=triggers,
        errors=errors or [],
        bad=error_keys or set(),
        domains=DOMAINS,
        format_categories=FORMAT_CATEGORIES,
        enums={
            "classification": labels.CLASSIFICATION,
            "base_database": labels.BASE_DATABASE,
            "update_cycle": labels.UPDATE_CYCLE,
            "share_type": labels.SHARE_TYPE,
            "share_mode": labels.SHARE_MODE,
            "share_channel": labels.SHARE_CHANNEL,
            "open_type": labels.OPEN_TYPE,
            "grade": labels.GRADE,
            "data_type": labels.DATA_TYPE,
            "identifier": {**labels.IDENTIFIER, IdentifierKind.NONE: "无"},
        },
    )


def _problems(exc: DomainError) -> list[str]:
    found = exc.details.get("problems") if exc.details else None
    if isinstance(found, list) and found and all(isinstance(p, str) for p in found):
        return found
    return [exc.message]


_FORM_ERRORS = (InvalidInput, Conflict, InvalidTransition)


@router.get("/catalog/new")
def new_entry_form(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    require(actor, Permission.CATALOG_EDIT)
    return _editor(request, ctx, values=_new_values(), rows=[])


@router.post("/catalog/new", dependencies=[Csrf])
def create_entry(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    values, rows = _read_form(form)
    if form.get("add_rows"):
        return _editor(request, ctx, values=values, rows=rows, extra_rows=_ADD_ROWS)
    try:
        data = CreateEntryIn.model_validate(_payload(values, rows, creating=True))
    except ValidationError as exc:
        message, _details = validation_message(exc.errors())
        keys = _error_keys(exc.errors())
        return _editor(
            request, ctx, values=values, rows=rows, errors=[message], error_keys=keys, status_code=422
        )
    try:
        resource = service.create_entry(ctx, actor, data)
    except _FORM_ERRORS as exc:
        ctx.session.rollback()  # nothing of a refused save may remain
        return _editor(
            request, ctx, values=values, rows=rows, errors=_problems(exc), status_code=exc.http_status
        )
    return _go(f"/catalog/{resource.id}", "已保存草稿")


def _editable_head(ctx: Ctx, actor: Actor, resource_id: int) -> tuple[Resource, ResourceVersion]:
    resource = service.get_resource(ctx.session, resource_id)
    require(actor, Permission.CATALOG_EDIT, org_id=resource.org_id, hide=True)
    return resource, service.head_of(ctx.session, resource)


def _not_editable(request: Request, head: ResourceVersion) -> Response | None:
    if head.state in EDITABLE or head.state in (VersionState.PUBLISHED, VersionState.APPROVED):
        return None
    message = f"该条目当前为“{STATE_LABELS[head.state]}”状态，不能修改"
    if head.state == VersionState.SUBMITTED:
        message += "：审核完成前不能修改，如需修改请等待主管部门退回"
    return render(request, "error.html", status_code=409, message=message, status=409)


@router.get("/catalog/{resource_id:int}/edit")
def edit_entry_form(request: Request, ctx: CtxDep, actor: PageActor, resource_id: int) -> Response:
    resource, head = _editable_head(ctx, actor, resource_id)
    refused = _not_editable(request, head)
    if refused is not None:
        return refused
    new_version = head.state in (VersionState.PUBLISHED, VersionState.APPROVED)
    values, rows = _values_of(head, new_version=new_version)
    return _editor(request, ctx, values=values, rows=rows, resource=resource, head=head)


@router.post("/catalog/{resource_id:int}/edit", dependencies=[Csrf])
def edit_entry(request: Request, ctx: CtxDep, actor: PageActor, resource_id: int, form: Posted) -> Response:
    resource, head = _editable_head(ctx, actor, resource_id)
    values, rows = _read_form(form)
    values["supplementary"] = resource.supplementary
    page = {"values": values, "rows": rows, "resource": resource, "head": head}
    if form.get("add_rows"):
        return _editor(request, ctx, **page, extra_rows=_ADD_ROWS)
    before_number, before_state = head.number, head.state
    try:
        data = EditEntryIn.model_validate(_payload(values, rows, creating=False))
    except ValidationError as exc:
        message, _details = validation_message(exc.errors())
        keys = _error_keys(exc.errors())
        return _editor(request, ctx, **page, errors=[message], error_keys=keys, status_code=422)
    try:
        version = service.edit_entry(ctx, actor, resource_id, data)
    except _FORM_ERRORS as exc:
        ctx.session.rollback()
        return _editor(request, ctx, **page, errors=_problems(exc), status_code=exc.http_status)
    if version.number != before_number:
        message = f"已生成第 {version.number} 版草稿，待提交审核"
    elif before_state == VersionState.RETURNED:
        message = "已保存修改，请重新提交审核"
    else:
        message = "已保存草稿"
    return _go(f"/catalog/{resource_id}", message)


# ---------------------------------------------------------------- detail, history, actions


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


@router.get("/review")
def review_queue(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return render(request, "catalog/review_queue.html", rows=queries.review_queue(ctx, actor))


@router.get("/review/{resource_id:int}")
def review_page(request: Request, ctx: CtxDep, actor: PageActor, resource_id: int) -> Response:
    resource = service.get_resource(ctx.session, resource_id)
    require(actor, Permission.CATALOG_REVIEW, region_path=resource.region_path)
    versions = service.visible_versions(ctx, actor, resource)
    version = service.visible_version(ctx, actor, resource)
    published = next((v for v in versions if v.id == resource.published_version_id), None)
    diff = (
        _diff_view(queries.compare(published, version)) if published and published.id != version.id else None
    )
    candidates = [_dup_view(ctx, actor, c) for c in duplicates.likely_duplicates(ctx, version)]
    trigger = None
    if version.trigger_id is not None:
        trigger = next(
            (t for t in queries.triggers_of(ctx.session, resource.id) if t.id == version.trigger_id), None
        )
    return render(
        request,
        "catalog/review.html",
        resource=resource,
        v=version,
        published=published,
        diff=diff,
        candidates=candidates,
        trigger=trigger,
        review_due=_due_fn(ctx)(version.review_due) if version.state == VersionState.SUBMITTED else None,
        can_publish=version.state == VersionState.APPROVED
        and Permission.CATALOG_PUBLISH in actor.permissions,
        separate_publish=ctx.profile.workflow.separate_publish_step,
    )


@router.post("/review/{resource_id:int}", dependencies=[Csrf])
def review_decide(
    ctx: CtxDep,
    actor: PageActor,
    resource_id: int,
    decision: Annotated[str, Form(max_length=20)] = "",
    comment: OptText = None,
) -> Response:
    data = _valid(ReviewIn, {"decision": decision, "comment": _blank_to_none(comment)})
    version = service.review(ctx, actor, resource_id, data.decision, data.comment)
    if data.decision == "return":
        return _go("/review", "已退回，意见已告知部门")
    if version.state == VersionState.PUBLISHED:
        return _go("/review", "审核通过并已发布到本级目录")
    return _go(f"/review/{resource_id}", "审核通过，待发布到本级目录")


@router.post("/review/{resource_id:int}/publish", dependencies=[Csrf])
def review_publish(ctx: CtxDep, actor: PageActor, resource_id: int) -> Response:
    version = service.publish(ctx, actor, resource_id)
    return _go(f"/catalog/{resource_id}", f"第 {version.number} 版已发布到本级目录")


# ---------------------------------------------------------------- duplicates


@router.get("/duplicates")
def duplicates_page(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    require(actor, Permission.CATALOG_DESIGNATE)
    region = ctx.session.get(Region, actor.region_id) if actor.region_id else None
    rows: list[queries.EntryRow] = []
    if region is not None:
        for page in (1, 2, 3):
            found = queries.search_entries(
                ctx, actor, queries.SearchFilters(region_code=region.code), page, 200
            )
            rows += [r for r in found.items if r.state in (VersionState.PUBLISHED, VersionState.SUBMITTED)]
            if page >= found.pages:
                break
    rows = sorted(rows, key=lambda r: r.updated_at, reverse=True)[:500]
    pairs: dict[tuple[int, int], dict[str, Any]] = {}
    for row in rows:
        resource = service.get_resource(ctx.session, row.resource_id)
        version = service.visible_version(ctx, actor, resource)
        for cand in duplicates.likely_duplicates(ctx, version):
            key = (min(row.resource_id, cand.resource_id), max(row.resource_id, cand.resource_id))
            if key in pairs:
                continue
            pairs[key] = {"a": _entry_view(ctx, actor, resource), "b": _dup_view(ctx, actor, cand)}
    ordered = sorted(pairs.values(), key=lambda p: -max(p["b"]["name_similarity"], p["b"]["item_overlap"]))
    return render(request, "catalog/duplicates.html", pairs=ordered, scanned=len(rows))


@router.post("/duplicates/designate", dependencies=[Csrf])
def designate(ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    source = str(form.get("source_resource_id") or "")
    dup_ids = [str(d) for d in form.getlist("duplicate_resource_ids") if str(d) != source]
    data = _valid(
        DesignateIn,
        {
            "source_resource_id": source or None,
            "duplicate_resource_ids": dup_ids,
            "reason": form.get("reason") or "",
        },
    )
    duplicates.designate_source(ctx, actor, data)
    src = service.get_resource(ctx.session, data.source_resource_id)
    message = f"已指定 {src.org.name} 的条目（{src.code}）为唯一采集条目，{len(data.duplicate_resource_ids)} 个重复条目已标注"
    return _go(_safe_next(form.get("next"), "/duplicates"), message)


# ---------------------------------------------------------------- demands and responsibilities


def _demands_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> Response:
    items = queries.demands(ctx, actor)
    manage = actor.is_authority and Permission.DEMAND_MANAGE in actor.permissions
    matches = {
        d.id: queries.demand_matches(ctx, actor, d)
        for d in items
        if manage and d.state == DemandState.OPEN and in_jurisdiction(actor, d.region_path)
    }
    return render(
        request,
        "catalog/demands.html",
        status_code=422 if errors else 200,
        demands=items,
        matches=matches,
        manage=manage,
        can_create=Permission.DEMAND_CREATE in actor.permissions and actor.org_id is not None,
        departments=_departments(ctx, actor if actor.is_authority else None),
        all_departments=_departments(ctx),
        due=_due_fn(ctx),
        f=form or {},
        errors=errors or [],
    )


@router.get("/demands")
def demands_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return _demands_page(request, ctx, actor)


@router.post("/demands", dependencies=[Csrf])
def demand_create(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    title: OptText = None,
    description: OptText = None,
    wanted_items: OptText = None,
    purpose: OptText = None,
) -> Response:
    typed = {"title": title or "", "description": description or "", "wanted_items": wanted_items or "",
             "purpose": purpose or ""}  # fmt: skip
    try:
        demand = demands.create_demand(ctx, actor, _valid(DemandIn, typed))
    except InvalidInput as exc:
        ctx.session.rollback()
        return _demands_page(request, ctx, actor, form=typed, errors=_problems(exc))
    return _go("/demands", f"需求已提交，数据主管机构应于 {demand.due_date.isoformat()} 前答复")


@router.post("/demands/{demand_id:int}/answer", dependencies=[Csrf])
def demand_answer(
    ctx: CtxDep,
    actor: PageActor,
    demand_id: int,
    state: Annotated[str, Form(max_length=20)] = "",
    answer: OptText = None,
    matched_resource_id: Annotated[str, Form(max_length=20)] = "",
    assigned_org_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    data = _valid(
        DemandAnswerIn,
        {
            "state": state,
            "answer": answer or "",
            "matched_resource_id": _blank_to_none(matched_resource_id)
            if state == DemandState.MATCHED
            else None,
            "assigned_org_id": _blank_to_none(assigned_org_id) if state == DemandState.ASSIGNED else None,
        },
    )
    demand = demands.answer_demand(ctx, actor, demand_id, data)
    return _go("/demands", f"已答复需求“{demand.title}”：{labels.DEMAND_STATE[demand.state]}")


@router.get("/responsibilities/{org_id:int}")
def responsibilities(request: Request, ctx: CtxDep, actor: PageActor, org_id: int) -> Response:
    org = next((o for o in queries.organizations(ctx.session) if o.id == org_id), None)
    if org is None:
        raise NotFound(f"单位 {org_id} 不存在")
    rows = queries.collection_responsibilities(ctx, actor, org_id)
    return render(request, "catalog/responsibilities.html", org=org, rows=rows)


# ---------------------------------------------------------------- filings and roll-up


@router.get("/filings")
def filings_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    items = queries.filings(ctx, actor)
    can_ack = actor.is_authority and Permission.CATALOG_FILING_ACK in actor.permissions
    return render(
        request,
        "catalog/filings.html",
        filings=items,
        decidable={
            f.id
            for f in items
            if can_ack and f.state == FilingState.PENDING and f.upper_region_path == actor.region_path
        },
        needs_approval=ctx.profile.workflow.supplementary_needs_approval,
        due=_due_fn(ctx),
    )


@router.post("/filings/{filing_id:int}", dependencies=[Csrf])
def filing_decide(
    ctx: CtxDep,
    actor: PageActor,
    filing_id: int,
    accept: Annotated[str, Form(max_length=10)] = "",
    comment: OptText = None,
) -> Response:
    if accept not in ("true", "false"):
        raise InvalidInput("请选择“同意备案”或“不予备案”")
    data = _valid(FilingDecisionIn, {"accept": accept == "true", "comment": _blank_to_none(comment)})
    filing = filings.decide_filing(ctx, actor, filing_id, data)
    return _go(
        "/filings", "已备案" if filing.state == FilingState.ACKNOWLEDGED else "已不予备案，理由已告知下级"
    )


@router.get("/rollup")
def rollup(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    counts = queries.rollup(ctx, actor)
    depth = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
    return render(
        request,
        "catalog/rollup.html",
        counts=counts,
        depth=depth,
        totals={k: sum(getattr(c, k) for c in counts) for k in ("published", "pending", "supplementary")},
    )
