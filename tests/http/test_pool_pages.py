"""The pool pages end to end: overview, pool detail with its quality figures, upload form, batch and report."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from govdata.clock import FixedClock
from govdata.context import Ctx
from govdata.pool.models import Batch, BatchStatus, Pool
from tests.http import helpers as h
from tests.http.test_catalog_pages import csrf, login, text
from tests.world import World

BAD_ID = "110105194912310021"  # wrong check character: the rejected row of h.POOL_CSV


def _batches(ctx: Ctx) -> int:
    ctx.session.rollback()  # see what the app committed
    return ctx.session.execute(select(func.count()).select_from(Batch)).scalar_one()


def _upload(
    client: TestClient,
    resource_id: int,
    content: bytes,
    filename: str = "pop.csv",
    *,
    mode: str = "upsert",
    on_reject: str = "skip",
    token: str | None = None,
) -> object:
    data = {"mode": mode, "on_reject": on_reject, "encoding": ""}
    if token is None:
        token = csrf(client, f"/pools/{resource_id}")
    if token:
        data["csrf_token"] = token
    return client.post(
        f"/pools/{resource_id}/upload",
        data=data,
        files={"file": (filename, content, "text/csv")},
        follow_redirects=False,
    )


def test_overview_of_a_department_lists_loaded_and_unaggregated_entries(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    entry_id, batch_id = h.loaded_pool(ctx, world)
    waiting = h.published(ctx, world, name="机动车驾驶证信息")
    h.draft(ctx, world, name="尚在编制的条目")
    h.published(ctx, world, "minzheng_officer", name="婚姻登记信息")
    ctx.session.commit()
    login(client, "gongan_officer")
    resp = client.get("/pools")
    assert resp.status_code == 200
    page = text(resp)
    assert "本部门资源池" in page
    assert f'href="/pools/{entry_id}"' in page and "户籍人口基本信息" in page
    assert f'href="/batches/{batch_id}"' in page
    assert f'href="/pools/{waiting.id}' in page and "机动车驾驶证信息" in page and "未归集" in page
    assert "尚在编制的条目" not in page  # a draft cannot be aggregated yet
    assert "婚姻登记信息" not in page  # another department's entry
    assert 'href="/pools">资源池</a>' in page  # the nav link


def test_reviewer_sees_the_jurisdiction_by_department_with_overdue_pools_first(
    client: TestClient, ctx: Ctx, world: World, clock: FixedClock
) -> None:
    entry_id, _ = h.loaded_pool(ctx, world)
    h.published(ctx, world, "minzheng_officer", name="婚姻登记信息")
    ctx.session.commit()
    login(client, "reviewer")
    page = text(client.get("/pools"))
    assert "部门资源池总览" in page
    assert "四川省公安厅" in page and "四川省民政厅" in page
    assert "尚未归集的条目（1）" in page and "婚姻登记信息" in page
    assert "逾期未更新（" not in page
    clock.advance(days=3)  # a daily entry last loaded three days ago
    login(client, "reviewer")  # the session has expired meanwhile
    page = text(client.get("/pools"))
    late = page.index("逾期未更新（1）")
    assert late < page.index('id="dept-')
    assert f'href="/pools/{entry_id}"' in page[late:]
    detail = text(client.get(f"/pools/{entry_id}"))
    assert "已超过应更新日期 2026-11-21" in detail


def test_pool_detail_shows_columns_quality_and_batches(client: TestClient, ctx: Ctx, world: World) -> None:
    entry_id, batch_id = h.loaded_pool(ctx, world)
    login(client, "gongan_officer")
    resp = client.get(f"/pools/{entry_id}")
    assert resp.status_code == 200
    page = text(resp)
    assert f'href="/catalog/{entry_id}"' in page
    assert "公民身份号码（<code>id_number</code>）" in page  # the key
    assert "数据质量" in page and "完整率" in page and 'class="meter' in page
    assert f'href="/batches/{batch_id}"' in page and "按主键更新" in page and "跳过问题行" in page
    assert 'enctype="multipart/form-data"' in page and "整批原子：" in page
    login(client, "gongan_user")  # reads, cannot load
    page = text(client.get(f"/pools/{entry_id}"))
    assert "数据质量" in page and 'enctype="multipart/form-data"' not in page


def test_unaggregated_entry_offers_the_first_upload(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    login(client, "gongan_officer")
    page = text(client.get(f"/pools/{res.id}"))
    assert "该条目尚未归集数据" in page and 'action="/pools/' in page
    assert "id_number" in page  # the columns the pool will get


def test_upload_through_the_form_creates_a_batch_and_shows_it(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    login(client, "gongan_officer")
    resp = _upload(client, res.id, h.POOL_CSV.encode())
    assert resp.status_code == 303, text(resp)[:500]
    location = resp.headers["location"]
    batch_id = int(re.search(r"/batches/(\d+)\?msg=", location).group(1))  # type: ignore[union-attr]
    page = text(client.get(location))
    assert f"批次 {batch_id} 已完成：新增 1 行，更新 0 行，问题行 1 行" in page
    assert "归集批次" in page and "pop.csv" in page
    assert BAD_ID in page and "公民身份号码" in page
    assert f'href="/batches/{batch_id}/rejects.csv"' in page
    assert _batches(ctx) == 1
    # the same file again: the good row is already held
    resp = _upload(client, res.id, h.POOL_CSV.encode())
    assert "%E6%9C%AA%E5%8F%98%E5%8C%96" in resp.headers["location"]  # 未变化


def test_a_failed_batch_goes_to_its_page_with_the_reason(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    login(client, "gongan_officer")
    resp = _upload(client, res.id, h.POOL_CSV.encode(), on_reject="abort")
    assert resp.status_code == 303
    page = text(client.get(resp.headers["location"]))
    assert "未入库：有 1 行未通过校验" in page
    assert "本批次未入库，资源池保持原样" in page
    ctx.session.rollback()
    assert ctx.session.execute(select(Batch.status)).scalar_one() == BatchStatus.FAILED


def test_a_file_that_cannot_be_loaded_is_refused_with_nothing_written(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    login(client, "gongan_officer")
    no_name = "公民身份号码,出生日期\n11010519491231002X,1949-12-31\n"
    resp = _upload(client, res.id, no_name.encode())
    assert resp.status_code == 422
    page = text(resp)
    assert "缺少必填信息项的列：姓名（name）" in page and "资源池保持原样" in page
    assert 'enctype="multipart/form-data"' in page  # the form is back, to try again
    resp = _upload(client, res.id, b"%PDF-1.4", filename="pop.pdf")
    assert resp.status_code == 422 and "不支持的文件格式" in text(resp)
    resp = _upload(client, res.id, b"", filename="pop.csv")
    assert resp.status_code == 422 and "是空的" in text(resp)
    assert _batches(ctx) == 0
    assert ctx.session.execute(select(func.count()).select_from(Pool)).scalar_one() == 0


def test_reject_report_downloads_as_csv(client: TestClient, ctx: Ctx, world: World) -> None:
    _, batch_id = h.loaded_pool(ctx, world)
    login(client, "gongan_user")
    resp = client.get(f"/batches/{batch_id}/rejects.csv")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    assert "attachment" in resp.headers["content-disposition"]
    body = resp.content.decode("utf-8-sig")
    assert body.splitlines()[0].startswith("类别,数据行号")
    assert BAD_ID in body


def test_another_department_gets_404(client: TestClient, ctx: Ctx, world: World) -> None:
    entry_id, batch_id = h.loaded_pool(ctx, world)
    waiting = h.published(ctx, world, name="机动车驾驶证信息")
    ctx.session.commit()
    login(client, "minzheng_officer")
    for path in (
        f"/pools/{entry_id}",
        f"/pools/{waiting.id}",
        f"/batches/{batch_id}",
        f"/batches/{batch_id}/rejects.csv",
    ):
        assert client.get(path).status_code == 404, path
    token = csrf(client, "/pools")
    assert _upload(client, entry_id, h.POOL_CSV.encode(), token=token).status_code == 404
    assert _batches(ctx) == 1


def test_citizen_is_refused(client: TestClient, ctx: Ctx, world: World) -> None:
    entry_id, batch_id = h.loaded_pool(ctx, world)
    login(client, "citizen")
    assert client.get("/pools").status_code == 403
    assert client.get(f"/pools/{entry_id}").status_code == 403
    assert client.get(f"/batches/{batch_id}").status_code == 403
    assert 'href="/pools"' not in client.get("/").text


def test_upload_without_csrf_is_refused(client: TestClient, ctx: Ctx, world: World) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    login(client, "gongan_officer")
    resp = _upload(client, res.id, h.POOL_CSV.encode(), token="")
    assert resp.status_code == 403
    resp = _upload(client, res.id, h.POOL_CSV.encode(), token="forged")
    assert resp.status_code == 403
    assert _batches(ctx) == 0


def _citizen_id(serial: int) -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=serial // 1000)
    body = f"110105{born:%Y%m%d}{serial % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def test_a_data_file_larger_than_an_ordinary_form_is_accepted(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    res = h.published(ctx, world)
    ctx.session.commit()
    login(client, "gongan_officer")
    lines = ["公民身份号码,姓名,出生日期,户籍地址"]
    lines += [f"{_citizen_id(i)},张{i},1980-01-01,{'四川省成都市锦江区' * 4}{i}号" for i in range(12_000)]
    content = ("\n".join(lines) + "\n").encode()
    assert len(content) > client.app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    resp = _upload(client, res.id, content, mode="append")
    assert resp.status_code == 303, text(resp)[:300]
    ctx.session.rollback()
    read, loaded = ctx.session.execute(select(Batch.rows_read, Batch.rows_loaded)).one()
    assert (read, loaded) == (12_000, 12_000)
