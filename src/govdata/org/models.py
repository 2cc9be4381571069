"""Regions, organisations, people, their credentials and the deployment's own settings."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govdata.db import Base, IdMixin, UtcDateTime, str_enum


class RegionLevel(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


REGION_LEVEL_LABELS = {RegionLevel.PROVINCE: "省", RegionLevel.CITY: "市州", RegionLevel.COUNTY: "县区"}


class OrgKind(StrEnum):
    AUTHORITY = "authority"
    DEPARTMENT = "department"
    OPERATOR = "operator"
    SERVICE_PROVIDER = "service_provider"


ORG_KIND_LABELS = {
    OrgKind.AUTHORITY: "数据主管机构",
    OrgKind.DEPARTMENT: "政务部门",
    OrgKind.OPERATOR: "公共服务运营单位",
    OrgKind.SERVICE_PROVIDER: "技术服务单位",
}


class Role(StrEnum):
    AUTHORITY_ADMIN = "authority_admin"
    AUTHORITY_REVIEWER = "authority_reviewer"
    DEPT_OFFICER = "dept_officer"
    DEPT_USER = "dept_user"
    PUBLIC_USER = "public_user"
    AUDITOR = "auditor"
    TECH_PROVIDER = "tech_provider"


ROLE_LABELS = {
    Role.AUTHORITY_ADMIN: "数据主管机构管理员",
    Role.AUTHORITY_REVIEWER: "数据主管机构审核员",
    Role.DEPT_OFFICER: "部门数据专员",
    Role.DEPT_USER: "部门业务人员",
    Role.PUBLIC_USER: "公众用户",
    Role.AUDITOR: "审计人员",
    Role.TECH_PROVIDER: "技术服务单位人员",
}


class SubjectKind(StrEnum):
    """A public user is a natural person or a legal person / other organisation."""

    PERSON = "person"
    ORGANISATION = "organisation"


class Region(IdMixin, Base):
    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(6), unique=True)  # GB/T 2260
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    # Slash-joined codes from the top ("510000/513200/513221/"): "supervises" is a prefix test.
    path: Mapped[str] = mapped_column(String(200), index=True)

    parent: Mapped[Region | None] = relationship(remote_side="Region.id")


class Organization(IdMixin, Base):
    __tablename__ = "organization"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[OrgKind] = mapped_column(str_enum(OrgKind))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    # Code used in resource codes (the catalog guide's 项 segment for department catalogs).
    org_code: Mapped[str] = mapped_column(String(20))
    uscc: Mapped[str | None] = mapped_column(String(18))

    region: Mapped[Region] = relationship()


class User(IdMixin, Base):
    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # SEC-7: a technical service provider's account ends with its contract.
    account_end_date: Mapped[dt.date | None] = mapped_column(Date)
    subject_kind: Mapped[SubjectKind | None] = mapped_column(str_enum(SubjectKind))
    subject_id: Mapped[str | None] = mapped_column(String(18))  # citizen ID number or USCC
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    org: Mapped[Organization | None] = relationship()


class ApiToken(IdMixin, Base):
    __tablename__ = "api_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))  # shown to the user to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()


class WebSession(Base):
    """Server-side login sessions: logout and account ends take effect at once."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()


class DeploymentSetting(Base):
    """Chosen profile, generated secret and similar facts a deployment keeps in its database."""

    __tablename__ = "deployment_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# ---------------------------------------------------------------- technical service providers (SEC-7)


class ContractState(StrEnum):
    """A provider contract: in force, ended with the destruction of the provider's copies pending, closed."""

    ACTIVE = "active"
    ENDED = "ended"
    CLOSED = "closed"


CONTRACT_STATE_LABELS = {
    ContractState.ACTIVE: "履行中",
    ContractState.ENDED: "已终止，待记录数据销毁",
    ContractState.CLOSED: "已关闭（数据已销毁）",
}


class DestructionMethod(StrEnum):
    """AB39: copies are deleted irreversibly — overwriting, physical destruction and the like."""

    OVERWRITE = "overwrite"
    PHYSICAL = "physical"
    DEGAUSS = "degauss"
    CRYPTO_ERASE = "crypto_erase"


DESTRUCTION_METHOD_LABELS = {
    DestructionMethod.OVERWRITE: "数据覆写",
    DestructionMethod.PHYSICAL: "物理销毁",
    DestructionMethod.DEGAUSS: "消磁",
    DestructionMethod.CRYPTO_ERASE: "销毁密钥（加密擦除）",
}


class ProviderContract(IdMixin, Base):
    """A service outsourcing contract (AB39, SC41): the security review and the confidentiality agreement come
    before any account; the provider's accounts end with it."""

    __tablename__ = "provider_contract"
    __table_args__ = (UniqueConstraint("authority_id", "number"),)

    provider_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    authority_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    region_path: Mapped[str] = mapped_column(String(200), index=True)
    number: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(Text)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date, index=True)
    security_review_on: Mapped[dt.date | None] = mapped_column(Date)
    security_review_by: Mapped[str | None] = mapped_column(String(200))
    confidentiality_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[ContractState] = mapped_column(str_enum(ContractState), index=True)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: ended by the job
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)

    provider: Mapped[Organization] = relationship(foreign_keys=[provider_id])


class ProviderAccount(IdMixin, Base):
    """Which staff account serves under which contract: the account's end date is the contract's."""

    __tablename__ = "provider_account"

    contract_id: Mapped[int] = mapped_column(ForeignKey("provider_contract.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)

    user: Mapped[User] = relationship()


class ProviderDestruction(IdMixin, Base):
    """The record that the provider's copies were destroyed irreversibly (AB39), which closes the contract."""

    __tablename__ = "provider_destruction"

    contract_id: Mapped[int] = mapped_column(ForeignKey("provider_contract.id"), unique=True)
    data_description: Mapped[str] = mapped_column(Text)
    method: Mapped[DestructionMethod] = mapped_column(str_enum(DestructionMethod))
    method_detail: Mapped[str] = mapped_column(Text)
    destroyed_on: Mapped[dt.date] = mapped_column(Date)
    witnessed_by: Mapped[str] = mapped_column(String(200))
    statement: Mapped[str] = mapped_column(Text)  # the provider's signed statement (text or its reference)
    statement_signed_by: Mapped[str] = mapped_column(String(100))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
