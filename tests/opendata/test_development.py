"""Authorised development (DEV-2): apply, provider consent for not-open data, assess, grant, sign, end."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.opendata import agreements, development
from govdata.opendata.development import ConsentIn, DevApplyIn, EndIn, RefuseIn
from govdata.opendata.models import AgreementKind, DevQualification, DevState
from govdata.opendata.service import suspend_listing
from govdata.org.service import create_api_token
from tests.http import helpers as h
from tests.http.open_feedback_cases import grant_terms, listing, org_code, portal_user
from tests.http.test_catalog_pages import csrf, login, text
from tests.world import World


def _apply(ctx: Ctx, world: World, *listing_ids: int) -> tuple[development.DevQualification, object]:
    org = portal_user(ctx, "shuju_co", 7, organisation=True)
    data = DevApplyIn(
        purpose="开发人口结构分析产品，服务城市规划",
        capability="数据分析团队 20 人，具备等保三级机房",
        security="专网隔离，最小权限，全程审计，数据不出域",
        listing_ids=list(listing_ids) or [listing(ctx, world).id],
    )
    return development.apply(ctx, org, data), org


def test_only_organisation_accounts_apply(ctx: Ctx, world: World) -> None:
    data = DevApplyIn(
        purpose="开发应用产品",
        capability="团队完备",
        security="数据不出域",
        listing_ids=[listing(ctx, world).id],
    )
    for who in ("citizen", "gongan_officer", "reviewer"):
        with pytest.raises(Forbidden, match="法人或其他组织"):
            development.apply(ctx, world.actor(who), data)
    with pytest.raises(Forbidden):
        development.apply(ctx, world.actor("vendor_staff"), data)
    org = portal_user(ctx, "orgacct", 8, organisation=True)
    with pytest.raises(InvalidInput, match="999999"):
        development.apply(ctx, org, data.model_copy(update={"listing_ids": [999999]}))
    with pytest.raises(ValidationError):
        DevApplyIn(purpose="开发应用产品", capability="团队完备", security="数据不出域", listing_ids=[])


def test_grant_sign_and_end(ctx: Ctx, world: World, clock: FixedClock) -> None:
    dev, org = _apply(ctx, world)
    assert dev.state == DevState.PENDING and dev.region_path == world.regions["province"].path
    assert [d.id for d in development.my_applications(ctx, org)] == [dev.id]  # type: ignore[arg-type]
    assert [d.id for d in development.queue(ctx, world.actor("reviewer"))] == [dev.id]
    assert development.queue(ctx, world.actor("city_reviewer")) == []
    with pytest.raises(NotFound):
        development.grant(ctx, world.actor("city_reviewer"), dev.id, grant_terms())
    with pytest.raises(Forbidden):
        development.grant(ctx, world.actor("gongan_officer"), dev.id, grant_terms())
    with pytest.raises(InvalidInput, match="晚于今天"):
        development.grant(
            ctx, world.actor("reviewer"), dev.id, grant_terms(valid_until=dt.date(2026, 11, 20))
        )
    with pytest.raises(ValidationError):
        grant_terms(assessment="")
    with pytest.raises(InvalidTransition, match="授权后"):
        development.agreement_text(ctx, dev)
    development.grant(ctx, world.actor("reviewer"), dev.id, grant_terms())
    assert dev.state == DevState.GRANTED and dev.valid_until == dt.date(2027, 12, 31)
    text = development.agreement_text(ctx, dev)
    for term in (
        "四川省大数据中心",
        "仅用于人口结构统计分析产品",
        "2027-12-31",
        "销毁",
        "按数据贡献",
        "户籍人口基本信息",
    ):
        assert term in text
    with pytest.raises(Forbidden, match="申请单位"):
        development.sign(ctx, world.actor("reviewer"), dev.id)
    signed = development.sign(ctx, org, dev.id)  # type: ignore[arg-type]
    assert dev.state == DevState.ACTIVE and signed.kind == AgreementKind.DEVELOPMENT
    assert signed.development_id == dev.id and agreements.verify(signed) and signed.text == text
    assert signed.signer_subject_id and len(signed.signer_subject_id) == 18
    with pytest.raises(InvalidTransition):
        development.sign(ctx, org, dev.id)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="提前终止须写明理由"):
        development.end(ctx, world.actor("reviewer"), dev.id, EndIn(disposal_record="已销毁全部数据"))
    clock.set(dt.datetime(2028, 1, 3, 9, 0, tzinfo=CHINA_TZ))
    development.end(
        ctx, world.actor("reviewer"), dev.id, EndIn(disposal_record="原始数据已销毁，提交销毁证明")
    )
    assert dev.state == DevState.ENDED and dev.disposal_record == "原始数据已销毁，提交销毁证明"


def test_early_end_is_a_revocation_with_its_reason(ctx: Ctx, world: World) -> None:
    dev, org = _apply(ctx, world)
    development.grant(ctx, world.actor("admin"), dev.id, grant_terms())
    development.sign(ctx, org, dev.id)  # type: ignore[arg-type]
    development.end(
        ctx, world.actor("admin"), dev.id, EndIn(disposal_record="数据已返还", early_reason="超范围使用数据")
    )
    assert dev.state == DevState.ENDED and "超范围使用数据" in (dev.disposal_record or "")


def test_refuse_needs_an_assessment(ctx: Ctx, world: World) -> None:
    dev, _org = _apply(ctx, world)
    with pytest.raises(ValidationError):
        RefuseIn(assessment="")
    development.refuse(ctx, world.actor("reviewer"), dev.id, RefuseIn(assessment="安全措施不足，不予授权"))
    assert dev.state == DevState.REFUSED and dev.assessment == "安全措施不足，不予授权"
    with pytest.raises(InvalidTransition):
        development.grant(ctx, world.actor("reviewer"), dev.id, grant_terms())


def test_not_open_data_needs_the_providers_consent(ctx: Ctx, world: World) -> None:
    none = listing(ctx, world, "none")
    dev, org = _apply(ctx, world, none.id)
    assert [li.id for li in development.needs_consent(ctx, dev)] == [none.id]
    assert [d.id for d in development.consent_requests(ctx, world.actor("gongan_officer"))] == [dev.id]
    assert development.consent_requests(ctx, world.actor("minzheng_officer")) == []
    with pytest.raises(InvalidInput, match="尚未同意"):
        development.grant(ctx, world.actor("reviewer"), dev.id, grant_terms())
    with pytest.raises(NotFound):
        development.consent(
            ctx,
            world.actor("minzheng_officer"),
            dev.id,
            ConsentIn(listing_id=none.id, agree=True, note="同意"),
        )
    with pytest.raises(InvalidInput, match="不在该授权开发申请中"):
        development.consent(
            ctx, world.actor("gongan_officer"), dev.id, ConsentIn(listing_id=999, agree=True, note="同意")
        )
    officer = world.actor("gongan_officer")
    development.consent(ctx, officer, dev.id, ConsentIn(listing_id=none.id, agree=False, note="需先评估风险"))
    with pytest.raises(InvalidInput, match="尚未同意"):
        development.grant(ctx, world.actor("reviewer"), dev.id, grant_terms())
    development.consent(
        ctx, officer, dev.id, ConsentIn(listing_id=none.id, agree=True, note="同意在安全环境中使用")
    )
    answers = development.consents(ctx, dev)
    assert answers[none.id].agree and answers[none.id].actor_name == "gongan_officer"
    development.grant(ctx, world.actor("reviewer"), dev.id, grant_terms())
    assert "同意在安全环境中使用" in development.agreement_text(ctx, dev)
    with pytest.raises(InvalidTransition):  # after the grant there is nothing to consent to
        development.consent(ctx, officer, dev.id, ConsentIn(listing_id=none.id, agree=True, note="同意"))
    development.sign(ctx, org, dev.id)  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        agreements.sign(ctx, org, AgreementKind.DEVELOPMENT, "x", "y", development_id=dev.id)  # type: ignore[arg-type]


def test_open_listings_need_no_consent_and_suspended_data_blocks_the_grant(ctx: Ctx, world: World) -> None:
    dev, _org = _apply(ctx, world)
    lid = development.listing_ids(dev)[0]
    with pytest.raises(InvalidInput, match="无需"):
        development.consent(
            ctx, world.actor("gongan_officer"), dev.id, ConsentIn(listing_id=lid, agree=True, note="同意")
        )
    suspend_listing(ctx, world.actor("reviewer"), lid, "发现风险")
    with pytest.raises(InvalidInput, match="暂停开放或撤回"):
        development.grant(ctx, world.actor("reviewer"), dev.id, grant_terms())
    assert dev.state == DevState.PENDING and dev.scope is None  # nothing half written


def test_visibility(ctx: Ctx, world: World) -> None:
    dev, org = _apply(ctx, world)
    assert development.get_dev(ctx, org, dev.id) is dev  # type: ignore[arg-type]
    assert development.get_dev(ctx, world.actor("gongan_officer"), dev.id) is dev  # provider of its data
    for who in ("citizen", "minzheng_officer", "gongan_user", "city_reviewer"):
        with pytest.raises(NotFound):
            development.get_dev(ctx, world.actor(who), dev.id)


# ---------------------------------------------------------------- pages and API


def test_development_api(client: TestClient, ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    org = portal_user(ctx, "dev_co", 9, organisation=True)
    org_token, plain = create_api_token(ctx, org, "开发", 30)
    reviewer = h.token_for(ctx, world, "reviewer")
    ctx.session.commit()
    body = {
        "purpose": "开发人口分析产品",
        "capability": "团队完备",
        "security": "数据不出域",
        "listing_ids": [lid],
    }
    for hostile in ("<script>alert(1)</script>", "x'; DROP TABLE dev_qualification; --", "a" * 20_000):
        refused = client.post(
            "/api/v1/open/development", json={**body, "purpose": hostile}, headers=h.auth(plain)
        )
        assert refused.status_code == 422 and refused.json()["error"]["message"]
    assert (
        client.post(
            "/api/v1/open/development", json={**body, "listing_ids": "x"}, headers=h.auth(plain)
        ).status_code
        == 422
    )
    assert ctx.session.scalar(select(DevQualification.id)) is None  # nothing of a refused application is kept
    resp = client.post("/api/v1/open/development", json=body, headers=h.auth(plain))
    assert resp.status_code == 201 and resp.json()["listing_ids"] == [lid]
    dev_id = resp.json()["id"]
    early = client.get(f"/api/v1/open/development/{dev_id}/agreement", headers=h.auth(plain))
    assert early.status_code == 409
    terms = grant_terms().model_dump(mode="json")
    resp = client.post(f"/api/v1/open/development/{dev_id}/grant", json=terms, headers=h.auth(reviewer))
    assert resp.status_code == 200 and resp.json()["state"] == "granted"
    text_resp = client.get(f"/api/v1/open/development/{dev_id}/agreement", headers=h.auth(plain)).json()
    assert "仅用于人口结构统计分析产品" in text_resp["text"]
    signed = client.post(f"/api/v1/open/development/{dev_id}/sign", headers=h.auth(plain))
    assert signed.status_code == 200 and signed.json()["text"] == text_resp["text"]
    assert signed.json()["signer_subject_id"] == org_code(9)
    queue = client.get("/api/v1/open/development?role=queue", headers=h.auth(reviewer)).json()
    assert [(d["id"], d["state"]) for d in queue] == [(dev_id, "active")]
    assert org_token.user_id == org.user_id


def test_development_pages(client: TestClient, ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    none = listing(ctx, world, "none")
    portal_user(ctx, "page_co", 10, organisation=True)
    ctx.session.commit()
    assert "怎样申请" in text(client.get("/open/developers"))  # public
    login(client, "citizen")
    assert "不是组织账号" in text(client.get("/open/developers"))
    client.cookies.clear()
    login(client, "page_co")
    token = csrf(client, "/open/developers")
    form = {
        "purpose": "开发人口分析产品",
        "capability": "团队完备",
        "security": "数据不出域",
        "csrf_token": token,
    }
    bad = client.post("/open/developers", data=form)
    assert bad.status_code == 422 and "至少选择一个" in text(bad) and "开发人口分析产品" in text(bad)
    done = client.post(
        "/open/developers", data={**form, "listing_ids": [str(lid), str(none.id)]}, follow_redirects=False
    )
    assert done.status_code == 303
    dev_id = int(done.headers["location"].split("/")[3].split("?")[0])
    assert "待提供部门同意" in text(client.get(f"/open/developers/{dev_id}"))

    client.cookies.clear()
    login(client, "reviewer")
    case = f"/open/manage/development/{dev_id}"
    assert f"{case}" in text(client.get("/open/manage/development"))
    token = csrf(client, case)
    grant = {**grant_terms().model_dump(mode="json"), "csrf_token": token}
    refused = client.post(case + "/grant", data=grant)
    assert (
        refused.status_code == 422
        and "尚未同意" in text(refused)
        and "仅用于人口结构统计分析产品" in text(refused)
    )

    client.cookies.clear()
    login(client, "gongan_officer")
    assert case in text(client.get("/open/manage/feedback"))
    token = csrf(client, case)
    resp = client.post(
        case + "/consent",
        data={"listing_id": str(none.id), "agree": "true", "note": "同意", "csrf_token": token},
    )
    assert "提供部门已同意" in text(resp)

    client.cookies.clear()
    login(client, "reviewer")
    token = csrf(client, case)
    resp = client.post(case + "/grant", data={**grant, "csrf_token": token})
    assert "待申请单位签署" in text(resp)

    client.cookies.clear()
    login(client, "page_co")
    token = csrf(client, f"/open/developers/{dev_id}")
    resp = client.post(f"/open/developers/{dev_id}/sign", data={"csrf_token": token})
    assert "协议生效" in text(resp) and "SM3 摘要" in text(resp)
    assert f"/open/developers/{dev_id}" in text(client.get("/open/me/requests"))

    client.cookies.clear()
    login(client, "reviewer")
    token = csrf(client, case)
    bad = client.post(case + "/end", data={"disposal_record": "已销毁全部数据", "csrf_token": token})
    assert bad.status_code == 422 and "提前终止须写明理由" in text(bad)
    resp = client.post(
        case + "/end",
        data={"disposal_record": "已销毁全部数据", "early_reason": "违反协议", "csrf_token": token},
    )
    assert "已终止" in text(resp) and "终止并记录数据处置" in text(resp)


def test_active_qualification_takes_its_conditional_listings(ctx: Ctx, world: World, clock: FixedClock) -> None:
    """DEV-2: the signed development agreement is the application for the conditional listings it names."""
    from govdata.opendata import portal
    from tests.opendata.fixtures import published_listing

    conditional = published_listing(ctx, world, "conditional")
    dev, org = _apply(ctx, world, conditional.id)
    with pytest.raises(Forbidden, match="有条件开放"):
        portal.retrieve(ctx, org, conditional.id, "download", "csv")  # type: ignore[arg-type]
    development.grant(ctx, world.actor("reviewer"), dev.id, grant_terms())
    with pytest.raises(Forbidden):  # granted, not yet signed
        portal.retrieve(ctx, org, conditional.id, "download", "csv")  # type: ignore[arg-type]
    development.sign(ctx, org, dev.id)  # type: ignore[arg-type]
    access = portal.retrieve(ctx, org, conditional.id, "download", "csv")  # type: ignore[arg-type]
    opened = [i.field_name for i in conditional.items if i.treatment.value != "remove"]
    assert access.application_id is None and sorted(access.columns.fields) == sorted(opened)
    other = portal_user(ctx, "other_co", 8, organisation=True)
    with pytest.raises(Forbidden):  # the qualification is the organisation's, not anyone's
        portal.retrieve(ctx, other, conditional.id, "download", "csv")  # type: ignore[arg-type]
    clock.set(dt.datetime(2028, 1, 3, 10, 0, tzinfo=CHINA_TZ))  # past the agreement's term (2027-12-31)
    with pytest.raises(Forbidden):
        portal.retrieve(ctx, org, conditional.id, "download", "csv")  # type: ignore[arg-type]
