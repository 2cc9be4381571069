"""Permission cases of the open side's pages (imported by test_page_permissions after PageCase exists)."""

from __future__ import annotations

from tests.http.cases import EVERYONE
from tests.http.open_cases import (
    AUTHORITY,
    LISTERS,
    OWNER,
    STEWARDS,
    USERS,
    _draft,
    _published,
    _submitted,
    _with_rows,
)
from tests.http.test_page_permissions import PageCase

OPEN_PAGE_CASES: list[PageCase] = [
    PageCase("GET", "/open/datasets/{id}/download/csv", USERS, setup=_with_rows),
    PageCase("GET", "/open/me", EVERYONE),
]
# The download route's format is a path parameter; the walk's case uses the literal "csv".
OPEN_PAGE_LITERALS = {"/download/csv": "/download/{fmt}"}
__all__ = [
    "AUTHORITY",
    "LISTERS",
    "OPEN_PAGE_CASES",
    "OPEN_PAGE_LITERALS",
    "OWNER",
    "STEWARDS",
    "_draft",
    "_published",
    "_submitted",
]
