"""JSON routes for auditors: the event log and the chain check."""

from __future__ import annotations

from fastapi import APIRouter, Query

from govdata.audit import queries, service
from govdata.audit.queries import EventOut
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["审计日志"])


@router.get("/audit/events", summary="审计事件（最新在前）")
def events(
    ctx: CtxDep,
    actor: ApiActor,
    action: str | None = Query(None, max_length=64),
    actor_name: str | None = Query(None, max_length=100),
    object_type: str | None = Query(None, max_length=64),
    object_id: str | None = Query(None, max_length=64),
    page: int = Query(1, ge=1, le=100_000),
    size: int = Query(50, ge=1, le=200),
) -> dict[str, object]:
    found = queries.list_events(ctx, actor, action, actor_name, object_type, object_id, page, size)
    return {
        "items": [EventOut.model_validate(e) for e in found.items],
        "total": found.total,
        "page": page,
        "size": size,
    }


@router.get("/audit/verify", summary="校验审计日志哈希链")
def verify(ctx: CtxDep, actor: ApiActor) -> dict[str, object]:
    result = service.verify(ctx, actor)
    return {
        "ok": result.ok,
        "checked": result.checked,
        "first_broken_seq": result.first_broken_seq,
        "message": result.message(),
    }
