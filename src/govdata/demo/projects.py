"""The demo's IT projects (CAT-7) in every interesting state, and the data asset registry (DEV-1).

Everything goes through the use cases. One project waits for acceptance with an entry whose pool was never
loaded, so its checklist shows what is missing; one project was submitted without a catalog, so the authority
sees why it cannot approve it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from govdata.authz import Actor
from govdata.catalog.models import Resource
from govdata.context import Ctx
from govdata.org.models import User
from govdata.org.service import actor_for
from govdata.supervision import assets, projects
from govdata.supervision.assets import AssetEditIn
from govdata.supervision.projects import EntryLinkIn, ProjectIn

# What each project is, the entries of its catalog (key, role, system) and how far it got.
PROJECTS: list[dict[str, Any]] = [
    {
        "name": "四川省社会救助综合信息平台（二期）", "code": "SCMZ-2025-03", "budget_wan": "1860",
        "start_date": "2025-03-01", "end_date": "2026-06-30", "manager": "李明（民政厅信息中心主任）",
        "description": "建设低保、特困、临时救助一体化审核确认系统，与公安、人社数据共享比对，实现救助对象精准认定。",
        "systems": ["社会救助审核确认系统", "婚姻登记管理系统"],
        "entries": [("minzheng_dibao", "produce", "社会救助审核确认系统"),
                    ("minzheng_hunyin", "produce", "婚姻登记管理系统")],
        "moves": ["submit", "approve", "start", "request_acceptance", "accept"],
        "comments": {"approve": "项目数据资源目录完整，同意立项", "accept": "目录条目均已发布，数据已汇聚，同意验收"},
    },
    {
        "name": "四川省就业和社会保障一体化信息平台", "code": "SCRS-2025-07", "budget_wan": "2450.5",
        "start_date": "2025-05-01", "end_date": "2026-10-31", "manager": "张华（人社厅信息中心副主任）",
        "description": "整合参保登记、就业登记和公共招聘服务，建设全省统一的就业和社保经办系统。",
        "systems": ["社会保险经办系统", "就业服务系统"],
        "entries": [("renshe_canbao", "produce", "社会保险经办系统"),
                    ("renshe_jiuye", "produce", "就业服务系统"),
                    ("renshe_zhaopin", "produce", "就业服务系统")],
        "moves": ["submit", "approve", "start", "request_acceptance"],
        "comments": {"approve": "同意立项，建成后须实现招聘岗位信息汇聚"},
    },
    {
        "name": "四川省人口信息综合应用平台（三期）", "code": "SCGA-2026-01", "budget_wan": "3200",
        "start_date": "2026-04-01", "end_date": "2027-09-30", "manager": "王建国（公安厅科技信息化总队）",
        "description": "扩展户籍迁移、婚姻状况等人口信息的采集和共享服务能力。",
        "systems": ["人口信息管理系统"],
        "entries": [("pop_basic", "produce", "人口信息管理系统"),
                    ("gongan_huji", "produce", "人口信息管理系统"),
                    ("gongan_hunyin", "use", "人口信息管理系统")],
        "moves": ["submit", "approve", "start"],
        "comments": {"approve": "同意立项"},
    },
    {
        "name": "全民健康信息平台预防接种模块", "code": "SCWJ-2026-02", "budget_wan": "680",
        "start_date": "2026-07-01", "end_date": "2027-06-30", "manager": "陈静（卫健委规划信息处）",
        "description": "建设全省预防接种信息管理系统，对接接种单位和出生医学证明信息。",
        "systems": ["预防接种管理系统"],
        "entries": [("weijian_yfjz", "produce", "预防接种管理系统"), ("weijian_csyx", "use", "预防接种管理系统")],
        "moves": ["submit", "return"],
        "comments": {"return": "预防接种信息条目尚在退回修改中，请完善共享属性和依据后一并重新报送"},
    },
    {
        "name": "四川省国土空间基础信息平台升级", "code": "SCZR-2026-05", "budget_wan": "1520",
        "start_date": "2026-09-01", "end_date": "2027-12-31", "manager": "刘洋（自然资源厅信息中心）",
        "description": "升级国土空间基础信息平台，接入地质灾害隐患点和国土变更调查成果。",
        "systems": ["国土空间基础信息平台"],
        "entries": [],
        "officer": "ziran_officer",  # no catalog entry names the department
        "moves": ["submit"],
        "comments": {},
    },
    {
        "name": "重点营运车辆联网联控系统升级", "code": "SCJT-2026-04", "budget_wan": "425.8",
        "start_date": "2027-01-01", "end_date": "2027-12-31", "manager": "赵磊（交通运输厅科技处）",
        "description": "升级重点营运车辆卫星定位监控，汇聚车辆轨迹数据。",
        "systems": ["营运车辆联网联控系统"],
        "entries": [("jiaotong_yycl", "produce", "营运车辆联网联控系统")],
        "moves": [],
        "comments": {},
    },
]  # fmt: skip
PROJECT_FIELDS = ("name", "code", "budget_wan", "start_date", "end_date", "manager", "description", "systems")

# Appraised values of a few assets (the rest stay "待评估"), and one asset taken out of use.
VALUES: dict[str, dict[str, Any]] = {
    "pop_basic": {"value_grade": "high", "appraised_value_wan": "860",
                  "value_basis": "基础数据库核心资源：年调用量超百万次，支撑 40 余项政务服务事项（成本法与收益法综合评估）"},
    "legal_basic": {"value_grade": "high", "appraised_value_wan": "540",
                    "value_basis": "法人基础库核心资源，支撑企业开办、信用监管等 30 余项事项"},
    "minzheng_dibao": {"value_grade": "medium", "appraised_value_wan": "120",
                       "value_basis": "按采集与维护成本评估"},
    "qixiang_yb": {"value_grade": "low", "value_basis": "公开发布的预报信息，社会价值高、资产价值低"},
}  # fmt: skip
SUSPENDED = {"jiaotong_gslk": "高速公路路况信息系统迁移至新平台，暂停使用，迁移完成后恢复"}


def _user(ctx: Ctx, username: str) -> Actor | None:
    user = ctx.session.scalar(select(User).where(User.username == username))
    return actor_for(user) if user is not None else None


def load_demo_projects(
    ctx: Ctx,
    created: dict[str, Resource],
    officers: dict[int, Actor],
    reviewer_for: Callable[[Resource], Actor],
) -> None:
    """The projects of PROJECTS, then the asset registry: the city registers its own, the province the rest."""
    for spec in PROJECTS:
        first = created[spec["entries"][0][0]] if spec["entries"] else None
        officer = officers[first.org_id] if first else _user(ctx, spec["officer"])
        assert officer is not None
        data = ProjectIn.model_validate({k: spec[k] for k in PROJECT_FIELDS})
        project = projects.register(ctx, officer, data)
        for key, role, system in spec["entries"]:
            link = EntryLinkIn(resource_id=created[key].id, role=role, system=system)
            projects.add_entry(ctx, officer, project.id, link)
        reviewer = reviewer_for(first) if first else _user(ctx, "prov_reviewer")
        assert reviewer is not None
        for move in spec["moves"]:
            comment = spec["comments"].get(move)
            if move in projects.DEPARTMENT_MOVES:
                projects.department_move(ctx, officer, project.id, move, comment)
            else:
                projects.authority_move(ctx, reviewer, project.id, move, comment)
    city_admin, prov_admin = _user(ctx, "cd_admin"), _user(ctx, "prov_admin")
    if city_admin is not None:
        assets.register_all(ctx, city_admin)
    if prov_admin is None:
        return
    assets.register_all(ctx, prov_admin)
    by_resource = {r.asset.resource_id: r for r in assets.registry(ctx, prov_admin)}
    for key, value in VALUES.items():
        row = by_resource.get(created[key].id) if key in created else None
        if row is not None:
            assets.edit(ctx, prov_admin, row.asset.id, AssetEditIn(reason="年度资产价值评估", **value))
    for key, reason in SUSPENDED.items():
        row = by_resource.get(created[key].id) if key in created else None
        if row is not None:
            assets.edit(ctx, prov_admin, row.asset.id, AssetEditIn(status="suspended", reason=reason))
