"""Technical service providers (SEC-7; AB39, SC41): clearance before accounts, accounts that end with the contract
— by the job, and at login/token use even when the job has not run — and the destruction record that closes it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from govdata.audit.models import AuditEvent
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound, Unauthenticated
from govdata.org import providers
from govdata.org.models import ApiToken, ContractState, DestructionMethod, ProviderContract, WebSession
from govdata.org.service import authenticate, create_api_token, open_web_session, resolve_api_token
from tests.http.open_feedback_cases import org_code
from tests.http.test_catalog_pages import login
from tests.world import World

STAFF_PASSWORD = "Vendor2026pass"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def contract(ctx: Ctx, world: World, *, cleared: bool = True, end: dt.date = dt.date(2027, 3, 31),
             number: str = "HT-2026-001", n: int = 1) -> ProviderContract:  # fmt: skip
    admin = world.actor("admin")
    provider = providers.register_provider(
        ctx, admin, providers.ProviderIn(name=f"蜀云运维有限公司{n}", uscc=org_code(n))
    )
    review = {"security_review_on": dt.date(2026, 10, 1), "security_review_by": "四川省大数据中心安全处",
              "confidentiality_signed_on": dt.date(2026, 10, 8)} if cleared else {}  # fmt: skip
    return providers.create_contract(
        ctx, admin,
        providers.ContractIn(provider_id=provider.id, number=number, scope="共享交换平台运行维护",
                             start_date=dt.date(2026, 11, 1), end_date=end, **review),
    )  # fmt: skip


def staff(ctx: Ctx, world: World, c: ProviderContract, username: str = "yunwei1") -> int:
    user = providers.add_account(ctx, world.actor("admin"), c.id,
                                 providers.AccountIn(username=username, display_name="王工", password=STAFF_PASSWORD))  # fmt: skip
    ctx.session.commit()
    return user.id


def test_accounts_need_the_security_review_and_the_confidentiality_agreement(ctx: Ctx, world: World) -> None:
    c = contract(ctx, world, cleared=False)
    with pytest.raises(InvalidTransition, match="安全审查和保密协议"):
        staff(ctx, world, c)
    providers.record_clearance(ctx, world.actor("admin"), c.id, providers.ClearanceIn(
        security_review_on=dt.date(2026, 11, 2), security_review_by="省网信办", confidentiality_signed_on=dt.date(2026, 11, 3)))  # fmt: skip
    user_id = staff(ctx, world, c)
    found = authenticate(ctx, "yunwei1", STAFF_PASSWORD).user
    assert found is not None and found.id == user_id and found.account_end_date == c.end_date


def test_bad_inputs_are_refused_with_reasons(ctx: Ctx, world: World) -> None:
    admin = world.actor("admin")
    with pytest.raises(InvalidInput, match="统一社会信用代码无效"):
        providers.register_provider(
            ctx, admin, providers.ProviderIn(name="某公司", uscc="91510100MA6000000X")
        )
    c = contract(ctx, world)
    with pytest.raises(Conflict, match="已登记"):
        providers.register_provider(ctx, admin, providers.ProviderIn(name="别名公司", uscc=org_code(1)))
    base = {
        "provider_id": c.provider_id,
        "number": "HT-2",
        "scope": "运维",
        "start_date": dt.date(2026, 12, 1),
    }
    with pytest.raises(InvalidInput, match="不能早于起始日期"):
        providers.create_contract(ctx, admin, providers.ContractIn(**base, end_date=dt.date(2026, 11, 30)))
    with pytest.raises(Conflict, match="已登记"):
        providers.create_contract(
            ctx, admin, providers.ContractIn(**{**base, "number": c.number}, end_date=dt.date(2027, 1, 1))
        )
    with pytest.raises(InvalidInput, match="晚于今天"):
        providers.create_contract(ctx, admin, providers.ContractIn(
            **base, end_date=dt.date(2027, 1, 1), confidentiality_signed_on=dt.date(2026, 12, 1)))  # fmt: skip
    with pytest.raises(Forbidden):
        providers.list_contracts(ctx, world.actor("gongan_officer"))
    with pytest.raises(NotFound):
        providers.get_contract(ctx, world.actor("admin"), 999_999)
    with pytest.raises(InvalidTransition, match="先终止合同"):
        providers.record_destruction(ctx, admin, c.id, _destruction())


def _destruction() -> providers.DestructionIn:
    return providers.DestructionIn(
        data_description="运维服务器上的共享交换日志副本和数据库备份（2 块硬盘）", method=DestructionMethod.OVERWRITE,
        method_detail="按 GB/T 31500 三次覆写后校验", destroyed_on=dt.date(2027, 4, 2), witnessed_by="省大数据中心 李四",
        statement="本公司承诺已不可逆删除全部政务数据副本，未留存、未向他人提供。", statement_signed_by="蜀云运维 法定代表人 赵六",
    )  # fmt: skip


def test_the_job_ends_the_contract_and_every_credential_and_is_idempotent(
    ctx: Ctx, world: World, clock: FixedClock
) -> None:
    c = contract(ctx, world)
    user_id = staff(ctx, world, c)
    user = authenticate(ctx, "yunwei1", STAFF_PASSWORD).user
    assert user is not None
    _t, plain = create_api_token(ctx, providers.org_service.actor_for(user), "运维脚本", 3650)
    open_web_session(ctx, user, 3600)
    ctx.session.commit()
    assert providers.end_contracts(ctx) == 0  # still in force
    clock.set(dt.datetime(2027, 3, 31, 23, 59, tzinfo=CHINA_TZ))
    assert providers.end_contracts(ctx) == 0 and resolve_api_token(ctx, plain).username == "yunwei1"
    # Past the end date, before the job: login and the token already refuse.
    clock.set(dt.datetime(2027, 4, 1, 0, 1, tzinfo=CHINA_TZ))
    assert authenticate(ctx, "yunwei1", STAFF_PASSWORD).user is None
    with pytest.raises(Unauthenticated, match="合同到期"):
        resolve_api_token(ctx, plain)
    assert providers.end_contracts(ctx) == 1
    ctx.session.commit()
    ctx.session.refresh(c)
    assert c.state == ContractState.ENDED and "合同期满" in (c.end_reason or "")
    assert (
        ctx.session.execute(
            select(func.count()).select_from(WebSession).where(WebSession.user_id == user_id)
        ).scalar_one()
        == 0
    )
    assert (
        ctx.session.execute(select(ApiToken.revoked_at).where(ApiToken.user_id == user_id)).scalar_one()
        is not None
    )
    events = ctx.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    assert providers.end_contracts(ctx) == 0  # a second run changes nothing
    ctx.session.commit()
    assert ctx.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one() == events
    # Destruction closes it.
    clock.set(dt.datetime(2027, 4, 3, 9, 0, tzinfo=CHINA_TZ))
    providers.record_destruction(ctx, world.actor("admin"), c.id, _destruction())
    ctx.session.refresh(c)
    assert c.state == ContractState.CLOSED
    with pytest.raises(InvalidTransition, match="已关闭"):
        providers.record_destruction(ctx, world.actor("admin"), c.id, _destruction())


def test_ending_early_stops_the_accounts_at_once(ctx: Ctx, world: World) -> None:
    c = contract(ctx, world)
    staff(ctx, world, c)
    user = authenticate(ctx, "yunwei1", STAFF_PASSWORD).user
    assert user is not None
    _t, plain = create_api_token(ctx, providers.org_service.actor_for(user), "脚本", 30)
    providers.end_contract(
        ctx, world.actor("admin"), c.id, providers.EndIn(reason="服务单位违反保密协议，提前解除")
    )
    ctx.session.commit()
    assert authenticate(ctx, "yunwei1", STAFF_PASSWORD).user is None
    with pytest.raises(Unauthenticated):
        resolve_api_token(ctx, plain)
    with pytest.raises(InvalidTransition, match="不能再开设账号"):
        staff(ctx, world, c, "yunwei2")
    board = providers.overview(ctx, world.actor("admin"))
    assert [x.id for x in board.pending_destruction] == [c.id]


def test_an_extension_moves_the_contract_and_its_accounts_only_before_the_end(
    ctx: Ctx, world: World, clock: FixedClock
) -> None:
    c = contract(ctx, world, end=dt.date(2026, 12, 31))
    late = contract(ctx, world, end=dt.date(2027, 1, 1), number="HT-2026-002", n=2)
    staff(ctx, world, c)
    admin = world.actor("admin")

    def extend(contract_id: int, end: dt.date, basis: str = "补充协议 HT-2026-001-B1") -> ProviderContract:
        return providers.extend_contract(
            ctx, admin, contract_id, providers.ExtendIn(end_date=end, basis=basis)
        )

    with pytest.raises(InvalidInput, match="须晚于原终止日期 2026-12-31"):
        extend(c.id, dt.date(2026, 12, 1))
    extend(c.id, dt.date(2027, 6, 30))
    ctx.session.commit()
    assert c.end_date == dt.date(2027, 6, 30)
    clock.set(dt.datetime(2027, 1, 5, 10, 0, tzinfo=CHINA_TZ))  # past the old end: the account still works
    user = authenticate(ctx, "yunwei1", STAFF_PASSWORD).user
    assert user is not None and user.account_end_date == dt.date(2027, 6, 30)
    (x,) = providers.extensions_of(ctx, c.id)
    assert (x.old, x.new, x.basis) == ("2026-12-31", "2027-06-30", "补充协议 HT-2026-001-B1")
    with pytest.raises(InvalidTransition, match="已于 2027-01-01 到期"):
        extend(late.id, dt.date(2027, 3, 1))  # its end has passed, even before the job ran
    assert providers.end_contracts(ctx) == 1  # the late one; the extended one goes on
    assert c.state == ContractState.ACTIVE
    providers.end_contract(ctx, admin, c.id, providers.EndIn(reason="项目提前结束"))
    with pytest.raises(InvalidTransition, match="合同已终止"):
        extend(c.id, dt.date(2027, 9, 1))


def test_the_pages_register_a_contract_and_open_an_account(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    login(client, "admin")
    token = CSRF.search(client.get("/providers").text).group(1)  # type: ignore[union-attr]
    bad = client.post("/providers", data={"csrf_token": token, "name": "蜀云", "uscc": "123"})
    assert bad.status_code == 422 and "统一社会信用代码" in bad.text and 'value="蜀云"' in bad.text
    done = client.post("/providers", data={"csrf_token": token, "name": "蜀云运维有限公司", "uscc": org_code(7)},
                       follow_redirects=True)  # fmt: skip
    assert "已登记技术服务单位" in done.text
    provider_id = re.search(r'<option value="(\d+)"', done.text).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "provider_id": provider_id, "number": "HT-9", "scope": "平台运维",
            "start_date": "2026-11-01", "end_date": "2026-12-10"}  # fmt: skip
    page = client.post("/providers/contracts", data=form, follow_redirects=True)
    assert "合同 HT-9 已登记" in page.text and "须先记录安全审查" in page.text
    path = str(page.url.path)
    refused = client.post(f"{path}/clearance", data={"csrf_token": token, "security_review_on": "2026-11-02"})
    assert refused.status_code == 422
    client.post(f"{path}/clearance", data={"csrf_token": token, "security_review_on": "2026-11-02",
                                           "security_review_by": "省网信办", "confidentiality_signed_on": "2026-11-03"})  # fmt: skip
    page = client.post(f"{path}/accounts", data={"csrf_token": token, "username": "yw9", "display_name": "张工",
                                                 "password": STAFF_PASSWORD}, follow_redirects=True)  # fmt: skip
    assert "已开设账号 yw9，有效至 2026-12-10" in page.text
    overview = client.get("/providers").text
    assert "HT-9" in overview and "30 天内到期的合同" in overview
    bad = client.post(
        f"{path}/extend", data={"csrf_token": token, "end_date": "2026-12-01", "basis": "补充协议"}
    )
    assert (
        bad.status_code == 422
        and "须晚于原终止日期 2026-12-10" in bad.text
        and 'value="补充协议"' in bad.text
    )
    page = client.post(f"{path}/extend", data={"csrf_token": token, "end_date": "2027-03-31", "basis": "补充协议 B1"},
                       follow_redirects=True)  # fmt: skip
    assert "合同已续期至 2027-03-31" in page.text and "2026-12-10 → 2027-03-31（补充协议 B1）" in page.text
    assert "<td>yw9</td><td>张工</td><td>2027-03-31</td>" in page.text
    page = client.post(f"{path}/end", data={"csrf_token": token, "reason": "项目结束"}, follow_redirects=True)
    assert "合同已终止" in page.text and "记录数据销毁" in page.text
    login(client, "gongan_officer")
    assert client.get("/providers").status_code == 403


def test_the_demo_shows_a_current_a_closed_and_a_pending_contract(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    from govdata.authz import system_actor
    from govdata.demo.providers import load_demo_providers
    from govdata.org.models import Role
    from govdata.org.service import NewUser, create_user
    from tests.world import PASSWORD

    create_user(ctx, system_actor("test"), NewUser("prov_admin", "王建国", Role.AUTHORITY_ADMIN, PASSWORD,
                                                   org_id=world.orgs["prov_auth"].id))  # fmt: skip
    load_demo_providers(ctx)
    ctx.session.commit()
    board = providers.overview(ctx, world.actor("admin"))
    assert [c.number for c in board.current] == ["SCDSJ-YW-2025-018"]
    assert [c.number for c in board.closed] == ["SCDSJ-KF-2025-004"]
    assert [c.number for c in board.pending_destruction] == ["SCDSJ-AQ-2026-011"]
    assert authenticate(ctx, "yunwei_dev", "Demo2026!yunwei").user is None
    ctx.session.commit()
    login(client, "prov_admin")
    overview = client.get("/providers").text
    for number in ("SCDSJ-YW-2025-018", "SCDSJ-KF-2025-004", "SCDSJ-AQ-2026-011"):
        assert number in overview
    closed = board.closed[0].id
    page = client.get(f"/providers/contracts/{closed}").text
    assert "数据销毁记录" in page and "刘洋" in page and "已停用" in page
