"""Violation detection (SUP-4), violation records, rectification notices and spot checks (SUP-1)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from govdata.authz import system_actor
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import SubjectKind
from govdata.sharing import service as sharing
from govdata.sharing.schemas import ShareRequestIn
from govdata.supervision import detect, notices, service, spotchecks
from govdata.supervision.models import NoticeState, Violation, ViolationKind, ViolationState
from tests.http import helpers as h
from tests.sharing.fixtures import request_body
from tests.world import World


def _late_share_request(ctx: Ctx, world: World, clock: FixedClock) -> int:
    res = h.published(ctx, world)
    body = request_body(res.id, purpose="核验低保申请人身份")
    req = sharing.submit_request(ctx, world.actor("minzheng_officer"), ShareRequestIn.model_validate(body))
    clock.set(dt.datetime(2026, 12, 9, 10, 0, tzinfo=CHINA_TZ))
    sharing.sweep_overdue(ctx, system_actor("test"))
    return req.id


def test_overdue_share_request_becomes_a_violation_once(ctx: Ctx, world: World, clock: FixedClock) -> None:
    rid = _late_share_request(ctx, world, clock)
    first = detect.detect_all(ctx)
    assert first["audit"] == 1
    v = ctx.session.scalars(select(Violation).where(Violation.kind == ViolationKind.SHARE_ANSWER_LATE)).one()
    assert v.org_id == world.orgs["gongan"].id and v.object_id == str(rid)
    assert v.state == ViolationState.OPEN and v.occurred_on < clock.today()
    links = json.loads(v.evidence or "{}")["links"]
    assert links[0]["href"] == f"/sharing/requests/{rid}"
    assert sum(detect.detect_all(ctx).values()) == 0  # idempotent


def test_audit_events_are_read_once_after_the_watermark(ctx: Ctx, world: World, clock: FixedClock) -> None:
    from govdata.audit.service import record
    from govdata.org.service import get_setting

    _late_share_request(ctx, world, clock)
    assert detect.detect_all(ctx)["audit"] == 1
    mark = int(get_setting(ctx.session, detect.AUDIT_WATERMARK) or 0)
    assert mark > 0
    ctx.session.execute(Violation.__table__.delete())  # were the event read again, it would come back
    assert detect.detect_all(ctx)["audit"] == 0
    later = h.published(ctx, world, name="户籍变动信息")
    body = request_body(later.id, purpose="核验低保申请人户籍变动")
    req = sharing.submit_request(ctx, world.actor("minzheng_officer"), ShareRequestIn.model_validate(body))
    record(ctx, system_actor("test"), "share.request.overdue", "share_request", req.id, outcome="possible_violation",
           detail={"state": "pending", "due": req.due_date, "provider_org_id": req.provider_org_id})  # fmt: skip
    assert detect.detect_all(ctx)["audit"] == 1  # the new one, after the mark
    assert int(get_setting(ctx.session, detect.AUDIT_WATERMARK) or 0) > mark


def test_form_item_obtainable_by_sharing(ctx: Ctx, world: World) -> None:
    h.published(ctx, world)  # 公安 shares 姓名 of persons (conditional, with a basis)
    officer = world.actor("minzheng_officer")
    item = service.add_form_item(
        ctx,
        officer,
        service.FormItemIn(form_name="低保申请表", item_name="名字", subject_kind=SubjectKind.PERSON),
    )
    service.add_form_item(ctx, officer, service.FormItemIn(form_name="低保申请表", item_name="家庭月收入"))
    with pytest.raises(Exception, match="已登记"):
        service.add_form_item(ctx, officer, service.FormItemIn(form_name="低保申请表", item_name="名字"))
    counts = detect.detect_all(ctx)
    assert counts["obtainable"] == 1
    v = ctx.session.scalars(
        select(Violation).where(Violation.kind == ViolationKind.OBTAINABLE_BY_SHARING)
    ).one()
    assert v.org_id == world.orgs["minzheng"].id and v.object_id == str(item.id)
    assert "名字" in v.summary
    with pytest.raises(Forbidden):
        service.add_form_item(
            ctx, world.actor("auditor"), service.FormItemIn(form_name="审计表单", item_name="姓名")
        )


def _violation(ctx: Ctx, world: World, org: str = "minzheng") -> Violation:
    return service.record_violation(
        ctx,
        world.actor("admin"),
        service.ViolationIn(
            org_id=world.orgs[org].id, summary="检查发现未按规定公开目录", occurred_on=dt.date(2026, 11, 2)
        ),
    )


def test_scopes_and_dismissal(ctx: Ctx, world: World) -> None:
    v = _violation(ctx, world)
    assert service.get_violation(ctx, world.actor("minzheng_officer"), v.id).id == v.id
    assert service.get_violation(ctx, world.actor("auditor"), v.id).id == v.id
    with pytest.raises(NotFound):
        service.get_violation(ctx, world.actor("gongan_officer"), v.id)
    assert service.list_violations(ctx, world.actor("gongan_officer")) == []
    with pytest.raises(NotFound):  # a city authority does not see the province's departments
        service.get_violation(ctx, world.actor("city_reviewer"), v.id)
    with pytest.raises(Forbidden):
        service.dismiss(ctx, world.actor("minzheng_officer"), v.id, service.DismissIn(reason="我们认为合理"))
    service.dismiss(ctx, world.actor("reviewer"), v.id, service.DismissIn(reason="系统故障所致，已核实"))
    assert v.state == ViolationState.DISMISSED and v.closing_note
    with pytest.raises(InvalidTransition):
        service.dismiss(ctx, world.actor("reviewer"), v.id, service.DismissIn(reason="再次认定不构成违规"))


def test_notice_answered_returned_accepted(ctx: Ctx, world: World) -> None:
    v = _violation(ctx, world)
    admin, officer = world.actor("admin"), world.actor("minzheng_officer")
    n = notices.issue(
        ctx, admin, notices.NoticeIn(violation_ids=[v.id], requirements="限期补充目录并说明原因")
    )
    assert n.deadline == ctx.calendar.add_workdays(
        ctx.clock.today(), ctx.profile.limit(notices.Limit.RECTIFICATION).days
    )
    assert v.state == ViolationState.NOTIFIED
    with pytest.raises(NotFound):  # another department does not even see it
        notices.answer(
            ctx, world.actor("gongan_officer"), n.id, notices.NoticeAnswerIn(answer="已经整改完毕")
        )
    with pytest.raises(InvalidTransition):
        notices.accept(ctx, admin, n.id, notices.NoticeDecisionIn(note="通过"))
    notices.answer(ctx, officer, n.id, notices.NoticeAnswerIn(answer="已补充目录条目三条"))
    notices.return_answer(ctx, admin, n.id, notices.NoticeDecisionIn(note="缺少原因说明"))
    assert n.state == NoticeState.RETURNED
    notices.answer(ctx, officer, n.id, notices.NoticeAnswerIn(answer="已补充目录并书面说明原因"))
    notices.accept(ctx, admin, n.id, notices.NoticeDecisionIn(note="整改到位"))
    assert n.state == NoticeState.ACCEPTED and v.state == ViolationState.RECTIFIED
    with pytest.raises(InvalidTransition):  # not open any more
        notices.issue(ctx, admin, notices.NoticeIn(violation_ids=[v.id], requirements="再次整改要求"))


def test_notice_escalated_after_deadline(ctx: Ctx, world: World, clock: FixedClock) -> None:
    v = _violation(ctx, world)
    other = _violation(ctx, world, "gongan")
    admin = world.actor("admin")
    with pytest.raises(InvalidInput, match="一个责任单位"):
        notices.issue(
            ctx, admin, notices.NoticeIn(violation_ids=[v.id, other.id], requirements="限期整改到位")
        )
    n = notices.issue(ctx, admin, notices.NoticeIn(violation_ids=[v.id], requirements="限期整改到位"))
    with pytest.raises(InvalidTransition, match="未到"):
        notices.escalate(ctx, admin, n.id)
    assert notices.escalate_overdue(ctx) == []
    clock.set(dt.datetime.combine(n.deadline + dt.timedelta(days=1), dt.time(9), CHINA_TZ))
    assert [x.id for x in notices.escalate_overdue(ctx)] == [n.id]
    assert n.state == NoticeState.ESCALATED and n.escalated_to == ctx.profile.bodies.government
    assert n.escalated_on == clock.today() and v.state == ViolationState.ESCALATED
    assert notices.escalate_overdue(ctx) == []  # once


def test_spot_check_is_reproducible(ctx: Ctx, world: World) -> None:
    admin = world.actor("admin")
    check = spotchecks.create(
        ctx,
        admin,
        spotchecks.SpotCheckIn(title="2026年第四季度抽查", population="departments", size=2, seed=20261120),
    )
    population = [int(x) for x in check.population_ids.split(",")]
    assert population == sorted(population) and world.orgs["gongan"].id in population
    assert world.orgs["vendor"].id not in population  # departments only
    drawn = [f.object_id for f in spotchecks.findings(ctx, check.id)]
    assert drawn == spotchecks.draw(population, 2, 20261120) == spotchecks.redraw(check)
    again = spotchecks.create(
        ctx, admin, spotchecks.SpotCheckIn(title="复核抽查", population="departments", size=2, seed=20261120)
    )
    assert [f.object_id for f in spotchecks.findings(ctx, again.id)] == drawn
    first, second = spotchecks.findings(ctx, check.id)
    with pytest.raises(InvalidInput, match="问题描述"):
        spotchecks.record_finding(ctx, admin, first.id, spotchecks.FindingIn(result="problem"))
    spotchecks.record_finding(ctx, admin, first.id, spotchecks.FindingIn(result="conforming"))
    f = spotchecks.record_finding(
        ctx, admin, second.id, spotchecks.FindingIn(result="problem", description="目录未按时更新")
    )
    v = ctx.session.get(Violation, f.violation_id)
    assert v is not None and v.kind == ViolationKind.OTHER and v.org_id == second.org_id
    with pytest.raises(InvalidTransition):
        spotchecks.record_finding(ctx, admin, first.id, spotchecks.FindingIn(result="conforming"))
    with pytest.raises(InvalidInput, match="超过总体"):
        spotchecks.create(ctx, admin, spotchecks.SpotCheckIn(title="太多", population="departments", size=99))
    with pytest.raises(Forbidden):
        spotchecks.create(
            ctx, world.actor("auditor"), spotchecks.SpotCheckIn(title="审计", population="entries", size=1)
        )


def test_notices_and_corrections_are_on_the_work_list(ctx: Ctx, world: World, client: TestClient) -> None:
    """我的待办 lists what the other pages hold: a notice to answer, a correction to answer or to forward."""
    from tests.http.correction_cases import filed
    from tests.http.test_catalog_pages import login

    v = _violation(ctx, world)
    notice = notices.issue(
        ctx, world.actor("admin"), notices.NoticeIn(violation_ids=[v.id], requirements="限期补充目录并说明原因")
    )
    to_answer, to_forward = filed(ctx, world), filed(ctx, world, authority=True)
    ctx.session.commit()
    login(client, "minzheng_officer")
    page = client.get("/").text
    assert "整改通知待答复" in page and f"/supervision/notices/{notice.id}" in page
    assert notice.deadline.isoformat() in page
    client.cookies.clear()
    login(client, "gongan_officer")
    page = client.get("/").text
    assert "校核申请待答复" in page and f"/corrections/{to_answer}" in page and "整改通知" not in page
    client.cookies.clear()
    login(client, "reviewer")
    page = client.get("/").text
    assert "校核申请待转交" in page and f"/corrections/{to_forward}" in page
    notices.answer(ctx, world.actor("minzheng_officer"), notice.id, notices.NoticeAnswerIn(answer="已补充目录"))
    ctx.session.commit()
    assert "整改答复待审核" in client.get("/").text
