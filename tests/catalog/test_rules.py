"""Content rules: each violation is refused with a message that says what to fix, and nothing is written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govdata.catalog.models import Resource
from govdata.context import Ctx
from govdata.errors import InvalidInput
from tests.world import World, make_entry

BASE_ITEMS = [
    {
        "name": "公民身份号码",
        "field_name": "id_number",
        "data_type": "string",
        "length": 18,
        "identifier_kind": "person",
        "sensitivity": 3,
        "is_basic": True,
    },
    {
        "name": "姓名",
        "field_name": "name",
        "data_type": "string",
        "length": 50,
        "sensitivity": 2,
        "is_basic": True,
    },
]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"share_basis": None}, "法律法规或政策依据"),
        ({"share_type": "none", "share_basis": ""}, "法律法规或政策依据"),
        ({"share_conditions": None}, "共享条件"),
        ({"open_type": "conditional", "open_basis": None, "open_conditions": "x"}, "有条件开放或不予开放"),
        ({"open_type": "conditional", "open_conditions": None}, "开放条件"),
        ({"classification": "base", "base_database": "population", "items": BASE_ITEMS}, "基础信息项"),
        ({"classification": "base"}, "所属基础数据库"),
        ({"open_type": "unconditional", "open_basis": None}, "个人身份标识"),
        ({"grade": 2}, "不得低于"),
        ({"grade": 4, "open_type": "conditional", "open_conditions": "x"}, "4 级"),
        ({"format_category": "纸质"}, "资源格式分类"),
        ({"related_codes": ["399999999/999999"]}, "关联资源代码不存在"),
    ],
)
def test_rule_violations_are_refused(ctx: Ctx, world: World, overrides: dict, message: str) -> None:
    before = ctx.session.execute(select(func.count()).select_from(Resource)).scalar_one()
    with pytest.raises(InvalidInput, match=message):
        make_entry(ctx, world.actor("gongan_officer"), **overrides)
    ctx.session.rollback()
    assert ctx.session.execute(select(func.count()).select_from(Resource)).scalar_one() == before


def test_deidentified_personal_data_may_open(ctx: Ctx, world: World) -> None:
    res = make_entry(
        ctx, world.actor("gongan_officer"), open_type="unconditional", open_basis=None, deidentified=True
    )
    assert res.id


def test_base_entry_with_basic_items_unconditional_is_accepted(ctx: Ctx, world: World) -> None:
    res = make_entry(
        ctx,
        world.actor("gongan_officer"),
        classification="base",
        base_database="population",
        share_type="unconditional",
        share_conditions=None,
        share_basis=None,
        items=BASE_ITEMS,
    )
    assert res.code.startswith("101")
