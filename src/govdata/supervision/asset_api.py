"""JSON routes of the data asset registry (DEV-1, SX17). The routes only translate: every rule is in `assets`."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from govdata.supervision import assets
from govdata.supervision.assets import AssetEditIn, AssetRow, RegisterIn
from govdata.supervision.project_models import AssetStatus
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["政务数据资产登记"])


class AssetOut(BaseModel):
    id: int
    asset_code: str
    resource_id: int
    resource_code: str
    name: str
    org_id: int
    holder: str
    grade: int
    share_type: str
    open_type: str
    rows: int | None
    last_loaded_at: dt.datetime | None
    status: str
    status_label: str
    value_grade: str | None
    appraised_value_wan: str | None
    value_basis: str | None
    note: str | None
    registrar_name: str
    registered_on: dt.date
    updated_at: dt.datetime


class ChangeOut(BaseModel):
    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    actor_name: str
    at: dt.datetime


class AssetDetailOut(AssetOut):
    changes: list[ChangeOut]


class CandidateOut(BaseModel):
    resource_id: int
    code: str
    name: str
    org_id: int


class RegisteredOut(BaseModel):
    registered: int
    asset_codes: list[str]


def _out(r: AssetRow) -> dict[str, object]:
    a = r.asset
    return {
        "id": a.id,
        "asset_code": a.asset_code,
        "resource_id": a.resource_id,
        "resource_code": r.resource_code,
        "name": r.name,
        "org_id": a.org_id,
        "holder": r.holder,
        "grade": r.grade,
        "share_type": r.share_type,
        "open_type": r.open_type,
        "rows": r.rows,
        "last_loaded_at": r.last_loaded_at,
        "status": a.status.value,
        "status_label": assets.STATUS_LABELS[a.status],
        "value_grade": a.value_grade.value if a.value_grade else None,
        "appraised_value_wan": r.value_wan or None,
        "value_basis": a.value_basis,
        "note": a.note,
        "registrar_name": a.registrar_name,
        "registered_on": a.registered_on,
        "updated_at": a.updated_at,
    }


def _detail(r: AssetRow) -> AssetDetailOut:
    changes = [ChangeOut.model_validate(c, from_attributes=True) for c in r.asset.changes]
    return AssetDetailOut(**_out(r), changes=changes)


@router.get("/assets", response_model=list[AssetOut], summary="本级及下级政务数据资产登记")
def list_assets(
    ctx: CtxDep, actor: ApiActor, status: AssetStatus | None = Query(None), org_id: int | None = Query(None)
) -> list[AssetOut]:
    return [AssetOut(**_out(r)) for r in assets.registry(ctx, actor, status=status, org_id=org_id)]


@router.get("/assets/export.csv", summary="导出数据资产登记表（CSV）")
def export(ctx: CtxDep, actor: ApiActor) -> Response:
    body = assets.export_csv(ctx, actor)
    name = f"data-assets-{ctx.clock.today().isoformat()}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get("/assets/candidates", response_model=list[CandidateOut], summary="已发布但尚未登记的目录条目")
def candidates(ctx: CtxDep, actor: ApiActor) -> list[CandidateOut]:
    return [
        CandidateOut(resource_id=r.id, code=r.code, name=v.name, org_id=r.org_id)
        for r, v in assets.candidates(ctx, actor)
    ]


@router.post(
    "/assets", response_model=AssetDetailOut, status_code=201, summary="将已发布目录条目登记为数据资产"
)
def register(ctx: CtxDep, actor: ApiActor, body: RegisterIn) -> AssetDetailOut:
    asset = assets.register(ctx, actor, body)
    return _detail(assets.row_of(ctx, actor, asset.id))


@router.post("/assets/register-all", response_model=RegisteredOut, summary="登记全部尚未登记的已发布条目")
def register_all(ctx: CtxDep, actor: ApiActor) -> RegisteredOut:
    made = assets.register_all(ctx, actor)
    return RegisteredOut(registered=len(made), asset_codes=[a.asset_code for a in made])


@router.get("/assets/{asset_id}", response_model=AssetDetailOut, summary="数据资产详情与变更记录")
def get_asset(ctx: CtxDep, actor: ApiActor, asset_id: int) -> AssetDetailOut:
    return _detail(assets.row_of(ctx, actor, asset_id))


@router.patch(
    "/assets/{asset_id}", response_model=AssetDetailOut, summary="变更数据资产的状态或价值（记录变更）"
)
def edit(ctx: CtxDep, actor: ApiActor, asset_id: int, body: AssetEditIn) -> AssetDetailOut:
    assets.edit(ctx, actor, asset_id, body)
    return _detail(assets.row_of(ctx, actor, asset_id))
