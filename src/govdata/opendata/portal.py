"""Taking data from the portal: who may take what, and the record of every taking (OPEN-4, OPEN-7).

Unconditional data: any authenticated identity whose access is not suspended. Conditional data: only the
applicant of an active application (signed agreements, within its term), and only the approved items; an
application for the sandbox alone never downloads. An organisation with an active development qualification
(DEV-2: assessed, granted, agreement signed, within its term) takes the opened items of the conditional
listings its agreement names without a separate application: the agreement is the application (AB35, SX19). Every download or API call is a `Retrieval` row and an
audit event, written before any row leaves.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from govdata.audit.service import record
from govdata.authz import Actor
from govdata.catalog.models import OpenType
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, NotFound
from govdata.opendata import data
from govdata.opendata.models import (
    ApplicationState,
    DevQualification,
    DevState,
    OpenApplication,
    OpenListing,
    Retrieval,
)
from govdata.opendata.search import LISTED
from govdata.opendata.service import get_listing, require_usable
from govdata.opendata.users import require_portal_use

CHANNELS = ("download", "api", "preview", "sandbox")


@dataclass(frozen=True)
class Access:
    listing: OpenListing
    columns: data.Columns
    application_id: int | None
    retrieval_id: int


def active_application(
    ctx: Ctx, actor: Actor, listing_id: int, *, sandbox: bool = False
) -> OpenApplication | None:
    """The actor's signed application for a conditional listing that is within its term today."""
    if actor.user_id is None:
        return None
    today = ctx.clock.today()
    stmt = (
        select(OpenApplication)
        .where(
            OpenApplication.listing_id == listing_id,
            OpenApplication.applicant_id == actor.user_id,
            OpenApplication.state == ApplicationState.ACTIVE,
            OpenApplication.access_from <= today,
            OpenApplication.access_until >= today,
        )
        .order_by(OpenApplication.id.desc())
    )
    if not sandbox:
        stmt = stmt.where(OpenApplication.sandbox_only.is_(False))
    return ctx.session.scalars(stmt.limit(1)).first()


def active_qualification(ctx: Ctx, actor: Actor, listing_id: int) -> DevQualification | None:
    """The actor's signed development agreement, within its term today, that names the listing (DEV-2)."""
    if actor.user_id is None:
        return None
    today = ctx.clock.today()
    found = ctx.session.scalars(
        select(DevQualification)
        .where(
            DevQualification.applicant_id == actor.user_id,
            DevQualification.state == DevState.ACTIVE,
            DevQualification.valid_until >= today,
        )
        .order_by(DevQualification.id.desc())
    )
    wanted = str(listing_id)
    return next((dev for dev in found if wanted in dev.listing_ids.split(",")), None)


@dataclass(frozen=True)
class Grant:
    """What allows a taking: None items means every opened item."""

    items: list[str] | None = None
    application_id: int | None = None
    qualification_id: int | None = None


def granted_items(ctx: Ctx, actor: Actor, listing: OpenListing) -> Grant:
    if listing.open_type == OpenType.UNCONDITIONAL:
        return Grant()
    application = active_application(ctx, actor, listing.id)
    if application is not None:
        items = [i for i in (application.approved_items or application.items).split(",") if i]
        return Grant(items, application.id)
    qualification = active_qualification(ctx, actor, listing.id)
    if qualification is not None:
        return Grant(qualification_id=qualification.id)
    raise Forbidden(
        "该数据集为有条件开放：须先提交申请，经提供部门同意并在线签署安全承诺书和数据使用协议后方可获取"
    )


def retrieve(ctx: Ctx, actor: Actor, listing_id: int, channel: str, fmt: str | None = None) -> Access:
    """Check everything, record the taking, and return what to read. The caller commits before streaming."""
    if channel not in CHANNELS:
        raise InvalidInput(f"未知的获取方式：{channel}")
    require_portal_use(ctx, actor)
    listing = get_listing(ctx, listing_id)
    require_usable(listing)
    if fmt is not None and fmt not in listing.formats.split(","):
        raise InvalidInput(
            f"该数据集不提供 {fmt.upper()} 格式（可选：{listing.formats.upper().replace(',', '、')}）"
        )
    grant = granted_items(ctx, actor, listing)
    items, application_id = grant.items, grant.application_id
    taken = Retrieval(
        listing_id=listing.id,
        user_id=actor.user_id,
        channel=channel,
        format=fmt,
        application_id=application_id,
        at=ctx.clock.now(),
    )
    ctx.session.add(taken)
    if channel == "download":
        ctx.session.execute(
            update(OpenListing)
            .where(OpenListing.id == listing.id)
            .values(download_count=OpenListing.download_count + 1)
        )
    ctx.session.flush()
    record(ctx, actor, f"open.data.{channel}", "open_listing", listing.id,
           detail={"format": fmt, "application": application_id, "items": items,
                   "qualification": grant.qualification_id})  # fmt: skip
    return Access(listing, data.columns(ctx, listing, only=items), application_id, taken.id)


def count_rows(ctx: Ctx, retrieval_id: int, rows: int) -> None:
    """How many rows a finished stream sent, for the usage figures."""
    ctx.session.execute(update(Retrieval).where(Retrieval.id == retrieval_id).values(rows=rows))


def public_listing(ctx: Ctx, listing_id: int) -> OpenListing:
    """A listing as the public sees it: published (or suspended, marked); anything else does not exist."""
    listing = ctx.session.get(OpenListing, listing_id)
    if listing is None or listing.state not in LISTED:
        raise NotFound("该数据集不存在或未在开放目录中发布")
    return listing
