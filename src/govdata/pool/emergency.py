"""Emergency collection (POOL-6, AB17, AB21, SC10): temporary data collected outside the catalog for an
emergency, with a stated purpose, legal basis and end date. It loads through the same validated, atomic batches
as a pool. When the event is over it is assessed and sealed (kept, closed to loads and ordinary access) or
destroyed (its table dropped); either is recorded in the audit log, and an open collection past its end date is
listed as overdue until someone disposes of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pydantic import TypeAdapter
from sqlalchemy import delete, select, text

from govdata.audit.service import record
from govdata.authz import Actor, Permission, in_jurisdiction, require
from govdata.catalog.models import IdentifierKind
from govdata.catalog.schemas import DataItemIn
from govdata.context import Ctx
from govdata.deadlines import is_overdue
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization
from govdata.pool import loader, readers, validate
from govdata.pool.models import (
    Batch,
    EmergencyCollection,
    EmergencyState,
    LoadMode,
    Pool,
    RejectPolicy,
    RejectRow,
)
from govdata.pool.spec import ColumnSpec
from govdata.pool.tables import EMERGENCY_TABLE_PREFIX, columns_for, create_pool_table, pool_table

MAX_DAYS = 366
STATE_LABELS = {
    EmergencyState.ACTIVE: "采集中",
    EmergencyState.SEALED: "已封存",
    EmergencyState.DESTROYED: "已销毁",
}
_ITEMS = TypeAdapter(list[DataItemIn])


def _specs(collection: EmergencyCollection) -> list[ColumnSpec]:
    items = _ITEMS.validate_python(json.loads(collection.items))
    return [
        ColumnSpec(i.field_name, i.name, i.data_type, i.length, i.required, i.identifier_kind) for i in items
    ]


def start(
    ctx: Ctx,
    actor: Actor,
    *,
    title: str,
    purpose: str,
    legal_basis: str,
    end_date: object,
    items: list[DataItemIn],
) -> EmergencyCollection:
    require(actor, Permission.POOL_LOAD)
    org = ctx.session.get(Organization, actor.org_id) if actor.org_id else None
    if org is None:
        raise InvalidInput("应急采集由政务部门发起")
    today = ctx.clock.today()
    if not hasattr(end_date, "toordinal") or end_date <= today:  # type: ignore[operator]
        raise InvalidInput("应急采集须设定晚于今天的结束日期")
    if (end_date - today).days > MAX_DAYS:  # type: ignore[operator]
        raise InvalidInput(f"应急采集是临时性的：结束日期不得晚于 {MAX_DAYS} 天之后")
    if len(title.strip()) < 2 or len(purpose.strip()) < 2 or len(legal_basis.strip()) < 2:
        raise InvalidInput("请填写名称、采集目的和依据（突发事件及相关决定）")
    if not items:
        raise InvalidInput("请列出要采集的信息项")
    names = [i.field_name for i in items]
    if len(set(names)) != len(names):
        raise InvalidInput("信息项字段名重复")
    collection = EmergencyCollection(
        org_id=org.id,
        region_path=org.region.path,
        title=title.strip(),
        purpose=purpose.strip(),
        legal_basis=legal_basis.strip(),
        items=json.dumps([i.model_dump(mode="json") for i in items], ensure_ascii=False),
        started_on=today,
        end_date=end_date,  # type: ignore[arg-type]
        state=EmergencyState.ACTIVE,
        created_by_id=actor.user_id,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(collection)
    ctx.session.flush()
    record(ctx, actor, "emergency.start", "emergency_collection", collection.id, purpose=collection.purpose,
           detail={"title": collection.title, "end_date": end_date, "items": names})  # fmt: skip
    return collection


def get(ctx: Ctx, actor: Actor, collection_id: int) -> EmergencyCollection:
    require(actor, Permission.POOL_READ)
    collection = ctx.session.get(EmergencyCollection, collection_id)
    if collection is None or not (
        actor.is_system
        or actor.org_id == collection.org_id
        or (actor.is_authority and in_jurisdiction(actor, collection.region_path))
    ):
        raise NotFound(f"应急采集 {collection_id} 不存在或无权查看")
    return collection


def list_collections(ctx: Ctx, actor: Actor) -> list[EmergencyCollection]:
    require(actor, Permission.POOL_READ)
    rows = ctx.session.execute(select(EmergencyCollection).order_by(EmergencyCollection.id.desc())).scalars()
    return [c for c in rows if actor.is_system or actor.org_id == c.org_id
            or (actor.is_authority and in_jurisdiction(actor, c.region_path))]  # fmt: skip


def overdue(ctx: Ctx, actor: Actor) -> list[EmergencyCollection]:
    """Collections past their end date that nobody has sealed or destroyed yet."""
    today = ctx.clock.today()
    return [
        c
        for c in list_collections(ctx, actor)
        if c.state == EmergencyState.ACTIVE and is_overdue(c.end_date, today)
    ]


def load_file(
    ctx: Ctx,
    actor: Actor,
    collection_id: int,
    path: Path,
    *,
    mode: LoadMode = LoadMode.APPEND,
    reject_policy: RejectPolicy = RejectPolicy.SKIP,
    source_name: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Batch:
    collection = get(ctx, actor, collection_id)
    require(actor, Permission.POOL_LOAD, org_id=collection.org_id, hide=True)
    if collection.state != EmergencyState.ACTIVE:
        raise InvalidTransition(f"该应急采集{STATE_LABELS[collection.state]}，不能再加载数据")
    if ctx.clock.today() > collection.end_date:
        raise InvalidTransition(
            f"该应急采集已于 {collection.end_date.isoformat()} 结束，不能再加载数据；请评估后封存或销毁"
        )
    specs = _specs(collection)
    subject = next((s.field_name for s in specs if s.identifier_kind != IdentifierKind.NONE), None)
    if mode == LoadMode.UPSERT and subject is None:
        raise InvalidInput("没有主体标识信息项，不能按主键更新；请选择追加或全量替换")
    with readers.open_file(path) as reader:
        validate.map_headers(reader.header, specs)
        pool = collection.pool
        if pool is None:
            pool = Pool(
                resource_id=None,
                org_id=collection.org_id,
                table_name=f"{EMERGENCY_TABLE_PREFIX}{collection.id:06d}",
                version_id=None,
                subject_field=subject,
                key_fields=subject or "",
                row_count=0,
                created_at=ctx.clock.now(),
            )
            pool.columns = columns_for(specs)
            ctx.session.add(pool)
            ctx.session.flush()
            create_pool_table(ctx.session.connection(), pool)
            collection.pool_id = pool.id
        ctx.session.commit()
        opts = loader.LoadOptions(mode=mode, reject_policy=reject_policy, source=source_name or path.name)
        batch_id = loader.load(ctx, actor, pool, specs, reader, opts, progress)
    ctx.session.expire_all()
    batch = ctx.session.get(Batch, batch_id)
    assert batch is not None
    return batch


def close(ctx: Ctx, actor: Actor, collection_id: int, disposal: str, assessment: str) -> EmergencyCollection:
    """After the event: seal (keep, closed) or destroy (drop the data). The owner or the authority decides."""
    collection = get(ctx, actor, collection_id)
    if not (
        actor.is_system
        or actor.is_authority
        or (Permission.POOL_LOAD in actor.permissions and actor.org_id == collection.org_id)
    ):
        raise Forbidden("由发起采集的部门数据专员或数据主管机构处置")
    if collection.state != EmergencyState.ACTIVE and not (
        collection.state == EmergencyState.SEALED and disposal == "destroy"
    ):
        raise InvalidTransition(f"该应急采集{STATE_LABELS[collection.state]}")
    if disposal not in ("seal", "destroy"):
        raise InvalidInput("处置方式应为 seal（封存）或 destroy（销毁）")
    if len(assessment.strip()) < 4:
        raise InvalidInput("请填写评估意见：数据是否仍需保留、为何封存或销毁")
    rows = collection.pool.row_count if collection.pool else 0
    if disposal == "destroy" and collection.pool is not None:
        quote = ctx.session.get_bind().dialect.identifier_preparer.quote
        ctx.session.execute(text(f"DROP TABLE IF EXISTS {quote(collection.pool.table_name)}"))
        # Reject reports hold raw values of rejected rows: destroying the data destroys them too.
        batches = select(Batch.id).where(Batch.pool_id == collection.pool.id)
        ctx.session.execute(delete(RejectRow).where(RejectRow.batch_id.in_(batches)))
        collection.pool.row_count = 0
    collection.state = EmergencyState.DESTROYED if disposal == "destroy" else EmergencyState.SEALED
    collection.closed_by_id = actor.user_id
    collection.closed_at = ctx.clock.now()
    collection.assessment = assessment.strip()
    record(ctx, actor, f"emergency.{disposal}", "emergency_collection", collection.id,
           detail={"rows": rows, "assessment": collection.assessment})  # fmt: skip
    return collection


def rows(
    ctx: Ctx, actor: Actor, collection_id: int, purpose: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[str], list[tuple[object, ...]]]:
    """While active the owner works with the data; once sealed only the authority may look, to assess it."""
    collection = get(ctx, actor, collection_id)
    if len(purpose.strip()) < 2:
        raise InvalidInput("查看应急采集数据须说明用途")
    if collection.state == EmergencyState.DESTROYED or collection.pool is None:
        raise NotFound("该应急采集没有可查看的数据（尚未加载或已销毁）")
    if collection.state == EmergencyState.SEALED and not (actor.is_authority or actor.is_system):
        raise Forbidden("数据已封存，访问已关闭；如需评估请由数据主管机构查看")
    table = pool_table(collection.pool)
    specs = _specs(collection)
    cols = [table.c[s.field_name] for s in specs]
    found = ctx.session.execute(
        select(*cols).order_by(table.c._row_id).limit(min(limit, 500)).offset(offset)
    ).all()
    record(ctx, actor, "emergency.read", "emergency_collection", collection.id, purpose=purpose.strip(),
           detail={"rows": len(found)})  # fmt: skip
    return [s.label for s in specs], [tuple(r) for r in found]
