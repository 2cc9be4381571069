"""Base databases: golden records from the designated sources, with provenance, built incrementally."""

from __future__ import annotations

from pathlib import Path

import pytest

from govdata.catalog.item_sources import designate_item_source
from govdata.catalog.models import IdentifierKind
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, NotFound
from govdata.pool import basedb
from govdata.pool.models import LoadMode
from govdata.pool.service import load_file
from tests.http import helpers as h
from tests.world import World

BASIC = [
    {
        "name": "公民身份号码",
        "field_name": "id_number",
        "data_type": "string",
        "length": 18,
        "identifier_kind": "person",
        "sensitivity": 3,
        "required": True,
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
    {"name": "出生日期", "field_name": "birth_date", "data_type": "date", "sensitivity": 2, "is_basic": True},
    {"name": "户籍地址", "field_name": "address", "data_type": "string", "length": 200, "sensitivity": 3},
]
BASE = {
    "classification": "base",
    "base_database": "population",
    "share_type": "unconditional",
    "share_conditions": None,
    "share_basis": None,
    "items": BASIC,
}


def _csv(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


@pytest.fixture
def population(ctx: Ctx, world: World, tmp_path: Path) -> int:
    res = h.published(ctx, world, name="人口基础信息", **BASE)
    ctx.session.commit()
    load_file(ctx, world.actor("gongan_officer"), res.id, _csv(tmp_path, "p.csv",
        "公民身份号码,姓名,出生日期,户籍地址\n11010519491231002X,张三,1949-12-31,北京\n513221199007150324,王五,1990-07-15,汶川\n"))  # fmt: skip
    return res.id


def test_build_gives_golden_records_with_provenance(ctx: Ctx, world: World, population: int) -> None:
    admin = world.actor("admin")
    first = basedb.build(ctx, admin, "population")
    assert (first.fields, first.subjects, first.values_written) == (
        2,
        2,
        4,
    )  # 姓名 and 出生日期: basic items only
    record = {
        f.key: f
        for f in basedb.golden_record(
            ctx, world.actor("reviewer"), "population", "11010519491231002x", "核验户籍"
        )
    }
    assert record["姓名"].value == "张三" and str(record["出生日期"].value).startswith("1949-12-31")
    assert record["姓名"].resource_id == population and record["姓名"].org_name == "四川省公安厅"
    assert record["姓名"].batch_id > 0
    assert (
        basedb.build(ctx, admin, "population").values_written == 0
    )  # repeatable: nothing new, nothing written


def test_incremental_update_and_full_replace(ctx: Ctx, world: World, population: int, tmp_path: Path) -> None:
    admin, officer = world.actor("admin"), world.actor("gongan_officer")
    basedb.build(ctx, admin, "population")
    load_file(
        ctx,
        officer,
        population,
        _csv(tmp_path, "u.csv", "公民身份号码,姓名,出生日期\n11010519491231002X,张三丰,1949-12-31\n"),
    )
    assert basedb.build(ctx, admin, "population").values_written == 1  # only the changed value is rewritten
    load_file(ctx, officer, population, _csv(tmp_path, "r.csv", "公民身份号码,姓名,出生日期\n513221199007150324,王五,1990-07-15\n"),
              mode=LoadMode.REPLACE)  # fmt: skip
    rebuilt = basedb.build(ctx, admin, "population")
    assert rebuilt.subjects == 1  # the replaced pool no longer holds 张三丰: the base database follows
    with pytest.raises(NotFound):
        basedb.golden_record(ctx, admin, "population", "11010519491231002X", "核验")


def test_designated_source_wins(ctx: Ctx, world: World, population: int, tmp_path: Path) -> None:
    other = h.published(ctx, world, "minzheng_officer", name="人口婚姻基础信息", **BASE)
    ctx.session.commit()
    load_file(ctx, world.actor("minzheng_officer"), other.id, _csv(tmp_path, "m.csv",
        "公民身份号码,姓名,出生日期\n11010519491231002X,张叁,1949-12-31\n"))  # fmt: skip
    admin = world.actor("admin")
    build = basedb.build(ctx, admin, "population")
    assert build.note and "姓名" in build.note
    assert {
        f.key: f.value for f in basedb.golden_record(ctx, admin, "population", "11010519491231002X", "核验")
    }["姓名"] == "张三"
    designate_item_source(
        ctx, world.actor("reviewer"), "姓名", IdentifierKind.PERSON, other.id, "婚姻登记更新更及时"
    )
    basedb.build(ctx, admin, "population")
    fields = {f.key: f for f in basedb.golden_record(ctx, admin, "population", "11010519491231002X", "核验")}
    assert fields["姓名"].value == "张叁" and fields["姓名"].resource_id == other.id


def test_permissions_and_inputs(ctx: Ctx, world: World, population: int) -> None:
    with pytest.raises(Forbidden):
        basedb.build(ctx, world.actor("gongan_officer"), "population")
    with pytest.raises(NotFound):
        basedb.build(ctx, world.actor("admin"), "atlantis")
    with pytest.raises(InvalidInput, match="没有可用的来源"):
        basedb.build(ctx, world.actor("admin"), "credit")
    basedb.build(ctx, world.actor("admin"), "population")
    with pytest.raises(InvalidInput, match="用途"):
        basedb.golden_record(ctx, world.actor("admin"), "population", "11010519491231002X", " ")
    assert [o.subjects for o in basedb.overview(ctx, world.actor("reviewer")) if o.kind == "population"] == [
        2
    ]
