"""JSON routes of the open side: departments' open listings and their review, the public dataset catalog, rows
through the API (identity required, OPEN-4), portal registration and the authority's access suspensions."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from govdata.catalog.models import OpenType, UpdateCycle
from govdata.context import Ctx
from govdata.opendata import data, portal, queries, search, service, users
from govdata.opendata.models import OpenListing, Treatment
from govdata.opendata.schemas import (
    DatasetOut,
    DatasetPage,
    ListingIn,
    ListingItemOut,
    ListingOut,
    ListingStepOut,
    ReasonIn,
    RegisteredOut,
    RegisterIn,
    ReviewIn,
    RowsOut,
)
from govdata.org.models import Organization
from govdata.org.service import org_names
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["开放平台"])


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def dataset_out(ctx: Ctx, listing: OpenListing, base: str, publisher: str | None = None) -> DatasetOut:
    if publisher is None:
        org = ctx.session.get(Organization, listing.org_id)
        publisher = org.name if org else ""
    opens_data = listing.open_type != OpenType.NONE
    return DatasetOut(
        id=listing.id,
        title=listing.title,
        summary=listing.summary,
        publisher=publisher,
        domain=listing.domain,
        tags=[t for t in listing.tags.split(",") if t],
        formats=[f for f in listing.formats.split(",") if f] if opens_data else [],
        open_type=listing.open_type,
        conditions=listing.conditions,
        basis=listing.basis,
        update_cycle=listing.update_cycle,
        state=listing.state,
        published_at=listing.published_at,
        updated_at=listing.updated_at,
        download_count=listing.download_count,
        items=[ListingItemOut.model_validate(i) for i in listing.items if i.treatment != Treatment.REMOVE],
        downloads={
            f: f"{base}/open/datasets/{listing.id}/download/{f}" for f in listing.formats.split(",") if f
        }
        if opens_data
        else {},
        citation=data.citation(ctx, listing, base, publisher).line(),
    )


def _load_items(ctx: Ctx, listings: list[OpenListing]) -> None:
    """A page's items in one query instead of one per dataset (the search returns listings without them)."""
    if listings:
        ctx.session.scalars(
            select(OpenListing)
            .options(selectinload(OpenListing.items))
            .where(OpenListing.id.in_([li.id for li in listings]))
        ).all()


# --- departments and the authority ----------------------------------------------------------------------------


@router.post("/open/listings", response_model=ListingOut, status_code=201, summary="编制开放清单条目")
def compile_listing(ctx: CtxDep, actor: ApiActor, body: ListingIn) -> ListingOut:
    return ListingOut.model_validate(service.compile_listing(ctx, actor, body))


@router.get("/open/listings", response_model=list[ListingOut], summary="开放清单（本单位的 / 待审核的）")
def list_listings(
    ctx: CtxDep, actor: ApiActor, role: str = Query("mine", pattern="^(mine|review)$")
) -> list[ListingOut]:
    rows = queries.review_queue(ctx, actor) if role == "review" else queries.own_listings(ctx, actor)
    return [ListingOut.model_validate(r) for r in rows]


@router.get("/open/listings/{listing_id}", response_model=ListingOut, summary="开放清单条目详情")
def get_listing(ctx: CtxDep, actor: ApiActor, listing_id: int) -> ListingOut:
    return ListingOut.model_validate(queries.listing_for_staff(ctx, actor, listing_id))


@router.get(
    "/open/listings/{listing_id}/steps", response_model=list[ListingStepOut], summary="开放清单条目的办理记录"
)
def listing_steps(ctx: CtxDep, actor: ApiActor, listing_id: int) -> list[ListingStepOut]:
    queries.listing_for_staff(ctx, actor, listing_id)
    return [ListingStepOut.model_validate(s) for s in queries.steps(ctx, listing_id)]


@router.put(
    "/open/listings/{listing_id}", response_model=ListingOut, summary="修改开放清单条目（编制中或已退回）"
)
def update_listing(ctx: CtxDep, actor: ApiActor, listing_id: int, body: ListingIn) -> ListingOut:
    return ListingOut.model_validate(service.update_listing(ctx, actor, listing_id, body))


@router.post("/open/listings/{listing_id}/submit", response_model=ListingOut, summary="提交数据主管机构审核")
def submit_listing(ctx: CtxDep, actor: ApiActor, listing_id: int) -> ListingOut:
    return ListingOut.model_validate(service.submit_listing(ctx, actor, listing_id))


@router.post(
    "/open/listings/{listing_id}/review", response_model=ListingOut, summary="审核：通过并发布，或退回"
)
def review_listing(ctx: CtxDep, actor: ApiActor, listing_id: int, body: ReviewIn) -> ListingOut:
    return ListingOut.model_validate(service.review_listing(ctx, actor, listing_id, body))


@router.post("/open/listings/{listing_id}/suspend", response_model=ListingOut, summary="暂停开放（立即生效）")
def suspend_listing(ctx: CtxDep, actor: ApiActor, listing_id: int, body: ReasonIn) -> ListingOut:
    return ListingOut.model_validate(service.suspend_listing(ctx, actor, listing_id, body.reason))


@router.post("/open/listings/{listing_id}/restore", response_model=ListingOut, summary="恢复开放")
def restore_listing(ctx: CtxDep, actor: ApiActor, listing_id: int, body: ReasonIn) -> ListingOut:
    return ListingOut.model_validate(service.restore_listing(ctx, actor, listing_id, body.reason))


@router.post(
    "/open/listings/{listing_id}/withdraw", response_model=ListingOut, summary="撤回（退出开放目录）"
)
def withdraw_listing(ctx: CtxDep, actor: ApiActor, listing_id: int, body: ReasonIn) -> ListingOut:
    return ListingOut.model_validate(service.withdraw_listing(ctx, actor, listing_id, body.reason))


@router.post(
    "/open/listings/{listing_id}/revise",
    response_model=ListingOut,
    summary="重新编制（退出开放目录，待再审核）",
)
def revise_listing(ctx: CtxDep, actor: ApiActor, listing_id: int, body: ReasonIn) -> ListingOut:
    return ListingOut.model_validate(service.revise_listing(ctx, actor, listing_id, body.reason))


# --- the public catalog ---------------------------------------------------------------------------------------


@router.get("/open/datasets", response_model=DatasetPage, summary="开放数据目录检索（公开，无需登录）")
def search_datasets(
    request: Request,
    ctx: CtxDep,
    q: str = Query("", max_length=200),
    org: list[int] = Query(default_factory=list),
    domain: list[str] = Query(default_factory=list),
    format: list[str] = Query(default_factory=list),
    open_type: list[OpenType] = Query(default_factory=list),
    update_cycle: list[UpdateCycle] = Query(default_factory=list),
    sort: str = Query("newest", pattern="^(newest|updated|title|downloads)$"),
    offset: int = Query(0, ge=0, le=100_000),
    limit: int = Query(20, ge=1, le=100),
) -> DatasetPage:
    found = search.search(
        ctx.session,
        search.Query(q, org, domain, format, open_type, update_cycle, sort=sort, offset=offset, limit=limit),
        cache=request.app.state.open_search,
    )
    base = base_url(request)
    _load_items(ctx, found.listings)
    names = org_names(ctx.session, [li.org_id for li in found.listings])
    return DatasetPage(
        total=found.total,
        offset=offset,
        limit=limit,
        results=[dataset_out(ctx, li, base, names.get(li.org_id, "")) for li in found.listings],
        facets=found.facets,
    )


@router.get("/open/datasets/{listing_id}", response_model=DatasetOut, summary="开放数据集（公开）")
def show_dataset(request: Request, ctx: CtxDep, listing_id: int) -> DatasetOut:
    return dataset_out(ctx, portal.public_listing(ctx, listing_id), base_url(request))


@router.get(
    "/open/datasets/{listing_id}/rows",
    response_model=RowsOut,
    summary="按页读取数据（须实名认证的 API 令牌；有条件开放的须有效的申请）",
)
def dataset_rows(
    request: Request,
    ctx: CtxDep,
    actor: ApiActor,
    listing_id: int,
    after: int = Query(0, ge=0),
    limit: int = Query(100, ge=1, le=1000),
) -> RowsOut:
    access = portal.retrieve(ctx, actor, listing_id, "api")
    rows, last = data.page(ctx, access.listing, access.columns, after=after, limit=limit)
    portal.count_rows(ctx, access.retrieval_id, len(rows))
    names = access.columns.fields
    return RowsOut(
        dataset_id=listing_id,
        fields=names,
        titles=access.columns.labels,
        records=[dict(zip(names, map(data.cell, row), strict=True)) for row in rows],
        next_after=last if len(rows) == limit else None,
        citation=data.citation(ctx, access.listing, base_url(request)).line(),
    )


# --- identities (suspensions: feedback_api) -------------------------------------------------------------------------------


@router.post(
    "/open/register", response_model=RegisteredOut, status_code=201, summary="开放平台实名注册（公开）"
)
def register(ctx: CtxDep, body: RegisterIn) -> RegisteredOut:
    user = users.register(
        ctx,
        users.Registration(
            body.username, body.display_name, body.subject_kind, body.subject_id, body.password
        ),
    )
    return RegisteredOut(
        id=user.id, username=user.username, display_name=user.display_name, subject_kind=body.subject_kind
    )
