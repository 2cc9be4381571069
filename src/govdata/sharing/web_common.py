"""What the sharing pages have in common: reading forms, Chinese messages, names, scopes and deadlines in words.

No routes here: `web` (catalog, requests) and `web_manage` (grants, credentials, usage, disputes) use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata.authz import Actor, Permission
from govdata.catalog.models import DataItem, Resource, ResourceVersion
from govdata.context import Ctx
from govdata.errors import DomainError, InvalidInput
from govdata.org import service as org_service
from govdata.profiles.schema import Limit
from govdata.sharing import masking
from govdata.sharing.workflow import FILTER_OP_LABELS, FilterOp, parse_filter
from govdata.textguard import check_text
from govdata.validation import validation_message
from govdata.web_support import FORM_ERRORS as FORM_ERRORS  # re-exported for the domain's pages
from govdata.web_support import Posted as Posted  # re-exported for the domain's pages
from govdata.web_support import form_text, render

text = form_text  # the name the domain's pages use

SCOPE_ROWS = 3
_SPLIT = re.compile(r"[、,，;；\n]+")

# Form fields in Chinese, for pydantic's messages (the shared table does not know the sharing forms).
FIELD_LABELS = {
    "items": "信息项",
    "row_filter": "数据范围",
    "purpose": "用途",
    "duty": "所履行的职责（履职事项）",
    "duration_days": "使用期限（天）",
    "channel": "共享方式",
    "reason": "理由",
    "basis": "法律法规或政策依据",
    "note": "说明",
    "decision": "决定",
    "masking": "脱敏规则",
    "name": "应用系统名称",
    "rate_per_minute": "每分钟调用上限",
    "resource_id": "目录条目编号",
    "claimed_share_type": "主张的共享属性",
    "argument": "理由",
    "action": "办理方式",
    "field": "信息项",
    "op": "条件类型",
    "values": "取值",
}


def go(path: str, msg: str) -> RedirectResponse:
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}msg={quote(msg)}", status_code=303)


def parse(model: type[BaseModel], data: dict[str, Any], labels: dict[str, str] | None = None) -> Any:
    """Validate a form; blank fields count as missing, and every problem is said in Chinese."""
    data = {k: v for k, v in data.items() if v is not None and v != ""}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        names = {**FIELD_LABELS, **(labels or {})}
        errors = [{**e, "loc": tuple(names.get(p, p) if isinstance(p, str) else p for p in e["loc"])}
                  for e in exc.errors()]  # fmt: skip
        message, details = validation_message(errors)
        raise InvalidInput(message, details={"problems": details}) from None


def problems(exc: DomainError) -> list[str]:
    return [exc.message]


def safe(value: str, what: str) -> str:
    """Free text outside a schema (scope values): the same guard the schemas apply."""
    try:
        return check_text(value)
    except ValueError as exc:
        raise InvalidInput(f"{what}{exc}") from None


# ---------------------------------------------------------------- scopes (row filters) as form rows


def scope_rows(form: FormData | None, prefix: str = "scope") -> list[dict[str, str]]:
    """The scope rows as typed, for showing the form again."""
    rows = []
    for i in range(SCOPE_ROWS):
        if form is None:
            rows.append({"field": "", "op": "eq", "values": ""})
            continue
        rows.append(
            {
                "field": text(form, f"{prefix}-{i}-field", 60),
                "op": text(form, f"{prefix}-{i}-op", 10) or "eq",
                "values": text(form, f"{prefix}-{i}-values", 4000),
            }
        )
    return rows


def rows_of(conditions_json: str | None, fields: Iterable[str]) -> list[dict[str, str]]:
    """A stored scope as form rows (at most SCOPE_ROWS, blank rows after)."""
    rows = [
        {"field": c.field, "op": c.op.value, "values": "、".join(c.values)}
        for c in parse_filter(conditions_json or "[]", set(fields))
    ]
    rows += [{"field": "", "op": "eq", "values": ""} for _ in range(SCOPE_ROWS - len(rows))]
    return rows


def scope_conditions(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """Form rows → conditions for the use case; a half-filled row is an error, a blank row is skipped."""
    conditions: list[dict[str, object]] = []
    for n, row in enumerate(rows, start=1):
        field, op, raw = row["field"], row["op"], row["values"]
        if not field and not raw:
            continue
        if not field:
            raise InvalidInput(f"数据范围第 {n} 行：请选择信息项")
        if op not in {o.value for o in FilterOp}:
            raise InvalidInput(f"数据范围第 {n} 行：条件类型无效（可选：等于、属于、以…开头）")
        if not raw:
            raise InvalidInput(f"数据范围第 {n} 行：请填写“{FILTER_OP_LABELS[FilterOp(op)]}”的取值")
        raw = safe(raw, f"数据范围第 {n} 行的取值")
        values = [v.strip() for v in _SPLIT.split(raw) if v.strip()] if op == FilterOp.IN else [raw]
        if not values:
            raise InvalidInput(f"数据范围第 {n} 行：请填写取值")
        conditions.append({"field": field, "op": op, "values": values})
    return conditions


def scope_words(conditions_json: str | None, labels: dict[str, str]) -> list[str]:
    """A stored scope in words: 户籍地址 以…开头 四川省阿坝州."""
    conditions = parse_filter(conditions_json or "[]", set(labels))
    return [c.describe(labels.get(c.field)) for c in conditions]


# ---------------------------------------------------------------- names


def item_labels(version: ResourceVersion | None) -> dict[str, str]:
    return {i.field_name: i.name for i in version.items} if version else {}


def published_items(ctx: Ctx, resource_ids: Iterable[int]) -> dict[int, ResourceVersion]:
    """The published version of each entry (name and items), loaded in one go."""
    ids = set(resource_ids)
    if not ids:
        return {}
    found = ctx.session.execute(
        select(Resource.id, ResourceVersion)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .where(Resource.id.in_(ids))
    ).all()
    return {rid: version for rid, version in found}


def org_names(ctx: Ctx, ids: Iterable[int | None]) -> dict[int, str]:
    return org_service.org_names(ctx.session, ids)


def default_rule(item: DataItem) -> masking.MaskRule:
    return masking.default_rule(
        field_name=item.field_name,
        item_name=item.name,
        identifier_kind=item.identifier_kind.value,
        data_type=item.data_type.value,
        sensitivity=item.sensitivity,
    )


def mask_words(raw: str | None, labels: dict[str, str]) -> list[tuple[str, str]]:
    """A grant's masking as (item, rule in words); unmasked items say so."""
    try:
        rules = json.loads(raw or "{}")
    except ValueError:
        rules = {}
    shown = []
    for field, rule in rules.items():
        try:
            words = masking.MASK_RULE_LABELS[masking.MaskRule(rule)]
        except ValueError:
            words = str(rule)
        shown.append((labels.get(field, field), words))
    return shown


# ---------------------------------------------------------------- deadlines in words


def limit_words(ctx: Ctx, which: Limit) -> dict[str, Any]:
    """A time limit of the profile with its basis, said the way a reader needs it."""
    limit = ctx.profile.limit(which)
    if limit.basis == "default":
        basis = f"{ctx.profile.regulation}未规定期限，平台按默认 {limit.days} 个工作日"
    elif limit.basis.startswith(ctx.profile.code) and limit.basis[len(ctx.profile.code) :].isdigit():
        basis = f"依据《{ctx.profile.regulation}》第{limit.basis[len(ctx.profile.code) :]}条"
    else:
        basis = f"依据《{ctx.profile.regulation}》{limit.basis}"
    return {
        "days": limit.days,
        "basis": basis,
        "note": limit.note,
        "due": ctx.calendar.add_workdays(ctx.clock.today(), limit.days),
    }


def share_nav(actor: Actor) -> list[tuple[str, str, str]]:
    """The sharing sub-navigation as (key, path, label), as far as the viewer may use it."""
    perms = actor.permissions
    links = [
        ("catalog", "/sharing", "共享目录"),
        ("requests", "/sharing/requests", "共享申请"),
        ("grants", "/sharing/grants", "共享授权"),
        ("notices", "/sharing/notices", "更正通知"),
    ]
    if Permission.SHARE_APP in perms:
        links.append(("apps", "/sharing/apps", "应用凭证"))
    if Permission.SHARE_USAGE in perms:
        links.append(("usage", "/sharing/usage", "使用情况"))
    links.append(("disputes", "/sharing/disputes", "共享属性异议"))
    return links


def page(
    request: Request, name: str, actor: Actor, current: str, status_code: int = 200, **context: Any
) -> Response:
    """A sharing page: the template with the sub-navigation of what the viewer may use."""
    return render(request, name, status_code=status_code, nav=share_nav(actor), current=current, **context)
