"""Permission cases of conditional-open applications and the sandbox: API routes (`OPEN_APPLY_CASES`, added to
test_permissions) and page routes (`open_apply_page_cases()`, added to test_page_permissions; a function because
PageCase is defined in that module, which imports test_permissions, which imports this one).

Only the citizen (a registered portal user) applies, signs, withdraws and uses the sandbox; 公安 (the provider)
answers and revokes; the provincial authority sees the applications of its jurisdiction; other departments'
people and the auditor do not learn that an application exists.
"""

from __future__ import annotations

from typing import Any

from govdata.context import Ctx
from govdata.opendata import applications
from govdata.opendata.applications import AnswerIn, ApplicationIn, SignIn
from govdata.opendata.models import AgreementKind
from tests.http.cases import AUTHORITY, GOV, Case
from tests.opendata.fixtures import published_listing
from tests.world import World

APPLICANT = {"citizen"}
PROVIDER = {"gongan_officer"}
INVOLVED = APPLICANT | PROVIDER | AUTHORITY
OUTSIDERS = {"gongan_user", "minzheng_officer", "auditor"}  # may use the portal, but are no party to it
PORTAL_USERS = GOV | APPLICANT  # everyone with OPEN_USE (vendor staff have none)
ANSWERERS = AUTHORITY | {"gongan_officer", "minzheng_officer"}


def _body(listing_id: int, who: str) -> dict[str, Any]:
    return {
        "listing_id": listing_id,
        "purpose": f"人口结构研究{who}",
        "items": ["name", "birth_date", "address"],
        "security_measures": "专人专机保管，内网隔离，期满删除",
        "term_days": 90,
        "sandbox_only": False,
    }


def _listing(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": published_listing(ctx, world, "conditional").id}


def _new_application(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    listing = published_listing(ctx, world, "conditional")
    return {"body": _body(listing.id, who)}


def _pending(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    listing = published_listing(ctx, world, "conditional")
    body = ApplicationIn.model_validate(_body(listing.id, who))
    return {"id": applications.submit(ctx, world.actor("citizen"), body).id}


def _approved(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    found = _pending(ctx, world, who)
    applications.approve(ctx, world.actor("gongan_officer"), found["id"], AnswerIn())
    return found


def _active(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    found = _approved(ctx, world, who)
    for kind in applications.SIGNED_KINDS:
        applications.sign(ctx, world.actor("citizen"), found["id"], SignIn(kind=kind, agree=True))
    return found


# The sandbox takes the SQL itself as the body (text/plain). Every query, refused ones included, is recorded by
# design (OPEN-8), so it is not a JSON body the hostile-input walk could inject into (that walk demands refused
# input write nothing); the sandbox's own hostile inputs are tested in tests/opendata/test_sandbox.py.
SANDBOX_QUERY = b"SELECT address, COUNT(*) FROM data GROUP BY address"

OPEN_APPLY_CASES: list[Case] = [
    Case("POST", "/api/v1/open/applications", APPLICANT, setup=_new_application),
    Case("GET", "/api/v1/open/applications", PORTAL_USERS),
    Case("GET", "/api/v1/open/applications/{id}", INVOLVED, hidden=OUTSIDERS, setup=_pending),
    Case("GET", "/api/v1/open/applications/{id}/texts", INVOLVED, hidden=OUTSIDERS, setup=_approved),
    Case(
        "POST", "/api/v1/open/applications/{id}/approve", PROVIDER, hidden=OUTSIDERS, setup=_pending, body={}
    ),
    Case(
        "POST",
        "/api/v1/open/applications/{id}/refuse",
        PROVIDER,
        hidden=OUTSIDERS,
        setup=_pending,
        body={"reason": "用途与开放条件不符", "basis": "《中华人民共和国个人信息保护法》第二十八条"},
    ),
    Case(
        "POST",
        "/api/v1/open/applications/{id}/extend",
        PROVIDER,
        hidden=OUTSIDERS,
        setup=_pending,
        body={"days": 5, "reason": "需核实申请人资质", "head_approved": True},
    ),
    Case("POST", "/api/v1/open/applications/{id}/withdraw", APPLICANT, hidden=OUTSIDERS, setup=_pending),
    Case(
        "POST",
        "/api/v1/open/applications/{id}/sign",
        APPLICANT,
        hidden=OUTSIDERS,
        setup=_approved,
        body={"kind": AgreementKind.SECURITY_COMMITMENT.value, "agree": True},
    ),
    Case(
        "POST",
        "/api/v1/open/applications/{id}/revoke",
        PROVIDER,
        hidden=OUTSIDERS,
        setup=_active,
        body={"reason": "发现超范围使用"},
    ),
    Case(
        "POST",
        "/api/v1/open/applications/{id}/sandbox",
        APPLICANT,
        hidden=OUTSIDERS,
        setup=_active,
        content=SANDBOX_QUERY,
    ),
    Case("GET", "/api/v1/open/applications/{id}/sandbox", INVOLVED, hidden=OUTSIDERS, setup=_active),
]


def open_apply_page_cases() -> list[Any]:
    from tests.http.test_page_permissions import PageCase

    def _apply_form(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
        found = _listing(ctx, world, who)
        body = _body(found["id"], who)
        return found | {"body": {k: v for k, v in body.items() if k not in ("listing_id", "sandbox_only")}}

    return [
        PageCase("GET", "/open/datasets/{id}/apply", APPLICANT, setup=_listing),
        PageCase("POST", "/open/datasets/{id}/apply", APPLICANT, setup=_apply_form),
        PageCase("GET", "/open/me/applications", PORTAL_USERS),
        PageCase("GET", "/open/manage/applications", ANSWERERS),
        PageCase("GET", "/open/applications/{id}", INVOLVED, hidden=OUTSIDERS, setup=_pending),
        PageCase("POST", "/open/applications/{id}/approve", PROVIDER, hidden=OUTSIDERS, setup=_pending),
        PageCase(
            "POST",
            "/open/applications/{id}/refuse",
            PROVIDER,
            hidden=OUTSIDERS,
            setup=_pending,
            form={"reason": "用途与开放条件不符", "basis": "个人信息保护法第二十八条"},
        ),
        PageCase(
            "POST",
            "/open/applications/{id}/extend",
            PROVIDER,
            hidden=OUTSIDERS,
            setup=_pending,
            form={"days": "5", "reason": "需核实申请人资质", "head_approved": "1"},
        ),
        PageCase("POST", "/open/applications/{id}/withdraw", APPLICANT, hidden=OUTSIDERS, setup=_pending),
        PageCase(
            "POST",
            "/open/applications/{id}/sign",
            APPLICANT,
            hidden=OUTSIDERS,
            setup=_approved,
            form={"kind": "data_use", "agree": "1"},
        ),
        PageCase(
            "POST",
            "/open/applications/{id}/revoke",
            PROVIDER,
            hidden=OUTSIDERS,
            setup=_active,
            form={"reason": "发现超范围使用"},
        ),
        PageCase("GET", "/open/applications/{id}/sandbox", APPLICANT, hidden=OUTSIDERS, setup=_active),
        PageCase(
            "POST",
            "/open/applications/{id}/sandbox",
            APPLICANT,
            hidden=OUTSIDERS,
            setup=_active,
            form={"sql": "SELECT COUNT(*) FROM data"},
        ),
    ]
