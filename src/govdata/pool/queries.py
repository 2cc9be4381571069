"""Read-only views of the pools: overview, batch history, reject reports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import func, or_, select

from govdata.authz import Actor, Permission, require
from govdata.catalog.models import Resource
from govdata.context import Ctx
from govdata.errors import NotFound
from govdata.pool.models import Batch, Pool, RejectRow


def _scope(actor: Actor):  # type: ignore[no-untyped-def]
    """A department sees its own pools; an authority those of its jurisdiction."""
    if actor.is_system:
        return Pool.id.is_not(None)
    clauses = []
    if actor.org_id is not None:
        clauses.append(Pool.org_id == actor.org_id)
    if actor.is_authority and actor.region_path:
        clauses.append(Resource.region_path.startswith(actor.region_path, autoescape=True))
    return or_(*clauses) if clauses else Pool.id.is_(None)


def list_pools(ctx: Ctx, actor: Actor) -> list[Pool]:
    require(actor, Permission.POOL_READ)
    return list(
        ctx.session.execute(
            select(Pool)
            .join(Resource, Resource.id == Pool.resource_id)
            .where(_scope(actor))
            .order_by(Pool.id)
        ).scalars()
    )


def get_pool(ctx: Ctx, actor: Actor, resource_id: int) -> Pool:
    require(actor, Permission.POOL_READ)
    pool = ctx.session.execute(
        select(Pool)
        .join(Resource, Resource.id == Pool.resource_id)
        .where(Pool.resource_id == resource_id, _scope(actor))
    ).scalar_one_or_none()
    if pool is None:
        raise NotFound("该目录条目没有资源池，或无权查看")
    return pool


def batches(ctx: Ctx, actor: Actor, resource_id: int, limit: int = 100) -> list[Batch]:
    pool = get_pool(ctx, actor, resource_id)
    return list(
        ctx.session.execute(
            select(Batch).where(Batch.pool_id == pool.id).order_by(Batch.id.desc()).limit(limit)
        ).scalars()
    )


def get_batch(ctx: Ctx, actor: Actor, batch_id: int) -> Batch:
    batch = ctx.session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(f"批次 {batch_id} 不存在")
    get_pool(ctx, actor, batch.pool.resource_id)
    return batch


def reject_count(ctx: Ctx, batch_id: int) -> tuple[int, int]:
    """(report rows kept, warnings kept) — the batch itself holds the full counts."""
    rows = dict(
        ctx.session.execute(
            select(RejectRow.warning, func.count())
            .where(RejectRow.batch_id == batch_id)
            .group_by(RejectRow.warning)
        ).all()
    )
    return rows.get(False, 0), rows.get(True, 0)


def rejects(ctx: Ctx, actor: Actor, batch_id: int, *, limit: int = 200) -> list[RejectRow]:
    get_batch(ctx, actor, batch_id)
    return list(
        ctx.session.execute(
            select(RejectRow)
            .where(RejectRow.batch_id == batch_id)
            .order_by(RejectRow.warning, RejectRow.row_number, RejectRow.id)
            .limit(limit)
        ).scalars()
    )


def reject_report_csv(ctx: Ctx, actor: Actor, batch_id: int) -> Iterator[bytes]:
    """The downloadable report (UTF-8 with BOM so that spreadsheet programs open the Chinese correctly)."""
    batch = get_batch(ctx, actor, batch_id)
    header_line = (
        1 if batch.source_format in ("csv", "xlsx") else 0
    )  # JSON Lines has none; tables have no lines
    yield "\ufeff".encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["类别", "数据行号", "文件行号", "信息项", "问题", "原值"])
    stmt = (
        select(RejectRow)
        .where(RejectRow.batch_id == batch_id)
        .order_by(RejectRow.warning, RejectRow.row_number, RejectRow.id)
        .execution_options(yield_per=2000)
    )
    for row in ctx.session.execute(stmt).scalars():
        writer.writerow(
            [
                "提示" if row.warning else "拒收",
                row.row_number or "",
                row.row_number + header_line if row.row_number and batch.source_format != "database" else "",
                row.field or "",
                row.reason,
                row.value or "",
            ]
        )
        if buffer.tell() > 64_000:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
