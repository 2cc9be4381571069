"""The review workflow through the real use cases and database."""

from __future__ import annotations

import datetime as dt

import pytest

from govdata.catalog import service
from govdata.catalog.changes import record_trigger
from govdata.catalog.models import ResourceVersion, Transition, TriggerState, VersionState
from govdata.catalog.queries import compare, pending_work
from govdata.catalog.schemas import EditEntryIn, TriggerIn
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from tests.world import World, entry_data, make_entry


def test_draft_submit_return_resubmit_approve_publishes(ctx: Ctx, world: World) -> None:
    officer = world.actor("gongan_officer")
    reviewer = world.actor("reviewer")
    res = make_entry(ctx, officer)
    assert res.code.startswith("301") and res.code.endswith(f"/{res.id:06d}")
    version = service.submit(ctx, officer, res.id)
    assert version.state == VersionState.SUBMITTED
    # Aba profile: catalog review within 5 working days of Friday 2026-11-20 → Friday 2026-11-27.
    assert version.review_due == dt.date(2026, 11, 27)
    with pytest.raises(InvalidInput, match="审核意见"):
        service.review(ctx, reviewer, res.id, "return", None)
    service.review(ctx, reviewer, res.id, "return", "共享依据请写明具体条款")
    assert version.state == VersionState.RETURNED
    with pytest.raises(InvalidTransition):
        service.publish(ctx, reviewer, res.id)
    service.edit_entry(ctx, officer, res.id, EditEntryIn.model_validate(entry_data(summary="已补充条款")))
    service.submit(ctx, officer, res.id)
    service.review(ctx, reviewer, res.id, "approve", None)
    # Aba has no separate publish step: approval publishes.
    assert version.state == VersionState.PUBLISHED
    assert res.published_version_id == version.id
    moves = [
        t.to_state
        for t in ctx.session.query(Transition).filter_by(version_id=version.id).order_by(Transition.id)
    ]
    assert moves == ["draft", "submitted", "returned", "submitted", "approved", "published"]


def test_change_to_published_entry_makes_new_version_and_keeps_old(ctx: Ctx, world: World) -> None:
    officer = world.actor("gongan_officer")
    reviewer = world.actor("reviewer")
    res = make_entry(ctx, officer)
    service.submit(ctx, officer, res.id)
    service.review(ctx, reviewer, res.id, "approve", None)
    with pytest.raises(InvalidInput, match="变更原因"):
        service.edit_entry(ctx, officer, res.id, EditEntryIn.model_validate(entry_data(name="户籍人口信息")))
    v2 = service.edit_entry(
        ctx,
        officer,
        res.id,
        EditEntryIn.model_validate(entry_data(name="户籍人口信息", change_reason="职能调整")),
    )
    assert v2.number == 2 and v2.state == VersionState.DRAFT
    # Others still see version 1 until version 2 is published.
    other = world.actor("minzheng_officer")
    assert service.visible_version(ctx, other, res).number == 1
    service.submit(ctx, officer, res.id)
    assert v2.review_due is not None
    service.review(ctx, reviewer, res.id, "approve", "同意")
    v1 = ctx.session.get(ResourceVersion, res.versions[0].id)
    assert v1 is not None and v1.state == VersionState.SUPERSEDED
    assert service.visible_version(ctx, other, res).number == 2
    diff = compare(v1, v2)
    assert [c.field for c in diff.fields] == ["资源名称"]


def test_other_departments_never_see_drafts(ctx: Ctx, world: World) -> None:
    res = make_entry(ctx, world.actor("gongan_officer"))
    with pytest.raises(NotFound):
        service.visible_version(ctx, world.actor("minzheng_officer"), res)
    # The authority does not see a draft either; it sees the entry once submitted.
    with pytest.raises(NotFound):
        service.visible_version(ctx, world.actor("reviewer"), res)
    service.submit(ctx, world.actor("gongan_officer"), res.id)
    assert service.visible_version(ctx, world.actor("reviewer"), res).state == VersionState.SUBMITTED
    with pytest.raises(NotFound):
        service.edit_entry(
            ctx, world.actor("minzheng_officer"), res.id, EditEntryIn.model_validate(entry_data())
        )


def test_review_is_limited_to_the_authoritys_jurisdiction(ctx: Ctx, world: World) -> None:
    county = make_entry(
        ctx,
        world.actor("jiaoyu_officer"),
        name="学校基本信息",
        share_type="unconditional",
        share_conditions=None,
        share_basis=None,
    )
    service.submit(ctx, world.actor("jiaoyu_officer"), county.id)
    with pytest.raises(Forbidden):
        service.review(ctx, world.actor("city2_reviewer"), county.id, "approve", None)
    # The city above the county and the province above both may review.
    service.review(ctx, world.actor("city_reviewer"), county.id, "approve", None)


def test_department_user_cannot_compile_entries(ctx: Ctx, world: World) -> None:
    with pytest.raises(Forbidden):
        make_entry(ctx, world.actor("gongan_user"))


def test_trigger_sets_update_report_and_review_deadlines(ctx: Ctx, world: World, clock) -> None:  # type: ignore[no-untyped-def]
    officer = world.actor("gongan_officer")
    res = make_entry(ctx, officer)
    service.submit(ctx, officer, res.id)
    service.review(ctx, world.actor("reviewer"), res.id, "approve", None)
    trigger = record_trigger(
        ctx,
        officer,
        res.id,
        TriggerIn(kind="law", description="《户口登记条例》修订", occurred_on=dt.date(2026, 11, 2)),
    )
    # 10 working days after Monday 2026-11-02 → Monday 2026-11-16: already overdue on 11-20.
    assert trigger.update_due == dt.date(2026, 11, 16)
    board = pending_work(ctx, officer)
    assert any(i.kind == "目录待更新" and i.due and i.due.overdue for i in board.items)
    service.edit_entry(
        ctx,
        officer,
        res.id,
        EditEntryIn.model_validate(
            entry_data(summary="依新条例调整", change_reason="法规修订", trigger_id=trigger.id)
        ),
    )
    assert trigger.state == TriggerState.UPDATED
    assert trigger.report_due == dt.date(2026, 11, 25)  # AB16: 3 working days after the update
    v2 = service.submit(ctx, officer, res.id)
    assert trigger.state == TriggerState.REPORTED
    assert v2.review_due == dt.date(2026, 11, 27)  # update review limit
    service.review(ctx, world.actor("reviewer"), res.id, "approve", None)
    assert trigger.state == TriggerState.CLOSED
    with pytest.raises(InvalidInput, match="晚于今天"):
        record_trigger(
            ctx,
            officer,
            res.id,
            TriggerIn(kind="duty", description="职能调整", occurred_on=dt.date(2026, 12, 1)),
        )


def test_withdrawn_new_version_falls_back_to_published(ctx: Ctx, world: World) -> None:
    officer = world.actor("gongan_officer")
    res = make_entry(ctx, officer)
    service.submit(ctx, officer, res.id)
    service.review(ctx, world.actor("reviewer"), res.id, "approve", None)
    service.edit_entry(ctx, officer, res.id, EditEntryIn.model_validate(entry_data(change_reason="试改")))
    service.withdraw_draft(ctx, officer, res.id, "不改了")
    assert res.head_version_id == res.published_version_id
