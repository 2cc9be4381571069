"""Permission cases of the sharing routes (people's side); the exchange routes take application credentials."""

from __future__ import annotations

from typing import Any

from govdata.context import Ctx
from govdata.org.service import set_setting
from govdata.sharing import apps, disputes, service
from govdata.sharing.schemas import AppIn, ApproveIn, DisputeIn, RefuseIn, ShareRequestIn
from tests.http import helpers as h
from tests.http.cases import AUTHORITY, GOV, Case
from tests.sharing.fixtures import request_body
from tests.world import World

INVOLVED = AUTHORITY | {"gongan_officer", "gongan_user", "minzheng_officer"}
REQUESTERS = {"gongan_officer", "gongan_user", "minzheng_officer"}
OUTSIDER = {"auditor"}  # may read sharing records in general, but is no party to this one

# The exchange's own routes: department systems call them with application credentials, never a person's token.
APP_ROUTES = {
    ("GET", "/api/v1/exchange/{resource_id}/records/{subject}"),
    ("POST", "/api/v1/exchange/{resource_id}/lookup"),
    ("POST", "/api/v1/exchange/{resource_id}/query"),
    ("GET", "/api/v1/exchange/{resource_id}/changes"),
    ("POST", "/api/v1/exchange/{resource_id}/match"),
    ("GET", "/api/v1/exchange/{resource_id}/export"),
}


def _request(ctx: Ctx, world: World, who: str, **overrides: Any) -> int:
    """minzheng asks 公安 for its entry; overrides go to the entry (share type)."""
    res = h.published(ctx, world, **overrides)
    body = request_body(res.id, purpose=f"用途{who}")
    return service.submit_request(
        ctx, world.actor("minzheng_officer"), ShareRequestIn.model_validate(body)
    ).id


def _refused(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    rid = _request(ctx, world, who)
    service.refuse(
        ctx, world.actor("gongan_officer"), rid, RefuseIn(reason="超出职责", basis="个人信息保护法")
    )
    return {"id": rid}


def _awaiting(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    res = h.published(ctx, world)
    set_setting(ctx.session, "profile", "sichuan")
    ctx._profile = None
    body = request_body(res.id, purpose=f"用途{who}")
    request = service.submit_request(
        ctx, world.actor("minzheng_officer"), ShareRequestIn.model_validate(body)
    )
    service.approve(ctx, world.actor("gongan_officer"), request.id, ApproveIn())
    set_setting(ctx.session, "profile", "aba")
    ctx._profile = None
    return {"id": request.id}


def _grant(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    rid = _request(ctx, world, who, share_type="unconditional", share_conditions=None, share_basis=None)
    return {"id": service.get_request(ctx, world.actor("admin"), rid).grant_id}


def _new_request_body(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    res = h.published(
        ctx, world, "renshe_officer", share_type="unconditional", share_conditions=None, share_basis=None
    )
    return {"body": request_body(res.id, purpose=f"用途{who}")}


def _data_return_body(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    res = h.published(ctx, world, share_type="unconditional", share_conditions=None, share_basis=None)
    body = {
        "resource_id": res.id,
        "consumer_org_id": world.orgs["city_renshe"].id,
        "region_field": "address",
        "items": ["name", "address"],
        "purpose": "本地就业服务",
        "duty": "就业援助",
        "duration_days": 90,
    }
    return {"body": body}


def _app(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    app, _plain = apps.create_app(ctx, world.actor("minzheng_officer"), AppIn(name="低保审核系统"))
    return {"id": app.id}


def _dispute(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    res = h.published(ctx, world, share_type="none", share_conditions=None)
    data = DisputeIn(resource_id=res.id, claimed_share_type="conditional", argument="低保审核需要")
    return {"id": disputes.raise_dispute(ctx, world.actor("minzheng_officer"), data).id}


def _dispute_body(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    res = h.published(ctx, world, "renshe_officer", share_type="none", share_conditions=None)
    return {"body": {"resource_id": res.id, "claimed_share_type": "conditional", "argument": "履职需要"}}


def _pending(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _request(ctx, world, who)}


def _coordinating(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _request(ctx, world, who, share_type="none", share_conditions=None)}


def _notice(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    import datetime as dt

    from govdata.sharing.models import CorrectionNotice

    res = h.published(ctx, world)
    notice = CorrectionNotice(
        consumer_org_id=world.orgs["minzheng"].id,
        resource_id=res.id,
        subject_id="11010519491231002X",
        changes='{"name": ["张三", "张叁"]}',
        summary="您单位通过共享交换获取的记录已被更正：name",
        created_at=dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC),
    )
    ctx.session.add(notice)
    ctx.session.flush()
    return {"id": notice.id}


SHARE_CASES: list[Case] = [
    Case("POST", "/api/v1/share-requests", REQUESTERS, setup=_new_request_body),
    Case("GET", "/api/v1/share-requests", GOV),
    Case("GET", "/api/v1/share-requests/{id}", INVOLVED, hidden=OUTSIDER, setup=_pending),
    Case(
        "POST",
        "/api/v1/share-requests/{id}/approve",
        {"gongan_officer"},
        hidden=OUTSIDER,
        setup=_pending,
        body={},
    ),
    Case(
        "POST",
        "/api/v1/share-requests/{id}/refuse",
        {"gongan_officer"},
        hidden=OUTSIDER,
        setup=_pending,
        body={"reason": "超出履职需要", "basis": "个人信息保护法第六条"},
    ),
    Case("POST", "/api/v1/share-requests/{id}/open-access", AUTHORITY, hidden=OUTSIDER, setup=_awaiting),
    Case(
        "POST",
        "/api/v1/share-requests/{id}/escalate",
        {"minzheng_officer"},
        hidden=OUTSIDER,
        setup=_refused,
        body={"note": "低保审核是法定职责"},
    ),
    Case(
        "POST",
        "/api/v1/share-requests/{id}/coordinate",
        AUTHORITY,
        hidden=OUTSIDER,
        setup=_coordinating,
        body={"decision": "uphold", "note": "维持不予共享"},
    ),
    Case(
        "POST", "/api/v1/share-requests/{id}/withdraw", {"minzheng_officer"}, hidden=OUTSIDER, setup=_pending
    ),
    Case("POST", "/api/v1/share-requests/sweep-overdue", AUTHORITY),
    Case("GET", "/api/v1/share-grants", GOV),
    Case("GET", "/api/v1/share-grants/{id}", INVOLVED, hidden=OUTSIDER, setup=_grant),
    Case(
        "POST",
        "/api/v1/share-grants/{id}/revoke",
        AUTHORITY | {"gongan_officer"},
        hidden=OUTSIDER,
        setup=_grant,
        body={"reason": "用途已结束"},
    ),
    Case("POST", "/api/v1/share-grants/data-return", AUTHORITY | {"gongan_officer"}, setup=_data_return_body),
    Case("GET", "/api/v1/share-apps", {"gongan_officer", "minzheng_officer"}),
    Case(
        "POST",
        "/api/v1/share-apps",
        {"gongan_officer", "minzheng_officer"},
        body={"name": "业务系统", "rate_per_minute": 60},
    ),
    Case(
        "POST", "/api/v1/share-apps/{id}/revoke", {"minzheng_officer"}, hidden={"gongan_officer"}, setup=_app
    ),
    Case("GET", "/api/v1/share-disputes", GOV),
    Case("POST", "/api/v1/share-disputes", REQUESTERS, setup=_dispute_body),
    Case("GET", "/api/v1/share-disputes/{id}", INVOLVED, hidden=OUTSIDER, setup=_dispute),
    Case(
        "POST",
        "/api/v1/share-disputes/{id}/act",
        REQUESTERS,
        hidden=OUTSIDER,
        setup=_dispute,
        body={"action": "escalate", "note": "协商不成，提请主管机构"},
    ),
    Case("GET", "/api/v1/share-notices", GOV),
    Case(
        "POST",
        "/api/v1/share-notices/{id}/read",
        {"minzheng_officer"},
        hidden=GOV - {"minzheng_officer"},
        setup=_notice,
    ),
    Case(
        "GET",
        "/api/v1/share-usage?start=2026-11-01&end=2026-11-30",
        AUTHORITY | {"gongan_officer", "minzheng_officer", "auditor"},
    ),
]
