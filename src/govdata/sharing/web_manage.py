"""Sharing pages after the request: grants (and their revocation), the department's application credentials for
the exchange API, the provider's usage report (SHARE-6) and disputes about a sharing attribute (SHARE-9).

Included into `web.router`; the same rules as there: use cases only, CSRF on every POST, a refused form shown
again with the Chinese reason and nothing written.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, StreamingResponse
from starlette.responses import Response

from govdata import labels
from govdata.authz import Actor, Permission, in_jurisdiction, require
from govdata.catalog.models import ShareType
from govdata.catalog.service import get_resource
from govdata.context import Ctx
from govdata.deadlines import due_info
from govdata.errors import InvalidInput, NotFound
from govdata.profiles.schema import Limit
from govdata.sharing import apps, disputes, queries, service
from govdata.sharing.models import CaseLevel, ShareDispute, ShareGrant
from govdata.sharing.schemas import AppIn, DisputeActIn, DisputeIn, RevokeIn
from govdata.sharing.web_common import (
    FORM_ERRORS,
    Posted,
    go,
    item_labels,
    limit_words,
    mask_words,
    org_names,
    page,
    parse,
    problems,
    published_items,
    scope_words,
    text,
)
from govdata.sharing.workflow import CHANNEL_LABELS, LEVEL_LABELS
from govdata.web_support import CtxDep, PageActor, check_csrf

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)

DISPUTE_ACTIONS = {
    "raise": "提出异议",
    "answer": "提供部门答复",
    "escalate": "提请上一级",
    "decide": "决定",
    "withdraw": "接受答复，撤回异议",
}
DateParam = Annotated[str, Query(max_length=20)]


# ---------------------------------------------------------------- grants


def _grant_row(ctx: Ctx, actor: Actor, grant: ShareGrant, version: Any, today: dt.date) -> dict[str, Any]:
    names = item_labels(version)
    state = queries.grant_state(grant, today)
    provider = actor.org_id == grant.provider_org_id and Permission.SHARE_ANSWER in actor.permissions
    coordinator = Permission.SHARE_COORDINATE in actor.permissions and in_jurisdiction(
        actor, grant.resource.region_path
    )
    if actor.org_id == grant.consumer_org_id:
        side = "本单位使用"
    elif actor.org_id == grant.provider_org_id:
        side = "本单位提供"
    else:
        side = "辖区内"
    return {
        "grant": grant,
        "name": version.name if version else grant.resource.code,
        "state": state,
        "side": side,
        "items": [names.get(f, f) for f in grant.item_list],
        "masking": mask_words(grant.masking, names),
        "scope": scope_words(grant.row_filter, names | {f: f for f in grant.item_list}),
        "can_revoke": grant.revoked_at is None and state in ("有效", "未生效") and (provider or coordinator),
    }


def _grants_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    *,
    errors: list[str] | None = None,
    failed: int | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    found = queries.grants(ctx, actor)
    versions = published_items(ctx, {g.resource_id for g in found})
    today = ctx.clock.today()
    rows = [_grant_row(ctx, actor, g, versions.get(g.resource_id), today) for g in found]
    orgs = org_names(ctx, [o for g in found for o in (g.consumer_org_id, g.provider_org_id)])
    return page(
        request,
        "sharing/grants.html",
        actor,
        "grants",
        status_code=status_code,
        rows=rows,
        orgs=orgs,
        errors=errors or [],
        failed=failed,
        reason=reason,
        CHANNEL=CHANNEL_LABELS,
    )


@router.get("/sharing/notices")
def notice_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    """Corrections of records the department received through the exchange (what changed, masked as received)."""
    import json

    found = queries.notices(ctx, actor)
    names = {rid: v.name for rid, v in published_items(ctx, {n.resource_id for n in found}).items()}
    rows = [(n, names.get(n.resource_id, ""), json.loads(n.changes or "{}")) for n in found]
    return page(request, "sharing/notices.html", actor, "notices", rows=rows)


@router.post("/sharing/notices/{notice_id:int}/read", dependencies=[Csrf])
def notice_read(request: Request, ctx: CtxDep, actor: PageActor, notice_id: int) -> Response:
    service.mark_notice_read(ctx, actor, notice_id)
    return RedirectResponse("/sharing/notices?msg=" + quote("已标记为已读"), status_code=303)


@router.get("/sharing/grants")
def grant_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return _grants_page(request, ctx, actor)


@router.post("/sharing/grants/{grant_id:int}/revoke", dependencies=[Csrf])
def grant_revoke(request: Request, ctx: CtxDep, actor: PageActor, grant_id: int, form: Posted) -> Response:
    reason = text(form, "reason")
    try:
        grant = service.revoke(
            ctx, actor, grant_id, parse(RevokeIn, {"reason": reason}, {"reason": "撤销理由"})
        )
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _grants_page(
            request,
            ctx,
            actor,
            errors=problems(exc),
            failed=grant_id,
            reason=reason,
            status_code=exc.http_status,
        )
    return go("/sharing/grants", f"已撤销共享授权 {grant.id}，共享交换接口即时停止提供该授权的数据")


# ---------------------------------------------------------------- application credentials


def _example(ctx: Ctx, actor: Actor, request: Request) -> dict[str, str]:
    """A curl call for the how-to box: one of the department's live grants if it has one."""
    today = ctx.clock.today()
    live = [g for g in queries.grants(ctx, actor) if g.consumer_org_id == actor.org_id and g.live_on(today)]
    base = str(request.base_url).rstrip("/")
    if live:
        grant = live[0]
        return {"base": base, "resource_id": str(grant.resource_id), "purpose": grant.purpose}
    return {"base": base, "resource_id": "<目录条目编号>", "purpose": "<授权时的用途>"}


def _apps_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    *,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "sharing/apps.html",
        actor,
        "apps",
        status_code=status_code,
        apps=apps.list_apps(ctx, actor),
        errors=errors or [],
        v=values or {"name": "", "rate_per_minute": "600"},
        example=_example(ctx, actor, request),
    )


@router.get("/sharing/apps")
def app_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return _apps_page(request, ctx, actor)


@router.post("/sharing/apps", dependencies=[Csrf])
def app_create(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    require(actor, Permission.SHARE_APP)
    values = {"name": text(form, "name", 200), "rate_per_minute": text(form, "rate_per_minute", 10)}
    try:
        app, credential = apps.create_app(ctx, actor, parse(AppIn, values))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _apps_page(
            request, ctx, actor, errors=problems(exc), values=values, status_code=exc.http_status
        )
    response = page(
        request,
        "sharing/app_created.html",
        actor,
        "apps",
        app=app,
        credential=credential,
        example=_example(ctx, actor, request),
    )
    response.headers["Cache-Control"] = "no-store"  # the credential is shown once and never cached
    return response


@router.post("/sharing/apps/{app_id:int}/revoke", dependencies=[Csrf])
def app_revoke(request: Request, ctx: CtxDep, actor: PageActor, app_id: int) -> Response:
    try:
        app = apps.revoke_app(ctx, actor, app_id)
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _apps_page(request, ctx, actor, errors=problems(exc), status_code=exc.http_status)
    return go("/sharing/apps", f"已停用应用凭证“{app.name}”（{app.client_id}），使用它的调用将被拒绝")


# ---------------------------------------------------------------- usage (SHARE-6)


def _day(raw: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{what}“{raw}”不是有效的日期（格式：YYYY-MM-DD）") from None


def _period(ctx: Ctx, start: str, end: str) -> tuple[dt.date, dt.date]:
    today = ctx.clock.today()
    return (
        _day(start, "开始日期") if start else today.replace(day=1),
        _day(end, "结束日期") if end else today,
    )


@router.get("/sharing/usage")
def usage_report(
    request: Request, ctx: CtxDep, actor: PageActor, start: DateParam = "", end: DateParam = ""
) -> Response:
    require(actor, Permission.SHARE_USAGE)
    found_problems: list[str] = []
    try:
        first, last = _period(ctx, start.strip(), end.strip())
        rows = queries.usage(ctx, actor, first, last)
    except InvalidInput as exc:
        found_problems.append(exc.message)
        first, last = _period(ctx, "", "")
        rows = []
    return page(
        request,
        "sharing/usage.html",
        actor,
        "usage",
        status_code=422 if found_problems else 200,
        rows=rows,
        start=first,
        end=last,
        typed={"start": start, "end": end} if found_problems else {"start": first, "end": last},
        problems=found_problems,
        totals={
            "calls": sum(r.calls for r in rows),
            "refused": sum(r.refused for r in rows),
            "records": sum(r.records for r in rows),
        },
    )


@router.get("/sharing/usage.csv")
def usage_download(
    ctx: CtxDep, actor: PageActor, start: DateParam = "", end: DateParam = ""
) -> StreamingResponse:
    first, last = _period(ctx, start.strip(), end.strip())
    rows = queries.usage(ctx, actor, first, last)
    name = f"usage-{first.isoformat()}-{last.isoformat()}.csv"
    return StreamingResponse(
        queries.usage_csv(rows, first, last),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ---------------------------------------------------------------- disputes (SHARE-9)


def _disputes_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    *,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    found = disputes.list_disputes(ctx, actor)
    versions = published_items(ctx, {d.resource_id for d in found})
    today = ctx.clock.today()
    return page(
        request,
        "sharing/disputes.html",
        actor,
        "disputes",
        status_code=status_code,
        rows=[
            (
                d,
                versions.get(d.resource_id),
                due_info(ctx.calendar, d.due_date, today) if d.due_date else None,
            )
            for d in found
        ],
        orgs=org_names(ctx, [o for d in found for o in (d.raised_by_org_id, d.provider_org_id)]),
        can_raise=Permission.SHARE_REQUEST in actor.permissions and actor.org_id is not None,
        v=values
        or {
            "resource_id": request.query_params.get("resource_id", "")[:20],
            "claimed_share_type": "",
            "argument": "",
        },
        errors=errors or [],
        types=labels.SHARE_TYPE,
        LEVEL=LEVEL_LABELS,
        answer=limit_words(ctx, Limit.SHARE_ANSWER),
        authority=ctx.profile.bodies.authority,
        government=ctx.profile.bodies.government,
    )


@router.get("/sharing/disputes")
def dispute_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return _disputes_page(request, ctx, actor)


@router.post("/sharing/disputes", dependencies=[Csrf])
def dispute_raise(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    require(actor, Permission.SHARE_REQUEST)
    values = {
        "resource_id": text(form, "resource_id", 20),
        "claimed_share_type": text(form, "claimed_share_type", 20),
        "argument": text(form, "argument"),
    }
    try:
        dispute = disputes.raise_dispute(ctx, actor, parse(DisputeIn, values))
    except (*FORM_ERRORS, NotFound) as exc:
        ctx.session.rollback()
        return _disputes_page(
            request, ctx, actor, values=values, errors=problems(exc), status_code=exc.http_status
        )
    due = dispute.due_date.isoformat() if dispute.due_date else "规定时限内"
    return go(
        f"/sharing/disputes/{dispute.id}",
        f"异议已提出（编号 {dispute.id}），{dispute.provider_org.name}应于 {due} 前答复；"
        f"协商不成的可提请{ctx.profile.bodies.authority}决定",
    )


def _dispute_can(actor: Actor, dispute: ShareDispute) -> dict[str, bool]:
    """The use case's rules, so the page offers only what can succeed."""
    perms, level = actor.permissions, dispute.level
    coordinator = Permission.SHARE_COORDINATE in perms and in_jurisdiction(actor, dispute.region_path)
    party = actor.org_id in (dispute.raised_by_org_id, dispute.provider_org_id)
    return {
        "answer": level == CaseLevel.DEPARTMENTS
        and Permission.SHARE_ANSWER in perms
        and actor.org_id == dispute.provider_org_id,
        "escalate": (level == CaseLevel.DEPARTMENTS and Permission.SHARE_REQUEST in perms and party)
        or (level == CaseLevel.AUTHORITY and coordinator),
        "decide": level in (CaseLevel.AUTHORITY, CaseLevel.GOVERNMENT) and coordinator,
        "withdraw": level != CaseLevel.DECIDED
        and Permission.SHARE_REQUEST in perms
        and actor.org_id == dispute.raised_by_org_id,
    }


def _dispute_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    dispute_id: int,
    *,
    kept: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    dispute = disputes.get_dispute(ctx, actor, dispute_id)
    resource = get_resource(ctx.session, dispute.resource_id)
    versions = published_items(ctx, [resource.id])
    due = due_info(ctx.calendar, dispute.due_date, ctx.clock.today()) if dispute.due_date else None
    can = _dispute_can(actor, dispute)
    return page(
        request,
        "sharing/dispute.html",
        actor,
        "disputes",
        status_code=status_code,
        d=dispute,
        version=versions.get(resource.id),
        resource=resource,
        due=due,
        can=can,
        actions={k: v for k, v in DISPUTE_ACTIONS.items() if can.get(k)},
        kept=kept or {"action": "", "note": "", "decision": ""},
        errors=errors or [],
        types={t.value: label for t, label in labels.SHARE_TYPE.items()},
        share_type_enum=ShareType,
        LEVEL=LEVEL_LABELS,
        ACTIONS=DISPUTE_ACTIONS,
        authority=ctx.profile.bodies.authority,
        government=ctx.profile.bodies.government,
        coordination=limit_words(ctx, Limit.SHARE_COORDINATION),
    )


@router.get("/sharing/disputes/{dispute_id:int}")
def dispute_detail(request: Request, ctx: CtxDep, actor: PageActor, dispute_id: int) -> Response:
    return _dispute_page(request, ctx, actor, dispute_id)


@router.post("/sharing/disputes/{dispute_id:int}/act", dependencies=[Csrf])
def dispute_act(request: Request, ctx: CtxDep, actor: PageActor, dispute_id: int, form: Posted) -> Response:
    kept = {
        "action": text(form, "action", 20),
        "note": text(form, "note"),
        "decision": text(form, "decision", 20),
    }
    try:
        data = parse(DisputeActIn, {**kept, "decision": kept["decision"] or None}, {"note": "意见"})
        dispute = disputes.act(ctx, actor, dispute_id, data)
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _dispute_page(
            request, ctx, actor, dispute_id, kept=kept, errors=problems(exc), status_code=exc.http_status
        )
    said = DISPUTE_ACTIONS.get(data.action, data.action)
    where = LEVEL_LABELS[dispute.level]
    return go(f"/sharing/disputes/{dispute.id}", f"已办理（{said}），异议现处于“{where}”阶段")
