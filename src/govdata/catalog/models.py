"""Catalog tables: entries, their versions and data items, triggers, demands, duplicates, filings, search."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata.db import Base, BigId, IdMixin, UtcDateTime, str_enum


class Classification(StrEnum):
    BASE = "base"
    THEME = "theme"
    DEPARTMENT = "department"


class BaseDatabase(StrEnum):
    POPULATION = "population"
    LEGAL_ENTITY = "legal_entity"
    NATURAL_RESOURCE = "natural_resource"
    CREDIT = "credit"
    LICENCE = "licence"


class ShareType(StrEnum):
    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NONE = "none"


class OpenType(StrEnum):
    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NONE = "none"


class ShareMode(StrEnum):
    PLATFORM = "platform"
    OFFLINE = "offline"


class ShareChannel(StrEnum):
    DATABASE = "database"
    API = "api"
    FILE = "file"


class UpdateCycle(StrEnum):
    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"
    IRREGULAR = "irregular"


class DataType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    BINARY = "binary"


class IdentifierKind(StrEnum):
    NONE = "none"
    PERSON = "person"  # 公民身份号码, GB 11643
    ORGANISATION = "organisation"  # 统一社会信用代码, GB 32100


class VersionState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    APPROVED = "approved"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"  # a draft abandoned by its department


class TriggerKind(StrEnum):
    LAW = "law"
    DUTY = "duty"
    SYSTEM = "system"
    OTHER = "other"


class TriggerState(StrEnum):
    OPEN = "open"  # waiting for the department to update the entry
    UPDATED = "updated"  # the new version is drafted; the report is due
    REPORTED = "reported"  # submitted to the authority; the review is due
    CLOSED = "closed"  # the authority reviewed the update


class DemandState(StrEnum):
    OPEN = "open"
    MATCHED = "matched"  # an existing entry answers it
    ASSIGNED = "assigned"  # a department is asked to compile/collect it
    REJECTED = "rejected"


class FilingState(StrEnum):
    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    REJECTED = "rejected"


class Resource(IdMixin, Base):
    """One catalog entry; its content lives in versions, so history is never overwritten."""

    __tablename__ = "catalog_resource"
    # The catalog listing walks entries newest first and stops after one page.
    __table_args__ = (Index("ix_catalog_resource_updated", "updated_at", "id"),)

    code: Mapped[str] = mapped_column(String(40), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)
    supplementary: Mapped[bool] = mapped_column(Boolean, default=False)  # 补充/个性化目录 (CAT-3)
    head_version_id: Mapped[int | None] = mapped_column(BigId)
    published_version_id: Mapped[int | None] = mapped_column(BigId)
    # CAT-5: when this entry duplicates another department's, the designated source entry.
    source_resource_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_resource.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    org = relationship("Organization")
    versions: Mapped[list[ResourceVersion]] = relationship(
        back_populates="resource",
        order_by="ResourceVersion.number",
        foreign_keys="ResourceVersion.resource_id",
    )


class ResourceVersion(IdMixin, Base):
    __tablename__ = "catalog_version"
    __table_args__ = (
        UniqueConstraint("resource_id", "number"),
        Index("ix_catalog_version_state_due", "state", "review_due"),
    )

    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[VersionState] = mapped_column(str_enum(VersionState))
    classification: Mapped[Classification] = mapped_column(str_enum(Classification))
    base_database: Mapped[BaseDatabase | None] = mapped_column(str_enum(BaseDatabase))
    domain: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    format_category: Mapped[str] = mapped_column(String(30))
    format_type: Mapped[str] = mapped_column(String(30))
    update_cycle: Mapped[UpdateCycle] = mapped_column(str_enum(UpdateCycle))
    share_type: Mapped[ShareType] = mapped_column(str_enum(ShareType))
    share_conditions: Mapped[str | None] = mapped_column(Text)
    share_basis: Mapped[str | None] = mapped_column(Text)
    share_mode: Mapped[ShareMode] = mapped_column(str_enum(ShareMode))
    share_channels: Mapped[str] = mapped_column(String(60))  # comma-separated ShareChannel values
    open_type: Mapped[OpenType] = mapped_column(str_enum(OpenType))
    open_conditions: Mapped[str | None] = mapped_column(Text)
    open_basis: Mapped[str | None] = mapped_column(Text)
    deidentified: Mapped[bool] = mapped_column(Boolean, default=False)
    usage_requirements: Mapped[str | None] = mapped_column(Text)
    grade: Mapped[int] = mapped_column(Integer)  # 数据分级 1..4
    release_date: Mapped[dt.date | None] = mapped_column(Date)
    related_codes: Mapped[str] = mapped_column(Text, default="")  # comma-separated resource codes
    change_reason: Mapped[str | None] = mapped_column(Text)
    trigger_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_trigger.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    review_due: Mapped[dt.date | None] = mapped_column(Date)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    # Normalised text of name, summary, items…; the exact-substring check behind the gram index.
    search_text: Mapped[str] = mapped_column(Text, default="")

    resource: Mapped[Resource] = relationship(back_populates="versions", foreign_keys=[resource_id])
    items: Mapped[list[DataItem]] = relationship(
        back_populates="version", order_by="DataItem.position", cascade="all, delete-orphan"
    )


class DataItem(IdMixin, Base):
    __tablename__ = "catalog_item"
    __table_args__ = (UniqueConstraint("version_id", "field_name"),)

    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_version.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    field_name: Mapped[str] = mapped_column(String(60))  # machine name, becomes the pool column
    data_type: Mapped[DataType] = mapped_column(str_enum(DataType))
    length: Mapped[int | None] = mapped_column(Integer)
    identifier_kind: Mapped[IdentifierKind] = mapped_column(str_enum(IdentifierKind))
    sensitivity: Mapped[int] = mapped_column(Integer)  # 1 公开 .. 4 核心
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    is_basic: Mapped[bool] = mapped_column(Boolean, default=False)  # basic item of a base database
    description: Mapped[str | None] = mapped_column(Text)

    version: Mapped[ResourceVersion] = relationship(back_populates="items")


class Transition(IdMixin, Base):
    """Every move of a version's workflow: who, from → to, why, when."""

    __tablename__ = "catalog_transition"

    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_version.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ChangeTrigger(IdMixin, Base):
    """AB16: a change of law, duty or system that obliges the department to update an entry."""

    __tablename__ = "catalog_trigger"

    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    kind: Mapped[TriggerKind] = mapped_column(str_enum(TriggerKind))
    description: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[TriggerState] = mapped_column(str_enum(TriggerState))
    update_due: Mapped[dt.date] = mapped_column(Date)
    updated_on: Mapped[dt.date | None] = mapped_column(Date)
    report_due: Mapped[dt.date | None] = mapped_column(Date)
    reported_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    resource: Mapped[Resource] = relationship()


class Demand(IdMixin, Base):
    """CAT-6: data a department needs from others; the authority aggregates and answers."""

    __tablename__ = "catalog_demand"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    wanted_items: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text)
    state: Mapped[DemandState] = mapped_column(str_enum(DemandState))
    due_date: Mapped[dt.date] = mapped_column(Date)
    matched_resource_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_resource.id"))
    assigned_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    org = relationship("Organization", foreign_keys=[org_id])
    assigned_org = relationship("Organization", foreign_keys=[assigned_org_id])
    matched_resource: Mapped[Resource | None] = relationship()


class SourceDesignation(IdMixin, Base):
    """CAT-5: among duplicate entries, the one department designated to collect (一数一源)."""

    __tablename__ = "catalog_designation"

    source_resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    duplicate_resource_ids: Mapped[str] = mapped_column(Text)  # comma-separated ids
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    source_resource: Mapped[Resource] = relationship()


class Filing(IdMixin, Base):
    """CAT-3: a lower level's supplementary entry filed for record with (or approved by) the level above."""

    __tablename__ = "catalog_filing"

    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_version.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    upper_region_path: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[FilingState] = mapped_column(str_enum(FilingState))
    filed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    due_date: Mapped[dt.date] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    comment: Mapped[str | None] = mapped_column(Text)

    resource: Mapped[Resource] = relationship()
    version: Mapped[ResourceVersion] = relationship()


class SearchGram(Base):
    """Character bigrams (and ASCII words) of an indexed version: portable Chinese search on both databases."""

    __tablename__ = "catalog_search_gram"

    gram: Mapped[str] = mapped_column(String(40), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_version.id"), primary_key=True, index=True)


class ItemSource(IdMixin, Base):
    """一数一源 for one item concept and subject kind: the entry whose department is the designated source."""

    __tablename__ = "catalog_item_source"
    __table_args__ = (UniqueConstraint("item_key", "subject_kind"),)

    item_key: Mapped[str] = mapped_column(String(100))
    subject_kind: Mapped[str] = mapped_column(String(20))
    source_resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"))
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
