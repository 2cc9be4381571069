"""Correction requests end to end (QUAL-1, QUAL-2, QUAL-4): filing, the 核实中 mark in the exchange, forwarding,
extension with the head's approval, answers that flow into the pool, the base database and consumers, sweeps."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select, text

from govdata.audit.models import AuditEvent
from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.pool.models import BaseRecord, Batch, Pool
from govdata.quality import corrections, subject
from govdata.quality.schemas import CorrectionAnswerIn, CorrectionExtendIn, CorrectionIn, ForwardIn
from govdata.sharing.models import CorrectionNotice
from tests.http.correction_cases import CITIZEN_ID, citizen_pool, correction_body
from tests.sharing.fixtures import credential, granted
from tests.world import World

PURPOSE = "低保对象身份核查"


def _file(ctx: Ctx, world: World, **overrides: object) -> corrections.CorrectionRequest:
    req = corrections.file(
        ctx, world.actor("citizen"), CorrectionIn.model_validate(correction_body(ctx, world, **overrides))
    )
    ctx.session.commit()
    return req


def _value(ctx: Ctx, rid: int, field: str) -> str:
    pool = ctx.session.scalars(select(Pool).where(Pool.resource_id == rid)).one()
    return ctx.session.execute(
        text(f"SELECT {field} FROM {pool.table_name} WHERE _subject_id = :s"), {"s": CITIZEN_ID}
    ).scalar_one()


def test_filed_with_department_marks_the_record_and_a_correction_flows(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    rid, _row = citizen_pool(ctx, world)
    granted(ctx, world, rid)
    key = credential(ctx, world)
    auth = {"Authorization": f"Bearer {key}"}
    # The consumer receives the citizen's record before anything is wrong.
    first = client.get(
        f"/api/v1/exchange/{rid}/records/{CITIZEN_ID}", params={"purpose": PURPOSE}, headers=auth
    )
    assert first.status_code == 200 and "under_verification" not in first.json()["rows"][0]

    req = _file(ctx, world, field_name="name", proposed_value="赵陆")
    assert req.state == corrections.S.PENDING
    assert req.received_on == dt.date(2026, 11, 20) and req.due_date == dt.date(2026, 11, 27)  # AB20: 5 days
    assert req.current_value == "赵六"

    # QUAL-2: while pending, consumers see the mark on that subject only.
    body = client.post(
        f"/api/v1/exchange/{rid}/lookup",
        json={"purpose": PURPOSE, "subjects": [CITIZEN_ID, "51322119800101001X"]},
        headers=auth,
    )
    rows = {r["_subject_id"]: r for r in body.json()["rows"]}
    assert rows[CITIZEN_ID]["under_verification"] is True
    assert all("under_verification" not in r for s, r in rows.items() if s != CITIZEN_ID)
    assert subject.my_data(ctx, world.actor("citizen")).records[0].under_verification

    # The department answers: the pool, the batch history, consumers and the requester all see the result.
    done = corrections.answer(ctx, world.actor("gongan_officer"), req.id,
                              CorrectionAnswerIn(result="corrected", value="赵陆", answer="核对户籍档案，姓名应为赵陆"))  # fmt: skip
    ctx.session.commit()
    assert done.state == corrections.S.CORRECTED and done.applied_batch_id
    assert _value(ctx, rid, "name") == "赵陆"
    batch = ctx.session.get(Batch, done.applied_batch_id)
    assert batch is not None and batch.rows_updated == 1 and batch.source_format == "correction"
    notice = ctx.session.scalars(select(CorrectionNotice)).one()
    assert "赵陆" in notice.changes
    assert notice.subject_id == CITIZEN_ID and notice.consumer_org_id == world.orgs["minzheng"].id
    after = client.get(
        f"/api/v1/exchange/{rid}/records/{CITIZEN_ID}", params={"purpose": PURPOSE}, headers=auth
    )
    assert "under_verification" not in after.json()["rows"][0]
    mine = corrections.mine(ctx, world.actor("citizen"))
    assert mine[0].result_value == "赵陆" and mine[0].answered_at is not None
    actions = ctx.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type.in_(["correction_request", "pool_batch"]))
    ).all()
    assert (
        "quality.correction.file" in actions
        and "quality.correction.answer" in actions
        and "pool.amend" in actions
    )
    # The citizen's page lists who received the data, when and for what purpose.
    accesses = subject.my_accesses(ctx, world.actor("citizen"))
    assert accesses and accesses[0].purpose == PURPOSE and accesses[0].consumer


def test_filing_rules(ctx: Ctx, world: World) -> None:
    citizen_pool(ctx, world)
    other = ctx.session.execute(
        text(f"SELECT _row_id FROM {ctx.session.scalars(select(Pool)).one().table_name} WHERE _subject_id <> :s"),
        {"s": CITIZEN_ID},
    ).scalars().first()  # fmt: skip
    with pytest.raises(NotFound, match="不是关于您本人"):
        _file(ctx, world, row_id=other)
    with pytest.raises(InvalidInput, match="相同"):
        _file(ctx, world, proposed_value="四川省阿坝州马尔康市达萨街6号")
    with pytest.raises(InvalidInput, match="身份标识"):
        _file(ctx, world, field_name="id_number", proposed_value="110105194912310021")
    with pytest.raises(Forbidden):
        corrections.file(
            ctx, world.actor("gongan_officer"), CorrectionIn.model_validate(correction_body(ctx, world))
        )
    ctx.session.rollback()
    _file(ctx, world)
    with pytest.raises(Conflict, match="重复"):
        _file(ctx, world, proposed_value="另一个地址")
    with pytest.raises(Conflict):
        _file(ctx, world, kind="delete", field_name=None, proposed_value=None)
    ctx.session.rollback()
    assert (
        ctx.session.execute(select(func.count()).select_from(corrections.CorrectionRequest)).scalar_one() == 1
    )


def test_authority_forwards_and_sweeps_flag_lateness_once(ctx: Ctx, world: World, clock: FixedClock) -> None:
    req = _file(ctx, world, filed_with="authority")
    assert req.state == corrections.S.AT_AUTHORITY and req.forward_due == dt.date(
        2026, 11, 24
    )  # AB20: 2 days
    with pytest.raises(Forbidden):
        corrections.answer(
            ctx, world.actor("admin"), req.id, CorrectionAnswerIn(result="not_corrected", answer="无误无误")
        )
    with pytest.raises(InvalidTransition):
        corrections.answer(
            ctx,
            world.actor("gongan_officer"),
            req.id,
            CorrectionAnswerIn(result="not_corrected", answer="无误无误"),
        )
    ctx.session.rollback()
    clock.set(dt.datetime(2026, 11, 25, 9, 0, tzinfo=clock.now().tzinfo))
    assert corrections.sweep(ctx) == 1
    assert corrections.sweep(ctx) == 0  # once
    ctx.session.commit()
    forwarded = corrections.forward(
        ctx, world.actor("reviewer"), req.id, ForwardIn(org_id=world.orgs["gongan"].id)
    )
    ctx.session.commit()
    assert forwarded.state == corrections.S.PENDING and forwarded.due_date == dt.date(2026, 12, 2)
    clock.set(dt.datetime(2026, 12, 3, 9, 0, tzinfo=clock.now().tzinfo))
    assert corrections.sweep(ctx) == 1
    events = ctx.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "possible_violation")).all()
    assert {e.action for e in events} == {"quality.correction.forward_overdue", "quality.correction.overdue"}
    assert all(e.object_type == "correction_request" for e in events)
    # As violations: late forwarding is the authority's (AB20), a late answer the collecting department's.
    from govdata.supervision import detect
    from govdata.supervision.models import Violation, ViolationKind

    detect.detect_all(ctx)
    late = ctx.session.scalars(select(Violation).where(Violation.kind == ViolationKind.CORRECTION_LATE)).all()
    charged = {v.summary.split("（")[0]: v.org_id for v in late}
    assert charged == {
        "数据校核申请逾期未转交": world.actor("reviewer").org_id,
        "数据校核申请逾期未答复": world.orgs["gongan"].id,
    }


def test_extension_needs_the_heads_approval_once(ctx: Ctx, world: World) -> None:
    req = _file(ctx, world)
    officer = world.actor("gongan_officer")
    with pytest.raises(ValidationError):
        CorrectionExtendIn.model_validate({"days": 5, "reason": "需调取档案"})
    with pytest.raises(InvalidInput, match="最多可延长 5"):
        corrections.extend(
            ctx, officer, req.id, CorrectionExtendIn(days=6, reason="需调取档案", approved_by="张局长")
        )
    done = corrections.extend(
        ctx, officer, req.id, CorrectionExtendIn(days=5, reason="需调取档案", approved_by="张局长")
    )
    assert done.due_date == dt.date(2026, 12, 4) and done.extension_approved_by == "张局长"
    assert done.extension_approved_on == dt.date(2026, 11, 20)
    with pytest.raises(Conflict):
        corrections.extend(
            ctx, officer, req.id, CorrectionExtendIn(days=1, reason="再延", approved_by="张局长")
        )
    with pytest.raises(NotFound):
        corrections.extend(
            ctx,
            world.actor("minzheng_officer"),
            req.id,
            CorrectionExtendIn(days=1, reason="再延", approved_by="李局长"),
        )


def test_deletion_removes_the_record_and_the_golden_values(ctx: Ctx, world: World) -> None:
    from govdata.authz import system_actor
    from govdata.pool import basedb

    rid, row = citizen_pool(ctx, world)
    with contextlib.suppress(InvalidInput):  # the world's entry may carry no basic items
        basedb.build(ctx, system_actor(), "population")
    ctx.session.commit()
    req = _file(
        ctx, world, kind="delete", field_name=None, proposed_value=None, problem="本人已迁出，不应保存"
    )
    with pytest.raises(InvalidInput, match="删除申请"):
        corrections.answer(
            ctx,
            world.actor("gongan_officer"),
            req.id,
            CorrectionAnswerIn(result="corrected", value="x", answer="核实无误"),
        )
    ctx.session.rollback()
    done = corrections.answer(
        ctx,
        world.actor("gongan_officer"),
        req.id,
        CorrectionAnswerIn(result="deleted", answer="核实后已删除"),
    )
    ctx.session.commit()
    assert done.state == corrections.S.DELETED
    pool = ctx.session.scalars(select(Pool).where(Pool.resource_id == rid)).one()
    assert (
        ctx.session.execute(
            text(f"SELECT count(*) FROM {pool.table_name} WHERE _row_id = :r"), {"r": row}
        ).scalar_one()
        == 0
    )
    assert pool.row_count == 3
    assert (
        ctx.session.scalars(
            select(BaseRecord).where(
                BaseRecord.subject_id == CITIZEN_ID, BaseRecord.source_pool_id == pool.id
            )
        ).all()
        == []
    )
    assert subject.my_data(ctx, world.actor("citizen")).records == []


def test_bad_corrected_value_changes_nothing(ctx: Ctx, world: World) -> None:
    rid, _row = citizen_pool(ctx, world)
    req = _file(ctx, world, field_name="birth_date", proposed_value="1949-12-30")
    with pytest.raises(InvalidInput, match="未通过校验"):
        corrections.answer(
            ctx,
            world.actor("gongan_officer"),
            req.id,
            CorrectionAnswerIn(result="corrected", value="不是日期", answer="核实"),
        )
    ctx.session.rollback()
    assert ctx.session.get(corrections.CorrectionRequest, req.id).state == corrections.S.PENDING  # type: ignore[union-attr]
    done = corrections.answer(
        ctx,
        world.actor("gongan_officer"),
        req.id,
        CorrectionAnswerIn(result="corrected", value="1949-12-30", answer="核实"),
    )
    ctx.session.commit()
    assert done.state == corrections.S.CORRECTED
    pool = ctx.session.scalars(select(Pool).where(Pool.resource_id == rid)).one()
    born = ctx.session.execute(
        text(f"SELECT birth_date FROM {pool.table_name} WHERE _subject_id = :s"), {"s": CITIZEN_ID}
    ).scalar_one()
    assert str(born).startswith("1949-12-30")
