"""The streamed XLSX writer: a real workbook openpyxl reads back, sent while rows are still being read."""

from __future__ import annotations

import datetime as dt
import decimal
import io
from collections.abc import Iterator

from openpyxl import load_workbook

from govdata.opendata import xlsx_stream


def _file(parts: Iterator[tuple[bytes, int]]) -> tuple[bytes, int]:
    data, rows = b"", 0
    for chunk, n in parts:
        data += chunk
        rows += n
    return data, rows


def test_values_come_back_typed_and_escaped() -> None:
    rows: list[list[object]] = [
        [1, 2.5, "甲 & <乙>", None, True],
        [2**60, decimal.Decimal("3.10"), "控制\x01字符", dt.date(2026, 11, 20), "  前后空格 "],
    ]
    data, sent = _file(xlsx_stream.stream([["数据来源：测试"]], ["a", "b", "c", "d", "e"], iter([rows])))
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["数据说明", "数据"] and sent == 2
    assert [r for r in book["数据说明"].iter_rows(values_only=True)] == [("数据来源：测试",)]
    got = list(book["数据"].iter_rows(values_only=True))
    assert got[0] == ("a", "b", "c", "d", "e")
    assert got[1] == (1, 2.5, "甲 & <乙>", None, True)
    assert got[2] == (str(2**60), "3.10", "控制字符", "2026-11-20", "  前后空格 ")


def test_rows_continue_on_new_sheets_each_with_the_header() -> None:
    chunks = iter([[[i] for i in range(0, 4)], [[i] for i in range(4, 7)]])
    data, sent = _file(xlsx_stream.stream([], ["n"], chunks, sheet_rows=3))
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["数据说明", "数据", "数据2", "数据3"] and sent == 7
    values = [[v for (v,) in book[name].iter_rows(values_only=True)] for name in book.sheetnames[1:]]
    assert values == [["n", 0, 1, 2], ["n", 3, 4, 5], ["n", 6]]


def test_empty_data_still_has_a_data_sheet() -> None:
    data, sent = _file(xlsx_stream.stream([["x"]], ["甲"], iter([])))
    book = load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames == ["数据说明", "数据"] and sent == 0
    assert list(book["数据"].iter_rows(values_only=True)) == [("甲",)]


def test_bytes_leave_before_the_rows_are_all_read() -> None:
    """The first block goes out while the reader is far from done: nothing waits for the whole file."""
    pulled = 0

    def chunks() -> Iterator[list[list[object]]]:
        nonlocal pulled
        for start in range(0, 200_000, 5_000):
            pulled += 1
            yield [[i, f"名称{i}", i * 1.5] for i in range(start, start + 5_000)]

    parts = xlsx_stream.stream([], ["id", "名称", "值"], chunks())
    sent: list[bytes] = []
    while not b"".join(sent):
        sent.append(next(parts)[0])
    assert pulled <= 2  # of 40 chunks
    sent += [b for b, _ in parts]
    book = load_workbook(io.BytesIO(b"".join(sent)), read_only=True)
    assert sum(1 for _ in book["数据"].iter_rows()) == 200_001
