"""Use cases of the resource pools: create a pool for an approved entry, keep it in step, load batches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import IdentifierKind, Resource, ResourceVersion, VersionState
from govdata.catalog.service import get_resource
from govdata.context import Ctx
from govdata.errors import InvalidInput, NotFound
from govdata.pool import loader, readers, validate
from govdata.pool.models import Batch, LoadMode, Pool, RejectPolicy
from govdata.pool.spec import ColumnSpec
from govdata.pool.tables import columns_for, create_pool_table, migrate_pool_table, table_name_for


def pool_version(session: Session, resource: Resource) -> ResourceVersion:
    """The approved structure the data must follow: the published version, or an approved one awaiting publication."""
    if resource.published_version_id is not None:
        version = session.get(ResourceVersion, resource.published_version_id)
    else:
        version = session.get(ResourceVersion, resource.head_version_id)
        if version is not None and version.state != VersionState.APPROVED:
            version = None
    if version is None:
        raise InvalidInput("该目录条目尚未审核通过，不能归集数据：请先提交目录并经数据主管机构审核")
    return version


def specs_for(version: ResourceVersion) -> list[ColumnSpec]:
    return [
        ColumnSpec(
            field_name=item.field_name,
            label=item.name,
            data_type=item.data_type,
            length=item.length,
            required=item.required,
            identifier_kind=item.identifier_kind,
        )
        for item in version.items
    ]


def subject_field_of(version: ResourceVersion) -> str | None:
    """The first person/organisation identifier item names the subject of each row (POOL-2)."""
    for item in version.items:
        if item.identifier_kind != IdentifierKind.NONE:
            return item.field_name
    return None


def resolve_resource(session: Session, entry: str | int) -> Resource:
    """An entry by id or by its catalog resource code (the CLI accepts either)."""
    if isinstance(entry, int) or str(entry).isdigit():
        return get_resource(session, int(entry))
    found = session.execute(select(Resource).where(Resource.code == str(entry))).scalar_one_or_none()
    if found is None:
        raise NotFound(f"目录条目 {entry} 不存在")
    return found


def pool_of(session: Session, resource_id: int) -> Pool | None:
    return session.execute(select(Pool).where(Pool.resource_id == resource_id)).scalar_one_or_none()


def ensure_pool(ctx: Ctx, actor: Actor, resource: Resource) -> Pool:
    """The entry's pool, created on first use and migrated when a newer approved version changed the items."""
    require(actor, Permission.POOL_LOAD, org_id=resource.org_id, hide=True)
    version = pool_version(ctx.session, resource)
    specs = specs_for(version)
    pool = pool_of(ctx.session, resource.id)
    conn = ctx.session.connection()
    if pool is None:
        subject = subject_field_of(version)
        pool = Pool(
            resource_id=resource.id,
            org_id=resource.org_id,
            table_name=table_name_for(resource.id),
            version_id=version.id,
            subject_field=subject,
            key_fields=subject or "",
            row_count=0,
            created_at=ctx.clock.now(),
        )
        pool.columns = columns_for(specs)
        ctx.session.add(pool)
        ctx.session.flush()
        create_pool_table(conn, pool)
        record(
            ctx,
            actor,
            "pool.create",
            "pool",
            pool.id,
            detail={"table": pool.table_name, "resource_id": resource.id},
        )
        return pool
    if pool.version_id != version.id:
        change = migrate_pool_table(conn, pool, specs)
        pool.version_id = version.id
        if pool.subject_field is None:
            pool.subject_field = subject_field_of(version)
        ctx.session.flush()
        record(
            ctx,
            actor,
            "pool.migrate",
            "pool",
            pool.id,
            detail={"version": version.number, "change": change.describe()},
        )
    return pool


def load_file(
    ctx: Ctx,
    actor: Actor,
    entry: str | int,
    path: Path,
    *,
    mode: LoadMode = LoadMode.UPSERT,
    reject_policy: RejectPolicy = RejectPolicy.SKIP,
    fmt: str | None = None,
    encoding: str | None = None,
    source_name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Batch:
    """Load a CSV / XLSX / JSON Lines file into the entry's pool."""
    opts = loader.LoadOptions(mode=mode, reject_policy=reject_policy, source=source_name or path.name)
    return _load(ctx, actor, entry, lambda: readers.open_file(path, fmt, encoding=encoding), opts, progress)


def load_database(
    ctx: Ctx,
    actor: Actor,
    entry: str | int,
    url: str,
    table: str,
    mapping: dict[str, str] | None = None,
    *,
    mode: LoadMode = LoadMode.UPSERT,
    reject_policy: RejectPolicy = RejectPolicy.SKIP,
    progress: Callable[[int], None] | None = None,
) -> Batch:
    """SHARE-7's real-time table channel: pull the department's own table into its pool."""
    opts = loader.LoadOptions(mode=mode, reject_policy=reject_policy, source=f"数据库表 {table}")
    return _load(ctx, actor, entry, lambda: readers.open_database(url, table, mapping), opts, progress)


def _load(
    ctx: Ctx,
    actor: Actor,
    entry: str | int,
    open_reader: Callable[[], readers.Reader],
    opts: loader.LoadOptions,
    progress: Callable[[int], None] | None,
) -> Batch:
    resource = resolve_resource(ctx.session, entry)
    require(actor, Permission.POOL_LOAD, org_id=resource.org_id, hide=True)
    version = pool_version(ctx.session, resource)
    specs = specs_for(version)
    existing = pool_of(ctx.session, resource.id)
    keyed = existing.keys if existing else subject_field_of(version)
    if opts.mode == LoadMode.UPSERT and not keyed:
        raise InvalidInput("该资源池没有主键（主体标识或关键信息项），不能按主键更新；请选择全量替换或追加")
    with open_reader() as reader:
        validate.map_headers(
            reader.header, specs
        )  # a source that cannot fit is refused before anything is written
        pool = ensure_pool(ctx, actor, resource)
        ctx.session.commit()  # the pool exists before the batch starts; the batch commits on its own
        batch_id = loader.load(ctx, actor, pool, specs, reader, opts, progress)
    ctx.session.expire_all()
    batch = ctx.session.get(Batch, batch_id)
    assert batch is not None
    return batch
