"""Read-only listings of the open side for staff: a department's own listings, the authority's review queue,
entries a department could still list, one listing with its history, and the open side's share of 我的待办."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from govdata.authz import Actor, Permission, can, in_jurisdiction, require
from govdata.catalog.models import OpenType, Resource, ResourceVersion
from govdata.catalog.queries import WorkItem, due_of
from govdata.context import Ctx
from govdata.errors import Forbidden
from govdata.opendata import applications, feedback
from govdata.opendata.models import ListingState, ListingStep, OpenListing, Retrieval
from govdata.opendata.service import get_listing


def can_view(actor: Actor, listing: OpenListing) -> bool:
    """Staff see their own department's listings and, for the authority, the level's and below."""
    if actor.is_system:
        return True
    if actor.org_id == listing.org_id and can(actor, Permission.OPEN_LIST):
        return True
    return can(actor, Permission.OPEN_REVIEW) and in_jurisdiction(actor, listing.region_path)


def listing_for_staff(ctx: Ctx, actor: Actor, listing_id: int) -> OpenListing:
    listing = get_listing(ctx, listing_id)
    if not can_view(actor, listing):
        raise Forbidden("只能查看本单位的开放清单，或本级及下级的开放清单审核事项")
    return listing


def own_listings(ctx: Ctx, actor: Actor) -> list[OpenListing]:
    require(actor, Permission.OPEN_LIST)
    return list(
        ctx.session.scalars(
            select(OpenListing).where(OpenListing.org_id == actor.org_id).order_by(OpenListing.id.desc())
        )
    )


def review_queue(
    ctx: Ctx, actor: Actor, *, state: ListingState | None = ListingState.SUBMITTED
) -> list[OpenListing]:
    require(actor, Permission.OPEN_REVIEW)
    stmt = select(OpenListing).where(OpenListing.region_path.startswith(actor.region_path or ""))
    if state is not None:
        stmt = stmt.where(OpenListing.state == state)
    return list(ctx.session.scalars(stmt.order_by(OpenListing.review_due, OpenListing.id)))


@dataclass(frozen=True)
class Candidate:
    resource_id: int
    code: str
    name: str
    open_type: OpenType


def candidates(ctx: Ctx, actor: Actor) -> list[Candidate]:
    """Own published entries not yet listed and not another department's copy (HN21, SC31)."""
    require(actor, Permission.OPEN_LIST)
    listed = select(OpenListing.resource_id)
    rows = ctx.session.execute(
        select(Resource.id, Resource.code, ResourceVersion.name, ResourceVersion.open_type)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .where(
            Resource.org_id == actor.org_id,
            Resource.source_resource_id.is_(None),
            Resource.id.not_in(listed),
        )
        .order_by(Resource.code)
    ).all()
    return [Candidate(r.id, r.code, r.name, r.open_type) for r in rows]


def steps(ctx: Ctx, listing_id: int) -> list[ListingStep]:
    return list(
        ctx.session.scalars(
            select(ListingStep).where(ListingStep.listing_id == listing_id).order_by(ListingStep.id)
        )
    )


def retrievals_of_user(ctx: Ctx, user_id: int, limit: int = 50) -> list[Retrieval]:
    return list(
        ctx.session.scalars(
            select(Retrieval).where(Retrieval.user_id == user_id).order_by(Retrieval.id.desc()).limit(limit)
        )
    )


def work_items(ctx: Ctx, actor: Actor) -> list[WorkItem]:
    """Open listings to review (the authority), conditional-open applications and catalog corrections to answer
    (the providing department), each with its due date."""
    items = []
    if can(actor, Permission.OPEN_REVIEW) and actor.region_path:
        items += [
            WorkItem("开放清单待审核", x.title, f"/open/manage/listings/{x.id}", due_of(ctx, x.review_due))
            for x in review_queue(ctx, actor)
        ]
    if can(actor, Permission.OPEN_ANSWER) and actor.org_id is not None:
        # the provider's inboxes, as their pages show them: what is still to answer
        items += [
            WorkItem("开放申请待答复", f"{r.application.listing.title}（申请 {r.application.id}）",
                     f"/open/applications/{r.application.id}", r.due)
            for r in applications.list_applications(ctx, actor, "inbox", pending_only=True)
        ]  # fmt: skip
        items += [
            WorkItem("开放目录纠错待答复", f"{c.listing.title}（纠错 {c.id}）", f"/open/corrections/{c.id}",
                     due_of(ctx, c.due_date))
            for c in feedback.correction_inbox(ctx, actor)
            if c.state == feedback.PENDING
        ]  # fmt: skip
    return items
