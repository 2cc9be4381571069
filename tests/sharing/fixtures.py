"""A loaded population pool of 公安 and helpers to request, grant and call it through the exchange."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from govdata.context import Ctx
from govdata.pool.service import load_file
from govdata.sharing import apps, service
from govdata.sharing.schemas import AppIn, ShareRequestIn
from tests.http.helpers import published
from tests.world import World

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """A valid GB 11643 number: the check character computed from the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


PEOPLE = [
    (id_number("51322119800101001"), "张三", "1980-01-01", "四川省阿坝州汶川县威州镇岷江路1号"),
    (id_number("51322119920315002"), "李四", "1992-03-15", "四川省阿坝州汶川县映秀镇2号"),
    (id_number("51010419751120003"), "王五", "1975-11-20", "四川省成都市锦江区红星路3号"),
]


def people_csv() -> str:
    lines = ["公民身份号码,姓名,出生日期,户籍地址"]
    lines += [",".join(p) for p in PEOPLE]
    return "\n".join(lines) + "\n"


def population(ctx: Ctx, world: World, **overrides: Any) -> int:
    """公安's published 户籍人口基本信息 with three people loaded; returns the entry id."""
    res = published(ctx, world, **overrides)
    ctx.session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "people.csv"
        path.write_text(people_csv(), encoding="utf-8")
        load_file(ctx, world.actor("gongan_officer"), res.id, path)
    ctx.session.commit()
    return res.id


def request_body(resource_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resource_id": resource_id,
        "items": ["id_number", "name", "address"],
        "row_filter": [],
        "purpose": "低保对象身份核查",
        "duty": "《社会救助暂行办法》规定的最低生活保障审核确认",
        "duration_days": 30,
        "channel": "api",
    }
    body.update(overrides)
    return body


def granted(
    ctx: Ctx, world: World, resource_id: int, consumer: str = "minzheng_officer", **overrides: Any
) -> int:
    """A request answered with a whole approval (or granted at once); returns the grant id."""
    from govdata.sharing.models import RequestState
    from govdata.sharing.schemas import ApproveIn

    request = service.submit_request(
        ctx, world.actor(consumer), ShareRequestIn.model_validate(request_body(resource_id, **overrides))
    )
    if request.state == RequestState.PENDING:
        request = service.approve(ctx, world.actor("gongan_officer"), request.id, ApproveIn())
    ctx.session.commit()
    assert request.grant_id is not None
    return request.grant_id


def credential(ctx: Ctx, world: World, who: str = "minzheng_officer", rate: int = 600) -> str:
    _app, plain = apps.create_app(ctx, world.actor(who), AppIn(name="低保审核系统", rate_per_minute=rate))
    ctx.session.commit()
    return plain
