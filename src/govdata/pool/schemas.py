"""Response shapes of the pools API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from govdata.catalog.schemas import DataItemIn
from govdata.textguard import SafeText


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PoolColumnOut(Out):
    field_name: str
    label: str
    data_type: str
    length: int | None
    required: bool
    identifier_kind: str
    retired: bool


class PoolOut(Out):
    id: int
    resource_id: int
    table_name: str
    subject_field: str | None
    key_fields: str
    row_count: int
    last_loaded_at: dt.datetime | None
    created_at: dt.datetime
    columns: list[PoolColumnOut]


class BatchOut(Out):
    id: int
    pool_id: int
    actor_name: str
    source: str
    source_format: str
    encoding: str | None
    mode: str
    reject_policy: str
    status: str
    rows_read: int
    rows_loaded: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    rows_deleted: int
    warnings: int
    message: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    duration_ms: int | None


class RejectOut(Out):
    row_number: int
    field: str | None
    reason: str
    value: str | None
    warning: bool


class BaseFieldOut(BaseModel):
    key: str
    label: str
    resource_id: int
    field_name: str
    designated: bool
    alternatives: list[int]


class BaseBuildOut(Out):
    id: int
    base_kind: str
    actor_name: str
    full: bool
    fields: int
    values_written: int
    subjects: int
    started_at: dt.datetime
    finished_at: dt.datetime
    note: str | None


class BaseOverviewOut(BaseModel):
    kind: str
    label: str
    subjects: int
    fields: list[BaseFieldOut]
    last_build: BaseBuildOut | None


class GoldenFieldOut(BaseModel):
    key: str
    value: str | None
    resource_id: int
    resource_code: str
    org_name: str
    field_name: str
    batch_id: int
    loaded_at: dt.datetime


class ThemeFieldIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: SafeText = Field(min_length=1, max_length=100, title="名称")
    source_kind: str = Field(pattern="^(base|pool)$", title="来源")
    base_kind: str | None = Field(default=None, max_length=30, title="基础数据库")
    field_key: str | None = Field(default=None, max_length=100, title="基础数据库信息项")
    pool_id: int | None = Field(default=None, title="资源池")
    field_name: str | None = Field(default=None, max_length=60, title="资源池信息项")


class ThemeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SafeText = Field(min_length=1, max_length=100, title="主题库名称")
    description: SafeText = Field(min_length=1, max_length=2000, title="说明")
    schedule: str = Field(default="manual", pattern="^(manual|daily|weekly)$", title="刷新方式")
    fields: list[ThemeFieldIn] = Field(min_length=1, max_length=100, title="信息项")


class ThemeFieldOut(Out):
    column_name: str
    label: str
    source_kind: str
    base_kind: str | None
    field_key: str | None
    pool_id: int | None
    field_name: str | None


class ThemeOut(Out):
    id: int
    name: str
    description: str
    subject_kind: str
    schedule: str
    row_count: int
    refreshed_at: dt.datetime | None
    created_at: dt.datetime
    fields: list[ThemeFieldOut]


class ThemeRowsOut(BaseModel):
    labels: list[str]
    rows: list[list[object]]


class EmergencyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: SafeText = Field(min_length=2, max_length=200, title="名称")
    purpose: SafeText = Field(min_length=2, max_length=2000, title="采集目的")
    legal_basis: SafeText = Field(min_length=2, max_length=2000, title="依据（突发事件及相关决定）")
    end_date: dt.date = Field(title="结束日期")
    items: list[DataItemIn] = Field(min_length=1, max_length=100, title="信息项")


class EmergencyCloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    disposal: str = Field(pattern="^(seal|destroy)$", title="处置方式")
    assessment: SafeText = Field(min_length=4, max_length=4000, title="评估意见")


class EmergencyOut(Out):
    id: int
    org_id: int
    title: str
    purpose: str
    legal_basis: str
    started_on: dt.date
    end_date: dt.date
    state: str
    pool_id: int | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    assessment: str | None
