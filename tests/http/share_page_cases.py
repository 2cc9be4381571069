"""Permission cases of the sharing pages, added to the page walk in test_page_permissions.

That module imports this one after its own PAGE_CASES list (PageCase is defined there by then); import this
module only through it.
"""

from __future__ import annotations

from typing import Any

from govdata.context import Ctx
from tests.http import helpers as h
from tests.http.cases import AUTHORITY, GOV
from tests.http.share_cases import (
    INVOLVED,
    OUTSIDER,
    REQUESTERS,
    _app,
    _awaiting,
    _coordinating,
    _dispute,
    _dispute_body,
    _grant,
    _notice,
    _pending,
    _refused,
)
from tests.http.test_page_permissions import PageCase
from tests.world import World

OFFICERS = {"gongan_officer", "minzheng_officer"}
USAGE = AUTHORITY | OFFICERS | {"auditor"}


def _entry(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    """A conditional entry of a department none of the walked roles belongs to."""
    return {"id": h.published(ctx, world, "renshe_officer").id}


def _entry_and_form(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    body = {
        "items": ["id_number", "name"],
        "scope-0-field": "address",
        "scope-0-op": "prefix",
        "scope-0-values": "四川省阿坝州",
        "purpose": f"用途{who}",
        "duty": "最低生活保障审核确认",
        "duration_days": "30",
        "channel": "api",
    }
    return _entry(ctx, world, who) | {"body": body}


SHARE_PAGE_CASES: list[PageCase] = [
    PageCase("GET", "/sharing", GOV),
    PageCase("GET", "/sharing/request/{id}", REQUESTERS, setup=_entry),
    PageCase("POST", "/sharing/request/{id}", REQUESTERS, setup=_entry_and_form),
    PageCase("GET", "/sharing/requests", GOV),
    PageCase("GET", "/sharing/notices", GOV),
    PageCase(
        "POST",
        "/sharing/notices/{id}/read",
        {"minzheng_officer"},
        hidden=GOV - {"minzheng_officer"},
        setup=_notice,
    ),
    PageCase("GET", "/sharing/requests/{id}", INVOLVED, hidden=OUTSIDER, setup=_pending),
    PageCase("POST", "/sharing/requests/{id}/approve", {"gongan_officer"}, hidden=OUTSIDER, setup=_pending),
    PageCase(
        "POST",
        "/sharing/requests/{id}/refuse",
        {"gongan_officer"},
        hidden=OUTSIDER,
        setup=_pending,
        form={"reason": "超出履职需要", "basis": "个人信息保护法第六条"},
    ),
    PageCase(
        "POST",
        "/sharing/requests/{id}/escalate",
        {"minzheng_officer"},
        hidden=OUTSIDER,
        setup=_refused,
        form={"note": "低保审核是法定职责"},
    ),
    PageCase(
        "POST", "/sharing/requests/{id}/withdraw", {"minzheng_officer"}, hidden=OUTSIDER, setup=_pending
    ),
    PageCase("POST", "/sharing/requests/{id}/open-access", AUTHORITY, hidden=OUTSIDER, setup=_awaiting),
    PageCase(
        "POST",
        "/sharing/requests/{id}/coordinate",
        AUTHORITY,
        hidden=OUTSIDER,
        setup=_coordinating,
        form={"decision": "uphold", "note": "维持不予共享"},
    ),
    PageCase("GET", "/sharing/grants", GOV),
    PageCase(
        "POST",
        "/sharing/grants/{id}/revoke",
        AUTHORITY | {"gongan_officer"},
        hidden=OUTSIDER,
        setup=_grant,
        form={"reason": "用途已结束"},
    ),
    PageCase("GET", "/sharing/apps", OFFICERS),
    PageCase("POST", "/sharing/apps", OFFICERS, form={"name": "业务系统", "rate_per_minute": "60"}),
    PageCase(
        "POST", "/sharing/apps/{id}/revoke", {"minzheng_officer"}, hidden={"gongan_officer"}, setup=_app
    ),
    PageCase("GET", "/sharing/usage", USAGE),
    PageCase("GET", "/sharing/usage.csv?start=2026-11-01&end=2026-11-30", USAGE),
    PageCase("GET", "/sharing/disputes", GOV),
    PageCase("POST", "/sharing/disputes", REQUESTERS, setup=_dispute_body),
    PageCase("GET", "/sharing/disputes/{id}", INVOLVED, hidden=OUTSIDER, setup=_dispute),
    PageCase(
        "POST",
        "/sharing/disputes/{id}/act",
        REQUESTERS,
        hidden=OUTSIDER,
        setup=_dispute,
        form={"action": "escalate", "note": "协商不成，提请主管机构"},
    ),
]
