"""Withdrawal requests (OPEN-5): verify at once, suspend, withdraw / re-process / reject, appeal and review."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import func, select

from govdata.audit.models import AuditEvent
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.opendata import portal, search, service, withdrawals
from govdata.opendata.models import ListingState, WithdrawalRequest, WithdrawalState
from govdata.opendata.users import suspend_user
from govdata.opendata.withdrawals import DecisionIn, NoteIn, ReviewDecisionIn, WithdrawalIn
from tests.http import helpers as h
from tests.http.open_feedback_cases import listing, portal_user
from tests.http.test_catalog_pages import csrf, login, text
from tests.world import World

REASON = "该数据集中的地址和出生年份可识别到本人，侵犯个人隐私"


def _submit(ctx: Ctx, world: World, who: str = "citizen") -> withdrawals.WithdrawalRequest:
    return withdrawals.submit(
        ctx, world.actor(who), WithdrawalIn(listing_id=listing(ctx, world).id, reason=REASON)
    )


def _decide(ctx: Ctx, world: World, request_id: int, decision: str) -> withdrawals.WithdrawalRequest:
    data = DecisionIn.model_validate({"decision": decision, "note": "经核实作出处理"})
    return withdrawals.decide(ctx, world.actor("gongan_officer"), request_id, data)


def _events(ctx: Ctx, request_id: int) -> list[str]:
    rows = ctx.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "open_withdrawal", AuditEvent.object_id == str(request_id))
        .order_by(AuditEvent.seq)
    )
    return list(rows)


def test_submit_is_verified_the_same_day_and_not_twice(ctx: Ctx, world: World) -> None:
    request = _submit(ctx, world)
    assert request.state == WithdrawalState.RECEIVED and not request.suspended
    assert withdrawals.verify_due(ctx, request) == dt.date(
        2026, 11, 20
    )  # WITHDRAWAL_VERIFY: 0 = the same day
    with pytest.raises(Conflict, match="正在处理"):
        _submit(ctx, world)
    assert [r.id for r in withdrawals.my_requests(ctx, world.actor("citizen"))] == [request.id]
    assert [r.id for r in withdrawals.inbox(ctx, world.actor("gongan_officer"))] == [request.id]
    assert withdrawals.inbox(ctx, world.actor("minzheng_officer")) == []
    assert _events(ctx, request.id) == ["open.withdrawal.submit"]


def test_who_may_file_and_on_what(ctx: Ctx, world: World) -> None:
    with pytest.raises(Forbidden):
        _submit(ctx, world, "vendor_staff")
    suspend_user(ctx, world.actor("admin"), world.users["citizen"].id, "转售数据")
    with pytest.raises(Forbidden, match="已被暂停"):
        _submit(ctx, world)
    none = listing(ctx, world, "none")
    person = portal_user(ctx, "wang", 1)
    with pytest.raises(InvalidInput, match="不予开放"):
        withdrawals.submit(ctx, person, WithdrawalIn(listing_id=none.id, reason=REASON))
    with pytest.raises(NotFound):
        withdrawals.submit(ctx, person, WithdrawalIn(listing_id=999999, reason=REASON))
    with pytest.raises(ValidationError):
        WithdrawalIn(listing_id=none.id, reason="<script>x</script>侵权")


def test_provider_suspends_at_once_and_a_rejection_restores(ctx: Ctx, world: World) -> None:
    request = _submit(ctx, world)
    with pytest.raises(NotFound):  # another department does not even learn of it
        withdrawals.suspend(ctx, world.actor("minzheng_officer"), request.id, NoteIn(note="核实"))
    with pytest.raises(Forbidden):  # the authority supervises; the provider verifies and suspends
        withdrawals.suspend(ctx, world.actor("reviewer"), request.id, NoteIn(note="核实"))
    withdrawals.suspend(ctx, world.actor("gongan_officer"), request.id, NoteIn(note="初步核实可能可识别个人"))
    assert request.suspended and request.listing.state == ListingState.SUSPENDED
    with pytest.raises(Forbidden, match="暂停开放"):
        portal.retrieve(ctx, world.actor("citizen"), request.listing_id, "download", "csv")
    with pytest.raises(Conflict):
        withdrawals.suspend(ctx, world.actor("gongan_officer"), request.id, NoteIn(note="再次"))
    _decide(ctx, world, request.id, "reject")
    assert request.state == WithdrawalState.DECIDED and request.decision == "reject"
    assert request.listing.state == ListingState.PUBLISHED  # restored: this request had suspended it
    assert request.decided_by_id == world.users["gongan_officer"].id
    with pytest.raises(InvalidTransition):
        _decide(ctx, world, request.id, "withdraw")
    assert _events(ctx, request.id) == [
        "open.withdrawal.submit",
        "open.withdrawal.suspend",
        "open.withdrawal.decide",
    ]


def test_withdraw_and_reprocess_take_the_data_out(ctx: Ctx, world: World) -> None:
    first = _submit(ctx, world)
    _decide(ctx, world, first.id, "reprocess")
    assert first.listing.state == ListingState.DRAFT  # back to drafting for de-identification
    assert search.search(ctx.session, search.Query(q="户籍")).total == 0
    ctx.session.commit()
    second = _submit(ctx, world)  # a new listing (the first is out of the portal)
    assert second.listing_id != first.listing_id
    _decide(ctx, world, second.id, "withdraw")
    assert second.listing.state == ListingState.WITHDRAWN


def test_a_note_is_required_and_a_failed_move_writes_nothing(ctx: Ctx, world: World) -> None:
    with pytest.raises(ValidationError):
        DecisionIn.model_validate({"decision": "reject", "note": ""})
    with pytest.raises(ValidationError):
        DecisionIn.model_validate({"decision": "delete", "note": "核实"})
    request = _submit(ctx, world)
    service.revise_listing(ctx, world.actor("gongan_officer"), request.listing_id, "另行修改")
    with pytest.raises(InvalidTransition):
        _decide(ctx, world, request.id, "withdraw")
    assert request.state == WithdrawalState.RECEIVED and request.decision is None


def test_appeal_and_review(ctx: Ctx, world: World) -> None:
    request = _submit(ctx, world)
    with pytest.raises(InvalidTransition):  # nothing decided yet
        withdrawals.appeal(ctx, world.actor("citizen"), request.id, NoteIn(note="不服"))
    _decide(ctx, world, request.id, "reject")
    with pytest.raises(Forbidden, match="本人"):
        withdrawals.appeal(ctx, world.actor("gongan_officer"), request.id, NoteIn(note="不服"))
    withdrawals.appeal(ctx, world.actor("citizen"), request.id, NoteIn(note="组合后仍能识别本人"))
    assert request.state == WithdrawalState.APPEALED and request.appeal_reason == "组合后仍能识别本人"
    assert [r.id for r in withdrawals.appeals(ctx, world.actor("reviewer"))] == [request.id]
    assert withdrawals.appeals(ctx, world.actor("city_reviewer")) == []
    overturn = ReviewDecisionIn(decision="overturned", note="确可识别个人，应撤回")
    with pytest.raises(NotFound):  # a city authority does not supervise a provincial listing
        withdrawals.review(ctx, world.actor("city_reviewer"), request.id, overturn)
    with pytest.raises(Forbidden):
        withdrawals.review(ctx, world.actor("gongan_officer"), request.id, overturn)
    withdrawals.review(ctx, world.actor("reviewer"), request.id, overturn)
    assert request.state == WithdrawalState.REVIEWED and request.review_decision == "overturned"
    assert request.listing.state == ListingState.WITHDRAWN  # overturning a rejection withdraws the data
    assert _events(ctx, request.id)[-2:] == ["open.withdrawal.appeal", "open.withdrawal.review"]


def test_overturning_a_withdrawal_leaves_it_withdrawn(ctx: Ctx, world: World) -> None:
    request = _submit(ctx, world)
    _decide(ctx, world, request.id, "withdraw")
    withdrawals.appeal(ctx, world.actor("citizen"), request.id, NoteIn(note="还有其他数据集也含本人信息"))
    withdrawals.review(
        ctx, world.actor("reviewer"), request.id, ReviewDecisionIn(decision="overturned", note="处理不当")
    )
    assert request.listing.state == ListingState.WITHDRAWN
    assert request.review_note == "处理不当"


def test_upholding_changes_nothing(ctx: Ctx, world: World) -> None:
    request = _submit(ctx, world)
    _decide(ctx, world, request.id, "reject")
    withdrawals.appeal(ctx, world.actor("citizen"), request.id, NoteIn(note="不服"))
    withdrawals.review(
        ctx, world.actor("admin"), request.id, ReviewDecisionIn(decision="upheld", note="处理正确")
    )
    assert request.listing.state == ListingState.PUBLISHED and request.state == WithdrawalState.REVIEWED
    with pytest.raises(InvalidTransition):
        withdrawals.appeal(ctx, world.actor("citizen"), request.id, NoteIn(note="再次"))


# ---------------------------------------------------------------- pages and API


def _listing_page(client: TestClient, listing_id: int) -> str:
    resp = client.get(f"/open/datasets/{listing_id}/feedback")
    assert resp.status_code == 200, resp.text[:300]
    return text(resp)


def test_withdrawal_through_the_pages(client: TestClient, ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    ctx.session.commit()
    assert "登录" in _listing_page(client, lid)  # anonymous: the forms need a login
    anonymous = client.post(f"/open/datasets/{lid}/withdrawals", data={"reason": "x"}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")

    login(client, "citizen")
    page = _listing_page(client, lid)
    assert "当日立即核实" in page and 'id="withdrawal-form"' in page
    token = csrf(client, f"/open/datasets/{lid}/feedback")
    short = client.post(f"/open/datasets/{lid}/withdrawals", data={"reason": "侵权", "csrf_token": token})
    assert short.status_code == 422 and "至少 5 字" in text(short) and ">侵权</textarea>" in text(short)
    assert ctx.session.scalar(select(func.count()).select_from(WithdrawalRequest)) == 0
    done = client.post(
        f"/open/datasets/{lid}/withdrawals",
        data={"reason": REASON, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    wid = int(done.headers["location"].split("/")[3].split("?")[0])
    detail = text(client.get(f"/open/withdrawals/{wid}"))
    assert "待核实处理" in detail and "今日截止" in detail and 'id="decide-form"' not in detail
    assert f"/open/withdrawals/{wid}" in text(client.get("/open/me/requests"))

    client.cookies.clear()
    login(client, "gongan_officer")
    inbox = text(client.get("/open/manage/feedback"))
    assert f"/open/withdrawals/{wid}" in inbox and "今日截止" in inbox
    token = csrf(client, f"/open/withdrawals/{wid}")
    resp = client.post(f"/open/withdrawals/{wid}/suspend", data={"note": "初步核实属实", "csrf_token": token})
    assert resp.status_code == 200 and "已暂停开放" in text(resp)  # followed the redirect
    bad = client.post(
        f"/open/withdrawals/{wid}/decide", data={"decision": "reject", "note": "", "csrf_token": token}
    )
    assert bad.status_code == 422 and "处理说明" in text(bad)
    resp = client.post(
        f"/open/withdrawals/{wid}/decide",
        data={"decision": "reject", "note": "数据已充分脱敏", "csrf_token": token},
    )
    assert "不予撤回" in text(resp) and "开放中" in text(resp)  # this request had suspended it: restored

    client.cookies.clear()
    login(client, "citizen")
    token = csrf(client, f"/open/withdrawals/{wid}")
    resp = client.post(
        f"/open/withdrawals/{wid}/appeal", data={"note": "组合后仍可识别", "csrf_token": token}
    )
    assert "复核中" in text(resp)

    client.cookies.clear()
    login(client, "reviewer")
    assert f"/open/withdrawals/{wid}" in text(client.get("/open/manage/feedback"))
    token = csrf(client, f"/open/withdrawals/{wid}")
    resp = client.post(
        f"/open/withdrawals/{wid}/review",
        data={"decision": "overturned", "note": "确可识别个人", "csrf_token": token},
    )
    page = text(resp)
    assert "撤销原处理决定" in page and "已撤回" in page
    for step in ("提交撤回申请", "核实后暂停开放", "作出处理决定", "申请复核", "作出复核决定"):
        assert step in page


def test_withdrawal_api(client: TestClient, ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    citizen, officer = h.token_for(ctx, world, "citizen"), h.token_for(ctx, world, "gongan_officer")
    ctx.session.commit()
    resp = client.post(
        "/api/v1/open/withdrawals", json={"listing_id": lid, "reason": REASON}, headers=h.auth(citizen)
    )
    assert resp.status_code == 201 and resp.json()["state"] == "received"
    wid = resp.json()["id"]
    hostile = client.post(
        "/api/v1/open/withdrawals",
        json={"listing_id": lid, "reason": "<script>alert(1)</script>"},
        headers=h.auth(citizen),
    )
    assert hostile.status_code == 422 and hostile.json()["error"]["message"]
    resp = client.post(
        f"/api/v1/open/withdrawals/{wid}/decide",
        json={"decision": "withdraw", "note": "确实可识别个人"},
        headers=h.auth(officer),
    )
    assert resp.status_code == 200 and resp.json()["decision"] == "withdraw"
    again = client.post(
        f"/api/v1/open/withdrawals/{wid}/decide",
        json={"decision": "reject", "note": "再次"},
        headers=h.auth(officer),
    )
    assert again.status_code == 409 and "不能作出处理决定" in again.json()["error"]["message"]
    mine = client.get("/api/v1/open/withdrawals", headers=h.auth(citizen)).json()
    assert [w["id"] for w in mine] == [wid]
    assert client.get("/api/v1/open/withdrawals?role=inbox", headers=h.auth(citizen)).status_code == 403
