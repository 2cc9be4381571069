"""IT projects (CAT-7): no approval without a project catalog; no acceptance until its entries are published and
their pools hold data; every step recorded; scope by department and jurisdiction."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from govdata.audit.models import AuditEvent
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.pool.service import load_file
from govdata.supervision import projects
from govdata.supervision.project_models import Project, ProjectState
from govdata.supervision.projects import EntryLinkIn, NewEntryIn, ProjectIn
from tests.http import helpers as h
from tests.world import World, entry_data

CSV = "公民身份号码,姓名,出生日期,户籍地址\n11010519491231002X,张三,1949-12-31,北京市\n"


def project_in(**overrides: Any) -> ProjectIn:
    data: dict[str, Any] = {
        "name": "公安人口信息化平台（二期）",
        "code": "SCGA-2026-01",
        "budget_wan": "1280.5",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
        "manager": "王建国（科技信息化处处长）",
        "description": "建设人口信息采集、核验和共享系统",
        "systems": ["人口信息采集系统", "身份核验系统"],
    }
    data.update(overrides)
    return ProjectIn.model_validate(data)


def load(ctx: Ctx, world: World, resource_id: int, text: str = CSV) -> None:
    ctx.session.commit()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        path.write_text(text, encoding="utf-8")
        load_file(ctx, world.actor("gongan_officer"), resource_id, path)


def approved(ctx: Ctx, world: World, *entries: int) -> Project:
    officer = world.actor("gongan_officer")
    project = projects.register(
        ctx, officer, project_in(code=f"P-{len(entries)}-{entries[0] if entries else 0}")
    )
    for rid in entries:
        projects.add_entry(ctx, officer, project.id, EntryLinkIn(resource_id=rid))
    projects.department_move(ctx, officer, project.id, "submit")
    projects.authority_move(ctx, world.actor("reviewer"), project.id, "approve", "同意立项")
    return project


def test_register_keeps_budget_in_yuan_and_records_the_step(ctx: Ctx, world: World) -> None:
    project = projects.register(ctx, world.actor("gongan_officer"), project_in())
    assert project.budget_yuan == 12_805_000
    assert projects.wan(project.budget_yuan) == "1280.5"
    assert project.state == ProjectState.DRAFT
    assert [s.action for s in project.steps] == ["register"]
    events = ctx.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "it_project")
    ).all()
    assert "project.register" in events


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"end_date": "2025-01-01"}, "结束日期不能早于开始日期"),
        ({"budget_wan": "12.345678"}, "最多保留 4 位小数"),
        ({"budget_wan": "很多"}, "应为数字"),
        ({"budget_wan": "-3"}, "0 至 100000000"),
        ({"systems": [" "]}, "至少填写一个"),
        ({"name": "<script>alert(1)</script>"}, "HTML"),
    ],
)
def test_bad_project_input_is_refused_in_chinese(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        project_in(**overrides)
    assert message in str(info.value)


def test_duplicate_code_and_non_department_are_refused(ctx: Ctx, world: World) -> None:
    projects.register(ctx, world.actor("gongan_officer"), project_in())
    with pytest.raises(Conflict, match="已被使用"):
        projects.register(ctx, world.actor("minzheng_officer"), project_in())
    with pytest.raises(Forbidden):
        projects.register(ctx, world.actor("reviewer"), project_in(code="X-1"))


def test_approval_is_refused_without_a_catalog(ctx: Ctx, world: World) -> None:
    officer, reviewer = world.actor("gongan_officer"), world.actor("reviewer")
    project = projects.register(ctx, officer, project_in())
    projects.department_move(ctx, officer, project.id, "submit")
    with pytest.raises(InvalidTransition, match="尚未编制项目政务数据资源目录"):
        projects.authority_move(ctx, reviewer, project.id, "approve", None)
    assert project.state == ProjectState.SUBMITTED
    with pytest.raises(InvalidInput, match="须填写意见"):
        projects.authority_move(ctx, reviewer, project.id, "return", None)
    projects.authority_move(ctx, reviewer, project.id, "return", "请补充项目数据资源目录")
    assert project.state == ProjectState.RETURNED
    assert project.decision_comment == "请补充项目数据资源目录"


def test_catalog_takes_only_own_entries_and_new_drafts_go_through_the_catalog(ctx: Ctx, world: World) -> None:
    officer = world.actor("gongan_officer")
    project = projects.register(ctx, officer, project_in())
    other = h.published(ctx, world, "minzheng_officer", name="婚姻登记信息", items=h.MARRIAGE_ITEMS)
    with pytest.raises(InvalidInput, match="只能选择本单位"):
        projects.add_entry(ctx, officer, project.id, EntryLinkIn(resource_id=other.id))
    own = h.draft(ctx, world)
    projects.add_entry(ctx, officer, project.id, EntryLinkIn(resource_id=own.id, system="身份核验系统"))
    with pytest.raises(Conflict, match="已在本项目"):
        projects.add_entry(ctx, officer, project.id, EntryLinkIn(resource_id=own.id))
    with pytest.raises(InvalidInput, match="不是本项目登记的信息系统"):
        projects.add_entry(ctx, officer, project.id, EntryLinkIn(resource_id=own.id, system="别的系统"))
    new = NewEntryIn.model_validate({"entry": entry_data(name="流动人口居住登记信息"), "role": "produce"})
    line = projects.add_new_entry(ctx, officer, project.id, new)
    assert line.resource.org_id == world.orgs["gongan"].id
    assert [x.resource_id for x in project.entries] == [own.id, line.resource_id]
    with pytest.raises(NotFound):
        projects.add_entry(ctx, world.actor("minzheng_officer"), project.id, EntryLinkIn(resource_id=own.id))


def test_acceptance_lists_what_each_entry_lacks_then_passes(ctx: Ctx, world: World) -> None:
    officer, reviewer = world.actor("gongan_officer"), world.actor("reviewer")
    loaded = h.published(ctx, world)
    load(ctx, world, loaded.id)
    unloaded = h.published(ctx, world, name="居住证信息")
    draft = h.draft(ctx, world, name="出入境证件信息")
    project = approved(ctx, world, loaded.id, unloaded.id, draft.id)
    assert project.state == ProjectState.APPROVED
    with pytest.raises(InvalidTransition, match="不能移出"):
        projects.remove_entry(ctx, officer, project.id, draft.id)
    with pytest.raises(InvalidTransition, match="不能申请验收"):
        projects.department_move(ctx, officer, project.id, "request_acceptance")
    projects.department_move(ctx, officer, project.id, "start")
    projects.department_move(ctx, officer, project.id, "request_acceptance")
    with pytest.raises(InvalidTransition) as info:
        projects.authority_move(ctx, reviewer, project.id, "accept", None)
    message = info.value.message
    assert unloaded.code in message and "尚未建立资源池" in message
    assert draft.code in message and "尚未发布" in message
    assert loaded.code not in message
    assert project.state == ProjectState.ACCEPTANCE_REQUESTED
    projects.authority_move(ctx, reviewer, project.id, "refuse_acceptance", "居住证信息未汇聚")
    assert project.state == ProjectState.ACCEPTANCE_REFUSED
    # The department fixes it: publish the draft, load both pools, ask again.
    from govdata.catalog import service as catalog_service

    catalog_service.submit(ctx, officer, draft.id)
    catalog_service.review(ctx, reviewer, draft.id, "approve", None)
    load(ctx, world, unloaded.id)
    load(ctx, world, draft.id)
    projects.department_move(ctx, officer, project.id, "request_acceptance")
    assert all(not row.problems for row in projects.checklist(ctx, project))
    projects.authority_move(ctx, reviewer, project.id, "accept", "数据已汇聚，同意验收")
    assert project.state == ProjectState.ACCEPTED
    assert [s.action for s in project.steps] == [
        "register", "submit", "approve", "start", "request_acceptance", "refuse_acceptance",
        "request_acceptance", "accept",
    ]  # fmt: skip


def test_scope_of_departments_and_authorities(ctx: Ctx, world: World) -> None:
    officer = world.actor("gongan_officer")
    project = projects.register(ctx, officer, project_in())
    # A draft is the department's own business.
    with pytest.raises(NotFound):
        projects.get_project(ctx, world.actor("reviewer"), project.id)
    assert projects.list_projects(ctx, world.actor("reviewer")) == []
    projects.add_entry(ctx, officer, project.id, EntryLinkIn(resource_id=h.draft(ctx, world).id))
    projects.department_move(ctx, officer, project.id, "submit")
    assert projects.list_projects(ctx, world.actor("reviewer")) == [project]
    # A city authority does not approve a province department's project.
    with pytest.raises(NotFound):
        projects.authority_move(ctx, world.actor("city_reviewer"), project.id, "approve", None)
    with pytest.raises(NotFound):
        projects.get_project(ctx, world.actor("minzheng_officer"), project.id)
    with pytest.raises(Forbidden):
        projects.department_move(ctx, world.actor("reviewer"), project.id, "submit")
    with pytest.raises(Forbidden):
        projects.list_projects(ctx, world.actor("auditor"))
    assert projects.list_projects(ctx, world.actor("minzheng_officer")) == []


def test_edit_only_before_approval(ctx: Ctx, world: World) -> None:
    officer = world.actor("gongan_officer")
    project = approved(ctx, world, h.draft(ctx, world).id)
    with pytest.raises(InvalidTransition, match="只有编制中或退回"):
        projects.edit(ctx, officer, project.id, project_in(name="改名"))
    other = projects.register(ctx, officer, project_in(code="B-2"))
    projects.edit(ctx, officer, other.id, project_in(code="B-2", budget_wan=Decimal("0.0001")))
    assert other.budget_yuan == 1
    assert other.start_date == dt.date(2026, 3, 1)
