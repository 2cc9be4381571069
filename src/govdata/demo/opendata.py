"""The demo's open side: every department's published entries compiled into open listings with the safe item
treatments, most published by the authority, one awaiting review, one returned, one suspended; a few downloads
by the demo's public users so the portal's figures and the personal page have something true to show.

Everything goes through the use cases.
"""

from __future__ import annotations

from sqlalchemy import select

from govdata.authz import Actor
from govdata.catalog.models import OpenType, Resource, ResourceVersion
from govdata.context import Ctx
from govdata.errors import DomainError
from govdata.opendata import data, portal, service
from govdata.opendata.models import OpenListing, Treatment
from govdata.opendata.schemas import ListingIn, ListingItemIn, ReviewIn
from govdata.org.models import User
from govdata.org.service import actor_for

# A listing may open less than its entry's catalog attribute: this one opens only on application.
CONDITIONAL = {
    "医疗机构执业登记信息": (
        "面向开展卫生健康研究、医疗资源规划的机构开放：须说明研究用途，签署数据使用协议，不得用于商业营销",
        "《医疗机构管理条例》第四十条；《政务数据条例》关于有条件开放的规定",
    ),
}
TAGS = {
    "人口": ["人口"],
    "企业": ["企业", "市场主体"],
    "社保": ["社会保障"],
    "教育": ["教育"],
    "交通": ["交通出行"],
}


def _listing_in(resource: Resource, version: ResourceVersion) -> ListingIn | None:
    items = []
    for item in version.items:
        treatment, rule = service.default_treatment(item)
        if treatment != Treatment.REMOVE:
            items.append(ListingItemIn(field_name=item.field_name, treatment=treatment, rule=rule.value))
    if not items and version.open_type != OpenType.NONE:
        return None
    tags = [t for word, words in TAGS.items() if word in version.name for t in words]
    conditions, basis = CONDITIONAL.get(version.name, (None, None))
    return ListingIn(
        resource_id=resource.id,
        tags=tags,
        open_type=OpenType.CONDITIONAL if conditions else None,
        conditions=conditions,
        basis=basis,
        items=items or [ListingItemIn(field_name=version.items[0].field_name, treatment=Treatment.REMOVE)],
    )


def load_demo_open(
    ctx: Ctx, created: dict[str, Resource], officers: dict[int, Actor], reviewer_for: object
) -> int:
    """Returns the number of published listings."""
    published = 0
    compiled: list[OpenListing] = []
    for resource in created.values():
        version = ctx.session.get(ResourceVersion, resource.published_version_id or 0)
        if version is None or resource.source_resource_id is not None:
            continue
        body = _listing_in(resource, version)
        if body is None:
            continue
        officer = officers[resource.org_id]
        try:
            compiled.append(service.compile_listing(ctx, officer, body))
        except DomainError:
            continue  # an entry the rules keep out of the open list stays out of the demo too
    for n, listing in enumerate(compiled):
        officer = officers[listing.org_id]
        if n == 1:
            continue  # one stays a draft
        service.submit_listing(ctx, officer, listing.id)
        reviewer: Actor = reviewer_for(listing.resource)  # type: ignore[operator]
        if n == 2:
            continue  # one awaits review
        if n == 3:
            service.review_listing(
                ctx, reviewer, listing.id, ReviewIn(approve=False, comment="摘要请写明统计口径和数据范围")
            )
            continue
        service.review_listing(ctx, reviewer, listing.id, ReviewIn(approve=True, comment="同意开放"))
        published += 1
        if n == 4:
            service.suspend_listing(
                ctx, officer, listing.id, "收到撤回申请，正在核查是否含有可识别个人的信息"
            )
    _downloads(ctx, compiled)
    return published


def _downloads(ctx: Ctx, listings: list[OpenListing]) -> None:
    users = ctx.session.scalars(select(User).where(User.username.in_(["public_person", "public_org"]))).all()
    usable = [
        listing
        for listing in listings
        if listing.state.value == "published"
        and listing.open_type == OpenType.UNCONDITIONAL
        and data.row_count(ctx, listing) > 0
    ]
    for user in users:
        for listing in usable[:3]:
            fmt = listing.formats.split(",")[0]
            access = portal.retrieve(ctx, actor_for(user), listing.id, "download", fmt)
            portal.count_rows(ctx, access.retrieval_id, data.row_count(ctx, listing))
