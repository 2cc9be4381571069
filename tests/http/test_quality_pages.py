"""Consistency, reconciliation, item-source and base-database pages end to end."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from govdata.audit.models import AuditEvent
from govdata.context import Ctx
from govdata.pool.models import Batch, Pool
from govdata.quality.models import CaseState, ReconciliationCase
from tests.http import helpers as h
from tests.http.test_catalog_pages import csrf, login, text
from tests.world import World

PERSON = "11010519491231002X"


def _pair_link(page: str) -> str:
    found = re.search(r'href="(/consistency/pair\?[^"]+)"', page)
    assert found, "no link to a pair page"
    return found.group(1).replace("&amp;", "&")


def _case(ctx: Ctx, case_id: int) -> ReconciliationCase:
    ctx.session.rollback()  # see what the app committed
    case = ctx.session.get(ReconciliationCase, case_id)
    assert case is not None
    ctx.session.refresh(case)
    return case


def _events(ctx: Ctx, action: str) -> list[AuditEvent]:
    ctx.session.rollback()
    return list(ctx.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def test_authority_compares_opens_a_case_and_the_provider_resolves_it(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    pools = h.two_pools(ctx, world)
    ctx.session.commit()
    login(client, "reviewer")
    resp = client.get("/consistency")
    assert resp.status_code == 200
    page = text(resp)
    assert "跨部门数据一致性核查" in page and 'href="/consistency">一致性核查</a>' in page  # the nav link
    assert "四川省公安厅" in page and "四川省民政厅" in page and "户籍人口基本信息" in page
    assert "姓名" in page and "100%" in page  # one subject compared, one disagreeing
    assert "记入审计日志" in page and "5 个工作日" in page  # the aba profile's reconciliation limit
    link = _pair_link(page)

    pair = client.get(link)
    assert pair.status_code == 200
    page = text(pair)
    assert PERSON in page and "张三" in page and "张叁" in page
    assert "发起协商核实" in page and "记入审计日志" in page
    assert _events(ctx, "pool.consistency.view"), "viewing values is recorded"

    token = csrf(client, link)
    form = {
        "csrf_token": token,
        "pool_a_id": str(pools["pool_a"]),
        "field_a": "name",
        "pool_b_id": str(pools["pool_b"]),
        "field_b": "xm",
        "subject_id": PERSON,
        "note": "请核对户籍档案",
    }
    opened = client.post("/reconciliations", data=form, follow_redirects=False)
    assert opened.status_code == 303, opened.text[:300]
    location = opened.headers["location"]
    case_id = int(re.search(r"/reconciliations/(\d+)", location).group(1))  # type: ignore[union-attr]
    case_page = text(client.get(location))
    assert "已发起协商核实" in case_page  # the flash
    assert "协商核实中" in case_page and "张三" in case_page and "张叁" in case_page
    assert "请核对户籍档案" in case_page and "发起协商核实" in case_page  # note and history
    assert "还剩" in case_page  # the due label
    # The pair page now links the open case instead of offering a second one.
    assert f'href="/reconciliations/{case_id}"' in text(client.get(link))
    again = client.post("/reconciliations", data=form, follow_redirects=False)
    assert again.status_code == 422 and "未办结" in text(again)

    login(client, "gongan_officer")
    listing = text(client.get("/reconciliations"))
    assert 'href="/reconciliations">协商核实</a>' in listing  # the providers' nav link
    assert f'href="/reconciliations/{case_id}"' in listing and PERSON in listing
    detail = text(client.get(f"/reconciliations/{case_id}"))
    assert "核实办结" in detail and "提请" in detail
    token = csrf(client, f"/reconciliations/{case_id}")
    done = client.post(
        f"/reconciliations/{case_id}/resolve",
        data={"csrf_token": token, "correct_value": "张三", "resolution": "以户籍登记为准"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:300]
    page = text(client.get(done.headers["location"]))
    assert "已办结" in page and "以户籍登记为准" in page and "核实结果" in page
    assert "核实办结" not in page  # no more forms
    case = _case(ctx, case_id)
    assert case.state == CaseState.RESOLVED and case.correct_value == "张三"

    login(client, "minzheng_officer")  # the other provider sees the outcome
    assert "已核实" in text(client.get("/reconciliations?state=resolved"))


def test_escalated_case_is_decided_by_the_authority(client: TestClient, ctx: Ctx, world: World) -> None:
    case_id = h.open_case(ctx, world)
    login(client, "gongan_user")  # reads the case, cannot act on it
    page = text(client.get(f"/reconciliations/{case_id}"))
    assert "张叁" in page and "核实办结" not in page and "提请理由" not in page
    login(client, "minzheng_officer")
    token = csrf(client, f"/reconciliations/{case_id}")
    blank = client.post(
        f"/reconciliations/{case_id}/escalate",
        data={"csrf_token": token, "reason": ""},
        follow_redirects=False,
    )
    assert blank.status_code == 422 and "至少 2 字" in text(blank)
    resp = client.post(
        f"/reconciliations/{case_id}/escalate",
        data={"csrf_token": token, "reason": "双方各执一词"},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    page = text(client.get(resp.headers["location"]))
    assert "已提请主管机构裁定" in page and "双方各执一词" in page
    login(client, "gongan_officer")
    page = text(client.get(f"/reconciliations/{case_id}"))
    assert "核实办结" not in page  # escalated: the authority decides
    token = csrf(client, f"/reconciliations/{case_id}")
    refused = client.post(
        f"/reconciliations/{case_id}/resolve",
        data={"csrf_token": token, "correct_value": "张三", "resolution": "户籍为准"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    login(client, "reviewer")
    page = text(client.get(f"/reconciliations/{case_id}"))
    assert "核实办结" in page and "协商不成，提请裁定" not in page
    token = csrf(client, f"/reconciliations/{case_id}")
    resp = client.post(
        f"/reconciliations/{case_id}/resolve",
        data={"csrf_token": token, "correct_value": "张三", "resolution": "以户籍登记为准"},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    assert _case(ctx, case_id).state == CaseState.RESOLVED


def test_departments_cannot_compare_across_departments(client: TestClient, ctx: Ctx, world: World) -> None:
    pools = h.two_pools(ctx, world)
    ctx.session.commit()
    login(client, "gongan_officer")
    assert client.get("/consistency").status_code == 403
    query = f"pool_a_id={pools['pool_a']}&field_a=name&pool_b_id={pools['pool_b']}&field_b=xm"
    resp = client.get(f"/consistency/pair?{query}")
    assert resp.status_code == 403 and "数据主管机构" in text(resp)
    assert 'href="/consistency"' not in text(client.get("/reconciliations"))
    login(client, "reviewer")
    assert client.get("/consistency/pair?pool_a_id=x").status_code == 422  # bad query, no 500
    assert client.get(f"/consistency/pair?{query.replace('field_b=xm', 'field_b=hyzk')}").status_code == 404


def test_item_source_designated_through_the_page(client: TestClient, ctx: Ctx, world: World) -> None:
    people = h.published(ctx, world)
    marriage = h.published(ctx, world, "minzheng_officer", name="婚姻登记信息", items=h.MARRIAGE_ITEMS)
    ctx.session.commit()
    login(client, "gongan_officer")  # reads the list, cannot designate
    page = text(client.get("/item-sources"))
    assert "姓名" in page and "待认定" in page and 'action="/item-sources"' not in page
    login(client, "reviewer")
    page = text(client.get("/item-sources"))
    assert 'action="/item-sources"' in page and "尚未指定权威来源" in page
    token = csrf(client, "/item-sources")
    resp = client.post(
        "/item-sources",
        data={
            "csrf_token": token,
            "item_key": "姓名",
            "subject_kind": "person",
            "source_resource_id": str(people.id),
            "reason": "户籍登记由公安采集",
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text[:300]
    page = text(client.get(resp.headers["location"]))
    assert "已指定“姓名”的权威来源：四川省公安厅" in page
    assert "权威来源" in page and "重复采集" in page and "户籍登记由公安采集" in page
    section = page[page.index('id="item-姓名-person"') :]
    source_row = section[section.index('class="source-row"') :].split("</tr>")[0]
    assert f'href="/catalog/{people.id}"' in source_row and "权威来源" in source_row
    dup_row = section[section.index('class="dup-row"') :].split("</tr>")[0]
    assert f'href="/catalog/{marriage.id}"' in dup_row and "重复采集" in dup_row
    no_choice = client.post(
        "/item-sources",
        data={"csrf_token": token, "item_key": "姓名", "subject_kind": "person", "reason": "理由"},
        follow_redirects=False,
    )
    assert no_choice.status_code == 422 and "请选择" in text(no_choice)


def test_base_database_build_and_golden_record_with_provenance(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    h.built_population(ctx, world)
    pool = ctx.session.execute(select(Pool)).scalar_one()
    batch_id = ctx.session.execute(select(Batch.id).where(Batch.pool_id == pool.id)).scalar_one()
    resource_id = pool.resource_id
    login(client, "admin")
    page = text(client.get("/base-databases"))
    assert 'href="/base-databases">基础数据库</a>' in page  # the nav link
    assert "人口基础信息库" in page and "法人单位基础信息库" in page and "电子证照基础信息库" in page
    assert f'href="/catalog/{resource_id}"' in page and "四川省公安厅" in page and "唯一来源" in page
    assert 'action="/base-databases/population/build"' in page and "增量更新" in page
    token = csrf(client, "/base-databases")
    resp = client.post(
        "/base-databases/population/build", data={"csrf_token": token, "mode": "full"}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text[:300]
    page = text(client.get(resp.headers["location"]))
    assert "人口基础信息库已全量重建：2 个信息项，写入 2 个值，共 1 个主体" in page
    resp = client.post(
        "/base-databases/population/build",
        data={"csrf_token": token, "mode": "incremental"},
        follow_redirects=False,
    )
    assert "增量更新" in text(client.get(resp.headers["location"]))
    assert (
        client.post("/base-databases/nowhere/build", data={"csrf_token": token}, follow_redirects=False)
    ).status_code == 404

    login(client, "reviewer")  # reads, does not build
    page = text(client.get("/base-databases"))
    assert "/build" not in page and 'action="/base-databases/population/records"' in page
    resp = client.get(
        "/base-databases/population/records", params={"subject_id": PERSON.lower(), "purpose": "核验户籍信息"}
    )
    assert resp.status_code == 200
    page = text(resp)
    assert "张三" in page and "1949-12-31" in page
    assert f'href="/catalog/{resource_id}"' in page and f'href="/batches/{batch_id}"' in page
    assert "四川省公安厅" in page and "<code>name</code>" in page and "2026-11-20" in page
    assert "记入审计日志" in page
    [event] = _events(ctx, "base.read")
    assert event.purpose == "核验户籍信息" and event.outcome == "success"


def test_golden_record_lookup_needs_a_purpose_and_a_known_subject(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    h.built_population(ctx, world)
    login(client, "reviewer")
    first = client.get("/base-databases/population/records")
    assert first.status_code == 200 and "查询用途" in text(first) and "error-box" not in first.text
    resp = client.get("/base-databases/population/records", params={"subject_id": PERSON, "purpose": " "})
    assert resp.status_code == 422
    page = text(resp)
    assert "请填写查询用途" in page and f'value="{PERSON}"' in page and "张三" not in page
    assert not _events(ctx, "base.read")
    resp = client.get("/base-databases/population/records", params={"purpose": "核验"})
    assert resp.status_code == 422 and "请输入要查询的主体标识" in text(resp)
    resp = client.get(
        "/base-databases/population/records",
        params={"subject_id": "513221199007150324", "purpose": "核验户籍"},
    )
    assert resp.status_code == 404
    assert "中没有主体 513221199007150324 的记录" in text(resp) and "查询用途" in text(resp)
    [event] = _events(ctx, "base.read")
    assert event.outcome == "not_found"  # the failed lookup is recorded too
    assert client.get("/base-databases/nowhere/records").status_code == 404
    login(client, "gongan_officer")
    assert client.get("/base-databases").status_code == 403
    assert client.get("/base-databases/population/records").status_code == 403


def test_forms_without_csrf_are_refused(client: TestClient, ctx: Ctx, world: World) -> None:
    case_id = h.open_case(ctx, world)
    h.built_population(ctx, world)
    login(client, "admin")
    posts = [
        ("/reconciliations", {"subject_id": PERSON}),
        (f"/reconciliations/{case_id}/resolve", {"correct_value": "张三", "resolution": "户籍为准"}),
        (f"/reconciliations/{case_id}/escalate", {"reason": "各执一词"}),
        ("/item-sources", {"item_key": "姓名", "subject_kind": "person", "reason": "理由"}),
        ("/base-databases/population/build", {"mode": "full"}),
    ]
    for path, form in posts:
        for sent in ({}, {"csrf_token": "forged"}):
            resp = client.post(path, data={**form, **sent}, follow_redirects=False)
            assert resp.status_code == 403, (path, resp.status_code)
            assert "CSRF" in text(resp)
    assert _case(ctx, case_id).state == CaseState.OPEN
