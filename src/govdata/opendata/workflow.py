"""Listing states, the moves between them and their Chinese labels (OPEN-2, OPEN-5)."""

from __future__ import annotations

from govdata import labels
from govdata.catalog.models import OpenType
from govdata.errors import InvalidTransition
from govdata.opendata.models import ListingState, Treatment

S = ListingState

MOVES: dict[str, tuple[frozenset[ListingState], ListingState]] = {
    "edit": (frozenset({S.DRAFT, S.RETURNED}), S.DRAFT),
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED),
    "publish": (frozenset({S.SUBMITTED}), S.PUBLISHED),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED),
    "suspend": (frozenset({S.PUBLISHED}), S.SUSPENDED),
    "restore": (frozenset({S.SUSPENDED}), S.PUBLISHED),
    "withdraw": (frozenset({S.PUBLISHED, S.SUSPENDED}), S.WITHDRAWN),
    "revise": (frozenset({S.PUBLISHED, S.SUSPENDED, S.WITHDRAWN}), S.DRAFT),
}

STATE_LABELS: dict[ListingState, str] = {
    S.DRAFT: "编制中",
    S.SUBMITTED: "待审核",
    S.RETURNED: "已退回",
    S.PUBLISHED: "已发布",
    S.SUSPENDED: "暂停开放",
    S.WITHDRAWN: "已撤回",
}

MOVE_LABELS: dict[str, str] = {
    "edit": "修改",
    "submit": "提交审核",
    "publish": "审核通过并发布",
    "return": "退回修改",
    "suspend": "暂停开放",
    "restore": "恢复开放",
    "withdraw": "撤回",
    "revise": "重新编制",
}

OPEN_TYPE_LABELS: dict[OpenType, str] = labels.OPEN_TYPE

TREATMENT_LABELS: dict[Treatment, str] = {
    Treatment.KEEP: "原样开放",
    Treatment.MASK: "脱敏后开放",
    Treatment.GENERALISE: "泛化后开放",
    Treatment.REMOVE: "不开放（去除）",
}

FORMAT_LABELS: dict[str, str] = {"csv": "CSV", "xlsx": "XLSX", "json": "JSON"}


def check(state: ListingState, move: str) -> ListingState:
    allowed, to = MOVES[move]
    if state not in allowed:
        raise InvalidTransition(f"开放清单条目当前为“{STATE_LABELS[state]}”，不能{MOVE_LABELS[move]}")
    return to
