"""Response shapes of the pools API."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


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
