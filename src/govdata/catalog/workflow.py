"""The catalog review workflow as a pure state machine; deadlines are applied by the service."""

from __future__ import annotations

from enum import StrEnum

from govdata.catalog.models import VersionState
from govdata.errors import InvalidTransition


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    PUBLISH = "publish"
    SUPERSEDE = "supersede"
    WITHDRAW = "withdraw"


STATE_LABELS: dict[VersionState, str] = {
    VersionState.DRAFT: "草稿",
    VersionState.SUBMITTED: "待审核",
    VersionState.RETURNED: "已退回",
    VersionState.APPROVED: "审核通过",
    VersionState.PUBLISHED: "已发布",
    VersionState.SUPERSEDED: "历史版本",
    VersionState.WITHDRAWN: "已撤销",
}

ACTION_LABELS: dict[Action, str] = {
    Action.SUBMIT: "提交审核",
    Action.APPROVE: "审核通过",
    Action.RETURN: "退回修改",
    Action.PUBLISH: "发布",
    Action.SUPERSEDE: "被新版本替代",
    Action.WITHDRAW: "撤销草稿",
}

TRANSITIONS: dict[tuple[VersionState, Action], VersionState] = {
    (VersionState.DRAFT, Action.SUBMIT): VersionState.SUBMITTED,
    (VersionState.RETURNED, Action.SUBMIT): VersionState.SUBMITTED,
    (VersionState.SUBMITTED, Action.APPROVE): VersionState.APPROVED,
    (VersionState.SUBMITTED, Action.RETURN): VersionState.RETURNED,
    (VersionState.APPROVED, Action.PUBLISH): VersionState.PUBLISHED,
    (VersionState.PUBLISHED, Action.SUPERSEDE): VersionState.SUPERSEDED,
    (VersionState.DRAFT, Action.WITHDRAW): VersionState.WITHDRAWN,
    (VersionState.RETURNED, Action.WITHDRAW): VersionState.WITHDRAWN,
}

EDITABLE = frozenset({VersionState.DRAFT, VersionState.RETURNED})
# States in which the version is still waiting for somebody (shown on dashboards, can be overdue).
PENDING = frozenset(
    {VersionState.DRAFT, VersionState.RETURNED, VersionState.SUBMITTED, VersionState.APPROVED}
)


def next_state(state: VersionState, action: Action) -> VersionState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(
            f"当前状态为“{STATE_LABELS[state]}”，不能执行“{ACTION_LABELS[action]}”"
        ) from None


def allowed_actions(state: VersionState) -> list[Action]:
    return [action for (from_state, action) in TRANSITIONS if from_state == state]
