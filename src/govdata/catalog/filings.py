"""CAT-3: supplementary catalogs of lower levels, filed for record with (or approved by) the level above."""

from __future__ import annotations

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import Filing, FilingState
from govdata.catalog.schemas import FilingDecisionIn
from govdata.context import Ctx
from govdata.errors import InvalidInput, InvalidTransition, NotFound

FILING_STATE_LABELS: dict[FilingState, str] = {
    FilingState.PENDING: "待备案",
    FilingState.ACKNOWLEDGED: "已备案",
    FilingState.REJECTED: "不予备案",
}


def decide_filing(ctx: Ctx, actor: Actor, filing_id: int, data: FilingDecisionIn) -> Filing:
    filing = ctx.session.get(Filing, filing_id)
    if filing is None:
        raise NotFound(f"备案记录 {filing_id} 不存在")
    require(actor, Permission.CATALOG_FILING_ACK, region_path=filing.upper_region_path)
    if actor.region_path is not None and filing.upper_region_path != actor.region_path:
        raise InvalidInput("补充目录向上一级数据主管机构备案，应由上一级处理")
    if filing.state != FilingState.PENDING:
        raise InvalidTransition(f"该备案已处理（{FILING_STATE_LABELS[filing.state]}）")
    if not data.accept and not data.comment:
        raise InvalidInput("不予备案须说明理由")
    filing.state = FilingState.ACKNOWLEDGED if data.accept else FilingState.REJECTED
    filing.decided_by_id = actor.user_id
    filing.decided_at = ctx.clock.now()
    filing.comment = data.comment
    record(
        ctx,
        actor,
        "catalog.filing",
        "catalog_filing",
        filing.id,
        detail={"resource_id": filing.resource_id, "accept": data.accept, "comment": data.comment},
    )
    return filing
