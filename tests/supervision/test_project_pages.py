"""The project and asset pages as people use them: forms with Chinese errors and nothing written, the authority's
refusals shown on the project page with the checklist, confirmations after each action; and the CLI commands."""

from __future__ import annotations

import html
import os
import subprocess
import sys

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from govdata.context import Ctx
from govdata.supervision import assets, projects
from govdata.supervision.assets import RegisterIn
from govdata.supervision.project_models import AssetStatus, DataAsset, Project, ProjectState
from govdata.supervision.projects import EntryLinkIn, ProjectIn
from tests.http import helpers as h
from tests.http.project_cases import project_body
from tests.http.test_catalog_pages import CSRF, login
from tests.world import World


def token(client: TestClient, path: str) -> str:
    found = CSRF.search(client.get(path).text)
    assert found
    return found.group(1)


def form(who: str) -> dict[str, str]:
    body = project_body(who)
    return {**body, "systems": "\n".join(body["systems"])}


def test_department_registers_compiles_and_submits(client: TestClient, ctx: Ctx, world: World) -> None:
    entry = h.draft(ctx, world, name="人口信息采集条目")
    ctx.session.commit()
    login(client, "gongan_officer")
    t = token(client, "/projects/new")
    bad = client.post("/projects/new", data={**form("a"), "budget_wan": "一千万", "end_date": "2020-01-01",
                                              "csrf_token": t})  # fmt: skip
    assert bad.status_code == 200 and "项目预算应为数字" in bad.text and "一千万" in bad.text
    assert ctx.session.scalar(select(func.count()).select_from(Project)) == 0
    done = client.post("/projects/new", data={**form("a"), "csrf_token": t}, follow_redirects=False)
    assert done.status_code == 303 and "/projects/" in done.headers["location"]
    page = client.get(done.headers["location"])
    assert "已登记" in page.text and "尚未编制项目数据资源目录" in page.text
    pid = int(done.headers["location"].split("/projects/")[1].split("?")[0])
    added = client.post(f"/projects/{pid}/entries", data={"resource_id": str(entry.id), "role": "produce",
                                                         "csrf_token": t}, follow_redirects=True)  # fmt: skip
    assert "已将目录条目" in added.text and entry.code in added.text
    again = client.post(f"/projects/{pid}/entries", data={"resource_id": str(entry.id), "csrf_token": t})
    assert again.status_code == 200 and "已在本项目" in html.unescape(again.text)
    sent = client.post(
        f"/projects/{pid}/move", data={"move": "submit", "csrf_token": t}, follow_redirects=True
    )
    assert "已报送审批" in sent.text and "待审批" in sent.text


def _submitted(ctx: Ctx, world: World, *entries: int) -> int:
    officer = world.actor("gongan_officer")
    project = projects.register(ctx, officer, ProjectIn.model_validate(project_body("s")))
    for rid in entries:
        projects.add_entry(ctx, officer, project.id, EntryLinkIn(resource_id=rid))
    projects.department_move(ctx, officer, project.id, "submit")
    ctx.session.commit()
    return project.id


def test_authority_sees_why_it_cannot_approve_or_accept(client: TestClient, ctx: Ctx, world: World) -> None:
    empty = _submitted(ctx, world)
    unloaded = h.published(ctx, world, name="居住证信息")
    full = _submitted(ctx, world, unloaded.id)
    login(client, "reviewer")
    t = token(client, f"/projects/{empty}")
    refused = client.post(f"/projects/{empty}/move", data={"move": "approve", "csrf_token": t})
    assert refused.status_code == 200 and "尚未编制项目政务数据资源目录" in refused.text
    assert ctx.session.get(Project, empty).state == ProjectState.SUBMITTED  # type: ignore[union-attr]
    no_comment = client.post(f"/projects/{empty}/move", data={"move": "return", "csrf_token": t})
    assert "须填写意见" in no_comment.text
    returned = client.post(f"/projects/{empty}/move", data={"move": "return", "comment": "请编制目录",
                                                            "csrf_token": t}, follow_redirects=True)  # fmt: skip
    assert "已退回部门修改" in returned.text and "请编制目录" in returned.text
    ok = client.post(
        f"/projects/{full}/move", data={"move": "approve", "csrf_token": t}, follow_redirects=True
    )
    assert "项目已审批通过" in ok.text
    officer = world.actor("gongan_officer")
    projects.department_move(ctx, officer, full, "start")
    projects.department_move(ctx, officer, full, "request_acceptance")
    ctx.session.commit()
    page = client.get(f"/projects/{full}")
    assert "尚未建立资源池" in page.text and "验收条件尚未满足" in page.text
    accept = client.post(f"/projects/{full}/move", data={"move": "accept", "csrf_token": t})
    assert accept.status_code == 200 and unloaded.code in accept.text and "不能通过验收" in accept.text
    ctx.session.expire_all()
    assert ctx.session.get(Project, full).state == ProjectState.ACCEPTANCE_REQUESTED  # type: ignore[union-attr]
    listing = client.get("/projects?state=acceptance_requested")
    assert "待验收" in listing.text and "四川省公安厅" in listing.text


def test_asset_pages(client: TestClient, ctx: Ctx, world: World) -> None:
    people = h.published(ctx, world)
    h.published(ctx, world, "minzheng_officer", name="婚姻登记信息", items=h.MARRIAGE_ITEMS)
    ctx.session.commit()
    login(client, "admin")
    t = token(client, "/assets")
    page = client.get("/assets")
    assert "（2 个已发布条目尚未登记）" in page.text
    bad = client.post("/assets/register", data={"resource_id": str(people.id), "value_grade": "high",
                                                "csrf_token": t})  # fmt: skip
    assert bad.status_code == 200 and "评估依据" in bad.text
    assert ctx.session.scalar(select(func.count()).select_from(DataAsset)) == 0
    one = client.post("/assets/register", data={"resource_id": str(people.id), "value_grade": "high",
                                                "value_basis": "调用量", "csrf_token": t}, follow_redirects=True)  # fmt: skip
    assert "已登记为数据资产" in one.text and "调用量" in one.text
    rest = client.post("/assets/register-all", data={"csrf_token": t}, follow_redirects=True)
    assert "已将 1 个已发布目录条目登记为数据资产" in rest.text
    asset = ctx.session.scalar(select(DataAsset).where(DataAsset.resource_id == people.id))
    assert asset is not None
    no_reason = client.post(f"/assets/{asset.id}/edit", data={"status": "suspended", "csrf_token": t})
    assert no_reason.status_code == 200 and "变更说明" in no_reason.text
    changed = client.post(f"/assets/{asset.id}/edit", data={"status": "suspended", "value_grade": "high",
                                                            "value_basis": "调用量", "reason": "系统迁移",
                                                            "csrf_token": t}, follow_redirects=True)  # fmt: skip
    assert "变更已保存" in changed.text and "系统迁移" in changed.text
    ctx.session.expire_all()
    assert ctx.session.get(DataAsset, asset.id).status == AssetStatus.SUSPENDED  # type: ignore[union-attr]
    exported = client.get("/assets/export.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "户籍人口基本信息" in exported.content.decode("utf-8-sig")
    client.cookies.clear()
    login(client, "auditor")
    read = client.get("/assets")
    assert "户籍人口基本信息" in read.text and "全部登记" not in read.text


def _cli(engine: Engine, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GOVDATA_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "COLUMNS": "200",
    }
    env["GOVDATA_DATABASE_URL"] = env["GOVDATA_DATABASE_URL"].replace(
        "postgresql+psycopg://", "postgresql://"
    )
    return subprocess.run([sys.executable, "-m", "govdata", *args], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_cli_checklist_register_all_and_export(ctx: Ctx, world: World, engine: Engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    entry = h.published(ctx, world)
    project = projects.register(
        ctx, world.actor("gongan_officer"), ProjectIn.model_validate(project_body("c"))
    )
    projects.add_entry(ctx, world.actor("gongan_officer"), project.id, EntryLinkIn(resource_id=entry.id))
    assets.register(ctx, world.actor("admin"), RegisterIn(resource_id=entry.id))
    h.published(ctx, world, "minzheng_officer", name="婚姻登记信息", items=h.MARRIAGE_ITEMS)
    ctx.session.commit()
    checked = _cli(engine, "project", "checklist", project.code)
    assert checked.returncode == 1 and "尚未建立资源池" in checked.stdout, checked.stderr
    missing = _cli(engine, "project", "checklist", "NO-SUCH")
    assert missing.returncode == 4 and "不存在" in missing.stderr
    refused = _cli(engine, "asset", "register-all", "--as", "auditor")
    assert refused.returncode == 3 and "没有此项操作的权限" in refused.stderr
    done = _cli(engine, "asset", "register-all", "--as", "admin")
    assert done.returncode == 0 and "已登记 1 项" in done.stdout, done.stderr
    target = tmp_path / "assets.csv"
    exported = _cli(engine, "asset", "export", str(target), "--as", "auditor")
    assert exported.returncode == 0 and "已导出 2 项" in exported.stdout, exported.stderr
    assert "婚姻登记信息" in target.read_text(encoding="utf-8-sig")
