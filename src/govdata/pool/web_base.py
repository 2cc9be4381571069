"""Base-database pages (POOL-4) and the item-level 一数一源 page they depend on (POOL-1, CAT-5).

`/item-sources` lists the items that several departments collect about the same kind of subject and lets the
authority designate the source; `/base-databases` shows each base database's fields with the entry each is
taken from, the last build and a build form; a lookup shows one subject's golden record with the provenance of
every value. Routes only read and call `catalog.item_sources` and `pool.basedb`; POSTs carry the session's CSRF
token and answer with a 303 redirect and a flash message. A lookup is data access: the use case records it in
the audit log with its purpose, and the page says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from starlette.responses import Response

from govdata.authz import Permission, in_jurisdiction, require
from govdata.catalog import item_sources
from govdata.catalog.models import BaseDatabase, IdentifierKind, Resource, ResourceVersion
from govdata.catalog.schemas import ItemSourceIn
from govdata.context import Ctx
from govdata.errors import InvalidInput, NotFound
from govdata.org.models import Organization
from govdata.pool import basedb
from govdata.pool.models import Pool
from govdata.pool.web import num
from govdata.validation import validation_message
from govdata.web_support import CtxDep, PageActor, check_csrf, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
_SUBJECT_HINT = {
    BaseDatabase.POPULATION: "公民身份号码",
    BaseDatabase.LEGAL_ENTITY: "统一社会信用代码",
}


def _go(path: str, msg: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{path}?msg={quote(msg)}{anchor}", status_code=303)


def _valid(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, details = validation_message(exc.errors())
        raise InvalidInput(message, details={"problems": details}) from None


def anchor(*parts: object) -> str:
    """An element id for an item (its key may be Chinese; ids may be, the href quotes it)."""
    return "item-" + "-".join(str(p) for p in parts)


def _resources(ctx: Ctx, ids: Iterable[int]) -> dict[int, Resource]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {r.id: r for r in ctx.session.execute(select(Resource).where(Resource.id.in_(wanted))).scalars()}


def _entry_names(ctx: Ctx, resources: Iterable[Resource]) -> dict[int, str]:
    """Each entry's published name (the name the catalog shows)."""
    by_version = {r.published_version_id: r.id for r in resources if r.published_version_id}
    if not by_version:
        return {}
    return {
        by_version[v.id]: v.name
        for v in ctx.session.execute(
            select(ResourceVersion).where(ResourceVersion.id.in_(list(by_version)))
        ).scalars()
    }


# ---------------------------------------------------------------- 一数一源 at item level


@router.get("/item-sources")
def item_sources_page(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    groups = item_sources.collected_items(ctx, actor)
    resources = _resources(ctx, [c.resource_id for g in groups for c in g.collectors])
    can_designate = Permission.CATALOG_DESIGNATE in actor.permissions
    return render(
        request,
        "basedb/item_sources.html",
        groups=groups,
        designatable={rid for rid, r in resources.items() if in_jurisdiction(actor, r.region_path)}
        if can_designate
        else set(),
        can_designate=can_designate,
        stats={
            "items": len(groups),
            "designated": sum(1 for g in groups if g.source is not None),
            "undesignated": sum(1 for g in groups if g.source is None),
            "duplicates": sum(1 for g in groups for c in g.collectors if g.is_duplicate(c)),
        },
        anchor=anchor,
        num=num,
    )


@router.post("/item-sources", dependencies=[Csrf])
def item_sources_designate(
    ctx: CtxDep,
    actor: PageActor,
    item_key: Annotated[str, Form(max_length=100)] = "",
    subject_kind: Annotated[str, Form(max_length=20)] = "",
    source_resource_id: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    require(actor, Permission.CATALOG_DESIGNATE)
    if not source_resource_id:
        raise InvalidInput("请选择作为权威来源的目录条目")
    data = _valid(
        ItemSourceIn,
        {
            "item_key": item_key,
            "subject_kind": subject_kind,
            "source_resource_id": source_resource_id,
            "reason": reason,
        },
    )
    item_sources.designate_item_source(
        ctx, actor, data.item_key, data.subject_kind, data.source_resource_id, data.reason
    )
    resource = ctx.session.get(Resource, data.source_resource_id)
    org = resource.org.name if resource else ""
    return _go(
        "/item-sources",
        f"已指定“{data.item_key}”的权威来源：{org}（{resource.code if resource else ''}），其他部门的采集标为重复采集",
        "#" + quote(anchor(data.item_key, data.subject_kind.value)),
    )


# ---------------------------------------------------------------- base databases


@router.get("/base-databases")
def base_overview(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    bases = basedb.overview(ctx, actor)  # requires base.read
    resources = _resources(
        ctx, [rid for b in bases for f in b.fields for rid in (f.resource_id, *f.alternatives)]
    )
    orgs = _org_names(ctx, [r.org_id for r in resources.values()])
    return render(
        request,
        "basedb/overview.html",
        bases=bases,
        resources=resources,
        entry_names=_entry_names(ctx, resources.values()),
        orgs=orgs,
        can_build=Permission.BASE_BUILD in actor.permissions,
        subject_hint=_SUBJECT_HINT,
        anchor=anchor,
        num=num,
        subject_kind=_subject_kind,
    )


def _subject_kind(pool: Pool) -> str:
    """The kind of subject a pool's rows are about: the identifier kind of its subject column."""
    found = next((c.identifier_kind for c in pool.columns if c.field_name == pool.subject_field), None)
    return str(found or IdentifierKind.PERSON.value)


def _org_names(ctx: Ctx, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        o.id: o.name
        for o in ctx.session.execute(select(Organization).where(Organization.id.in_(wanted))).scalars()
    }


def _kind(kind: str) -> BaseDatabase:
    try:
        return BaseDatabase(kind)
    except ValueError:
        raise NotFound(f"没有名为 {kind} 的基础数据库") from None


@router.post("/base-databases/{kind}/build", dependencies=[Csrf])
def base_build(
    ctx: CtxDep, actor: PageActor, kind: str, mode: Annotated[str, Form(max_length=20)] = "incremental"
) -> Response:
    require(actor, Permission.BASE_BUILD)
    base = _kind(kind)
    if mode not in ("incremental", "full"):
        raise InvalidInput("请选择构建方式：增量更新或全量重建")
    done = basedb.build(ctx, actor, base.value, full=mode == "full")
    how = "全量重建" if done.full else "增量更新"
    msg = (
        f"{basedb.BASE_LABELS[base]}已{how}：{num(done.fields)} 个信息项，写入 {num(done.values_written)} 个值，"
        f"共 {num(done.subjects)} 个主体"
    )
    if done.note:
        msg += f"。注意：{done.note}"
    return _go("/base-databases", msg, f"#base-{base.value}")


def _verifying(ctx: Ctx, subject: str, resources: dict[int, Resource]) -> set[int]:
    """Source entries on which the subject has a pending correction request: their values show 核实中 (QUAL-2)."""
    from govdata.quality import corrections

    if not subject or not resources:
        return set()
    return {rid for rid in resources if corrections.under_verification(ctx, rid, [subject.upper()])}


@router.get("/base-databases/{kind}/records")
def base_record(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    kind: str,
    subject_id: Annotated[str, Query(max_length=40)] = "",
    purpose: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    require(actor, Permission.BASE_READ)
    base = _kind(kind)
    subject, why = subject_id.strip(), purpose.strip()
    problem: str | None = None
    status = 200
    found: list[basedb.GoldenField] = []
    asked = bool(subject or why)
    if asked and not subject:
        problem, status = "请输入要查询的主体标识（公民身份号码或统一社会信用代码）", 422
    elif asked and len(why) < 2:
        problem, status = "请填写查询用途：查询基础数据库属于数据访问，须说明用途并记入审计日志", 422
    elif asked:
        try:
            found = basedb.golden_record(ctx, actor, base.value, subject, why)
        except InvalidInput as exc:
            problem, status = exc.message, 422
        except NotFound as exc:
            problem, status = exc.message, 404
    fields = basedb.base_fields(ctx, base)
    order = {f.key: i for i, f in enumerate(fields)}  # the base database's own field order
    found.sort(key=lambda f: (order.get(f.key, len(order)), f.key))
    held = {f.key for f in found}
    resources = _resources(ctx, [f.resource_id for f in found])
    return render(
        request,
        "basedb/record.html",
        status_code=status,
        base=base,
        label=basedb.BASE_LABELS[base],
        subject=subject,
        purpose=why,
        problem=problem,
        found=found,
        missing=[f for f in fields if f.key not in held] if found else [],
        entry_names=_entry_names(ctx, resources.values()),
        verifying=_verifying(ctx, subject, resources),
        subject_hint=_SUBJECT_HINT.get(base),
        num=num,
    )
