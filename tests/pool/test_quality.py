"""Pool quality (POOL-5): completeness, validity, key uniqueness and timeliness, on real loads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from govdata.catalog.models import UpdateCycle
from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.errors import Forbidden, NotFound
from govdata.pool import loader, queries, service
from govdata.pool.models import Batch, BatchStatus, RejectPolicy
from govdata.pool.quality import (
    BatchQuality,
    ItemQuality,
    batch_quality,
    overdue_pools,
    pool_quality,
    refresh_due,
)
from govdata.pool.tables import BATCH, LOADED_AT, ROW_HASH, SUBJECT, pool_table
from tests.conftest import TEST_NOW
from tests.http import helpers as h
from tests.world import World

HEADER = "公民身份号码,姓名,出生日期,户籍地址"
ZHANG = "11010519491231002X,张三,1949-12-31,北京市西城区"
WANG = "513221199007150324,王五,1990/7/15,汶川县威州镇"
ZHAO = "513221199007150340,赵六,,"  # optional birth date and address left empty
BAD_X = "110105194912310021,李四,1949-12-31,北京市"  # check character should be X
BAD_4 = "513221199007150325,钱七,1990-07-15,汶川县"  # check character should be 4
NO_NAME = "513221199007150332,,1990-07-15,汶川县"  # required name empty


def csv_file(tmp_path: Path, lines: list[str], name: str = "pop.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def entry(ctx: Ctx, world: World) -> int:
    rid = h.published(ctx, world).id  # 户籍人口基本信息, update cycle "daily"
    ctx.session.commit()
    return rid


def load(
    ctx: Ctx,
    world: World,
    entry: int,
    tmp_path: Path,
    lines: list[str],
    reject_policy: RejectPolicy = RejectPolicy.SKIP,
) -> Batch:
    officer = world.actor("gongan_officer")
    return service.load_file(ctx, officer, entry, csv_file(tmp_path, lines), reject_policy=reject_policy)


# ----------------------------------------------------------------------------------------- refresh_due


@pytest.mark.parametrize(
    ("cycle", "last", "due"),
    [
        (UpdateCycle.REALTIME, dt.date(2026, 11, 20), dt.date(2026, 11, 21)),
        (UpdateCycle.DAILY, dt.date(2026, 12, 31), dt.date(2027, 1, 1)),
        (UpdateCycle.WEEKLY, dt.date(2026, 11, 20), dt.date(2026, 11, 27)),
        (UpdateCycle.MONTHLY, dt.date(2026, 11, 20), dt.date(2026, 12, 20)),
        (UpdateCycle.MONTHLY, dt.date(2027, 1, 31), dt.date(2027, 2, 28)),
        (UpdateCycle.MONTHLY, dt.date(2028, 1, 31), dt.date(2028, 2, 29)),  # leap year
        (UpdateCycle.MONTHLY, dt.date(2026, 12, 15), dt.date(2027, 1, 15)),
        (UpdateCycle.QUARTERLY, dt.date(2026, 11, 30), dt.date(2027, 2, 28)),
        (UpdateCycle.QUARTERLY, dt.date(2026, 3, 31), dt.date(2026, 6, 30)),
        (UpdateCycle.HALF_YEARLY, dt.date(2026, 8, 31), dt.date(2027, 2, 28)),
        (UpdateCycle.HALF_YEARLY, dt.date(2026, 1, 15), dt.date(2026, 7, 15)),
        (UpdateCycle.YEARLY, dt.date(2028, 2, 29), dt.date(2029, 2, 28)),
        (UpdateCycle.YEARLY, dt.date(2026, 11, 20), dt.date(2027, 11, 20)),
        (UpdateCycle.IRREGULAR, dt.date(2026, 11, 20), None),
    ],
)
def test_refresh_due_by_calendar_period(cycle: UpdateCycle, last: dt.date, due: dt.date | None) -> None:
    assert refresh_due(cycle, last, dt.date(2000, 1, 1)) == due


def test_refresh_due_counts_from_since_without_a_load() -> None:
    assert refresh_due(UpdateCycle.MONTHLY, None, dt.date(2027, 1, 31)) == dt.date(2027, 2, 28)
    assert refresh_due(UpdateCycle.DAILY, None, dt.date(2026, 11, 20)) == dt.date(2026, 11, 21)
    assert refresh_due(UpdateCycle.IRREGULAR, None, dt.date(2026, 11, 20)) is None


def test_every_cycle_has_a_rule() -> None:
    for cycle in UpdateCycle:
        due = refresh_due(cycle, dt.date(2026, 1, 31), dt.date(2026, 1, 1))
        assert (due is None) == (cycle == UpdateCycle.IRREGULAR)
        assert due is None or due > dt.date(2026, 1, 31)


def test_item_and_batch_ratios_without_rows() -> None:
    assert ItemQuality("name", "姓名", 0, 0).completeness is None
    assert ItemQuality("name", "姓名", 1, 4).completeness == 0.25
    empty = BatchQuality(batch_id=1, read=0, accepted=0, rejected=0, warnings=0)
    assert empty.validity is None and not empty.partial


# ------------------------------------------------------------------------------------------- per pool


def test_completeness_validity_and_subjects(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    batch = load(ctx, world, entry, tmp_path, [ZHANG, WANG, ZHAO, BAD_X])
    assert (batch.rows_read, batch.rows_loaded, batch.rows_rejected) == (4, 3, 1)
    q = pool_quality(ctx, world.actor("gongan_officer"), entry)
    pool = queries.get_pool(ctx, world.actor("gongan_officer"), entry)
    assert (q.pool_id, q.resource_id, q.rows, q.subjects, q.key_duplicates) == (pool.id, entry, 3, 3, 0)
    got = {i.field_name: (i.label, i.filled, i.total) for i in q.items}
    assert list(got) == ["id_number", "name", "birth_date", "address"]
    assert got == {
        "id_number": ("公民身份号码", 3, 3),
        "name": ("姓名", 3, 3),
        "birth_date": ("出生日期", 2, 3),
        "address": ("户籍地址", 2, 3),
    }
    assert q.items[2].completeness == pytest.approx(2 / 3)
    assert q.last_batch_validity == pytest.approx(3 / 4)
    assert q.last_loaded_at is not None and q.last_loaded_at.astimezone(CHINA_TZ) == TEST_NOW
    assert q.update_cycle == UpdateCycle.DAILY
    assert (q.refresh_due, q.overdue) == (dt.date(2026, 11, 21), False)


def test_validity_follows_the_last_succeeded_batch(
    ctx: Ctx, world: World, entry: int, tmp_path: Path
) -> None:
    load(ctx, world, entry, tmp_path, [ZHANG, BAD_X])
    officer = world.actor("gongan_officer")
    assert pool_quality(ctx, officer, entry).last_batch_validity == pytest.approx(0.5)
    failed = load(ctx, world, entry, tmp_path, [WANG, BAD_4], reject_policy=RejectPolicy.ABORT)
    assert failed.status == BatchStatus.FAILED
    assert pool_quality(ctx, officer, entry).last_batch_validity == pytest.approx(0.5)  # failed ones skipped
    load(ctx, world, entry, tmp_path, [ZHANG, WANG])
    assert pool_quality(ctx, officer, entry).last_batch_validity == 1.0


def test_retired_items_are_left_out_of_completeness(
    ctx: Ctx, world: World, entry: int, tmp_path: Path
) -> None:
    load(ctx, world, entry, tmp_path, [ZHANG])
    pool = queries.get_pool(ctx, world.actor("gongan_officer"), entry)
    pool.columns[3].retired = True  # as a new catalog version dropping 户籍地址 would leave it
    ctx.session.commit()
    q = pool_quality(ctx, world.actor("gongan_officer"), entry)
    assert [i.field_name for i in q.items] == ["id_number", "name", "birth_date"]


def test_duplicate_keys_are_counted_when_the_index_does_not_hold(
    ctx: Ctx, world: World, entry: int, tmp_path: Path
) -> None:
    officer = world.actor("gongan_officer")
    batch = load(ctx, world, entry, tmp_path, [ZHANG, WANG])
    pool = queries.get_pool(ctx, officer, entry)
    assert pool_quality(ctx, officer, entry).key_duplicates == 0
    # A pool whose unique key index is gone (a pool migrated from elsewhere, a key changed later): the same
    # person twice, plus a row without any subject id, which is not a duplicate of anything.
    ctx.session.execute(text(f"DROP INDEX ux_{pool.table_name}_key"))
    table = pool_table(pool)
    common = {BATCH: batch.id, LOADED_AT: TEST_NOW}
    ctx.session.execute(
        insert(table),
        [
            {**common, SUBJECT: "11010519491231002X", ROW_HASH: "a" * 32, "id_number": "11010519491231002X"},
            {**common, SUBJECT: None, ROW_HASH: "b" * 32, "id_number": None, "name": "无名"},
            {**common, SUBJECT: None, ROW_HASH: "c" * 32, "id_number": None, "name": "无名"},
        ],
    )
    ctx.session.commit()
    q = pool_quality(ctx, officer, entry)
    assert (q.rows, q.key_duplicates, q.subjects) == (5, 2, 2)
    assert q.items[0].filled == 3
    pool.key_fields = ""  # no key: duplicate subject ids are counted instead
    ctx.session.commit()
    assert pool_quality(ctx, officer, entry).key_duplicates == 2


def test_an_empty_pool(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    batch = load(ctx, world, entry, tmp_path, [BAD_X], reject_policy=RejectPolicy.ABORT)
    assert batch.status == BatchStatus.FAILED
    q = pool_quality(ctx, world.actor("gongan_officer"), entry)
    assert (q.rows, q.subjects, q.key_duplicates, q.last_batch_validity, q.last_loaded_at) == (
        0,
        0,
        0,
        None,
        None,
    )
    assert all(i.completeness is None for i in q.items)
    assert q.refresh_due == dt.date(2026, 11, 21)  # counted from the pool's creation


# ---------------------------------------------------------------------------------------- timeliness


def test_a_pool_becomes_overdue_and_is_listed(
    ctx: Ctx, world: World, entry: int, tmp_path: Path, clock: FixedClock
) -> None:
    officer = world.actor("gongan_officer")
    load(ctx, world, entry, tmp_path, [ZHANG])
    clock.advance(days=1)  # the due date itself is still on time
    assert not pool_quality(ctx, officer, entry).overdue
    assert overdue_pools(ctx, officer) == []
    clock.advance(days=1)
    q = pool_quality(ctx, officer, entry)
    assert (q.refresh_due, q.overdue) == (dt.date(2026, 11, 21), True)
    for who in ("gongan_officer", "gongan_user", "reviewer", "admin"):
        listed = overdue_pools(ctx, world.actor(who))
        assert [(p.resource_id, due) for p, due in listed] == [(entry, dt.date(2026, 11, 21))], who
    for who in ("minzheng_officer", "city_reviewer", "city2_reviewer"):
        assert overdue_pools(ctx, world.actor(who)) == [], who
    load(ctx, world, entry, tmp_path, [ZHANG, WANG])  # a refresh clears it
    q = pool_quality(ctx, officer, entry)
    assert (q.refresh_due, q.overdue) == (dt.date(2026, 11, 23), False)
    assert overdue_pools(ctx, world.actor("reviewer")) == []


def test_the_last_load_counts_by_china_local_date(
    ctx: Ctx, world: World, entry: int, tmp_path: Path, clock: FixedClock
) -> None:
    clock.set(dt.datetime(2026, 11, 21, 0, 30, tzinfo=CHINA_TZ))  # still 20 November in UTC
    load(ctx, world, entry, tmp_path, [ZHANG])
    q = pool_quality(ctx, world.actor("gongan_officer"), entry)
    assert q.last_loaded_at is not None and q.last_loaded_at.astimezone(dt.UTC).day == 20
    assert q.refresh_due == dt.date(2026, 11, 22)


def test_overdue_pools_most_overdue_first_and_irregular_never(
    ctx: Ctx, world: World, entry: int, tmp_path: Path, clock: FixedClock
) -> None:
    weekly = h.published(ctx, world, name="户籍迁移登记信息", update_cycle="weekly").id
    irregular = h.published(ctx, world, name="户籍人口变更记录", update_cycle="irregular").id
    monthly = h.published(
        ctx, world, owner="minzheng_officer", name="婚姻登记信息", update_cycle="monthly"
    ).id
    ctx.session.commit()
    officer = world.actor("gongan_officer")
    for rid in (entry, weekly, irregular):
        service.load_file(ctx, officer, rid, csv_file(tmp_path, [ZHANG]))
    service.load_file(ctx, world.actor("minzheng_officer"), monthly, csv_file(tmp_path, [ZHANG]))
    clock.advance(days=40)
    listed = [(p.resource_id, due) for p, due in overdue_pools(ctx, world.actor("reviewer"))]
    assert listed == [
        (entry, dt.date(2026, 11, 21)),
        (weekly, dt.date(2026, 11, 27)),
        (monthly, dt.date(2026, 12, 20)),
    ]
    assert [p.resource_id for p, _ in overdue_pools(ctx, officer)] == [entry, weekly]
    assert [p.resource_id for p, _ in overdue_pools(ctx, world.actor("minzheng_officer"))] == [monthly]
    q = pool_quality(ctx, officer, irregular)
    assert (q.update_cycle, q.refresh_due, q.overdue) == (UpdateCycle.IRREGULAR, None, False)


# ------------------------------------------------------------------------------------------- per batch


def test_batch_quality_groups_reasons(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    batch = load(ctx, world, entry, tmp_path, [ZHANG, WANG, BAD_X, BAD_4, NO_NAME])
    q = batch_quality(ctx, world.actor("gongan_officer"), batch.id)
    assert (q.batch_id, q.read, q.accepted, q.rejected, q.kept) == (batch.id, 5, 2, 3, 3)
    assert q.validity == pytest.approx(2 / 5) and not q.partial
    assert q.reasons == [("公民身份号码：公民身份号码校验码错误", 2), ("姓名：必填项为空", 1)]
    assert q.warnings == batch.warnings
    assert batch_quality(ctx, world.actor("reviewer"), batch.id).reasons == q.reasons
    assert batch_quality(ctx, world.actor("gongan_officer"), batch.id, top=1).reasons == q.reasons[:1]


def test_batch_quality_of_duplicate_keys_groups_across_rows(
    ctx: Ctx, world: World, entry: int, tmp_path: Path
) -> None:
    lines = [ZHANG, WANG, "11010519491231002X,张三甲,1949-12-31,北京", "513221199007150324,王五乙,,"]
    batch = load(ctx, world, entry, tmp_path, lines)
    q = batch_quality(ctx, world.actor("gongan_officer"), batch.id)
    assert q.rejected == 2
    [(reason, count)] = q.reasons
    assert count == 2 and "重复" in reason


def test_batch_quality_says_when_only_part_of_the_report_was_kept(
    ctx: Ctx, world: World, entry: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "REJECTS_KEPT", 1)
    batch = load(ctx, world, entry, tmp_path, [ZHANG, BAD_X, BAD_4, NO_NAME])
    q = batch_quality(ctx, world.actor("gongan_officer"), batch.id)
    assert (q.rejected, q.kept, q.partial) == (3, 1, True)
    assert sum(n for _, n in q.reasons) == 1


# ----------------------------------------------------------------------------------------- permissions


def test_permissions(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    batch = load(ctx, world, entry, tmp_path, [ZHANG, BAD_X])
    for who in ("gongan_user", "reviewer", "admin"):
        assert pool_quality(ctx, world.actor(who), entry).rows == 1
    with pytest.raises(NotFound):
        pool_quality(ctx, world.actor("minzheng_officer"), entry)
    with pytest.raises(NotFound):
        batch_quality(ctx, world.actor("minzheng_officer"), batch.id)
    with pytest.raises(NotFound):
        pool_quality(ctx, world.actor("city_reviewer"), entry)  # a lower level's authority
    for call in (
        lambda a: pool_quality(ctx, a, entry),
        lambda a: batch_quality(ctx, a, batch.id),
        lambda a: overdue_pools(ctx, a),
    ):
        for who in ("citizen", "vendor_staff", "auditor"):
            with pytest.raises(Forbidden):
                call(world.actor(who))
    with pytest.raises(NotFound):
        batch_quality(ctx, world.actor("gongan_officer"), 999_999)
