"""The audit log page for auditors and the authority."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from govdata.audit import queries, service
from govdata.authz import Permission
from govdata.web_support import CtxDep, PageActor, render

router = APIRouter(include_in_schema=False)


@router.get("/audit")
def audit_log(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    action: str | None = Query(None, max_length=64),
    actor_name: str | None = Query(None, max_length=100),
    page: int = Query(1, ge=1, le=100_000),
) -> Response:
    size = 50
    found = queries.list_events(ctx, actor, action or None, actor_name or None, None, None, page, size)
    verified = service.verify(ctx, actor) if Permission.AUDIT_VERIFY in actor.permissions else None
    return render(
        request,
        "audit/log.html",
        events=found.items,
        total=found.total,
        page=page,
        pages=max(1, -(-found.total // size)),
        action=action or "",
        actor_name=actor_name or "",
        verified=verified,
    )
