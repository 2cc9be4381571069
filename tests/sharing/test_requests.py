"""Share requests through the use cases: the three sharing types, answers, coordination, grants, disputes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from govdata.audit.models import AuditEvent
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.org.service import set_setting
from govdata.sharing import disputes, queries, service
from govdata.sharing.models import CaseLevel, RequestState, ShareGrant
from govdata.sharing.schemas import (
    ApproveIn,
    CoordinateIn,
    DataReturnIn,
    DisputeActIn,
    DisputeIn,
    NoteIn,
    RefuseIn,
    RevokeIn,
    ShareRequestIn,
)
from tests.http.helpers import published
from tests.world import World


def ask(resource_id: int, **overrides: object) -> ShareRequestIn:
    data: dict[str, object] = {
        "resource_id": resource_id,
        "items": ["id_number", "name", "address"],
        "row_filter": [],
        "purpose": "低保对象身份核查",
        "duty": "《社会救助暂行办法》规定的最低生活保障审核确认",
        "duration_days": 365,
        "channel": "api",
    }
    data.update(overrides)
    return ShareRequestIn.model_validate(data)


def test_unconditional_entry_is_granted_at_once_with_purpose_recorded(ctx: Ctx, world: World) -> None:
    res = published(ctx, world, share_type="unconditional", share_conditions=None, share_basis=None)
    request = service.submit_request(ctx, world.actor("minzheng_officer"), ask(res.id))
    assert request.state == RequestState.GRANTED
    grant = ctx.session.get(ShareGrant, request.grant_id)
    assert grant is not None and grant.purpose == "低保对象身份核查"
    assert grant.expires_on == dt.date(2026, 11, 20) + dt.timedelta(days=364)
    # Sensitive items get their default masking; the name (sensitivity 2) leaves as it is.
    assert '"id_number": "id_number"' in grant.masking and '"address": "address"' in grant.masking
    assert '"name": "none"' in grant.masking
    events = ctx.session.execute(select(AuditEvent.action, AuditEvent.purpose)).all()
    assert ("share.request.submit", "低保对象身份核查") in events


def test_conditional_request_waits_for_the_provider_within_the_profile_limit(ctx: Ctx, world: World) -> None:
    res = published(ctx, world)
    request = service.submit_request(ctx, world.actor("minzheng_officer"), ask(res.id))
    assert request.state == RequestState.PENDING
    # Aba: 7 working days from Friday 2026-11-20 → Tuesday 2026-12-01.
    assert request.due_date == dt.date(2026, 12, 1)
    rows = queries.inbox(ctx, world.actor("gongan_officer"))
    assert [r.request.id for r in rows] == [request.id]
    assert rows[0].due is not None and not rows[0].due.overdue


def test_partial_approval_narrows_items_and_scope(ctx: Ctx, world: World) -> None:
    res = published(ctx, world)
    request = service.submit_request(
        ctx,
        world.actor("minzheng_officer"),
        ask(res.id, row_filter=[{"field": "address", "op": "prefix", "values": ["四川省"]}]),
    )
    officer = world.actor("gongan_officer")
    with pytest.raises(InvalidInput, match="缩小数据范围"):
        service.approve(ctx, officer, request.id, ApproveIn(row_filter=[]))
    with pytest.raises(InvalidInput, match="未被申请"):
        service.approve(ctx, officer, request.id, ApproveIn(items=["birth_date"]))
    narrower = [{"field": "address", "op": "prefix", "values": ["四川省阿坝州"]}]
    done = service.approve(
        ctx,
        officer,
        request.id,
        ApproveIn(items=["id_number", "name"], row_filter=narrower, note="地址不提供"),
    )
    assert done.state == RequestState.GRANTED
    grant = ctx.session.get(ShareGrant, done.grant_id)
    assert grant is not None and grant.item_list == ["id_number", "name"]
    assert "四川省阿坝州" in grant.row_filter
    assert "部分同意" in done.steps[-1].note


def test_only_the_provider_answers_and_refusal_needs_reason_and_basis(ctx: Ctx, world: World) -> None:
    res = published(ctx, world)
    request = service.submit_request(ctx, world.actor("minzheng_officer"), ask(res.id))
    with pytest.raises(Forbidden):
        service.approve(ctx, world.actor("gongan_user"), request.id, ApproveIn())
    with pytest.raises(NotFound):
        service.approve(ctx, world.actor("renshe_officer"), request.id, ApproveIn())
    with pytest.raises(NotFound):
        service.get_request(ctx, world.actor("renshe_officer"), request.id)
    refused = service.refuse(
        ctx,
        world.actor("gongan_officer"),
        request.id,
        RefuseIn(reason="超出履职需要", basis="个人信息保护法第六条"),
    )
    assert refused.state == RequestState.REFUSED and refused.answer_basis == "个人信息保护法第六条"
    with pytest.raises(InvalidTransition):
        service.approve(ctx, world.actor("gongan_officer"), request.id, ApproveIn())
    # The consumer takes the refusal to the authority, which decides to share part of it.
    escalated = service.escalate(
        ctx, world.actor("minzheng_officer"), request.id, NoteIn(note="低保审核法定职责")
    )
    assert escalated.state == RequestState.COORDINATING
    decided = service.coordinate(
        ctx,
        world.actor("admin"),
        request.id,
        CoordinateIn(decision="grant", note="依法应当共享", items=["name"]),
    )
    assert decided.state == RequestState.GRANTED
    assert ctx.session.get(ShareGrant, decided.grant_id).item_list == ["name"]  # type: ignore[union-attr]


def test_not_shared_goes_to_coordination_but_matching_is_granted(ctx: Ctx, world: World) -> None:
    res = published(ctx, world, share_type="none", share_conditions=None)
    minzheng = world.actor("minzheng_officer")
    request = service.submit_request(ctx, minzheng, ask(res.id))
    assert request.state == RequestState.COORDINATING
    assert [r.request.id for r in queries.coordination_queue(ctx, world.actor("admin"))] == [request.id]
    upheld = service.coordinate(
        ctx, world.actor("admin"), request.id, CoordinateIn(decision="uphold", note="维持")
    )
    assert upheld.state == RequestState.REFUSED
    # Aba's profile: the provider must still answer match requests (AB25).
    match = service.submit_request(ctx, minzheng, ask(res.id, channel="match", purpose="身份核验"))
    assert match.state == RequestState.GRANTED


def test_authority_opens_access_where_the_profile_says_so(ctx: Ctx, world: World) -> None:
    res = published(ctx, world)
    set_setting(ctx.session, "profile", "sichuan")
    ctx._profile = None
    request = service.submit_request(ctx, world.actor("minzheng_officer"), ask(res.id))
    approved = service.approve(ctx, world.actor("gongan_officer"), request.id, ApproveIn())
    assert approved.state == RequestState.AWAITING_ACCESS and approved.grant_id is None
    with pytest.raises(NotFound):
        service.open_access(ctx, world.actor("city_reviewer"), request.id)  # a lower level's authority
    with pytest.raises(Forbidden):
        service.open_access(ctx, world.actor("gongan_officer"), request.id)  # the provider cannot
    opened = service.open_access(ctx, world.actor("reviewer"), request.id)
    assert opened.state == RequestState.GRANTED and opened.grant_id is not None


def test_overdue_requests_escalate_and_are_recorded_as_possible_violations(
    ctx: Ctx, world: World, clock: object
) -> None:
    res = published(ctx, world)
    request = service.submit_request(ctx, world.actor("minzheng_officer"), ask(res.id))
    with pytest.raises(InvalidInput, match="期限"):
        service.escalate(ctx, world.actor("minzheng_officer"), request.id, NoteIn(note="催办"))
    clock.advance(days=14)  # type: ignore[attr-defined]
    swept = service.sweep_overdue(ctx, world.actor("admin"))
    assert [r.id for r in swept] == [request.id]
    assert request.state == RequestState.COORDINATING and request.overdue_flagged_at is not None
    outcome = ctx.session.execute(
        select(AuditEvent.outcome).where(AuditEvent.action == "share.request.overdue")
    ).scalar_one()
    assert outcome == "possible_violation"
    assert service.sweep_overdue(ctx, world.actor("admin")) == []  # flagged once


def test_duplicate_requests_and_own_entries_are_refused(ctx: Ctx, world: World) -> None:
    res = published(ctx, world)
    service.submit_request(ctx, world.actor("minzheng_officer"), ask(res.id))
    with pytest.raises(Conflict):
        service.submit_request(ctx, world.actor("minzheng_officer"), ask(res.id))
    with pytest.raises(InvalidInput, match="本单位"):
        service.submit_request(ctx, world.actor("gongan_officer"), ask(res.id))
    with pytest.raises(InvalidInput, match="不属于"):
        service.submit_request(
            ctx, world.actor("minzheng_officer"), ask(res.id, items=["salary"], purpose="其他")
        )


def test_revoke_and_data_return(ctx: Ctx, world: World) -> None:
    res = published(ctx, world, share_type="unconditional", share_conditions=None, share_basis=None)
    request = service.submit_request(ctx, world.actor("minzheng_officer"), ask(res.id))
    with pytest.raises(Forbidden):
        service.revoke(ctx, world.actor("minzheng_officer"), request.grant_id, RevokeIn(reason="不再需要"))  # type: ignore[arg-type]
    grant = service.revoke(
        ctx, world.actor("gongan_officer"), request.grant_id, RevokeIn(reason="用途已结束")
    )  # type: ignore[arg-type]
    assert grant.revoked_at is not None
    back = service.data_return(
        ctx,
        world.actor("gongan_officer"),
        DataReturnIn(
            resource_id=res.id,
            consumer_org_id=world.orgs["city_renshe"].id,
            region_field="address",
            items=["name", "address"],
            purpose="本地就业服务",
            duty="就业援助",
            duration_days=90,
        ),
    )
    assert back.kind == "data_return" and '"5132"' in back.row_filter
    with pytest.raises(InvalidInput, match="下级"):
        service.data_return(
            ctx,
            world.actor("gongan_officer"),
            DataReturnIn(
                resource_id=res.id,
                consumer_org_id=world.orgs["minzheng"].id,
                region_field="address",
                items=["name"],
                purpose="x用途",
                duty="x职责",
                duration_days=1,
            ),
        )


def test_dispute_escalates_departments_authority_government(ctx: Ctx, world: World) -> None:
    res = published(ctx, world, share_type="none", share_conditions=None)
    minzheng = world.actor("minzheng_officer")
    dispute = disputes.raise_dispute(
        ctx,
        minzheng,
        DisputeIn(resource_id=res.id, claimed_share_type="conditional", argument="低保审核需要"),
    )
    assert dispute.level == CaseLevel.DEPARTMENTS
    disputes.act(
        ctx, world.actor("gongan_officer"), dispute.id, DisputeActIn(action="answer", note="涉及敏感信息")
    )
    with pytest.raises(InvalidTransition):
        disputes.act(
            ctx,
            world.actor("admin"),
            dispute.id,
            DisputeActIn(action="decide", note="x决定", decision="none"),
        )
    disputes.act(ctx, minzheng, dispute.id, DisputeActIn(action="escalate", note="协商不成"))
    disputes.act(ctx, world.actor("admin"), dispute.id, DisputeActIn(action="escalate", note="报政府"))
    assert dispute.level == CaseLevel.GOVERNMENT
    done = disputes.act(
        ctx,
        world.actor("admin"),
        dispute.id,
        DisputeActIn(action="decide", note="政府常务会议决定", decision="conditional"),
    )
    assert done.level == CaseLevel.DECIDED and "同级人民政府" in (done.outcome or "")
    assert [s.action for s in done.steps] == ["raise", "answer", "escalate", "escalate", "decide"]


def test_the_raiser_may_accept_the_answer_and_withdraw(ctx: Ctx, world: World) -> None:
    res = published(ctx, world, share_type="none", share_conditions=None)
    minzheng = world.actor("minzheng_officer")
    dispute = disputes.raise_dispute(
        ctx,
        minzheng,
        DisputeIn(resource_id=res.id, claimed_share_type="conditional", argument="低保审核需要"),
    )
    disputes.act(
        ctx, world.actor("gongan_officer"), dispute.id, DisputeActIn(action="answer", note="涉及敏感信息")
    )
    with pytest.raises(Forbidden):
        disputes.act(
            ctx, world.actor("gongan_officer"), dispute.id, DisputeActIn(action="withdraw", note="撤回吧")
        )
    done = disputes.act(ctx, minzheng, dispute.id, DisputeActIn(action="withdraw", note="理解，接受答复"))
    assert done.level == CaseLevel.DECIDED and "撤回" in (done.outcome or "")


def test_a_shorter_approved_term_keeps_the_requested_one_on_record(ctx: Ctx, world: World) -> None:
    res = published(ctx, world)
    request = service.submit_request(ctx, world.actor("minzheng_officer"), ask(res.id, duration_days=365))
    done = service.approve(ctx, world.actor("gongan_officer"), request.id, ApproveIn(duration_days=90))
    assert (done.duration_days, done.approved_days) == (365, 90)
    grant = ctx.session.get(ShareGrant, done.grant_id)
    assert grant is not None and grant.expires_on == dt.date(2026, 11, 20) + dt.timedelta(days=89)
