"""QUAL-3: disagreements between two departments' pools, turned into reconciliation cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.pool import consistency
from govdata.pool.service import load_file
from govdata.quality import service
from govdata.quality.models import CaseState
from govdata.quality.schemas import EscalateCaseIn, OpenCaseIn, ResolveCaseIn
from tests.http import helpers as h
from tests.world import World

MARRIAGE_ITEMS = h.MARRIAGE_ITEMS


@pytest.fixture
def two_pools(ctx: Ctx, world: World, tmp_path: Path) -> tuple[int, int]:
    people = h.published(ctx, world)
    marriage = h.published(
        ctx, world, "minzheng_officer", name="婚姻登记信息", domain="民政服务", items=MARRIAGE_ITEMS
    )
    ctx.session.commit()
    a = tmp_path / "people.csv"
    a.write_text(
        "公民身份号码,姓名,出生日期,户籍地址\n11010519491231002X,张三,1949-12-31,北京\n"
        "513221199007150324,王五,1990-07-15,汶川\n",
        encoding="utf-8",
    )
    b = tmp_path / "marriage.csv"
    b.write_text(
        "公民身份号码,姓名,婚姻状态\n11010519491231002X,张叁,已婚\n513221199007150324,王五,未婚\n",
        encoding="utf-8",
    )
    load_file(ctx, world.actor("gongan_officer"), people.id, a)
    load_file(ctx, world.actor("minzheng_officer"), marriage.id, b)
    return people.id, marriage.id


def test_disagreements_are_found_and_reconciled(ctx: Ctx, world: World, two_pools: tuple[int, int]) -> None:
    reviewer = world.actor("reviewer")
    [pair] = consistency.summarise(ctx, reviewer)
    assert pair.shared.key == "姓名" and pair.compared == 2 and pair.disagreeing == 1
    assert {pair.samples[0].value_a, pair.samples[0].value_b} == {"张三", "张叁"}
    shared = pair.shared
    with pytest.raises(InvalidInput, match="一致"):
        service.open_case(
            ctx,
            reviewer,
            OpenCaseIn(
                pool_a_id=shared.pool_a.id,
                field_a=shared.field_a,
                pool_b_id=shared.pool_b.id,
                field_b=shared.field_b,
                subject_id="513221199007150324",
            ),
        )
    case = service.open_case(
        ctx,
        reviewer,
        OpenCaseIn(
            pool_a_id=shared.pool_a.id,
            field_a=shared.field_a,
            pool_b_id=shared.pool_b.id,
            field_b=shared.field_b,
            subject_id="11010519491231002x",
        ),
    )
    assert case.state == CaseState.OPEN and case.subject_id == "11010519491231002X"
    assert case.due_date.isoformat() > "2026-11-20"
    # Both providers see the case; a third department does not.
    assert service.list_cases(ctx, world.actor("gongan_officer"))
    assert service.list_cases(ctx, world.actor("minzheng_officer"))
    with pytest.raises(NotFound):
        service.get_case(ctx, world.actor("renshe_officer"), case.id)
    service.escalate_case(
        ctx, world.actor("minzheng_officer"), case.id, EscalateCaseIn(reason="双方各执一词")
    )
    with pytest.raises(Forbidden):
        service.resolve_case(
            ctx,
            world.actor("gongan_officer"),
            case.id,
            ResolveCaseIn(correct_value="张三", resolution="户籍为准"),
        )
    done = service.resolve_case(
        ctx, reviewer, case.id, ResolveCaseIn(correct_value="张三", resolution="以户籍登记为准")
    )
    assert done.state == CaseState.RESOLVED
    with pytest.raises(InvalidTransition):
        service.escalate_case(ctx, reviewer, case.id, EscalateCaseIn(reason="再议"))


def test_only_the_authority_compares_across_departments(
    ctx: Ctx, world: World, two_pools: tuple[int, int]
) -> None:
    with pytest.raises(Forbidden):
        consistency.summarise(ctx, world.actor("gongan_officer"))
