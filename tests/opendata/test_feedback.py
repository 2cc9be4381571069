"""Corrections on the open catalog (OPEN-6), comments and ratings, public demands (OPEN-8), user search (OPEN-7)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select

from govdata.audit.models import AuditEvent
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.opendata import feedback, portal
from govdata.opendata.feedback import (
    CommentIn,
    CorrectionAnswerIn,
    CorrectionIn,
    DemandAnswerIn,
    DemandIn,
    ExtensionIn,
    HideIn,
    ReplyIn,
)
from govdata.opendata.models import CatalogCorrection
from govdata.opendata.users import suspend_user
from govdata.profiles.schema import Limit
from tests.http import helpers as h
from tests.http.open_feedback_cases import listing, portal_user
from tests.http.test_catalog_pages import csrf, login, text
from tests.world import World


def _correction(ctx: Ctx, world: World, who: str = "citizen") -> CatalogCorrection:
    data = CorrectionIn(listing_id=listing(ctx, world).id, content="更新频率写为每日，实际为每月更新")
    return feedback.submit_correction(ctx, world.actor(who), data)


def _ext(days: int = 10, approved_by: str | None = "张厅长") -> ExtensionIn:
    return ExtensionIn(days=days, reason="需核对多个业务系统", approved_by=approved_by)


# ---------------------------------------------------------------- corrections


def test_correction_due_in_ten_working_days(ctx: Ctx, world: World) -> None:
    correction = _correction(ctx, world)
    assert correction.state == "pending"
    assert correction.due_date == dt.date(2026, 12, 4)  # Fri 11-20 + 10 working days
    with pytest.raises(Conflict):
        _correction(ctx, world)
    assert [c.id for c in feedback.my_corrections(ctx, world.actor("citizen"))] == [correction.id]
    assert [c.id for c in feedback.correction_inbox(ctx, world.actor("gongan_officer"))] == [correction.id]
    with pytest.raises(NotFound):
        feedback.get_correction(ctx, world.actor("minzheng_officer"), correction.id)
    assert feedback.get_correction(ctx, world.actor("reviewer"), correction.id) is correction


def test_one_extension_with_the_heads_approval(ctx: Ctx, world: World) -> None:
    correction = _correction(ctx, world)
    officer = world.actor("gongan_officer")
    with pytest.raises(Forbidden):
        feedback.extend_correction(ctx, world.actor("reviewer"), correction.id, _ext())
    with pytest.raises(InvalidInput, match="主要负责人同意"):
        feedback.extend_correction(ctx, officer, correction.id, _ext(approved_by=None))
    with pytest.raises(InvalidInput, match="最多可延长 10"):
        feedback.extend_correction(ctx, officer, correction.id, _ext(days=11))
    assert correction.due_date == dt.date(2026, 12, 4) and correction.extended_at is None  # nothing written
    feedback.extend_correction(ctx, officer, correction.id, _ext(days=10))
    assert correction.due_date == dt.date(2026, 12, 18)
    assert "张厅长" in (correction.extension_reason or "")
    with pytest.raises(Conflict, match="延期一次"):
        feedback.extend_correction(ctx, officer, correction.id, _ext(days=1))


def test_answer_says_whether_and_how(ctx: Ctx, world: World) -> None:
    correction = _correction(ctx, world)
    with pytest.raises(ValidationError):
        CorrectionAnswerIn.model_validate({"corrected": True, "answer": ""})
    with pytest.raises(Forbidden):
        feedback.answer_correction(
            ctx, world.actor("reviewer"), correction.id, CorrectionAnswerIn(corrected=True, answer="已更正")
        )
    answer = CorrectionAnswerIn(corrected=True, answer="已将更新频率更正为每月")
    feedback.answer_correction(ctx, world.actor("gongan_officer"), correction.id, answer)
    assert correction.state == "answered" and correction.corrected is True
    with pytest.raises(InvalidTransition):
        feedback.answer_correction(ctx, world.actor("gongan_officer"), correction.id, answer)
    with pytest.raises(InvalidTransition):
        feedback.extend_correction(ctx, world.actor("gongan_officer"), correction.id, _ext())


def test_sweep_flags_late_ones_once(ctx: Ctx, world: World, clock: FixedClock) -> None:
    correction = _correction(ctx, world)
    other = _correction(ctx, world, "gongan_user")
    feedback.answer_correction(
        ctx,
        world.actor("gongan_officer"),
        other.id,
        CorrectionAnswerIn(corrected=False, answer="目录信息无误"),
    )
    assert feedback.sweep(ctx) == []
    clock.set(dt.datetime(2026, 12, 7, 9, 0, tzinfo=CHINA_TZ))  # after the due date (12-04)
    with pytest.raises(InvalidInput, match="已过"):
        feedback.extend_correction(ctx, world.actor("gongan_officer"), correction.id, _ext())
    assert feedback.sweep(ctx, world.actor("city_reviewer")) == []  # not in the city's jurisdiction
    assert [c.id for c in feedback.overdue_corrections(ctx, world.actor("reviewer"))] == [correction.id]
    assert [c.id for c in feedback.sweep(ctx, world.actor("reviewer"))] == [correction.id]
    assert feedback.sweep(ctx) == []  # once
    event = ctx.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "open.correction.overdue")
    ).one()
    assert event.outcome == "possible_violation" and event.object_id == str(correction.id)
    with pytest.raises(Forbidden):
        feedback.sweep(ctx, world.actor("gongan_officer"))


def test_no_extension_where_the_profile_allows_none(ctx: Ctx, world: World) -> None:
    correction = _correction(ctx, world)
    profile = ctx.profile.model_copy(deep=True)
    profile.time_limits[Limit.OPEN_CORRECTION_ANSWER].extension_days = 0
    ctx._profile = profile
    with pytest.raises(InvalidInput, match="未规定可以延期"):
        feedback.extend_correction(ctx, world.actor("gongan_officer"), correction.id, _ext())


# ---------------------------------------------------------------- comments and ratings


def test_comments_ratings_replies_and_hiding(ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    citizen, officer = world.actor("citizen"), world.actor("gongan_officer")
    assert feedback.rating_summary(ctx, lid) == (None, 0)
    first = feedback.add_comment(ctx, citizen, lid, CommentIn(body="字段说明不够清楚", rating=2))
    feedback.add_comment(ctx, citizen, lid, CommentIn(body="更新后好多了", rating=4))  # the latest counts
    feedback.add_comment(ctx, citizen, lid, CommentIn(body="补充一句"))  # no rating: the 4 still counts
    other = portal_user(ctx, "lisi", 2)
    rude = feedback.add_comment(ctx, other, lid, CommentIn(body="垃圾数据", rating=1))
    assert feedback.rating_summary(ctx, lid) == (2.5, 2)
    with pytest.raises(Forbidden):
        feedback.hide(ctx, officer, rude.id, HideIn(reason="辱骂"))
    feedback.hide(ctx, world.actor("reviewer"), rude.id, HideIn(reason="含侮辱性言辞"))
    assert rude.hidden and feedback.rating_summary(ctx, lid) == (4.0, 1)
    with pytest.raises(Conflict):
        feedback.hide(ctx, world.actor("reviewer"), rude.id, HideIn(reason="再次"))
    shown = feedback.visible_comments(ctx, lid)
    assert [c.body for c in shown] == ["补充一句", "更新后好多了", "字段说明不够清楚"]
    assert {c.author for c in shown} == {"c***"}  # masked: the first character kept
    with pytest.raises(Forbidden):
        feedback.reply(ctx, world.actor("minzheng_officer"), first.id, ReplyIn(reply="感谢"))
    feedback.reply(ctx, officer, first.id, ReplyIn(reply="已补充字段说明"))
    assert first.reply == "已补充字段说明" and first.replied_at is not None
    inbox = feedback.comment_inbox(ctx, officer)
    assert inbox[-1].id == first.id  # answered ones last
    with pytest.raises(InvalidTransition):
        feedback.reply(ctx, officer, rude.id, ReplyIn(reply="回复"))
    hidden_event = ctx.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "open.comment.hide")
    ).one()
    assert "含侮辱性言辞" in hidden_event.detail  # kept with its reason
    with pytest.raises(ValidationError):
        CommentIn(body="好", rating=6)


def test_comments_need_an_identity_and_a_listed_dataset(ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    with pytest.raises(Forbidden):
        feedback.add_comment(ctx, world.actor("vendor_staff"), lid, CommentIn(body="看看"))
    suspend_user(ctx, world.actor("admin"), world.users["citizen"].id, "违规使用")
    with pytest.raises(Forbidden):
        feedback.add_comment(ctx, world.actor("citizen"), lid, CommentIn(body="看看"))
    with pytest.raises(NotFound):
        feedback.add_comment(ctx, world.actor("gongan_user"), 999999, CommentIn(body="看看"))


# ---------------------------------------------------------------- public demands


def test_demands_are_public_without_who_asked(ctx: Ctx, world: World) -> None:
    general = feedback.submit_demand(
        ctx, world.actor("citizen"), DemandIn(title="公交实时到站数据", description="用于开发出行服务应用")
    )
    assert general.region_path == world.regions["province"].path
    named = feedback.submit_demand(
        ctx,
        world.actor("citizen"),
        DemandIn(
            title="社会组织登记信息", description="用于公益组织查询", org_id=world.orgs["city_renshe"].id
        ),
    )
    assert named.region_path == world.regions["city"].path
    with pytest.raises(InvalidInput):
        feedback.submit_demand(
            ctx,
            world.actor("citizen"),
            DemandIn(title="数据", description="说明说明说明", org_id=world.orgs["prov_auth"].id),
        )
    shown = feedback.public_demands(ctx)
    assert [d.title for d in shown] == ["社会组织登记信息", "公交实时到站数据"]
    assert not hasattr(shown[0], "user_id") and shown[0].org_name == "阿坝州人力资源和社会保障局"
    assert [d.id for d in feedback.demand_inbox(ctx, world.actor("renshe_officer"))] == [named.id]
    assert [d.id for d in feedback.demand_inbox(ctx, world.actor("city_reviewer"))] == [named.id]
    assert {d.id for d in feedback.demand_inbox(ctx, world.actor("reviewer"))} == {general.id, named.id}
    with pytest.raises(Forbidden):
        feedback.answer_demand(
            ctx, world.actor("gongan_officer"), named.id, DemandAnswerIn(answer="不归我们")
        )
    with pytest.raises(Forbidden):
        feedback.answer_demand(ctx, world.actor("city_reviewer"), general.id, DemandAnswerIn(answer="答复"))
    feedback.answer_demand(
        ctx, world.actor("renshe_officer"), named.id, DemandAnswerIn(answer="已列入明年开放计划")
    )
    assert named.state == "answered" and named.answered_by_id == world.users["renshe_officer"].id
    with pytest.raises(InvalidTransition):
        feedback.answer_demand(ctx, world.actor("reviewer"), named.id, DemandAnswerIn(answer="再答"))


def test_answer_links_the_listing_that_opens_it(ctx: Ctx, world: World) -> None:
    demand = feedback.submit_demand(
        ctx, world.actor("citizen"), DemandIn(title="户籍人口统计", description="用于人口研究")
    )
    none = listing(ctx, world, "none")
    with pytest.raises(InvalidInput, match="未开放数据"):
        feedback.answer_demand(
            ctx, world.actor("reviewer"), demand.id, DemandAnswerIn(answer="已开放", listing_id=none.id)
        )
    opened = listing(ctx, world)
    feedback.answer_demand(
        ctx, world.actor("reviewer"), demand.id, DemandAnswerIn(answer="已开放", listing_id=opened.id)
    )
    assert feedback.public_demands(ctx)[0].listing_id == opened.id
    assert [d.id for d in feedback.my_demands(ctx, world.actor("citizen"))] == [demand.id]


# ---------------------------------------------------------------- portal users (OPEN-7)


def test_find_users_and_their_retrievals(ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    portal.retrieve(ctx, world.actor("citizen"), lid, "download", "csv")
    portal_user(ctx, "zhao", 3)
    reviewer = world.actor("reviewer")
    found = feedback.find_public_users(ctx, reviewer, "citizen")
    assert [u.username for u in found] == ["citizen"]
    assert found[0].subject_masked == "110105********002X"
    assert [u.username for u in feedback.find_public_users(ctx, reviewer, "11010519491231002x")] == [
        "citizen"
    ]
    assert [u.username for u in feedback.find_public_users(ctx, reviewer, "002X")] == ["citizen"]
    assert {u.username for u in feedback.find_public_users(ctx, reviewer)} == {"citizen", "zhao"}
    assert feedback.find_public_users(ctx, reviewer, "%") == []  # wildcards are not wildcards
    taken = feedback.recent_retrievals(ctx, reviewer, world.users["citizen"].id)
    assert [(r.channel, r.format) for r, _title in taken] == [("download", "csv")]
    suspend_user(ctx, reviewer, world.users["citizen"].id, "批量下载后转售")
    assert feedback.find_public_users(ctx, reviewer, "citizen")[0].suspension is not None
    with pytest.raises(Forbidden):
        feedback.find_public_users(ctx, world.actor("gongan_officer"), "citizen")


# ---------------------------------------------------------------- pages and API


def _post(client: TestClient, path: str, data: dict[str, str], page: str) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf(client, page)})


def test_correction_pages(client: TestClient, ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    ctx.session.commit()
    login(client, "citizen")
    feedback_page = f"/open/datasets/{lid}/feedback"
    assert "10 个工作日内答复" in text(client.get(feedback_page))
    resp = _post(client, f"/open/datasets/{lid}/corrections", {"content": "更新频率应为每月"}, feedback_page)
    page = text(resp)
    assert resp.status_code == 200 and "2026-12-04" in page and "还剩 10 个工作日" in page
    cid = ctx.session.scalars(select(CatalogCorrection.id)).one()
    client.cookies.clear()
    login(client, "gongan_officer")
    detail = f"/open/corrections/{cid}"
    bad = _post(client, detail + "/extend", {"days": "5", "reason": "需核对多个系统"}, detail)
    assert bad.status_code == 422 and "主要负责人同意" in text(bad) and "需核对多个系统" in text(bad)
    assert ctx.session.get(CatalogCorrection, cid).extended_at is None  # type: ignore[union-attr]
    resp = _post(
        client, detail + "/extend", {"days": "5", "reason": "需核对", "approved_by": "张厅长"}, detail
    )
    assert "2026-12-11" in text(resp) and 'id="extend-form"' not in text(resp)
    resp = _post(client, detail + "/answer", {"corrected": "true", "answer": "已更正为每月"}, detail)
    assert "已更正为每月" in text(resp) and "已答复" in text(resp)


def test_comment_pages_and_api(client: TestClient, ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    token = h.token_for(ctx, world, "vendor_staff")
    ctx.session.commit()
    login(client, "citizen")
    page = f"/open/datasets/{lid}/feedback"
    resp = _post(client, f"/open/datasets/{lid}/comments", {"body": "数据很有用", "rating": "5"}, page)
    assert "数据很有用" in text(resp) and "5.0" in text(resp)
    bad = _post(client, f"/open/datasets/{lid}/comments", {"body": "好", "rating": "9"}, page)
    assert bad.status_code == 422 and ">好</textarea>" in text(bad)
    comment_id = ctx.session.scalars(select(feedback.Comment.id)).one()
    client.cookies.clear()
    login(client, "gongan_officer")
    resp = _post(client, f"/open/comments/{comment_id}/reply", {"reply": "感谢支持"}, page)
    assert "提供部门回复" in text(resp) and "感谢支持" in text(resp)
    client.cookies.clear()
    login(client, "reviewer")
    assert 'action="/open/comments/' in text(client.get(page))
    resp = _post(client, f"/open/comments/{comment_id}/hide", {"reason": "测试隐藏"}, page)
    assert "数据很有用" not in text(resp) and "评论已隐藏" in text(resp)
    body = client.get(f"/api/v1/open/listings/{lid}/comments", headers=h.auth(token)).json()
    assert body == {"average_rating": None, "raters": 0, "comments": []}
    assert client.get("/api/v1/open/listings/999999/comments", headers=h.auth(token)).status_code == 404


def test_demand_pages(client: TestClient, ctx: Ctx, world: World) -> None:
    feedback.submit_demand(
        ctx, world.actor("citizen"), DemandIn(title="公交实时到站数据", description="用于开发出行服务应用")
    )
    ctx.session.commit()
    public = text(client.get("/open/demands"))
    assert "公交实时到站数据" in public and "citizen" not in public and "登录" in public
    login(client, "gongan_user")
    resp = _post(client, "/open/demands", {"title": "", "description": "说明说明说明"}, "/open/demands")
    assert resp.status_code == 422 and "说明说明说明" in text(resp)
    resp = _post(
        client,
        "/open/demands",
        {"title": "医疗机构名录", "description": "用于就医导航", "org_id": str(world.orgs["minzheng"].id)},
        "/open/demands",
    )
    assert "医疗机构名录" in text(resp) and "四川省民政厅" in text(resp)
    client.cookies.clear()
    login(client, "minzheng_officer")
    page = text(client.get("/open/demands"))
    assert page.count('action="/open/demands/') == 1  # only the demand naming 民政 is theirs to answer
    demand_id = feedback.public_demands(ctx)[0].id
    resp = _post(client, f"/open/demands/{demand_id}/answer", {"answer": "已列入开放计划"}, "/open/demands")
    assert "已列入开放计划" in text(resp)


def test_user_suspension_pages(client: TestClient, ctx: Ctx, world: World) -> None:
    lid = listing(ctx, world).id
    portal.retrieve(ctx, world.actor("citizen"), lid, "download", "csv")
    ctx.session.commit()
    login(client, "reviewer")
    page = text(client.get("/open/manage/users?q=002X"))
    assert "110105********002X" in page and "11010519491231002X" not in page
    uid = world.users["citizen"].id
    detail = f"/open/manage/users?user={uid}"
    assert "户籍人口基本信息" in text(client.get(detail))  # the retrieval
    resp = _post(client, f"/open/manage/users/{uid}/suspend", {"reason": "批量下载后转售"}, detail)
    assert "已暂停" in text(resp) and 'id="lift-form"' in text(resp)
    client.cookies.clear()
    login(client, "citizen")
    refused = client.get(f"/open/datasets/{lid}/download/csv")
    assert refused.status_code == 403
    client.cookies.clear()
    login(client, "reviewer")
    resp = _post(client, f"/open/manage/users/{uid}/lift", {"reason": "已整改"}, detail)
    assert "已恢复" in text(resp) and "已整改" in text(resp)
    bad = _post(client, f"/open/manage/users/{uid}/lift", {"reason": "再次"}, detail)
    assert "未被暂停" in text(bad)


def test_staff_inbox_and_sweep(client: TestClient, ctx: Ctx, world: World, clock: FixedClock) -> None:
    correction = _correction(ctx, world)
    ctx.session.commit()
    clock.set(dt.datetime(2026, 12, 8, 9, 0, tzinfo=CHINA_TZ))
    login(client, "gongan_officer")
    inbox = text(client.get("/open/manage/feedback"))
    assert f"/open/corrections/{correction.id}" in inbox and "已逾期" in inbox
    client.cookies.clear()
    login(client, "reviewer")
    resp = _post(client, "/open/manage/feedback/sweep", {}, "/open/manage/feedback")
    assert "已将 1 件" in text(resp) and "已记录" in text(resp)
    client.cookies.clear()
    login(client, "auditor")
    assert client.get("/open/manage/feedback").status_code == 403
