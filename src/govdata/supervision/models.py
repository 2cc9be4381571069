"""Violations found in the platform's own records (SUP-4) and what supervision does about them (SUP-1)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govdata.db import Base, IdMixin, UtcDateTime, str_enum


class ViolationKind(StrEnum):
    CATALOG_UPDATE_LATE = "catalog_update_late"  # catalog not updated in time after a trigger
    CATALOG_REVIEW_LATE = "catalog_review_late"  # the authority reviewed a submitted entry late
    SHARE_ANSWER_LATE = "share_answer_late"  # a share request answered (or access opened) late
    CORRECTION_LATE = "correction_late"  # a correction request (校核) forwarded or answered late
    OPEN_APPLICATION_LATE = "open_application_late"  # a conditional-open application answered late
    OPEN_CORRECTION_LATE = "open_correction_late"  # a correction on the open catalog answered late
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
