"""The share-request state machine and row filters (scopes), as pure functions the service applies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from govdata.errors import InvalidInput, InvalidTransition
from govdata.sharing.models import CaseLevel, Channel, RequestState


class Action(StrEnum):
    APPROVE = "approve"  # provider consents (whole or in part)
    REFUSE = "refuse"
    OPEN_ACCESS = "open_access"  # authority opens access after consent (SC25)
    ESCALATE = "escalate"  # to the authority: refused by the consumer's wish, or overdue
    COORDINATE_GRANT = "coordinate_grant"  # authority decides the data is to be shared
    COORDINATE_UPHOLD = "coordinate_uphold"  # authority upholds the refusal / the not-shared attribute
    WITHDRAW = "withdraw"


STATE_LABELS: dict[RequestState, str] = {
    RequestState.PENDING: "待提供部门答复",
    RequestState.AWAITING_ACCESS: "提供部门已同意，待主管机构开通",
    RequestState.GRANTED: "已授权",
    RequestState.REFUSED: "已拒绝",
    RequestState.COORDINATING: "主管机构协调中",
    RequestState.WITHDRAWN: "已撤回",
}

ACTION_LABELS: dict[Action, str] = {
    Action.APPROVE: "同意",
    Action.REFUSE: "拒绝",
    Action.OPEN_ACCESS: "开通权限",
    Action.ESCALATE: "提请主管机构协调",
    Action.COORDINATE_GRANT: "协调决定共享",
    Action.COORDINATE_UPHOLD: "协调决定不予共享",
    Action.WITHDRAW: "撤回申请",
}

CHANNEL_LABELS: dict[Channel, str] = {
    Channel.API: "接口调用",
    Channel.FILE: "文件下载",
    Channel.DATABASE: "库表同步（增量）",
    Channel.MATCH: "核验（只答是否一致，不返回数据）",
}

LEVEL_LABELS: dict[CaseLevel, str] = {
    CaseLevel.DEPARTMENTS: "部门间协商",
    CaseLevel.AUTHORITY: "数据主管机构协调",
    CaseLevel.GOVERNMENT: "报请同级人民政府决定",
    CaseLevel.DECIDED: "已决定",
}

TRANSITIONS: dict[tuple[RequestState, Action], frozenset[RequestState]] = {
    (RequestState.PENDING, Action.APPROVE): frozenset({RequestState.GRANTED, RequestState.AWAITING_ACCESS}),
    (RequestState.PENDING, Action.REFUSE): frozenset({RequestState.REFUSED}),
    (RequestState.PENDING, Action.ESCALATE): frozenset({RequestState.COORDINATING}),
    (RequestState.PENDING, Action.WITHDRAW): frozenset({RequestState.WITHDRAWN}),
    (RequestState.AWAITING_ACCESS, Action.OPEN_ACCESS): frozenset({RequestState.GRANTED}),
    (RequestState.AWAITING_ACCESS, Action.ESCALATE): frozenset({RequestState.COORDINATING}),
    (RequestState.AWAITING_ACCESS, Action.WITHDRAW): frozenset({RequestState.WITHDRAWN}),
    (RequestState.REFUSED, Action.ESCALATE): frozenset({RequestState.COORDINATING}),
    (RequestState.COORDINATING, Action.COORDINATE_GRANT): frozenset({RequestState.GRANTED}),
    (RequestState.COORDINATING, Action.COORDINATE_UPHOLD): frozenset({RequestState.REFUSED}),
    (RequestState.COORDINATING, Action.WITHDRAW): frozenset({RequestState.WITHDRAWN}),
}

# States in which somebody owes an answer by the request's due date.
WAITING = frozenset({RequestState.PENDING, RequestState.AWAITING_ACCESS, RequestState.COORDINATING})


def check(state: RequestState, action: Action, target: RequestState) -> RequestState:
    if target not in TRANSITIONS.get((state, action), frozenset()):
        raise InvalidTransition(f"申请当前状态为“{STATE_LABELS[state]}”，不能执行“{ACTION_LABELS[action]}”")
    return target


def allowed_actions(state: RequestState) -> list[Action]:
    return [action for (from_state, action) in TRANSITIONS if from_state == state]


class FilterOp(StrEnum):
    EQ = "eq"  # equal to one value
    IN = "in"  # one of several values
    PREFIX = "prefix"  # starts with (region codes: 5132 → every county of the prefecture)


FILTER_OP_LABELS = {FilterOp.EQ: "等于", FilterOp.IN: "属于", FilterOp.PREFIX: "以…开头"}


@dataclass(frozen=True)
class Condition:
    field: str
    op: FilterOp
    values: tuple[str, ...]

    def describe(self, label: str | None = None) -> str:
        shown = "、".join(self.values)
        return f"{label or self.field} {FILTER_OP_LABELS[self.op]} {shown}"

    def narrower_or_equal(self, other: Condition) -> bool:
        """Whether every row this condition admits is admitted by `other` (same field)."""
        if self.field != other.field:
            return False
        if other.op == FilterOp.PREFIX:
            return all(v.startswith(other.values[0]) for v in self.values)
        if self.op == FilterOp.PREFIX:
            return False
        return set(self.values) <= set(other.values)

    def as_json(self) -> dict[str, object]:
        return {"field": self.field, "op": self.op.value, "values": list(self.values)}


def parse_filter(raw: str | list[dict[str, object]] | None, fields: set[str]) -> list[Condition]:
    """A scope as stored (JSON) or as sent; every condition must name a known item and give values."""
    if raw is None or raw == "":
        return []
    data = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(data, list):
        raise InvalidInput("数据范围须为条件列表")
    conditions = []
    for entry in data:
        if not isinstance(entry, dict):
            raise InvalidInput("数据范围的每个条件须包含 field、op、values")
        field = str(entry.get("field", ""))
        if field not in fields:
            raise InvalidInput(f"数据范围中的信息项“{field}”不属于该目录")
        try:
            op = FilterOp(str(entry.get("op", "eq")))
        except ValueError:
            raise InvalidInput(
                f"数据范围的条件类型“{entry.get('op')}”不支持（可用 eq、in、prefix）"
            ) from None
        values = entry.get("values")
        if isinstance(values, str | int):
            values = [values]
        if not isinstance(values, list) or not values or any(str(v).strip() == "" for v in values):
            raise InvalidInput(f"数据范围中“{field}”的条件须给出取值")
        if op != FilterOp.IN and len(values) != 1:
            raise InvalidInput(f"数据范围中“{field}”的“{FILTER_OP_LABELS[op]}”条件只能给一个取值")
        if len(values) > 200:
            raise InvalidInput("一个条件最多 200 个取值")
        conditions.append(Condition(field, op, tuple(str(v).strip() for v in values)))
    return conditions


def dump_filter(conditions: list[Condition]) -> str:
    return json.dumps([c.as_json() for c in conditions], ensure_ascii=False)


def is_narrower(approved: list[Condition], requested: list[Condition]) -> bool:
    """A partial approval may only narrow the scope: every requested condition still holds."""
    return all(any(a.narrower_or_equal(r) for a in approved) for r in requested)
