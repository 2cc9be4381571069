"""The data asset registry (政务数据资产登记, DEV-1, SX17).

SX17: the government information authority at county level and above registers the data assets of its level.
The registry is built from the catalog: an asset is a published entry of the authority's level or below, and
what it holds (counts, last load, grade, share and open types) is read live from the catalog and the pool, so it
never disagrees with them. The registry adds what only it knows: an asset code, a status (在用 / 停用 / 注销), an
appraised value or value grade with its basis, and who registered it when; every change is kept (history).

One asset per entry, filed at the entry's own level: an upper authority may register the entries below it (SX17
is silent on overlaps; one record per entry keeps the levels' registries from double counting), and each level's
registry shows its own and its lower levels' assets.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import Resource, ResourceVersion
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.labels import GRADE, OPEN_TYPE, SHARE_TYPE
from govdata.org.models import Organization, OrgKind, Region
from govdata.pool.models import Pool
from govdata.supervision.project_models import AssetChange, AssetStatus, DataAsset, ValueGrade
from govdata.supervision.projects import MAX_ID, YUAN_PER_WAN, parse_wan, wan
from govdata.textguard import OptionalSafeText, SafeText

STATUS_LABELS: dict[AssetStatus, str] = {
    AssetStatus.IN_USE: "在用",
    AssetStatus.SUSPENDED: "停用",
    AssetStatus.CANCELLED: "注销",
}
VALUE_GRADE_LABELS: dict[ValueGrade, str] = {
    ValueGrade.HIGH: "高",
    ValueGrade.MEDIUM: "中",
    ValueGrade.LOW: "低",
}
# Status moves: 注销 is final (the record stays, the asset is gone).
STATUS_MOVES: dict[AssetStatus, frozenset[AssetStatus]] = {
    AssetStatus.IN_USE: frozenset({AssetStatus.SUSPENDED, AssetStatus.CANCELLED}),
    AssetStatus.SUSPENDED: frozenset({AssetStatus.IN_USE, AssetStatus.CANCELLED}),
    AssetStatus.CANCELLED: frozenset(),
}
FIELD_LABELS = {
    "status": "状态",
    "value_grade": "价值等级",
    "appraised_value_wan": "评估价值（万元）",
    "value_basis": "价值评估依据",
    "note": "备注",
}


class AssetValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    value_grade: ValueGrade | None = Field(default=None, title="价值等级")
    appraised_value_wan: Decimal | None = Field(default=None, title="评估价值（万元）")
    value_basis: OptionalSafeText = Field(default=None, max_length=4000, title="价值评估依据")
    note: OptionalSafeText = Field(default=None, max_length=2000, title="备注")

    _value = field_validator("appraised_value_wan", mode="before")(lambda v: parse_wan(v, "评估价值"))


class RegisterIn(AssetValueIn):
    resource_id: int = Field(ge=1, lt=MAX_ID, title="目录条目")


class AssetEditIn(AssetValueIn):
    status: AssetStatus | None = Field(default=None, title="状态")
    reason: SafeText = Field(min_length=2, max_length=2000, title="变更说明")


def _check_value(data: AssetValueIn) -> None:
    if (data.value_grade is not None or data.appraised_value_wan is not None) and not data.value_basis:
        raise InvalidInput("登记价值等级或评估价值时，须同时填写价值评估依据")


def _yuan(value: Decimal | None) -> int | None:
    return None if value is None else int((value * YUAN_PER_WAN).to_integral_value())


# ---------------------------------------------------------------- who may see and act


def require_reader(actor: Actor) -> None:
    """Government readers (CATALOG_READ) of the authority, departments and operators; not service vendors."""
    require(actor, Permission.CATALOG_READ)
    if actor.org_kind == OrgKind.SERVICE_PROVIDER:
        raise Forbidden("技术服务单位账号不能查看政务数据资产登记")


def _scope(actor: Actor):  # type: ignore[no-untyped-def]
    if actor.is_system:
        return DataAsset.id.is_not(None)
    return DataAsset.region_path.startswith(actor.region_path or "\x00", autoescape=True)


def get_asset(ctx: Ctx, actor: Actor, asset_id: int) -> DataAsset:
    require_reader(actor)
    asset = ctx.session.get(DataAsset, asset_id) if 0 < asset_id < MAX_ID else None
    if asset is None or not (actor.is_system or asset.region_path.startswith(actor.region_path or "\x00")):
        raise NotFound("数据资产不存在，或不在本级及下级范围内")
    return asset


# ---------------------------------------------------------------- registering


def _published(ctx: Ctx, resource: Resource) -> ResourceVersion:
    version = (
        ctx.session.get(ResourceVersion, resource.published_version_id)
        if resource.published_version_id
        else None
    )
    if version is None:
        raise InvalidInput(f"目录条目 {resource.code} 尚未发布，只能将已发布的目录条目登记为数据资产")
    return version


def _new_asset(ctx: Ctx, actor: Actor, resource: Resource, data: AssetValueIn | None) -> DataAsset:
    region = ctx.session.get(Region, resource.region_id)
    assert region is not None
    asset = DataAsset(
        asset_code=f"tmp-{resource.id}",
        resource_id=resource.id,
        org_id=resource.org_id,
        region_path=resource.region_path,
        status=AssetStatus.IN_USE,
        value_grade=data.value_grade if data else None,
        appraised_value_yuan=_yuan(data.appraised_value_wan) if data else None,
        value_basis=data.value_basis if data else None,
        note=data.note if data else None,
        registered_by_id=actor.user_id,
        registrar_name=actor.display_name,
        registrar_org_id=actor.org_id,
        registered_on=ctx.clock.today(),
        updated_at=ctx.clock.now(),
    )
    ctx.session.add(asset)
    ctx.session.flush()
    asset.asset_code = f"ZC{region.code}{ctx.clock.today().year}{asset.id:06d}"
    record(ctx, actor, "asset.register", "data_asset", asset.id,
           detail={"resource_id": resource.id, "code": asset.asset_code})  # fmt: skip
    return asset


def register(ctx: Ctx, actor: Actor, data: RegisterIn) -> DataAsset:
    require(actor, Permission.ASSET_MANAGE)
    _check_value(data)
    resource = ctx.session.get(Resource, data.resource_id)
    if resource is None or resource.published_version_id is None:
        raise InvalidInput("只能将已发布的目录条目登记为数据资产（该条目不存在或尚未发布）")
    require(actor, Permission.ASSET_MANAGE, region_path=resource.region_path)
    _published(ctx, resource)
    found = ctx.session.scalar(select(DataAsset.asset_code).where(DataAsset.resource_id == resource.id))
    if found:
        raise Conflict(f"目录条目 {resource.code} 已登记为数据资产（资产编码 {found}）")
    return _new_asset(ctx, actor, resource, data)


def candidates(ctx: Ctx, actor: Actor, limit: int = 5000) -> list[tuple[Resource, ResourceVersion]]:
    """Published entries of the actor's level and below that are not yet registered."""
    require(actor, Permission.ASSET_MANAGE)
    stmt = (
        select(Resource, ResourceVersion)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .outerjoin(DataAsset, DataAsset.resource_id == Resource.id)
        .where(DataAsset.id.is_(None))
        .order_by(Resource.id)
        .limit(limit)
    )
    if not actor.is_system:
        stmt = stmt.where(Resource.region_path.startswith(actor.region_path or "\x00", autoescape=True))
    return [(r, v) for r, v in ctx.session.execute(stmt).all()]


def register_all(ctx: Ctx, actor: Actor) -> list[DataAsset]:
    """Register every published entry of the level and below not yet registered (value left to appraise)."""
    require(actor, Permission.ASSET_MANAGE)
    made = [_new_asset(ctx, actor, resource, None) for resource, _v in candidates(ctx, actor, limit=100_000)]
    record(ctx, actor, "asset.register_all", "data_asset", None, detail={"count": len(made)})
    return made


# ---------------------------------------------------------------- changing value and status


def _shown(asset: DataAsset, name: str) -> str | None:
    if name == "status":
        return STATUS_LABELS[asset.status]
    if name == "value_grade":
        return VALUE_GRADE_LABELS[asset.value_grade] if asset.value_grade else None
    if name == "appraised_value_wan":
        return wan(asset.appraised_value_yuan) or None
    return getattr(asset, name)


def edit(ctx: Ctx, actor: Actor, asset_id: int, data: AssetEditIn) -> DataAsset:
    """Change status and value fields; every field that changes is kept with the reason (history)."""
    asset = get_asset(ctx, actor, asset_id)
    require(actor, Permission.ASSET_MANAGE, region_path=asset.region_path)
    if asset.status == AssetStatus.CANCELLED:
        raise InvalidTransition(f"数据资产 {asset.asset_code} 已注销，不能再变更")
    given = data.model_fields_set
    new: dict[str, object] = {}
    if data.status is not None and data.status != asset.status:
        if data.status not in STATUS_MOVES[asset.status]:
            raise InvalidTransition(
                f"数据资产当前为“{STATUS_LABELS[asset.status]}”，不能改为“{STATUS_LABELS[data.status]}”"
            )
        new["status"] = data.status
    for name in ("value_grade", "value_basis", "note"):
        if name in given and getattr(data, name) != getattr(asset, name):
            new[name] = getattr(data, name)
    if "appraised_value_wan" in given and _yuan(data.appraised_value_wan) != asset.appraised_value_yuan:
        new["appraised_value_yuan"] = _yuan(data.appraised_value_wan)
    if not new:
        raise InvalidInput("没有需要变更的内容：请修改状态、价值等级、评估价值、评估依据或备注")
    grade = new.get("value_grade", asset.value_grade)
    value = new.get("appraised_value_yuan", asset.appraised_value_yuan)
    if (grade is not None or value is not None) and not new.get("value_basis", asset.value_basis):
        raise InvalidInput("登记价值等级或评估价值时，须同时填写价值评估依据")
    now = ctx.clock.now()
    changes = []
    for name, value in new.items():
        label = "appraised_value_wan" if name == "appraised_value_yuan" else name
        old = _shown(asset, label)
        setattr(asset, name, value)
        changes.append(
            AssetChange(
                field=label,
                old_value=old,
                new_value=_shown(asset, label),
                reason=data.reason,
                actor_id=actor.user_id,
                actor_name=actor.display_name,
                at=now,
            )
        )
    asset.changes.extend(changes)
    asset.updated_at = now
    record(ctx, actor, "asset.edit", "data_asset", asset.id,
           detail={"changes": {c.field: [c.old_value, c.new_value] for c in changes}, "reason": data.reason})  # fmt: skip
    return asset


# ---------------------------------------------------------------- the registry as read


@dataclass
class AssetRow:
    asset: DataAsset
    resource_code: str
    name: str
    holder: str
    grade: int
    share_type: str
    open_type: str
    rows: int | None
    last_loaded_at: dt.datetime | None

    @property
    def value_wan(self) -> str:
        return wan(self.asset.appraised_value_yuan)


def registry(
    ctx: Ctx, actor: Actor, *, status: AssetStatus | None = None, org_id: int | None = None, limit: int = 5000
) -> list[AssetRow]:
    """The registry of the actor's level and below, with the live catalog and pool facts of each asset."""
    require_reader(actor)
    stmt = (
        select(DataAsset, Resource, ResourceVersion, Organization.name, Pool.row_count, Pool.last_loaded_at)
        .join(Resource, Resource.id == DataAsset.resource_id)
        .join(ResourceVersion, ResourceVersion.id == Resource.published_version_id)
        .join(Organization, Organization.id == DataAsset.org_id)
        .outerjoin(Pool, Pool.resource_id == Resource.id)
        .where(_scope(actor))
        .order_by(DataAsset.asset_code)
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(DataAsset.status == status)
    if org_id is not None:
        stmt = stmt.where(DataAsset.org_id == org_id)
    return [
        AssetRow(
            asset=asset,
            resource_code=resource.code,
            name=version.name,
            holder=holder,
            grade=version.grade,
            share_type=version.share_type.value,
            open_type=version.open_type.value,
            rows=rows,
            last_loaded_at=loaded,
        )
        for asset, resource, version, holder, rows, loaded in ctx.session.execute(stmt).all()
    ]


def row_of(ctx: Ctx, actor: Actor, asset_id: int) -> AssetRow:
    asset = get_asset(ctx, actor, asset_id)
    found = [r for r in registry(ctx, actor, org_id=asset.org_id) if r.asset.id == asset.id]
    if not found:
        raise NotFound("数据资产不存在，或不在本级及下级范围内")
    return found[0]


CSV_HEADER = [
    "资产编码", "目录编码", "数据资源名称", "持有部门", "数据分级", "共享类型", "开放类型", "数据量（行）",
    "最近更新", "状态", "价值等级", "评估价值（万元）", "价值评估依据", "登记人", "登记日期", "备注",
]  # fmt: skip


def export_csv(ctx: Ctx, actor: Actor) -> bytes:
    """The registry as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese); a registry holds
    thousands of rows, not millions, so it is built whole inside the request's transaction."""
    from govdata.web_support import fmt_dt

    rows = registry(ctx, actor, limit=1_000_000)
    record(ctx, actor, "asset.export", "data_asset", None, detail={"rows": len(rows)})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for r in rows:
        a = r.asset
        writer.writerow([
            a.asset_code, r.resource_code, r.name, r.holder, GRADE.get(r.grade, r.grade),
            SHARE_TYPE[r.share_type], OPEN_TYPE[r.open_type], "" if r.rows is None else r.rows,
            fmt_dt(r.last_loaded_at), STATUS_LABELS[a.status],
            VALUE_GRADE_LABELS[a.value_grade] if a.value_grade else "", r.value_wan, a.value_basis or "",
            a.registrar_name, a.registered_on.isoformat(), a.note or "",
        ])  # fmt: skip
    return ("\ufeff" + buffer.getvalue()).encode()
