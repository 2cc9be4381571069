"""What the public tells the open portal (OPEN-6, OPEN-8 / WZ30, WZ35) and what the authority sees of them.

- Correction requests on the open catalog: the provider answers within the profile's working days (WZ30:
  10), may extend once by up to the profile's extension with the reason and the head's approval, and says
  whether it corrected and how. `sweep` flags late ones once as possible violations.
- Comments with an optional rating of 1-5 (a user's latest rating on a listing is the one that counts); the
  provider replies; the authority hides abusive ones with a reason (the comment is kept).
- Public data demands: what the public wants opened, answered by the authority or the named department,
  shown publicly without the requester's identity.
- Portal users for the authority's suspension page (OPEN-7): search and recent retrievals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, or_, select

from govdata.audit.service import record, record_late_once
from govdata.authz import Actor, Permission, can, in_jurisdiction, require, system_actor
from govdata.catalog.models import OpenType
from govdata.context import Ctx
from govdata.deadlines import is_overdue
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.opendata import service
from govdata.opendata.models import (
    AccessSuspension,
    CatalogCorrection,
    Comment,
    ListingState,
    OpenListing,
    PublicDemand,
    Retrieval,
)
from govdata.opendata.search import LISTED
from govdata.opendata.users import require_portal_use
from govdata.opendata.withdrawals import is_provider, is_supervisor
from govdata.org.models import Organization, OrgKind, Region, Role, User
from govdata.org.service import org_names
from govdata.profiles.schema import Limit
from govdata.textguard import OptionalSafeText, SafeText

PENDING, ANSWERED = "pending", "answered"
CORRECTION_LABELS = {PENDING: "待答复", ANSWERED: "已答复"}
DEMAND_OPEN = "open"
DEMAND_LABELS = {DEMAND_OPEN: "待答复", ANSWERED: "已答复"}


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    listing_id: int = Field(title="数据集编号")
    content: SafeText = Field(min_length=5, max_length=4000, title="更正内容（哪里有误、应当如何）")


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    days: int = Field(ge=1, le=60, title="延长的工作日数")
    reason: SafeText = Field(min_length=2, max_length=2000, title="延期理由")
    approved_by: OptionalSafeText = Field(default=None, max_length=100, title="批准延期的负责人")


class CorrectionAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    corrected: bool = Field(title="是否已更正")
    answer: SafeText = Field(min_length=2, max_length=4000, title="答复（如何更正，或不予更正的理由）")


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    body: SafeText = Field(min_length=2, max_length=2000, title="评论内容")
    rating: int | None = Field(default=None, ge=1, le=5, title="评分（1-5）")


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reply: SafeText = Field(min_length=2, max_length=2000, title="回复")


class HideIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: SafeText = Field(min_length=2, max_length=2000, title="隐藏理由")


class DemandIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: SafeText = Field(min_length=2, max_length=200, title="需要开放的数据")
    description: SafeText = Field(min_length=5, max_length=4000, title="需求说明（用途、范围、格式）")
    org_id: int | None = Field(default=None, title="掌握该数据的部门（如知道）")


class DemandAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    answer: SafeText = Field(min_length=2, max_length=4000, title="答复")
    listing_id: int | None = Field(default=None, title="已开放该数据的数据集编号")


def _listed(ctx: Ctx, listing_id: int) -> OpenListing:
    listing = service.get_listing(ctx, listing_id)
    if listing.state not in LISTED:
        raise NotFound("该数据集不存在或未在开放目录中发布")
    return listing


# ---------------------------------------------------------------- correction requests (OPEN-6, WZ30)


def submit_correction(ctx: Ctx, actor: Actor, data: CorrectionIn) -> CatalogCorrection:
    require_portal_use(ctx, actor)
    if actor.user_id is None:
        raise Forbidden("须以本人账号登录后提交更正申请")
    listing = _listed(ctx, data.listing_id)
    same = ctx.session.execute(
        select(CatalogCorrection.id).where(
            CatalogCorrection.listing_id == listing.id,
            CatalogCorrection.requester_id == actor.user_id,
            CatalogCorrection.state == PENDING,
            CatalogCorrection.content == data.content,
        )
    ).first()
    if same:
        raise Conflict(f"同样内容的更正申请（编号 {same[0]}）正在办理，请勿重复提交")
    days = ctx.profile.limit(Limit.OPEN_CORRECTION_ANSWER).days
    correction = CatalogCorrection(
        listing_id=listing.id,
        requester_id=actor.user_id,
        content=data.content,
        state=PENDING,
        due_date=ctx.calendar.add_workdays(ctx.clock.today(), days),
        created_at=ctx.clock.now(),
    )
    ctx.session.add(correction)
    ctx.session.flush()
    record(ctx, actor, "open.correction.submit", "open_correction", correction.id,
           detail={"to": PENDING, "listing": listing.id, "due": correction.due_date})  # fmt: skip
    return correction


def get_correction(ctx: Ctx, actor: Actor, correction_id: int) -> CatalogCorrection:
    """The requester, the provider and the supervising authority see a correction request."""
    require(actor, Permission.OPEN_USE)
    found = ctx.session.get(CatalogCorrection, correction_id)
    if found is None or not (
        actor.is_system
        or found.requester_id == actor.user_id
        or is_provider(actor, found.listing)
        or is_supervisor(actor, found.listing)
    ):
        raise NotFound("更正申请不存在，或无权查看")
    return found


def _correction_as_provider(ctx: Ctx, actor: Actor, correction_id: int) -> CatalogCorrection:
    found = get_correction(ctx, actor, correction_id)
    require(actor, Permission.OPEN_ANSWER)
    if not actor.is_system and actor.org_id != found.listing.org_id:
        raise Forbidden("只有数据提供部门可以答复更正申请")
    if found.state != PENDING:
        raise InvalidTransition("该更正申请已答复")
    return found


def extend_correction(ctx: Ctx, actor: Actor, correction_id: int, data: ExtensionIn) -> CatalogCorrection:
    """One extension, before the due date passes, within the profile's days and with its approval."""
    found = _correction_as_provider(ctx, actor, correction_id)
    limit = ctx.profile.limit(Limit.OPEN_CORRECTION_ANSWER)
    if not limit.extension_days:
        raise InvalidInput("本地办法未规定可以延期，须在期限内答复")
    if found.extended_at is not None:
        raise Conflict(f"该更正申请已于 {found.extended_at.date().isoformat()} 延期一次，不能再次延期")
    if is_overdue(found.due_date, ctx.clock.today()):
        raise InvalidInput(f"答复期限（{found.due_date.isoformat()}）已过，不能再延期，请尽快答复")
    if data.days > limit.extension_days:
        raise InvalidInput(f"最多可延长 {limit.extension_days} 个工作日")
    if limit.extension_requires and not data.approved_by:
        raise InvalidInput(f"延期须{limit.extension_requires}：请填写批准延期的负责人")
    old = found.due_date
    found.due_date = ctx.calendar.add_workdays(old, data.days)
    found.extended_at = ctx.clock.now()
    approval = f"（{limit.extension_requires or '批准人'}：{data.approved_by}）" if data.approved_by else ""
    found.extension_reason = f"{data.reason}{approval}"
    record(ctx, actor, "open.correction.extend", "open_correction", found.id,
           detail={"from_due": old, "to_due": found.due_date, "days": data.days, "reason": data.reason,
                   "approved_by": data.approved_by})  # fmt: skip
    return found


def answer_correction(
    ctx: Ctx, actor: Actor, correction_id: int, data: CorrectionAnswerIn
) -> CatalogCorrection:
    found = _correction_as_provider(ctx, actor, correction_id)
    found.state = ANSWERED
    found.corrected = data.corrected
    found.answer = data.answer
    found.answered_by_id = actor.user_id
    found.answered_at = ctx.clock.now()
    late = is_overdue(found.due_date, ctx.clock.today())
    record(ctx, actor, "open.correction.answer", "open_correction", found.id,
           detail={"from": PENDING, "to": ANSWERED, "corrected": data.corrected, "late": late})  # fmt: skip
    return found


def sweep(ctx: Ctx, actor: Actor | None = None) -> list[CatalogCorrection]:
    """Pending requests past their due date are flagged once, each a possible violation on record.

    Run by the scheduler as the system, or by an authority for its own jurisdiction.
    """
    actor = actor or system_actor("open-correction-sweep")
    require(actor, Permission.OPEN_SUPERVISE)
    stmt = (
        select(CatalogCorrection)
        .join(OpenListing, OpenListing.id == CatalogCorrection.listing_id)
        .where(CatalogCorrection.state == PENDING)
        .order_by(CatalogCorrection.id)
    )
    if not actor.is_system:
        stmt = stmt.where(OpenListing.region_path.startswith(actor.region_path or "\x00"))
    return record_late_once(
        ctx, actor, stmt, CatalogCorrection.due_date, CatalogCorrection.overdue_flagged_at,
        "open.correction.overdue",
        lambda c: {"due": c.due_date, "listing": c.listing_id, "provider_org_id": c.listing.org_id},
    )  # fmt: skip


def my_corrections(ctx: Ctx, actor: Actor) -> list[CatalogCorrection]:
    require(actor, Permission.OPEN_USE)
    if actor.user_id is None:
        return []
    return list(
        ctx.session.scalars(
            select(CatalogCorrection)
            .where(CatalogCorrection.requester_id == actor.user_id)
            .order_by(CatalogCorrection.id.desc())
        )
    )


def correction_inbox(ctx: Ctx, actor: Actor) -> list[CatalogCorrection]:
    """The provider's correction requests: pending ones by due date, then recently answered ones."""
    require(actor, Permission.OPEN_ANSWER)
    own = select(CatalogCorrection).join(OpenListing, OpenListing.id == CatalogCorrection.listing_id)
    own = own.where(OpenListing.org_id == actor.org_id)
    pending = ctx.session.scalars(
        own.where(CatalogCorrection.state == PENDING).order_by(CatalogCorrection.due_date)
    ).all()
    answered = ctx.session.scalars(
        own.where(CatalogCorrection.state == ANSWERED).order_by(CatalogCorrection.id.desc()).limit(50)
    ).all()
    return [*pending, *answered]


def overdue_corrections(ctx: Ctx, actor: Actor) -> list[CatalogCorrection]:
    """Late pending requests in the authority's jurisdiction, for supervision."""
    require(actor, Permission.OPEN_SUPERVISE)
    return list(
        ctx.session.scalars(
            select(CatalogCorrection)
            .join(OpenListing, OpenListing.id == CatalogCorrection.listing_id)
            .where(
                CatalogCorrection.state == PENDING,
                CatalogCorrection.due_date < ctx.clock.today(),
                OpenListing.region_path.startswith(actor.region_path or ("" if actor.is_system else "\x00")),
            )
            .order_by(CatalogCorrection.due_date)
        )
    )


# ---------------------------------------------------------------- comments and ratings (OPEN-8, WZ35)


def mask_name(name: str) -> str:
    """Comments are public; their authors appear as 张* (the surname, or an organisation's first word)."""
    name = name.strip()
    return name[:1] + "*" * min(max(len(name) - 1, 1), 3) if name else "匿名用户"


@dataclass(frozen=True)
class CommentView:
    id: int
    listing_id: int
    author: str  # masked
    rating: int | None
    body: str
    reply: str | None
    replied_at: dt.datetime | None
    at: dt.datetime
    hidden: bool = False


def add_comment(ctx: Ctx, actor: Actor, listing_id: int, data: CommentIn) -> Comment:
    require_portal_use(ctx, actor)
    if actor.user_id is None:
        raise Forbidden("须登录后评论")
    listing = _listed(ctx, listing_id)
    comment = Comment(
        listing_id=listing.id,
        user_id=actor.user_id,
        rating=data.rating,
        body=data.body,
        hidden=False,
        at=ctx.clock.now(),
    )
    ctx.session.add(comment)
    ctx.session.flush()
    record(ctx, actor, "open.comment.add", "open_comment", comment.id,
           detail={"listing": listing.id, "rating": data.rating})  # fmt: skip
    return comment


def _comment(ctx: Ctx, comment_id: int) -> tuple[Comment, OpenListing]:
    comment = ctx.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound("评论不存在")
    return comment, service.get_listing(ctx, comment.listing_id)


def reply(ctx: Ctx, actor: Actor, comment_id: int, data: ReplyIn) -> Comment:
    """The provider answers a comment on its own listing; a second reply replaces the first (both audited)."""
    comment, listing = _comment(ctx, comment_id)
    require(actor, Permission.OPEN_ANSWER)
    if not actor.is_system and actor.org_id != listing.org_id:
        raise Forbidden("只有数据提供部门可以回复评论")
    if comment.hidden:
        raise InvalidTransition("该评论已被隐藏，无需回复")
    comment.reply = data.reply
    comment.replied_at = ctx.clock.now()
    record(ctx, actor, "open.comment.reply", "open_comment", comment.id, detail={"reply": data.reply})
    return comment


def hide(ctx: Ctx, actor: Actor, comment_id: int, data: HideIn) -> Comment:
    """An abusive comment leaves the page but stays on record; the reason is in the audit event."""
    comment, listing = _comment(ctx, comment_id)
    require(actor, Permission.OPEN_SUPERVISE)
    if not actor.is_system and not in_jurisdiction(actor, listing.region_path):
        raise Forbidden("只能处理本级及下级开放数据的评论")
    if comment.hidden:
        raise Conflict("该评论已被隐藏")
    comment.hidden = True
    record(ctx, actor, "open.comment.hide", "open_comment", comment.id,
           detail={"reason": data.reason, "listing": listing.id, "author": comment.user_id})  # fmt: skip
    return comment


def _authors(ctx: Ctx, user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = ctx.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {uid: mask_name(name) for uid, name in rows}


def _views(ctx: Ctx, comments: list[Comment]) -> list[CommentView]:
    names = _authors(ctx, {c.user_id for c in comments})
    return [
        CommentView(
            c.id,
            c.listing_id,
            names.get(c.user_id, "匿名用户"),
            c.rating,
            c.body,
            c.reply,
            c.replied_at,
            c.at,
            c.hidden,
        )
        for c in comments
    ]


def comment_view(ctx: Ctx, comment: Comment) -> CommentView:
    return _views(ctx, [comment])[0]


def visible_comments(ctx: Ctx, listing_id: int, limit: int = 200) -> list[CommentView]:
    """The comments anyone may read on the dataset page, newest first, authors masked."""
    comments = ctx.session.scalars(
        select(Comment)
        .where(Comment.listing_id == listing_id, Comment.hidden.is_(False))
        .order_by(Comment.id.desc())
        .limit(limit)
    ).all()
    return _views(ctx, list(comments))


def rating_summary(ctx: Ctx, listing_id: int) -> tuple[float | None, int]:
    """(average to one decimal, number of raters): each user's latest rating on visible comments counts."""
    latest = (
        select(func.max(Comment.id))
        .where(Comment.listing_id == listing_id, Comment.rating.is_not(None), Comment.hidden.is_(False))
        .group_by(Comment.user_id)
    )
    avg, count = ctx.session.execute(
        select(func.avg(Comment.rating), func.count(Comment.id)).where(Comment.id.in_(latest))
    ).one()
    return (round(float(avg), 1) if avg is not None else None), int(count)


def comment_inbox(ctx: Ctx, actor: Actor, limit: int = 100) -> list[CommentView]:
    """Recent comments on the provider's own listings, unanswered ones first."""
    require(actor, Permission.OPEN_ANSWER)
    comments = ctx.session.scalars(
        select(Comment)
        .join(OpenListing, OpenListing.id == Comment.listing_id)
        .where(OpenListing.org_id == actor.org_id, Comment.hidden.is_(False))
        .order_by(Comment.id.desc())
        .limit(limit)
    ).all()
    return sorted(_views(ctx, list(comments)), key=lambda c: c.reply is not None)


# ---------------------------------------------------------------- public data demands (WZ35)


@dataclass(frozen=True)
class DemandView:
    """A demand as the public sees it: never who asked."""

    id: int
    title: str
    description: str
    org_name: str | None
    state: str
    answer: str | None
    listing_id: int | None
    created_at: dt.datetime
    answered_at: dt.datetime | None


def _root_region_path(ctx: Ctx) -> str:
    path = ctx.session.scalars(
        select(Region.path).where(Region.parent_id.is_(None)).order_by(Region.path).limit(1)
    ).first()
    if path is None:
        raise InvalidInput("平台尚未设置行政区划，暂不能受理数据需求")
    return path


def demand_orgs(ctx: Ctx) -> list[Organization]:
    """Departments a demand may name (the form's choices)."""
    return list(
        ctx.session.scalars(
            select(Organization)
            .where(Organization.kind.in_([OrgKind.DEPARTMENT, OrgKind.OPERATOR]))
            .order_by(Organization.name)
        )
    )


def submit_demand(ctx: Ctx, actor: Actor, data: DemandIn) -> PublicDemand:
    require_portal_use(ctx, actor)
    if actor.user_id is None:
        raise Forbidden("须登录后提交数据需求")
    if data.org_id is not None:
        org = ctx.session.get(Organization, data.org_id)
        if org is None or org.kind not in (OrgKind.DEPARTMENT, OrgKind.OPERATOR):
            raise InvalidInput("所选部门不存在，或不是掌握数据的政务部门、公共服务运营单位")
        region_path = org.region.path
    else:
        region_path = _root_region_path(ctx)
    demand = PublicDemand(
        user_id=actor.user_id,
        title=data.title,
        description=data.description,
        org_id=data.org_id,
        region_path=region_path,
        state=DEMAND_OPEN,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(demand)
    ctx.session.flush()
    record(ctx, actor, "open.demand.submit", "open_demand", demand.id, detail={"org": data.org_id})
    return demand


def may_answer_demand(actor: Actor, demand: PublicDemand) -> bool:
    if actor.is_system:
        return True
    if can(actor, Permission.OPEN_SUPERVISE) and in_jurisdiction(actor, demand.region_path):
        return True
    return can(actor, Permission.OPEN_ANSWER) and demand.org_id is not None and actor.org_id == demand.org_id


def answer_demand(ctx: Ctx, actor: Actor, demand_id: int, data: DemandAnswerIn) -> PublicDemand:
    """The authority of the jurisdiction or the named department answers, perhaps with the listing that
    now opens the data."""
    demand = ctx.session.get(PublicDemand, demand_id)
    if demand is None:
        raise NotFound("数据需求不存在")
    if not (can(actor, Permission.OPEN_SUPERVISE) or can(actor, Permission.OPEN_ANSWER)):
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")
    if not may_answer_demand(actor, demand):
        raise Forbidden("只有数据主管机构或该需求所指的部门可以答复")
    if demand.state != DEMAND_OPEN:
        raise InvalidTransition("该数据需求已答复")
    if data.listing_id is not None:
        listing = service.get_listing(ctx, data.listing_id)
        if listing.state != ListingState.PUBLISHED or listing.open_type == OpenType.NONE:
            raise InvalidInput(f"数据集 {listing.id} 未开放数据，不能作为已开放的数据集关联")
    demand.state = ANSWERED
    demand.answer = data.answer
    demand.listing_id = data.listing_id
    demand.answered_by_id = actor.user_id
    demand.answered_at = ctx.clock.now()
    record(ctx, actor, "open.demand.answer", "open_demand", demand.id,
           detail={"from": DEMAND_OPEN, "to": ANSWERED, "listing": data.listing_id})  # fmt: skip
    return demand


def _demand_views(ctx: Ctx, demands: list[PublicDemand]) -> list[DemandView]:
    names = org_names(ctx.session, (d.org_id for d in demands))
    return [
        DemandView(
            d.id,
            d.title,
            d.description,
            names.get(d.org_id) if d.org_id else None,
            d.state,
            d.answer,
            d.listing_id,
            d.created_at,
            d.answered_at,
        )
        for d in demands
    ]


def demand_view(ctx: Ctx, demand: PublicDemand) -> DemandView:
    return _demand_views(ctx, [demand])[0]


def public_demands(ctx: Ctx, limit: int = 200) -> list[DemandView]:
    rows = ctx.session.scalars(select(PublicDemand).order_by(PublicDemand.id.desc()).limit(limit)).all()
    return _demand_views(ctx, list(rows))


def my_demands(ctx: Ctx, actor: Actor) -> list[DemandView]:
    require(actor, Permission.OPEN_USE)
    if actor.user_id is None:
        return []
    rows = ctx.session.scalars(
        select(PublicDemand).where(PublicDemand.user_id == actor.user_id).order_by(PublicDemand.id.desc())
    ).all()
    return _demand_views(ctx, list(rows))


def demand_inbox(ctx: Ctx, actor: Actor) -> list[DemandView]:
    """Open demands the actor may answer: the authority's jurisdiction, or those naming the department."""
    if not (can(actor, Permission.OPEN_SUPERVISE) or can(actor, Permission.OPEN_ANSWER)):
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")
    conds = []
    if can(actor, Permission.OPEN_SUPERVISE):
        conds.append(
            PublicDemand.region_path.startswith(actor.region_path or ("" if actor.is_system else "\x00"))
        )
    if can(actor, Permission.OPEN_ANSWER) and actor.org_id is not None:
        conds.append(PublicDemand.org_id == actor.org_id)
    if not conds:
        return []
    rows = ctx.session.scalars(
        select(PublicDemand).where(PublicDemand.state == DEMAND_OPEN, or_(*conds)).order_by(PublicDemand.id)
    ).all()
    return _demand_views(ctx, list(rows))


# ---------------------------------------------------------------- portal users, for suspension (OPEN-7)


def mask_subject(subject_id: str | None) -> str:
    """An ID number or USCC as the authority's list shows it: 110105********002X."""
    if not subject_id:
        return "—"
    return subject_id[:6] + "*" * max(len(subject_id) - 10, 0) + subject_id[-4:]


@dataclass(frozen=True)
class PortalUser:
    id: int
    username: str
    display_name: str
    subject_kind: str | None
    subject_masked: str
    suspension: AccessSuspension | None


def find_public_users(ctx: Ctx, actor: Actor, q: str = "", limit: int = 50) -> list[PortalUser]:
    """Public users by name, username, or ID number / USCC (the whole number, or its last digits)."""
    require(actor, Permission.OPEN_SUPERVISE)
    stmt = select(User).where(User.role == Role.PUBLIC_USER)
    q = q.strip()[:50]
    if q:
        conds = [
            User.display_name.icontains(q, autoescape=True),
            User.username.icontains(q, autoescape=True),
            User.subject_id == q.upper(),
        ]
        if len(q) >= 4 and q.isalnum():
            conds.append(User.subject_id.endswith(q.upper(), autoescape=True))
        stmt = stmt.where(or_(*conds))
    users = ctx.session.scalars(stmt.order_by(User.id.desc()).limit(limit)).all()
    held = {
        s.user_id: s
        for s in ctx.session.scalars(
            select(AccessSuspension).where(
                AccessSuspension.user_id.in_([u.id for u in users]), AccessSuspension.lifted_at.is_(None)
            )
        )
    }
    return [
        PortalUser(
            u.id,
            u.username,
            u.display_name,
            u.subject_kind.value if u.subject_kind else None,
            mask_subject(u.subject_id),
            held.get(u.id),
        )
        for u in users
    ]


def recent_retrievals(ctx: Ctx, actor: Actor, user_id: int, limit: int = 20) -> list[tuple[Retrieval, str]]:
    """A user's latest downloads, API calls and previews with the dataset titles: the evidence for OPEN-7."""
    require(actor, Permission.OPEN_SUPERVISE)
    rows = ctx.session.execute(
        select(Retrieval, OpenListing.title)
        .join(OpenListing, OpenListing.id == Retrieval.listing_id)
        .where(Retrieval.user_id == user_id)
        .order_by(Retrieval.id.desc())
        .limit(limit)
    ).all()
    return [(r, title) for r, title in rows]


def suspension_history(ctx: Ctx, actor: Actor, user_id: int) -> list[AccessSuspension]:
    require(actor, Permission.OPEN_SUPERVISE)
    return list(
        ctx.session.scalars(
            select(AccessSuspension)
            .where(AccessSuspension.user_id == user_id)
            .order_by(AccessSuspension.id.desc())
        )
    )
