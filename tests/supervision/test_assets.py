"""The data asset registry (DEV-1, SX17): built from published entries, live pool facts, value and status changes
kept as history, CSV export, and who may see and change it."""

from __future__ import annotations

import csv
import io

import pytest

from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.supervision import assets
from govdata.supervision.assets import AssetEditIn, RegisterIn
from govdata.supervision.project_models import AssetStatus
from tests.http import helpers as h
from tests.world import World


def test_register_one_and_all(ctx: Ctx, world: World) -> None:
    admin = world.actor("admin")
    resource_id, _batch = h.loaded_pool(ctx, world)
    h.published(ctx, world, "minzheng_officer", name="婚姻登记信息", items=h.MARRIAGE_ITEMS)
    draft = h.draft(ctx, world, name="草稿条目")
    with pytest.raises(InvalidInput, match="已发布"):
        assets.register(ctx, admin, RegisterIn(resource_id=draft.id))
    with pytest.raises(InvalidInput, match="评估依据"):
        assets.register(ctx, admin, RegisterIn(resource_id=resource_id, value_grade="high"))
    asset = assets.register(
        ctx, admin,
        RegisterIn(resource_id=resource_id, value_grade="high", appraised_value_wan="52.5", value_basis="调用量大"),
    )  # fmt: skip
    assert asset.asset_code.startswith("ZC510000")
    assert asset.appraised_value_yuan == 525_000
    with pytest.raises(Conflict, match="已登记"):
        assets.register(ctx, admin, RegisterIn(resource_id=resource_id))
    assert len(assets.candidates(ctx, admin)) == 1
    made = assets.register_all(ctx, admin)
    assert len(made) == 1 and assets.candidates(ctx, admin) == []
    rows = assets.registry(ctx, admin)
    assert [r.name for r in rows] == ["户籍人口基本信息", "婚姻登记信息"]
    first = rows[0]
    assert first.rows == 1 and first.last_loaded_at is not None and first.grade == 3
    assert first.holder == "四川省公安厅" and first.value_wan == "52.5"
    assert rows[1].rows is None


def test_edit_records_history_and_cancel_is_final(ctx: Ctx, world: World) -> None:
    admin = world.actor("admin")
    asset = assets.register(ctx, admin, RegisterIn(resource_id=h.published(ctx, world).id))
    with pytest.raises(InvalidInput, match="没有需要变更"):
        assets.edit(ctx, admin, asset.id, AssetEditIn(reason="无变化"))
    with pytest.raises(InvalidInput, match="评估依据"):
        assets.edit(ctx, admin, asset.id, AssetEditIn(reason="评估", appraised_value_wan="10"))
    assets.edit(
        ctx, admin, asset.id, AssetEditIn(reason="年度评估", appraised_value_wan="10", value_basis="成本法")
    )
    assets.edit(ctx, admin, asset.id, AssetEditIn(reason="系统下线维护", status="suspended"))
    assert [(c.field, c.old_value, c.new_value) for c in asset.changes] == [
        ("value_basis", None, "成本法"),
        ("appraised_value_wan", None, "10"),
        ("status", "在用", "停用"),
    ]
    assets.edit(ctx, admin, asset.id, AssetEditIn(reason="业务取消", status="cancelled"))
    assert asset.status == AssetStatus.CANCELLED
    with pytest.raises(InvalidTransition, match="已注销"):
        assets.edit(ctx, admin, asset.id, AssetEditIn(reason="恢复", status="in_use"))


def test_who_sees_and_changes_the_registry(ctx: Ctx, world: World) -> None:
    province = assets.register(ctx, world.actor("admin"), RegisterIn(resource_id=h.published(ctx, world).id))
    city_entry = h.published(ctx, world, "renshe_officer", name="州级就业援助对象名单")
    city = assets.register(ctx, world.actor("admin"), RegisterIn(resource_id=city_entry.id))
    assert {r.asset.id for r in assets.registry(ctx, world.actor("auditor"))} == {province.id, city.id}
    assert {r.asset.id for r in assets.registry(ctx, world.actor("renshe_officer"))} == {city.id}
    with pytest.raises(NotFound):
        assets.get_asset(ctx, world.actor("renshe_officer"), province.id)
    with pytest.raises(Forbidden):
        assets.registry(ctx, world.actor("vendor_staff"))
    with pytest.raises(Forbidden):
        assets.registry(ctx, world.actor("citizen"))
    with pytest.raises(Forbidden):
        assets.edit(ctx, world.actor("reviewer"), city.id, AssetEditIn(reason="停用", status="suspended"))
    with pytest.raises(Forbidden):
        assets.register_all(ctx, world.actor("gongan_officer"))


def test_csv_export(ctx: Ctx, world: World) -> None:
    admin = world.actor("admin")
    assets.register(ctx, admin, RegisterIn(resource_id=h.published(ctx, world).id, note="核心业务数据"))
    body = assets.export_csv(ctx, admin)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == assets.CSV_HEADER
    assert rows[1][2] == "户籍人口基本信息" and rows[1][9] == "在用" and rows[1][-1] == "核心业务数据"
