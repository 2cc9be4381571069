"""Request and response shapes of the sharing exchange."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from govdata.sharing.models import Channel
from govdata.textguard import OptionalSafeText, SafeText

FieldName = str


class ConditionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    field: str = Field(max_length=60, title="信息项")
    op: str = Field(default="eq", max_length=10, title="条件类型：eq / in / prefix")
    values: list[Annotated[SafeText, Field(max_length=200)]] = Field(
        min_length=1, max_length=200, title="取值"
    )


class ShareRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resource_id: int = Field(title="目录条目")
    items: list[FieldName] = Field(min_length=1, max_length=200, title="申请的信息项")
    row_filter: list[ConditionIn] = Field(default_factory=list, max_length=20, title="数据范围")
    purpose: SafeText = Field(min_length=2, max_length=200, title="用途")
    duty: SafeText = Field(min_length=2, max_length=2000, title="所履行的职责（履职事项）")
    duration_days: int = Field(ge=1, le=1095, title="使用期限（天）")
    channel: Channel = Field(title="共享方式")


class ApproveIn(BaseModel):
    """Approve whole (no items/filter given) or in part: fewer items, a narrower scope, a shorter term."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    items: list[FieldName] | None = Field(default=None, max_length=200, title="同意的信息项")
    row_filter: list[ConditionIn] | None = Field(default=None, max_length=20, title="同意的数据范围")
    duration_days: int | None = Field(default=None, ge=1, le=1095, title="同意的使用期限（天）")
    masking: dict[FieldName, str] | None = Field(default=None, title="脱敏规则（信息项 → 规则）")
    note: OptionalSafeText = Field(default=None, max_length=2000, title="答复意见")


class RefuseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: SafeText = Field(min_length=2, max_length=2000, title="拒绝理由")
    basis: SafeText = Field(min_length=2, max_length=2000, title="法律法规或政策依据")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: SafeText = Field(min_length=2, max_length=2000, title="说明")


class CoordinateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: str = Field(pattern="^(grant|uphold)$", title="协调结果：grant 共享 / uphold 不予共享")
    note: SafeText = Field(min_length=2, max_length=2000, title="协调意见")
    items: list[FieldName] | None = Field(default=None, max_length=200, title="共享的信息项")
    row_filter: list[ConditionIn] | None = Field(default=None, max_length=20, title="数据范围")


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: SafeText = Field(min_length=2, max_length=2000, title="撤销理由")


class DataReturnIn(BaseModel):
    """SC22: a higher level returns a lower-level organisation its own region's rows."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resource_id: int = Field(title="目录条目")
    consumer_org_id: int = Field(title="回流到的单位")
    region_field: FieldName = Field(max_length=60, title="行政区划代码所在的信息项")
    items: list[FieldName] = Field(min_length=1, max_length=200, title="回流的信息项")
    purpose: SafeText = Field(min_length=2, max_length=200, title="用途")
    duty: SafeText = Field(min_length=2, max_length=2000, title="所履行的职责")
    duration_days: int = Field(ge=1, le=1095, title="期限（天）")


class AppIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SafeText = Field(min_length=2, max_length=100, title="应用系统名称")
    rate_per_minute: int = Field(default=600, ge=1, le=100_000, title="每分钟调用上限")


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resource_id: int = Field(title="目录条目")
    claimed_share_type: str = Field(pattern="^(unconditional|conditional|none)$", title="主张的共享属性")
    argument: SafeText = Field(min_length=2, max_length=4000, title="理由")


class DisputeActIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: str = Field(
        pattern="^(answer|escalate|decide|withdraw)$",
        title="办理：answer 答复 / escalate 上报 / decide 决定 / withdraw 异议方接受答复并撤回",
    )
    note: SafeText = Field(min_length=2, max_length=4000, title="意见")
    decision: str | None = Field(
        default=None, pattern="^(unconditional|conditional|none)$", title="决定的共享属性"
    )


class StepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_state: str | None
    to_state: str
    actor_name: str
    note: str | None
    at: dt.datetime


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    consumer_org_id: int
    provider_org_id: int
    resource_id: int
    share_type: str
    items: str
    row_filter: str
    purpose: str
    duty: str
    duration_days: int
    channel: str
    state: str
    due_date: dt.date | None
    answer: str | None
    answer_basis: str | None
    approved_items: str | None
    approved_filter: str | None
    approved_days: int | None
    grant_id: int | None
    created_at: dt.datetime
    steps: list[StepOut]


class GrantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    request_id: int | None
    consumer_org_id: int
    provider_org_id: int
    resource_id: int
    items: str
    row_filter: str
    masking: str
    purpose: str
    channel: str
    valid_from: dt.date
    expires_on: dt.date
    revoked_at: dt.datetime | None
    revoke_reason: str | None


class AppOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    org_id: int
    name: str
    client_id: str
    rate_per_minute: int
    active: bool
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class NewAppOut(AppOut):
    credential: str = Field(title="应用凭证（只显示这一次）")


class DisputeStepOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: str
    action: str
    decision: str | None
    note: str
    actor_name: str
    at: dt.datetime


class DisputeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_id: int
    raised_by_org_id: int
    provider_org_id: int
    current_share_type: str
    claimed_share_type: str
    argument: str
    level: str
    due_date: dt.date | None
    outcome: str | None
    steps: list[DisputeStepOut]


class LookupIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    purpose: str = Field(min_length=1, max_length=200, title="用途（须与有效授权一致）")
    subjects: list[str] = Field(min_length=1, max_length=1000, title="主体标识（最多 1000 个）")


class QueryIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    purpose: str = Field(min_length=1, max_length=200, title="用途（须与有效授权一致）")
    filters: list[ConditionIn] = Field(default_factory=list, max_length=20, title="查询条件")
    limit: int = Field(default=100, ge=1, le=1000, title="每页条数")
    after: int = Field(default=0, ge=0, title="上一页最后一条的行号（翻页游标）")


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    purpose: str = Field(min_length=1, max_length=200, title="用途（须与有效授权一致）")
    subject: str = Field(min_length=1, max_length=18, title="主体标识")
    claims: dict[FieldName, str | None] = Field(min_length=1, max_length=100, title="待核验的信息项与取值")


class RowsOut(BaseModel):
    grant_id: int
    items: list[str]
    masked: list[str]
    rows: list[dict[str, object]]
    next_after: int | None = None
    not_found: list[str] = Field(default_factory=list)


class ChangesOut(BaseModel):
    grant_id: int
    items: list[str]
    masked: list[str]
    rows: list[dict[str, object]]
    cursor: str
    has_more: bool


class MatchOut(BaseModel):
    grant_id: int
    subject_found: bool
    results: dict[str, bool | None] = Field(title="每项是否一致；主体不存在时为 null")


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_id: int
    batch_id: int | None
    subject_id: str | None
    changes: str = Field(title="变化（JSON：信息项 → [原值, 新值]，按授权脱敏）")
    summary: str
    created_at: dt.datetime
    read_at: dt.datetime | None
