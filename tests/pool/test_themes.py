"""Thematic databases: a selection of base and pool items, materialised per subject and refreshed."""

from __future__ import annotations

from pathlib import Path

import pytest

from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput
from govdata.pool import themes
from govdata.pool.models import Pool
from govdata.pool.service import load_file
from govdata.pool.themes import FieldChoice
from tests.http import helpers as h
from tests.world import World

CARE_ITEMS = [
    {
        "name": "公民身份号码",
        "field_name": "sfzh",
        "data_type": "string",
        "length": 18,
        "identifier_kind": "person",
        "sensitivity": 3,
        "required": True,
    },
    {"name": "服务机构", "field_name": "jg", "data_type": "string", "length": 100, "sensitivity": 1},
    {"name": "护理等级", "field_name": "hldj", "data_type": "string", "length": 10, "sensitivity": 2},
]


@pytest.fixture
def care_pool(ctx: Ctx, world: World, tmp_path: Path) -> Pool:
    h.built_population(ctx, world)  # 张三 11010519491231002X in the population base database
    res = h.published(
        ctx, world, "minzheng_officer", name="养老服务对象信息", domain="民政服务", items=CARE_ITEMS
    )
    ctx.session.commit()
    path = tmp_path / "care.csv"
    path.write_text(
        "公民身份号码,服务机构,护理等级\n11010519491231002X,西城区养老院,二级\n513221199007150324,汶川县敬老院,一级\n"
    )
    batch = load_file(ctx, world.actor("minzheng_officer"), res.id, path)
    return ctx.session.get(Pool, batch.pool_id)  # type: ignore[return-value]


def _choices(pool: Pool) -> list[FieldChoice]:
    return [
        FieldChoice("姓名", "base", base_kind="population", field_key="姓名"),
        FieldChoice("出生日期", "base", base_kind="population", field_key="出生日期"),
        FieldChoice("服务机构", "pool", pool_id=pool.id, field_name="jg"),
        FieldChoice("护理等级", "pool", pool_id=pool.id, field_name="hldj"),
    ]


def test_define_refresh_and_read(ctx: Ctx, world: World, care_pool: Pool, clock: FixedClock) -> None:
    admin = world.actor("admin")
    theme = themes.define_theme(
        ctx, admin, "养老服务", "老年人基本信息与养老服务", "daily", _choices(care_pool)
    )
    refreshed = themes.refresh(ctx, admin, theme.id)
    assert refreshed.row_count == 2  # the subjects of the pool source; the base database enriches them
    labels, rows = themes.theme_rows(ctx, world.actor("reviewer"), theme.id, "养老服务统计")
    assert labels[:5] == ["主体标识", "姓名", "出生日期", "服务机构", "护理等级"]
    by_subject = {r[0]: r for r in rows}
    assert by_subject["11010519491231002X"][1:5] == (
        "张三",
        by_subject["11010519491231002X"][2],
        "西城区养老院",
        "二级",
    )
    assert str(by_subject["11010519491231002X"][2]).startswith("1949-12-31")
    assert by_subject["513221199007150324"][1] is None  # not in the base database: the field stays empty
    assert themes.refresh_due(ctx, admin) == []  # refreshed just now
    clock.advance(days=1, minutes=1)
    assert [t.id for t in themes.refresh_due(ctx, admin)] == [theme.id]


def test_definition_rules(ctx: Ctx, world: World, care_pool: Pool) -> None:
    admin = world.actor("admin")
    with pytest.raises(Forbidden):
        themes.define_theme(ctx, world.actor("reviewer"), "养老", "x", "manual", _choices(care_pool))
    with pytest.raises(InvalidInput, match="基础数据库中没有"):
        themes.define_theme(
            ctx,
            admin,
            "养老",
            "x",
            "manual",
            [FieldChoice("学历", "base", base_kind="population", field_key="学历")],
        )
    with pytest.raises(InvalidInput, match="刷新方式"):
        themes.define_theme(ctx, admin, "养老", "x", "hourly", _choices(care_pool))
    themes.define_theme(ctx, admin, "养老", "x", "manual", _choices(care_pool))
    with pytest.raises(Conflict):
        themes.define_theme(ctx, admin, "养老", "x", "manual", _choices(care_pool))
    with pytest.raises(InvalidInput, match="用途"):
        themes.theme_rows(ctx, admin, themes.list_themes(ctx, admin)[0].id, "")
