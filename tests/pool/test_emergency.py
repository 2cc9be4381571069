"""POOL-6: emergency collection outside the catalog, loaded, then sealed or destroyed — access closed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect

from govdata.catalog.schemas import DataItemIn
from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.pool import emergency
from govdata.pool.models import BatchStatus, EmergencyState
from tests.world import World

ITEMS = [
    DataItemIn(
        name="公民身份号码",
        field_name="sfzh",
        data_type="string",
        length=18,
        identifier_kind="person",
        sensitivity=3,
        required=True,
    ),
    DataItemIn(name="隔离地点", field_name="gldd", data_type="string", length=100, sensitivity=3),
    DataItemIn(name="开始日期", field_name="ksrq", data_type="date", sensitivity=2),
]


def _start(ctx: Ctx, world: World, days: int = 10):  # type: ignore[no-untyped-def]
    return emergency.start(
        ctx,
        world.actor("gongan_officer"),
        title="地震受灾群众临时安置登记",
        purpose="安置与救助",
        legal_basis="《突发事件应对法》第五十二条；州应急指挥部第 3 号令",
        end_date=dt.date(2026, 11, 20) + dt.timedelta(days=days),
        items=ITEMS,
    )


def test_collect_then_seal_closes_access(ctx: Ctx, world: World, tmp_path: Path, clock: FixedClock) -> None:
    collection = _start(ctx, world)
    ctx.session.commit()
    path = tmp_path / "e.csv"
    path.write_text(
        "公民身份号码,隔离地点,开始日期\n11010519491231002X,体育馆,2026-11-20\n110105194912310021,学校,2026-11-20\n"
    )
    batch = emergency.load_file(ctx, world.actor("gongan_officer"), collection.id, path)
    assert batch.status == BatchStatus.SUCCEEDED and (batch.rows_loaded, batch.rows_rejected) == (1, 1)
    labels, rows = emergency.rows(ctx, world.actor("gongan_officer"), collection.id, "安置核对")
    assert labels == ["公民身份号码", "隔离地点", "开始日期"] and rows[0][1] == "体育馆"
    with pytest.raises(NotFound):
        emergency.get(ctx, world.actor("minzheng_officer"), collection.id)
    clock.set(dt.datetime(2026, 12, 2, 9, tzinfo=clock.now().tzinfo))
    assert [c.id for c in emergency.overdue(ctx, world.actor("reviewer"))] == [collection.id]
    with pytest.raises(InvalidTransition, match="已于 2026-11-30 结束"):
        emergency.load_file(ctx, world.actor("gongan_officer"), collection.id, path)
    with pytest.raises(InvalidInput, match="评估意见"):
        emergency.close(ctx, world.actor("gongan_officer"), collection.id, "seal", "")
    emergency.close(ctx, world.actor("gongan_officer"), collection.id, "seal", "安置结束，数据封存备查一年")
    assert collection.state == EmergencyState.SEALED and not emergency.overdue(ctx, world.actor("reviewer"))
    with pytest.raises(Forbidden, match="封存"):
        emergency.rows(ctx, world.actor("gongan_officer"), collection.id, "再看看")
    assert emergency.rows(ctx, world.actor("reviewer"), collection.id, "封存评估")[1]
    emergency.close(ctx, world.actor("admin"), collection.id, "destroy", "备查期满，销毁")
    ctx.session.commit()
    assert collection.state == EmergencyState.DESTROYED
    assert (
        collection.pool is not None
        and collection.pool.table_name not in inspect(ctx.session.connection()).get_table_names()
    )
    with pytest.raises(NotFound):
        emergency.rows(ctx, world.actor("reviewer"), collection.id, "查看")
    # The rejected row's raw value went with the data.
    from govdata.pool.models import RejectRow

    assert ctx.session.query(RejectRow).filter(RejectRow.batch_id == batch.id).count() == 0


def test_start_rules(ctx: Ctx, world: World) -> None:
    with pytest.raises(InvalidInput, match="晚于今天"):
        _start(ctx, world, days=0)
    with pytest.raises(InvalidInput, match="临时性"):
        _start(ctx, world, days=400)
    with pytest.raises(Forbidden):
        emergency.start(
            ctx,
            world.actor("gongan_user"),
            title="x1",
            purpose="y1",
            legal_basis="z1",
            end_date=dt.date(2026, 12, 1),
            items=ITEMS,
        )
