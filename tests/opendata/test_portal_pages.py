"""The public portal: home, Chinese search with facets, dataset page with preview, identity before download,
streamed files that carry source and date, registration with ID checks, the not-open list."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, event, select

from govdata.context import Ctx
from govdata.opendata import service, users
from govdata.opendata.models import OpenListing, Retrieval
from govdata.org.models import User
from tests.http.test_catalog_pages import login, text
from tests.opendata.fixtures import published_listing
from tests.sharing.fixtures import id_number
from tests.world import World


def test_visitor_searches_in_chinese_and_previews(client: TestClient, ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world)
    home = text(client.get("/open"))
    assert "户籍人口基本信息（脱敏）" in home and "已发布数据集" in home
    found = text(client.get("/open/datasets", params={"q": "户籍 人口"}))
    assert 'class="result-count">1<' in found and "四川省公安厅" in found
    assert 'class="result-count">0<' in text(client.get("/open/datasets", params={"q": "公交"}))
    faceted = text(client.get("/open/datasets", params={"format": "json", "open_type": "unconditional"}))
    assert 'class="result-count">1<' in faceted and "✓ JSON" in faceted
    page = text(client.get(f"/open/datasets/{listing.id}"))
    assert "张*" in page and "李*" in page and "李四" not in page  # de-identified preview
    assert "脱敏后开放" in page and "获取日期" in page
    assert '请<a href="/login?next=/open/datasets/' in page  # downloads need an identity


def test_download_needs_identity_and_carries_source(client: TestClient, ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world)
    anon = client.get(f"/open/datasets/{listing.id}/download/csv", follow_redirects=False)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login")
    login(client, "citizen")
    resp = client.get(f"/open/datasets/{listing.id}/download/csv")
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
    lines = resp.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("# 数据来源：四川省公安厅") and "获取日期：2026-11-20" in lines[0]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    assert [r["name"] for r in rows] == ["张*", "李*", "王*"]
    doc = json.loads(client.get(f"/open/datasets/{listing.id}/download/json").content)
    assert doc["retrieved"] == "2026-11-20" and len(doc["records"]) == 3
    book = load_workbook(io.BytesIO(client.get(f"/open/datasets/{listing.id}/download/xlsx").content))
    assert book.sheetnames == ["数据说明", "数据"]
    assert "数据来源" in book["数据说明"]["A1"].value
    assert [c.value for c in book["数据"][1]] == ["公民身份号码", "姓名", "出生日期", "户籍地址"]
    assert book["数据"].max_row == 4
    ctx.session.expire_all()
    taken = ctx.session.scalars(select(Retrieval).order_by(Retrieval.id)).all()
    assert [(t.format, t.rows) for t in taken] == [("csv", 3), ("json", 3), ("xlsx", 3)]
    assert ctx.session.get(OpenListing, listing.id).download_count == 3


def test_suspended_user_and_suspended_data_get_no_rows(client: TestClient, ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world)
    users.suspend_user(ctx, world.actor("admin"), world.users["citizen"].id, "批量转售开放数据，违反使用规则")
    ctx.session.commit()
    login(client, "citizen")
    resp = client.get(f"/open/datasets/{listing.id}/download/csv")
    assert resp.status_code == 403 and "已被暂停" in text(resp)
    users.lift_suspension(ctx, world.actor("admin"), world.users["citizen"].id, "已整改")
    service.suspend_listing(ctx, world.actor("gongan_officer"), listing.id, "发现含有未脱敏信息")
    ctx.session.commit()
    resp = client.get(f"/open/datasets/{listing.id}/download/csv")
    assert resp.status_code == 403 and "暂停开放" in text(resp)
    assert "暂停期间不提供预览" in text(client.get(f"/open/datasets/{listing.id}"))
    assert ctx.session.scalar(select(Retrieval.id)) is None


def test_conditional_data_needs_an_application(client: TestClient, ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world, "conditional")
    page = text(client.get(f"/open/datasets/{listing.id}"))
    assert (
        "申请使用" in page and "李*" not in page and "数据预览" not in page
    )  # no preview of conditional data
    login(client, "citizen")
    resp = client.get(f"/open/datasets/{listing.id}/download/csv")
    assert resp.status_code == 403 and "须先提交申请" in text(resp)
    listed = text(client.get("/open/not-open"))
    assert "户籍人口基本信息（脱敏）" in listed and "个人信息保护法" in listed


def test_registration_checks_identity_and_keeps_the_form(client: TestClient, ctx: Ctx, world: World) -> None:
    form = {
        "subject_kind": "person",
        "display_name": "赵六",
        "subject_id": "513221198001010010",  # wrong check digit
        "username": "zhaoliu",
        "password": "Zhaoliu2026",
        "password_again": "Zhaoliu2026",
    }
    bad = client.post("/open/register", data=form)
    assert bad.status_code == 422 and "公民身份号码无效" in text(bad) and 'value="赵六"' in text(bad)
    form["subject_id"] = id_number("51322119800101001")
    ok = client.post("/open/register", data=form, follow_redirects=False)
    assert ok.status_code == 303
    again = client.post("/open/register", data={**form, "username": "zhaoliu2"})
    assert again.status_code == 422 and "已注册过账号" in text(again)
    user = ctx.session.scalars(select(User).where(User.username == "zhaoliu")).one()
    assert user.subject_kind.value == "person" and user.role.value == "public_user"
    org = {**form, "subject_kind": "organisation", "subject_id": "91510100MA61234567", "username": "acme"}
    assert "统一社会信用代码无效" in text(client.post("/open/register", data=org))
    signed_in = client.post(
        "/login", data={"username": "zhaoliu", "password": "Zhaoliu2026"}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    assert "已实名认证" in text(client.get("/open/me"))


def test_api_catalog_and_rows(client: TestClient, ctx: Ctx, world: World) -> None:
    listing = published_listing(ctx, world)
    found = client.get("/api/v1/open/datasets", params={"q": "户籍"}).json()
    assert found["total"] == 1 and found["results"][0]["publisher"] == "四川省公安厅"
    assert found["results"][0]["downloads"]["csv"].endswith(f"/open/datasets/{listing.id}/download/csv")
    assert client.get(f"/api/v1/open/datasets/{listing.id}/rows").status_code == 401
    from govdata.org.service import create_api_token

    _token, plain = create_api_token(ctx, world.actor("citizen"), "研究", 30)
    ctx.session.commit()
    auth = {"Authorization": f"Bearer {plain}"}
    first = client.get(f"/api/v1/open/datasets/{listing.id}/rows", params={"limit": 2}, headers=auth).json()
    assert [r["name"] for r in first["records"]] == ["张*", "李*"] and first["next_after"]
    rest = client.get(
        f"/api/v1/open/datasets/{listing.id}/rows",
        params={"after": first["next_after"], "limit": 2},
        headers=auth,
    ).json()
    assert [r["name"] for r in rest["records"]] == ["王*"] and rest["next_after"] is None
    assert "获取日期" in rest["citation"]


def test_database_written_csv_equals_the_python_path(client: TestClient, ctx: Ctx, world: World) -> None:
    """On PostgreSQL the CSV is masked and written by COPY; byte for byte it is what the Python path writes."""
    from govdata.opendata import data

    items = [
        {"field_name": "id_number", "treatment": "mask", "rule": "id_number"},
        {"field_name": "name", "treatment": "mask", "rule": "name"},
        {"field_name": "birth_date", "treatment": "generalise", "rule": "year_only"},
    ]
    listing = published_listing(ctx, world, items=items)
    cols = data.columns(ctx, listing)
    fast = data.copy_sql(ctx, listing, cols)
    assert (fast is not None) == (ctx.session.get_bind().dialect.name == "postgresql")
    cite = data.citation(ctx, listing, "http://testserver/")
    python = b"".join(
        chunk for chunk, _ in data.csv_payload(cols, cite, data.batches(ctx, listing, cols)).chunks()
    )
    login(client, "citizen")
    served = client.get(f"/open/datasets/{listing.id}/download/csv").content
    head, _, rows = served.partition(b"\n")
    python_head, _, python_rows = python.partition(b"\n")
    assert head == python_head and sorted(rows.splitlines()) == sorted(python_rows.splitlines())
    assert "513221********0019,张*,1980年" in served.decode("utf-8-sig").splitlines()
    ctx.session.expire_all()
    assert ctx.session.scalars(select(Retrieval.rows)).one() == 3


def test_api_search_page_costs_the_same_queries_for_one_or_many_datasets(
    client: TestClient, ctx: Ctx, world: World, engine: Engine
) -> None:
    """Items and publishers come in one query each, not one per dataset (N+1)."""

    def statements() -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            resp = client.get("/api/v1/open/datasets?sort=title")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert resp.status_code == 200 and all(d["items"] and d["publisher"] for d in resp.json()["results"])
        return len(seen)

    published_listing(ctx, world)
    client.get("/api/v1/open/datasets")  # the facet groups are built once per catalog generation
    one = statements()
    for _ in range(4):
        published_listing(ctx, world)
    assert client.get("/api/v1/open/datasets").json()["total"] == 5
    assert statements() == one
