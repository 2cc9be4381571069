"""Sharing tables: requests, grants, application credentials, the exchange call log, coordination and disputes."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata.catalog.models import Resource
from govdata.db import Base, BigId, IdMixin, UtcDateTime, str_enum
from govdata.org.models import Organization


class Channel(StrEnum):
    """How the consumer takes the data (SHARE-7); MATCH asks only "does it match" (SHARE-4, OPEN-8)."""

    API = "api"
    FILE = "file"
    DATABASE = "database"  # table sync through the incremental-changes call
    MATCH = "match"


class RequestState(StrEnum):
    PENDING = "pending"  # conditional: the provider answers by due_date
    AWAITING_ACCESS = "awaiting_access"  # the provider consented; the authority opens access (SC25)
    GRANTED = "granted"  # a grant exists (whole or in part)
    REFUSED = "refused"  # refused with reason and basis (HN16); the consumer may ask for coordination
    COORDINATING = "coordinating"  # not shared, refused or overdue: the authority coordinates (SHARE-4)
    WITHDRAWN = "withdrawn"


class GrantKind(StrEnum):
    REQUEST = "request"  # from a share request
    DATA_RETURN = "data_return"  # a higher level returns a lower level its own region's rows (SC22)


class ShareRequest(IdMixin, Base):
    __tablename__ = "share_request"
    __table_args__ = (Index("ix_share_request_state_due", "state", "due_date"),)

    consumer_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_version.id"))  # the version requested
    region_path: Mapped[str] = mapped_column(String(200), index=True)  # the entry's region: who coordinates
    share_type: Mapped[str] = mapped_column(String(20))  # the entry's sharing type when requested
    items: Mapped[str] = mapped_column(Text)  # comma-separated field names
    row_filter: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of conditions (scope)
    purpose: Mapped[str] = mapped_column(String(200))
    duty: Mapped[str] = mapped_column(Text)  # the duty (履职事项) the data serves
    duration_days: Mapped[int] = mapped_column(Integer)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    state: Mapped[RequestState] = mapped_column(str_enum(RequestState))
    due_date: Mapped[dt.date | None] = mapped_column(
        Date
    )  # the step's time limit (answer, access, coordination)
    overdue_flagged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    answer: Mapped[str | None] = mapped_column(Text)  # approval note or refusal reason
    answer_basis: Mapped[str | None] = mapped_column(Text)  # legal basis of a refusal
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    approved_items: Mapped[str | None] = mapped_column(Text)
    approved_filter: Mapped[str | None] = mapped_column(Text)
    approved_masking: Mapped[str | None] = mapped_column(Text)  # JSON field → rule set by the provider
    approved_days: Mapped[int | None] = mapped_column(Integer)  # the term consented to (duration_days: asked)
    coordination_note: Mapped[str | None] = mapped_column(Text)
    grant_id: Mapped[int | None] = mapped_column(BigId)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    consumer_org: Mapped[Organization] = relationship(foreign_keys=[consumer_org_id])
    provider_org: Mapped[Organization] = relationship(foreign_keys=[provider_org_id])
    resource: Mapped[Resource] = relationship()
    steps: Mapped[list[RequestStep]] = relationship(order_by="RequestStep.id", cascade="all, delete-orphan")


class RequestStep(IdMixin, Base):
    """Every move of a request: who, from → to, what was decided and why."""

    __tablename__ = "share_request_step"

    request_id: Mapped[int] = mapped_column(ForeignKey("share_request.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ShareGrant(IdMixin, Base):
    __tablename__ = "share_grant"
    __table_args__ = (Index("ix_share_grant_consumer_resource", "consumer_org_id", "resource_id"),)

    kind: Mapped[GrantKind] = mapped_column(str_enum(GrantKind))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("share_request.id"))
    consumer_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    items: Mapped[str] = mapped_column(Text)  # comma-separated field names that may leave
    row_filter: Mapped[str] = mapped_column(Text, default="[]")  # JSON conditions every row must meet
    masking: Mapped[str] = mapped_column(Text, default="{}")  # JSON field → rule, applied server-side
    purpose: Mapped[str] = mapped_column(String(200))
    duty: Mapped[str] = mapped_column(Text)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date)  # the last day it works
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    consumer_org: Mapped[Organization] = relationship(foreign_keys=[consumer_org_id])
    provider_org: Mapped[Organization] = relationship(foreign_keys=[provider_org_id])
    resource: Mapped[Resource] = relationship()

    @property
    def item_list(self) -> list[str]:
        return [i for i in self.items.split(",") if i]

    def live_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and self.valid_from <= day <= self.expires_on


class ShareApp(IdMixin, Base):
    """A department system's own credentials for the exchange API: never a person's password."""

    __tablename__ = "share_app"

    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[str] = mapped_column(String(40), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    rate_per_minute: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    org: Mapped[Organization] = relationship()


class ExchangeCall(IdMixin, Base):
    """One exchange call, granted or refused (SHARE-8): the provider's usage report reads these."""

    __tablename__ = "share_call"
    __table_args__ = (Index("ix_share_call_resource_at", "resource_id", "at"),)

    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("share_app.id"))
    consumer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_resource.id"))
    provider_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    grant_id: Mapped[int | None] = mapped_column(BigId)
    operation: Mapped[str] = mapped_column(String(20))  # lookup / query / export / changes / match
    purpose: Mapped[str | None] = mapped_column(String(200))
    items: Mapped[str] = mapped_column(Text, default="")
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    outcome: Mapped[str] = mapped_column(String(20))  # success / refused
    reason: Mapped[str | None] = mapped_column(Text)
    audit_seq: Mapped[int | None] = mapped_column(BigInteger)  # the call's event in the audit chain


class Delivery(IdMixin, Base):
    """A subject a consumer received through the exchange, under which grant: whom to tell when it is corrected."""

    __tablename__ = "share_delivery"
    __table_args__ = (Index("ix_share_delivery_resource_subject", "resource_id", "subject_id"),)

    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"))
    subject_id: Mapped[str] = mapped_column(String(18))
    consumer_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    grant_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class CaseLevel(StrEnum):
    DEPARTMENTS = "departments"  # the two departments negotiate
    AUTHORITY = "authority"  # the data authority coordinates / decides
    GOVERNMENT = "government"  # the government decides (AB24)
    DECIDED = "decided"


class ShareDispute(IdMixin, Base):
    """A disagreement about an entry's sharing attribute, escalating departments → authority → government."""

    __tablename__ = "share_dispute"

    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)
    raised_by_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    current_share_type: Mapped[str] = mapped_column(String(20))
    claimed_share_type: Mapped[str] = mapped_column(String(20))
    argument: Mapped[str] = mapped_column(Text)
    level: Mapped[CaseLevel] = mapped_column(str_enum(CaseLevel))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    resource: Mapped[Resource] = relationship()
    raised_by_org: Mapped[Organization] = relationship(foreign_keys=[raised_by_org_id])
    provider_org: Mapped[Organization] = relationship(foreign_keys=[provider_org_id])
    steps: Mapped[list[DisputeStep]] = relationship(order_by="DisputeStep.id", cascade="all, delete-orphan")


class DisputeStep(IdMixin, Base):
    __tablename__ = "share_dispute_step"

    dispute_id: Mapped[int] = mapped_column(ForeignKey("share_dispute.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))  # the level that acted
    action: Mapped[str] = mapped_column(String(20))  # raise / answer / escalate / decide
    decision: Mapped[str | None] = mapped_column(String(20))  # for decide: the share type decided
    note: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class CorrectionNotice(IdMixin, Base):
    """A consumer is told that data it received through the exchange was corrected, and what changed."""

    __tablename__ = "share_notice"
    __table_args__ = (Index("ix_share_notice_consumer_read", "consumer_org_id", "read_at"),)

    consumer_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(BigId)  # the load that corrected the records
    subject_id: Mapped[str | None] = mapped_column(String(18))  # None: an entry-level notice (bulk exports)
    changes: Mapped[str] = mapped_column(
        Text
    )  # JSON {item: [old, new]} of the granted items, masked as granted
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
