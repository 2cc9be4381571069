"""Staff pages of open listings (开放清单, OPEN-2): a department compiles listings from its published entries,
choosing how each item opens; the authority reviews and publishes them; either may suspend, restore or withdraw.

A refused form is shown again with what was typed and the Chinese reason; nothing of it is written.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.responses import Response

from govdata.authz import Permission, can
from govdata.catalog.models import OpenType, Resource, ResourceVersion, UpdateCycle
from govdata.catalog.service import get_resource
from govdata.context import Ctx
from govdata.deadlines import due_info
from govdata.errors import DomainError, Forbidden, InvalidInput
from govdata.labels import UPDATE_CYCLE
from govdata.opendata import queries, service
from govdata.opendata.models import ListingState, OpenListing, Treatment
from govdata.opendata.schemas import ListingIn, ReviewIn
from govdata.opendata.service import GENERALISE_RULES, MASK_RULES, needs_deidentification
from govdata.opendata.workflow import (
    FORMAT_LABELS,
    MOVE_LABELS,
    MOVES,
    OPEN_TYPE_LABELS,
    STATE_LABELS,
    TREATMENT_LABELS,
)
from govdata.org.models import Organization
from govdata.org.service import org_names
from govdata.sharing.masking import MASK_RULE_LABELS
from govdata.validation import validation_message
from govdata.web_support import CtxDep, PageActor, check_csrf, render

router = APIRouter(include_in_schema=False)
ACTIONS = ("submit", "suspend", "restore", "withdraw", "revise")


def _common(ctx: Ctx) -> dict[str, Any]:
    return {
        "states": STATE_LABELS,
        "open_types": OPEN_TYPE_LABELS,
        "cycles": UPDATE_CYCLE,
        "formats": FORMAT_LABELS,
        "treatments": TREATMENT_LABELS,
        "rule_labels": MASK_RULE_LABELS,
        "mask_rules": sorted(r.value for r in MASK_RULES),
        "generalise_rules": sorted(r.value for r in GENERALISE_RULES),
        "move_labels": MOVE_LABELS,
    }


def _due(ctx: Ctx, listing: OpenListing) -> Any:
    waiting = listing.state == ListingState.SUBMITTED and listing.review_due is not None
    return due_info(ctx.calendar, listing.review_due, ctx.clock.today()) if waiting else None


@router.get("/open/manage")
def manage(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    if not (can(actor, Permission.OPEN_LIST) or can(actor, Permission.OPEN_REVIEW)):
        raise Forbidden("开放清单由部门数据专员编制、数据主管机构审核")
    own = queries.own_listings(ctx, actor) if can(actor, Permission.OPEN_LIST) else []
    todo = queries.candidates(ctx, actor) if can(actor, Permission.OPEN_LIST) else []
    queue = queries.review_queue(ctx, actor) if can(actor, Permission.OPEN_REVIEW) else []
    every = queries.review_queue(ctx, actor, state=None) if can(actor, Permission.OPEN_REVIEW) else []
    orgs = org_names(ctx.session, (listing.org_id for listing in every))  # the queue is a part of `every`
    return render(
        request, "open/manage.html", own=own, todo=todo, queue=queue, every=every, orgs=orgs,
        due=lambda listing: _due(ctx, listing), **_common(ctx),
    )  # fmt: skip


def _item_rows(
    version: ResourceVersion, listing: OpenListing | None, form: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """One row per catalog item with its current or proposed treatment: the safe default for sensitive items."""
    held = {i.field_name: i for i in listing.items} if listing else {}
    rows = []
    for item in version.items:
        sensitive = needs_deidentification(item)
        if form is not None:
            treatment, rule = (
                form.get(f"treatment-{item.field_name}", "remove"),
                form.get(f"rule-{item.field_name}", ""),
            )
        elif item.field_name in held:
            treatment, rule = held[item.field_name].treatment.value, held[item.field_name].rule
        else:
            proposed = service.default_treatment(item)
            treatment, rule = proposed[0].value, proposed[1].value
        rows.append({"item": item, "sensitive": sensitive, "treatment": treatment, "rule": rule})
    return rows


def _listing_in(resource_id: int, form: Any, version: ResourceVersion) -> ListingIn:
    def text(name: str) -> str | None:
        value = form.get(name)
        return value.strip() or None if isinstance(value, str) else None

    items = []
    for item in version.items:
        treatment = form.get(f"treatment-{item.field_name}") or "remove"
        if treatment != "remove":
            rule = form.get(f"rule-{item.field_name}") or "none"
            items.append({"field_name": item.field_name, "treatment": treatment, "rule": rule})
    if not items:
        raise InvalidInput("至少要开放一个信息项（每个信息项都要选择开放方式）")
    data = {
        "resource_id": resource_id,
        "title": text("title"),
        "summary": text("summary"),
        "domain": text("domain"),
        "tags": [t for t in (text("tags") or "").replace("，", ",").split(",") if t.strip()],
        "formats": form.getlist("formats"),
        "open_type": text("open_type"),
        "conditions": text("conditions"),
        "basis": text("basis"),
        "update_cycle": text("update_cycle"),
        "items": items,
    }
    try:
        return ListingIn.model_validate(data)
    except ValidationError as exc:
        message, _details = validation_message(exc.errors())
        raise InvalidInput(message) from None


def _version(ctx: Ctx, resource: Resource) -> ResourceVersion:
    version = ctx.session.get(ResourceVersion, resource.published_version_id or 0)
    if version is None:
        raise InvalidInput("只有已发布的目录条目才能编入开放清单")
    return version


def _form_page(
    request: Request,
    ctx: Ctx,
    resource: Resource,
    listing: OpenListing | None,
    form: Any,
    problem: str | None,
) -> Response:
    version = _version(ctx, resource)
    values = dict(form) if form is not None else None
    if form is not None:
        values["formats"] = form.getlist("formats")  # type: ignore[index]
    source = listing or version
    return render(
        request, "open/listing_form.html", status_code=422 if problem else 200, resource=resource,
        version=version, listing=listing, rows=_item_rows(version, listing, values), problem=problem,
        v=values or {
            "title": getattr(source, "title", None) or version.name, "summary": source.summary,
            "domain": source.domain, "tags": listing.tags if listing else "",
            "formats": (listing.formats if listing else "csv,xlsx,json").split(","),
            "open_type": (listing.open_type if listing else version.open_type).value,
            "conditions": (listing.conditions if listing else version.open_conditions) or "",
            "basis": (listing.basis if listing else version.open_basis) or "",
            "update_cycle": (listing.update_cycle if listing else version.update_cycle).value,
        },
        open_type_choices=list(OpenType), cycle_choices=list(UpdateCycle), **_common(ctx),
    )  # fmt: skip


@router.get("/open/manage/listings/new")
def new_form(request: Request, ctx: CtxDep, actor: PageActor, resource_id: int = Query()) -> Response:
    if not can(actor, Permission.OPEN_LIST):
        raise Forbidden("只有部门数据专员可以编制开放清单")
    resource = get_resource(ctx.session, resource_id)
    if resource.org_id != actor.org_id:
        raise Forbidden("只能编制本单位的开放清单")
    return _form_page(request, ctx, resource, None, None, None)


@router.post("/open/manage/listings/new", dependencies=[Depends(check_csrf)])
async def create(request: Request, ctx: CtxDep, actor: PageActor, resource_id: int = Query()) -> Response:
    form = await request.form()
    resource = get_resource(ctx.session, resource_id)
    try:
        listing = service.compile_listing(ctx, actor, _listing_in(resource_id, form, _version(ctx, resource)))
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        ctx.session.rollback()  # nothing of a refused form may remain
        return _form_page(request, ctx, resource, None, form, exc.message)
    return RedirectResponse(
        f"/open/manage/listings/{listing.id}?msg=已保存开放清单条目，请核对后提交审核", status_code=303
    )


@router.get("/open/manage/listings/{listing_id}")
def detail(request: Request, ctx: CtxDep, actor: PageActor, listing_id: int) -> Response:
    listing = queries.listing_for_staff(ctx, actor, listing_id)
    own = actor.org_id == listing.org_id and can(actor, Permission.OPEN_LIST)
    reviewer = can(actor, Permission.OPEN_REVIEW)
    allowed = [a for a in ACTIONS if listing.state in MOVES[a][0]]
    if not own:
        allowed = [a for a in allowed if a in ("suspend", "restore", "withdraw")]
    return render(
        request, "open/listing.html", listing=listing, steps=queries.steps(ctx, listing.id), own=own,
        reviewer=reviewer, allowed=allowed, due=_due(ctx, listing),
        org=ctx.session.get(Organization, listing.org_id), resource=listing.resource,
        opened=[i for i in listing.items if i.treatment != Treatment.REMOVE], **_common(ctx),
    )  # fmt: skip


@router.get("/open/manage/listings/{listing_id}/edit")
def edit_form(request: Request, ctx: CtxDep, actor: PageActor, listing_id: int) -> Response:
    listing = queries.listing_for_staff(ctx, actor, listing_id)
    if actor.org_id != listing.org_id or not can(actor, Permission.OPEN_LIST):
        raise Forbidden("只能修改本单位的开放清单")
    return _form_page(request, ctx, listing.resource, listing, None, None)


@router.post("/open/manage/listings/{listing_id}/edit", dependencies=[Depends(check_csrf)])
async def edit(request: Request, ctx: CtxDep, actor: PageActor, listing_id: int) -> Response:
    form = await request.form()
    listing = queries.listing_for_staff(ctx, actor, listing_id)
    try:
        body = _listing_in(listing.resource_id, form, _version(ctx, listing.resource))
        service.update_listing(ctx, actor, listing_id, body)
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            raise
        ctx.session.rollback()  # nothing of a refused form may remain
        return _form_page(request, ctx, listing.resource, listing, form, exc.message)
    return RedirectResponse(f"/open/manage/listings/{listing_id}?msg=已保存修改", status_code=303)


@router.post("/open/manage/listings/{listing_id}/review", dependencies=[Depends(check_csrf)])
async def review(request: Request, ctx: CtxDep, actor: PageActor, listing_id: int) -> Response:
    form = await request.form()
    approve = form.get("decision") == "approve"
    comment = form.get("comment")
    body = ReviewIn(approve=approve, comment=comment.strip() or None if isinstance(comment, str) else None)
    service.review_listing(ctx, actor, listing_id, body)
    msg = "已审核通过，数据集已在开放平台发布" if approve else "已退回部门修改"
    return RedirectResponse(f"/open/manage/listings/{listing_id}?msg={msg}", status_code=303)


_DONE = {
    "submit": "已提交数据主管机构审核",
    "suspend": "已暂停开放：开放平台即刻停止预览、下载和接口",
    "restore": "已恢复开放",
    "withdraw": "已撤回，数据集已退出开放目录",
    "revise": "已退出开放目录，可重新编制后再提交审核",
}


@router.post("/open/manage/listings/{listing_id}/{action}", dependencies=[Depends(check_csrf)])
async def act(request: Request, ctx: CtxDep, actor: PageActor, listing_id: int, action: str) -> Response:
    if action not in ACTIONS:
        raise InvalidInput(f"未知的操作：{action}")
    form = await request.form()
    reason = form.get("reason")
    reason = reason.strip() if isinstance(reason, str) else ""
    if action == "submit":
        service.submit_listing(ctx, actor, listing_id)
    else:
        if len(reason) < 2:
            raise InvalidInput(f"{MOVE_LABELS[action]}须写明理由")
        getattr(service, f"{action}_listing")(ctx, actor, listing_id, reason)
    return RedirectResponse(f"/open/manage/listings/{listing_id}?msg={_DONE[action]}", status_code=303)
