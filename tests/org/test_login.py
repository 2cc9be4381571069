"""Login, lockout, account end dates (SEC-7) and API tokens."""

from __future__ import annotations

import datetime as dt

import pytest

from govdata.authz import system_actor
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Conflict, InvalidInput, Unauthenticated
from govdata.org.models import Role
from govdata.org.service import (
    NewUser,
    authenticate,
    create_api_token,
    create_user,
    resolve_api_token,
    revoke_api_token,
)
from tests.world import PASSWORD, World


def test_lockout_after_repeated_failures(ctx: Ctx, world: World, clock: FixedClock) -> None:
    for _ in range(4):
        assert authenticate(ctx, "gongan_officer", "wrong").message == "用户名或密码错误"
    result = authenticate(ctx, "gongan_officer", "wrong")
    assert result.user is None and "锁定" in (result.message or "")
    # Even the right password is refused while locked …
    assert authenticate(ctx, "gongan_officer", PASSWORD).user is None
    # … and accepted after the lockout period.
    clock.advance(minutes=16)
    assert authenticate(ctx, "gongan_officer", PASSWORD).user is not None


def test_unknown_user_gets_the_same_message(ctx: Ctx, world: World) -> None:
    assert authenticate(ctx, "nobody", "x").message == "用户名或密码错误"


def test_tech_provider_account_and_tokens_end_with_the_contract(
    ctx: Ctx, world: World, clock: FixedClock
) -> None:
    assert authenticate(ctx, "vendor_staff", PASSWORD).user is not None
    _token, plain = create_api_token(ctx, world.actor("vendor_staff"), "运维脚本", 3650)
    assert resolve_api_token(ctx, plain).username == "vendor_staff"
    clock.set(dt.datetime(2027, 7, 1, 9, 0, tzinfo=CHINA_TZ))
    result = authenticate(ctx, "vendor_staff", PASSWORD)
    assert result.user is None and "合同到期" in (result.message or "")
    with pytest.raises(Unauthenticated, match="合同到期"):
        resolve_api_token(ctx, plain)


def test_revoked_and_expired_tokens_stop_working(ctx: Ctx, world: World, clock: FixedClock) -> None:
    actor = world.actor("gongan_officer")
    token, plain = create_api_token(ctx, actor, "对接", 1)
    revoke_api_token(ctx, actor, token.id)
    with pytest.raises(Unauthenticated, match="撤销"):
        resolve_api_token(ctx, plain)
    _t2, plain2 = create_api_token(ctx, actor, "短期", 1)
    clock.advance(days=2)
    with pytest.raises(Unauthenticated, match="过期"):
        resolve_api_token(ctx, plain2)


def test_user_rules(ctx: Ctx, world: World) -> None:
    sys = system_actor()
    with pytest.raises(InvalidInput, match="合同到期日"):
        create_user(ctx, sys, NewUser("vendor2", "乙", Role.TECH_PROVIDER, PASSWORD, world.orgs["vendor"].id))
    with pytest.raises(InvalidInput, match="须属于相应类型"):
        create_user(
            ctx, sys, NewUser("reviewer2", "丙", Role.AUTHORITY_REVIEWER, PASSWORD, world.orgs["gongan"].id)
        )
    with pytest.raises(InvalidInput, match="公民身份号码无效"):
        create_user(
            ctx,
            sys,
            NewUser("person2", "丁", Role.PUBLIC_USER, PASSWORD, None, None, "person", "110105194912310021"),
        )
    with pytest.raises(InvalidInput, match="至少 8 位"):
        create_user(ctx, sys, NewUser("person3", "戊", Role.DEPT_USER, "short1", world.orgs["gongan"].id))
    with pytest.raises(Conflict):
        create_user(
            ctx, sys, NewUser("gongan_officer", "己", Role.DEPT_USER, PASSWORD, world.orgs["gongan"].id)
        )
