"""Loading batches into a pool through the service, on the suite's real database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select, text

from govdata.authz import system_actor
from govdata.catalog import service as catalog
from govdata.catalog.schemas import EditEntryIn
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, NotFound
from govdata.pool import loader, queries, service
from govdata.pool.models import Batch, BatchStatus, LoadMode, Pool, RejectPolicy
from tests.http import helpers as h
from tests.world import World, entry_data

HEADER = "公民身份号码,姓名,出生日期,户籍地址"
GOOD = [
    "11010519491231002X,张三,1949-12-31,北京市西城区",
    "513221199007150324,王五,1990/7/15,汶川县威州镇",
]
BAD_ID = "110105194912310021,李四,1949-12-31,北京市"


def csv_file(tmp_path: Path, lines: list[str], name: str = "pop.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding=encoding)
    return path


def rows(ctx: Ctx, pool: Pool) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in ctx.session.execute(
            text(f"SELECT id_number, name, birth_date, address FROM {pool.table_name} ORDER BY id_number")
        )
    ]


@pytest.fixture
def entry(ctx: Ctx, world: World) -> int:
    rid = h.published(ctx, world).id
    ctx.session.commit()
    return rid


def test_load_validates_reports_and_is_idempotent(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    officer = world.actor("gongan_officer")
    batch = service.load_file(ctx, officer, entry, csv_file(tmp_path, [*GOOD, BAD_ID]))
    assert (batch.status, batch.rows_read, batch.rows_loaded, batch.rows_rejected) == (
        BatchStatus.SUCCEEDED,
        3,
        2,
        1,
    )
    pool = queries.get_pool(ctx, officer, entry)
    assert pool.row_count == 2 and pool.subject_field == "id_number"
    got = rows(ctx, pool)
    assert [r[0] for r in got] == ["11010519491231002X", "513221199007150324"]
    assert str(got[1][2]).startswith("1990-07-15")  # 1990/7/15 normalised, stored as a date
    [reject] = queries.rejects(ctx, officer, batch.id)
    assert (reject.row_number, reject.field) == (3, "公民身份号码") and "校验码" in reject.reason
    report = b"".join(queries.reject_report_csv(ctx, officer, batch.id)).decode("utf-8-sig")
    assert "110105194912310021" in report and "文件行号" in report
    again = service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD))
    assert (again.rows_loaded, again.rows_updated, again.rows_unchanged) == (0, 0, 2)
    assert queries.get_pool(ctx, officer, entry).row_count == 2


def test_upsert_updates_changed_rows_and_gbk_is_read(
    ctx: Ctx, world: World, entry: int, tmp_path: Path
) -> None:
    officer = world.actor("gongan_officer")
    service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD))
    changed = csv_file(tmp_path, ["11010519491231002X,张三丰,1949-12-31,北京市西城区"], encoding="gbk")
    batch = service.load_file(ctx, officer, entry, changed)
    assert batch.encoding == "gb18030"
    assert (batch.rows_loaded, batch.rows_updated) == (0, 1)
    pool = queries.get_pool(ctx, officer, entry)
    assert [r[1] for r in rows(ctx, pool)] == ["张三丰", "王五"]


def test_replace_and_append_modes(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    officer = world.actor("gongan_officer")
    service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD))
    replaced = service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD[:1]), mode=LoadMode.REPLACE)
    assert (replaced.rows_deleted, replaced.rows_loaded) == (2, 1)
    appended = service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD), mode=LoadMode.APPEND)
    assert (appended.rows_loaded, appended.rows_unchanged) == (1, 1)
    clash = service.load_file(
        ctx,
        officer,
        entry,
        csv_file(tmp_path, ["11010519491231002X,别名,1949-12-31,北京"]),
        mode=LoadMode.APPEND,
    )
    assert clash.rows_rejected == 1 and clash.rows_loaded == 0
    assert "追加模式" in queries.rejects(ctx, officer, clash.id)[0].reason


def test_abort_policy_lands_nothing_but_reports_everything(
    ctx: Ctx, world: World, entry: int, tmp_path: Path
) -> None:
    officer = world.actor("gongan_officer")
    batch = service.load_file(
        ctx,
        officer,
        entry,
        csv_file(tmp_path, [*GOOD, BAD_ID, "x,,2026-02-30,"]),
        reject_policy=RejectPolicy.ABORT,
    )
    assert batch.status == BatchStatus.FAILED and "整批未入库" in (batch.message or "")
    assert batch.rows_loaded == 0 and batch.rows_rejected == 2
    reasons = {r.reason for r in queries.rejects(ctx, officer, batch.id)}
    assert any("校验码" in r for r in reasons) and any("必填" in r for r in reasons)
    assert queries.get_pool(ctx, officer, entry).row_count == 0


def test_duplicate_keys_in_one_file(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    officer = world.actor("gongan_officer")
    lines = [GOOD[0], GOOD[1], GOOD[0], "11010519491231002X,张三（重复）,1949-12-31,北京"]
    batch = service.load_file(ctx, officer, entry, csv_file(tmp_path, lines))
    assert (batch.rows_loaded, batch.rows_rejected, batch.rows_unchanged) == (2, 1, 1)
    [reject] = queries.rejects(ctx, officer, batch.id)
    assert reject.row_number == 4 and "第 1 行重复" in reject.reason


def test_an_upsert_with_repeated_keys_new_and_changed_rows(
    ctx: Ctx, world: World, entry: int, tmp_path: Path
) -> None:
    """Into a pool that has rows (the staged path on both databases): repeats found, new keys inserted."""
    officer = world.actor("gongan_officer")
    service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD[:1]))
    new = "110101199003074477,赵六,1990-03-07,东城区"
    lines = [GOOD[0], new, "11010519491231002X,张三（改）,1949-12-31,西城区", new, GOOD[1]]
    batch = service.load_file(ctx, officer, entry, csv_file(tmp_path, lines, name="second.csv"))
    # row 3 repeats row 1's key with other content: rejected; row 4 repeats row 2 exactly: unchanged
    assert (batch.rows_loaded, batch.rows_updated, batch.rows_unchanged, batch.rows_rejected) == (2, 0, 2, 1)
    [reject] = queries.rejects(ctx, officer, batch.id)
    assert reject.row_number == 3 and "第 1 行重复" in reject.reason
    pool = queries.get_pool(ctx, officer, entry)
    assert [r[:2] for r in rows(ctx, pool)] == [
        ("110101199003074477", "赵六"),
        ("11010519491231002X", "张三"),
        ("513221199007150324", "王五"),
    ]
    assert pool.row_count == 3
    again = service.load_file(ctx, officer, entry, csv_file(tmp_path, [new, GOOD[1]], name="third.csv"))
    assert (again.rows_loaded, again.rows_updated, again.rows_unchanged) == (0, 0, 2)


def test_a_failure_mid_load_leaves_the_pool_as_it_was(
    ctx: Ctx, world: World, entry: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = world.actor("gongan_officer")
    service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD))
    real_merge = loader._merge

    def crash(*args: Any, **kwargs: Any) -> None:
        real_merge(*args, **kwargs)  # the rows are in the pool table, inside the open transaction …
        raise RuntimeError("power cut")  # … when the process fails

    monkeypatch.setattr(loader, "_merge", crash)
    with pytest.raises(RuntimeError):
        service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD[:1]), mode=LoadMode.REPLACE)
    pool = queries.get_pool(ctx, officer, entry)
    assert len(rows(ctx, pool)) == 2
    last = queries.batches(ctx, officer, entry)[0]
    assert last.status == BatchStatus.FAILED and "未入库" in (last.message or "")


def test_a_batch_left_running_by_a_dead_process_is_closed(
    ctx: Ctx, world: World, entry: int, tmp_path: Path
) -> None:
    officer = world.actor("gongan_officer")
    first = service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD))
    ctx.session.execute(text("UPDATE pool_batch SET status = 'running' WHERE id = :id"), {"id": first.id})
    ctx.session.commit()
    service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD))
    ctx.session.expire_all()
    dead = ctx.session.get(Batch, first.id)
    assert dead is not None and dead.status == BatchStatus.FAILED and "中断" in (dead.message or "")


def test_xlsx_and_jsonl(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    officer = world.actor("gongan_officer")
    book = Workbook()
    sheet = book.active
    sheet.append(["id_number", "name", "birth_date", "address"])
    sheet.append(["11010519491231002X", "张三", "1949-12-31", "北京"])
    xlsx = tmp_path / "pop.xlsx"
    book.save(xlsx)
    assert service.load_file(ctx, officer, entry, xlsx).rows_loaded == 1
    jsonl = tmp_path / "pop.jsonl"
    jsonl.write_text(
        json.dumps(
            {"公民身份号码": "513221199007150324", "姓名": "王五", "出生日期": "1990-07-15"},
            ensure_ascii=False,
        )
        + "\n"
    )
    assert service.load_file(ctx, officer, entry, jsonl).rows_loaded == 1


def test_bad_files_are_refused_clearly(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    officer = world.actor("gongan_officer")
    no_id = tmp_path / "noid.csv"
    no_id.write_text("姓名,地址\n张三,北京\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="公民身份号码"):
        service.load_file(ctx, officer, entry, no_id)
    odd = tmp_path / "data.pdf"
    odd.write_bytes(b"%PDF")
    with pytest.raises(InvalidInput, match="不支持的文件格式"):
        service.load_file(ctx, officer, entry, odd)


def test_only_the_owning_department_loads(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        service.load_file(ctx, world.actor("minzheng_officer"), entry, csv_file(tmp_path, GOOD))
    with pytest.raises(Forbidden):
        service.load_file(ctx, world.actor("gongan_user"), entry, csv_file(tmp_path, GOOD))
    draft = h.draft(ctx, world)
    ctx.session.commit()
    with pytest.raises(InvalidInput, match="尚未审核通过"):
        service.load_file(ctx, world.actor("gongan_officer"), draft.id, csv_file(tmp_path, GOOD))


def test_a_new_version_migrates_the_pool_without_losing_data(
    ctx: Ctx, world: World, entry: int, tmp_path: Path
) -> None:
    officer = world.actor("gongan_officer")
    service.load_file(ctx, officer, entry, csv_file(tmp_path, GOOD))
    data = entry_data(change_reason="增加联系电话，地址改为必填、加长，出生日期改存文本")
    items = data["items"]
    items[2] = {
        "name": "出生日期",
        "field_name": "birth_date",
        "data_type": "string",
        "length": 10,
        "sensitivity": 2,
    }
    items[3] = {**items[3], "length": 300}
    items.append(
        {"name": "联系电话", "field_name": "phone", "data_type": "string", "length": 20, "sensitivity": 3}
    )
    catalog.edit_entry(ctx, officer, entry, EditEntryIn.model_validate(data))
    catalog.submit(ctx, officer, entry)
    catalog.review(ctx, world.actor("reviewer"), entry, "approve", None)
    ctx.session.commit()
    with_phone = tmp_path / "v2.csv"
    with_phone.write_text(f"{HEADER},联系电话\n11010519491231002X,张三,1949-12-31,北京市西城区,13800000000\n")
    batch = service.load_file(ctx, officer, entry, with_phone)
    assert batch.status == BatchStatus.SUCCEEDED and batch.rows_updated == 1
    pool = queries.get_pool(ctx, officer, entry)
    cols = {c.field_name: c for c in pool.columns}
    assert cols["birth_date"].data_type == "string" and cols["birth_date__old1"].retired
    kept = ctx.session.execute(
        text(f"SELECT birth_date, phone FROM {pool.table_name} WHERE id_number = '513221199007150324'")
    ).one()
    assert kept[0] is not None and kept[1] is None  # the old date survived as text; the new item is empty
    assert ctx.session.execute(select(Pool.version_id).where(Pool.id == pool.id)).scalar_one() != 0
    events = [e.action for e in h_audit(ctx)]
    assert "pool.migrate" in events


def h_audit(ctx: Ctx) -> list[Any]:
    from govdata.audit.models import AuditEvent

    return list(ctx.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())


def test_system_actor_can_read_any_pool(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    service.load_file(ctx, world.actor("gongan_officer"), entry, csv_file(tmp_path, GOOD))
    assert queries.list_pools(ctx, system_actor())
    assert not queries.list_pools(ctx, world.actor("minzheng_officer"))
    assert queries.list_pools(ctx, world.actor("reviewer"))


def test_a_failure_at_the_end_of_a_first_load_leaves_the_pool_empty_and_indexed(
    ctx: Ctx, world: World, entry: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first load takes the bulk path on PostgreSQL (indexes dropped, one COPY): a failure still undoes all."""
    real_finish = loader._finish

    def crash(*args: Any, **kwargs: Any) -> None:
        if args[6] == BatchStatus.SUCCEEDED:
            raise RuntimeError("disk full")
        real_finish(*args, **kwargs)

    monkeypatch.setattr(loader, "_finish", crash)
    with pytest.raises(RuntimeError):
        service.load_file(ctx, world.actor("gongan_officer"), entry, csv_file(tmp_path, GOOD))
    monkeypatch.undo()
    pool = queries.get_pool(ctx, world.actor("gongan_officer"), entry)
    assert rows(ctx, pool) == []
    from sqlalchemy import inspect

    inspector = inspect(ctx.session.connection())
    indexes = {ix["name"] for ix in inspector.get_indexes(pool.table_name)}
    assert f"ux_{pool.table_name}_key" in indexes and f"ix_{pool.table_name}__subject_id" in indexes
    assert inspector.get_pk_constraint(pool.table_name)["constrained_columns"] == ["_row_id"]
    batch = service.load_file(ctx, world.actor("gongan_officer"), entry, csv_file(tmp_path, GOOD))
    assert batch.rows_loaded == 2


TYPED_ITEMS = [
    entry_data()["items"][0],  # 公民身份号码, the key
    {"name": "备注", "field_name": "note", "data_type": "string", "length": 100, "sensitivity": 1},
    {"name": "出生日期", "field_name": "birth_date", "data_type": "date", "sensitivity": 2},
    {"name": "更新时间", "field_name": "seen_at", "data_type": "datetime", "sensitivity": 1},
    {"name": "身高", "field_name": "height", "data_type": "integer", "sensitivity": 1},
    {"name": "金额", "field_name": "amount", "data_type": "decimal", "sensitivity": 1},
    {"name": "是否残疾", "field_name": "disabled", "data_type": "boolean", "sensitivity": 1},
]
TYPED_ROWS = [
    # every spelling the validator lets through, edges of each type, and values the server must round
    ("11010519491231002X", '"含,逗号"', "0001-01-01", "1900-01-01 00:00:00", "0", "0", "是"),
    (
        "513221199007150324",
        '"引号""内"""',
        "9999-12-31",
        "2024-02-29 23:59:59",
        "-9223372036854775808",
        "-0.5",
        "否",
    ),
    ("110101199003074477", "", "1969-12-31", "1969-12-31 23:59:59", "9223372036854775807", "12.", "true"),
    ("110101199003071719", "\\N", "2000-01-01", "", "", ".25", ""),
    ("110101199003072092", "NULL", "", "2000-01-01 00:00:00", "+42", "99999999.9999999999", "0"),
    (
        "110101199003075533",
        "藏文 བོད་ཡིག 彝文 ꆈꌠꁱꂷ",
        "1990/7/15",
        "2020-05-06 07:08:09",
        "7",
        "123456789.5",
        "y",
    ),
    ("110101199003073714", "x", "1990-07-15", "", "", "1.123456789012", "n"),
    ("110101199003076392", "x", "", "", "", "-98765432109876543210.123", "1"),
    ("110101199003079032", "x", "", "", "", "1.00000000005", ""),
    ("110101199003074418", "x", "", "", "", "-1.00000000005", ""),
    ("110101199003077678", "x", "", "", "", "", ""),
]


def test_the_first_load_stores_exactly_what_the_staged_path_stores(
    ctx: Ctx, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL an empty pool is filled by one binary COPY; its values and row hashes must be the staged
    path's (text COPY into the stage, cast by the server), value for value."""
    from govdata.pool import bulk

    officer = world.actor("gongan_officer")
    first = h.published(ctx, world, name="全类型信息（一）", items=TYPED_ITEMS).id
    second = h.published(ctx, world, name="全类型信息（二）", items=TYPED_ITEMS).id
    ctx.session.commit()
    path = tmp_path / "typed.csv"
    header = ",".join(item["name"] for item in TYPED_ITEMS)
    path.write_text("\n".join([header, *(",".join(r) for r in TYPED_ROWS)]) + "\n", encoding="utf-8")

    taken: list[str] = []
    real_copy = bulk.copy_into_empty_pool

    def spy(*args: Any, **kwargs: Any) -> bool:
        taken.append("bulk")
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(bulk, "copy_into_empty_pool", spy)
    direct = service.load_file(ctx, officer, first, path)
    assert taken == (["bulk"] if ctx.session.get_bind().dialect.name == "postgresql" else [])
    monkeypatch.setattr(bulk, "applies", lambda *args: False)
    staged = service.load_file(ctx, officer, second, path)
    assert direct.rows_loaded == staged.rows_loaded == len(TYPED_ROWS), (direct.message, staged.message)

    def stored(entry: int) -> list[tuple[Any, ...]]:
        pool = queries.get_pool(ctx, officer, entry)
        columns = "_subject_id, _row_hash, " + ", ".join(item["field_name"] for item in TYPED_ITEMS)
        return [
            tuple(r) for r in ctx.session.execute(text(f"SELECT {columns} FROM {pool.table_name} ORDER BY 1"))
        ]

    by_bulk, by_stage = stored(first), stored(second)
    assert by_bulk == by_stage
    if not taken:
        return  # SQLite keeps decimals as given and has no bulk path
    amounts = {r[0]: str(r[7]) for r in by_bulk}
    assert amounts["110101199003073714"] == "1.1234567890"  # NUMERIC(38, 10) rounds, half away from zero
    assert (amounts["110101199003079032"], amounts["110101199003074418"]) == ("1.0000000001", "-1.0000000001")
    assert amounts["110101199003076392"] == "-98765432109876543210.1230000000"
    assert amounts["11010519491231002X"] == "0E-10" and amounts["513221199007150324"] == "-0.5000000000"


def test_the_reject_report_keeps_values_exactly(ctx: Ctx, world: World, entry: int, tmp_path: Path) -> None:
    """PostgreSQL writes the report by COPY: tabs, backslashes, quotes and a literal \\N come back as given."""
    officer = world.actor("gongan_officer")
    odd = 'A\\N\t"x"\\\\'
    escaped = odd.replace('"', '""')
    batch = service.load_file(
        ctx, officer, entry, csv_file(tmp_path, [*GOOD, f'"{escaped}",李四,1949-12-31,北京市'])
    )
    assert batch.rows_rejected == 1
    [reject] = queries.rejects(ctx, officer, batch.id)
    assert (reject.row_number, reject.field, reject.value, reject.warning) == (3, "公民身份号码", odd, False)


def test_a_pool_without_keys_keeps_identical_rows_once(ctx: Ctx, world: World, tmp_path: Path) -> None:
    """No identifier item, so no key: the row hash decides what is the same row, on every path."""
    items = [
        {"name": "地名", "field_name": "place", "data_type": "string", "length": 50, "sensitivity": 1},
        {"name": "人口", "field_name": "people", "data_type": "integer", "sensitivity": 1},
    ]
    entry = h.published(ctx, world, name="地名人口表", items=items).id
    ctx.session.commit()
    officer = world.actor("gongan_officer")
    path = tmp_path / "places.csv"
    path.write_text("地名,人口\n汶川,100\n理县,50\n汶川,100\n汶川,101\n", encoding="utf-8")
    first = service.load_file(ctx, officer, entry, path, mode=LoadMode.APPEND)
    assert (first.rows_loaded, first.rows_unchanged, first.rows_rejected) == (3, 1, 0)
    again = service.load_file(ctx, officer, entry, path, mode=LoadMode.APPEND)
    assert (again.rows_loaded, again.rows_unchanged) == (0, 4)
    replaced = service.load_file(ctx, officer, entry, path, mode=LoadMode.REPLACE)
    assert (replaced.rows_deleted, replaced.rows_loaded, replaced.rows_unchanged) == (3, 3, 1)
    pool = queries.get_pool(ctx, officer, entry)
    held = ctx.session.execute(text(f"SELECT place, people FROM {pool.table_name} ORDER BY _row_id")).all()
    assert [tuple(r) for r in held] == [("汶川", 100), ("理县", 50), ("汶川", 101)]
    assert pool.row_count == 3
