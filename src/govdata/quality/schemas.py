"""Request and response shapes for consistency checks and reconciliation cases."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from govdata.textguard import OptionalSafeText, SafeText


class OpenCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    pool_a_id: int = Field(title="资源池甲")
    field_a: str = Field(max_length=60, title="信息项甲")
    pool_b_id: int = Field(title="资源池乙")
    field_b: str = Field(max_length=60, title="信息项乙")
    subject_id: str = Field(min_length=1, max_length=18, title="主体标识")
    note: OptionalSafeText = Field(default=None, max_length=2000, title="说明")


class ResolveCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    correct_value: SafeText = Field(min_length=1, max_length=2000, title="核实后的正确值")
    resolution: SafeText = Field(min_length=2, max_length=4000, title="核实情况说明")


class EscalateCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: SafeText = Field(min_length=2, max_length=4000, title="提请原因")


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject_id: str
    item_key: str
    pool_a_id: int
    field_a: str
    value_a: str | None
    org_a_id: int
    pool_b_id: int
    field_b: str
    value_b: str | None
    org_b_id: int
    state: str
    due_date: dt.date
    opened_at: dt.datetime
    note: str | None
    correct_value: str | None
    resolution: str | None
    resolved_at: dt.datetime | None
    referred_at: dt.datetime | None = None
    government_decision: str | None = None
    government_decided_by: str | None = None
    government_decided_on: dt.date | None = None


class DisagreementOut(BaseModel):
    subject_id: str
    value_a: str
    value_b: str


class SharedItemOut(BaseModel):
    key: str
    subject_kind: str
    pool_a_id: int
    resource_a_id: int
    field_a: str
    label_a: str
    pool_b_id: int
    resource_b_id: int
    field_b: str
    label_b: str
    compared: int
    disagreeing: int
    samples: list[DisagreementOut]


class GovernmentReferIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: SafeText = Field(min_length=2, max_length=4000, title="报请政府决定的理由")


class GovernmentDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decided_by: SafeText = Field(min_length=2, max_length=100, title="作出决定的政府（或其负责人）")
    decided_on: dt.date = Field(title="决定日期")
    decision: SafeText = Field(min_length=2, max_length=4000, title="决定内容")
    correct_value: OptionalSafeText = Field(default=None, max_length=2000, title="决定采用的正确值")


# ---------------------------------------------------------------- correction requests (QUAL-1, QUAL-2, QUAL-4)


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resource_id: int = Field(title="目录条目")
    row_id: int = Field(ge=1, title="记录编号")
    kind: Literal["correct", "delete"] = Field(default="correct", title="申请类型：更正 / 删除")
    field_name: str | None = Field(default=None, max_length=60, title="有误的信息项（更正时必填）")
    proposed_value: OptionalSafeText = Field(default=None, max_length=2000, title="应当的值")
    problem: SafeText = Field(min_length=2, max_length=2000, title="哪里有误")
    reason: OptionalSafeText = Field(default=None, max_length=2000, title="理由")
    proof_shown: bool = Field(default=False, title="是否已出示有效证明材料")
    filed_with: Literal["department", "authority"] = Field(default="department", title="向谁提出")


class ForwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    org_id: int = Field(title="转交的归集部门")
    note: OptionalSafeText = Field(default=None, max_length=2000, title="转交说明")


class CorrectionExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    days: int = Field(ge=1, le=60, title="延长的工作日数")
    reason: SafeText = Field(min_length=2, max_length=2000, title="延期理由（情况复杂之处）")
    approved_by: SafeText = Field(min_length=2, max_length=100, title="批准延期的负责人")
    approved_on: dt.date | None = Field(default=None, title="批准日期（默认今天）")


class CorrectionAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    result: Literal["corrected", "deleted", "not_corrected"] = Field(title="校核结果")
    value: OptionalSafeText = Field(default=None, max_length=2000, title="更正后的值（已更正时必填）")
    answer: SafeText = Field(min_length=2, max_length=4000, title="核实情况；不予更正的须写明理由和依据")


class CorrectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resource_id: int
    pool_id: int
    row_id: int
    org_id: int
    kind: str
    field_name: str | None
    item_label: str | None
    current_value: str | None
    proposed_value: str | None
    problem: str
    reason: str | None
    proof_shown: bool
    filed_with: str
    state: str
    created_at: dt.datetime
    forward_due: dt.date | None
    forwarded_at: dt.datetime | None
    received_on: dt.date | None
    due_date: dt.date | None
    extended_at: dt.datetime | None
    extension_days: int | None
    extension_reason: str | None
    extension_approved_by: str | None
    extension_approved_on: dt.date | None
    result_value: str | None
    answer: str | None
    answered_at: dt.datetime | None


class RecordFieldOut(BaseModel):
    field_name: str
    label: str
    value: str | None


class MyRecordOut(BaseModel):
    resource_id: int
    resource_code: str
    resource_name: str
    org_name: str
    row_id: int
    batch_id: int
    loaded_at: dt.datetime
    under_verification: bool
    fields: list[RecordFieldOut]


class MyAccessOut(BaseModel):
    at: dt.datetime
    consumer: str
    resource_id: int
    resource_name: str
    channel: str
    operation: str | None
    purpose: str | None
    grant_id: int | None
