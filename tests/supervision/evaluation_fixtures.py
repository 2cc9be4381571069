"""Records an evaluation can count: a loaded pool, a refused share request, violations (inserted directly, as
the detectors would)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from govdata.context import Ctx
from govdata.sharing import service as sharing
from govdata.sharing.schemas import RefuseIn, ShareRequestIn
from govdata.supervision.models import Violation, ViolationKind, ViolationState
from tests.http import helpers as h
from tests.sharing.fixtures import request_body
from tests.world import World


@dataclass(frozen=True)
class Records:
    resource_id: int
    batch_id: int
    request_id: int
    violation_ids: list[int]


def violation(
    ctx: Ctx, world: World, org_key: str, state: ViolationState, on: dt.date, key: str
) -> Violation:
    org = world.orgs[org_key]
    v = Violation(
        kind=ViolationKind.SHARE_ANSWER_LATE,
        state=state,
        dedupe_key=key,
        org_id=org.id,
        region_path=org.region.path,
        summary=f"共享申请逾期答复（{key}）",
        occurred_on=on,
        detected_at=ctx.clock.now(),
    )
    ctx.session.add(v)
    ctx.session.flush()
    return v


def records(ctx: Ctx, world: World) -> Records:
    """公安: one published entry with a pool (1 row accepted, 1 rejected), one refusal with a basis and one
    rectified violation; 民政: its refused request, one open violation, one dismissed (not counted)."""
    resource_id, batch_id = h.loaded_pool(ctx, world)
    body = request_body(resource_id, purpose="低保对象身份核查")
    request = sharing.submit_request(
        ctx, world.actor("minzheng_officer"), ShareRequestIn.model_validate(body)
    )
    sharing.refuse(
        ctx,
        world.actor("gongan_officer"),
        request.id,
        RefuseIn(reason="超出职责", basis="个人信息保护法第十三条"),
    )
    vs = [
        violation(ctx, world, "gongan", ViolationState.RECTIFIED, dt.date(2026, 3, 2), "t-1"),
        violation(ctx, world, "minzheng", ViolationState.OPEN, dt.date(2026, 6, 1), "t-2"),
        violation(ctx, world, "minzheng", ViolationState.DISMISSED, dt.date(2026, 6, 2), "t-3"),
        violation(ctx, world, "minzheng", ViolationState.OPEN, dt.date(2025, 6, 2), "t-4"),  # another year
    ]
    ctx.session.commit()
    return Records(resource_id, batch_id, request.id, [v.id for v in vs])
