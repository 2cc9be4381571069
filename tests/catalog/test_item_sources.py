"""一数一源 at item level: items collected by several departments, and the designated source."""

from __future__ import annotations

import pytest

from govdata.catalog.item_sources import collected_items, designate_item_source
from govdata.catalog.models import IdentifierKind
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput
from tests.http import helpers as h
from tests.world import World


def test_items_collected_twice_are_flagged_and_a_source_designated(ctx: Ctx, world: World) -> None:
    people = h.published(ctx, world)
    marriage = h.published(ctx, world, "minzheng_officer", name="婚姻登记信息", items=h.MARRIAGE_ITEMS)
    reader = world.actor("gongan_user")
    [group] = collected_items(ctx, reader)  # 姓名 is in both; the identifier is the join, not an item
    assert group.key == "姓名" and group.subject_kind == IdentifierKind.PERSON and group.org_count == 2
    assert {c.item_name for c in group.collectors} == {"姓名"}
    with pytest.raises(Forbidden):
        designate_item_source(
            ctx, world.actor("gongan_officer"), "姓名", IdentifierKind.PERSON, people.id, "户籍"
        )
    with pytest.raises(InvalidInput, match="并不采集"):
        designate_item_source(ctx, world.actor("reviewer"), "姓名", IdentifierKind.PERSON, 999_999, "户籍")
    with pytest.raises(InvalidInput, match="无需指定"):
        designate_item_source(
            ctx, world.actor("reviewer"), "出生日期", IdentifierKind.PERSON, people.id, "户籍"
        )
    designate_item_source(
        ctx, world.actor("reviewer"), "姓名", IdentifierKind.PERSON, people.id, "以户籍登记为准"
    )
    [group] = collected_items(ctx, reader)
    duplicates = [c.resource_id for c in group.collectors if group.is_duplicate(c)]
    assert duplicates == [marriage.id]
