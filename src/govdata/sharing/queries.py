"""Read-only listings of the exchange: requests by role, grants, and the provider's usage report (SHARE-6)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, or_, select

from govdata.authz import Actor, Permission, can, require
from govdata.catalog.models import Resource, ResourceVersion
from govdata.catalog.queries import WorkItem
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.deadlines import DueInfo, due_info
from govdata.errors import InvalidInput
from govdata.org.models import Organization
from govdata.sharing.models import CorrectionNotice, ExchangeCall, RequestState, ShareGrant, ShareRequest
from govdata.sharing.workflow import WAITING


@dataclass(frozen=True)
class RequestRow:
    request: ShareRequest
    entry_name: str
    due: DueInfo | None


def _due(ctx: Ctx, request: ShareRequest) -> DueInfo | None:
    if request.due_date is None or request.state not in WAITING:
        return None
    return due_info(ctx.calendar, request.due_date, ctx.clock.today())


def _rows(ctx: Ctx, requests: list[ShareRequest]) -> list[RequestRow]:
    ids = {r.version_id for r in requests}
    names = dict(
        ctx.session.execute(
            select(ResourceVersion.id, ResourceVersion.name).where(ResourceVersion.id.in_(ids))
        ).all()
    )
    return [RequestRow(r, names.get(r.version_id, ""), _due(ctx, r)) for r in requests]


def my_requests(ctx: Ctx, actor: Actor) -> list[RequestRow]:
    """What the actor's department asked for, newest first."""
    require(actor, Permission.SHARE_READ)
    stmt = select(ShareRequest).where(ShareRequest.consumer_org_id == actor.org_id)
    return _rows(ctx, list(ctx.session.execute(stmt.order_by(ShareRequest.id.desc()).limit(500)).scalars()))


def inbox(ctx: Ctx, actor: Actor, *, open_only: bool = False) -> list[RequestRow]:
    """Requests for the actor's department's data; waiting ones first, by due date."""
    require(actor, Permission.SHARE_READ)
    stmt = select(ShareRequest).where(ShareRequest.provider_org_id == actor.org_id)
    if open_only:
        stmt = stmt.where(ShareRequest.state == RequestState.PENDING)
    found = list(ctx.session.execute(stmt.order_by(ShareRequest.id.desc()).limit(500)).scalars())
    found.sort(key=lambda r: (r.state != RequestState.PENDING, r.due_date or dt.date.max))
    return _rows(ctx, found)


def coordination_queue(ctx: Ctx, actor: Actor) -> list[RequestRow]:
    """The authority's work: access to open (SC25) and cases to coordinate (SHARE-4), in its jurisdiction."""
    require(actor, Permission.SHARE_COORDINATE)
    stmt = select(ShareRequest).where(
        ShareRequest.state.in_([RequestState.AWAITING_ACCESS, RequestState.COORDINATING])
    )
    if not actor.is_system:
        stmt = stmt.where(ShareRequest.region_path.startswith(actor.region_path or "-", autoescape=True))
    return _rows(
        ctx, list(ctx.session.execute(stmt.order_by(ShareRequest.due_date, ShareRequest.id)).scalars())
    )


def work_items(ctx: Ctx, actor: Actor) -> list[WorkItem]:
    """The exchange's share of 我的待办: requests to answer (the provider), access to open and cases to coordinate
    (the authority), each with its due date."""
    rows: list[tuple[str, RequestRow]] = []
    if can(actor, Permission.SHARE_ANSWER) and actor.org_id is not None:
        rows += [("共享申请待答复", r) for r in inbox(ctx, actor, open_only=True)]
    if can(actor, Permission.SHARE_COORDINATE) and actor.region_path:
        labels = {RequestState.AWAITING_ACCESS: "共享申请待开通", RequestState.COORDINATING: "共享事项待协调"}
        rows += [(labels[r.request.state], r) for r in coordination_queue(ctx, actor)]
    return [
        WorkItem(kind, f"{row.entry_name}（申请 {row.request.id}）", f"/sharing/requests/{row.request.id}", row.due)
        for kind, row in rows
    ]


def overdue_requests(ctx: Ctx, actor: Actor) -> list[RequestRow]:
    """Requests whose answer is late, flagged or not yet swept: possible violations (SUP-4)."""
    require(actor, Permission.SHARE_COORDINATE)
    stmt = select(ShareRequest).where(
        or_(
            ShareRequest.overdue_flagged_at.is_not(None),
            (ShareRequest.state.in_(list(WAITING))) & (ShareRequest.due_date < ctx.clock.today()),
        )
    )
    if not actor.is_system:
        stmt = stmt.where(ShareRequest.region_path.startswith(actor.region_path or "-", autoescape=True))
    return _rows(ctx, list(ctx.session.execute(stmt.order_by(ShareRequest.id)).scalars()))


def _grant_scope(actor: Actor) -> ColumnElement[bool]:
    clauses = [ShareGrant.consumer_org_id == actor.org_id, ShareGrant.provider_org_id == actor.org_id]
    if actor.is_authority and actor.region_path:
        region = select(Resource.id).where(
            Resource.region_path.startswith(actor.region_path, autoescape=True)
        )
        clauses.append(ShareGrant.resource_id.in_(region))
    return or_(*clauses)


def grants(ctx: Ctx, actor: Actor) -> list[ShareGrant]:
    require(actor, Permission.SHARE_READ)
    stmt = select(ShareGrant).order_by(ShareGrant.id.desc()).limit(500)
    if not actor.is_system:
        stmt = stmt.where(_grant_scope(actor))
    return list(ctx.session.execute(stmt).scalars())


def grant_state(grant: ShareGrant, today: dt.date) -> str:
    if grant.revoked_at is not None:
        return "已撤销"
    if today > grant.expires_on:
        return "已过期"
    if today < grant.valid_from:
        return "未生效"
    return "有效"


@dataclass(frozen=True)
class UsageRow:
    resource_id: int
    entry_name: str
    consumer: str
    purpose: str
    calls: int
    refused: int
    records: int
    first_at: dt.datetime
    last_at: dt.datetime


def _period(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise InvalidInput("统计期间的结束日期不能早于开始日期")
    if (end - start).days > 731:
        raise InvalidInput("统计期间最长两年")
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=CHINA_TZ)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=CHINA_TZ)
    return lo.astimezone(dt.UTC), hi.astimezone(dt.UTC)


def usage(
    ctx: Ctx, actor: Actor, start: dt.date, end: dt.date, resource_id: int | None = None
) -> list[UsageRow]:
    """Per entry, who used it, how often, how many records, for which purpose (SHARE-6: the provider's right)."""
    require(actor, Permission.SHARE_USAGE)
    lo, hi = _period(start, end)
    c = ExchangeCall
    stmt = (
        select(
            c.resource_id,
            Organization.name,
            c.purpose,
            func.count(),
            func.sum(case((c.outcome != "success", 1), else_=0)),
            func.sum(c.records),
            func.min(c.at),
            func.max(c.at),
        )
        .join(Organization, Organization.id == c.consumer_org_id)
        .where(c.at >= lo, c.at < hi, c.resource_id.is_not(None))
        .group_by(c.resource_id, Organization.name, c.purpose)
    )
    if resource_id is not None:
        stmt = stmt.where(c.resource_id == resource_id)
    if not actor.is_system:
        if actor.is_authority and actor.region_path:
            region = select(Resource.id).where(
                Resource.region_path.startswith(actor.region_path, autoescape=True)
            )
            stmt = stmt.where(c.resource_id.in_(region))
        elif Permission.AUDIT_READ not in actor.permissions:  # auditors see every entry's use
            stmt = stmt.where(c.provider_org_id == actor.org_id)
    found = ctx.session.execute(stmt).all()
    names = dict(
        ctx.session.execute(
            select(Resource.id, ResourceVersion.name)
            .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
            .where(Resource.id.in_({row[0] for row in found}))
        ).all()
    )
    rows = [
        UsageRow(
            resource_id=row[0],
            entry_name=names.get(row[0], ""),
            consumer=row[1],
            purpose=row[2] or "",
            calls=int(row[3]),
            refused=int(row[4] or 0),
            records=int(row[5] or 0),
            first_at=row[6],
            last_at=row[7],
        )
        for row in found
    ]
    rows.sort(key=lambda u: (u.entry_name, -u.calls))
    return rows


def usage_csv(rows: list[UsageRow], start: dt.date, end: dt.date) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"共享数据使用情况 {start.isoformat()} 至 {end.isoformat()}"])
    writer.writerow(
        ["目录条目", "使用单位", "用途", "调用次数", "其中被拒绝", "记录数", "首次调用", "最近调用"]
    )
    for u in rows:
        writer.writerow([
            u.entry_name, u.consumer, u.purpose, u.calls, u.refused, u.records,
            u.first_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
            u.last_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M"),
        ])  # fmt: skip
    yield "\ufeff".encode() + out.getvalue().encode()


def notices(ctx: Ctx, actor: Actor, *, unread_only: bool = False) -> list[CorrectionNotice]:
    """Corrections of data the actor's department received through the exchange, newest first."""
    require(actor, Permission.SHARE_READ)
    stmt = select(CorrectionNotice).where(CorrectionNotice.consumer_org_id == actor.org_id)
    if unread_only:
        stmt = stmt.where(CorrectionNotice.read_at.is_(None))
    return list(ctx.session.execute(stmt.order_by(CorrectionNotice.id.desc()).limit(500)).scalars())
