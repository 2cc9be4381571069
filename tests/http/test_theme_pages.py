"""Thematic-database and emergency-collection pages end to end, through the real app and a browser session."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from govdata.audit.models import AuditEvent
from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.pool import web_themes
from govdata.pool.models import Batch, EmergencyCollection, EmergencyState, ThemeDatabase
from govdata.pool.service import load_file
from tests.http import helpers as h
from tests.http.test_catalog_pages import csrf, login, text
from tests.world import World

OTHER_ID = "513221199007150324"  # a second valid citizen number


def _count(ctx: Ctx, model: Any) -> int:
    ctx.session.rollback()  # see what the app committed
    return int(ctx.session.execute(select(func.count()).select_from(model)).scalar_one())


def _post(client: TestClient, path: str, form: dict[str, Any], page: str, **kw: Any) -> Any:
    return client.post(path, data={**form, "csrf_token": csrf(client, page)}, follow_redirects=False, **kw)


def _errors(resp: Any) -> str:
    return " ".join(re.findall(r'<div class="error-box" role="alert">(.*?)</div>', text(resp), re.S))


def _people_pool(ctx: Ctx, world: World, tmp_path: Path) -> int:
    """The population base database built, and 公安's pool holding two people: the pool's id."""
    h.built_population(ctx, world)
    res = h.published(ctx, world, name="居住登记信息")
    ctx.session.commit()
    path = tmp_path / "people.csv"
    path.write_text(
        f"公民身份号码,姓名,出生日期,户籍地址\n11010519491231002X,张三,1949-12-31,北京\n{OTHER_ID},李四,1990-07-15,汶川\n",
        encoding="utf-8",
    )
    return load_file(ctx, world.actor("gongan_officer"), res.id, path).pool_id


# ---------------------------------------------------------------- thematic databases


def test_theme_list_shows_themes_and_the_define_form(client: TestClient, ctx: Ctx, world: World) -> None:
    theme_id = h.theme(ctx, world)
    login(client, "admin")
    resp = client.get("/themes")
    assert resp.status_code == 200
    page = text(resp)
    assert 'href="/themes">主题数据库</a>' in page and 'href="/emergency">应急采集</a>' in page  # nav
    assert f'href="/themes/{theme_id}">人口主题1</a>' in page
    assert "公民身份号码" in page and "按需刷新" in page and "2026-11-20 10:00" in page
    assert "定义主题数据库" in page and 'value="base:population:姓名"' in page
    assert "人口基础信息库" in page and "户籍人口基本信息" not in page  # only the base entry has a pool here
    login(client, "reviewer")  # reads, cannot define
    page = text(client.get("/themes"))
    assert "人口主题1" in page and "定义主题数据库" not in page and 'action="/themes"' not in page


def test_define_a_theme_through_the_form(client: TestClient, ctx: Ctx, world: World, tmp_path: Path) -> None:
    pool_id = _people_pool(ctx, world, tmp_path)
    login(client, "admin")
    form = h.theme_form("居民服务", (f"pool:{pool_id}:address", "base:population:出生日期"))
    form |= {f"label-pool:{pool_id}:address": "户籍地", "schedule": "daily"}
    resp = _post(client, "/themes", form, "/themes")
    assert resp.status_code == 303, _errors(resp)
    theme_id = int(re.search(r"/themes/(\d+)\?msg=", resp.headers["location"]).group(1))  # type: ignore[union-attr]
    page = text(client.get(resp.headers["location"]))
    assert "已定义主题库“居民服务”：2 个信息项，已刷新，共 2 行" in page
    assert "户籍地" in page and "居住登记信息 › 户籍地址（address）" in page
    assert "人口基础信息库 › 信息项“出生日期”" in page and "每日刷新" in page
    assert "下次应刷新 2026-11-21 10:00" in page
    ctx.session.rollback()
    theme = ctx.session.get(ThemeDatabase, theme_id)
    assert (
        theme is not None
        and theme.row_count == 2
        and [f.label for f in theme.fields] == ["户籍地", "出生日期"]
    )


def test_a_bad_definition_shows_the_problem_and_writes_nothing(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    h.theme(ctx, world)  # 人口主题1
    login(client, "admin")
    cases = [
        (h.theme_form(""), "主题库名称：过短"),
        (h.theme_form("无信息项", ()), "请至少勾选一个信息项"),
        (h.theme_form("人口主题1"), "已有名为“人口主题1”的主题库"),
        (h.theme_form("错的来源", ("pool:999:xm",)), "资源池中没有信息项 xm"),
        (h.theme_form("脚本", ("base:population:姓名",)) | {"description": "<script>x</script>"}, "说明："),
        (h.theme_form("错的刷新") | {"schedule": "hourly"}, "刷新方式：格式不正确"),
    ]
    for form, expected in cases:
        resp = _post(client, "/themes", form, "/themes")
        assert resp.status_code == 422, expected
        assert expected in _errors(resp), (expected, _errors(resp))
        assert "定义主题数据库" in text(resp)  # the form is back, with what was typed
        if form["name"]:
            assert f'value="{form["name"]}"' in resp.text
    assert _count(ctx, ThemeDatabase) == 1
    assert not [t for t in inspect(ctx.session.get_bind()).get_table_names() if t.startswith("theme_t")][1:]


def test_theme_rows_need_a_purpose_are_paged_and_audited(
    client: TestClient, ctx: Ctx, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool_id = _people_pool(ctx, world, tmp_path)
    login(client, "admin")
    resp = _post(client, "/themes", h.theme_form("居民", (f"pool:{pool_id}:name",)), "/themes")
    theme_id = int(re.search(r"/themes/(\d+)", resp.headers["location"]).group(1))  # type: ignore[union-attr]
    login(client, "reviewer")
    page = text(client.get(f"/themes/{theme_id}"))
    assert "查看用途" in page and "张三" not in page and "立即刷新" not in page
    resp = client.get(f"/themes/{theme_id}?purpose=x")
    assert resp.status_code == 422 and "查看主题库数据须说明用途" in text(resp)
    monkeypatch.setattr(web_themes, "PER_PAGE", 1)
    page = text(client.get(f"/themes/{theme_id}?purpose=居民统计"))
    assert "11010519491231002X" in page and "张三" in page and "李四" not in page
    assert "下一页" in page and "上一页" not in page
    nxt = re.search(r'href="([^"]*offset=1[^"]*)"', page).group(1)  # type: ignore[union-attr]
    page = text(client.get(nxt))
    assert "李四" in page and "张三" not in page and "上一页" in page and "下一页" not in page
    ctx.session.rollback()
    reads = ctx.session.execute(select(AuditEvent).where(AuditEvent.action == "theme.read")).scalars().all()
    assert [e.purpose for e in reads] == ["居民统计", "居民统计"]


def test_refresh_button_refreshes_and_says_how_many_rows(
    client: TestClient, ctx: Ctx, world: World, tmp_path: Path
) -> None:
    theme_id = h.theme(ctx, world)
    login(client, "admin")
    page = text(client.get(f"/themes/{theme_id}"))
    assert f'action="/themes/{theme_id}/refresh"' in page and "立即刷新" in page
    resp = _post(client, f"/themes/{theme_id}/refresh", {}, f"/themes/{theme_id}")
    assert resp.status_code == 303
    assert "主题库“人口主题1”已刷新：共 1 行" in text(client.get(resp.headers["location"]))
    login(client, "reviewer")
    assert _post(client, f"/themes/{theme_id}/refresh", {}, f"/themes/{theme_id}").status_code == 403


def test_themes_are_refused_without_the_read_permission(client: TestClient, ctx: Ctx, world: World) -> None:
    theme_id = h.theme(ctx, world)
    for who in ("gongan_officer", "citizen"):
        login(client, who)
        assert client.get("/themes").status_code == 403
        assert client.get(f"/themes/{theme_id}").status_code == 403
        assert 'href="/themes"' not in client.get("/").text
    login(client, "gongan_officer")
    assert _post(client, "/themes", h.theme_form("部门主题"), "/tokens").status_code == 403
    login(client, "admin")
    assert client.get("/themes/999999").status_code == 404
    assert _count(ctx, ThemeDatabase) == 1


# ---------------------------------------------------------------- emergency collections


def test_emergency_list_explains_the_deadline_and_lists_the_overdue(
    client: TestClient, ctx: Ctx, world: World, clock: FixedClock
) -> None:
    collection_id = h.emergency_collection(ctx, world)
    login(client, "gongan_officer")
    page = text(client.get("/emergency"))
    assert f'href="/emergency/{collection_id}">地震受灾群众安置登记</a>' in page
    assert "安置与救助" in page and "2026-12-10" in page and "采集中" in page
    assert "采集截止日后须封存或销毁" in page and "逾期未处置" not in page.split("</div>", 3)[-1]
    assert "发起应急采集" in page and 'name="item-0-name"' in page
    clock.advance(days=21)  # past 2026-12-10, neither sealed nor destroyed
    login(client, "reviewer")
    page = text(client.get("/emergency"))
    assert "逾期未处置（1）" in page and "发起应急采集" not in page
    detail = text(client.get(f"/emergency/{collection_id}"))
    assert "采集截止日 2026-12-10 已过，不能再加载数据" in detail and "处置" in detail
    login(client, "gongan_officer")
    assert "上传数据文件" not in text(client.get(f"/emergency/{collection_id}"))


def test_open_an_emergency_collection_through_the_form(client: TestClient, ctx: Ctx, world: World) -> None:
    login(client, "gongan_officer")
    resp = _post(client, "/emergency", h.emergency_form(), "/emergency")
    assert resp.status_code == 303, _errors(resp)
    page = text(client.get(resp.headers["location"]))
    assert "已发起应急采集“地震受灾群众安置登记”，采集截止 2026-12-10" in page
    assert "《突发事件应对法》第五十二条" in page and "安置地点" in page and "azdd" in page
    assert "还有 20 天" in page and 'action="/emergency/' in page and "上传数据文件" in page
    ctx.session.rollback()
    collection = ctx.session.execute(select(EmergencyCollection)).scalar_one()
    assert collection.state == EmergencyState.ACTIVE and collection.title == "地震受灾群众安置登记"


def test_a_bad_emergency_form_shows_the_problem_and_writes_nothing(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    login(client, "gongan_officer")
    no_items = {
        k: v for k, v in h.emergency_form().items() if not k.startswith("item-0") and "item-1" not in k
    }
    cases = [
        (h.emergency_form("2026-11-01"), "应急采集须设定晚于今天的结束日期"),
        (h.emergency_form("2028-01-01"), "结束日期不得晚于 366 天之后"),
        (h.emergency_form(""), "结束日期：应为日期"),
        (h.emergency_form() | {"title": ""}, "名称：过短"),
        (h.emergency_form() | {"item-1-field_name": "安置 地点"}, "信息项 › 第 2 项 › 字段名：格式不正确"),
        (no_items, "信息项：过短"),
    ]
    for form, expected in cases:
        resp = _post(client, "/emergency", form, "/emergency")
        assert resp.status_code == 422, expected
        assert expected in _errors(resp), (expected, _errors(resp))
        assert 'value="《突发事件应对法》' not in resp.text  # a textarea, not an input
        assert "《突发事件应对法》第五十二条</textarea>" in text(resp)  # what was typed is kept
    resp = _post(client, "/emergency", h.emergency_form() | {"add_rows": "1"}, "/emergency")
    assert resp.status_code == 200 and 'name="item-7-name"' in resp.text
    login(client, "reviewer")  # the authority does not collect
    assert _post(client, "/emergency", h.emergency_form(), "/emergency").status_code == 403
    assert _count(ctx, EmergencyCollection) == 0


def _upload(client: TestClient, collection_id: int, content: bytes, name: str = "e.csv", **form: str) -> Any:
    data = {"mode": "append", "on_reject": "skip"} | form
    return _post(
        client,
        f"/emergency/{collection_id}/upload",
        data,
        "/tokens",
        files={"file": (name, content, "text/csv")},
    )


def test_upload_then_preview_rows(client: TestClient, ctx: Ctx, world: World) -> None:
    collection_id = h.emergency_collection(ctx, world)
    login(client, "gongan_officer")
    resp = _upload(client, collection_id, h.EMERGENCY_CSV.encode())
    assert resp.status_code == 303, _errors(resp)
    page = text(client.get(resp.headers["location"]))
    assert re.search(r"批次 \d+ 已完成：新增 1 行，更新 0 行，问题行 0 行", page)
    assert "批次记录" in page and "e.csv" in page and "1</strong> 行" in page
    page = text(client.get(f"/emergency/{collection_id}?purpose=核对安置名单"))
    assert "体育馆" in page and "11010519491231002X" in page
    resp = _upload(client, collection_id, "姓名\n张三\n".encode())
    assert resp.status_code == 422 and "缺少" in _errors(resp)
    resp = _upload(client, collection_id, b"", name="e.csv")
    assert resp.status_code == 422 and "是空的" in _errors(resp)
    resp = _upload(client, collection_id, h.EMERGENCY_CSV.encode(), mode="merge")
    assert resp.status_code == 422 and "请选择加载方式" in _errors(resp)
    assert _count(ctx, Batch) == 1
    login(client, "minzheng_officer")
    assert client.get(f"/emergency/{collection_id}").status_code == 404
    assert _upload(client, collection_id, h.EMERGENCY_CSV.encode()).status_code == 404


def _close(client: TestClient, collection_id: int, **form: str) -> Any:
    return _post(client, f"/emergency/{collection_id}/close", form, "/tokens")


def test_seal_closes_access_and_a_missing_reason_changes_nothing(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    collection_id = h.emergency_collection(ctx, world, loaded=True)
    login(client, "gongan_officer")
    for assessment in ("", "短", "<b>封存</b>"):
        resp = _close(client, collection_id, disposal="seal", assessment=assessment)
        assert resp.status_code == 422 and ("请填写评估意见" in _errors(resp) or "HTML" in _errors(resp))
    ctx.session.rollback()
    assert ctx.session.get(EmergencyCollection, collection_id).state == EmergencyState.ACTIVE  # type: ignore[union-attr]
    login(client, "gongan_user")  # reads, may not dispose
    assert _close(client, collection_id, disposal="seal", assessment="安置结束，封存备查").status_code == 403
    login(client, "gongan_officer")
    resp = _close(client, collection_id, disposal="seal", assessment="安置结束，封存备查")
    assert resp.status_code == 303
    page = text(client.get(resp.headers["location"]))
    assert "已封存：数据保留备查，访问已关闭，不能再加载数据" in page
    assert "已封存，访问已关闭" in page and "安置结束，封存备查" in page
    assert "上传数据文件" not in page and "查看用途" not in page and "封存（关闭访问）" not in page
    resp = client.get(f"/emergency/{collection_id}?purpose=再看看")
    assert resp.status_code == 403 and "体育馆" not in text(resp)
    assert _upload(client, collection_id, h.EMERGENCY_CSV.encode()).status_code == 422
    login(client, "reviewer")  # the authority may still look, to assess
    assert "体育馆" in text(client.get(f"/emergency/{collection_id}?purpose=评估是否保留"))


def test_destroy_needs_confirmation_and_drops_the_data(client: TestClient, ctx: Ctx, world: World) -> None:
    collection_id = h.emergency_collection(ctx, world, loaded=True)
    ctx.session.rollback()
    table = ctx.session.get(EmergencyCollection, collection_id).pool.table_name  # type: ignore[union-attr]
    login(client, "reviewer")
    resp = _close(client, collection_id, disposal="destroy", assessment="事件处置完毕，数据无需保留")
    assert resp.status_code == 422 and "请勾选确认" in _errors(resp)
    resp = _close(client, collection_id, disposal="burn", assessment="事件处置完毕，数据无需保留")
    assert resp.status_code == 422 and "处置方式应为" in _errors(resp)
    assert table in inspect(ctx.session.get_bind()).get_table_names()
    resp = _close(
        client, collection_id, disposal="destroy", assessment="事件处置完毕，数据无需保留", confirm="1"
    )
    assert resp.status_code == 303
    page = text(client.get(resp.headers["location"]))
    assert "已销毁：删除数据 1 行，访问已关闭；采集记录与评估意见保留" in page
    assert "已销毁，访问已关闭" in page and "销毁数据" not in page and "体育馆" not in page
    ctx.session.rollback()
    assert ctx.session.get(EmergencyCollection, collection_id).state == EmergencyState.DESTROYED  # type: ignore[union-attr]
    assert table not in inspect(ctx.session.get_bind()).get_table_names()
    resp = _close(client, collection_id, disposal="destroy", assessment="再次销毁", confirm="1")
    assert resp.status_code == 422 and "该应急采集已销毁" in _errors(resp)


def test_emergency_pages_are_refused_without_the_pool_permission(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    collection_id = h.emergency_collection(ctx, world)
    for who in ("auditor", "citizen"):
        login(client, who)
        assert client.get("/emergency").status_code == 403
        assert client.get(f"/emergency/{collection_id}").status_code == 403
        assert 'href="/emergency"' not in client.get("/").text
    login(client, "minzheng_officer")
    assert "地震受灾群众安置登记" not in text(client.get("/emergency"))  # another department's
    assert _close(client, 999999, disposal="seal", assessment="不存在的采集").status_code == 404
