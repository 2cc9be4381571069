"""Permission cases of the open side's pages (imported by test_page_permissions after PageCase exists)."""

from __future__ import annotations

from typing import Any

from govdata.context import Ctx
from tests.http.cases import AUTHORITY, EVERYONE
from tests.http.open_cases import (
    LISTERS,
    OWNER,
    STEWARDS,
    USERS,
    _draft,
    _entry,
    _published,
    _submitted,
    _with_rows,
)
from tests.http.test_page_permissions import PageCase
from tests.world import World

FORM = {
    "title": "户籍人口统计（脱敏）",
    "open_type": "unconditional",
    "update_cycle": "monthly",
    "formats": ["csv"],
    "treatment-id_number": "mask",
    "rule-id_number": "id_number",
    "treatment-name": "mask",
    "rule-name": "name",
}


def _entry_form(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _entry(ctx, world), "body": FORM}


def _draft_form(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _draft(ctx, world)["id"], "body": FORM}


def _to_review(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _submitted(ctx, world, who)["id"], "body": {"decision": "approve", "comment": "同意"}}


OPEN_PAGE_CASES: list[PageCase] = [
    PageCase("GET", "/open/datasets/{id}/download/csv", USERS, setup=_with_rows),
    PageCase("GET", "/open/me", EVERYONE),
    PageCase("GET", "/open/manage", LISTERS | AUTHORITY),
    PageCase("GET", "/open/manage/listings/new?resource_id={id}", OWNER, setup=_entry_form),
    PageCase("POST", "/open/manage/listings/new?resource_id={id}", OWNER, setup=_entry_form),
    PageCase("GET", "/open/manage/listings/{id}", STEWARDS, setup=_draft_form),
    PageCase("GET", "/open/manage/listings/{id}/edit", OWNER, setup=_draft_form),
    PageCase("POST", "/open/manage/listings/{id}/edit", OWNER, setup=_draft_form),
    PageCase("POST", "/open/manage/listings/{id}/review", AUTHORITY, setup=_to_review),
    PageCase("POST", "/open/manage/listings/{id}/suspend", STEWARDS, setup=_published),
]
# Path parameters the walk's cases fill with literals.
OPEN_PAGE_LITERALS = {
    "/download/csv": "/download/{fmt}",
    "/open/manage/listings/{id}/suspend": "/open/manage/listings/{id}/{action}",
}
