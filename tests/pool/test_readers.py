"""Readers against real files on disk: encodings, quoting, batching, XLSX and JSONL typing, database pulls."""

from __future__ import annotations

import codecs
import datetime as dt
import io
import json
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pytest
from openpyxl import Workbook
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    create_engine,
    insert,
)

from govdata.errors import InvalidInput
from govdata.pool.readers import (
    Reader,
    detect_encoding,
    open_database,
    open_file,
    open_stream,
)

HEADER = ["身份证号", "姓名", "地址", "备注"]
ROWS: list[list[str | None]] = [
    ["51320019900307123X", "张三", "阿坝州马尔康市达萨街 1 号", "普通"],
    ["0081234567", "李四", "马尔康市, 团结街", "逗号在引号内"],
    ["000000000000000001", "王五", "第一行\n第二行", None],
    ["513201", "联通", "", "NULL"],  # 联通: the classic GBK text that naive detectors take for UTF-8
    ["007", " 前后空格 ", "松潘县“川主寺”镇", "NA"],
]
GB18030_ONLY = ["513201200001011234", "𠀀", "九寨沟县", "扩展 B 区汉字"]  # not encodable in GBK


def csv_text(header: list[str], rows: list[list[str | None]], delimiter: str = ",") -> str:
    def field(value: str | None) -> str:
        if value is None:
            return ""
        if any(c in value for c in (delimiter, '"', "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(field(v) for v in row) for row in [header, *rows]]
    return "\r\n".join(lines) + "\r\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def read_all(reader: Reader) -> list[list[str | None]]:
    rows: list[list[str | None]] = []
    with reader:
        for batch in reader.batches():
            assert batch.schema.names == reader.header
            assert all(field.type == pa.string() for field in batch.schema)
            rows.extend(list(r.values()) for r in batch.to_pylist())
    return rows


def expected(rows: list[list[str | None]]) -> list[list[str | None]]:
    return [[v or None for v in row] for row in rows]  # empty is null, in every format


# --- CSV ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings_give_identical_rows(tmp_path: Path, encoding: str, reported: str) -> None:
    rows = ROWS if encoding == "gbk" else [*ROWS, GB18030_ONLY]
    path = write(tmp_path / "data.csv", csv_text(HEADER, rows), encoding)
    reader = open_file(path)
    assert isinstance(reader, Reader)
    assert (reader.format, reader.encoding, reader.header) == ("csv", reported, HEADER)
    assert read_all(reader) == expected(rows)


def test_csv_keeps_every_value_as_text(tmp_path: Path) -> None:
    rows = [["0012", "1.50", "1e5", "true", "2024-01-02", "51320019900307123X"]]
    path = write(tmp_path / "t.csv", csv_text(["a", "b", "c", "d", "e", "f"], rows))
    assert read_all(open_file(path)) == rows


def test_csv_header_is_trimmed_and_bom_stripped(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(codecs.BOM_UTF8 + ' 姓名 ,\t证件号码\u3000,"备注"\n张三,1,x\n'.encode())
    with open_file(path) as reader:
        assert reader.header == ["姓名", "证件号码", "备注"]


def test_csv_explicit_encoding_overrides_detection(tmp_path: Path) -> None:
    # "一业" in GBK is d2bb d2b5, which is also valid UTF-8 ("һҵ"): no detector can tell; the user can.
    path = write(tmp_path / "amb.csv", "code,name\n1,一业\n", "gbk")
    assert read_all(open_file(path)) == [["1", "һҵ"]]
    with open_file(path, encoding="GBK") as reader:
        assert reader.encoding == "gbk"
        assert read_all(reader) == [["1", "一业"]]


def test_gbk_found_after_a_long_ascii_start(tmp_path: Path) -> None:
    rows = [[str(i), "ascii"] for i in range(20_000)] + [["20000", "联通"]]
    path = write(tmp_path / "late.csv", csv_text(["id", "name"], rows), "gbk")
    assert path.stat().st_size > 64 * 1024
    with open_file(path) as reader:
        assert reader.encoding == "gb18030"
        assert read_all(reader)[-1] == ["20000", "联通"]


def test_utf8_character_cut_at_the_sample_boundary() -> None:
    sample = ("a," + "汉" * 30).encode()
    assert detect_encoding(sample[:-1]) == "utf-8"  # the cut character may continue in the next block
    with pytest.raises(InvalidInput, match="无法识别文件编码"):
        detect_encoding(b"\x80\xff" * 4, complete=True)


def test_utf8_character_straddling_64k(tmp_path: Path) -> None:
    raw = ("id,name\n" + "1,x\n" * 16_381 + "22,汉字\n").encode()
    assert raw[64 * 1024 - 1 : 64 * 1024 + 2] == "汉".encode()  # the sample ends one byte into 汉
    path = tmp_path / "cut.csv"
    path.write_bytes(raw)
    with open_file(path) as reader:
        assert reader.encoding == "utf-8"
        assert read_all(reader)[-1] == ["22", "汉字"]


def test_csv_rechunks_to_batch_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "ten.csv", csv_text(["n"], [[str(i)] for i in range(10)]))
    with open_file(path, batch_rows=3) as reader:
        batches = list(reader.batches())
    assert [b.num_rows for b in batches] == [3, 3, 3, 1]
    assert [v for b in batches for v in b.column(0).to_pylist()] == [str(i) for i in range(10)]


def test_csv_batches_are_full_across_read_blocks(tmp_path: Path) -> None:
    rows = [[str(i), "阿坝州" * 5, f"{i:018d}"] for i in range(120_000)]  # several 1 MB read blocks
    path = write(tmp_path / "big.csv", csv_text(["a", "b", "c"], rows))
    with open_file(path, batch_rows=50_000) as reader:
        sizes = [b.num_rows for b in reader.batches()]
    assert sizes == [50_000, 50_000, 20_000]


def test_csv_ragged_row_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "姓名,年龄\n张三,30\n李四,31\n王五,32,多余\n赵六,33\n")
    with pytest.raises(InvalidInput, match="第 4 行的字段数与表头不一致") as err:
        read_all(open_file(path))  # small files fail at open: the first block is parsed there
    assert err.value.details["line"] == 4
    assert err.value.details["row_number"] == 3
    assert "王五" in str(err.value.details["text"])


def test_csv_ragged_row_deep_in_the_file(tmp_path: Path) -> None:
    rows = [f"{i},x" for i in range(100_000)]
    rows[70_000] = "bad"
    path = write(tmp_path / "deep.csv", "a,b\n" + "\n".join(rows) + "\n")
    with open_file(path, batch_rows=10_000) as reader, pytest.raises(InvalidInput) as err:
        list(reader.batches())  # the bad row is blocks away from the first one
    assert err.value.message.startswith("第 70002 行的字段数与表头不一致")


@pytest.mark.parametrize("content", [b"", codecs.BOM_UTF8, b"\r\n\r\n", b"   \n"])
def test_csv_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match="文件为空"):
        open_file(path)


def test_csv_header_only(tmp_path: Path) -> None:
    for i, text in enumerate(["姓名,年龄\n", "姓名,年龄"]):
        path = write(tmp_path / f"h{i}.csv", text)
        with open_file(path) as reader:
            assert reader.header == ["姓名", "年龄"]
            assert list(reader.batches()) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("姓名,年龄,姓名\n1,2,3\n", "列名“姓名”重复"),
        ("姓名,,年龄\n1,2,3\n", "第 2 列的列名为空"),
        ("a, a\n1,2\n", "重复"),
    ],
)
def test_csv_bad_header(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "h.csv", text)
    with pytest.raises(InvalidInput, match=message):
        open_file(path)


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_csv_other_delimiters(tmp_path: Path, delimiter: str) -> None:
    rows = [["1", "张三", "马尔康市, 达萨街"], ["2", "李四", ""]]
    path = write(tmp_path / "d.txt", csv_text(["编号", "姓名", "地址"], rows, delimiter))
    with open_file(path) as reader:
        assert reader.header == ["编号", "姓名", "地址"]
        assert read_all(reader) == expected(rows)


def test_csv_explicit_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "a|b\n1|2\n")
    assert read_all(open_file(path, delimiter="|")) == [["1", "2"]]


def test_csv_mixed_encoding_fails_clearly(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "姓名,备注\n".encode() + b"".join(b"%d,x\n" % i for i in range(300_000)) + "张三,联通\n".encode("gbk")
    )
    with (
        open_file(path) as reader,
        pytest.raises(InvalidInput, match="文件第 300002 行含有不符合 utf-8 编码的内容"),
    ):
        list(reader.batches())


def test_csv_utf16_from_excel_unicode_text(tmp_path: Path) -> None:
    """Excel's "Unicode 文本" export: UTF-16 with a BOM, tab-delimited."""
    path = write(tmp_path / "excel.txt", csv_text(HEADER, ROWS, "\t"), "utf-16")
    with open_file(path) as reader:
        assert (reader.encoding, reader.header) == ("utf-16", HEADER)
        assert read_all(reader) == expected(ROWS)


def test_unsupported_format(tmp_path: Path) -> None:
    path = write(tmp_path / "old.xls", "x")
    with pytest.raises(InvalidInput, match=r"不支持的文件格式：\.xls.*支持 CSV、XLSX、JSON Lines"):
        open_file(path)
    with pytest.raises(InvalidInput, match="不支持的文件格式：parquet"):
        open_file(path, "parquet")
    with pytest.raises(InvalidInput, match="文件不存在"):
        open_file(tmp_path / "missing.csv")


# --- XLSX ---------------------------------------------------------------------------------------------------


def make_workbook(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append([])  # a blank first row: the header is the first non-empty row
    ws.append(["身份证号", "数量", "金额", "比例", "日期", "时间", "是否", "备注", None])
    rows: list[list[Any]] = [
        [
            "51320019900307123X",
            42,
            1.0,
            0.1,
            dt.date(2024, 1, 2),
            dt.datetime(2024, 1, 2, 8, 30, 5),
            True,
            "文本",
        ],
        [
            "0081234567",
            -7,
            1234.5,
            1e-7,
            dt.datetime(2024, 3, 4),
            dt.datetime(2024, 3, 4, 0, 0, 1),
            False,
            None,
        ],
        [None, None, None, None, None, None, None, None],  # blank row: skipped
        ["513201", 0, 110101199003071000.0, 2.5, None, None, None, "长数字"],
    ]
    for row in rows:
        ws.append(row)
    ws.cell(row=3, column=1).number_format = "@"
    other = wb.create_sheet("第二页")
    other.append(["a"])
    other.append(["x"])
    wb.save(path)
    return path


def test_xlsx_values_as_text(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "data.xlsx")
    with open_file(path) as reader:
        assert (reader.format, reader.encoding) == ("xlsx", None)
        assert reader.header == ["身份证号", "数量", "金额", "比例", "日期", "时间", "是否", "备注"]
        rows = read_all(reader)
        assert rows == [
            ["51320019900307123X", "42", "1", "0.1", "2024-01-02", "2024-01-02 08:30:05", "true", "文本"],
            ["0081234567", "-7", "1234.5", "0.0000001", "2024-03-04", "2024-03-04 00:00:01", "false", None],
            ["513201", "0", "110101199003071000", "2.5", None, None, None, "长数字"],
        ]
        assert len(reader.warnings) == 1
        assert "第 6 行“金额”" in reader.warnings[0] and "15 位" in reader.warnings[0]


def test_xlsx_sheet_choice_and_batches(tmp_path: Path) -> None:
    path = make_workbook(tmp_path / "data.xlsx")
    assert read_all(open_file(path, sheet="第二页")) == [["x"]]
    with pytest.raises(InvalidInput, match="工作表“无”不存在"):
        open_file(path, sheet="无")
    with open_file(path, batch_rows=2) as reader:
        assert [b.num_rows for b in reader.batches()] == [2, 1]


def test_xlsx_value_outside_header(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["a", "b"])
    wb.active.append(["1", "2", "3"])
    wb.save(tmp_path / "wide.xlsx")
    with (
        open_file(tmp_path / "wide.xlsx") as reader,
        pytest.raises(InvalidInput, match="第 2 行第 3 列有数据"),
    ):
        list(reader.batches())


def test_xlsx_empty_and_corrupt(tmp_path: Path) -> None:
    Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(InvalidInput, match="文件为空"):
        open_file(tmp_path / "empty.xlsx")
    write(tmp_path / "fake.xlsx", "不是压缩包")
    with pytest.raises(InvalidInput, match="无法读取 XLSX 文件"):
        open_file(tmp_path / "fake.xlsx")


# --- JSON Lines ---------------------------------------------------------------------------------------------


def test_jsonl_mixed_types(tmp_path: Path) -> None:
    lines = [
        '{"编号": "007", "数量": 3, "金额": 1.50, "有效": true, "备注": null}',
        "",
        '{"编号": "51320019900307123X", "数量": 123456789012345678901, "金额": 1e5, "有效": false}',
        "   ",
        '{"备注": "只有备注", "编号": ""}',
    ]
    path = write(tmp_path / "d.jsonl", "\ufeff" + "\n".join(lines) + "\n")
    with open_file(path) as reader:
        assert (reader.format, reader.encoding) == ("jsonl", "utf-8-sig")
        assert reader.header == ["编号", "数量", "金额", "有效", "备注"]
        assert read_all(reader) == [
            ["007", "3", "1.50", "true", None],
            ["51320019900307123X", "123456789012345678901", "1e5", "false", None],
            [None, None, None, None, "只有备注"],
        ]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['{"a": 1}', '{"a": {"b": 2}}'], "第 2 行的字段 a 不是简单值"),
        (['{"a": 1}', "", '{"a": [1, 2]}'], "第 3 行的字段 a 不是简单值"),
        (['{"a": 1}', '{"a": 1,}'], "第 2 行不是有效的 JSON"),
        (['{"a": 1}', "[1, 2]"], "第 2 行不是 JSON 对象"),
        (['{"a": 1}', '{"a": 2}', '{"a": 3, "b": 4}'], "第 3 行出现了字段“b”"),
    ],
)
def test_jsonl_errors(tmp_path: Path, lines: list[str], message: str) -> None:
    path = write(tmp_path / "bad.ndjson", "\n".join(lines) + "\n")
    # the error may come at open (first batch, which sets the header) or while reading
    with pytest.raises(InvalidInput, match=message) as err, open_file(path, batch_rows=2) as reader:
        list(reader.batches())
    assert "line" in err.value.details


def test_jsonl_bad_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.jsonl"
    path.write_bytes('{"a": "甲"}\n'.encode() * 9_999 + '{"a": "联通"}\n'.encode("gbk"))
    with pytest.raises(InvalidInput, match="文件第 10000 行含有不符合 utf-8 编码的内容") as err:
        read_all(open_file(path))
    assert err.value.details["line"] == 10_000


def test_jsonl_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "e.jsonl", "\n\n")
    with pytest.raises(InvalidInput, match="文件为空"):
        open_file(path)


# --- streams ------------------------------------------------------------------------------------------------


class OneWayStream(io.RawIOBase):
    """An upload body: readable once, not seekable, counting what has been read."""

    def __init__(self, data: IO[bytes]) -> None:
        self._data = data
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        self.consumed += len(chunk)
        return len(chunk)


def test_streams_for_every_format(tmp_path: Path) -> None:
    csv_bytes = csv_text(HEADER, ROWS).encode("gbk")
    with open_stream(OneWayStream(io.BytesIO(csv_bytes)), "csv", batch_rows=2) as reader:  # type: ignore[arg-type]
        assert reader.encoding == "gb18030"
        assert read_all(reader) == expected(ROWS)
    jsonl = "\n".join(json.dumps(dict(zip(HEADER, row, strict=True)), ensure_ascii=False) for row in ROWS)
    stream = OneWayStream(io.BytesIO(jsonl.encode()))
    assert read_all(open_stream(stream, "jsonl")) == expected(ROWS)  # type: ignore[arg-type]
    assert not stream.closed  # the caller's stream stays the caller's
    xlsx = make_workbook(tmp_path / "s.xlsx").read_bytes()
    with open_stream(OneWayStream(io.BytesIO(xlsx)), "xlsx", sheet="第二页") as reader:  # type: ignore[arg-type]
        assert read_all(reader) == [["x"]]


def test_batches_are_lazy(tmp_path: Path) -> None:
    """The first batch of a 400,000-row file comes without reading (or holding) the whole file.

    The reader may hold its read-ahead (about 32 blocks of 256 KB) whatever the file size; the file is large
    enough (~40 MB) that holding it whole would be told apart from that with room to spare.
    """
    path = tmp_path / "lazy.csv"
    with path.open("wb") as f:
        f.write("编号,姓名,身份证号,地址,备注\n".encode())
        for start in range(0, 400_000, 10_000):
            f.write(
                "".join(
                    f"{i},张三{i},51320019900307{i % 10_000:04d},阿坝州马尔康市达萨街{i}号,备注备注备注备注\n"
                    for i in range(start, start + 10_000)
                ).encode()
            )
    size = path.stat().st_size
    assert size > 30_000_000
    with path.open("rb") as raw:
        stream = OneWayStream(raw)
        tracemalloc.start()
        arrow_before = pa.total_allocated_bytes()
        try:
            with open_stream(stream, "csv", batch_rows=10_000) as reader:  # type: ignore[arg-type]
                first = next(reader.batches())
                _, python_peak = tracemalloc.get_traced_memory()
                arrow_held = pa.total_allocated_bytes() - arrow_before
        finally:
            tracemalloc.stop()
    assert first.num_rows == 10_000
    # pyarrow reads a bounded number of 256 KB blocks ahead (about 8 MB), never the whole file
    assert stream.consumed < size * 0.6
    assert python_peak < size / 2
    assert arrow_held < size / 2


# --- database -----------------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'dept.db'}"
    engine = create_engine(url)
    table = Table(
        "enterprise",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("credit_code", String(18)),
        Column("name", String(100)),
        Column("capital", Numeric(18, 2)),
        Column("founded", Date),
        Column("updated", DateTime),
        Column("seal", LargeBinary),
    )
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [
                {
                    "id": i,
                    "credit_code": f"0915{i:014d}",
                    "name": f"阿坝企业{i}",
                    "capital": Decimal("1000.50") * i,
                    "founded": dt.date(2020, 1, i % 28 + 1),
                    "updated": dt.datetime(2026, 11, 20, 10, 0, i % 60),
                    "seal": b"\x00\x01" if i == 1 else None,
                }
                for i in range(5, 0, -1)
            ],
        )
        conn.execute(insert(table).values(id=6, credit_code=None, name="", capital=None))
    engine.dispose()
    return url


def test_database_pull_with_mapping(sqlite_url: str) -> None:
    mapping = {
        "credit_code": "统一社会信用代码",
        "name": "名称",
        "capital": "注册资本",
        "founded": "成立日期",
        "updated": "更新时间",
        "seal": "印章",
    }
    with open_database(sqlite_url, "enterprise", mapping, batch_rows=4) as reader:
        assert (reader.format, reader.encoding) == ("database", None)
        assert reader.header == list(mapping.values())
        batches = list(reader.batches())
    assert [b.num_rows for b in batches] == [4, 2]
    rows = [list(r.values()) for b in batches for r in b.to_pylist()]
    assert rows[0] == [
        "091500000000000001",
        "阿坝企业1",
        "1000.50",
        "2020-01-02",
        "2026-11-20 10:00:01",
        "AAE=",
    ]
    assert rows[4][:3] == ["091500000000000005", "阿坝企业5", "5002.50"]
    assert rows[5] == [None] * 6


def test_database_column_mapped_twice(sqlite_url: str) -> None:
    with open_database(
        sqlite_url, "enterprise", {"credit_code": "代码", "CREDIT_CODE": "代码副本"}
    ) as reader:
        rows = read_all(reader)
    assert rows[0] == ["091500000000000001", "091500000000000001"]


def test_database_all_columns_and_schema_prefix(sqlite_url: str) -> None:
    with open_database(sqlite_url, "main.enterprise") as reader:
        assert reader.header == ["id", "credit_code", "name", "capital", "founded", "updated", "seal"]
        assert len(read_all(reader)) == 6


def test_database_errors(sqlite_url: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="没有列“nope”"):
        open_database(sqlite_url, "enterprise", {"name": "名称", "nope": "X"})
    with pytest.raises(InvalidInput, match="没有表“missing”"):
        open_database(sqlite_url, "missing")
    with pytest.raises(InvalidInput, match="不存在"):
        open_database(f"sqlite:///{tmp_path / 'absent.db'}", "t")
    with pytest.raises(InvalidInput) as err:
        open_database("postgresql+psycopg://dept:s3cr3t-pw@127.0.0.1:1/db", "t")
    assert "s3cr3t-pw" not in err.value.message
    assert "***" in err.value.message
    with pytest.raises(InvalidInput) as err:
        open_database("not a url :s3cr3t-pw@", "t")
    assert "s3cr3t-pw" not in err.value.message
