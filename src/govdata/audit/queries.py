"""Reading the audit log (auditors and the authority)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from govdata.audit.models import AuditEvent
from govdata.authz import Actor, Permission, require
from govdata.context import Ctx


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    org_name: str | None
    action: str
    object_type: str
    object_id: str | None
    purpose: str | None
    outcome: str
    detail: str
    hash: str


@dataclass(frozen=True)
class EventPage:
    items: list[AuditEvent]
    total: int


def list_events(
    ctx: Ctx,
    actor: Actor,
    action: str | None = None,
    actor_name: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    page: int = 1,
    size: int = 50,
) -> EventPage:
    require(actor, Permission.AUDIT_READ)
    conditions = []
    if action:
        conditions.append(AuditEvent.action.startswith(action, autoescape=True))
    if actor_name:
        conditions.append(AuditEvent.actor_name == actor_name)
    if object_type:
        conditions.append(AuditEvent.object_type == object_type)
    if object_id:
        conditions.append(AuditEvent.object_id == object_id)
    total = ctx.session.execute(select(func.count()).select_from(AuditEvent).where(*conditions)).scalar_one()
    items = list(
        ctx.session.execute(
            select(AuditEvent)
            .where(*conditions)
            .order_by(AuditEvent.seq.desc())
            .limit(size)
            .offset((page - 1) * size)
        ).scalars()
    )
    return EventPage(items=items, total=total)
