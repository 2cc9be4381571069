"""A small jurisdiction built through the real use cases: province → city → county, one user per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from govdata.authz import Actor, system_actor
from govdata.catalog.models import Resource
from govdata.catalog.schemas import CreateEntryIn
from govdata.catalog.service import create_entry
from govdata.context import Ctx
from govdata.org.models import Organization, OrgKind, Region, RegionLevel, Role, SubjectKind, User
from govdata.org.service import (
    NewUser,
    actor_for,
    create_user,
    get_or_create_org,
    get_or_create_region,
    init_deployment,
)

PASSWORD = "Passw0rd!2026"


@dataclass
class World:
    regions: dict[str, Region] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def actor(self, username: str) -> Actor:
        return actor_for(self.users[username])


def build_world(ctx: Ctx, profile: str = "aba") -> World:
    sys = system_actor("test")
    init_deployment(ctx, sys, profile)
    w = World()
    w.regions["province"] = get_or_create_region(ctx, sys, "510000", "四川省", RegionLevel.PROVINCE, None)
    w.regions["city"] = get_or_create_region(
        ctx, sys, "513200", "阿坝藏族羌族自治州", RegionLevel.CITY, "510000"
    )
    w.regions["county"] = get_or_create_region(ctx, sys, "513221", "汶川县", RegionLevel.COUNTY, "513200")
    w.regions["city2"] = get_or_create_region(ctx, sys, "510100", "成都市", RegionLevel.CITY, "510000")
    specs = [
        ("prov_auth", "province", "四川省大数据中心", OrgKind.AUTHORITY, "001"),
        ("city_auth", "city", "阿坝州大数据局", OrgKind.AUTHORITY, "001"),
        ("city2_auth", "city2", "成都市大数据中心", OrgKind.AUTHORITY, "001"),
        ("county_auth", "county", "汶川县大数据中心", OrgKind.AUTHORITY, "001"),
        ("gongan", "province", "四川省公安厅", OrgKind.DEPARTMENT, "011"),
        ("minzheng", "province", "四川省民政厅", OrgKind.DEPARTMENT, "012"),
        ("city_renshe", "city", "阿坝州人力资源和社会保障局", OrgKind.DEPARTMENT, "021"),
        ("county_jiaoyu", "county", "汶川县教育局", OrgKind.DEPARTMENT, "031"),
        ("shengshen", "province", "四川省审计厅", OrgKind.DEPARTMENT, "013"),
        ("vendor", "province", "四川数智科技有限公司", OrgKind.SERVICE_PROVIDER, "901"),
    ]
    for key, region, name, kind, code in specs:
        w.orgs[key] = get_or_create_org(
            ctx, sys, region=w.regions[region], name=name, short_name=name[-6:], kind=kind, org_code=code
        )
    users: list[tuple[str, Role, str | None, dict[str, Any]]] = [
        ("admin", Role.AUTHORITY_ADMIN, "prov_auth", {}),
        ("reviewer", Role.AUTHORITY_REVIEWER, "prov_auth", {}),
        ("city_reviewer", Role.AUTHORITY_REVIEWER, "city_auth", {}),
        ("city2_reviewer", Role.AUTHORITY_REVIEWER, "city2_auth", {}),
        ("gongan_officer", Role.DEPT_OFFICER, "gongan", {}),
        ("gongan_user", Role.DEPT_USER, "gongan", {}),
        ("minzheng_officer", Role.DEPT_OFFICER, "minzheng", {}),
        ("renshe_officer", Role.DEPT_OFFICER, "city_renshe", {}),
        ("jiaoyu_officer", Role.DEPT_OFFICER, "county_jiaoyu", {}),
        ("auditor", Role.AUDITOR, "shengshen", {}),
        ("vendor_staff", Role.TECH_PROVIDER, "vendor", {"account_end_date": dt.date(2027, 6, 30)}),
        (
            "citizen",
            Role.PUBLIC_USER,
            None,
            {"subject_kind": SubjectKind.PERSON, "subject_id": "11010519491231002X"},
        ),
    ]
    for username, role, org_key, extra in users:
        w.users[username] = create_user(
            ctx,
            sys,
            NewUser(
                username=username,
                display_name=username,
                role=role,
                password=PASSWORD,
                org_id=w.orgs[org_key].id if org_key else None,
                **extra,
            ),
        )
    return w


def entry_data(**overrides: Any) -> dict[str, Any]:
    """A valid entry: 户籍人口基本信息, conditional sharing with a basis; override any field."""
    data: dict[str, Any] = {
        "classification": "department",
        "domain": "公共安全",
        "name": "户籍人口基本信息",
        "summary": "本省户籍人口的姓名、性别、出生日期、户籍地址等基本信息",
        "format_category": "数据库",
        "format_type": "PostgreSQL",
        "update_cycle": "daily",
        "share_type": "conditional",
        "share_conditions": "仅限履行法定职责需要核验身份的部门使用",
        "share_basis": "《中华人民共和国个人信息保护法》第十三条、第三十四条",
        "share_mode": "platform",
        "share_channels": ["api", "database"],
        "open_type": "none",
        "open_basis": "《中华人民共和国个人信息保护法》第二十八条",
        "grade": 3,
        "items": [
            {
                "name": "公民身份号码",
                "field_name": "id_number",
                "data_type": "string",
                "length": 18,
                "identifier_kind": "person",
                "sensitivity": 3,
                "required": True,
            },
            {
                "name": "姓名",
                "field_name": "name",
                "data_type": "string",
                "length": 50,
                "sensitivity": 2,
                "required": True,
            },
            {"name": "出生日期", "field_name": "birth_date", "data_type": "date", "sensitivity": 2},
            {
                "name": "户籍地址",
                "field_name": "address",
                "data_type": "string",
                "length": 200,
                "sensitivity": 3,
            },
        ],
    }
    data.update(overrides)
    return data


def make_entry(ctx: Ctx, actor: Actor, **overrides: Any) -> Resource:
    return create_entry(ctx, actor, CreateEntryIn.model_validate(entry_data(**overrides)))
