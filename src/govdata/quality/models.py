"""Reconciliation cases between providers whose data disagree (QUAL-3, AB26)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, IdMixin, UtcDateTime, str_enum


class CaseState(StrEnum):
    OPEN = "open"  # the two providers reconcile
    ESCALATED = "escalated"  # they could not agree (or the deadline passed): the authority decides
    RESOLVED = "resolved"


class ReconciliationCase(IdMixin, Base):
    __tablename__ = "reconciliation_case"

    subject_id: Mapped[str] = mapped_column(String(18), index=True)
    item_key: Mapped[str] = mapped_column(String(100))
    region_path: Mapped[str] = mapped_column(String(200), index=True)
    pool_a_id: Mapped[int] = mapped_column(ForeignKey("pool.id"))
    field_a: Mapped[str] = mapped_column(String(60))
    value_a: Mapped[str | None] = mapped_column(Text)
    org_a_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    pool_b_id: Mapped[int] = mapped_column(ForeignKey("pool.id"))
    field_b: Mapped[str] = mapped_column(String(60))
    value_b: Mapped[str | None] = mapped_column(Text)
    org_b_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    state: Mapped[CaseState] = mapped_column(str_enum(CaseState), index=True)
    due_date: Mapped[dt.date] = mapped_column(Date)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    correct_value: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
