"""The catalog entry editor: data items without JavaScript, and nothing typed is lost on an error."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata import labels
from govdata.authz import Actor, Permission, require
from govdata.catalog import queries, service
from govdata.catalog.models import (
    IdentifierKind,
    Resource,
    ResourceVersion,
    ShareMode,
    TriggerState,
    VersionState,
)
from govdata.catalog.schemas import (
    DOMAINS,
    FORMAT_CATEGORIES,
    CreateEntryIn,
    EditEntryIn,
)
from govdata.catalog.web import (
    Csrf,
    Posted,
    _blank_to_none,
    _go,
    _problems,
)
from govdata.catalog.workflow import EDITABLE, STATE_LABELS
from govdata.context import Ctx
from govdata.errors import Conflict, InvalidInput, InvalidTransition
from govdata.validation import validation_message
from govdata.web_support import CtxDep, PageActor, render

router = APIRouter(include_in_schema=False)


# The editor's form fields are the schema's, in its order; channels, flags and items are posted their own way.
_ENTRY_FIELDS = [f for f in EditEntryIn.model_fields if f not in ("share_channels", "deidentified", "items")]
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
