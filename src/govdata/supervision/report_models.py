"""Annual evaluation and annual reports (SUP-2, SUP-3).

An evaluation run is one level's evaluation of one year: the authority computes it from the platform's records
(a draft, recomputed as often as wanted), then publishes it. Every indicator score keeps the numerator, the
denominator and the records behind it, so a score can be drilled into. Annual reports are a department's
self-report and the authority's report to the government, each with the figures taken when it was saved.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, IdMixin, UtcDateTime, str_enum


class EvaluationState(StrEnum):
    DRAFT = "draft"  # computed; the authority may recompute it
    PUBLISHED = "published"  # final: departments see it; optionally on the portal (SC45 "公开结果")


class EvaluationRun(IdMixin, Base):
    """One level's evaluation of one year: one per authority and year."""

    __tablename__ = "evaluation_run"
    __table_args__ = (UniqueConstraint("authority_org_id", "year"),)

    authority_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)  # the level evaluated
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[EvaluationState] = mapped_column(str_enum(EvaluationState))
    as_of: Mapped[dt.date] = mapped_column(Date)  # records counted up to this day (year end, or today)
    public: Mapped[bool] = mapped_column(Boolean, default=False)  # published on the portal too
    definitions: Mapped[str] = mapped_column(Text)  # JSON: the profile's weights and indicators used
    computed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    computed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class EvaluationScore(IdMixin, Base):
    """One indicator of one department: the fraction behind it and the records that make it up."""

    __tablename__ = "evaluation_score"

    run_id: Mapped[int] = mapped_column(ForeignKey("evaluation_run.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(20))
    indicator: Mapped[str] = mapped_column(String(60))
    numerator: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)  # 0..100; None: not applicable (nothing to count)
    records: Mapped[str] = mapped_column(Text)  # JSON: [{"label", "href", "counts"}] the records behind it


class ReportKind(StrEnum):
    DEPARTMENT = "department"  # 部门年度报告 (WZ44 第一款)
    AUTHORITY = "authority"  # 数据主管机构向本级政府的年度报告 (WZ44 第二款)


class ReportState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class AnnualReport(IdMixin, Base):
    """One annual report of one body for one year, with its figures as of its last save."""

    __tablename__ = "annual_report"
    __table_args__ = (UniqueConstraint("kind", "org_id", "year"),)

    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind))
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[ReportState] = mapped_column(str_enum(ReportState))
    figures: Mapped[str] = mapped_column(Text)  # JSON: the pre-filled counts, taken from the records
    sections: Mapped[str] = mapped_column(Text)  # JSON: {section key: the body's own text}
    window_start: Mapped[dt.date] = mapped_column(Date)  # the profile's window for this year's report
    window_end: Mapped[dt.date] = mapped_column(Date)
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # submitted after the window closed
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
