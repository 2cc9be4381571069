"""Permission cases of the open side's listing, catalog and identity routes (API and pages)."""

from __future__ import annotations

from typing import Any

from govdata.context import Ctx
from govdata.opendata import service
from govdata.opendata.schemas import ListingIn, ReviewIn
from tests.http import helpers as h
from tests.http.cases import AUTHORITY, EVERYONE, Case
from tests.opendata.fixtures import listing_body, published_listing
from tests.world import World

OWNER = {"gongan_officer"}
LISTERS = {"gongan_officer", "minzheng_officer"}
STEWARDS = AUTHORITY | OWNER  # the provider and the authority of the level
USERS = EVERYONE - {"vendor_staff"}  # every authenticated identity except technical service staff (OPEN-4)


def _entry(ctx: Ctx, world: World) -> int:
    return h.published(ctx, world, open_type="unconditional", open_basis=None, deidentified=True).id


def _compile_body(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"body": listing_body(_entry(ctx, world))}


def _draft(ctx: Ctx, world: World, who: str = "") -> dict[str, Any]:
    rid = _entry(ctx, world)
    listing = service.compile_listing(
        ctx, world.actor("gongan_officer"), ListingIn.model_validate(listing_body(rid))
    )
    return {"id": listing.id, "body": listing_body(rid, title="户籍人口统计（修订）")}


def _submitted(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    params = _draft(ctx, world)
    service.submit_listing(ctx, world.actor("gongan_officer"), params["id"])
    return {"id": params["id"], "body": {"approve": True, "comment": "同意"}}


def _published(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    params = _submitted(ctx, world, who)
    service.review_listing(ctx, world.actor("reviewer"), params["id"], ReviewIn(approve=True))
    return {"id": params["id"], "body": {"reason": "核查发现问题，暂停并处理"}}


def _suspended(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    params = _published(ctx, world, who)
    service.suspend_listing(ctx, world.actor("reviewer"), params["id"], "核查")
    return {"id": params["id"], "body": {"reason": "核查无误，恢复开放"}}


def _with_rows(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": published_listing(ctx, world).id}


OPEN_CASES: list[Case] = [
    Case("POST", "/api/v1/open/listings", OWNER, setup=_compile_body),
    Case("GET", "/api/v1/open/listings", LISTERS),
    Case("GET", "/api/v1/open/listings?role=review", AUTHORITY),
    Case("GET", "/api/v1/open/listings/{id}", STEWARDS, setup=_draft),
    Case("GET", "/api/v1/open/listings/{id}/steps", STEWARDS, setup=_draft),
    Case("PUT", "/api/v1/open/listings/{id}", OWNER, setup=_draft),
    Case(
        "POST", "/api/v1/open/listings/{id}/submit", OWNER, setup=lambda c, w, who: {"id": _draft(c, w)["id"]}
    ),
    Case("POST", "/api/v1/open/listings/{id}/review", AUTHORITY, setup=_submitted),
    Case("POST", "/api/v1/open/listings/{id}/suspend", STEWARDS, setup=_published),
    Case("POST", "/api/v1/open/listings/{id}/restore", STEWARDS, setup=_suspended),
    Case("POST", "/api/v1/open/listings/{id}/withdraw", STEWARDS, setup=_published),
    Case("POST", "/api/v1/open/listings/{id}/revise", OWNER, setup=_published),
    Case("GET", "/api/v1/open/datasets/{id}/rows", USERS, setup=_with_rows),
]
OPEN_PUBLIC = {
    ("GET", "/api/v1/open/datasets"),
    ("GET", "/api/v1/open/datasets/{listing_id}"),
    ("POST", "/api/v1/open/register"),
}
OPEN_PUBLIC_PAGES = {
    ("GET", "/open"),
    ("GET", "/open/datasets"),
    ("GET", "/open/datasets/{listing_id}"),
    ("GET", "/open/not-open"),
    ("GET", "/open/register"),
    ("POST", "/open/register"),
}
