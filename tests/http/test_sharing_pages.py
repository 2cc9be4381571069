"""The sharing pages end to end: catalog, request form, answers, coordination, grants, credentials, usage, disputes."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from govdata.context import Ctx
from govdata.org.service import set_setting
from govdata.sharing import service
from govdata.sharing.models import RequestState, ShareApp, ShareDispute, ShareGrant, ShareRequest
from govdata.sharing.schemas import ShareRequestIn
from tests.http import helpers as h
from tests.http.test_catalog_pages import csrf, login, text
from tests.sharing.fixtures import PEOPLE, credential, granted, population, request_body
from tests.world import World

PURPOSE = "低保对象身份核查"
DUTY = "《社会救助暂行办法》规定的最低生活保障审核确认"
UNCONDITIONAL = {"share_type": "unconditional", "share_conditions": None, "share_basis": None}
NOT_SHARED = {"share_type": "none", "share_conditions": None, "share_basis": "《中华人民共和国国家安全法》"}


def _form(token: str, **overrides: Any) -> dict[str, Any]:
    """What a browser posts from the request form: three items, one scope row, two blank rows."""
    form: dict[str, Any] = {
        "csrf_token": token,
        "items": ["id_number", "name", "address"],
        "scope-0-field": "address",
        "scope-0-op": "prefix",
        "scope-0-values": "四川省",
        "scope-1-field": "",
        "scope-1-op": "eq",
        "scope-1-values": "",
        "scope-2-field": "",
        "scope-2-op": "eq",
        "scope-2-values": "",
        "purpose": PURPOSE,
        "duty": DUTY,
        "duration_days": "30",
        "channel": "api",
    }
    form.update(overrides)
    return form


def _fresh(ctx: Ctx, model: type, ident: int) -> Any:
    ctx.session.rollback()  # see what the app committed
    found = ctx.session.get(model, ident)
    assert found is not None
    ctx.session.refresh(found)
    return found


def _count(ctx: Ctx, model: type) -> int:
    ctx.session.rollback()
    return int(ctx.session.execute(select(func.count()).select_from(model)).scalar_one())


def _id_from(location: str, path: str) -> int:
    found = re.search(rf"{path}/(\d+)", location)
    assert found, location
    return int(found.group(1))


def _ask(ctx: Ctx, world: World, resource_id: int, **overrides: Any) -> int:
    body = request_body(resource_id, **overrides)
    request = service.submit_request(
        ctx, world.actor("minzheng_officer"), ShareRequestIn.model_validate(body)
    )
    ctx.session.commit()
    return request.id


# ---------------------------------------------------------------- the catalog and the request form


def test_catalog_lists_every_published_entry_with_its_conditions(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    h.published(ctx, world)  # conditional
    h.published(ctx, world, "renshe_officer", name="社会保险参保信息", domain="社会保障", **UNCONDITIONAL)
    h.published(ctx, world, name="在逃人员信息", **NOT_SHARED)
    h.draft(ctx, world, name="草稿条目不在共享目录")
    ctx.session.commit()
    login(client, "minzheng_officer")
    resp = client.get("/sharing")
    assert resp.status_code == 200
    page = text(resp)
    assert 'href="/sharing">共享交换</a>' in page  # the nav link
    assert "户籍人口基本信息" in page and "社会保险参保信息" in page and "在逃人员信息" in page
    assert "草稿条目不在共享目录" not in page
    assert "仅限履行法定职责需要核验身份的部门使用" in page  # conditions
    assert "《中华人民共和国个人信息保护法》第十三条" in page  # basis of the conditional entry
    assert "《中华人民共和国国家安全法》" in page and "不提供数据本身" in page and "核验" in page
    assert page.count('href="/sharing/request/') == 3
    assert "四川省公安厅" in page and "阿坝州人力资源和社会保障局" in page
    only = text(client.get("/sharing?share_type=none"))
    assert "在逃人员信息" in only and "户籍人口基本信息" not in only
    found = text(client.get("/sharing?q=参保"))
    assert "社会保险参保信息" in found and "在逃人员信息" not in found
    bad = client.get("/sharing?share_type=everything")
    assert bad.status_code == 422 and "不是有效的筛选值" in text(bad)
    # The provider sees its own entries without a request link.
    client.cookies.clear()
    login(client, "gongan_officer")
    own = text(client.get("/sharing"))
    assert own.count('href="/sharing/request/') == 1  # only 人社's entry


def test_request_form_submit_and_detail(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    login(client, "minzheng_officer")
    form_page = client.get(f"/sharing/request/{res.id}")
    assert form_page.status_code == 200
    page = text(form_page)
    assert "公民身份号码" in page and "户籍地址" in page and 'value="id_number"' in page
    assert (
        "7 个工作日" in page and "2026-12-01" in page and "阿坝州公共数据管理办法（试行）》第25条" in page
    )  # the aba answer limit
    assert "等于" in page and "属于" in page and "以…开头" in page
    token = csrf(client, f"/sharing/request/{res.id}")
    resp = client.post(f"/sharing/request/{res.id}", data=_form(token), follow_redirects=False)
    assert resp.status_code == 303, resp.text[:500]
    rid = _id_from(resp.headers["location"], "/sharing/requests")
    detail = text(client.get(resp.headers["location"]))
    assert "申请已提交" in detail and "等待四川省公安厅答复：应于 2026-12-01 前答复" in detail  # the flash
    assert "户籍地址 以…开头 四川省" in detail  # the scope in words
    assert PURPOSE in detail and DUTY in detail and "30 天" in detail and "接口调用" in detail
    assert "还剩" in detail and "待提供部门答复" in detail
    # The consumer's forms (escalation waits for the due date), and no provider forms.
    assert "撤回申请" in detail and "提请" in detail
    assert f'action="/sharing/requests/{rid}/approve"' not in detail
    share = _fresh(ctx, ShareRequest, rid)
    assert share.state == RequestState.PENDING and share.items == "id_number,name,address"
    assert json.loads(share.row_filter) == [{"field": "address", "op": "prefix", "values": ["四川省"]}]
    mine = text(client.get("/sharing/requests"))
    assert "户籍人口基本信息" in mine and "还剩" in mine
    # The provider finds it in its inbox, with the answer forms on the page.
    client.cookies.clear()
    login(client, "gongan_officer")
    inbox = text(client.get("/sharing/requests?tab=inbox"))
    assert f'href="/sharing/requests/{rid}"' in inbox and "四川省民政厅" in inbox and "1 件待办理" in inbox
    detail = text(client.get(f"/sharing/requests/{rid}"))
    assert "同意（全部）" in detail and "部分同意" in detail and "拒绝理由" in detail
    assert "公民身份号码：保留前6位与后4位" in detail  # the default masking of the ID number is preselected


def test_unconditional_is_granted_at_once_and_not_shared_goes_to_coordination(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    free = h.published(ctx, world, **UNCONDITIONAL)
    closed = h.published(ctx, world, name="在逃人员信息", **NOT_SHARED)
    ctx.session.commit()
    login(client, "minzheng_officer")
    assert "平台<strong>直接授权</strong>" in text(client.get(f"/sharing/request/{free.id}"))
    token = csrf(client, f"/sharing/request/{free.id}")
    resp = client.post(f"/sharing/request/{free.id}", data=_form(token), follow_redirects=True)
    assert "已授权" in text(resp) and "有效期至 2026-12-19" in text(resp)
    closed_page = text(client.get(f"/sharing/request/{closed.id}"))
    assert "不予共享" in closed_page and "2026-12-04" in closed_page  # 10 working days of coordination
    resp = client.post(f"/sharing/request/{closed.id}", data=_form(token), follow_redirects=True)
    page = text(resp)
    assert "已提交" in page and "协调" in page and "2026-12-04" in page
    # 核验 of not-shared data is granted directly where the profile says so (aba: yes).
    resp = client.post(
        f"/sharing/request/{closed.id}", data=_form(token, channel="match", purpose="婚姻状况核验"),
        follow_redirects=True,
    )  # fmt: skip
    assert "已授权" in text(resp)


def test_bad_request_forms_show_the_message_keep_the_values_and_write_nothing(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    login(client, "minzheng_officer")
    token = csrf(client, f"/sharing/request/{res.id}")
    before = _count(ctx, ShareRequest)
    cases = [
        (_form(token, items=[]), "请至少选择一个要申请的信息项"),
        (_form(token, purpose=""), "用途：必须填写"),
        (_form(token, duty="<script>alert(1)</script>"), "含有 HTML 标签或脚本"),
        (_form(token, **{"scope-0-values": ""}), "数据范围第 1 行"),
        (_form(token, **{"scope-1-values": "<img src=x onerror=alert(1)>", "scope-1-field": "name"}), "脚本"),
        (_form(token, items=["salary"]), "不属于该目录条目"),
        (_form(token, duration_days="0"), "使用期限"),
        (
            _form(token, **{"scope-0-op": "eq", "scope-0-values": "四川省", "scope-0-field": "nope"}),
            "不属于该目录",
        ),
    ]
    for form, message in cases:
        resp = client.post(f"/sharing/request/{res.id}", data=form, follow_redirects=False)
        assert resp.status_code in (409, 422), (message, resp.status_code)
        page = text(resp)
        assert message in page, (message, page[page.find("error-box") : page.find("error-box") + 300])
        if form["purpose"]:
            assert f'value="{form["purpose"]}"' in page  # what was typed is kept
    assert _count(ctx, ShareRequest) == before == 0
    # A second request with the same purpose while the first is open is refused on the page.
    assert (
        client.post(f"/sharing/request/{res.id}", data=_form(token), follow_redirects=False).status_code
        == 303
    )
    again = client.post(f"/sharing/request/{res.id}", data=_form(token), follow_redirects=False)
    assert again.status_code == 409 and "请勿重复申请" in text(again)
    assert _count(ctx, ShareRequest) == 1


# ---------------------------------------------------------------- answers


def _partial(token: str, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf_token": token,
        "mode": "partial",
        "items": ["id_number", "name"],
        "mask-id_number": "id_number",
        "mask-name": "name",
        "mask-address": "address",
        "scope-0-field": "address",
        "scope-0-op": "prefix",
        "scope-0-values": "四川省阿坝州",
        "duration_days": "20",
        "note": "地址不提供",
    }
    form.update(overrides)
    return form


def test_provider_approves_in_part_through_the_form(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    rid = _ask(ctx, world, res.id, row_filter=[{"field": "address", "op": "prefix", "values": ["四川省"]}])
    login(client, "gongan_officer")
    token = csrf(client, f"/sharing/requests/{rid}")
    # Clearing the requested scope would widen it: refused, nothing written, the form values kept.
    wider = client.post(
        f"/sharing/requests/{rid}/approve", data=_partial(token, **{"scope-0-field": "", "scope-0-values": ""}),
        follow_redirects=False,
    )  # fmt: skip
    assert wider.status_code == 422 and "缩小数据范围" in text(wider)
    assert "地址不提供" in text(wider)
    none_left = client.post(f"/sharing/requests/{rid}/approve", data=_partial(token, items=[]))
    assert none_left.status_code == 422 and "至少同意一个信息项" in text(none_left)
    longer = client.post(f"/sharing/requests/{rid}/approve", data=_partial(token, duration_days="90"))
    assert longer.status_code == 422 and "不能超过申请的 30 天" in text(longer)
    bad_rule = client.post(f"/sharing/requests/{rid}/approve", data=_partial(token, **{"mask-name": "rot13"}))
    assert bad_rule.status_code == 422 and "脱敏规则" in text(bad_rule)
    assert _fresh(ctx, ShareRequest, rid).state == RequestState.PENDING
    assert _count(ctx, ShareGrant) == 0

    done = client.post(f"/sharing/requests/{rid}/approve", data=_partial(token), follow_redirects=False)
    assert done.status_code == 303, done.text[:500]
    page = text(client.get(done.headers["location"]))
    assert "已部分同意，授权已生效，有效期至 2026-12-09" in page
    assert "部分同意" in page and "户籍地址 以…开头 四川省阿坝州" in page and "地址不提供" in page
    assert "姓名：保留首字" in page  # the masking in words
    share = _fresh(ctx, ShareRequest, rid)
    grant = ctx.session.get(ShareGrant, share.grant_id)
    assert grant is not None and grant.item_list == ["id_number", "name"]
    assert json.loads(grant.masking) == {"id_number": "id_number", "name": "name"}
    assert json.loads(share.approved_masking) == {"name": "name"}  # only what differs from the default
    assert "部分同意" in share.steps[-1].note


def test_whole_approval_refusal_escalation_and_coordination(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    whole, refused = _ask(ctx, world, res.id), _ask(ctx, world, res.id, purpose="困难群众救助核查")
    login(client, "gongan_officer")
    token = csrf(client, f"/sharing/requests/{whole}")
    resp = client.post(
        f"/sharing/requests/{whole}/approve", data={"csrf_token": token}, follow_redirects=True
    )
    assert (
        "已同意，授权已生效" in text(resp) and _fresh(ctx, ShareRequest, whole).state == RequestState.GRANTED
    )

    no_basis = client.post(
        f"/sharing/requests/{refused}/refuse", data={"csrf_token": token, "reason": "超出职责"}
    )
    assert no_basis.status_code == 422 and "法律法规或政策依据：必须填写" in text(no_basis)
    assert "超出职责" in text(no_basis)  # the typed reason is kept
    no_reason = client.post(
        f"/sharing/requests/{refused}/refuse", data={"csrf_token": token, "basis": "个保法"}
    )
    assert no_reason.status_code == 422 and "拒绝理由：必须填写" in text(no_reason)
    assert _fresh(ctx, ShareRequest, refused).state == RequestState.PENDING
    resp = client.post(
        f"/sharing/requests/{refused}/refuse",
        data={
            "csrf_token": token,
            "reason": "超出履职需要",
            "basis": "《中华人民共和国个人信息保护法》第六条",
        },
        follow_redirects=True,
    )
    assert "已拒绝" in text(resp) and "依据：《中华人民共和国个人信息保护法》第六条" in text(resp)

    client.cookies.clear()
    login(client, "minzheng_officer")
    page = text(client.get(f"/sharing/requests/{refused}"))
    assert "提请协调的理由" in page
    token = csrf(client, f"/sharing/requests/{refused}")
    short = client.post(f"/sharing/requests/{refused}/escalate", data={"csrf_token": token, "note": ""})
    assert short.status_code == 422 and "提请协调的理由：必须填写" in text(short)
    resp = client.post(
        f"/sharing/requests/{refused}/escalate",
        data={"csrf_token": token, "note": "低保审核是法定职责"},
        follow_redirects=True,
    )
    assert "已提请" in text(resp) and "2026-12-04" in text(resp)

    client.cookies.clear()
    login(client, "reviewer")
    queue = text(client.get("/sharing/requests"))  # the authority's default tab: coordination
    assert f'href="/sharing/requests/{refused}"' in queue and "主管机构协调中" in queue
    token = csrf(client, f"/sharing/requests/{refused}")
    no_choice = client.post(
        f"/sharing/requests/{refused}/coordinate", data={"csrf_token": token, "note": "同意"}
    )
    assert no_choice.status_code == 422 and "协调结果" in text(no_choice)
    resp = client.post(
        f"/sharing/requests/{refused}/coordinate",
        data={"csrf_token": token, "decision": "grant", "note": "低保审核确需，协调共享"},
        follow_redirects=True,
    )
    assert "协调决定共享" in text(resp)
    share = _fresh(ctx, ShareRequest, refused)
    assert share.state == RequestState.GRANTED and share.grant_id is not None


def test_escalation_waits_for_the_due_date_and_withdrawal(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    rid = _ask(ctx, world, res.id)
    login(client, "minzheng_officer")
    token = csrf(client, f"/sharing/requests/{rid}")
    early = client.post(f"/sharing/requests/{rid}/escalate", data={"csrf_token": token, "note": "等不及了"})
    assert early.status_code == 422 and "期满未答复时才能提请协调" in text(early)
    assert _fresh(ctx, ShareRequest, rid).state == RequestState.PENDING
    resp = client.post(f"/sharing/requests/{rid}/withdraw", data={"csrf_token": token}, follow_redirects=True)
    assert "已撤回申请" in text(resp) and _fresh(ctx, ShareRequest, rid).state == RequestState.WITHDRAWN
    again = client.post(f"/sharing/requests/{rid}/withdraw", data={"csrf_token": token})
    assert again.status_code == 409 and "不能执行" in text(again)


def test_authority_opens_access_where_the_profile_has_that_step(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    res = h.published(ctx, world)
    set_setting(ctx.session, "profile", "sichuan")
    ctx.session.commit()
    rid = _ask(ctx, world, res.id)
    login(client, "gongan_officer")
    token = csrf(client, f"/sharing/requests/{rid}")
    resp = client.post(f"/sharing/requests/{rid}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "待" in text(resp) and "开通共享权限" in text(resp)
    assert _fresh(ctx, ShareRequest, rid).state == RequestState.AWAITING_ACCESS
    client.cookies.clear()
    login(client, "reviewer")
    page = text(client.get(f"/sharing/requests/{rid}"))
    assert "开通共享权限" in page and "提供部门已同意" in page
    token = csrf(client, f"/sharing/requests/{rid}")
    resp = client.post(
        f"/sharing/requests/{rid}/open-access", data={"csrf_token": token}, follow_redirects=True
    )
    assert "已开通共享权限" in text(resp) and _fresh(ctx, ShareRequest, rid).state == RequestState.GRANTED


# ---------------------------------------------------------------- grants, credentials, usage


def test_grants_page_and_revocation(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    gid = granted(ctx, world, res.id)
    login(client, "minzheng_officer")
    page = text(client.get("/sharing/grants"))
    assert "户籍人口基本信息" in page and "本单位使用" in page and "有效" in page and PURPOSE in page
    assert "公民身份号码：公民身份号码：保留前6位与后4位" in page and "姓名：不脱敏" in page
    assert f'action="/sharing/grants/{gid}/revoke"' not in page  # the consumer cannot revoke
    client.cookies.clear()
    login(client, "gongan_officer")
    token = csrf(client, "/sharing/grants")
    assert f'action="/sharing/grants/{gid}/revoke"' in text(client.get("/sharing/grants"))
    empty = client.post(f"/sharing/grants/{gid}/revoke", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 422 and "撤销理由：必须填写" in text(empty)
    hostile = client.post(
        f"/sharing/grants/{gid}/revoke", data={"csrf_token": token, "reason": "<script>x</script>"}
    )
    assert hostile.status_code == 422 and "脚本" in text(hostile)
    assert _fresh(ctx, ShareGrant, gid).revoked_at is None
    resp = client.post(
        f"/sharing/grants/{gid}/revoke",
        data={"csrf_token": token, "reason": "用途已结束"},
        follow_redirects=True,
    )
    assert "已撤销共享授权" in text(resp) and "已撤销" in text(resp) and "用途已结束" in text(resp)
    assert _fresh(ctx, ShareGrant, gid).revoked_at is not None


def test_credential_is_shown_once_and_can_be_revoked(client: TestClient, ctx: Ctx, world: World) -> None:
    login(client, "minzheng_officer")
    page = text(client.get("/sharing/apps"))
    assert "创建应用凭证" in page and "curl" in page and "/api/v1/exchange/" in page
    token = csrf(client, "/sharing/apps")
    bad = client.post(
        "/sharing/apps", data={"csrf_token": token, "name": "<script>x</script>", "rate_per_minute": "60"}
    )
    assert bad.status_code == 422 and "应用系统名称" in text(bad) and _count(ctx, ShareApp) == 0
    slow = client.post(
        "/sharing/apps", data={"csrf_token": token, "name": "低保审核系统", "rate_per_minute": "0"}
    )
    assert slow.status_code == 422 and "每分钟调用上限" in text(slow) and "低保审核系统" in text(slow)
    made = client.post(
        "/sharing/apps", data={"csrf_token": token, "name": "低保审核系统", "rate_per_minute": "60"}
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    found = re.search(r'<code id="credential" class="value">([^<]+)</code>', made.text)
    assert found and "只显示这一次" in text(made)
    secret = found.group(1)
    listing = client.get("/sharing/apps").text
    assert "低保审核系统" in listing and secret not in listing and secret.split(".")[0] in listing
    app = ctx.session.execute(select(ShareApp)).scalar_one()
    resp = client.post(f"/sharing/apps/{app.id}/revoke", data={"csrf_token": token}, follow_redirects=True)
    assert "已停用应用凭证" in text(resp) and "已停用" in text(resp)
    assert not _fresh(ctx, ShareApp, app.id).active


def test_usage_report_and_csv(client: TestClient, ctx: Ctx, world: World) -> None:
    rid = population(ctx, world)
    granted(ctx, world, rid)
    key = credential(ctx, world)
    for person in (PEOPLE[0][0], PEOPLE[1][0]):
        resp = client.get(
            f"/api/v1/exchange/{rid}/records/{person}",
            params={"purpose": PURPOSE},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert resp.status_code == 200, resp.text
    refused = client.get(
        f"/api/v1/exchange/{rid}/records/{PEOPLE[0][0]}",
        params={"purpose": "别的用途"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert refused.status_code == 403
    login(client, "gongan_officer")
    page = text(client.get("/sharing/usage"))
    assert "2026-11-01 至 2026-11-20" in page  # the current month up to today
    assert "四川省民政厅" in page and PURPOSE in page and "户籍人口基本信息" in page
    assert 'href="/sharing/usage.csv?start=2026-11-01&end=2026-11-20"' in page
    csv_resp = client.get("/sharing/usage.csv?start=2026-11-01&end=2026-11-20")
    assert csv_resp.status_code == 200 and csv_resp.headers["content-type"].startswith("text/csv")
    body = csv_resp.content.decode("utf-8-sig")
    assert "四川省民政厅" in body and PURPOSE in body and ",2,0,2," in body
    bad = client.get("/sharing/usage?start=2026-13-01")
    assert bad.status_code == 422 and "不是有效的日期" in text(bad)
    backwards = client.get("/sharing/usage?start=2026-11-20&end=2026-11-01")
    assert backwards.status_code == 422 and "不能早于开始日期" in text(backwards)
    assert client.get("/sharing/usage.csv?start=x").status_code == 422
    # The consumer's own usage of others' data is not in its provider report.
    client.cookies.clear()
    login(client, "minzheng_officer")
    assert "统计期间没有调用记录" in text(client.get("/sharing/usage"))


# ---------------------------------------------------------------- disputes


def test_dispute_raised_escalated_and_decided(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world, name="在逃人员信息", **NOT_SHARED)
    ctx.session.commit()
    login(client, "minzheng_officer")
    page = text(client.get(f"/sharing/disputes?resource_id={res.id}"))
    assert f'value="{res.id}"' in page and "提出异议" in page
    token = csrf(client, "/sharing/disputes")
    form = {
        "csrf_token": token,
        "resource_id": str(res.id),
        "claimed_share_type": "conditional",
        "argument": "",
    }
    empty = client.post("/sharing/disputes", data=form)
    assert empty.status_code == 422 and "理由：必须填写" in text(empty) and _count(ctx, ShareDispute) == 0
    missing = client.post("/sharing/disputes", data=form | {"resource_id": "999999", "argument": "履职需要"})
    assert missing.status_code == 404 and "不存在" in text(missing) and "履职需要" in text(missing)
    resp = client.post(
        "/sharing/disputes", data=form | {"argument": "低保审核需要核实"}, follow_redirects=False
    )
    assert resp.status_code == 303
    did = _id_from(resp.headers["location"], "/sharing/disputes")
    page = text(client.get(resp.headers["location"]))
    assert (
        "异议已提出" in page and "四川省公安厅应于 2026-12-01 前答复" in page and "低保审核需要核实" in page
    )
    resp = client.post(
        f"/sharing/disputes/{did}/act",
        data={"csrf_token": token, "action": "escalate", "note": "协商不成"},
        follow_redirects=True,
    )
    assert "数据主管机构协调" in text(resp)
    client.cookies.clear()
    login(client, "reviewer")
    token = csrf(client, f"/sharing/disputes/{did}")
    no_decision = client.post(
        f"/sharing/disputes/{did}/act", data={"csrf_token": token, "action": "decide", "note": "应当共享"}
    )
    assert no_decision.status_code == 422 and "请选择决定的共享属性" in text(no_decision)
    resp = client.post(
        f"/sharing/disputes/{did}/act",
        data={"csrf_token": token, "action": "decide", "decision": "conditional", "note": "应当有条件共享"},
        follow_redirects=True,
    )
    assert "已决定" in text(resp) and "有条件共享" in text(resp)
    assert _fresh(ctx, ShareDispute, did).outcome is not None


# ---------------------------------------------------------------- who may


def test_roles_without_permission_get_403_or_404(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    rid = _ask(ctx, world, res.id)
    login(client, "vendor_staff")
    assert client.get("/sharing").status_code == 403
    assert "共享交换" not in client.get("/").text
    client.cookies.clear()
    login(client, "auditor")
    assert client.get(f"/sharing/requests/{rid}").status_code == 404
    assert client.get(f"/sharing/request/{res.id}").status_code == 403
    assert client.get("/sharing/apps").status_code == 403
    client.cookies.clear()
    login(client, "gongan_user")
    token = csrf(client, f"/sharing/requests/{rid}")
    page = text(client.get(f"/sharing/requests/{rid}"))
    assert "同意（全部）" not in page  # a user without share.answer sees no answer forms
    assert client.post(f"/sharing/requests/{rid}/approve", data={"csrf_token": token}).status_code == 403
    no_csrf = client.post(f"/sharing/requests/{rid}/withdraw", data={})
    assert no_csrf.status_code == 403 and "CSRF" in text(no_csrf)
    assert _fresh(ctx, ShareRequest, rid).state == RequestState.PENDING


def test_correction_notices_page_shows_what_changed_and_marks_read(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    from tests.http.share_cases import _notice

    notice_id = _notice(ctx, world, "minzheng_officer")["id"]
    ctx.session.commit()
    login(client, "minzheng_officer")
    page = client.get("/sharing/notices")
    assert page.status_code == 200 and "张三 → 张叁" in text(page)
    token = csrf(client, "/sharing/notices")
    resp = client.post(f"/sharing/notices/{notice_id}/read", data={"csrf_token": token})
    assert resp.status_code == 200 and "已标记为已读" in text(resp) and "已读 " in text(resp)
    login(client, "gongan_officer")
    assert "张叁" not in client.get("/sharing/notices").text


def test_request_page_shows_the_requested_and_the_approved_term(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    from govdata.sharing.schemas import ApproveIn

    res = h.published(ctx, world)
    request = service.submit_request(
        ctx,
        world.actor("minzheng_officer"),
        ShareRequestIn.model_validate(request_body(res.id, duration_days=90)),
    )
    service.approve(ctx, world.actor("gongan_officer"), request.id, ApproveIn(duration_days=30))
    ctx.session.commit()
    login(client, "minzheng_officer")
    page = text(client.get(f"/sharing/requests/{request.id}"))
    assert "申请 90 天，提供部门同意 30 天" in page
