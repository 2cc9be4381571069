"""Request and response shapes for consistency checks and reconciliation cases."""

from __future__ import annotations

import datetime as dt

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
