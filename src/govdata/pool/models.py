"""Pool bookkeeping: which physical table serves which entry, its columns, and every load batch."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata.catalog.models import Resource
from govdata.db import Base, IdMixin, UtcDateTime, str_enum


class LoadMode(StrEnum):
    REPLACE = "replace"  # full replace: the pool holds exactly this batch afterwards
    UPSERT = "upsert"  # insert new keys, update changed rows, keep the rest
    APPEND = "append"  # add rows; identical rows already held are skipped


class RejectPolicy(StrEnum):
    ABORT = "abort"  # any rejected row fails the whole batch; nothing lands
    SKIP = "skip"  # valid rows land; rejected rows are reported


class BatchStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # nothing landed (rejects under ABORT, a bad file, an error, an interrupted load)


class Pool(IdMixin, Base):
    __tablename__ = "pool"

    # None for an emergency collection's pool (POOL-6): it follows no catalog entry.
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_resource.id"), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(63), unique=True)
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_version.id")
    )  # columns follow this version
    subject_field: Mapped[str | None] = mapped_column(String(60))  # the item holding the subject identifier
    key_fields: Mapped[str] = mapped_column(String(400), default="")  # comma-separated, for upserts
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_loaded_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    resource: Mapped[Resource | None] = relationship()
    columns: Mapped[list[PoolColumn]] = relationship(
        back_populates="pool", order_by="PoolColumn.position", cascade="all, delete-orphan"
    )

    @property
    def keys(self) -> list[str]:
        return [k for k in self.key_fields.split(",") if k]


class PoolColumn(IdMixin, Base):
    """The physical columns as they are now, so a new catalog version can be diffed against them."""

    __tablename__ = "pool_column"

    pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    field_name: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(100))
    data_type: Mapped[str] = mapped_column(String(20))
    length: Mapped[int | None] = mapped_column(Integer)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    identifier_kind: Mapped[str] = mapped_column(String(20))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)  # dropped from the catalog; data kept

    pool: Mapped[Pool] = relationship(back_populates="columns")


class Batch(IdMixin, Base):
    """One load: who, when, from what, how many rows read / loaded / rejected / updated, how it ended."""

    __tablename__ = "pool_batch"

    pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(300))  # file name or database description (no password)
    source_format: Mapped[str] = mapped_column(String(20))
    encoding: Mapped[str | None] = mapped_column(String(20))
    mode: Mapped[LoadMode] = mapped_column(str_enum(LoadMode))
    reject_policy: Mapped[RejectPolicy] = mapped_column(str_enum(RejectPolicy))
    status: Mapped[BatchStatus] = mapped_column(str_enum(BatchStatus), index=True)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_loaded: Mapped[int] = mapped_column(BigInteger, default=0)  # newly inserted
    rows_updated: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_unchanged: Mapped[int] = mapped_column(BigInteger, default=0)  # already held, identical
    rows_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_deleted: Mapped[int] = mapped_column(BigInteger, default=0)  # removed by a full replace
    warnings: Mapped[int] = mapped_column(BigInteger, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    duration_ms: Mapped[int | None] = mapped_column(BigInteger)

    pool: Mapped[Pool] = relationship()


class RejectRow(IdMixin, Base):
    """The reject report of a batch (and its warnings): row, item, reason, value — kept for download."""

    __tablename__ = "pool_reject"

    batch_id: Mapped[int] = mapped_column(ForeignKey("pool_batch.id"), index=True)
    row_number: Mapped[int] = mapped_column(BigInteger)
    field: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(String(200))
    warning: Mapped[bool] = mapped_column(Boolean, default=False)


class BaseRecord(Base):
    """One field of a base database's golden record, with where it came from (POOL-4).

    Stored field by field (subject, field) so that every value keeps its own provenance: the pool, entry and
    batch it was taken from and when that batch loaded it.
    """

    __tablename__ = "base_record"
    __table_args__ = (Index("ix_base_record_source", "source_pool_id"),)

    base_kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(18), primary_key=True)
    field_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str | None] = mapped_column(Text)
    source_pool_id: Mapped[int] = mapped_column(ForeignKey("pool.id"))
    source_resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"))
    source_field: Mapped[str] = mapped_column(String(60))
    source_batch_id: Mapped[int] = mapped_column(BigInteger)
    source_loaded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    built_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class BaseBuild(IdMixin, Base):
    """One (re)build of a base database: what it read, up to which batch of each pool, what it changed."""

    __tablename__ = "base_build"

    base_kind: Mapped[str] = mapped_column(String(30), index=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    watermarks: Mapped[str] = mapped_column(Text)  # JSON {pool_id: last batch id read}
    fields: Mapped[int] = mapped_column(Integer, default=0)
    values_written: Mapped[int] = mapped_column(BigInteger, default=0)
    subjects: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class ThemeDatabase(IdMixin, Base):
    """A thematic database (POOL-4): base-database and pool items selected for a theme, materialised."""

    __tablename__ = "theme_database"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text)
    subject_kind: Mapped[str] = mapped_column(String(20))
    region_path: Mapped[str] = mapped_column(String(200))
    schedule: Mapped[str] = mapped_column(String(20))  # manual / daily / weekly
    table_name: Mapped[str] = mapped_column(String(63), unique=True)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    fields: Mapped[list[ThemeField]] = relationship(
        back_populates="theme", order_by="ThemeField.position", cascade="all, delete-orphan"
    )


class ThemeField(IdMixin, Base):
    __tablename__ = "theme_field"

    theme_id: Mapped[int] = mapped_column(ForeignKey("theme_database.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    column_name: Mapped[str] = mapped_column(String(20))  # f1, f2, … in the materialised table
    label: Mapped[str] = mapped_column(String(100))
    source_kind: Mapped[str] = mapped_column(String(10))  # base / pool
    base_kind: Mapped[str | None] = mapped_column(String(30))
    field_key: Mapped[str | None] = mapped_column(String(100))
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pool.id"))
    field_name: Mapped[str | None] = mapped_column(String(60))

    theme: Mapped[ThemeDatabase] = relationship(back_populates="fields")


class EmergencyState(StrEnum):
    ACTIVE = "active"
    SEALED = "sealed"  # kept for assessment, closed to loads and to ordinary access
    DESTROYED = "destroyed"  # the data is gone; the record of it stays


class EmergencyCollection(IdMixin, Base):
    """POOL-6: data collected outside the catalog for an emergency, with a purpose and an end date."""

    __tablename__ = "emergency_collection"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)  # the emergency and the decision that allows collecting
    items: Mapped[str] = mapped_column(Text)  # JSON list of data items (catalog DataItemIn shape)
    started_on: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[EmergencyState] = mapped_column(str_enum(EmergencyState), index=True)
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("pool.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    assessment: Mapped[str | None] = mapped_column(Text)

    pool: Mapped[Pool | None] = relationship()
