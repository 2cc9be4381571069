"""Open listings over 公安's loaded population pool: one unconditional, one conditional, one not open."""

from __future__ import annotations

from typing import Any

from govdata.context import Ctx
from govdata.opendata import service
from govdata.opendata.models import OpenListing
from govdata.opendata.schemas import ListingIn, ReviewIn
from tests.sharing.fixtures import PEOPLE, population
from tests.world import World

__all__ = ["PEOPLE", "listing_body", "open_population", "published_listing"]

DEIDENTIFIED = [
    {"field_name": "id_number", "treatment": "mask", "rule": "id_number"},
    {"field_name": "name", "treatment": "mask", "rule": "name"},
    {"field_name": "birth_date", "treatment": "generalise", "rule": "year_only"},
    {"field_name": "address", "treatment": "mask", "rule": "address"},
]


def listing_body(resource_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resource_id": resource_id,
        "title": "户籍人口基本信息（脱敏）",
        "domain": "公共安全",
        "tags": ["人口", "户籍"],
        "formats": ["csv", "xlsx", "json"],
        "items": DEIDENTIFIED,
    }
    body.update(overrides)
    return body


def open_population(ctx: Ctx, world: World, open_type: str = "unconditional", **entry: Any) -> int:
    """公安's population entry, registered with the given open type and loaded; returns the entry id."""
    extra: dict[str, Any] = {"open_type": open_type}
    if open_type != "unconditional":
        extra["open_basis"] = "《中华人民共和国个人信息保护法》第二十八条"
        extra["open_conditions"] = (
            "仅向开展人口研究的机构开放，须签署数据使用协议" if open_type == "conditional" else None
        )
    else:
        extra["open_basis"] = None
        extra["deidentified"] = True  # the catalog opens personal data unconditionally only de-identified
    extra.update(entry)
    return population(ctx, world, **extra)


def published_listing(
    ctx: Ctx, world: World, open_type: str = "unconditional", **overrides: Any
) -> OpenListing:
    """A listing compiled by 公安, submitted and published by the provincial authority."""
    resource_id = open_population(ctx, world, open_type)
    officer = world.actor("gongan_officer")
    listing = service.compile_listing(
        ctx, officer, ListingIn.model_validate(listing_body(resource_id, **overrides))
    )
    service.submit_listing(ctx, officer, listing.id)
    service.review_listing(
        ctx, world.actor("reviewer"), listing.id, ReviewIn(approve=True, comment="同意发布")
    )
    ctx.session.commit()
    return listing
