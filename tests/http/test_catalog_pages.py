"""The catalog pages end to end: editor, detail, search, submit, review, the CSRF guard and the other pages."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from govdata.catalog import service
from govdata.catalog.models import Resource, ResourceVersion, VersionState
from govdata.context import Ctx
from tests.http import helpers as h
from tests.world import PASSWORD, World

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def login(client: TestClient, username: str) -> None:
    resp = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
    assert resp.status_code == 303, resp.text[:300]


def csrf(client: TestClient, path: str = "/catalog") -> str:
    resp = client.get(path)
    assert resp.status_code == 200, resp.text[:300]
    found = CSRF.search(resp.text)
    assert found, f"no csrf token on {path}"
    return found.group(1)


def text(resp: Any) -> str:
    return html.unescape(resp.text)


def editor_form(token: str, **overrides: Any) -> dict[str, Any]:
    """What a browser posts from the editor: two filled item rows and one left blank."""
    form: dict[str, Any] = {
        "csrf_token": token,
        "name": "户籍人口基本信息",
        "summary": "本省户籍人口的姓名、公民身份号码等基本信息",
        "classification": "department",
        "base_database": "",
        "domain": "公共安全",
        "format_category": "数据库",
        "format_type": "PostgreSQL",
        "update_cycle": "daily",
        "share_type": "conditional",
        "share_mode": "platform",
        "share_channels": ["api", "database"],
        "share_conditions": "仅限履行法定职责需要核验身份的部门使用",
        "share_basis": "《中华人民共和国个人信息保护法》第十三条",
        "open_type": "none",
        "open_conditions": "",
        "open_basis": "《中华人民共和国个人信息保护法》第二十八条",
        "usage_requirements": "",
        "grade": "3",
        "release_date": "",
        "related_codes": "",
        "item-0-name": "公民身份号码",
        "item-0-field_name": "id_number",
        "item-0-data_type": "string",
        "item-0-length": "18",
        "item-0-identifier_kind": "person",
        "item-0-sensitivity": "3",
        "item-0-required": "1",
        "item-0-description": "",
        "item-1-name": "姓名",
        "item-1-field_name": "full_name",
        "item-1-data_type": "string",
        "item-1-length": "50",
        "item-1-identifier_kind": "none",
        "item-1-sensitivity": "2",
        "item-1-description": "",
        "item-2-name": "",
        "item-2-field_name": "",
        "item-2-data_type": "string",
        "item-2-length": "",
        "item-2-identifier_kind": "none",
        "item-2-sensitivity": "1",
        "item-2-description": "",
    }
    form.update(overrides)
    return form


def count_resources(ctx: Ctx) -> int:
    n = ctx.session.scalar(select(func.count()).select_from(Resource)) or 0
    ctx.session.rollback()  # release the read so the app can write (SQLite)
    return n


def head_state(ctx: Ctx, resource_id: int) -> VersionState:
    ctx.session.expire_all()  # the app changed it through its own session: read what is committed now
    resource = ctx.session.get(Resource, resource_id)
    assert resource is not None
    state = service.head_of(ctx.session, resource).state
    ctx.session.rollback()
    return state


def create_via_editor(client: TestClient, **overrides: Any) -> int:
    resp = client.post("/catalog/new", data=editor_form(csrf(client, "/catalog/new"), **overrides),
                       follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303, text(resp)[:2000]
    found = re.match(r"/catalog/(\d+)\?msg=", resp.headers["location"])
    assert found, resp.headers["location"]
    return int(found.group(1))


def test_anonymous_is_sent_to_login(client: TestClient, world: World) -> None:
    resp = client.get("/catalog", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/login?next=")


def test_officer_compiles_submits_and_reviewer_returns(client: TestClient, ctx: Ctx, world: World) -> None:
    login(client, "gongan_officer")
    rid = create_via_editor(client)
    page = client.get(f"/catalog/{rid}")
    body = text(page)
    assert page.status_code == 200
    assert "户籍人口基本信息" in body and "公民身份号码" in body and "full_name" in body
    assert "有条件共享" in body and "个人信息保护法》第十三条" in body
    assert "草稿" in body and "提交审核" in body and "编辑" in body
    # The blank third row was not saved.
    resource = ctx.session.get(Resource, rid)
    assert resource is not None
    assert [i.name for i in service.head_of(ctx.session, resource).items] == ["公民身份号码", "姓名"]
    ctx.session.rollback()

    listing = text(client.get("/catalog", params={"q": "人口"}))
    assert f'href="/catalog/{rid}"' in listing and "共找到 1 条" in listing.replace("<strong>", "").replace(
        "</strong>", ""
    )

    # Another department can neither open the draft nor find it.
    login(client, "minzheng_officer")
    assert client.get(f"/catalog/{rid}").status_code == 404
    assert f'href="/catalog/{rid}"' not in client.get("/catalog", params={"q": "人口"}).text

    login(client, "gongan_officer")
    resp = client.post(f"/catalog/{rid}/submit", data={"csrf_token": csrf(client, f"/catalog/{rid}")})
    assert resp.status_code == 200
    assert "已提交审核，主管部门应于 2026-11-27 前完成审核" in text(resp)
    assert head_state(ctx, rid) == VersionState.SUBMITTED

    # Still hidden from the other department while under review.
    login(client, "minzheng_officer")
    assert client.get(f"/catalog/{rid}").status_code == 404

    login(client, "reviewer")
    queue = text(client.get("/review"))
    assert f'href="/review/{rid}"' in queue and "户籍人口基本信息" in queue and "还剩 5 个工作日" in queue
    review = client.get(f"/review/{rid}")
    assert review.status_code == 200 and "审核结论" in text(review) and "疑似重复条目" in text(review)
    token = csrf(client, f"/review/{rid}")
    resp = client.post(
        f"/review/{rid}",
        data={"csrf_token": token, "decision": "return", "comment": "共享条件过宽，请写明具体部门"},
    )
    assert "已退回，意见已告知部门" in text(resp)
    assert head_state(ctx, rid) == VersionState.RETURNED

    login(client, "gongan_officer")
    body = text(client.get(f"/catalog/{rid}"))
    assert "共享条件过宽，请写明具体部门" in body and "已退回" in body


def test_bad_editor_post_keeps_everything_typed(client: TestClient, ctx: Ctx, world: World) -> None:
    login(client, "gongan_officer")
    before = count_resources(ctx)
    form = editor_form(
        csrf(client, "/catalog/new"),
        share_basis="",
        summary="一段不会丢失的摘要文字",
        usage_requirements="仅限政务用途",
        **{"item-1-description": "姓名全称"},
    )
    resp = client.post("/catalog/new", data=form, follow_redirects=False)
    body = text(resp)
    assert resp.status_code == 422
    assert "有条件共享或不予共享的资源必须填写法律法规或政策依据" in body
    assert "有条件共享、不予共享必须填写法律法规或政策依据" in body  # the help text under the field
    assert 'value="户籍人口基本信息"' in body
    assert "一段不会丢失的摘要文字</textarea>" in body
    assert "仅限履行法定职责需要核验身份的部门使用</textarea>" in body
    assert "仅限政务用途</textarea>" in body
    assert 'value="公民身份号码"' in body and 'value="id_number"' in body and 'value="姓名全称"' in body
    assert 'name="item-0-required" value="1" checked' in body
    assert re.search(r'<option value="conditional"\s+selected', body)
    assert re.search(r'value="database"\s+checked', body)
    assert CSRF.search(body)
    assert count_resources(ctx) == before


def test_pydantic_errors_and_added_rows_keep_the_form(client: TestClient, ctx: Ctx, world: World) -> None:
    login(client, "gongan_officer")
    token = csrf(client, "/catalog/new")
    resp = client.post("/catalog/new", data=editor_form(token, **{"item-1-field_name": "Full Name"}))
    body = text(resp)
    assert resp.status_code == 422
    assert "信息项 › 第 2 项 › 字段名：格式不正确" in body
    assert 'value="Full Name"' in body and 'class="invalid"' in body

    resp = client.post("/catalog/new", data=editor_form(token, add_rows="1"))
    body = text(resp)
    assert resp.status_code == 200
    assert 'value="公民身份号码"' in body
    assert 'name="item-7-name"' in body  # 2 filled + 1 blank + 5 more
    assert count_resources(ctx) == 0


def test_csrf_token_is_required(client: TestClient, ctx: Ctx, world: World) -> None:
    login(client, "gongan_officer")
    form = editor_form("")
    del form["csrf_token"]
    resp = client.post("/catalog/new", data=form)
    assert resp.status_code == 403 and "CSRF" in resp.text
    assert count_resources(ctx) == 0

    rid = create_via_editor(client)
    resp = client.post(f"/catalog/{rid}/submit", data={"csrf_token": "forged"})
    assert resp.status_code == 403
    assert head_state(ctx, rid) == VersionState.DRAFT


def test_search_by_two_characters_and_bad_filters(client: TestClient, ctx: Ctx, world: World) -> None:
    h.published(ctx, world)
    h.published(ctx, world, "minzheng_officer", name="婚姻登记信息", summary="婚姻登记的当事人和登记事项")
    ctx.session.commit()
    login(client, "minzheng_officer")
    body = text(client.get("/catalog", params={"q": "人口"}))
    assert "户籍人口基本信息" in body and "婚姻登记信息" not in body
    body = text(
        client.get("/catalog", params={"q": "婚姻", "share_type": "bogus", "page": "x", "size": "9999"})
    )
    assert "婚姻登记信息" in body and "不是有效的筛选值" in body
    resp = client.get("/catalog", params={"region_code": "999999"})
    assert resp.status_code == 200 and "行政区划 999999 不存在" in text(resp)
    body = text(client.get("/catalog", params={"level": "province", "classification": "department"}))
    assert "户籍人口基本信息" in body and "婚姻登记信息" in body


def test_editing_a_published_entry_makes_a_new_version(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world)
    rid = res.id
    ctx.session.commit()
    login(client, "gongan_officer")
    page = text(client.get(f"/catalog/{rid}/edit"))
    assert "变更原因" in page and "第 2 版草稿" in page and 'value="id_number"' in page
    token = csrf(client, f"/catalog/{rid}/edit")
    form = editor_form(token, name="户籍人口基本信息（含迁移）")
    resp = client.post(f"/catalog/{rid}/edit", data=form)
    assert resp.status_code == 422 and "须填写变更原因" in text(resp)
    assert 'value="户籍人口基本信息（含迁移）"' in text(resp)
    form["change_reason"] = "增加户籍迁移信息"
    resp = client.post(f"/catalog/{rid}/edit", data=form)
    assert "已生成第 2 版草稿，待提交审核" in text(resp)
    compare = text(client.get(f"/catalog/{rid}/compare", params={"from": 1, "to": 2}))
    assert "户籍人口基本信息（含迁移）" in compare and "出生日期" in compare  # renamed; items removed
    assert client.get(f"/catalog/{rid}/compare", params={"from": 1, "to": 9}).status_code == 404
    # Others still see the published first version.
    login(client, "minzheng_officer")
    body = text(client.get(f"/catalog/{rid}"))
    assert "户籍人口基本信息（含迁移）" not in body and "已发布" in body
    # Abandoning the second draft brings the page back to the published first version.
    login(client, "gongan_officer")
    token = csrf(client, f"/catalog/{rid}")
    form["csrf_token"] = token
    resp = client.post(f"/catalog/{rid}/withdraw", data={"csrf_token": token})
    body = text(resp)
    assert "已撤销第 2 版草稿，条目仍以已发布的版本为准" in body
    assert "<h1>户籍人口基本信息 " in body and "已撤销" in body  # v2 stays in the history


def test_editor_is_closed_while_under_review(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = h.submitted(ctx, world).id
    ctx.session.commit()
    login(client, "gongan_officer")
    resp = client.get(f"/catalog/{rid}/edit")
    assert resp.status_code == 409 and "审核完成前不能修改" in text(resp)
    resp = client.post(f"/catalog/{rid}/edit", data=editor_form(csrf(client, f"/catalog/{rid}"), name="改名"))
    assert resp.status_code == 409 and 'value="改名"' in text(resp)  # refused, but nothing typed is lost
    assert head_state(ctx, rid) == VersionState.SUBMITTED


def test_editing_again_after_withdrawing_a_new_version(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = h.published(ctx, world).id
    ctx.session.commit()
    login(client, "gongan_officer")
    token = csrf(client, f"/catalog/{rid}")
    form = editor_form(token, change_reason="增加户籍迁移信息")
    client.post(f"/catalog/{rid}/edit", data=form)
    client.post(f"/catalog/{rid}/withdraw", data={"csrf_token": token})
    resp = client.post(f"/catalog/{rid}/edit", data={**form, "change_reason": "再次修改"})
    assert "已生成第 3 版草稿" in text(resp)


def test_trigger_withdraw_and_flash_messages(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = h.published(ctx, world).id
    ctx.session.commit()
    login(client, "gongan_officer")
    token = csrf(client, f"/catalog/{rid}")
    resp = client.post(
        f"/catalog/{rid}/triggers",
        data={"csrf_token": token, "kind": "law", "description": "条例修订", "occurred_on": "2026-11-20"},
    )
    assert "已登记变更情形（法律法规或政策修订），目录应于 2026-12-04 前完成更新" in text(resp)
    assert re.search(r"目录更新：<span[^>]*>还剩 10 个工作日（2026-12-04 截止）", text(resp))
    resp = client.post(
        f"/catalog/{rid}/triggers",
        data={"csrf_token": token, "kind": "law", "description": "x", "occurred_on": "2026-11-20"},
    )
    assert resp.status_code == 422 and "过短（至少 2 字）" in text(resp)
    draft_id = create_via_editor(client, name="出入境证件信息")
    resp = client.post(f"/catalog/{draft_id}/withdraw", data={"csrf_token": token, "reason": "重复编制"})
    assert "已撤销第 1 版草稿" in text(resp)
    assert head_state(ctx, draft_id) == VersionState.WITHDRAWN


def test_reviewer_pages_render(client: TestClient, ctx: Ctx, world: World) -> None:
    a = h.published(ctx, world, "gongan_officer", name="婚姻状况信息")
    b = h.submitted(ctx, world, "minzheng_officer", name="婚姻状况登记信息")
    h.demand(ctx, world)
    h.published(
        ctx, world, "renshe_officer", supplementary=True, name="州级就业援助对象名单", share_type="unconditional",
        share_conditions=None, share_basis=None,
    )  # fmt: skip
    ctx.session.commit()
    login(client, "reviewer")
    review = text(client.get(f"/review/{b.id}"))
    assert "婚姻状况信息" in review and "指定唯一采集条目" in review
    dups = text(client.get("/duplicates"))
    assert "婚姻状况信息" in dups and "婚姻状况登记信息" in dups
    # Three entries share all their items: three pairs, each listed once (not A–B and B–A).
    assert dups.count('class="card pair"') == 3
    token = csrf(client, "/duplicates")
    resp = client.post(
        "/duplicates/designate",
        data={"csrf_token": token, "source_resource_id": str(b.id), "duplicate_resource_ids": [str(a.id), str(b.id)],
              "reason": "婚姻登记由民政部门采集", "next": "/duplicates"},
    )  # fmt: skip
    assert "为唯一采集条目，1 个重复条目已标注" in text(resp)
    detail = text(client.get(f"/catalog/{a.id}"))
    assert "该条目与 四川省民政厅的「" in detail and "采集以 四川省民政厅 的条目为准" in detail

    demands_page = text(client.get("/demands"))
    assert "婚姻登记信息" in demands_page and "答复" in demands_page
    demand_id = int(re.search(r'action="/demands/(\d+)/answer"', demands_page).group(1))  # type: ignore[union-attr]
    resp = client.post(
        f"/demands/{demand_id}/answer",
        data={"csrf_token": token, "state": "assigned", "assigned_org_id": str(world.orgs["minzheng"].id),
              "matched_resource_id": "", "answer": "请民政厅采集婚姻登记信息"},
    )  # fmt: skip
    assert "已答复需求“婚姻登记信息”：已交由部门采集" in text(resp)

    filings_page = text(client.get("/filings"))
    assert "州级就业援助对象名单" in filings_page and "待备案" in filings_page
    assert "同意备案" in filings_page  # a city's supplementary entry is filed with the province
    login(client, "city2_reviewer")
    assert "州级就业援助对象名单" not in text(client.get("/filings"))  # another city sees nothing of it
    login(client, "admin")
    rollup = text(client.get("/rollup"))
    assert "阿坝藏族羌族自治州" in rollup and 'href="/catalog?region_code=513200"' in rollup
    assert client.get(f"/responsibilities/{world.orgs['gongan'].id}").status_code == 200


def test_filing_decision_and_demand_creation(client: TestClient, ctx: Ctx, world: World) -> None:
    h.published(
        ctx, world, "jiaoyu_officer", supplementary=True, name="县级学生资助名单", share_type="unconditional",
        share_conditions=None, share_basis=None,
    )  # fmt: skip
    ctx.session.commit()
    login(client, "city_reviewer")
    page = text(client.get("/filings"))
    assert "县级学生资助名单" in page and "同意备案" in page
    filing_id = int(re.search(r'action="/filings/(\d+)"', page).group(1))  # type: ignore[union-attr]
    token = csrf(client, "/filings")
    resp = client.post(f"/filings/{filing_id}", data={"csrf_token": token, "accept": "false", "comment": ""})
    assert resp.status_code == 422 and "不予备案须说明理由" in text(resp)
    resp = client.post(f"/filings/{filing_id}", data={"csrf_token": token, "accept": "true", "comment": ""})
    assert "已备案" in text(resp)

    login(client, "gongan_officer")
    token = csrf(client, "/demands")
    typed = {"csrf_token": token, "title": "不动产登记信息", "description": "办理户籍迁移需核验住房",
             "wanted_items": "权利人、坐落", "purpose": "x"}  # fmt: skip
    resp = client.post("/demands", data=typed)
    assert (
        resp.status_code == 422 and "不动产登记信息" in text(resp) and "办理户籍迁移需核验住房" in text(resp)
    )
    typed["purpose"] = "户籍迁移业务核验"
    resp = client.post("/demands", data=typed)
    assert "需求已提交，数据主管机构应于 2026-12-01 前答复" in text(resp)


def test_every_page_renders_for_each_role(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = h.published(ctx, world).id
    ctx.session.commit()
    pages = [
        "/",
        "/catalog",
        f"/catalog/{rid}",
        "/rollup",
        "/filings",
        f"/responsibilities/{world.orgs['gongan'].id}",
    ]
    for who in [
        "admin",
        "reviewer",
        "gongan_officer",
        "gongan_user",
        "minzheng_officer",
        "auditor",
        "vendor_staff",
    ]:
        login(client, who)
        for path in pages:
            resp = client.get(path)
            assert resp.status_code == 200, f"{who} {path}: {resp.status_code} {text(resp)[:500]}"
    login(client, "minzheng_officer")
    assert client.get(f"/catalog/{rid}/edit").status_code == 404
    assert client.get("/review").status_code == 403
    assert client.get("/duplicates").status_code == 403
    login(client, "reviewer")
    assert client.get("/catalog/new").status_code == 403
    assert client.get(f"/catalog/{rid}?version=7").status_code == 404
    assert client.get(f"/catalog/{rid}?version=abc").status_code == 422
    versions = ctx.session.scalar(select(func.count()).select_from(ResourceVersion))
    ctx.session.rollback()
    assert versions == 1


def test_separate_publish_step(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = h.approved_unpublished(ctx, world).id
    ctx.session.commit()
    login(client, "reviewer")
    queue = text(client.get("/review"))
    assert f'href="/review/{rid}"' in queue and "待发布" in queue
    page = text(client.get(f"/review/{rid}"))
    assert 'action="/review/' in page and "发布后进入本级目录" in page and "审核结论" not in page
    resp = client.post(f"/review/{rid}/publish", data={"csrf_token": csrf(client, f"/review/{rid}")})
    assert "第 1 版已发布到本级目录" in text(resp)
    assert head_state(ctx, rid) == VersionState.PUBLISHED
