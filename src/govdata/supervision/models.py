"""Violations found in the platform's own records (SUP-4) and what supervision does about them (SUP-1)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, IdMixin, UtcDateTime, str_enum


class ViolationKind(StrEnum):
    CATALOG_UPDATE_LATE = "catalog_update_late"  # catalog not updated in time after a trigger
    CATALOG_REVIEW_LATE = "catalog_review_late"  # the authority reviewed a submitted entry late
    SHARE_ANSWER_LATE = "share_answer_late"  # a share request answered (or access opened) late
    CORRECTION_LATE = "correction_late"  # a correction request (校核) forwarded or answered late
    OPEN_APPLICATION_LATE = "open_application_late"  # a conditional-open application answered late
    OPEN_CORRECTION_LATE = "open_correction_late"  # a correction on the open catalog answered late
    OPEN_REVIEW_LATE = "open_review_late"  # the authority reviewed a submitted open listing late (OPEN-2)
    REFUSAL_WITHOUT_BASIS = "refusal_without_basis"  # refused sharing / opening without a legal basis
    DUPLICATE_COLLECTION = "duplicate_collection"  # collects what another department is the source of
    OBTAINABLE_BY_SHARING = "obtainable_by_sharing"  # asks citizens for data obtainable by sharing
    USE_BEYOND_PURPOSE = "use_beyond_purpose"  # exchange use outside a grant's purpose
    POOL_OVERDUE = "pool_overdue"  # pool not refreshed within the entry's update cycle
    OTHER = "other"  # recorded by hand from an inspection or spot check


class ViolationState(StrEnum):
    OPEN = "open"  # detected, not yet acted on
    NOTIFIED = "notified"  # a rectification notice is out
    RECTIFIED = "rectified"
    ESCALATED = "escalated"  # not rectified in time: reported to the government
    DISMISSED = "dismissed"  # the authority found it justified (with reason): fault tolerance (SUP-5)


class Violation(IdMixin, Base):
    """One violation, detected once: `dedupe_key` makes every detector idempotent."""

    __tablename__ = "violation"

    kind: Mapped[ViolationKind] = mapped_column(str_enum(ViolationKind), index=True)
    state: Mapped[ViolationState] = mapped_column(str_enum(ViolationState), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)  # the responsible body
    region_path: Mapped[str] = mapped_column(String(200), index=True)  # the responsible body's region
    summary: Mapped[str] = mapped_column(Text)  # 中文: what happened
    object_type: Mapped[str | None] = mapped_column(String(60))  # evidence: the record it is about
    object_id: Mapped[str | None] = mapped_column(String(60))
    evidence: Mapped[str | None] = mapped_column(Text)  # JSON: [{"label", "href"}] links + facts
    occurred_on: Mapped[dt.date] = mapped_column(Date, index=True)  # the day the rule was broken
    detected_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    detected_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: a detector job
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    closing_note: Mapped[str | None] = mapped_column(Text)


class NoticeState(StrEnum):
    ISSUED = "issued"  # waiting for the department's answer
    ANSWERED = "answered"  # the department said what it did; the authority decides
    RETURNED = "returned"  # the authority found the answer insufficient: the department answers again
    ACCEPTED = "accepted"  # rectified: its violations are closed
    ESCALATED = "escalated"  # not rectified by the deadline: reported to the government (SUP-1)


class RectificationNotice(IdMixin, Base):
    """整改通知 (SUP-1): the authority tells a department to rectify open violations by a deadline."""

    __tablename__ = "rectification_notice"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)  # the department's region
    authority_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    requirements: Mapped[str] = mapped_column(Text)  # 中文: what must be rectified and how
    state: Mapped[NoticeState] = mapped_column(str_enum(NoticeState), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    escalated_on: Mapped[dt.date | None] = mapped_column(Date)
    escalated_to: Mapped[str | None] = mapped_column(
        String(200)
    )  # the government (profile bodies.government)


class NoticeViolation(IdMixin, Base):
    """Which violations a notice is about (a violation may be in a later notice after an earlier one ends)."""

    __tablename__ = "rectification_notice_violation"

    notice_id: Mapped[int] = mapped_column(ForeignKey("rectification_notice.id"), index=True)
    violation_id: Mapped[int] = mapped_column(ForeignKey("violation.id"), index=True)


class SpotCheck(IdMixin, Base):
    """A reproducible random sample (SUP-1): the same population and seed always draw the same sample."""

    __tablename__ = "spot_check"

    title: Mapped[str] = mapped_column(String(200))
    population: Mapped[str] = mapped_column(String(30))  # "departments" / "entries"
    region_path: Mapped[str] = mapped_column(String(200), index=True)  # the level drawn from
    population_ids: Mapped[str] = mapped_column(Text)  # the sorted population, comma-separated ids
    sample_size: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(BigInteger)
    drawn_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class SpotFinding(IdMixin, Base):
    """One sampled department or entry and what the check found (None: not yet checked)."""

    __tablename__ = "spot_check_finding"

    check_id: Mapped[int] = mapped_column(ForeignKey("spot_check.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # order of drawing
    object_type: Mapped[str] = mapped_column(String(30))  # organization / catalog_resource
    object_id: Mapped[int] = mapped_column(BigInteger)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))  # the department checked
    result: Mapped[str | None] = mapped_column(String(20))  # conforming / problem
    description: Mapped[str | None] = mapped_column(Text)
    violation_id: Mapped[int | None] = mapped_column(ForeignKey("violation.id"))
    recorded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class FormItem(IdMixin, Base):
    """An item a department's form (办事表单) asks citizens for: checked against what sharing already offers."""

    __tablename__ = "form_item"
    __table_args__ = (UniqueConstraint("org_id", "form_name", "item_name", "subject_kind"),)

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)
    form_name: Mapped[str] = mapped_column(String(200))
    item_name: Mapped[str] = mapped_column(String(100))
    subject_kind: Mapped[str] = mapped_column(String(20))  # person / organisation
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class JobRun(IdMixin, Base):
    """One run of a scheduled job: when, how it ended and what it did."""

    __tablename__ = "job_run"

    name: Mapped[str] = mapped_column(String(60), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(20))  # running / ok / failed
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON {label: number}
    message: Mapped[str | None] = mapped_column(Text)
