"""Roles and the permission-case shape shared by the API and page permission walks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from govdata.context import Ctx
from tests.world import World

ROLES = [
    "admin",
    "reviewer",
    "gongan_officer",
    "gongan_user",
    "minzheng_officer",
    "auditor",
    "vendor_staff",
    "citizen",
]
READERS = {
    "admin",
    "reviewer",
    "gongan_officer",
    "gongan_user",
    "minzheng_officer",
    "auditor",
    "vendor_staff",
}
GOV = READERS - {"vendor_staff"}
AUTHORITY = {"admin", "reviewer"}
EVERYONE = set(ROLES)

Setup = Callable[[Ctx, World, str], dict[str, Any]]


def nothing(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {}


@dataclass
class Case:
    method: str
    path: str
    ok: set[str]
    hidden: set[str] = field(default_factory=set)
    setup: Setup = nothing
    body: dict[str, Any] | None = None
    content: bytes | None = None  # a raw body (file uploads) instead of JSON
