"""Conditional-open applications: apply, answer in whole or part, refuse with basis, extend once, sign both texts,
then download only the approved items; withdraw, revoke, and the sweep of late answers and ended terms."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from govdata.audit.models import AuditEvent
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.opendata import agreements, applications, portal
from govdata.opendata.applications import AnswerIn, ApplicationIn, ExtendIn, RefuseIn, SignIn
from govdata.opendata.models import (
    AgreementKind,
    ApplicationState,
    OpenApplication,
    OpenListing,
    Retrieval,
)
from govdata.opendata.schemas import ReasonIn
from govdata.opendata.users import Registration, register
from govdata.org.models import SubjectKind
from tests.opendata.fixtures import published_listing
from tests.world import PASSWORD, World

ORG_USCC = "91510100MA61Q8K7XR"


def application_body(listing_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "listing_id": listing_id,
        "purpose": "开展阿坝州人口年龄结构研究",
        "items": ["name", "birth_date", "address"],
        "security_measures": "专人专机保管，内网隔离，访问留痕，研究结束后删除",
        "term_days": 90,
        "sandbox_only": False,
    }
    body.update(overrides)
    return body


def submit(
    ctx: Ctx, world: World, listing: OpenListing, who: str = "citizen", **overrides: Any
) -> OpenApplication:
    return applications.submit(
        ctx, world.actor(who), ApplicationIn.model_validate(application_body(listing.id, **overrides))
    )


def sign_both(ctx: Ctx, world: World, application_id: int, who: str = "citizen") -> OpenApplication:
    for kind in (AgreementKind.SECURITY_COMMITMENT, AgreementKind.DATA_USE):
        application = applications.sign(ctx, world.actor(who), application_id, SignIn(kind=kind, agree=True))
    return application


def active_application(
    ctx: Ctx, world: World, listing: OpenListing | None = None, who: str = "citizen", **overrides: Any
) -> OpenApplication:
    """A conditional listing, applied for, approved whole by 公安 and signed: in its term today."""
    listing = listing or published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing, who, **overrides)
    applications.approve(ctx, world.actor("gongan_officer"), application.id, AnswerIn())
    application = sign_both(ctx, world, application.id, who)
    ctx.session.commit()
    return application


def organisation(ctx: Ctx) -> Any:
    user = register(
        ctx,
        Registration(
            username="renkou_yanjiu",
            display_name="四川人口研究院有限公司",
            subject_kind=SubjectKind.ORGANISATION,
            subject_id=ORG_USCC,
            password=PASSWORD,
        ),
    )
    ctx.session.commit()
    return user


def _events(ctx: Ctx, action: str) -> list[AuditEvent]:
    return list(ctx.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_submit_sets_the_answer_due_date_in_working_days(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing)
    assert application.state == ApplicationState.PENDING
    # Friday 2026-11-20 + 10 working days (aba: 10, borrowed from WZ31) = Friday 2026-12-04.
    assert application.due_date == dt.date(2026, 12, 4)
    assert application.items == "name,birth_date,address" and application.provider_org_id == listing.org_id
    assert [s.to_state for s in application.steps] == ["pending"]
    assert "2026-12-04" in (application.steps[0].note or "")
    assert len(_events(ctx, "open.application.submit")) == 1


def test_only_identified_portal_users_apply_for_conditional_data(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    for who in ("gongan_user", "admin", "vendor_staff"):
        with pytest.raises(Forbidden):
            submit(ctx, world, listing, who)
    with pytest.raises(InvalidInput, match="不在该数据集开放的信息项中"):
        submit(ctx, world, listing, items=["name", "phone"])
    with pytest.raises(InvalidInput, match="重复"):
        submit(ctx, world, listing, items=["name", "name"])
    with pytest.raises(ValidationError):
        ApplicationIn.model_validate(application_body(listing.id, term_days=1096))
    with pytest.raises(ValidationError):
        ApplicationIn.model_validate(application_body(listing.id, items=[]))
    ctx.session.rollback()
    assert ctx.session.scalar(select(func.count()).select_from(OpenApplication)) == 0


def test_unconditional_and_removed_items_are_refused(ctx: Ctx, world: World) -> None:
    free = published_listing(ctx, world, "unconditional")
    with pytest.raises(InvalidInput, match="无条件开放"):
        submit(ctx, world, free)
    items = [{"field_name": "name", "treatment": "mask", "rule": "name"}]
    narrow = published_listing(ctx, world, "conditional", items=items)
    with pytest.raises(InvalidInput, match="id_number"):
        submit(ctx, world, narrow, items=["name", "id_number"])


def test_a_second_open_application_is_a_conflict_naming_the_first(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    first = submit(ctx, world, listing)
    with pytest.raises(Conflict, match=f"编号 {first.id}"):
        submit(ctx, world, listing)
    applications.withdraw(ctx, world.actor("citizen"), first.id)
    second = submit(ctx, world, listing)
    assert second.id != first.id and first.state == ApplicationState.WITHDRAWN


def test_partial_approval_then_both_signatures_open_only_the_approved_items(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing)
    officer = world.actor("gongan_officer")
    answer = AnswerIn(items=["birth_date", "name"], days=30, note="户籍地址不予提供：研究不需要精确地址")
    applications.approve(ctx, officer, application.id, answer)
    assert application.state == ApplicationState.APPROVED and application.due_date is None
    assert application.approved_items == "name,birth_date" and application.approved_days == 30
    assert "部分同意" in (application.steps[-1].note or "")
    citizen = world.actor("citizen")
    with pytest.raises(Forbidden, match="有条件开放"):
        portal.retrieve(ctx, citizen, listing.id, "download", "csv")

    texts = applications.texts(ctx, application)
    commitment, use = texts[AgreementKind.SECURITY_COMMITMENT], texts[AgreementKind.DATA_USE]
    for words in (commitment, use):
        for needed in (
            "citizen",
            "11010519491231002X",
            "公民身份号码",
            "户籍人口基本信息（脱敏）",
            "四川省公安厅",
            "姓名（脱敏后开放）、出生日期（泛化后开放）",
            "开展阿坝州人口年龄结构研究",
            "2026-11-20 至 2026-12-19",
            "专人专机保管",
            "数据来源",
            "获取日期",
            "重新识别",
            "第三方",
            "删除",
            applications.TEXT_VERSION,
        ):
            assert needed in words, (needed, words)
        assert "户籍地址" not in words

    applications.sign(
        ctx, citizen, application.id, SignIn(kind=AgreementKind.SECURITY_COMMITMENT, agree=True)
    )
    assert application.state == ApplicationState.APPROVED
    applications.sign(ctx, citizen, application.id, SignIn(kind=AgreementKind.DATA_USE, agree=True))
    assert application.state == ApplicationState.ACTIVE
    assert (application.access_from, application.access_until) == (
        dt.date(2026, 11, 20),
        dt.date(2026, 12, 19),
    )
    signed = applications.signed(ctx, application.id)
    assert set(signed) == {AgreementKind.SECURITY_COMMITMENT, AgreementKind.DATA_USE}
    assert all(agreements.verify(a) for a in signed.values())
    assert signed[AgreementKind.DATA_USE].signer_subject_id == "11010519491231002X"

    access = portal.retrieve(ctx, citizen, listing.id, "download", "csv")
    assert access.columns.fields == ["name", "birth_date"] and access.application_id == application.id
    assert [s.to_state for s in application.steps] == ["pending", "approved", "approved", "active"]


def test_approval_never_widens_and_a_partial_one_says_why(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing, items=["name", "address"], term_days=60)
    officer = world.actor("gongan_officer")
    with pytest.raises(InvalidInput, match="未被申请"):
        applications.approve(
            ctx, officer, application.id, AnswerIn(items=["name", "birth_date"], note="x说明")
        )
    with pytest.raises(InvalidInput, match="不能超过申请的 60 天"):
        applications.approve(ctx, officer, application.id, AnswerIn(days=61))
    with pytest.raises(InvalidInput, match="至少同意一个信息项"):
        applications.approve(ctx, officer, application.id, AnswerIn(items=[], note="全部不同意"))
    with pytest.raises(InvalidInput, match="说明不同意部分的理由"):
        applications.approve(ctx, officer, application.id, AnswerIn(days=30))
    with pytest.raises(InvalidInput, match="说明不同意部分的理由"):
        applications.approve(ctx, officer, application.id, AnswerIn(sandbox_only=True))
    assert application.state == ApplicationState.PENDING
    applications.approve(ctx, officer, application.id, AnswerIn(sandbox_only=True, note="只提供可用不可见"))
    assert application.sandbox_only and application.approved_days == 60
    with pytest.raises(InvalidTransition, match="已同意"):
        applications.approve(ctx, officer, application.id, AnswerIn())


def test_refusal_needs_reason_and_basis(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing)
    with pytest.raises(ValidationError):
        RefuseIn.model_validate({"reason": "用途与开放条件不符"})
    with pytest.raises(ValidationError):
        RefuseIn.model_validate({"reason": "用途与开放条件不符", "basis": " "})
    applications.refuse(
        ctx,
        world.actor("gongan_officer"),
        application.id,
        RefuseIn(reason="用途与开放条件不符", basis="《中华人民共和国个人信息保护法》第二十八条"),
    )
    assert application.state == ApplicationState.REFUSED and application.answer_basis
    assert "个人信息保护法" in (application.steps[-1].note or "")
    assert len(_events(ctx, "open.application.refuse")) == 1


def test_only_the_provider_answers_and_outsiders_do_not_see_it(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing)
    for who in ("minzheng_officer", "gongan_user", "auditor"):
        with pytest.raises(NotFound):
            applications.get_application(ctx, world.actor(who), application.id)
    with pytest.raises(Forbidden):
        applications.get_application(ctx, world.actor("vendor_staff"), application.id)
    for who in ("reviewer", "citizen"):
        applications.get_application(ctx, world.actor(who), application.id)  # may see it …
        with pytest.raises(Forbidden):  # … but not answer it
            applications.approve(ctx, world.actor(who), application.id, AnswerIn())
    with pytest.raises(NotFound):  # the city authority supervises 阿坝州, not the province's 公安厅
        applications.get_application(ctx, world.actor("city_reviewer"), application.id)
    with pytest.raises(Forbidden):
        applications.withdraw(ctx, world.actor("gongan_officer"), application.id)


def test_the_answer_is_extended_once_before_the_due_date_with_the_heads_approval(
    ctx: Ctx, world: World, clock: FixedClock
) -> None:
    listing = published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing)
    officer = world.actor("gongan_officer")
    with pytest.raises(InvalidInput, match="主要负责人同意"):
        applications.extend(ctx, officer, application.id, ExtendIn(days=5, reason="需核实申请人资质"))
    with pytest.raises(InvalidInput, match="最多可延长 10 个工作日"):
        applications.extend(
            ctx, officer, application.id, ExtendIn(days=11, reason="需核实申请人资质", head_approved=True)
        )
    with pytest.raises(Forbidden):
        applications.extend(
            ctx,
            world.actor("citizen"),
            application.id,
            ExtendIn(days=5, reason="自行延期", head_approved=True),
        )
    applications.extend(
        ctx, officer, application.id, ExtendIn(days=5, reason="需核实申请人资质", head_approved=True)
    )
    assert application.due_date == dt.date(2026, 12, 11) and application.extended_at is not None
    assert "主要负责人同意" in (application.extension_reason or "")
    step = application.steps[-1]
    assert (step.from_state, step.to_state) == ("pending", "pending") and "2026-12-11" in (step.note or "")
    with pytest.raises(Conflict, match="只能延长一次"):
        applications.extend(
            ctx, officer, application.id, ExtendIn(days=1, reason="再次延期", head_approved=True)
        )

    late = submit(ctx, world, published_listing(ctx, world, "conditional"))
    clock.set(dt.datetime(2026, 12, 7, 9, 0, tzinfo=CHINA_TZ))  # after its due date of 2026-12-04
    with pytest.raises(InvalidInput, match="已过"):
        applications.extend(ctx, officer, late.id, ExtendIn(days=5, reason="来不及", head_approved=True))


def test_signing_needs_the_tick_the_same_text_and_an_approved_application(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing)
    citizen = world.actor("citizen")
    kind = AgreementKind.SECURITY_COMMITMENT
    with pytest.raises(InvalidTransition, match="待答复"):
        applications.sign(ctx, citizen, application.id, SignIn(kind=kind, agree=True))
    applications.approve(ctx, world.actor("gongan_officer"), application.id, AnswerIn())
    with pytest.raises(InvalidInput, match="我已阅读并同意"):
        applications.sign(ctx, citizen, application.id, SignIn(kind=kind, agree=False))
    with pytest.raises(Conflict, match="重新阅读"):
        applications.sign(ctx, citizen, application.id, SignIn(kind=kind, agree=True, text_sm3="0" * 64))
    with pytest.raises(InvalidInput, match="只签署"):
        applications.sign(ctx, citizen, application.id, SignIn(kind=AgreementKind.DEVELOPMENT, agree=True))
    with pytest.raises(Forbidden, match="申请人本人"):
        applications.sign(ctx, world.actor("gongan_officer"), application.id, SignIn(kind=kind, agree=True))
    from govdata.audit.service import sm3_hex

    digest = sm3_hex(applications.agreement_text(ctx, application, kind).encode("utf-8"))
    applications.sign(ctx, citizen, application.id, SignIn(kind=kind, agree=True, text_sm3=digest))
    with pytest.raises(Conflict, match="无需重复签署"):
        applications.sign(ctx, citizen, application.id, SignIn(kind=kind, agree=True))


def test_withdraw_revoke_and_the_download_rule(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    citizen = world.actor("citizen")
    application = active_application(ctx, world, listing)
    with pytest.raises(InvalidTransition):
        applications.withdraw(ctx, citizen, application.id)
    portal.retrieve(ctx, citizen, listing.id, "download", "csv")
    with pytest.raises(Forbidden):
        applications.revoke(ctx, world.actor("reviewer"), application.id, ReasonIn(reason="越权终止"))
    applications.revoke(ctx, world.actor("gongan_officer"), application.id, ReasonIn(reason="发现超范围使用"))
    assert application.state == ApplicationState.ENDED
    assert "发现超范围使用" in (application.steps[-1].note or "")
    with pytest.raises(Forbidden):
        portal.retrieve(ctx, citizen, listing.id, "download", "csv")
    again = submit(ctx, world, listing)  # an ended application no longer blocks a new one
    assert again.state == ApplicationState.PENDING


def test_a_sandbox_only_application_never_downloads(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    application = active_application(ctx, world, listing, sandbox_only=True)
    assert application.state == ApplicationState.ACTIVE and application.sandbox_only
    assert (
        "仅在开放平台“可用不可见”沙箱中"
        in applications.signed(ctx, application.id)[AgreementKind.DATA_USE].text
    )
    with pytest.raises(Forbidden):
        portal.retrieve(ctx, world.actor("citizen"), listing.id, "download", "csv")
    assert ctx.session.scalar(select(func.count()).select_from(Retrieval)) == 0


def test_sweep_flags_late_answers_once_and_ends_terms(ctx: Ctx, world: World, clock: FixedClock) -> None:
    listing = published_listing(ctx, world, "conditional")
    pending = submit(ctx, world, listing)
    other = published_listing(ctx, world, "conditional")
    short = active_application(ctx, world, other, term_days=3)
    assert short.access_until == dt.date(2026, 11, 22)
    ctx.session.commit()
    assert applications.sweep(ctx) == applications.SweepResult(flagged=[], ended=[])
    clock.set(dt.datetime(2026, 12, 7, 9, 0, tzinfo=CHINA_TZ))
    assert applications.shown_state(short, clock.today()) == "已到期"
    done = applications.sweep(ctx)
    assert [a.id for a in done.flagged] == [pending.id] and [a.id for a in done.ended] == [short.id]
    assert pending.state == ApplicationState.PENDING and pending.overdue_flagged_at is not None
    assert short.state == ApplicationState.ENDED
    late = _events(ctx, "open.application.overdue")
    assert len(late) == 1 and late[0].outcome == "possible_violation"
    assert applications.sweep(ctx) == applications.SweepResult(flagged=[], ended=[])
    with pytest.raises(Forbidden):
        applications.sweep(ctx, world.actor("gongan_officer"))


def test_lists_for_applicant_provider_and_authority(ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing)
    mine = applications.list_applications(ctx, world.actor("citizen"), "mine")
    assert [r.application.id for r in mine] == [application.id]
    assert mine[0].due is not None and "2026-12-04" in mine[0].due.label
    inbox = applications.list_applications(ctx, world.actor("gongan_officer"), "inbox")
    assert [r.application.id for r in inbox] == [application.id]
    assert applications.list_applications(ctx, world.actor("minzheng_officer"), "inbox") == []
    assert len(applications.list_applications(ctx, world.actor("reviewer"), "jurisdiction")) == 1
    assert applications.list_applications(ctx, world.actor("city_reviewer"), "jurisdiction") == []
    with pytest.raises(Forbidden):
        applications.list_applications(ctx, world.actor("citizen"), "inbox")
    with pytest.raises(InvalidInput):
        applications.list_applications(ctx, world.actor("citizen"), "everything")
    assert applications.default_scope(world.actor("gongan_officer")) == "inbox"
    assert applications.default_scope(world.actor("reviewer")) == "jurisdiction"
    assert applications.default_scope(world.actor("citizen")) == "mine"


def test_an_organisation_signs_with_its_uscc(ctx: Ctx, world: World) -> None:
    from govdata.org.service import actor_for

    org = organisation(ctx)
    listing = published_listing(ctx, world, "conditional")
    actor = actor_for(org)
    application = applications.submit(ctx, actor, ApplicationIn.model_validate(application_body(listing.id)))
    applications.approve(ctx, world.actor("gongan_officer"), application.id, AnswerIn())
    text = applications.agreement_text(ctx, application, AgreementKind.DATA_USE)
    assert f"统一社会信用代码：{ORG_USCC}" in text and "四川人口研究院有限公司" in text


def test_a_suspended_user_can_neither_apply_nor_sign(ctx: Ctx, world: World) -> None:
    from govdata.opendata.users import suspend_user

    listing = published_listing(ctx, world, "conditional")
    application = submit(ctx, world, listing)
    applications.approve(ctx, world.actor("gongan_officer"), application.id, AnswerIn())
    suspend_user(ctx, world.actor("reviewer"), world.users["citizen"].id, "违规向第三方提供数据")
    kind = AgreementKind.SECURITY_COMMITMENT
    with pytest.raises(Forbidden, match="已被暂停"):
        applications.sign(ctx, world.actor("citizen"), application.id, SignIn(kind=kind, agree=True))
    with pytest.raises(Forbidden, match="已被暂停"):
        submit(ctx, world, published_listing(ctx, world, "conditional"))


def test_open_sweep_command(tmp_path: Path) -> None:
    """`govdata open sweep` on a fresh deployment: nothing to do, and says so."""
    import os

    env = {
        **os.environ,
        "GOVDATA_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "GOVDATA_ARGON2_TIME_COST": "1",
        "GOVDATA_ARGON2_MEMORY_KIB": "64",
    }
    command = [sys.executable, "-m", "govdata"]
    init = subprocess.run([*command, "init", "--profile", "aba"], env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    done = subprocess.run([*command, "open", "sweep"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "没有新逾期或到期的开放事项" in done.stdout


# ---------------------------------------------------------------- pages and API


def _token(client: Any, path: str) -> str:
    from tests.http.test_catalog_pages import CSRF

    found = CSRF.search(client.get(path).text)
    assert found, path
    return found.group(1)


def test_pages_apply_answer_sign_and_use(client: Any, ctx: Ctx, world: World) -> None:
    import html
    import re

    from tests.http.test_catalog_pages import login

    listing = published_listing(ctx, world, "conditional")
    login(client, "citizen")
    page = client.get(f"/open/datasets/{listing.id}/apply")
    shown = html.unescape(page.text)
    assert page.status_code == 200
    assert "10 个工作日" in shown and "2026-12-04" in shown and "最多 10 个工作日" in shown
    assert "经数据提供单位主要负责人同意" in shown and "《数据安全承诺书》" in shown
    token = _token(client, f"/open/datasets/{listing.id}/apply")
    form = {"csrf_token": token, "items": ["name", "address"], "purpose": "", "term_days": "30",
            "security_measures": "专人专机保管，期满删除"}  # fmt: skip
    refused = client.post(f"/open/datasets/{listing.id}/apply", data=form, follow_redirects=False)
    assert refused.status_code == 422
    assert "使用用途" in html.unescape(refused.text) and "专人专机保管，期满删除" in html.unescape(
        refused.text
    )
    assert ctx.session.scalar(select(func.count()).select_from(OpenApplication)) == 0
    form["purpose"] = "人口研究"
    done = client.post(f"/open/datasets/{listing.id}/apply", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text[:300]
    path = done.headers["location"].split("?")[0]
    application_id = int(path.rsplit("/", 1)[1])
    assert "2026-12-04" in html.unescape(client.get(done.headers["location"]).text)

    client.cookies.clear()
    login(client, "gongan_officer")
    inbox = html.unescape(client.get("/open/manage/applications").text)
    assert "还剩 10 个工作日（2026-12-04 截止）" in inbox and "人口研究" in inbox
    token = _token(client, path)
    partial = {"csrf_token": token, "mode": "partial", "items": ["name"], "days": "20", "note": ""}
    failed = client.post(f"{path}/approve", data=partial, follow_redirects=False)
    assert failed.status_code == 422 and "说明不同意部分的理由" in html.unescape(failed.text)
    partial["note"] = "户籍地址不予提供"
    assert client.post(f"{path}/approve", data=partial, follow_redirects=False).status_code == 303

    client.cookies.clear()
    login(client, "citizen")
    detail = client.get(path).text
    assert "我已阅读并同意" in detail and "户籍地址不予提供" in html.unescape(detail)
    for kind in ("security_commitment", "data_use"):
        page = client.get(path).text
        digest = re.search(rf'id="sign-{kind}".*?name="text_sm3" value="([0-9a-f]{{64}})"', page, re.S)
        assert digest, kind
        data = {"csrf_token": _token(client, path), "kind": kind, "text_sm3": digest.group(1)}
        unticked = client.post(f"{path}/sign", data=data, follow_redirects=False)
        assert unticked.status_code == 422 and "我已阅读并同意" in html.unescape(unticked.text)
        signed = client.post(f"{path}/sign", data={**data, "agree": "1"}, follow_redirects=False)
        assert signed.status_code == 303, signed.text[:300]
    active = html.unescape(client.get(path).text)
    assert "使用中" in active and "2026-11-20 至 2026-12-09" in active
    assert f'class="button download-csv" href="/open/datasets/{listing.id}/download/csv"' in active
    assert f"/open/applications/{application_id}/sandbox" in active
    sandbox_page = client.get(f"{path}/sandbox")
    assert sandbox_page.status_code == 200 and "k = 10" in html.unescape(sandbox_page.text)
    ran = client.post(
        f"{path}/sandbox",
        data={"csrf_token": _token(client, f"{path}/sandbox"), "sql": "SELECT COUNT(*) FROM data"},
    )
    assert ran.status_code == 200 and "<strong>1</strong> 个分组的记录数少于 10" in ran.text
    bad = client.post(
        f"{path}/sandbox",
        data={"csrf_token": _token(client, f"{path}/sandbox"), "sql": "SELECT MIN(name) FROM data"},
    )
    assert bad.status_code == 422 and "MIN / MAX" in html.unescape(bad.text)
    assert "SELECT MIN(name) FROM data" in html.unescape(bad.text)  # what was typed is shown again


def test_api_apply_answer_sign_and_sandbox(client: Any, ctx: Ctx, world: World) -> None:
    from govdata.opendata.models import SandboxQuery
    from tests.http import helpers as h

    listing = published_listing(ctx, world, "conditional")
    citizen = h.auth(h.token_for(ctx, world, "citizen"))
    officer = h.auth(h.token_for(ctx, world, "gongan_officer"))
    ctx.session.commit()
    made = client.post("/api/v1/open/applications", json=application_body(listing.id), headers=citizen)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (
        body["state"] == "pending"
        and body["due_date"] == "2026-12-04"
        and "还剩 10 个工作日" in body["due_label"]
    )
    app_id = body["id"]
    again = client.post("/api/v1/open/applications", json=application_body(listing.id), headers=citizen)
    assert again.status_code == 409 and f"编号 {app_id}" in again.json()["error"]["message"]
    refuse = client.post(
        f"/api/v1/open/applications/{app_id}/refuse", json={"reason": "不符合条件"}, headers=officer
    )
    assert refuse.status_code == 422
    approved = client.post(
        f"/api/v1/open/applications/{app_id}/approve",
        json={"items": ["name"], "note": "只提供姓名"},
        headers=officer,
    )
    assert approved.status_code == 200 and approved.json()["approved_items"] == ["name"]
    texts = client.get(f"/api/v1/open/applications/{app_id}/texts", headers=citizen).json()
    assert [t["kind"] for t in texts] == ["security_commitment", "data_use"]
    for t in texts:
        signed = client.post(
            f"/api/v1/open/applications/{app_id}/sign",
            json={"kind": t["kind"], "agree": True, "text_sm3": t["text_sm3"]},
            headers=citizen,
        )
        assert signed.status_code == 200, signed.text
    shown = signed.json()
    assert shown["state"] == "active" and shown["access_until"] == "2027-02-17"
    assert [a["intact"] for a in shown["agreements"]] == [True, True]
    plain = {**citizen, "Content-Type": "text/plain"}
    answered = client.post(
        f"/api/v1/open/applications/{app_id}/sandbox", content="SELECT COUNT(*) FROM data", headers=plain
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["groups_suppressed"] == 1 and answered.json()["rows"] == []
    refused = client.post(
        f"/api/v1/open/applications/{app_id}/sandbox",
        content="SELECT COUNT(*) FROM data; DROP TABLE data",
        headers=plain,
    )
    assert refused.status_code == 422 and "一条查询语句" in refused.json()["error"]["message"]
    assert refused.json()["error"]["code"] == "sandbox_refused"
    history = client.get(f"/api/v1/open/applications/{app_id}/sandbox", headers=officer).json()
    assert [q["outcome"] for q in history] == ["refused", "answered"]
    ctx.session.expire_all()
    assert ctx.session.scalar(select(func.count()).select_from(SandboxQuery)) == 2
    mine = client.get("/api/v1/open/applications", headers=citizen).json()
    assert [a["id"] for a in mine] == [app_id]
    revoked = client.post(
        f"/api/v1/open/applications/{app_id}/revoke", json={"reason": "超范围使用"}, headers=officer
    )
    assert revoked.status_code == 200 and revoked.json()["state"] == "ended"
