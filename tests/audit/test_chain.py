"""The SM3 hash chain: every change is recorded, tampering and deletion are caught, retention is enforced."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from govdata.audit.models import AuditEvent
from govdata.audit.service import purge_before, sm3_hex, verify
from govdata.authz import system_actor
from govdata.catalog import service
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput
from tests.world import World, make_entry


def test_sm3_matches_the_standard_test_vector() -> None:
    # GB/T 32905-2016 example 1: SM3("abc").
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_state_changes_are_recorded_and_chain_verifies(ctx: Ctx, world: World) -> None:
    officer = world.actor("gongan_officer")
    res = make_entry(ctx, officer)
    service.submit(ctx, officer, res.id)
    ctx.session.commit()
    actions = [e.action for e in ctx.session.query(AuditEvent).order_by(AuditEvent.seq)]
    assert "catalog.create" in actions and "catalog.submit" in actions
    result = verify(ctx, world.actor("auditor"))
    assert result.ok and result.checked == len(actions)


def test_edited_row_is_caught(ctx: Ctx, world: World) -> None:
    make_entry(ctx, world.actor("gongan_officer"))
    ctx.session.commit()
    target = ctx.session.query(AuditEvent).filter_by(action="catalog.create").one()
    ctx.session.execute(
        text("UPDATE audit_event SET actor_name = 'someone_else' WHERE seq = :s"), {"s": target.seq}
    )
    ctx.session.commit()
    result = verify(ctx, world.actor("auditor"))
    assert not result.ok
    assert result.first_broken_seq == target.seq
    assert "篡改" in result.message()


def test_deleted_row_is_caught(ctx: Ctx, world: World) -> None:
    make_entry(ctx, world.actor("gongan_officer"))
    ctx.session.commit()
    ctx.session.execute(text("DELETE FROM audit_event WHERE seq = 3"))
    ctx.session.commit()
    result = verify(ctx, world.actor("auditor"))
    assert not result.ok and result.first_broken_seq == 3


def test_department_cannot_verify_or_purge(ctx: Ctx, world: World) -> None:
    with pytest.raises(Forbidden):
        verify(ctx, world.actor("gongan_officer"))
    with pytest.raises(Forbidden):
        purge_before(ctx, world.actor("auditor"), dt.datetime(2020, 1, 1, tzinfo=CHINA_TZ))


def test_purge_refuses_events_inside_retention_and_keeps_chain_verifiable(
    ctx: Ctx, world: World, clock: FixedClock
) -> None:
    admin = world.actor("admin")
    with pytest.raises(InvalidInput, match="24 个月"):
        purge_before(ctx, admin, dt.datetime(2026, 1, 1, tzinfo=CHINA_TZ))
    events_before = ctx.session.query(AuditEvent).count()
    # Two and a half years later, everything written on 2026-11-20 may go.
    clock.set(dt.datetime(2029, 6, 1, 9, 0, tzinfo=CHINA_TZ))
    make_entry(ctx, world.actor("gongan_officer"), name="新的户籍条目")
    deleted = purge_before(ctx, admin, dt.datetime(2027, 1, 1, tzinfo=CHINA_TZ))
    ctx.session.commit()
    assert deleted == events_before
    result = verify(ctx, system_actor())
    assert result.ok, result.message()
