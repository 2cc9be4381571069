"""The "usable but invisible" sandbox: aggregates only, groups below k withheld, every hostile construct refused
with a Chinese reason and recorded, nothing written to the data, and the statement itself read-only."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from govdata.audit.models import AuditEvent
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Forbidden, NotFound
from govdata.opendata import sandbox, service
from govdata.opendata.models import OpenApplication, OpenListing, Retrieval, SandboxQuery
from govdata.opendata.schemas import ListingIn, ReviewIn
from govdata.pool.models import Pool
from govdata.pool.service import load_file
from govdata.pool.tables import pool_table
from tests.http.helpers import published
from tests.opendata.fixtures import DEIDENTIFIED, listing_body, published_listing
from tests.opendata.test_applications import active_application, submit
from tests.sharing.fixtures import PEOPLE, id_number
from tests.world import World, entry_data

WEIZHOU, YINGXIU, CHENGDU = (p[3] for p in PEOPLE)  # the fixture's three people live at these addresses
HOUSEHOLD = {"name": "家庭人口数", "field_name": "household_size", "data_type": "integer", "sensitivity": 1}


def crowd() -> list[tuple[str, str, str, str, int]]:
    """25 more people: 11 more at 威州镇 (12 in all), 9 more at 映秀镇 (10), 2 more in 成都 (3)."""
    rows = []
    for n, address in enumerate([WEIZHOU] * 11 + [YINGXIU] * 9 + [CHENGDU] * 2, start=100):
        born = "1980-05-01" if address == WEIZHOU else "1990-07-15"
        rows.append((id_number(f"51322119800501{n:03d}"), f"测试{n}", born, address, 2 + n % 3))
    return rows


def _load(ctx: Ctx, world: World, resource_id: int, lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "more.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        load_file(ctx, world.actor("gongan_officer"), resource_id, path)
    ctx.session.commit()


def crowded_listing(ctx: Ctx, world: World) -> OpenListing:
    """The conditional population listing with 25 people in all (groups of 12, 10 and 3 by address)."""
    listing = published_listing(ctx, world, "conditional")
    lines = ["公民身份号码,姓名,出生日期,户籍地址"] + [",".join(map(str, p[:4])) for p in crowd()]
    _load(ctx, world, listing.resource_id, lines)
    return listing


def household_listing(ctx: Ctx, world: World) -> OpenListing:
    """A conditional listing with a numeric item (家庭人口数) for SUM and AVG."""
    items = [*entry_data()["items"], HOUSEHOLD]
    res = published(
        ctx,
        world,
        items=items,
        open_type="conditional",
        open_basis="《中华人民共和国个人信息保护法》第二十八条",
        open_conditions="仅向开展人口研究的机构开放",
    )
    ctx.session.commit()
    people = [(*p, 3) for p in PEOPLE] + crowd()
    _load(
        ctx,
        world,
        res.id,
        ["公民身份号码,姓名,出生日期,户籍地址,家庭人口数"] + [",".join(map(str, p)) for p in people],
    )
    officer = world.actor("gongan_officer")
    body = listing_body(res.id, items=[*DEIDENTIFIED, {"field_name": "household_size", "treatment": "keep"}])
    listing = service.compile_listing(ctx, officer, ListingIn.model_validate(body))
    service.submit_listing(ctx, officer, listing.id)
    service.review_listing(ctx, world.actor("reviewer"), listing.id, ReviewIn(approve=True))
    ctx.session.commit()
    return listing


@pytest.fixture
def app(ctx: Ctx, world: World) -> OpenApplication:
    """citizen's active application for name, birth date and address (not the ID number)."""
    return active_application(ctx, world, crowded_listing(ctx, world))


def run(ctx: Ctx, world: World, application: OpenApplication, sql: str) -> sandbox.SandboxResult:
    result = sandbox.run(ctx, world.actor("citizen"), application.id, sql)
    ctx.session.commit()
    return result


def _pool_rows(ctx: Ctx, listing_id: int) -> int:
    listing = ctx.session.get(OpenListing, listing_id)
    assert listing is not None
    pool = ctx.session.scalars(select(Pool).where(Pool.resource_id == listing.resource_id)).one()
    return int(ctx.session.execute(select(func.count()).select_from(pool_table(pool))).scalar_one())


def test_grouped_counts_come_back_and_small_groups_are_withheld(
    ctx: Ctx, world: World, app: OpenApplication
) -> None:
    result = run(ctx, world, app, "SELECT address, COUNT(*) AS n FROM data GROUP BY address ORDER BY n DESC")
    assert result.outcome == "answered" and result.reason is None and result.k == 10
    assert result.columns == ["address", "n"]
    assert result.rows == [[WEIZHOU, 12], [YINGXIU, 10]]
    assert (result.groups_returned, result.groups_suppressed) == (2, 1)  # 成都: 3 people
    query = ctx.session.get(SandboxQuery, result.query_id)
    assert query is not None and query.outcome == "answered" and query.groups_suppressed == 1
    taken = ctx.session.scalars(select(Retrieval)).one()
    assert (taken.channel, taken.application_id, taken.rows) == ("sandbox", app.id, 2)
    event = ctx.session.scalars(select(AuditEvent).where(AuditEvent.action == "open.sandbox.query")).one()
    assert event.outcome == "success" and event.purpose == app.purpose


def test_an_ungrouped_answer_below_k_is_withheld_too(ctx: Ctx, world: World, app: OpenApplication) -> None:
    whole = run(ctx, world, app, "select count(*) from data;")
    assert whole.rows == [[25]] and whole.groups_suppressed == 0
    one = run(ctx, world, app, "SELECT COUNT(*) FROM data WHERE name = '测试101'")
    assert one.outcome == "answered" and one.rows == [] and one.groups_suppressed == 1
    none = run(ctx, world, app, "SELECT COUNT(*) FROM data WHERE name = '无此人'")
    assert none.rows == [] and none.groups_suppressed == 1


def test_grouping_by_the_id_number_withholds_every_group(ctx: Ctx, world: World) -> None:
    application = active_application(ctx, world, crowded_listing(ctx, world), items=["id_number", "address"])
    result = run(ctx, world, application, "SELECT id_number, COUNT(*) FROM data GROUP BY id_number")
    assert result.outcome == "answered" and result.rows == [] and result.groups_suppressed == 25


def test_conditions_of_every_allowed_kind(ctx: Ctx, world: World, app: OpenApplication) -> None:
    cases = {
        "SELECT COUNT(*) FROM data WHERE address LIKE '四川省阿坝州%'": 22,
        "SELECT COUNT(*) FROM data d WHERE d.address IN ('四川省阿坝州汶川县映秀镇2号', '无')": 10,
        "SELECT COUNT(*) FROM data WHERE birth_date BETWEEN '1980-01-01' AND '1985-12-31'": 12,
        "SELECT COUNT(*) FROM data WHERE NOT (birth_date < '1985-01-01') OR address IS NULL": 12,
        "SELECT COUNT(*) FROM data WHERE birth_date >= '1980-01-01' AND name <> '测试100'": 23,
        "SELECT COUNT(name) AS named, COUNT(DISTINCT address) FROM data WHERE address IS NOT NULL": None,
    }
    for sql, expected in cases.items():
        result = run(ctx, world, app, sql)
        assert result.outcome == "answered", (sql, result.reason)
        if expected is not None:
            assert result.rows == [[expected]], (sql, result.rows)
    last = run(ctx, world, app, list(cases)[-1])
    assert last.columns == ["named", "COUNT(DISTINCT address)"] and last.rows == [[25, 3]]
    limited = run(
        ctx,
        world,
        app,
        "SELECT address, COUNT(*) FROM data GROUP BY 1 HAVING COUNT(*) > 5 ORDER BY 2 LIMIT 1",
    )
    assert limited.rows == [[YINGXIU, 10]] and not limited.truncated


def test_sum_and_avg_over_a_numeric_item(ctx: Ctx, world: World) -> None:
    application = active_application(
        ctx, world, household_listing(ctx, world), items=["address", "household_size"]
    )
    sql = (
        "SELECT address, SUM(household_size) AS total, AVG(household_size) AS mean FROM data "
        "GROUP BY address ORDER BY address"
    )
    result = run(ctx, world, application, sql)
    assert result.outcome == "answered", result.reason
    expected = {}
    for row in [(*p, 3) for p in PEOPLE] + crowd():
        expected.setdefault(row[3], []).append(row[4])
    wanted = sorted(
        [address, sum(sizes), round(sum(sizes) / len(sizes), 6)]
        for address, sizes in expected.items()
        if len(sizes) >= 10
    )
    assert sorted(result.rows) == wanted and result.groups_suppressed == 1
    big = run(ctx, world, application, "SELECT COUNT(*) FROM data WHERE household_size > 2")
    assert big.rows == [[sum(1 for p in crowd() if p[4] > 2) + 3]]
    refused = run(ctx, world, application, "SELECT COUNT(*) FROM data WHERE household_size = '三'")
    assert refused.outcome == "refused" and "数值型" in (refused.reason or "")


HOSTILE: list[tuple[str, str]] = [
    ("DROP TABLE data", "沙箱只读"),
    ("SELECT COUNT(*) FROM data; DROP TABLE data", "一条查询语句"),
    ("SELECT COUNT(*) FROM data; SELECT COUNT(*) FROM data", "一条查询语句"),
    ("PRAGMA query_only = 0", "沙箱只读"),
    ("INSERT INTO data (name) VALUES ('x')", "沙箱只读"),
    ("UPDATE data SET name = 'x'", "沙箱只读"),
    ("DELETE FROM data", "沙箱只读"),
    ("VACUUM", "沙箱只读"),
    ("SELECT COUNT(*) FROM (SELECT * FROM data)", "子查询"),
    ("SELECT COUNT(*) FROM data WHERE name IN (SELECT name FROM data)", "子查询"),
    ("SELECT COUNT(*) FROM data WHERE EXISTS (SELECT 1 FROM app_user)", "子查询"),
    ("SELECT COUNT(*) FROM data -- 注释", "注释"),
    ("SELECT /* x */ COUNT(*) FROM data", "注释"),
    ("SELECT MIN(birth_date) FROM data", "MIN / MAX"),
    ("SELECT address, MAX(birth_date) FROM data GROUP BY address", "MIN / MAX"),
    ("SELECT * FROM data", "SELECT *"),
    ("SELECT data.* FROM data", "SELECT *"),
    ("SELECT name FROM data", "既不是聚合结果也不在 GROUP BY 中"),
    ("SELECT name, COUNT(*) FROM data GROUP BY address", "既不是聚合结果也不在 GROUP BY 中"),
    ("SELECT name FROM data UNION SELECT address FROM data", "UNION"),
    ("SELECT COUNT(*) FROM data UNION ALL SELECT COUNT(*) FROM app_user", "UNION"),
    ("SELECT COUNT(*) FROM app_user", "只能查询表 data"),
    ("SELECT COUNT(*) FROM main.data", "只能查询表 data"),
    ("SELECT COUNT(*)", "只能查询表 data"),
    ("SELECT COUNT(*) FROM data JOIN app_user ON 1 = 1", "JOIN"),
    ("SELECT COUNT(*) FROM data, app_user", "JOIN"),
    ("WITH x AS (SELECT * FROM data) SELECT COUNT(*) FROM x", "WITH"),
    ("SELECT DISTINCT address FROM data", "DISTINCT"),
    ("SELECT UPPER(name), COUNT(*) FROM data GROUP BY name", "函数 UPPER"),
    ("SELECT COUNT(*) FROM data WHERE load_extension('x') = 1", "函数 LOAD_EXTENSION"),
    ("SELECT COUNT(*) FROM data WHERE id_number = '1'", "不在本申请批准的信息项中"),
    ("SELECT COUNT(*) FROM data WHERE password_hash = '1'", "没有列"),
    ("SELECT COUNT(*) FROM data WHERE COUNT(*) > 1", "HAVING"),
    ("SELECT COUNT(*) FROM data GROUP BY address HAVING name = '测试100'", "HAVING 中的信息项"),
    ("SELECT AVG(address) FROM data", "数值型"),
    ("SELECT SUM(name || address) FROM data", "参数只能是一个信息项"),
    ("SELECT COUNT(*) FROM data WHERE name || address = 'x'", "算术"),
    ("SELECT COUNT(*) OVER () FROM data", "窗口函数"),
    ("SELECT COUNT(*) FROM data WHERE birth_date > 'yesterday'", "日期型"),
    ("SELECT COUNT(*) FROM data WHERE name = ?", "占位符"),
    ("SELECT COUNT(*) FROM data WHERE CAST(name AS INT) = 1", "类型转换"),
    ("SELECT COUNT(*) FROM data WHERE 1 = 1", "至少有一边须为信息项"),
    ("SELECT COUNT(*) FROM data WHERE name", "条件须为比较"),
    ("SELECT COUNT(*) FROM data LIMIT 1 OFFSET 5", "OFFSET"),
    ("SELECT COUNT(*) FROM data FOR UPDATE", "锁定"),
    ("SELEC COUNT(*) FROM data", "语法"),
    ("SELECT COUNT(*) FROM data WHERE name = 'x", "语法"),
    ("   ", "请填写"),
    ("SELECT COUNT(*) FROM data WHERE " + " OR ".join(["name = 'x'"] * 400), "过长"),
]


def test_hostile_and_unsupported_queries_are_refused_recorded_and_harmless(
    ctx: Ctx, world: World, app: OpenApplication, engine: Engine
) -> None:
    before = _pool_rows(ctx, app.listing_id)
    tables = set(inspect(engine).get_table_names())
    for sql, reason in HOSTILE:
        result = run(ctx, world, app, sql)
        assert result.outcome == "refused", (sql, result.rows)
        assert reason in (result.reason or ""), (sql, result.reason)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in result.reason or ""), sql
        assert result.rows == [] and result.columns == []
        query = ctx.session.get(SandboxQuery, result.query_id)
        assert query is not None and query.outcome == "refused" and query.reason == result.reason
    assert ctx.session.scalar(select(func.count()).select_from(Retrieval)) == 0
    refused = ctx.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "open.sandbox.query", AuditEvent.outcome == "refused")
    ).all()
    assert len(refused) == len(HOSTILE)
    assert _pool_rows(ctx, app.listing_id) == before and set(inspect(engine).get_table_names()) == tables
    # MIN and MAX are refused with the reason, not merely as unknown functions.
    assert "某一个人" in (run(ctx, world, app, "SELECT MIN(birth_date) FROM data").reason or "")


def test_the_statement_runs_read_only_and_within_a_limit(
    ctx: Ctx, world: World, app: OpenApplication, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defence in depth: even a write that got past the whitelist would fail in the sandbox's transaction."""
    plan = sandbox.Plan(text("CREATE TABLE sandbox_probe (x INTEGER)"), None, [], 1, None)  # type: ignore[arg-type]
    with pytest.raises(DBAPIError):
        sandbox._execute(ctx, plan)
    assert "sandbox_probe" not in inspect(engine).get_table_names()
    with engine.connect() as conn:  # the pooled connection is writable again for everyone else
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA query_only").scalar() == 0
    if engine.dialect.name == "postgresql":
        monkeypatch.setattr(sandbox, "PG_TIMEOUT_MS", 50)
        slow = sandbox.Plan(select(func.pg_sleep(1)), None, [], 1, None)  # type: ignore[arg-type]
        with pytest.raises(DBAPIError, match="statement timeout"):
            sandbox._execute(ctx, slow)
    else:
        monkeypatch.setattr(sandbox, "SQLITE_STEP_BLOCK", 1)
        monkeypatch.setattr(sandbox, "SQLITE_MAX_BLOCKS", 3)
        result = run(ctx, world, app, "SELECT address, COUNT(*) FROM data GROUP BY address")
        assert result.outcome == "refused" and "计算时限" in (result.reason or "")


def test_only_the_applicant_of_an_active_application_in_its_term(
    ctx: Ctx, world: World, clock: FixedClock
) -> None:
    listing = crowded_listing(ctx, world)
    pending = submit(ctx, world, listing)
    ctx.session.commit()
    with pytest.raises(Forbidden, match="申请生效后"):
        sandbox.run(ctx, world.actor("citizen"), pending.id, "SELECT COUNT(*) FROM data")
    ctx.session.rollback()
    from govdata.opendata import applications

    applications.withdraw(ctx, world.actor("citizen"), pending.id)
    application = active_application(ctx, world, listing, sandbox_only=True, term_days=5)
    ok = run(ctx, world, application, "SELECT COUNT(*) FROM data")
    assert ok.rows == [[25]]  # a sandbox-only application uses the sandbox
    with pytest.raises(NotFound):
        sandbox.run(ctx, world.actor("minzheng_officer"), application.id, "SELECT COUNT(*) FROM data")
    with pytest.raises(Forbidden, match="申请人本人"):
        sandbox.run(ctx, world.actor("gongan_officer"), application.id, "SELECT COUNT(*) FROM data")
    service.suspend_listing(ctx, world.actor("gongan_officer"), listing.id, "核查数据风险")
    with pytest.raises(Forbidden, match="暂停开放"):
        sandbox.run(ctx, world.actor("citizen"), application.id, "SELECT COUNT(*) FROM data")
    service.restore_listing(ctx, world.actor("gongan_officer"), listing.id, "核查完毕")
    clock.set(dt.datetime(2026, 11, 25, 9, 0, tzinfo=CHINA_TZ))  # the term ended on 2026-11-24
    with pytest.raises(Forbidden, match="已届满"):
        sandbox.run(ctx, world.actor("citizen"), application.id, "SELECT COUNT(*) FROM data")
    ctx.session.rollback()


def test_history_and_the_columns_shown(ctx: Ctx, world: World, app: OpenApplication) -> None:
    run(ctx, world, app, "SELECT COUNT(*) FROM data")
    run(ctx, world, app, "SELECT * FROM data")
    past = sandbox.history(ctx, world.actor("citizen"), app.id)
    assert [q.outcome for q in past] == ["refused", "answered"]
    assert sandbox.columns_of(ctx, app) == [
        ("name", "姓名", "文本"),
        ("birth_date", "出生日期", "日期"),
        ("address", "户籍地址", "文本"),
    ]
