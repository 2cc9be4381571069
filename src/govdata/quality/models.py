"""Reconciliation cases between providers whose data disagree (QUAL-3, AB26) and data subjects' correction
requests (校核申请, QUAL-1/2/4; AB20, AB22, WZ17)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, IdMixin, UtcDateTime, str_enum


class CaseState(StrEnum):
    OPEN = "open"  # the two providers reconcile
    ESCALATED = "escalated"  # they could not agree (or the deadline passed): the authority decides
    GOVERNMENT = "government"  # the authority referred it to the government, which decides (AB26)
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
    # AB26's last step: what the providers and the authority could not settle goes to the government.
    referred_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    government_decision: Mapped[str | None] = mapped_column(Text)
    government_decided_by: Mapped[str | None] = mapped_column(String(100))  # the government body / person
    government_decided_on: Mapped[dt.date | None] = mapped_column(Date)


class CorrectionKind(StrEnum):
    CORRECT = "correct"  # the value is wrong or incomplete (QUAL-1)
    DELETE = "delete"  # the record should not be held (QUAL-4, AB22)


class FiledWith(StrEnum):
    DEPARTMENT = "department"  # the collecting body
    AUTHORITY = "authority"  # the authority forwards it (AB20: 2 working days)


class CorrectionState(StrEnum):
    AT_AUTHORITY = "at_authority"  # filed with the authority, to be forwarded
    PENDING = "pending"  # with the collecting department, to be verified and answered
    CORRECTED = "corrected"
    DELETED = "deleted"
    NOT_CORRECTED = "not_corrected"


PENDING_STATES = (CorrectionState.AT_AUTHORITY, CorrectionState.PENDING)  # the record is 核实中 (QUAL-2)


class CorrectionRequest(IdMixin, Base):
    """A data subject's 校核申请 about one record held on it (QUAL-1, QUAL-2, QUAL-4; AB20, AB22, WZ17)."""

    __tablename__ = "correction_request"
    # The exchange asks "which of these subjects have a pending request on this entry" on every lookup.
    __table_args__ = (
        Index("ix_correction_request_resource_state_subject", "resource_id", "state", "subject_id"),
    )

    requester_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    subject_id: Mapped[str] = mapped_column(String(18))
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"))
    pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id"))
    row_id: Mapped[int] = mapped_column(BigInteger)  # the pool row the request is about
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)  # who answers
    region_path: Mapped[str] = mapped_column(String(200), index=True)  # the entry's region: who supervises
    kind: Mapped[CorrectionKind] = mapped_column(str_enum(CorrectionKind))
    field_name: Mapped[str | None] = mapped_column(String(60))  # None for a deletion
    item_label: Mapped[str | None] = mapped_column(String(100))
    current_value: Mapped[str | None] = mapped_column(Text)
    proposed_value: Mapped[str | None] = mapped_column(Text)
    problem: Mapped[str] = mapped_column(Text)  # what is wrong
    reason: Mapped[str | None] = mapped_column(Text)
    proof_shown: Mapped[bool] = mapped_column(Boolean, default=False)  # valid proof shown (WZ17)
    filed_with: Mapped[FiledWith] = mapped_column(str_enum(FiledWith))
    state: Mapped[CorrectionState] = mapped_column(str_enum(CorrectionState), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    forward_due: Mapped[dt.date | None] = mapped_column(Date)
    forwarded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    received_on: Mapped[dt.date | None] = mapped_column(Date)  # the department's receipt: its time starts
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    extended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    extension_days: Mapped[int | None] = mapped_column(Integer)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    extension_approved_by: Mapped[str | None] = mapped_column(String(100))
    extension_approved_on: Mapped[dt.date | None] = mapped_column(Date)
    result_value: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)  # how it was verified; for a refusal, reason and basis
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    applied_batch_id: Mapped[int | None] = mapped_column(BigInteger)  # the pool batch that carried the change
    forward_flagged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    overdue_flagged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
