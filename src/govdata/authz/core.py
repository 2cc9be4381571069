"""Who may do what: one table, one `require`, object scope by department and by region path."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from govdata.errors import Forbidden, NotFound
from govdata.org.models import OrgKind, Role


class Permission(StrEnum):
    CATALOG_READ = "catalog.read"  # the published catalog of the jurisdiction
    CATALOG_EDIT = "catalog.edit"  # compile and edit own department's entries
    CATALOG_SUBMIT = "catalog.submit"  # submit own entries for review
    CATALOG_REVIEW = "catalog.review"  # approve / return entries of the level and below
    CATALOG_PUBLISH = "catalog.publish"
    CATALOG_TRIGGER = "catalog.trigger"  # record a change trigger (AB16)
    CATALOG_DESIGNATE = "catalog.designate"  # designate the single collecting department (CAT-5)
    CATALOG_FILING_ACK = "catalog.filing_ack"  # acknowledge a lower level's supplementary catalog (CAT-3)
    DEMAND_CREATE = "demand.create"
    DEMAND_MANAGE = "demand.manage"  # aggregate and answer the demand list
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_PURGE = "audit.purge"
    ORG_MANAGE = "org.manage"  # users and organisations
    TOKEN_OWN = "token.own"  # manage one's own API tokens
    CALENDAR_MANAGE = "calendar.manage"
    PROFILE_READ = "profile.read"
    POOL_LOAD = "pool.load"  # load data into own department's pools (POOL-3)
    POOL_READ = "pool.read"  # pool overview, batch history, reject reports
    BASE_BUILD = "base.build"  # (re)build base databases from the designated sources (POOL-4)
    BASE_READ = "base.read"  # golden records with provenance, thematic databases
    THEME_MANAGE = "theme.manage"  # define and refresh thematic databases
    SHARE_READ = "share.read"  # the sharing catalog, own requests and grants (SHARE-2)
    SHARE_REQUEST = "share.request"  # request another department's data
    SHARE_ANSWER = "share.answer"  # answer requests for own entries; revoke own grants; data return (SC22)
    SHARE_COORDINATE = "share.coordinate"  # open access (SC25), coordinate (SHARE-4), decide disputes (SHARE-9)
    SHARE_APP = "share.app"  # own department's application credentials for the exchange API
    SHARE_USAGE = "share.usage"  # usage reports of own entries (SHARE-6) or, for the authority, the level's
    OPEN_LIST = "open.list"  # compile and submit own department's open listings (OPEN-2)
    OPEN_REVIEW = "open.review"  # review and publish the level's open catalog; suspend risky data (OPEN-2, OPEN-5)
    OPEN_ANSWER = "open.answer"  # answer applications, withdrawals, corrections and comments on own listings
    OPEN_SUPERVISE = "open.supervise"  # suspend users (OPEN-7), review appeals, public demands, development (DEV-2)
    OPEN_USE = "open.use"  # download, API, apply, comment: an authenticated identity (OPEN-4)
    SUBJECT_ACCESS = "subject.access"  # a data subject sees its own records and who accessed them (QUAL-4)
    CORRECTION_FILE = "correction.file"  # a data subject files a correction request about itself (QUAL-1)
    CORRECTION_ANSWER = "correction.answer"  # the collecting body verifies and answers (QUAL-1)
    CORRECTION_FORWARD = "correction.forward"  # the authority forwards requests filed with it (AB20)
    SUPERVISION_READ = "supervision.read"  # violations, notices, evaluations (own department's, or the level's)
    SUPERVISE = "supervise"  # record violations, issue rectification notices, spot checks (SUP-1, SUP-4)
    RECTIFY = "supervision.rectify"  # a department answers a rectification notice; registers its forms' items
    EVALUATE = "evaluation.manage"  # run the annual evaluation and the authority's annual report (SUP-2, SUP-3)
    REPORT_SUBMIT = "report.submit"  # a department's annual self-report (SUP-3)
    PROJECT_MANAGE = "project.manage"  # register own department's IT projects and their catalogs (CAT-7)
    PROJECT_APPROVE = "project.approve"  # approve / accept IT projects (CAT-7)
    ASSET_MANAGE = "asset.manage"  # the level's data asset registry (DEV-1)
    PROVIDER_MANAGE = "provider.manage"  # technical service providers and their contracts (SEC-7)


_GOV_READ = {
    Permission.CATALOG_READ,
    Permission.PROFILE_READ,
    Permission.TOKEN_OWN,
    Permission.SHARE_READ,
    Permission.OPEN_USE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.AUTHORITY_ADMIN: frozenset(
        _GOV_READ
        | {
            Permission.CATALOG_REVIEW,
            Permission.CATALOG_PUBLISH,
            Permission.CATALOG_DESIGNATE,
            Permission.CATALOG_FILING_ACK,
            Permission.CATALOG_TRIGGER,
            Permission.DEMAND_MANAGE,
            Permission.AUDIT_READ,
            Permission.AUDIT_PURGE,
            Permission.ORG_MANAGE,
            Permission.CALENDAR_MANAGE,
            Permission.POOL_READ,
            Permission.BASE_BUILD,
            Permission.BASE_READ,
            Permission.THEME_MANAGE,
            Permission.SHARE_COORDINATE,
            Permission.SHARE_USAGE,
            Permission.OPEN_REVIEW,
            Permission.OPEN_SUPERVISE,
            Permission.CORRECTION_FORWARD,
            Permission.SUPERVISION_READ,
            Permission.SUPERVISE,
            Permission.EVALUATE,
            Permission.PROJECT_APPROVE,
            Permission.ASSET_MANAGE,
            Permission.PROVIDER_MANAGE,
        }
    ),
    Role.AUTHORITY_REVIEWER: frozenset(
        _GOV_READ
        | {
            Permission.CATALOG_REVIEW,
            Permission.CATALOG_PUBLISH,
            Permission.CATALOG_DESIGNATE,
            Permission.CATALOG_FILING_ACK,
            Permission.DEMAND_MANAGE,
            Permission.POOL_READ,
            Permission.BASE_READ,
            Permission.SHARE_COORDINATE,
            Permission.SHARE_USAGE,
            Permission.OPEN_REVIEW,
            Permission.OPEN_SUPERVISE,
            Permission.CORRECTION_FORWARD,
            Permission.SUPERVISION_READ,
            Permission.SUPERVISE,
            Permission.PROJECT_APPROVE,
        }
    ),
    Role.DEPT_OFFICER: frozenset(
        _GOV_READ
        | {
            Permission.CATALOG_EDIT,
            Permission.CATALOG_SUBMIT,
            Permission.CATALOG_TRIGGER,
            Permission.DEMAND_CREATE,
            Permission.POOL_LOAD,
            Permission.POOL_READ,
            Permission.SHARE_REQUEST,
            Permission.SHARE_ANSWER,
            Permission.SHARE_APP,
            Permission.SHARE_USAGE,
            Permission.OPEN_LIST,
            Permission.OPEN_ANSWER,
            Permission.CORRECTION_ANSWER,
            Permission.SUPERVISION_READ,
            Permission.RECTIFY,
            Permission.REPORT_SUBMIT,
            Permission.PROJECT_MANAGE,
        }
    ),
    Role.DEPT_USER: frozenset(
        _GOV_READ | {Permission.DEMAND_CREATE, Permission.POOL_READ, Permission.SHARE_REQUEST}
    ),
    Role.PUBLIC_USER: frozenset(
        {Permission.TOKEN_OWN, Permission.OPEN_USE, Permission.SUBJECT_ACCESS, Permission.CORRECTION_FILE}
    ),
    Role.AUDITOR: frozenset(
        _GOV_READ
        | {Permission.AUDIT_READ, Permission.AUDIT_VERIFY, Permission.SHARE_USAGE, Permission.SUPERVISION_READ}
    ),
    Role.TECH_PROVIDER: frozenset({Permission.CATALOG_READ, Permission.TOKEN_OWN}),
}


@dataclass(frozen=True)
class Actor:
    """The acting user as the rules see it, detached from any database session."""

    user_id: int | None
    username: str
    display_name: str
    role: Role | None  # None for the system itself (jobs, `govdata init`)
    org_id: int | None = None
    org_name: str | None = None
    org_kind: OrgKind | None = None
    region_id: int | None = None
    region_path: str | None = None

    @property
    def is_system(self) -> bool:
        return self.role is None

    @property
    def is_authority(self) -> bool:
        return self.org_kind == OrgKind.AUTHORITY

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.role is None:
            return frozenset(Permission)
        return ROLE_PERMISSIONS[self.role]


def system_actor(reason: str = "system") -> Actor:
    return Actor(user_id=None, username=reason, display_name="系统", role=None)


def can(actor: Actor, permission: Permission) -> bool:
    return permission in actor.permissions


def in_jurisdiction(actor: Actor, region_path: str) -> bool:
    """An authority supervises its own region and every region below it."""
    return actor.is_system or (actor.region_path is not None and region_path.startswith(actor.region_path))


def require(
    actor: Actor,
    permission: Permission,
    *,
    org_id: int | None = None,
    region_path: str | None = None,
    hide: bool = False,
) -> None:
    """Raise Forbidden unless the actor holds `permission` over the object.

    `org_id` demands the actor's own organisation (a department's own entries); `region_path` demands the
    object lies in the actor's jurisdiction. `hide=True` answers NotFound instead, for objects whose very
    existence the actor may not learn (another department's drafts).
    """
    if actor.is_system:
        return
    if permission not in actor.permissions:
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")
    if org_id is not None and actor.org_id != org_id:
        if hide:
            raise NotFound("未找到该对象，或无权访问")
        raise Forbidden("只能处理本单位的数据资源")
    if region_path is not None and not in_jurisdiction(actor, region_path):
        if hide:
            raise NotFound("未找到该对象，或无权访问")
        raise Forbidden("该对象不在本级及下级管辖范围内")
