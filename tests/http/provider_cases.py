"""Permission cases of technical service providers (SEC-7): only the authority's administrator (PROVIDER_MANAGE)
sees or touches providers, contracts, their accounts and destruction records; everyone else gets 403.

`test_permissions` adds PROVIDER_CASES; `test_page_permissions` adds `provider_page_cases()` (a function: PageCase
is defined in that module, which imports this one).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

from govdata.context import Ctx
from govdata.org import providers
from tests.http.cases import Case
from tests.http.open_feedback_cases import org_code
from tests.world import World

if TYPE_CHECKING:
    from tests.http.test_page_permissions import PageCase

MANAGERS = {"admin"}
_serial = itertools.count(500)
P = "/api/v1/providers"
C = "/api/v1/providers/contracts"


def _provider(ctx: Ctx, world: World) -> int:
    n = next(_serial)
    body = providers.ProviderIn(name=f"测试运维公司{n}", uscc=org_code(n))
    return providers.register_provider(ctx, world.actor("admin"), body).id


def _contract(ctx: Ctx, world: World, *, cleared: bool = True, ended: bool = False) -> int:
    review: dict[str, Any] = (
        {"security_review_on": dt.date(2026, 10, 1), "security_review_by": "省网信办",
         "confidentiality_signed_on": dt.date(2026, 10, 2)} if cleared else {}
    )  # fmt: skip
    body = providers.ContractIn(provider_id=_provider(ctx, world), number=f"HT-{next(_serial)}", scope="平台运维",
                                start_date=dt.date(2026, 10, 1), end_date=dt.date(2027, 9, 30), **review)  # fmt: skip
    contract = providers.create_contract(ctx, world.actor("admin"), body)
    if ended:
        providers.end_contract(ctx, world.actor("admin"), contract.id, providers.EndIn(reason="项目结束"))
    return contract.id


def _new_provider(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    n = next(_serial)
    return {"body": {"name": f"新登记公司{n}", "uscc": org_code(n)}}


def _new_contract(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"body": {"provider_id": _provider(ctx, world), "number": f"HT-{next(_serial)}", "scope": "运维",
                     "start_date": "2026-11-01", "end_date": "2027-10-31"}}  # fmt: skip


def _any(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _contract(ctx, world)}


def _uncleared(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _contract(ctx, world, cleared=False)}


def _with_account(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    body = {"username": f"yw_{who}_{next(_serial)}", "display_name": "运维人员", "password": "Vendor2026pass"}
    return {"id": _contract(ctx, world), "body": body}


def _ended(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _contract(ctx, world, ended=True)}


CLEARANCE = {
    "security_review_on": "2026-11-02",
    "security_review_by": "省网信办",
    "confidentiality_signed_on": "2026-11-03",
}
DESTRUCTION = {
    "data_description": "运维服务器上的数据副本", "method": "overwrite", "method_detail": "三次覆写",
    "destroyed_on": "2026-11-19", "witnessed_by": "省大数据中心 李四", "statement": "已不可逆删除全部副本",
    "statement_signed_by": "法定代表人 赵六",
}  # fmt: skip

EXTEND = {"end_date": "2028-12-31", "basis": "补充协议 B1"}

PROVIDER_CASES: list[Case] = [
    Case("GET", P, MANAGERS),
    Case("POST", P, MANAGERS, setup=_new_provider),
    Case("GET", C, MANAGERS),
    Case("POST", C, MANAGERS, setup=_new_contract),
    Case("GET", C + "/{id}", MANAGERS, setup=_any),
    Case("POST", C + "/{id}/clearance", MANAGERS, setup=_uncleared, body=CLEARANCE),
    Case("POST", C + "/{id}/accounts", MANAGERS, setup=_with_account),
    Case("POST", C + "/{id}/extend", MANAGERS, setup=_any, body=EXTEND),
    Case("POST", C + "/{id}/end", MANAGERS, setup=_any, body={"reason": "提前解除"}),
    Case("POST", C + "/{id}/destruction", MANAGERS, setup=_ended, body=DESTRUCTION),
]


def provider_page_cases() -> list[PageCase]:
    """The page cases, built when test_page_permissions asks (PageCase lives there)."""
    from tests.http.test_page_permissions import PageCase

    c = "/providers/contracts/{id}"
    return [
        PageCase("GET", "/providers", MANAGERS),
        PageCase("POST", "/providers", MANAGERS, setup=_new_provider),
        PageCase("POST", "/providers/contracts", MANAGERS, setup=_new_contract),
        PageCase("GET", c, MANAGERS, setup=_any),
        PageCase("POST", c + "/clearance", MANAGERS, setup=_uncleared, form=CLEARANCE),
        PageCase("POST", c + "/accounts", MANAGERS, setup=_with_account),
        PageCase("POST", c + "/extend", MANAGERS, setup=_any, form=EXTEND),
        PageCase("POST", c + "/end", MANAGERS, setup=_any, form={"reason": "提前解除"}),
        PageCase("POST", c + "/destruction", MANAGERS, setup=_ended, form=DESTRUCTION),
    ]
