"""IT projects and their data-resource catalogs (CAT-7); the data asset registry (DEV-1).

Money is kept in whole 元 (BigInteger) so both databases hold it exactly; pages and the API speak 万元.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata.catalog.models import Resource
from govdata.db import Base, IdMixin, UtcDateTime, str_enum


class ProjectState(StrEnum):
    DRAFT = "draft"  # registered, the project catalog being compiled
    SUBMITTED = "submitted"  # sent to the authority for approval (SC16: the catalog is an approval document)
    RETURNED = "returned"  # returned with a comment; the department revises and resubmits
    APPROVED = "approved"
    BUILDING = "building"  # under construction
    ACCEPTANCE_REQUESTED = "acceptance_requested"
    ACCEPTED = "accepted"
    ACCEPTANCE_REFUSED = "acceptance_refused"  # SC16: not accepted, no funds until aggregation works


class EntryRole(StrEnum):
    PRODUCE = "produce"  # the project's systems produce (collect) this data
    USE = "use"  # the project's systems use this data


class Project(IdMixin, Base):
    """A 政务信息化项目 of one department (SC16, HN7, AB12-13, WZ45)."""

    __tablename__ = "it_project"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(60), unique=True)  # the department's project number
    budget_yuan: Mapped[int] = mapped_column(BigInteger)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    manager: Mapped[str] = mapped_column(String(100))  # 项目负责人
    description: Mapped[str] = mapped_column(Text)
    systems: Mapped[str] = mapped_column(Text)  # the information systems it builds, one per line
    state: Mapped[ProjectState] = mapped_column(str_enum(ProjectState), index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    acceptance_requested_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    acceptance_comment: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    entries: Mapped[list[ProjectEntry]] = relationship(
        back_populates="project", order_by="ProjectEntry.id", cascade="all, delete-orphan"
    )
    steps: Mapped[list[ProjectStep]] = relationship(order_by="ProjectStep.id", cascade="all, delete-orphan")


class ProjectEntry(IdMixin, Base):
    """One line of the project data-resource catalog: a catalog entry the project produces or uses."""

    __tablename__ = "it_project_entry"
    __table_args__ = (UniqueConstraint("project_id", "resource_id"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("it_project.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    role: Mapped[EntryRole] = mapped_column(str_enum(EntryRole))
    system: Mapped[str | None] = mapped_column(String(200))  # which of the project's systems
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    project: Mapped[Project] = relationship(back_populates="entries")
    resource: Mapped[Resource] = relationship()


class ProjectStep(IdMixin, Base):
    """Every move of a project: who, from → to, the comment, when."""

    __tablename__ = "it_project_step"

    project_id: Mapped[int] = mapped_column(ForeignKey("it_project.id"), index=True)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AssetStatus(StrEnum):
    IN_USE = "in_use"  # 在用
    SUSPENDED = "suspended"  # 停用
    CANCELLED = "cancelled"  # 注销 (final)


class ValueGrade(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class DataAsset(IdMixin, Base):
    """One registered 政务数据资产 (SX17): a published catalog entry with its value and status.

    Counts, last load, grade and share / open types are read live from the catalog and the pool, so the registry
    never disagrees with them; what is stored here is what only the registry knows.
    """

    __tablename__ = "data_asset"

    asset_code: Mapped[str] = mapped_column(String(40), unique=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)  # the holder department
    region_path: Mapped[str] = mapped_column(String(200), index=True)  # the entry's level
    status: Mapped[AssetStatus] = mapped_column(str_enum(AssetStatus), index=True)
    value_grade: Mapped[ValueGrade | None] = mapped_column(str_enum(ValueGrade))
    appraised_value_yuan: Mapped[int | None] = mapped_column(BigInteger)
    value_basis: Mapped[str | None] = mapped_column(Text)  # how the value was appraised
    note: Mapped[str | None] = mapped_column(Text)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    registrar_name: Mapped[str] = mapped_column(String(100))
    registrar_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    registered_on: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    resource: Mapped[Resource] = relationship()
    changes: Mapped[list[AssetChange]] = relationship(order_by="AssetChange.id", cascade="all, delete-orphan")


class AssetChange(IdMixin, Base):
    """One recorded change of an asset's value or status: field, old → new, why, who, when."""

    __tablename__ = "data_asset_change"

    asset_id: Mapped[int] = mapped_column(ForeignKey("data_asset.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
