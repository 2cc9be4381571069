"""Every page route, every role: who gets the page (2xx or a 303 after a form), who 403, who 404.

Anonymous visitors are sent to the login page. The table must name every page route the app has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from govdata.context import Ctx
from tests.http import helpers as h
from tests.http.cases import AUTHORITY, EVERYONE, READERS, ROLES, Setup, nothing
from tests.http.correction_cases import correction_page_cases
from tests.http.evaluation_cases import EVALUATION_PUBLIC_PAGES, evaluation_page_cases
from tests.http.open_apply_cases import open_apply_page_cases
from tests.http.open_cases import OPEN_PUBLIC_PAGES
from tests.http.open_ckan_cases import DCAT_PAGES
from tests.http.open_feedback_cases import OPEN_FEEDBACK_PUBLIC_PAGES, open_feedback_page_cases
from tests.http.project_cases import project_page_cases
from tests.http.provider_cases import provider_page_cases
from tests.http.routes import all_routes, template
from tests.http.test_catalog_pages import CSRF, editor_form, login
from tests.http.test_permissions import (
    POOL_OWN,
    POOL_READERS,
    _batch,
    _designation,
    _item_source,
    _own_token,
    _pool,
    _supplementary_filing,
)
from tests.world import World

OFFICERS = {"gongan_officer", "minzheng_officer"}
DEMANDERS = AUTHORITY | {"gongan_officer", "gongan_user", "minzheng_officer"}


@dataclass
class PageCase:
    method: str
    path: str
    ok: set[str]
    hidden: set[str] = field(default_factory=set)
    setup: Setup = nothing
    form: dict[str, Any] | None = None
    files: dict[str, Any] | None = None  # set: the form is posted as multipart with these files


def _id(make: Any) -> Setup:
    return lambda c, w, who: {"id": make(c, w).id}


CASE_HANDLERS = AUTHORITY | OFFICERS  # the authority and both providers' officers


def _case_form(ctx: Ctx, world: World) -> dict[str, Any]:
    pools = h.two_pools(ctx, world)
    return {
        "pool_a_id": pools["pool_a"],
        "field_a": "name",
        "pool_b_id": pools["pool_b"],
        "field_b": "xm",
        "subject_id": "11010519491231002X",
    }


def _pair_query(ctx: Ctx, world: World) -> str:
    return urlencode({k: v for k, v in _case_form(ctx, world).items() if k != "subject_id"})


def _population(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    h.built_population(ctx, world)
    return {"id": "population"}


PAGE_CASES: list[PageCase] = [
    PageCase("GET", "/", EVERYONE),
    PageCase("GET", "/tokens", EVERYONE),
    PageCase("POST", "/tokens", EVERYONE, form={"name": "页面令牌", "valid_days": "30"}),
    PageCase("POST", "/tokens/{id}/revoke", EVERYONE, setup=_own_token),
    PageCase("GET", "/audit", {"admin", "auditor"}),
    PageCase("GET", "/catalog", READERS),
    PageCase("GET", "/catalog/new", OFFICERS),
    PageCase("POST", "/catalog/new", OFFICERS, form={}),
    PageCase("GET", "/catalog/{id}", READERS, setup=_id(h.published)),
    PageCase(
        "GET",
        "/catalog/{id}?draft",
        {"gongan_officer", "gongan_user"},
        hidden={"admin", "reviewer", "minzheng_officer", "auditor", "vendor_staff"},
        setup=_id(h.draft),
    ),
    PageCase("GET", "/catalog/{id}/compare?from=1&to=1", READERS, setup=_id(h.published)),
    PageCase(
        "GET", "/catalog/{id}/edit", {"gongan_officer"}, hidden={"minzheng_officer"}, setup=_id(h.draft)
    ),
    PageCase(
        "POST",
        "/catalog/{id}/edit",
        {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=_id(h.draft),
        form={},
    ),
    PageCase(
        "POST", "/catalog/{id}/submit", {"gongan_officer"}, hidden={"minzheng_officer"}, setup=_id(h.draft)
    ),
    PageCase(
        "POST",
        "/catalog/{id}/withdraw",
        {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=_id(h.draft),
        form={"reason": "重复录入"},
    ),
    PageCase(
        "POST",
        "/catalog/{id}/triggers",
        {"gongan_officer", "admin"},
        hidden={"minzheng_officer"},
        setup=_id(h.published),
        form={"kind": "law", "description": "条例修订", "occurred_on": "2026-11-18"},
    ),
    PageCase("GET", "/review", AUTHORITY),
    PageCase("GET", "/review/{id}", AUTHORITY, setup=_id(h.submitted)),
    PageCase(
        "POST",
        "/review/{id}",
        AUTHORITY,
        setup=_id(h.submitted),
        form={"decision": "return", "comment": "请补充"},
    ),
    PageCase("POST", "/review/{id}/publish", AUTHORITY, setup=_id(lambda c, w: h.approved_unpublished(c, w))),
    PageCase("GET", "/duplicates", AUTHORITY),
    PageCase("POST", "/duplicates/designate", AUTHORITY, setup=_designation),
    PageCase("GET", "/demands", DEMANDERS),
    PageCase(
        "POST",
        "/demands",
        {"gongan_officer", "gongan_user", "minzheng_officer"},
        form={
            "title": "不动产登记信息",
            "description": "落户核验住房",
            "wanted_items": "权利人",
            "purpose": "户籍迁入",
        },
    ),
    PageCase(
        "POST",
        "/demands/{id}/answer",
        AUTHORITY,
        setup=lambda c, w, who: {"id": h.demand(c, w)},
        form={"state": "rejected", "answer": "暂无采集依据"},
    ),
    PageCase("GET", "/responsibilities/{id}", READERS, setup=lambda c, w, who: {"id": w.orgs["gongan"].id}),
    PageCase("GET", "/filings", READERS),
    PageCase("POST", "/filings/{id}", AUTHORITY, setup=_supplementary_filing, form={"accept": "true"}),
    PageCase("GET", "/rollup", READERS),
    PageCase("GET", "/pools", POOL_READERS),
    PageCase("GET", "/pools/{id}", POOL_OWN, hidden={"minzheng_officer"}, setup=_pool),
    PageCase(
        "POST",
        "/pools/{id}/upload",
        {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.published(c, w).id},
        form={"mode": "upsert", "on_reject": "skip", "encoding": ""},
        files={"file": ("pop.csv", h.POOL_CSV.encode(), "text/csv")},
    ),
    PageCase("GET", "/batches/{id}", POOL_OWN, hidden={"minzheng_officer"}, setup=_batch),
    PageCase("GET", "/batches/{id}/rejects.csv", POOL_OWN, hidden={"minzheng_officer"}, setup=_batch),
    PageCase("GET", "/consistency", AUTHORITY),
    PageCase("GET", "/consistency/pair?{id}", AUTHORITY, setup=lambda c, w, who: {"id": _pair_query(c, w)}),
    PageCase("GET", "/reconciliations", POOL_READERS),
    PageCase("POST", "/reconciliations", AUTHORITY, setup=lambda c, w, who: {"body": _case_form(c, w)}),
    PageCase("GET", "/reconciliations/{id}", POOL_READERS, setup=lambda c, w, who: {"id": h.open_case(c, w)}),
    PageCase(
        "POST",
        "/reconciliations/{id}/resolve",
        CASE_HANDLERS,
        setup=lambda c, w, who: {"id": h.open_case(c, w)},
        form={"correct_value": "张三", "resolution": "以户籍登记为准"},
    ),
    PageCase(
        "POST",
        "/reconciliations/{id}/escalate",
        CASE_HANDLERS,
        setup=lambda c, w, who: {"id": h.open_case(c, w)},
        form={"reason": "双方各执一词"},
    ),
    PageCase("GET", "/item-sources", READERS),
    PageCase("POST", "/item-sources", AUTHORITY, setup=_item_source),
    PageCase("GET", "/base-databases", AUTHORITY),
    PageCase(
        "POST", "/base-databases/{id}/build", {"admin"}, setup=_population, form={"mode": "incremental"}
    ),
    PageCase(
        "GET",
        "/base-databases/{id}/records?subject_id=11010519491231002X&purpose=核验户籍",
        AUTHORITY,
        setup=_population,
    ),
    PageCase("GET", "/themes", AUTHORITY),
    PageCase(
        "POST",
        "/themes",
        {"admin"},
        setup=lambda c, w, who: h.built_population(c, w) or {"body": h.theme_form(f"人口主题-{who}")},
    ),
    PageCase(
        "GET", "/themes/{id}?purpose=统计分析", AUTHORITY, setup=lambda c, w, who: {"id": h.theme(c, w)}
    ),
    PageCase("POST", "/themes/{id}/refresh", {"admin"}, setup=lambda c, w, who: {"id": h.theme(c, w)}),
    PageCase("GET", "/emergency", POOL_READERS),
    PageCase("POST", "/emergency", OFFICERS, form=h.emergency_form()),
    PageCase(
        "GET",
        "/emergency/{id}?purpose=安置核对",
        POOL_OWN,
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.emergency_collection(c, w, loaded=True)},
    ),
    PageCase(
        "POST",
        "/emergency/{id}/upload",
        {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.emergency_collection(c, w)},
        form={"mode": "append", "on_reject": "skip"},
        files={"file": ("e.csv", h.EMERGENCY_CSV.encode(), "text/csv")},
    ),
    PageCase(
        "POST",
        "/emergency/{id}/close",
        AUTHORITY | {"gongan_officer"},
        hidden={"minzheng_officer"},
        setup=lambda c, w, who: {"id": h.emergency_collection(c, w, loaded=True)},
        form={"disposal": "seal", "assessment": "安置结束，封存备查"},
    ),
    PageCase("POST", "/logout", EVERYONE),
]
from tests.http.share_page_cases import SHARE_PAGE_CASES  # noqa: E402  (it needs PageCase, defined above)

PAGE_CASES += SHARE_PAGE_CASES
PAGE_CASES += open_feedback_page_cases()
PAGE_CASES += correction_page_cases()
PAGE_CASES += open_apply_page_cases()
PAGE_CASES += provider_page_cases()
PAGE_CASES += project_page_cases()
PAGE_CASES += evaluation_page_cases()
from tests.http.open_page_cases import OPEN_PAGE_CASES, OPEN_PAGE_LITERALS  # noqa: E402  (needs PageCase)

PAGE_CASES += OPEN_PAGE_CASES
from tests.http.supervision_cases import supervision_page_cases  # noqa: E402  (needs PageCase)

PAGE_CASES += supervision_page_cases()
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/docs")}
PUBLIC |= DCAT_PAGES
PUBLIC |= OPEN_FEEDBACK_PUBLIC_PAGES
PUBLIC |= OPEN_PUBLIC_PAGES
PUBLIC |= EVALUATION_PUBLIC_PAGES


def _normalise(path: str) -> str:
    return path.split("?")[0].replace("{id}", "{}")


def test_every_page_route_is_covered(client: TestClient) -> None:
    routes = {
        (m, template(p))
        for m, p in all_routes(client.app)  # type: ignore[arg-type]
        if not p.startswith(("/api/", "/static"))
    }
    assert len(routes) > 25
    covered = {(c.method, template(c.path, OPEN_PAGE_LITERALS)) for c in PAGE_CASES} | {
        (m, template(p)) for m, p in PUBLIC
    }
    assert routes - covered == set(), "page routes without a permission case"


@pytest.mark.parametrize("case", PAGE_CASES, ids=lambda c: f"{c.method} {c.path}")
def test_page_by_role(client: TestClient, ctx: Ctx, world: World, case: PageCase) -> None:
    for who in ROLES:
        params = case.setup(ctx, world, who)
        ctx.session.commit()
        client.cookies.clear()
        login(client, who)
        path = case.path.replace("?draft", "").format(**params)
        if case.method == "GET":
            resp = client.get(path, follow_redirects=False)
        else:
            token = CSRF.search(client.get("/tokens").text).group(1)  # type: ignore[union-attr]
            body = params.pop("body", None)
            form = dict(case.form or {})
            if case.path in ("/catalog/new", "/catalog/{id}/edit"):
                form = editor_form(token)
            elif body is not None:
                form = {k: (v if isinstance(v, list) else str(v)) for k, v in body.items()}
            form["csrf_token"] = token
            resp = client.post(path, data=form, files=case.files, follow_redirects=False)
        if who in case.ok:
            good, expected = resp.status_code in (200, 201, 303), "2xx/303"
            if resp.status_code == 303:
                good = "/login" not in resp.headers["location"] or case.path == "/logout"
        elif who in case.hidden:
            good, expected = resp.status_code == 404, "404"
        else:
            good, expected = resp.status_code == 403, "403"
        assert good, f"{who}: expected {expected}, got {resp.status_code} {resp.text[:300]}"
    client.cookies.clear()
    anonymous = client.request(
        case.method, case.path.replace("?draft", "").format(id=1), follow_redirects=False
    )
    assert anonymous.status_code in (303, 403), anonymous.status_code
    if anonymous.status_code == 303:
        assert anonymous.headers["location"].startswith("/login")
