"""The authority's catalog pages: review, duplicates, demands, filings and the level roll-up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from govdata import labels
from govdata.authz import Actor, Permission, in_jurisdiction, require
from govdata.catalog import demands, duplicates, filings, queries, service
from govdata.catalog.models import (
    DemandState,
    FilingState,
    VersionState,
)
from govdata.catalog.schemas import (
    DemandAnswerIn,
    DemandIn,
    DesignateIn,
    FilingDecisionIn,
    ReviewIn,
)
from govdata.catalog.web import (
    Csrf,
    OptText,
    Posted,
    _blank_to_none,
    _departments,
    _diff_view,
    _due_fn,
    _dup_view,
    _entry_view,
    _go,
    _problems,
    _safe_next,
    _valid,
)
from govdata.context import Ctx
from govdata.errors import InvalidInput, NotFound
from govdata.org.models import Region, RegionLevel
from govdata.web_support import CtxDep, PageActor, render

router = APIRouter(include_in_schema=False)


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
    candidates = [_dup_view(ctx, actor, c) for c in duplicates.likely_duplicates(ctx, actor, version)]
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
        for cand in duplicates.likely_duplicates(ctx, actor, version):
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
