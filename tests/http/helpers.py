"""Helpers for end-to-end tests: tokens for users, and objects in a given workflow state."""

from __future__ import annotations

from typing import Any

from govdata.catalog import service
from govdata.catalog.demands import create_demand
from govdata.catalog.models import Resource, VersionState
from govdata.catalog.schemas import DemandIn
from govdata.context import Ctx
from govdata.org.service import create_api_token
from tests.world import World, entry_data, make_entry


def token_for(ctx: Ctx, world: World, username: str) -> str:
    _token, plain = create_api_token(ctx, world.actor(username), "测试", 30)
    return plain


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def draft(ctx: Ctx, world: World, owner: str = "gongan_officer", **overrides: Any) -> Resource:
    return make_entry(ctx, world.actor(owner), **overrides)


def submitted(ctx: Ctx, world: World, owner: str = "gongan_officer", **overrides: Any) -> Resource:
    res = make_entry(ctx, world.actor(owner), **overrides)
    service.submit(ctx, world.actor(owner), res.id)
    return res


def published(ctx: Ctx, world: World, owner: str = "gongan_officer", **overrides: Any) -> Resource:
    res = submitted(ctx, world, owner, **overrides)
    service.review(ctx, world.actor("reviewer"), res.id, "approve", None)
    return res


def approved_unpublished(ctx: Ctx, world: World) -> Resource:
    """Approved but not yet published: the state a separate-publish profile leaves an entry in."""
    res = submitted(ctx, world)
    service.head_of(ctx.session, res).state = VersionState.APPROVED
    ctx.session.flush()
    return res


def demand(ctx: Ctx, world: World, owner: str = "gongan_officer") -> int:
    d = create_demand(
        ctx,
        world.actor(owner),
        DemandIn(
            title="婚姻登记信息",
            description="办理户籍业务需核验婚姻状况",
            wanted_items="姓名、婚姻状况",
            purpose="户籍登记",
        ),
    )
    return d.id


POOL_CSV = "公民身份号码,姓名,出生日期,户籍地址\n11010519491231002X,张三,1949-12-31,北京市\n110105194912310021,李四,1949-12-31,北京市\n"


def loaded_pool(ctx: Ctx, world: World) -> tuple[int, int]:
    """A published entry of 公安 with one batch loaded (one row accepted, one rejected): (entry id, batch id)."""
    import tempfile
    from pathlib import Path

    from govdata.pool.service import load_file

    res = published(ctx, world)
    ctx.session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pop.csv"
        path.write_text(POOL_CSV, encoding="utf-8")
        batch = load_file(ctx, world.actor("gongan_officer"), res.id, path)
    return res.id, batch.id


MARRIAGE_ITEMS = [
    {
        "name": "公民身份号码",
        "field_name": "sfzh",
        "data_type": "string",
        "length": 18,
        "identifier_kind": "person",
        "sensitivity": 3,
        "required": True,
    },
    {"name": "姓名", "field_name": "xm", "data_type": "string", "length": 50, "sensitivity": 2},
    {"name": "婚姻状态", "field_name": "hyzk", "data_type": "string", "length": 10, "sensitivity": 3},
]


def two_pools(ctx: Ctx, world: World) -> dict[str, int]:
    """公安's population pool and 民政's marriage pool, disagreeing on one person's name."""
    import tempfile
    from pathlib import Path

    from govdata.pool.service import load_file

    people = published(ctx, world)
    marriage = published(
        ctx, world, "minzheng_officer", name="婚姻登记信息", domain="民政服务", items=MARRIAGE_ITEMS
    )
    ctx.session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "people.csv", Path(tmp) / "marriage.csv"
        a.write_text(
            "公民身份号码,姓名,出生日期,户籍地址\n11010519491231002X,张三,1949-12-31,北京\n", encoding="utf-8"
        )
        b.write_text("公民身份号码,姓名,婚姻状态\n11010519491231002X,张叁,已婚\n", encoding="utf-8")
        pa = load_file(ctx, world.actor("gongan_officer"), people.id, a).pool_id
        pb = load_file(ctx, world.actor("minzheng_officer"), marriage.id, b).pool_id
    return {"pool_a": pa, "pool_b": pb}


def open_case(ctx: Ctx, world: World) -> int:
    from govdata.quality.schemas import OpenCaseIn
    from govdata.quality.service import open_case as open_

    pools = two_pools(ctx, world)
    case = open_(
        ctx,
        world.actor("reviewer"),
        OpenCaseIn(
            pool_a_id=pools["pool_a"],
            field_a="name",
            pool_b_id=pools["pool_b"],
            field_b="xm",
            subject_id="11010519491231002X",
        ),
    )
    ctx.session.commit()
    return case.id


def built_population(ctx: Ctx, world: World) -> None:
    """A base-classified population entry of 公安 with one person loaded, and the base database built."""
    import tempfile
    from pathlib import Path

    from govdata.pool import basedb
    from govdata.pool.service import load_file

    items = [{**item, "is_basic": True} for item in entry_data()["items"][:3]]
    res = published(
        ctx,
        world,
        name="人口基础信息",
        classification="base",
        base_database="population",
        share_type="unconditional",
        share_conditions=None,
        share_basis=None,
        items=items,
    )
    ctx.session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.csv"
        path.write_text("公民身份号码,姓名,出生日期\n11010519491231002X,张三,1949-12-31\n", encoding="utf-8")
        load_file(ctx, world.actor("gongan_officer"), res.id, path)
    basedb.build(ctx, world.actor("admin"), "population")
    ctx.session.commit()


def theme(ctx: Ctx, world: World) -> int:
    """A refreshed theme over the population base database."""
    from govdata.pool import themes

    built_population(ctx, world)
    defined = themes.define_theme(
        ctx,
        world.actor("admin"),
        f"人口主题{themes_count(ctx) + 1}",
        "测试",
        "manual",
        [themes.FieldChoice("姓名", "base", base_kind="population", field_key="姓名")],
    )
    themes.refresh(ctx, world.actor("admin"), defined.id)
    ctx.session.commit()
    return defined.id


def themes_count(ctx: Ctx) -> int:
    from sqlalchemy import func, select

    from govdata.pool.models import ThemeDatabase

    return int(ctx.session.execute(select(func.count()).select_from(ThemeDatabase)).scalar_one())


EMERGENCY_ITEMS = [
    {
        "name": "公民身份号码",
        "field_name": "sfzh",
        "data_type": "string",
        "length": 18,
        "identifier_kind": "person",
        "sensitivity": 3,
        "required": True,
    },
    {"name": "安置地点", "field_name": "azdd", "data_type": "string", "length": 100, "sensitivity": 3},
]
EMERGENCY_CSV = "公民身份号码,安置地点\n11010519491231002X,体育馆\n"


def emergency_body(end: str = "2026-12-10") -> dict[str, object]:
    return {
        "title": "地震受灾群众安置登记",
        "purpose": "安置与救助",
        "legal_basis": "《突发事件应对法》第五十二条",
        "end_date": end,
        "items": EMERGENCY_ITEMS,
    }


def emergency_collection(ctx: Ctx, world: World, loaded: bool = False) -> int:
    import datetime as dt
    import tempfile
    from pathlib import Path

    from govdata.catalog.schemas import DataItemIn
    from govdata.pool import emergency

    collection = emergency.start(
        ctx,
        world.actor("gongan_officer"),
        title="地震受灾群众安置登记",
        purpose="安置与救助",
        legal_basis="《突发事件应对法》第五十二条",
        end_date=dt.date(2026, 12, 10),
        items=[DataItemIn.model_validate(i) for i in EMERGENCY_ITEMS],
    )
    ctx.session.commit()
    if loaded:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "e.csv"
            path.write_text(EMERGENCY_CSV, encoding="utf-8")
            emergency.load_file(ctx, world.actor("gongan_officer"), collection.id, path)
    return collection.id


def theme_form(name: str, picks: tuple[str, ...] = ("base:population:姓名",)) -> dict[str, object]:
    """What a browser posts from the define form of /themes (labels left as offered, refreshed at once)."""
    return {"name": name, "description": "测试", "schedule": "manual", "pick": list(picks), "refresh": "1"}


def emergency_form(end: str = "2026-12-10") -> dict[str, str]:
    """What a browser posts from the start form of /emergency: the two items of EMERGENCY_ITEMS, a blank row."""
    body = {k: str(v) for k, v in emergency_body(end).items() if k != "items"}
    for i, item in enumerate(EMERGENCY_ITEMS):
        body |= {f"item-{i}-{k}": str(v) for k, v in item.items() if k != "required"}
        if item.get("required"):
            body[f"item-{i}-required"] = "1"
    return body | {
        "item-2-name": "",
        "item-2-field_name": "",
        "item-2-data_type": "string",
        "item-2-length": "",
    }
