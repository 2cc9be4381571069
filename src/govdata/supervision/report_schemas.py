"""Request and response shapes of the evaluation and annual-report routes (SUP-2, SUP-3)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from govdata.supervision.report_models import EvaluationState, ReportKind, ReportState
from govdata.textguard import SafeText


class EvaluationRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100, title="评估年度")


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public: bool = Field(default=False, title="同时在开放平台公开结果")


class EvaluationRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    year: int
    region_path: str
    state: EvaluationState
    as_of: dt.date
    public: bool
    computed_at: dt.datetime
    published_at: dt.datetime | None


class IndicatorScoreOut(BaseModel):
    id: int  # GET /evaluations/scores/{id}: the records behind it
    dimension: str
    indicator: str
    numerator: float
    denominator: float
    score: float | None


class DepartmentResultOut(BaseModel):
    org_id: int
    name: str
    total: float | None
    dimensions: dict[str, float | None]
    ranks: dict[str, int | None]
    indicators: list[IndicatorScoreOut]


class EvaluationOut(BaseModel):
    run: EvaluationRunOut
    label: str
    results: list[DepartmentResultOut]


class RecordOut(BaseModel):
    label: str
    href: str | None
    ok: bool
    note: str


class IndicatorDetailOut(BaseModel):
    id: int
    org_id: int
    dimension: str
    indicator: str
    label: str
    definition: str
    numerator: float
    denominator: float
    score: float | None
    records: list[RecordOut]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ReportKind = Field(title="报告类型")
    year: int = Field(ge=2000, le=2100, title="报告年度")
    sections: dict[str, SafeText] = Field(default_factory=dict, title="报告正文各章节")
    submit: bool = Field(default=False, title="保存后提交")


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: ReportKind
    org_id: int
    year: int
    state: ReportState
    late: bool
    window_start: dt.date
    window_end: dt.date
    submitted_at: dt.datetime | None
    updated_at: dt.datetime
