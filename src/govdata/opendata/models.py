"""Open-data tables: open listings and their review, portal use, conditional applications with their signed
agreements, the sandbox log, withdrawals, catalog corrections, public feedback, access suspensions and
authorised development."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata.catalog.models import OpenType, Resource, UpdateCycle
from govdata.db import Base, BigId, IdMixin, UtcDateTime, str_enum
from govdata.org.models import Organization, User


class ListingState(StrEnum):
    DRAFT = "draft"  # compiled by the department, editable
    SUBMITTED = "submitted"  # with the authority for review (OPEN-2), review_due set
    RETURNED = "returned"  # sent back with the reviewer's comment; editable again
    PUBLISHED = (
        "published"  # in the level's open catalog (or, for open type NONE, in the published not-open list)
    )
    SUSPENDED = "suspended"  # opening suspended at once (withdrawal request, risk: OPEN-5) — listed, no data
    WITHDRAWN = "withdrawn"  # taken out of the open catalog for good


class Treatment(StrEnum):
    """What happens to one item before it is opened (OPEN-1: personal, secret, confidential only de-identified)."""

    KEEP = "keep"  # opened as held
    MASK = "mask"  # masked by `rule` (names, ID numbers, phones, …)
    GENERALISE = "generalise"  # generalised by `rule` (age band, year only)
    REMOVE = "remove"  # not opened at all (the listing says so)


class OpenListing(IdMixin, Base):
    """A department's open-list entry (开放清单条目) compiled from one of its own published catalog entries."""

    __tablename__ = "open_listing"
    __table_args__ = (
        Index("ix_open_listing_state_region", "state", "region_path"),
        # the orders of the portal and of CKAN, walked in the index to any page (migration 0019)
        Index("ix_open_listing_published", "published_at", "id", "state"),
        Index("ix_open_listing_updated", "updated_at", "id", "state"),
        Index("ix_open_listing_domain_published", "domain", "published_at", "id", "state"),
    )

    resource_id: Mapped[int] = mapped_column(ForeignKey("catalog_resource.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_version.id"))  # compiled from this version
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(50))  # 开放主题领域
    tags: Mapped[str] = mapped_column(String(400), default="")  # comma-separated keywords
    formats: Mapped[str] = mapped_column(String(60))  # comma-separated: csv,xlsx,json
    open_type: Mapped[OpenType] = mapped_column(str_enum(OpenType))
    conditions: Mapped[str | None] = mapped_column(Text)  # for conditional opening: who may use it, how
    basis: Mapped[str | None] = mapped_column(Text)  # legal basis of conditional / not open (WZ29, HN20)
    update_cycle: Mapped[UpdateCycle] = mapped_column(str_enum(UpdateCycle))
    state: Mapped[ListingState] = mapped_column(str_enum(ListingState))
    review_due: Mapped[dt.date | None] = mapped_column(Date)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    published_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    suspended_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)  # metadata changed (CKAN metadata_modified)
    download_count: Mapped[int] = mapped_column(BigInteger, default=0)
    search_text: Mapped[str] = mapped_column(Text, default="")  # normalised text for the substring check

    org: Mapped[Organization] = relationship()
    resource: Mapped[Resource] = relationship()
    items: Mapped[list[OpenListingItem]] = relationship(
        order_by="OpenListingItem.position", cascade="all, delete-orphan"
    )


class OpenListingItem(IdMixin, Base):
    __tablename__ = "open_listing_item"

    listing_id: Mapped[int] = mapped_column(ForeignKey("open_listing.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    field_name: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(100))
    data_type: Mapped[str] = mapped_column(String(20))
    sensitivity: Mapped[int] = mapped_column(Integer)
    treatment: Mapped[Treatment] = mapped_column(str_enum(Treatment))
    rule: Mapped[str] = mapped_column(String(20), default="none")  # a sharing.masking.MaskRule value
    description: Mapped[str | None] = mapped_column(Text)


class ListingStep(IdMixin, Base):
    """Every move of a listing: compiled, submitted, published, returned, suspended, restored, withdrawn."""

    __tablename__ = "open_listing_step"

    listing_id: Mapped[int] = mapped_column(ForeignKey("open_listing.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ListingGram(Base):
    """Search grams of a published listing (bigrams of its Chinese text, ASCII words): see catalog.search."""

    __tablename__ = "open_listing_gram"
    __table_args__ = (Index("ix_open_listing_gram_listing", "listing_id"),)

    gram: Mapped[str] = mapped_column(String(40), primary_key=True)
    listing_id: Mapped[int] = mapped_column(BigId, ForeignKey("open_listing.id"), primary_key=True)


class Retrieval(IdMixin, Base):
    """One download, API call or preview by a portal user: the evidence behind OPEN-7 and the usage figures."""

    __tablename__ = "open_retrieval"
    __table_args__ = (Index("ix_open_retrieval_listing_at", "listing_id", "at"),)

    listing_id: Mapped[int] = mapped_column(ForeignKey("open_listing.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # download / api / sandbox
    format: Mapped[str | None] = mapped_column(String(20))
    application_id: Mapped[int | None] = mapped_column(BigId)  # conditional data: under which application
    rows: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class ApplicationState(StrEnum):
    PENDING = "pending"  # the provider answers by due_date (WZ31: 10 working days, + up to 10)
    APPROVED = "approved"  # approved in whole or part: the applicant signs before access
    ACTIVE = "active"  # signed: access within the agreement's items and term
    REFUSED = "refused"  # with reason and legal basis
    WITHDRAWN = "withdrawn"
    ENDED = "ended"  # term over or access revoked


class OpenApplication(IdMixin, Base):
    """A conditional-open application (有条件开放申请) by a registered portal user (OPEN-4)."""

    __tablename__ = "open_application"
    __table_args__ = (Index("ix_open_application_state_due", "state", "due_date"),)

    listing_id: Mapped[int] = mapped_column(ForeignKey("open_listing.id"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    items: Mapped[str] = mapped_column(Text)  # comma-separated field names asked for
    security_measures: Mapped[str] = mapped_column(Text)
    term_days: Mapped[int] = mapped_column(Integer)
    sandbox_only: Mapped[bool] = mapped_column(Boolean, default=False)  # asks only for the sandbox (OPEN-8)
    state: Mapped[ApplicationState] = mapped_column(str_enum(ApplicationState))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    extended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)  # the one extension, with its reason
    extension_reason: Mapped[str | None] = mapped_column(Text)
    overdue_flagged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answer_basis: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    approved_items: Mapped[str | None] = mapped_column(Text)
    approved_days: Mapped[int | None] = mapped_column(Integer)
    access_from: Mapped[dt.date | None] = mapped_column(Date)
    access_until: Mapped[dt.date | None] = mapped_column(Date)  # the last day access works
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    listing: Mapped[OpenListing] = relationship()
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    steps: Mapped[list[ApplicationStep]] = relationship(
        order_by="ApplicationStep.id", cascade="all, delete-orphan"
    )
    agreements: Mapped[list[Agreement]] = relationship(order_by="Agreement.id")


class ApplicationStep(IdMixin, Base):
    __tablename__ = "open_application_step"

    application_id: Mapped[int] = mapped_column(ForeignKey("open_application.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AgreementKind(StrEnum):
    SECURITY_COMMITMENT = "security_commitment"  # 安全承诺书 (AB32)
    DATA_USE = "data_use"  # 数据使用协议 (SC33)
    DEVELOPMENT = "development"  # 授权开发协议 (DEV-2)


class Agreement(IdMixin, Base):
    """A text signed online: which text (version and SM3 digest of the exact words), who, when."""

    __tablename__ = "open_agreement"

    kind: Mapped[AgreementKind] = mapped_column(str_enum(AgreementKind))
    application_id: Mapped[int | None] = mapped_column(ForeignKey("open_application.id"), index=True)
    development_id: Mapped[int | None] = mapped_column(ForeignKey("dev_qualification.id"), index=True)
    text_version: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)  # the words as signed, terms filled in
    text_sm3: Mapped[str] = mapped_column(String(64))
    signer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    signer_subject_id: Mapped[str | None] = mapped_column(String(18))  # ID number or USCC of the signer
    signed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class SandboxQuery(IdMixin, Base):
    """One sandbox query (可用不可见, OPEN-8): what was asked and what came back, never raw rows."""

    __tablename__ = "open_sandbox_query"

    application_id: Mapped[int] = mapped_column(ForeignKey("open_application.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    sql: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))  # answered / refused
    reason: Mapped[str | None] = mapped_column(Text)
    groups_returned: Mapped[int] = mapped_column(Integer, default=0)
    groups_suppressed: Mapped[int] = mapped_column(Integer, default=0)  # fewer than k rows: withheld
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class WithdrawalState(StrEnum):
    RECEIVED = "received"  # the body verifies at once (AB33)
    DECIDED = "decided"  # withdrawn / re-processed / rejected, requester told
    APPEALED = "appealed"  # the requester asked the authority to review
    REVIEWED = "reviewed"  # the authority's review decision


class WithdrawalRequest(IdMixin, Base):
    """A request to withdraw open data that infringes someone's rights (撤回申请, OPEN-5)."""

    __tablename__ = "open_withdrawal"

    listing_id: Mapped[int] = mapped_column(ForeignKey("open_listing.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[WithdrawalState] = mapped_column(str_enum(WithdrawalState))
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)  # opening suspended on receipt
    decision: Mapped[str | None] = mapped_column(String(20))  # withdraw / reprocess / reject
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    appeal_reason: Mapped[str | None] = mapped_column(Text)
    review_decision: Mapped[str | None] = mapped_column(String(20))  # upheld / overturned
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    listing: Mapped[OpenListing] = relationship()


class CatalogCorrection(IdMixin, Base):
    """A correction request on the open catalog (OPEN-6): answered within 10 working days, + up to 10 (WZ30)."""

    __tablename__ = "open_correction"
    __table_args__ = (Index("ix_open_correction_state_due", "state", "due_date"),)

    listing_id: Mapped[int] = mapped_column(ForeignKey("open_listing.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    content: Mapped[str] = mapped_column(Text)  # what is wrong and what it should say
    state: Mapped[str] = mapped_column(String(20))  # pending / answered
    due_date: Mapped[dt.date] = mapped_column(Date)
    extended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    overdue_flagged_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    corrected: Mapped[bool | None] = mapped_column(Boolean)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    listing: Mapped[OpenListing] = relationship()


class Comment(IdMixin, Base):
    """A public comment with an optional rating of 1-5 (OPEN-8, WZ35); the provider may reply."""

    __tablename__ = "open_comment"

    listing_id: Mapped[int] = mapped_column(ForeignKey("open_listing.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    rating: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class PublicDemand(IdMixin, Base):
    """Data the public asks to be opened (数据需求, WZ35), answered by the authority or a department."""

    __tablename__ = "open_demand"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id")
    )  # the department asked, if known
    region_path: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))  # open / answered
    answer: Mapped[str | None] = mapped_column(Text)
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("open_listing.id"))  # opened as this listing
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class AccessSuspension(IdMixin, Base):
    """The authority suspends a portal user's access for breaking the rules (OPEN-7, AB42)."""

    __tablename__ = "open_suspension"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    suspended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    lift_reason: Mapped[str | None] = mapped_column(Text)


class DevState(StrEnum):
    PENDING = "pending"  # the authority assesses purpose, capability and security (AB35, SX19)
    GRANTED = "granted"  # qualification granted, agreement terms set; the organisation signs
    ACTIVE = "active"  # agreement signed
    REFUSED = "refused"
    ENDED = "ended"  # term over or revoked; disposal recorded


class DevQualification(IdMixin, Base):
    """Authorised development (授权开发, DEV-2): application, assessment, qualification and agreement terms."""

    __tablename__ = "dev_qualification"

    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("app_user.id"), index=True
    )  # an organisation account
    region_path: Mapped[str] = mapped_column(String(200))  # the authority that assesses it
    purpose: Mapped[str] = mapped_column(Text)
    capability: Mapped[str] = mapped_column(Text)  # technical capability, staff, certifications
    security: Mapped[str] = mapped_column(Text)  # security measures
    listing_ids: Mapped[str] = mapped_column(Text, default="")  # comma-separated listings to develop on
    state: Mapped[DevState] = mapped_column(str_enum(DevState))
    assessment: Mapped[str | None] = mapped_column(Text)
    scope: Mapped[str | None] = mapped_column(Text)  # agreement: scope
    degree: Mapped[str | None] = mapped_column(Text)  # agreement: degree of development
    valid_until: Mapped[dt.date | None] = mapped_column(Date)  # agreement: term
    disposal: Mapped[str | None] = mapped_column(Text)  # agreement: disposal of data at the end
    derived_ownership: Mapped[str | None] = mapped_column(Text)  # agreement: ownership of derived data
    revenue_share: Mapped[str | None] = mapped_column(Text)  # by contribution (SX21)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    disposal_record: Mapped[str | None] = mapped_column(Text)  # at the end: what was destroyed / returned
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
