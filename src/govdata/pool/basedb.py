"""Base databases (POOL-4): one golden record per subject, built from the designated source items of the pools.

A base database's fields are the basic items (基础信息项) of the published base-classified entries of its kind.
When several entries provide the same item concept, the source designated under 一数一源 wins (else the oldest
entry, and the field is marked undesignated). Values are stored field by field with their provenance.

Builds are incremental: each build remembers, per pool, the last batch it read, and next time reads only rows
loaded by later batches. A pool that was fully replaced since, a field whose source changed, or `full=True`
rebuilds that field from scratch — so running a build twice changes nothing, and a rebuild gives the same result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import String, cast, delete, func, literal, or_, select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import (
    BaseDatabase,
    Classification,
    IdentifierKind,
    ItemSource,
    Resource,
    ResourceVersion,
)
from govdata.catalog.semantics import item_key
from govdata.context import Ctx
from govdata.errors import InvalidInput, NotFound
from govdata.labels import BASE_DATABASE as BASE_DATABASE_LABELS
from govdata.pool.models import BaseBuild, BaseRecord, Batch, BatchStatus, LoadMode, Pool
from govdata.pool.tables import BATCH, LOADED_AT, SUBJECT, pool_table

BASE_LABELS = BASE_DATABASE_LABELS


@dataclass(frozen=True)
class BaseField:
    key: str
    label: str
    pool: Pool
    field_name: str
    resource_id: int
    designated: bool  # chosen by a 一数一源 designation (False: the oldest of several, or the only one)
    alternatives: tuple[int, ...]  # other entries offering the same item


def _kind(value: str) -> BaseDatabase:
    try:
        return BaseDatabase(value)
    except ValueError:
        raise NotFound(f"没有名为 {value} 的基础数据库") from None


def base_fields(ctx: Ctx, kind: BaseDatabase) -> list[BaseField]:
    rows = ctx.session.execute(
        select(Resource, ResourceVersion, Pool)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .join(Pool, Pool.resource_id == Resource.id)
        .where(ResourceVersion.classification == Classification.BASE, ResourceVersion.base_database == kind)
        .order_by(Resource.id)
    ).all()
    offers: dict[str, list[tuple[Resource, Pool, str, str, IdentifierKind]]] = {}
    for resource, version, pool in rows:
        if pool.subject_field is None:
            continue
        subject_kind = next(
            (i.identifier_kind for i in version.items if i.field_name == pool.subject_field), None
        )
        if subject_kind is None:
            continue  # the published version dropped the subject item: the pool cannot feed a base database
        held = {c.field_name for c in pool.columns if not c.retired}
        for item in version.items:
            key = item_key(item.name, item.identifier_kind)
            if key and item.is_basic and item.field_name in held:
                offers.setdefault(key, []).append((resource, pool, item.field_name, item.name, subject_kind))
    sources = {
        (s.item_key, s.subject_kind): s.source_resource_id
        for s in ctx.session.execute(select(ItemSource)).scalars()
    }
    fields = []
    for key, offered in offers.items():
        designated_id = sources.get((key, offered[0][4].value))
        chosen = next((o for o in offered if o[0].id == designated_id), offered[0])
        fields.append(
            BaseField(
                key=key,
                label=chosen[3],
                pool=chosen[1],
                field_name=chosen[2],
                resource_id=chosen[0].id,
                designated=designated_id == chosen[0].id,
                alternatives=tuple(o[0].id for o in offered if o[0].id != chosen[0].id),
            )
        )
    return fields


def _last_build(ctx: Ctx, kind: BaseDatabase) -> BaseBuild | None:
    return ctx.session.execute(
        select(BaseBuild).where(BaseBuild.base_kind == kind.value).order_by(BaseBuild.id.desc()).limit(1)
    ).scalar_one_or_none()


def build(ctx: Ctx, actor: Actor, kind_name: str, *, full: bool = False) -> BaseBuild:
    require(actor, Permission.BASE_BUILD)
    kind = _kind(kind_name)
    started = ctx.clock.now()
    fields = base_fields(ctx, kind)
    if not fields:
        raise InvalidInput(
            f"{BASE_LABELS[kind]}还没有可用的来源：需要已发布、标注了基础信息项并已归集数据的基础类目录条目"
        )
    previous = _last_build(ctx, kind)
    marks: dict[str, int] = json.loads(previous.watermarks) if previous else {}
    sourced_before = {
        (k, p)
        for k, p in ctx.session.execute(
            select(BaseRecord.field_key, BaseRecord.source_pool_id)
            .where(BaseRecord.base_kind == kind.value)
            .distinct()
        ).all()
    }
    written = 0
    new_marks: dict[str, int] = {}
    # Fields no longer offered (an item dropped, an entry withdrawn) leave the base database.
    keys = [f.key for f in fields]
    ctx.session.execute(
        delete(BaseRecord).where(BaseRecord.base_kind == kind.value, BaseRecord.field_key.not_in(keys))
    )
    for f in fields:
        pool_key = str(f.pool.id)
        top = ctx.session.execute(
            select(func.max(Batch.id)).where(
                Batch.pool_id == f.pool.id, Batch.status == BatchStatus.SUCCEEDED
            )
        ).scalar()
        new_marks[pool_key] = int(top or 0)
        since = marks.get(pool_key, 0)
        replaced = ctx.session.execute(
            select(func.count()).where(
                Batch.pool_id == f.pool.id,
                Batch.id > since,
                Batch.mode == LoadMode.REPLACE,
                Batch.status == BatchStatus.SUCCEEDED,
            )
        ).scalar_one()
        source_changed = (
            any(k == f.key and p != f.pool.id for k, p in sourced_before)
            or (f.key, f.pool.id) not in sourced_before
        )
        from_scratch = full or replaced > 0 or source_changed
        if from_scratch:
            ctx.session.execute(
                delete(BaseRecord).where(BaseRecord.base_kind == kind.value, BaseRecord.field_key == f.key)
            )
        written += _copy_field(ctx, kind, f, None if from_scratch else since, started)
    subjects = ctx.session.execute(
        select(func.count(func.distinct(BaseRecord.subject_id))).where(BaseRecord.base_kind == kind.value)
    ).scalar_one()
    undesignated = [f.label for f in fields if f.alternatives and not f.designated]
    done = BaseBuild(
        base_kind=kind.value,
        actor_name=actor.display_name,
        full=full,
        watermarks=json.dumps(new_marks, sort_keys=True),
        fields=len(fields),
        values_written=written,
        subjects=int(subjects),
        started_at=started,
        finished_at=ctx.clock.now(),
        note=f"以下信息项有多个来源且尚未指定权威来源（暂取最早的条目）：{'、'.join(undesignated)}"
        if undesignated
        else None,
    )
    ctx.session.add(done)
    ctx.session.flush()
    record(ctx, actor, "base.build", "base_build", done.id,
           detail={"kind": kind.value, "full": full, "fields": len(fields), "written": written, "subjects": subjects})  # fmt: skip
    return done


def refresh_subject(ctx: Ctx, pool: Pool, subject_id: str) -> int:
    """One subject's golden fields sourced from this pool, re-read at once (a correction or deletion, QUAL-1):
    the next incremental build would reach the same result."""
    written = 0
    for kind in BaseDatabase:
        for f in base_fields(ctx, kind):
            if f.pool.id != pool.id:
                continue
            ctx.session.execute(
                delete(BaseRecord).where(
                    BaseRecord.base_kind == kind.value,
                    BaseRecord.subject_id == subject_id,
                    BaseRecord.field_key == f.key,
                    BaseRecord.source_pool_id == pool.id,
                )
            )
            written += _copy_field(ctx, kind, f, None, ctx.clock.now(), subject_id=subject_id)
    return written


def _copy_field(
    ctx: Ctx, kind: BaseDatabase, f: BaseField, since: int | None, now: object, *, subject_id: str | None = None
) -> int:
    table = pool_table(f.pool)
    column = table.c[f.field_name]
    rows = select(
        literal(kind.value),
        table.c[SUBJECT],
        literal(f.key),
        cast(column, String),
        literal(f.pool.id),
        literal(f.resource_id),
        literal(f.field_name),
        table.c[BATCH],
        table.c[LOADED_AT],
        literal(now, BaseRecord.built_at.type),
    ).where(table.c[SUBJECT].is_not(None), column.is_not(None))
    if since is not None:
        rows = rows.where(table.c[BATCH] > since)
    if subject_id is not None:
        rows = rows.where(table.c[SUBJECT] == subject_id)
    columns = ["base_kind", "subject_id", "field_key", "value", "source_pool_id", "source_resource_id",
               "source_field", "source_batch_id", "source_loaded_at", "built_at"]  # fmt: skip
    if ctx.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    stmt = upsert(BaseRecord).from_select(columns, rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["base_kind", "subject_id", "field_key"],
        set_={name: stmt.excluded[name] for name in columns[3:]},
        where=or_(
            BaseRecord.value.is_distinct_from(stmt.excluded.value),
            BaseRecord.source_pool_id != stmt.excluded.source_pool_id,
        ),
    )
    if ctx.session.get_bind().dialect.name == "postgresql":
        # psycopg reports no row count for INSERT … SELECT … ON CONFLICT: count what it returns, in the server.
        written = stmt.returning(literal(1)).cte("written")
        return int(ctx.session.execute(select(func.count()).select_from(written)).scalar_one())
    return int(ctx.session.execute(stmt).rowcount or 0)


@dataclass(frozen=True)
class GoldenField:
    key: str
    value: str | None
    resource_id: int
    resource_code: str
    org_name: str
    field_name: str
    batch_id: int
    loaded_at: object


def golden_record(ctx: Ctx, actor: Actor, kind_name: str, subject_id: str, purpose: str) -> list[GoldenField]:
    """The subject's record with every field's provenance; reading it is data access, recorded with its purpose."""
    require(actor, Permission.BASE_READ)
    kind = _kind(kind_name)
    if len(purpose.strip()) < 2:
        raise InvalidInput("查询基础数据库须说明用途")
    subject = subject_id.strip().upper()
    rows = ctx.session.execute(
        select(BaseRecord, Resource)
        .join(Resource, Resource.id == BaseRecord.source_resource_id)
        .where(BaseRecord.base_kind == kind.value, BaseRecord.subject_id == subject)
        .order_by(BaseRecord.field_key)
    ).all()
    record(ctx, actor, "base.read", "base_record", f"{kind.value}/{subject}", purpose=purpose.strip(),
           outcome="success" if rows else "not_found", detail={"fields": len(rows)})  # fmt: skip
    if not rows:
        raise NotFound(f"{BASE_LABELS[kind]}中没有主体 {subject} 的记录")
    return [
        GoldenField(
            r.field_key,
            r.value,
            r.source_resource_id,
            res.code,
            res.org.name,
            r.source_field,
            r.source_batch_id,
            r.source_loaded_at,
        )
        for r, res in rows
    ]


@dataclass(frozen=True)
class BaseOverview:
    kind: BaseDatabase
    label: str
    fields: list[BaseField]
    subjects: int
    last_build: BaseBuild | None


def overview(ctx: Ctx, actor: Actor) -> list[BaseOverview]:
    require(actor, Permission.BASE_READ)
    result = []
    for kind in BaseDatabase:
        subjects = ctx.session.execute(
            select(func.count(func.distinct(BaseRecord.subject_id))).where(BaseRecord.base_kind == kind.value)
        ).scalar_one()
        result.append(
            BaseOverview(
                kind, BASE_LABELS[kind], base_fields(ctx, kind), int(subjects), _last_build(ctx, kind)
            )
        )
    return result
