"""An XLSX file written as it is sent: the first bytes leave with the first rows, memory stays flat.

openpyxl's write-only workbook needs a seekable file, so the whole workbook had to exist before a byte left
(minutes for a million rows). An XLSX is a zip of XML parts; `zipfile` writes to an unseekable stream with data
descriptors, so the data sheets are deflated straight into the response. Cells are inline strings or numbers
(no shared-string table, which would have to be complete before the sheets), rows and cells carry no `r`
attribute (optional in SpreadsheetML: readers count them), and the workbook, relationship and content-type
parts, which name every sheet, are written last — zip readers find parts by the central directory, not by order.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

SHEET_ROWS = 1_048_575  # Excel's 1,048,576 rows per sheet, less the header row
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
_EXACT_INT = 2**53  # larger integers become text: a spreadsheet's numbers are doubles

_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


class _Pipe:
    """A write-only, unseekable sink whose contents are taken away between writes."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out, self._parts = b"".join(self._parts), []
        return out


def _text(value: str) -> str:
    if not value.isprintable():  # cheap test first: control characters are rare
        value = _BAD_XML.sub("", value)
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def _str(value: str) -> str:
    return '<c t="inlineStr"><is><t xml:space="preserve">' + _text(value) + "</t></is></c>"


def _int(value: int) -> str:
    return f"<c><v>{value}</v></c>" if -_EXACT_INT < value < _EXACT_INT else _str(str(value))


def _float(value: float) -> str:
    return f"<c><v>{value!r}</v></c>" if value == value and abs(value) != float("inf") else _str(str(value))


def _other(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return _str(value.isoformat())
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, float):
        return _float(value)
    return _str(str(value))  # Decimal and anything else: its text, exactly


# One dictionary look-up per cell: the writer's time is almost all spent here.
_CELL: dict[type, Callable[[Any], str]] = {
    str: _str,
    int: _int,
    float: _float,
    type(None): lambda _: "<c/>",
    bool: lambda v: f'<c t="b"><v>{int(v)}</v></c>',
}


def _row(values: Sequence[object]) -> str:
    get = _CELL.get
    return "<row>" + "".join([get(type(v), _other)(v) for v in values]) + "</row>"


_SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {_NS}><sheetData>'
_SHEET_TAIL = "</sheetData></worksheet>"


def _static_parts(names: list[str]) -> dict[str, str]:
    sheets = "".join(
        f'<sheet name="{_text(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(names, 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(names) + 1)
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>'
        for i in range(1, len(names) + 1)
    )
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    pkg = "http://schemas.openxmlformats.org/package/2006"
    return {
        "xl/workbook.xml": f'{head}<workbook {_NS} xmlns:r="{_REL_NS}"><sheets>{sheets}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'{head}<Relationships xmlns="{pkg}/relationships">{rels}</Relationships>',
        "_rels/.rels": (
            f'{head}<Relationships xmlns="{pkg}/relationships"><Relationship Id="rId1" '
            f'Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "[Content_Types].xml": (
            f'{head}<Types xmlns="{pkg}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>"
        ),
    }


def stream(
    about: list[list[object]],
    header: list[str],
    chunks: Iterator[list[list[object]]],
    sheet_rows: int = SHEET_ROWS,
) -> Iterator[tuple[bytes, int]]:
    """Yield (bytes, rows in them): the 数据说明 sheet, then 数据, 数据2, … of at most `sheet_rows` rows each."""
    pipe = _Pipe()
    book = zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)  # type: ignore[arg-type]
    names = ["数据说明"]
    book.writestr("xl/worksheets/sheet1.xml", _SHEET_HEAD + "".join(map(_row, about)) + _SHEET_TAIL)
    sheet: IO[bytes] | None = None
    on_sheet = 0
    pending = 0

    def open_sheet() -> IO[bytes]:
        names.append("数据" if len(names) == 1 else f"数据{len(names)}")
        part = book.open(f"xl/worksheets/sheet{len(names)}.xml", "w", force_zip64=True)
        part.write((_SHEET_HEAD + _row(header)).encode())
        return part

    for rows in chunks:
        start = 0
        while start < len(rows):
            if sheet is None or on_sheet >= sheet_rows:
                if sheet is not None:
                    sheet.write(_SHEET_TAIL.encode())
                    sheet.close()
                sheet, on_sheet = open_sheet(), 0
            take = rows[start : start + sheet_rows - on_sheet]
            sheet.write("".join(map(_row, take)).encode())
            on_sheet += len(take)
            start += len(take)
        pending += len(rows)
        out = pipe.take()
        if out:  # deflate holds back small amounts: rows may be counted with a later block
            yield out, pending
            pending = 0
    if sheet is None:
        sheet = open_sheet()
    sheet.write(_SHEET_TAIL.encode())
    sheet.close()
    for name, text in _static_parts(names).items():
        book.writestr(name, text)
    book.close()
    yield pipe.take(), pending
