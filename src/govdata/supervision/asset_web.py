"""Pages of the data asset registry (DEV-1, SX17): the registry of the level, registering published entries,
changing value and status with the change kept, the CSV export. Rules live in `assets`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata.authz import Actor, Permission, can
from govdata.context import Ctx
from govdata.org.service import org_names
from govdata.supervision import assets
from govdata.supervision.assets import AssetEditIn, RegisterIn
from govdata.supervision.project_models import AssetStatus, ValueGrade
from govdata.supervision.project_web import FORM_ERRORS, LABELS, Csrf, go, problems
from govdata.supervision.project_web import parse as page_parse
from govdata.web_support import CtxDep, PageActor, Posted, form_text, render

router = APIRouter(include_in_schema=False)
_LABELS = {
    "value_grade": "价值等级",
    "appraised_value_wan": "评估价值（万元）",
    "value_basis": "价值评估依据",
    "note": "备注",
    "status": "状态",
    "reason": "变更说明",
}


def parse(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return page_parse(model, data, {**LABELS, **_LABELS})


def _value_form(form: FormData) -> dict[str, Any]:
    return {
        "value_grade": form_text(form, "value_grade", 20) or None,
        "appraised_value_wan": form_text(form, "appraised_value_wan", 30) or None,
        "value_basis": form_text(form, "value_basis") or None,
        "note": form_text(form, "note", 2000) or None,
    }


def _registry_page(request: Request, ctx: Ctx, actor: Actor, errors: list[str] | None = None) -> Response:
    raw = request.query_params.get("status", "")
    status = AssetStatus(raw) if raw in AssetStatus._value2member_map_ else None
    rows = assets.registry(ctx, actor, status=status)
    manager = can(actor, Permission.ASSET_MANAGE)
    pending = assets.candidates(ctx, actor) if manager else []
    return render(
        request,
        "supervision/assets.html",
        rows=rows,
        status=status,
        manager=manager,
        candidates=pending,
        cand_orgs=org_names(ctx.session, {r.org_id for r, _v in pending}),
        errors=errors or [],
        ST=assets.STATUS_LABELS,
        VG=assets.VALUE_GRADE_LABELS,
        grades=list(ValueGrade),
        total_rows=sum(r.rows or 0 for r in rows),
    )


@router.get("/assets")
def registry_page(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return _registry_page(request, ctx, actor)


@router.get("/assets/export.csv")
def export(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    body = assets.export_csv(ctx, actor)
    name = f"data-assets-{ctx.clock.today().isoformat()}.csv"
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.post("/assets/register", dependencies=[Csrf])
def register(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    data = {"resource_id": form_text(form, "resource_id", 20) or None, **_value_form(form)}
    try:
        asset = assets.register(ctx, actor, parse(RegisterIn, data))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _registry_page(request, ctx, actor, problems(exc))
    return go(f"/assets/{asset.id}", f"已登记为数据资产，资产编码 {asset.asset_code}")


@router.post("/assets/register-all", dependencies=[Csrf])
def register_all(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    made = assets.register_all(ctx, actor)
    if not made:
        return go("/assets", "没有尚未登记的已发布目录条目")
    return go("/assets", f"已将 {len(made)} 个已发布目录条目登记为数据资产，价值待评估")


@router.get("/assets/{asset_id:int}")
def asset_page(request: Request, ctx: CtxDep, actor: PageActor, asset_id: int) -> Response:
    return _asset_page(request, ctx, actor, asset_id)


def _asset_page(
    request: Request, ctx: Ctx, actor: Actor, asset_id: int, errors: list[str] | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    row = assets.row_of(ctx, actor, asset_id)
    manager = can(actor, Permission.ASSET_MANAGE)
    return render(
        request,
        "supervision/asset.html",
        r=row,
        a=row.asset,
        manager=manager and row.asset.status != AssetStatus.CANCELLED,
        moves=[s for s in AssetStatus if s in assets.STATUS_MOVES[row.asset.status]],
        errors=errors or [],
        f=typed or {},
        ST=assets.STATUS_LABELS,
        VG=assets.VALUE_GRADE_LABELS,
        FL=assets.FIELD_LABELS,
        grades=list(ValueGrade),
        registrar_org=org_names(ctx.session, [row.asset.registrar_org_id]).get(
            row.asset.registrar_org_id or 0, ""
        ),
    )


@router.post("/assets/{asset_id:int}/edit", dependencies=[Csrf])
def edit(request: Request, ctx: CtxDep, actor: PageActor, asset_id: int, form: Posted) -> Response:
    data: dict[str, Any] = {**_value_form(form), "reason": form_text(form, "reason", 2000)}
    status = form_text(form, "status", 20)
    if status:
        data["status"] = status
    try:
        asset = assets.edit(ctx, actor, asset_id, parse(AssetEditIn, data))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        return _asset_page(request, ctx, actor, asset_id, problems(exc), data)
    return go(f"/assets/{asset.id}", "变更已保存并记入变更记录")
