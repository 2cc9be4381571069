"""Taking data from the portal: who may take what, and the record of every taking (OPEN-4, OPEN-7).

Unconditional data: any authenticated identity whose access is not suspended. Conditional data: only the
applicant of an active application (signed agreements, within its term), and only the approved items; an
application for the sandbox alone never downloads. Every download or API call is a `Retrieval` row and an
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
from govdata.opendata.models import ApplicationState, OpenApplication, OpenListing, Retrieval
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


def granted_items(ctx: Ctx, actor: Actor, listing: OpenListing) -> tuple[list[str] | None, int | None]:
    """Items the actor may take (None: every opened item) and the application that allows it."""
    if listing.open_type == OpenType.UNCONDITIONAL:
        return None, None
    application = active_application(ctx, actor, listing.id)
    if application is None:
        raise Forbidden(
            "该数据集为有条件开放：须先提交申请，经提供部门同意并在线签署安全承诺书和数据使用协议后方可获取"
        )
    items = [i for i in (application.approved_items or application.items).split(",") if i]
    return items, application.id


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
    items, application_id = granted_items(ctx, actor, listing)
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
           detail={"format": fmt, "application": application_id, "items": items})  # fmt: skip
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
