"""Every API route, every role: who gets 2xx, who 403, who 404, and anonymous callers 401.

The table must name every route the app has; a new route without a row fails `test_every_route_is_covered`.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from govdata.catalog.filings import FILING_STATE_LABELS  # noqa: F401  (import check)
from govdata.catalog.models import Filing
from govdata.context import Ctx
from tests.http import helpers as h
from tests.http.cases import AUTHORITY, EVERYONE, GOV, READERS, ROLES, Case
from tests.http.correction_cases import CORRECTION_CASES
from tests.http.evaluation_cases import EVALUATION_CASES
from tests.http.open_apply_cases import OPEN_APPLY_CASES
from tests.http.open_cases import OPEN_CASES, OPEN_PUBLIC
from tests.http.open_ckan_cases import CKAN_ROUTES
from tests.http.open_feedback_cases import OPEN_FEEDBACK_CASES
from tests.http.project_cases import PROJECT_CASES
from tests.http.provider_cases import PROVIDER_CASES
from tests.http.routes import all_routes, template
from tests.http.share_cases import APP_ROUTES, SHARE_CASES
from tests.http.supervision_cases import SUPERVISION_CASES
from tests.world import World, entry_data


def _supplementary_filing(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    res = h.published(
        ctx,
        world,
        "renshe_officer",
        supplementary=True,
        name="州级就业援助对象名单",
        share_type="unconditional",
        share_conditions=None,
        share_basis=None,
    )
    filing = ctx.session.query(Filing).filter_by(resource_id=res.id).one()
    return {"id": filing.id}


def _own_token(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    from govdata.org.service import create_api_token

    token, _plain = create_api_token(ctx, world.actor(who), "待撤销", 30)
    return {"id": token.id}


def _designation(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    a = h.published(ctx, world, "gongan_officer", name="婚姻状况信息")
    b = h.published(ctx, world, "minzheng_officer", name="婚姻登记信息")
    return {
        "body": {
            "source_resource_id": b.id,
            "duplicate_resource_ids": [a.id],
            "reason": "婚姻登记由民政部门采集",
        }
    }


def _item_source(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    people = h.published(ctx, world)
    h.published(ctx, world, "minzheng_officer", name="婚姻登记信息", items=h.MARRIAGE_ITEMS)
    body = {
        "item_key": "姓名",
        "subject_kind": "person",
        "source_resource_id": people.id,
        "reason": "户籍登记由公安采集",
    }
    return {"body": body}


POOL_READERS = {"admin", "reviewer", "gongan_officer", "gongan_user", "minzheng_officer"}
POOL_OWN = {"admin", "reviewer", "gongan_officer", "gongan_user"}


def _pool(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": h.loaded_pool(ctx, world)[0]}


def _batch(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": h.loaded_pool(ctx, world)[1]}


CASES: list[Case] = [
    Case("GET", "/api/v1/catalog/entries", READERS),
    Case("POST", "/api/v1/catalog/entries", {"gongan_officer", "minzheng_officer"}, body=entry_data()),
    Case(
        "GET",
        "/api/v1/catalog/entries/{id}",
        {"gongan_officer", "gongan_user"},
        hidden={"admin", "reviewer", "minzheng_officer", "auditor", "vendor_staff"},
        setup=lambda c, w, who: {"id": h.draft(c, w).id},
    ),
    Case(
        "GET",
        "/api/v1/catalog/entries/{id}?pub",
        READERS,
        setup=lambda c, w, who: {"id": h.published(c, w).id},
    ),
    Case(
        "PUT",
        "/api/v1/catalog/entries/{id}",
        {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.draft(c, w).id},
        body=entry_data(summary="修改后的摘要"),
    ),
    Case(
        "POST",
        "/api/v1/catalog/entries/{id}/submit",
        {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.draft(c, w).id},
    ),
    Case(
        "POST",
        "/api/v1/catalog/entries/{id}/review",
        AUTHORITY,
        setup=lambda c, w, who: {"id": h.submitted(c, w).id},
        body={"decision": "return", "comment": "请补充依据条款"},
    ),
    Case(
        "POST",
        "/api/v1/catalog/entries/{id}/publish",
        AUTHORITY,
        setup=lambda c, w, who: {"id": h.approved_unpublished(c, w).id},
    ),
    Case(
        "POST",
        "/api/v1/catalog/entries/{id}/withdraw",
        {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.draft(c, w).id},
        body={"reason": "重复录入"},
    ),
    Case(
        "GET",
        "/api/v1/catalog/entries/{id}/compare?from=1&to=1",
        READERS,
        setup=lambda c, w, who: {"id": h.published(c, w).id},
    ),
    Case(
        "POST",
        "/api/v1/catalog/entries/{id}/triggers",
        {"gongan_officer", "admin"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.published(c, w).id},
        body={"kind": "law", "description": "条例修订", "occurred_on": "2026-11-18"},
    ),
    Case(
        "GET",
        "/api/v1/catalog/entries/{id}/duplicates",
        READERS,
        setup=lambda c, w, who: {"id": h.published(c, w).id},
    ),
    Case("POST", "/api/v1/catalog/designations", AUTHORITY, setup=_designation),
    Case("GET", "/api/v1/catalog/review-queue", AUTHORITY),
    Case("GET", "/api/v1/catalog/filings", READERS),
    Case(
        "POST",
        "/api/v1/catalog/filings/{id}/decision",
        AUTHORITY,
        setup=_supplementary_filing,
        body={"accept": True, "comment": "同意备案"},
    ),
    Case("GET", "/api/v1/catalog/demands", AUTHORITY | {"gongan_officer", "gongan_user", "minzheng_officer"}),
    Case(
        "POST",
        "/api/v1/catalog/demands",
        {"gongan_officer", "gongan_user", "minzheng_officer"},
        body={
            "title": "不动产登记信息",
            "description": "办理落户需核验住房",
            "wanted_items": "权利人、坐落",
            "purpose": "户籍迁入审核",
        },
    ),
    Case(
        "GET",
        "/api/v1/catalog/demands/{id}/matches",
        AUTHORITY | {"gongan_officer", "gongan_user"},
        setup=lambda c, w, who: {"id": h.demand(c, w)},
    ),
    Case(
        "POST",
        "/api/v1/catalog/demands/{id}/answer",
        AUTHORITY,
        setup=lambda c, w, who: {"id": h.demand(c, w)},
        body={"state": "rejected", "answer": "暂无采集依据"},
    ),
    Case("GET", "/api/v1/catalog/rollup", READERS),
    Case(
        "GET",
        "/api/v1/catalog/responsibilities/{id}",
        READERS,
        setup=lambda c, w, who: {"id": w.orgs["gongan"].id},
    ),
    Case("GET", "/api/v1/me/work", READERS),
    Case("GET", "/api/v1/auth/tokens", EVERYONE),
    Case("POST", "/api/v1/auth/tokens", EVERYONE, body={"name": "新令牌", "valid_days": 30}),
    Case("DELETE", "/api/v1/auth/tokens/{id}", EVERYONE, setup=_own_token),
    Case("GET", "/api/v1/me", EVERYONE),
    Case("GET", "/api/v1/regions", READERS),
    Case("GET", "/api/v1/orgs", READERS),
    Case(
        "POST",
        "/api/v1/users",
        {"admin"},
        setup=lambda c, w, who: {
            "body": {
                "username": f"new_{who}",
                "display_name": "新用户",
                "role": "dept_user",
                "password": "Passw0rd!x",
                "org_id": w.orgs["gongan"].id,
            }
        },
    ),
    Case("GET", "/api/v1/profile", GOV),
    Case("GET", "/api/v1/calendar/add-workdays?date=2026-09-30&n=5", GOV),
    Case("GET", "/api/v1/audit/events", {"admin", "auditor"}),
    Case("GET", "/api/v1/audit/verify", {"auditor"}),
    Case("GET", "/api/v1/pools", POOL_READERS),
    Case("GET", "/api/v1/pools/{id}", POOL_OWN, hidden={"minzheng_officer"}, setup=_pool),
    Case(
        "POST",
        "/api/v1/pools/{id}/batches?filename=pop.csv",
        {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.published(c, w).id},
        content=h.POOL_CSV.encode(),
    ),
    Case("GET", "/api/v1/pools/{id}/batches", POOL_OWN, hidden={"minzheng_officer"}, setup=_pool),
    Case("GET", "/api/v1/batches/{id}", POOL_OWN, hidden={"minzheng_officer"}, setup=_batch),
    Case("GET", "/api/v1/batches/{id}/rejects", POOL_OWN, hidden={"minzheng_officer"}, setup=_batch),
    Case("GET", "/api/v1/batches/{id}/rejects.csv", POOL_OWN, hidden={"minzheng_officer"}, setup=_batch),
    Case("GET", "/api/v1/consistency", AUTHORITY),
    Case("GET", "/api/v1/emergency-collections", POOL_READERS),
    Case(
        "POST",
        "/api/v1/emergency-collections",
        {"gongan_officer", "minzheng_officer"},
        body=h.emergency_body(),
    ),
    Case(
        "POST",
        "/api/v1/emergency-collections/{id}/batches?filename=e.csv",
        {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.emergency_collection(c, w)},
        content=h.EMERGENCY_CSV.encode(),
    ),
    Case(
        "POST",
        "/api/v1/emergency-collections/{id}/close",
        AUTHORITY | {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.emergency_collection(c, w, loaded=True)},
        body={"disposal": "seal", "assessment": "安置结束，封存备查"},
    ),
    Case(
        "GET",
        "/api/v1/emergency-collections/{id}/rows?purpose=安置核对",
        POOL_OWN,
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.emergency_collection(c, w, loaded=True)},
    ),
    Case("GET", "/api/v1/themes", AUTHORITY),
    Case(
        "POST",
        "/api/v1/themes",
        {"admin"},
        setup=lambda c, w, who: (
            h.built_population(c, w)
            or {
                "body": {
                    "name": f"人口主题-{who}",
                    "description": "测试",
                    "schedule": "manual",
                    "fields": [
                        {
                            "label": "姓名",
                            "source_kind": "base",
                            "base_kind": "population",
                            "field_key": "姓名",
                        }
                    ],
                }
            }
        ),
    ),
    Case("POST", "/api/v1/themes/{id}/refresh", {"admin"}, setup=lambda c, w, who: {"id": h.theme(c, w)}),
    Case(
        "GET",
        "/api/v1/themes/{id}/rows?purpose=统计分析",
        AUTHORITY,
        setup=lambda c, w, who: {"id": h.theme(c, w)},
    ),
    Case("GET", "/api/v1/base-databases", AUTHORITY),
    Case(
        "POST",
        "/api/v1/base-databases/population/build",
        {"admin"},
        setup=lambda c, w, who: h.built_population(c, w) or {},
    ),
    Case(
        "GET",
        "/api/v1/base-databases/population/records/11010519491231002X?purpose=核验身份",
        AUTHORITY,
        setup=lambda c, w, who: h.built_population(c, w) or {},
    ),
    Case("GET", "/api/v1/catalog/item-sources", READERS),
    Case(
        "POST",
        "/api/v1/catalog/item-sources",
        AUTHORITY,
        setup=_item_source,
    ),
    Case(
        "GET",
        "/api/v1/consistency/disagreements?pool_a_id={pool_a}&field_a=name&pool_b_id={pool_b}&field_b=xm",
        AUTHORITY,
        setup=lambda c, w, who: h.two_pools(c, w),
    ),
    Case("GET", "/api/v1/reconciliations", POOL_READERS),
    Case(
        "POST",
        "/api/v1/reconciliations",
        AUTHORITY,
        setup=lambda c, w, who: {
            "body": {
                "pool_a_id": (p := h.two_pools(c, w))["pool_a"],
                "field_a": "name",
                "pool_b_id": p["pool_b"],
                "field_b": "xm",
                "subject_id": "11010519491231002X",
            }
        },
    ),
    Case(
        "GET", "/api/v1/reconciliations/{id}", POOL_READERS, setup=lambda c, w, who: {"id": h.open_case(c, w)}
    ),
    Case(
        "POST",
        "/api/v1/reconciliations/{id}/resolve",
        AUTHORITY | {"gongan_officer", "minzheng_officer"},
        setup=lambda c, w, who: {"id": h.open_case(c, w)},
        body={"correct_value": "张三", "resolution": "以户籍登记为准"},
    ),
    Case(
        "POST",
        "/api/v1/reconciliations/{id}/escalate",
        AUTHORITY | {"gongan_officer", "minzheng_officer"},
        setup=lambda c, w, who: {"id": h.open_case(c, w)},
        body={"reason": "双方各执一词"},
    ),
]
CASES += SHARE_CASES
CASES += OPEN_FEEDBACK_CASES
CASES += CORRECTION_CASES
CASES += OPEN_APPLY_CASES
CASES += OPEN_CASES
CASES += SUPERVISION_CASES
CASES += PROVIDER_CASES
CASES += PROJECT_CASES
CASES += EVALUATION_CASES
PUBLIC = {("POST", "/api/v1/auth/token"), ("GET", "/api/v1/openapi.json")}
PUBLIC |= CKAN_ROUTES
PUBLIC |= OPEN_PUBLIC


def _route_key(case: Case) -> tuple[str, str]:
    """The route template a case exercises: its literal path segments put back into {placeholders}."""
    return case.method, template(case.path, ROUTE_PARAMS)


ROUTE_PARAMS = {"/population/": "/{kind}/", "/records/11010519491231002X": "/records/{subject_id}"}


def test_every_route_is_covered(client: TestClient) -> None:
    routes = {(m, template(p)) for m, p in all_routes(client.app) if p.startswith("/api/")}  # type: ignore[arg-type]
    assert len(routes) > 40
    covered = {_route_key(c) for c in CASES} | {(m, template(p)) for m, p in PUBLIC | APP_ROUTES}
    assert routes - covered == set(), "routes without a permission case"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method} {c.path}")
def test_route_by_role(client: TestClient, ctx: Ctx, world: World, case: Case) -> None:
    tokens = {who: h.token_for(ctx, world, who) for who in ROLES}
    ctx.session.commit()
    for who in ROLES:
        params = case.setup(ctx, world, who)
        ctx.session.commit()
        body = params.pop("body", case.body)
        path = case.path.split("?pub")[0].format(**params)
        if case.content is not None:
            resp = client.request(case.method, path, content=case.content, headers=h.auth(tokens[who]))
        else:
            resp = client.request(case.method, path, json=body, headers=h.auth(tokens[who]))
        if who in case.ok:
            expected = "2xx"
            good = 200 <= resp.status_code < 300
        elif who in case.hidden:
            expected, good = "404", resp.status_code == 404
        else:
            expected, good = "403", resp.status_code == 403
        assert good, f"{who}: expected {expected}, got {resp.status_code} {resp.text[:300]}"
        if not good or resp.status_code >= 400:
            assert resp.json()["error"]["message"]
    anonymous = client.request(
        case.method,
        case.path.split("?pub")[0].format(id=1, pool_a=1, pool_b=2),
        json=case.body,
        content=case.content,
    )
    assert anonymous.status_code == 401
