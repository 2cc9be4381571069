"""The demo's synthetic pools: generated correctly, loaded through the real service, with planted problems."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
import stdnum.cn.ric
import stdnum.cn.uscc
from sqlalchemy import func, select, text

from govdata.audit import service as audit
from govdata.audit.models import AuditEvent
from govdata.authz import system_actor
from govdata.catalog.models import ChangeTrigger, Demand, Resource
from govdata.context import Ctx
from govdata.demo import content, pools
from govdata.demo import quality as demo_quality
from govdata.demo.loader import DEMO_MARK, load_demo
from govdata.org.service import get_setting
from govdata.pool import service
from govdata.pool.identifiers import citizen_id_check_char, region_known
from govdata.pool.models import Batch, BatchStatus, Pool, PoolColumn, RejectRow
from tests.conftest import TEST_NOW

TODAY = TEST_NOW.date()
REASON_OF_KIND = {
    "校验码错误": "校验码",
    "日期不存在": "不存在",
    "超长": "长度超过",
    "必填项为空": "必填项为空",
}
PUBLISHED = {e["key"] for e in content.ENTRIES if e["state"] in ("published", "republished")}


def _tables(ctx: Ctx) -> dict[str, Pool]:
    created = pools.already_created_entries(ctx)
    by_resource = {p.resource_id: p for p in ctx.session.execute(select(Pool)).scalars()}
    return {key: by_resource[r.id] for key, r in created.items() if r.id in by_resource}


def _value(ctx: Ctx, pool: Pool, id_field: str, id_value: str, field: str) -> Any:
    return ctx.session.execute(
        text(f"SELECT {field} FROM {pool.table_name} WHERE {id_field} = :v"), {"v": id_value}
    ).scalar_one()


def _differing(
    ctx: Ctx, a: Pool, b: Pool, id_b: str, field_a: str, field_b: str, key_a: str = "id_number"
) -> int:
    """How many subjects both pools hold whose item differs, and how many they share."""
    row = ctx.session.execute(
        text(
            f"SELECT count(*), sum(CASE WHEN a.{field_a} <> b.{field_b} THEN 1 ELSE 0 END) "
            f"FROM {a.table_name} a JOIN {b.table_name} b ON a.{key_a} = b.{id_b}"
        )
    ).one()
    return int(row[1] or 0), int(row[0])


def test_generated_world_is_valid_and_deterministic() -> None:
    data = pools.build_demo_data(TODAY)
    pools.build_demo_data.cache_clear()
    again = pools.build_demo_data(TODAY)
    assert [p.rows for p in data.loads] == [p.rows for p in again.loads]
    assert data.disagreements == again.disagreements and data.errors == again.errors
    assert 1900 <= len(data.people) <= 2200 and len(data.companies) == pools.COMPANY_COUNT
    ids = [p.id_number for p in data.people]
    assert len(set(ids)) == len(ids) and pools.PUBLIC_PERSON_ID not in ids
    for p in data.people:
        assert stdnum.cn.ric.is_valid(p.id_number), p
        assert region_known(p.id_number[:6], p.birth.year), p
        assert p.id_number[6:14] == f"{p.birth:%Y%m%d}" and p.birth <= TODAY
        assert (int(p.id_number[16]) % 2 == 1) == (p.sex == "男")
        assert p.ethnicity in ("汉族", "藏族", "羌族", "彝族", "回族")
    mix = Counter(p.ethnicity for p in data.people if p.county == "513221")
    assert mix["羌族"] > mix["藏族"] > mix["回族"]  # 汶川县: 汉、羌 then 藏
    usccs = [c.uscc for c in data.companies]
    assert len(set(usccs)) == len(usccs) and pools.PUBLIC_ORG_USCC in usccs
    assert all(stdnum.cn.uscc.is_valid(code) for code in usccs)
    by_id = {p.id_number: p for p in data.people}
    assert all(by_id[c.legal_rep].name == c.legal_rep_name for c in data.companies)
    # The GBK file really is GBK, the names really differ in one character.
    [gbk] = [plan for plan in data.loads if plan.encoding == "gbk"]
    for row in gbk.rows:
        "".join(str(v) for v in row if v is not None).encode("gbk")
    for d in data.disagreements:
        if d.item == "姓名":
            assert len(d.value_a) == len(d.value_b)
            assert sum(x != y for x, y in zip(d.value_a, d.value_b, strict=True)) == 1


def test_demo_loads_pools_with_valid_ids_rejects_and_planted_disagreements(ctx: Ctx) -> None:
    report = load_demo(ctx)
    ctx.session.commit()
    assert report.counts["资源池"] == len(pools.LOAD_ORDER)
    tables = _tables(ctx)
    assert set(tables) == set(pools.LOAD_ORDER) and set(tables) <= PUBLISHED
    assert {
        "pop_basic",
        "gongan_huji",
        "minzheng_hunyin",
        "legal_basic",
        "renshe_canbao",
        "yibao_canbao",
    } <= set(tables)
    assert all(pool.row_count > 0 for pool in tables.values())
    assert report.counts["归集数据行"] == sum(pool.row_count for pool in tables.values())

    # Batches: all succeeded, 人口基础信息 twice (the increment updated and added rows), audited.
    # Batches of demo.pools' own loads (demo.quality adds the public person's rows and an answered correction).
    every = list(ctx.session.execute(select(Batch).order_by(Batch.id)).scalars())
    batches = [b for b in every if not demo_quality.made(b)]
    assert all(b.status == BatchStatus.SUCCEEDED for b in batches)
    per_pool = Counter(b.pool_id for b in batches)
    assert per_pool[tables["pop_basic"].id] == 2 and len(batches) == len(tables) + 1
    increment = [b for b in batches if b.pool_id == tables["pop_basic"].id][1]
    assert increment.rows_updated > 20 and increment.rows_loaded > 0 and increment.rows_rejected == 0
    formats = {b.source: (b.source_format, b.encoding) for b in batches}
    assert formats["婚姻登记信息_导出.csv"] == ("csv", "gb18030")
    assert formats["纳税人税务登记信息.xlsx"][0] == "xlsx"
    loads = ctx.session.execute(select(func.count()).where(AuditEvent.action == "pool.load")).scalar_one()
    assert loads == len([b for b in every if b.source_format != "correction"])

    # Every identifier that landed is valid (python-stdnum as the independent judge).
    for pool in tables.values():
        for col in ctx.session.execute(
            select(PoolColumn).where(PoolColumn.pool_id == pool.id, PoolColumn.identifier_kind != "none")
        ).scalars():
            check = stdnum.cn.ric.is_valid if col.identifier_kind == "person" else stdnum.cn.uscc.is_valid
            values = ctx.session.execute(
                text(f"SELECT {col.field_name} FROM {pool.table_name} WHERE {col.field_name} IS NOT NULL")
            ).scalars()
            bad = [v for v in values if not check(v)]
            assert not bad, (pool.table_name, col.field_name, bad[:3])
    people = ctx.session.execute(
        text(f"SELECT id_number, gender, birth_date FROM {tables['pop_basic'].table_name}")
    ).all()
    for number, gender, born in people:
        assert str(born)[:10] == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        assert (int(number[16]) % 2 == 1) == (gender == "男")
        assert number[17] == citizen_id_check_char(number[:17])

    # Reject reports hold exactly the planted errors, each at its row and item, with the right reason.
    errors = pools.planted_errors(TODAY)
    assert {e.kind for e in errors} == set(REASON_OF_KIND)
    by_source = {b.source: b for b in batches}
    for source, count in Counter(e.source for e in errors).items():
        assert by_source[source].rows_rejected == count, source
    for e in errors:
        batch = by_source[e.source]
        reasons = ctx.session.execute(
            select(RejectRow.reason).where(
                RejectRow.batch_id == batch.id, RejectRow.row_number == e.row, RejectRow.field == e.item
            )
        ).scalars()
        assert any(REASON_OF_KIND[e.kind] in reason for reason in reasons), e
    assert {e.entry for e in errors} == {"pop_basic", "renshe_canbao", "legal_basic"}
    assert 0.01 <= Counter(e.source for e in errors)["人口基础信息_全量.csv"] / len(people) <= 0.02

    # The planted disagreements are in the pools, one value each side …
    planted = pools.planted_disagreements(TODAY)
    assert Counter(d.item for d in planted) == {
        "姓名": pools.NAME_VS_SOCIAL_INSURANCE + pools.NAME_VS_MEDICAL_INSURANCE + pools.NAME_VS_MARRIAGE,
        "婚姻状况": pools.DIVORCE_VS_HOUSEHOLD,
        "名称": pools.COMPANY_NAME_VS_TAX,
        "法定代表人": pools.LEGAL_REP_VS_SECURITY_PERMIT,
    }
    for d in planted:
        a = _value(ctx, tables[d.entry_a], d.id_field_a, d.id_a, d.field_a)
        b = _value(ctx, tables[d.entry_b], d.id_field_b, d.id_b, d.field_b)
        assert (a, b) == (d.value_a, d.value_b) and a != b, d
    # … and they are the only ones: a pair of pools differs exactly where a disagreement was planted,
    # at 2–3 % of the subjects both hold.
    pop = tables["pop_basic"]
    pairs = {
        ("pop_basic", "renshe_canbao"): _differing(
            ctx, pop, tables["renshe_canbao"], "id_number", "name", "name"
        ),
        ("pop_basic", "yibao_canbao"): _differing(
            ctx, pop, tables["yibao_canbao"], "id_number", "name", "name"
        ),
        ("pop_basic", "minzheng_hunyin"): _differing(
            ctx, pop, tables["minzheng_hunyin"], "husband_id_number", "name", "husband_name"
        ),
        ("legal_basic", "shuiwu_djxx"): _differing(
            ctx, tables["legal_basic"], tables["shuiwu_djxx"], "taxpayer_id", "name", "taxpayer_name", "uscc"
        ),
    }
    for (a, b), (differing, shared) in pairs.items():
        expected = sum(1 for d in planted if (d.entry_a, d.entry_b) == (a, b) and d.item in ("姓名", "名称"))
        assert differing == expected, (a, b)
        assert 0.015 <= differing / shared <= 0.035, (a, b, differing, shared)
    for key in ("minzheng_dibao", "renshe_jiuye", "gongan_huji", "abmz_tekun"):
        assert _differing(ctx, pop, tables[key], "id_number", "name", "name")[0] == 0, key
    births = tables["weijian_csyx"]
    assert _differing(ctx, pop, births, "mother_id_number", "name", "mother_name")[0] == 0
    assert _differing(ctx, pop, births, "father_id_number", "name", "father_name")[0] == 0
    for key, id_field, name in (
        ("shuiwu_nsxy", "taxpayer_id", "taxpayer_name"),
        ("gongan_baoan", "uscc", "company_name"),
        ("jiaotong_dlys", "uscc", "operator_name"),
    ):
        assert _differing(ctx, tables["legal_basic"], tables[key], id_field, "name", name, "uscc")[0] == 0

    # A second run adds nothing.
    second = load_demo(ctx)
    ctx.session.commit()
    assert not second.created and second.counts == report.counts
    assert audit.verify(ctx, system_actor()).ok
    assert ctx.session.execute(select(func.count()).select_from(Batch)).scalar_one() == len(every)


def test_a_demo_interrupted_after_the_first_pool_load_resumes(
    ctx: Ctx, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_load = service.load_file
    calls: list[str] = []

    def flaky(*args: Any, **kwargs: Any) -> Batch:
        calls.append(kwargs["source_name"])
        if len(calls) == 4:
            raise ConnectionError("connection lost")
        return real_load(*args, **kwargs)

    monkeypatch.setattr(service, "load_file", flaky)
    with pytest.raises(ConnectionError):
        load_demo(ctx)
    ctx.session.rollback()
    assert get_setting(ctx.session, DEMO_MARK) is None
    entries = ctx.session.execute(select(func.count()).select_from(Resource)).scalar_one()
    assert entries == len(content.ENTRIES)  # committed by the first load, as a whole
    assert ctx.session.execute(select(func.count()).select_from(Batch)).scalar_one() == 3

    monkeypatch.setattr(service, "load_file", real_load)
    report = load_demo(ctx)
    ctx.session.commit()
    assert report.created and get_setting(ctx.session, DEMO_MARK) is not None
    assert report.counts["目录条目"] == len(content.ENTRIES)
    sources = Counter(
        b.source for b in ctx.session.execute(select(Batch)).scalars() if not demo_quality.made(b)
    )
    assert set(sources.values()) == {1} and len(sources) == len(pools.build_demo_data(TODAY).loads)
    assert ctx.session.execute(select(func.count()).select_from(Demand)).scalar_one() == len(content.DEMANDS)
    triggers = ctx.session.execute(select(func.count()).select_from(ChangeTrigger)).scalar_one()
    assert triggers == len(content.TRIGGERS)
    assert audit.verify(ctx, system_actor()).ok


def test_demo_dates_follow_the_injected_clock() -> None:
    later = pools.build_demo_data(dt.date(2030, 1, 15))
    assert all(p.birth <= dt.date(2030, 1, 15) for p in later.people)
    assert max(p.birth for p in later.people) > dt.date(2029, 11, 1)  # the newborns of the increment
