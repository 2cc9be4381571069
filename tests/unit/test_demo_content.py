"""The demo content is consistent and passes every catalog rule before the loader touches it."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from stdnum.cn import ric, uscc

from govdata.catalog.models import BaseDatabase, ShareType, TriggerKind
from govdata.catalog.rules import entry_problems
from govdata.catalog.schemas import DOMAINS, CreateEntryIn, DemandIn, EditEntryIn
from govdata.demo import content
from govdata.demo.content import DEMANDS, ENTRIES, ORGS, REGIONS, TRIGGERS, USERS
from govdata.org.models import OrgKind, RegionLevel, Role, SubjectKind
from govdata.org.service import ROLE_ORG_KINDS, USERNAME_RE, check_password_strength

ORG_BY_KEY = {org["key"]: org for org in ORGS}
REGION_BY_CODE = {region.code: region for region in REGIONS}
ENTRY_BY_KEY = {entry["key"]: entry for entry in ENTRIES}


# ---------------------------------------------------------------- regions and organisations


def test_regions_form_a_tree():
    assert len(REGION_BY_CODE) == len(REGIONS)
    for region in REGIONS:
        assert re.fullmatch(r"\d{6}", region.code)
        RegionLevel(region.level)
        if region.parent_code is None:
            assert region.level == RegionLevel.PROVINCE
        else:
            parent = REGION_BY_CODE[region.parent_code]
            expected = {RegionLevel.CITY: RegionLevel.PROVINCE, RegionLevel.COUNTY: RegionLevel.CITY}
            assert parent.level == expected[RegionLevel(region.level)]


def test_org_keys_names_and_codes_are_unique():
    assert len(ORG_BY_KEY) == len(ORGS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", key) for key in ORG_BY_KEY)
    names = Counter((org["region_code"], org["name"]) for org in ORGS)
    assert max(names.values()) == 1
    codes = Counter((org["region_code"], org["org_code"]) for org in ORGS)
    assert max(codes.values()) == 1, [c for c, n in codes.items() if n > 1]
    for org in ORGS:
        assert re.fullmatch(r"\d{3}", org["org_code"])
        assert org["region_code"] in REGION_BY_CODE
        assert 0 < len(org["short_name"]) <= 50


@pytest.mark.parametrize("org", ORGS, ids=lambda o: o["key"])
def test_org_uscc_is_valid(org):
    assert uscc.is_valid(org["uscc"]), org["uscc"]
    kind = OrgKind(org["kind"])
    if kind in (OrgKind.AUTHORITY, OrgKind.DEPARTMENT):
        assert org["uscc"].startswith("11")
    else:
        assert org["uscc"].startswith("91")
    assert len({o["uscc"] for o in ORGS}) == len(ORGS)


def test_every_region_has_exactly_one_authority():
    authorities = Counter(org["region_code"] for org in ORGS if org["kind"] == OrgKind.AUTHORITY)
    assert set(authorities) == set(REGION_BY_CODE)
    assert set(authorities.values()) == {1}


def test_enough_departments_an_operator_and_a_provider():
    kinds = Counter(org["kind"] for org in ORGS)
    assert kinds[OrgKind.DEPARTMENT] >= 13  # 12 line departments plus the audit office
    assert kinds[OrgKind.OPERATOR] >= 1
    assert kinds[OrgKind.SERVICE_PROVIDER] >= 1
    department_levels = {REGION_BY_CODE[o["region_code"]].level for o in ORGS if o["kind"] == "department"}
    assert department_levels == {"province", "city", "county"}
    names = " ".join(org["name"] for org in ORGS)
    for needed in (
        "公安",
        "市场监督管理",
        "民政",
        "人力资源和社会保障",
        "自然资源",
        "卫生健康",
        "教育",
        "交通运输",
        "税务",
        "气象",
        "住房和城乡建设",
        "医疗保障",
        "审计",
        "自来水",
    ):
        assert needed in names, needed


# ---------------------------------------------------------------- users


def test_usernames_unique_and_well_formed():
    names = [user["username"] for user in USERS]
    assert len(set(names)) == len(names)
    assert all(USERNAME_RE.match(name) for name in names)


@pytest.mark.parametrize("user", USERS, ids=lambda u: u["username"])
def test_user_is_consistent(user):
    role = Role(user["role"])
    check_password_strength(user["password"])
    assert user["password"].startswith("Demo")
    assert user["display_name"].strip()
    allowed = ROLE_ORG_KINDS[role]
    if allowed is None:
        assert user["org_key"] is None
        kind = SubjectKind(user["subject_kind"])
        if kind == SubjectKind.PERSON:
            assert ric.is_valid(user["subject_id"])
        else:
            assert uscc.is_valid(user["subject_id"])
    else:
        assert user["org_key"] in ORG_BY_KEY
        assert ORG_BY_KEY[user["org_key"]]["kind"] in allowed
        assert user["subject_kind"] is None and user["subject_id"] is None
    if role == Role.TECH_PROVIDER:
        assert user["account_end_date"] == "2027-06-30"
    if user["account_end_date"] is not None:
        dt.date.fromisoformat(user["account_end_date"])


def test_every_role_is_represented():
    assert {Role(user["role"]) for user in USERS} == set(Role)
    subjects = {user["subject_kind"] for user in USERS if user["role"] == Role.PUBLIC_USER}
    assert subjects == {SubjectKind.PERSON, SubjectKind.ORGANISATION}
    assert ric.is_valid(content.PUBLIC_PERSON_ID)
    assert uscc.is_valid(content.PUBLIC_ORG_USCC)


def test_reviewers_at_province_and_both_cities():
    reviewer_regions = {
        ORG_BY_KEY[user["org_key"]]["region_code"]
        for user in USERS
        if user["role"] == Role.AUTHORITY_REVIEWER
    }
    assert {"510000", "510100", "513200"} <= reviewer_regions
    admin_regions = {
        ORG_BY_KEY[user["org_key"]]["region_code"] for user in USERS if user["role"] == Role.AUTHORITY_ADMIN
    }
    assert "510000" in admin_regions


def test_every_department_and_operator_has_a_data_officer():
    with_officer = {user["org_key"] for user in USERS if user["role"] == Role.DEPT_OFFICER}
    needing = {org["key"] for org in ORGS if org["kind"] in (OrgKind.DEPARTMENT, OrgKind.OPERATOR)}
    assert needing <= with_officer


def test_auditor_belongs_to_the_audit_office():
    auditors = [user for user in USERS if user["role"] == Role.AUDITOR]
    assert any("审计" in ORG_BY_KEY[user["org_key"]]["name"] for user in auditors)


# ---------------------------------------------------------------- catalog entries


def test_entry_keys_unique_and_orgs_exist():
    assert len(ENTRY_BY_KEY) == len(ENTRIES)
    for entry in ENTRIES:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", entry["key"])
        assert entry["org_key"] in ORG_BY_KEY
        assert ORG_BY_KEY[entry["org_key"]]["kind"] in (OrgKind.DEPARTMENT, OrgKind.OPERATOR)
        assert entry["state"] in content.ENTRY_STATES


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["key"])
def test_entry_validates_and_passes_the_rules(entry):
    data = CreateEntryIn.model_validate(entry["data"])
    assert data.related_codes == []
    assert data.domain in DOMAINS
    assert 3 <= len(data.items) <= 15
    assert entry_problems(None, data) == []  # type: ignore[arg-type]  # session only used for related codes


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["state"] == "republished"], ids=lambda e: e["key"])
def test_republished_entries_have_a_valid_second_version(entry):
    raw = entry["next_version"]
    assert "supplementary" not in raw
    data = EditEntryIn.model_validate(raw)
    assert data.change_reason
    assert entry_problems(None, data) == []  # type: ignore[arg-type]
    assert raw != {k: v for k, v in entry["data"].items()}


def test_state_specific_fields():
    for entry in ENTRIES:
        assert ("return_comment" in entry) == (entry["state"] == "returned"), entry["key"]
        assert ("next_version" in entry) == (entry["state"] == "republished"), entry["key"]
        if entry["state"] == "returned":
            assert len(entry["return_comment"]) >= 10


def test_state_distribution():
    assert len(ENTRIES) >= 44
    states = Counter(entry["state"] for entry in ENTRIES)
    assert states["published"] >= 25
    for state in ("draft", "submitted", "returned", "approved"):
        assert states[state] >= 3, state
    assert states["republished"] >= 2


def test_sharing_mix_and_classifications():
    shares = Counter(CreateEntryIn.model_validate(e["data"]).share_type for e in ENTRIES)
    total = len(ENTRIES)
    assert 0.4 <= shares[ShareType.UNCONDITIONAL] / total <= 0.6
    assert 0.25 <= shares[ShareType.CONDITIONAL] / total <= 0.45
    assert 0.08 <= shares[ShareType.NONE] / total <= 0.25
    datas = [CreateEntryIn.model_validate(e["data"]) for e in ENTRIES]
    assert {d.base_database for d in datas if d.base_database} == set(BaseDatabase)
    assert {d.classification for d in datas} == {"base", "theme", "department"}
    population = [d for d in datas if d.base_database == BaseDatabase.POPULATION]
    assert any(item.is_basic for d in population for item in d.items)
    assert all(d.share_type == ShareType.UNCONDITIONAL for d in population)


def test_entries_spread_over_levels():
    levels = Counter(REGION_BY_CODE[ORG_BY_KEY[e["org_key"]]["region_code"]].level for e in ENTRIES)
    assert levels["province"] >= 30
    assert levels["city"] >= 4
    assert levels["county"] >= 3


def test_supplementary_entries_are_at_county_level():
    supplementary = [e for e in ENTRIES if e["data"].get("supplementary")]
    assert len(supplementary) >= 2
    for entry in supplementary:
        region = REGION_BY_CODE[ORG_BY_KEY[entry["org_key"]]["region_code"]]
        assert region.level == RegionLevel.COUNTY
        assert region.parent_code is not None


def test_related_keys_exist():
    for entry in ENTRIES:
        for key in entry.get("related_keys", []):
            assert key in ENTRY_BY_KEY, (entry["key"], key)
            assert key != entry["key"]


def test_duplicate_pair_across_departments():
    pairs = [e for e in ENTRIES if "duplicate_of_key" in e]
    assert len(pairs) >= 2
    for entry in pairs:
        other = ENTRY_BY_KEY[entry["duplicate_of_key"]]
        assert other.get("duplicate_of_key") == entry["key"]
        assert other["org_key"] != entry["org_key"]
        assert {entry["state"], other["state"]} <= {"published", "submitted", "approved"}
        mine = {item["name"] for item in entry["data"]["items"]}
        theirs = {item["name"] for item in other["data"]["items"]}
        assert len(mine & theirs) / len(mine | theirs) >= 0.6  # duplicates.ITEM_THRESHOLD


# ---------------------------------------------------------------- triggers and demands


def test_triggers():
    assert 2 <= len(TRIGGERS) <= 3
    for trigger in TRIGGERS:
        TriggerKind(trigger["kind"])
        assert ENTRY_BY_KEY[trigger["entry_key"]]["state"] == "published"
        assert len(trigger["description"]) >= 2
    days = [trigger["occurred_days_ago"] for trigger in TRIGGERS]
    assert any(d > 10 for d in days) and any(d < 10 for d in days)


def test_demands():
    assert 4 <= len(DEMANDS) <= 5
    for demand in DEMANDS:
        assert demand["org_key"] in ORG_BY_KEY
        DemandIn.model_validate(
            {k: v for k, v in demand.items() if k not in ("org_key", "expected_match_key")}
        )
        match = demand["expected_match_key"]
        if match is not None:
            assert match in ENTRY_BY_KEY
            assert ENTRY_BY_KEY[match]["org_key"] != demand["org_key"]
    assert any(d["expected_match_key"] is None for d in DEMANDS)
    assert sum(d["expected_match_key"] is not None for d in DEMANDS) >= 2
