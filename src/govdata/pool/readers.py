"""Streaming readers for the files and database tables departments load into resource pools.

Every reader turns its source into Arrow record batches of text: one pa.string() column per source column,
values exactly as the source holds them (no type inference — "007" stays "007", "…123X" stays "…123X"),
rows in source order. Validation decides what the text means; a reader only gets it out faithfully and fast.

Conventions shared by all formats:

* Empty is null. An empty CSV field (``,,`` or ``""``), an empty XLSX cell, a JSON ``null``, ``""`` or
  missing key and an SQL NULL or ``''`` all arrive as null, never as ``""``, so later stages test one thing.
  Any other text is kept verbatim, surrounding whitespace included; "NULL", "NA" and "N/A" are text.
* Every batch has exactly ``batch_rows`` rows except the last; a header-only source yields no batches.
* Blank lines (CSV, JSON Lines) and blank rows (XLSX) are skipped, so data row N is file line N + 1 only
  when the file has no blank lines or multi-line cells; error messages give the line the reader knows.
* Memory is bounded by about one batch plus one read block, whatever the file size.
"""

from __future__ import annotations

import atexit
import base64
import codecs
import csv
import datetime as dt
import io
import json
import math
import shutil
import tempfile
import weakref
import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol, Self, runtime_checkable

import pyarrow as pa
import pyarrow.csv as pacsv

from govdata.errors import InvalidInput

DEFAULT_BATCH_ROWS = 65_536
SAMPLE_BYTES = 64 * 1024  # what encoding and delimiter detection look at ...
# ... extended while it is pure ASCII, so a Chinese value after a long ASCII start still decides.
MAX_SAMPLE_BYTES = 4 * 1024 * 1024
CSV_BLOCK_BYTES = 256 * 1024  # measured: larger blocks are no faster; pyarrow reads up to 32 blocks ahead
MAX_WARNINGS = 20
EXCEL_EXACT_DIGITS = 15  # Excel keeps 15 significant digits of any number

FORMATS = ("csv", "xlsx", "jsonl")
_EXTENSIONS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_UNSUPPORTED = "支持 CSV、XLSX、JSON Lines"


@runtime_checkable
class Reader(Protocol):
    """One pass over a source as text batches; see the module docstring for the conventions."""

    header: list[str]  # source column names: BOM stripped, whitespace trimmed, non-empty and unique
    format: str  # "csv", "xlsx", "jsonl" or "database"
    encoding: str | None  # the text encoding read (detected or given); None for XLSX and databases
    warnings: list[str]  # Chinese notes about doubtful values that are still loaded (e.g. Excel precision)

    def batches(self) -> Iterator[pa.RecordBatch]: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


# --- entry points -------------------------------------------------------------------------------------------


def open_file(
    path: Path,
    fmt: str | None = None,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Reader:
    """Open a file exported by a department; the format comes from the extension unless `fmt` says."""
    path = Path(path)
    fmt = _resolve_format(fmt, path.suffix)
    _check_options(fmt, batch_rows, delimiter, sheet)
    if not path.is_file():
        raise InvalidInput(f"文件不存在：{path.name}")
    if fmt == "xlsx":
        handle = path.open("rb")  # a handle, not a name: openpyxl would insist on the extension
        try:
            return _XlsxReader(handle, sheet=sheet, batch_rows=batch_rows, owns_stream=True)
        except BaseException:
            handle.close()
            raise
    with path.open("rb") as f:
        sample, complete = _read_sample(f)
    if fmt == "csv":
        return _CsvReader(str(path), sample, complete, encoding, delimiter, batch_rows)
    stream = path.open("rb")
    try:
        return _JsonlReader(stream, sample, complete, encoding, batch_rows, owns_stream=True, path=str(path))
    except BaseException:
        stream.close()
        raise


def open_stream(
    stream: IO[bytes],
    fmt: str,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Reader:
    """Open an upload that arrives as a binary stream; the caller keeps ownership of `stream`.

    CSV and JSON Lines are read straight through. XLSX is a zip archive and needs random access: a stream
    that cannot seek is first copied to a temporary file.
    """
    fmt = _resolve_format(fmt, "")
    _check_options(fmt, batch_rows, delimiter, sheet)
    if fmt == "xlsx":
        return _XlsxReader(stream, sheet=sheet, batch_rows=batch_rows, owns_stream=False)
    sample, complete = _read_sample(stream)
    replay = io.BufferedReader(_PrefixedStream(sample, stream), buffer_size=CSV_BLOCK_BYTES)
    if fmt == "csv":
        return _CsvReader(replay, sample, complete, encoding, delimiter, batch_rows)
    return _JsonlReader(replay, sample, complete, encoding, batch_rows, owns_stream=False, path=None)


def open_database(
    url: str,
    table: str,
    mapping: dict[str, str] | None = None,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> Reader:
    """Pull a department's own database table (the "real-time database table" channel).

    `table` may be "schema.table". `mapping` maps source column → header name, in output order; None takes
    every column under its own name. There is deliberately no filter: no SQL text from users is executed.
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be positive")
    return _DatabaseReader(url, table, mapping, batch_rows)


def detect_encoding(sample: bytes, *, complete: bool = False) -> str:
    """Guess a text encoding from a file's first bytes: BOM, then strict UTF-8, then GB18030.

    `complete` says the sample is the whole file; otherwise an incomplete multi-byte character at the end
    of the sample is not held against UTF-8. GB18030 is a superset of GBK and GB2312.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for candidate in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        return candidate
    raise InvalidInput(
        "无法识别文件编码：文件不是 UTF-8、GBK 或 GB18030 编码的文本（或混用了多种编码），请确认文件格式或指定编码"
    )


# --- shared helpers -----------------------------------------------------------------------------------------


def _resolve_format(fmt: str | None, suffix: str) -> str:
    if fmt is None:
        fmt = _EXTENSIONS.get(suffix.lower())
        if fmt is None:
            raise InvalidInput(f"不支持的文件格式：{suffix or '（无扩展名）'}，{_UNSUPPORTED}")
        return fmt
    normalized = fmt.strip().lower().lstrip(".")
    normalized = {"ndjson": "jsonl", "txt": "csv", "tsv": "csv"}.get(normalized, normalized)
    if normalized not in FORMATS:
        raise InvalidInput(f"不支持的文件格式：{fmt}，{_UNSUPPORTED}")
    return normalized


def _check_options(fmt: str, batch_rows: int, delimiter: str | None, sheet: str | None) -> None:
    if batch_rows < 1:
        raise ValueError("batch_rows must be positive")
    if sheet is not None and fmt != "xlsx":
        raise InvalidInput("只有 XLSX 文件可以指定工作表")
    if delimiter is not None and (fmt != "csv" or len(delimiter) != 1 or delimiter in '"\r\n'):
        raise InvalidInput("分隔符须为单个字符，且只适用于 CSV 文件")


def _read_sample(f: IO[bytes]) -> tuple[bytes, bool]:
    """The first SAMPLE_BYTES, extended while pure ASCII; and whether that is the whole file."""
    chunks = [f.read(SAMPLE_BYTES)]
    size = len(chunks[0])
    complete = size < SAMPLE_BYTES
    while not complete and size < MAX_SAMPLE_BYTES and chunks[-1].isascii():
        chunk = f.read(SAMPLE_BYTES)
        chunks.append(chunk)
        size += len(chunk)
        complete = len(chunk) < SAMPLE_BYTES
    return b"".join(chunks), complete


def _resolve_encoding(given: str | None, sample: bytes, complete: bool) -> str:
    if given is None:
        return detect_encoding(sample, complete=complete)
    try:
        return codecs.lookup(given).name
    except LookupError:
        raise InvalidInput(f"不支持的文本编码：{given}") from None


def _decode_sample(sample: bytes, encoding: str) -> str:
    """The sample as text, tolerating a character cut at its end (and, for a given encoding, bad bytes)."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    return text.removeprefix("\ufeff")


def _find_undecodable_line(path: str, encoding: str) -> int | None:
    """The line holding the first bytes `encoding` cannot decode: the error path re-reads the file to say."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return line + bytes(exc.object[: exc.start]).count(b"\n")
            line += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return line
    return None


def _encoding_error(encoding: str, path: str | None, after_line: int, hint: str) -> InvalidInput:
    """Undecodable bytes: the exact line when the file can be re-read, else the last line known good."""
    line = _find_undecodable_line(path, encoding) if path is not None else None
    where = f"第 {after_line} 行之后" if after_line > 0 else "开头"
    if line is not None:
        where = f"第 {line} 行"
    return InvalidInput(
        f"文件{where}含有不符合 {encoding} 编码的内容：{hint}",
        details={"line": line if line is not None else after_line, "encoding": encoding},
    )


def _clean_header(names: Iterable[object]) -> list[str]:
    """Header names trimmed, checked non-empty and unique: they are matched against catalog data items."""
    header: list[str] = []
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        text = "" if name is None else str(name).removeprefix("\ufeff").strip()
        if not text:
            raise InvalidInput(f"表头第 {position} 列的列名为空：每一列都须有列名")
        if text in seen:
            raise InvalidInput(f"表头中列名“{text}”重复（第 {seen[text]} 列和第 {position} 列）")
        seen[text] = position
        header.append(text)
    if not header:
        raise InvalidInput("文件没有表头")
    return header


def _text_schema(header: list[str]) -> pa.Schema:
    return pa.schema([pa.field(name, pa.string()) for name in header])


def _rebatch(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Regroup into batches of exactly `rows` rows (the last may be shorter); slicing is zero-copy."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        while batch.num_rows:
            take = min(batch.num_rows, rows - count)
            pending.append(batch.slice(0, take))
            count += take
            batch = batch.slice(take)
            if count == rows:
                yield pending[0] if len(pending) == 1 else pa.concat_batches(pending)
                pending, count = [], 0
    if count:
        yield pending[0] if len(pending) == 1 else pa.concat_batches(pending)


class _ColumnBuffer:
    """Collects rows of Python values column-wise and hands them out as Arrow batches."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.columns: list[list[str | None]] = [[] for _ in schema]
        self.rows = 0

    def append(self, row: list[str | None]) -> None:
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)
        self.rows += 1

    def take(self) -> pa.RecordBatch:
        arrays = [pa.array(column, type=pa.string()) for column in self.columns]
        self.columns = [[] for _ in self.schema]
        self.rows = 0
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


class _PrefixedStream(io.RawIOBase):
    """Replays the already-read sample, then continues with the rest of a non-seekable stream."""

    def __init__(self, prefix: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        target = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(target), len(self._prefix))
            target[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(target))
        target[: len(data)] = data
        return len(data)


class _ReaderBase:
    """Context-manager plumbing and the one-pass guard shared by the concrete readers."""

    format: str
    encoding: str | None = None

    def __init__(self, batch_rows: int) -> None:
        self.batch_rows = batch_rows
        self.header: list[str] = []
        self.warnings: list[str] = []
        self._started = False
        self._closed = False

    @property
    def schema(self) -> pa.Schema:
        return _text_schema(self.header)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The data, once: sources are streams, so a second pass would need a second open."""
        if self._started:
            raise RuntimeError("batches() can be iterated only once per reader")
        if self._closed:
            raise RuntimeError("reader is closed")
        self._started = True
        return self._batches()

    def _batches(self) -> Iterator[pa.RecordBatch]:
        raise NotImplementedError

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append("……更多同类提示已省略")


# --- value → text (XLSX cells, database values) -------------------------------------------------------------


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        return "NaN" if value.is_nan() else ("Infinity" if value > 0 else "-Infinity")
    return format(value, "f")  # positional: 1E+2 → "100", never an exponent


def _float_text(value: float) -> str:
    """Shortest round-trip digits, positional; integral values without ".0" (Excel stores 1 as 1.0)."""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value == 0:
        return "0"
    exact = Decimal(repr(value))
    if value.is_integer():
        exact = exact.to_integral_value()
    return _decimal_text(exact)


def _timespec(microsecond: int) -> str:
    if not microsecond:
        return "seconds"
    return "milliseconds" if microsecond % 1000 == 0 else "microseconds"


def _datetime_text(value: dt.datetime) -> str:
    """Date only at midnight, else "YYYY-MM-DD HH:MM:SS" (fraction and offset only when present)."""
    if value.tzinfo is None and value.time() == dt.time():
        return value.date().isoformat()
    return value.isoformat(sep=" ", timespec=_timespec(value.microsecond))


def _time_text(value: dt.time) -> str:
    return value.isoformat(timespec=_timespec(value.microsecond))


def _value_text(value: object) -> str | None:
    """A typed value from a spreadsheet or database as the text a person would have typed."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, dt.datetime):  # before date: datetime is a date
        return _datetime_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _time_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii") or None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value) or None


# --- CSV ----------------------------------------------------------------------------------------------------

# CSV readers over Python stream objects: pyarrow reads those from a background thread, which must be stopped
# before the interpreter shuts down (an unclosed one can abort the process at exit).
_STREAM_READERS: weakref.WeakSet[_CsvReader] = weakref.WeakSet()


@atexit.register
def _close_stream_readers() -> None:
    for reader in list(_STREAM_READERS):
        reader.close()


def _detect_delimiter(first_line: str) -> str:
    """Comma unless the header line has more tabs or semicolons than commas (Excel "文本文件(制表符分隔)")."""
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


class _CsvReader(_ReaderBase):
    """pyarrow's streaming CSV reader, single-threaded so that bad rows come with their row number.

    The header is read as the first data row under placeholder names, so every column — header included —
    is parsed by the same parser as text, and no column can slip through to type inference.
    """

    format = "csv"

    def __init__(
        self,
        source: str | IO[bytes],
        sample: bytes,
        complete: bool,
        encoding: str | None,
        delimiter: str | None,
        batch_rows: int,
    ) -> None:
        super().__init__(batch_rows)
        self.encoding = _resolve_encoding(encoding, sample, complete)
        text = _decode_sample(sample, self.encoding)
        if not text.strip():
            raise InvalidInput("文件为空")
        text = text.lstrip("\r\n")  # pyarrow skips leading blank lines too
        self.delimiter = delimiter or _detect_delimiter(text.split("\n", 1)[0])
        try:
            width = len(next(csv.reader(io.StringIO(text), delimiter=self.delimiter)))
        except csv.Error as exc:
            raise InvalidInput(
                "无法解析表头行：第一行应为以逗号分隔的信息项名称，且每个名称不超过 128 KB"
            ) from exc
        placeholders = [f"f{i}" for i in range(width)]
        self._bad_row: Any = None
        self._rows_read = 0
        self._path = source if isinstance(source, str) else None
        self._reader: pa.RecordBatchReader | None = None
        try:
            self._reader = pacsv.open_csv(
                source,
                read_options=pacsv.ReadOptions(
                    encoding="utf8" if self.encoding in ("utf-8", "utf-8-sig") else self.encoding,
                    column_names=placeholders,
                    block_size=CSV_BLOCK_BYTES,
                    use_threads=False,  # row numbers for bad rows are only known single-threaded
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,
                    invalid_row_handler=self._on_invalid_row,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(placeholders, pa.string()),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],  # only empty is null: "NULL", "NA", "N/A" stay text
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise self._translate(exc) from None
        if not isinstance(source, str):
            _STREAM_READERS.add(self)
        try:
            first = self._read_next()
            if first is None or first.num_rows == 0:
                raise InvalidInput("文件为空")
            self.header = _clean_header(first.column(i)[0].as_py() for i in range(width))
        except BaseException:
            self.close()
            raise
        self._schema = _text_schema(self.header)
        self._first = first.slice(1)

    def _on_invalid_row(self, row: Any) -> str:
        self._bad_row = row
        return "error"  # the load is atomic: a misaligned row means the file is not what it claims

    def _read_next(self) -> pa.RecordBatch | None:
        if self._reader is None:
            return None
        try:
            return self._reader.read_next_batch()
        except StopIteration:
            return None
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise self._translate(exc) from None

    def _translate(self, exc: Exception) -> InvalidInput:
        near = self._rows_read + 1  # the last line known good: header + rows delivered
        row = self._bad_row
        if row is not None:
            line = row.number if row.number is not None else near
            text = row.text if len(row.text) <= 200 else row.text[:200] + "…"
            return InvalidInput(
                f"第 {line} 行的字段数与表头不一致：表头有 {row.expected_columns} 个字段，"
                f"该行有 {row.actual_columns} 个（请检查分隔符和引号）",
                details={"line": line, "row_number": line - 1, "text": text},
            )
        if isinstance(exc, UnicodeDecodeError) or "UTF8" in str(exc):
            hint = "文件可能混用了编码，请统一另存为 UTF-8，或指定正确的编码（如 GBK、GB18030）"
            return _encoding_error(self.encoding, self._path, near, hint)
        return InvalidInput(f"无法解析 CSV 文件（第 {near} 行之后）：{exc}", details={"line": near})

    def _raw_batches(self) -> Iterator[pa.RecordBatch]:
        batch: pa.RecordBatch | None = self._first
        while batch is not None:
            if batch.num_rows:
                yield pa.RecordBatch.from_arrays(batch.columns, schema=self._schema)
                self._rows_read += batch.num_rows
            batch = self._read_next()

    def _batches(self) -> Iterator[pa.RecordBatch]:
        try:
            yield from _rebatch(self._raw_batches(), self.batch_rows)
        finally:
            self.close()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        super().close()


# --- XLSX ---------------------------------------------------------------------------------------------------


class _XlsxReader(_ReaderBase):
    """openpyxl in read-only mode: the sheet XML is parsed as it is read, never loaded whole."""

    format = "xlsx"

    def __init__(self, source: IO[bytes], *, sheet: str | None, batch_rows: int, owns_stream: bool) -> None:
        super().__init__(batch_rows)
        from openpyxl import load_workbook  # imported here: only XLSX loads pay for it
        from openpyxl.utils.exceptions import InvalidFileException

        self._owned: IO[bytes] | None = source if owns_stream else None
        self._workbook: Any = None
        if not source.seekable():  # a zip archive needs random access
            self._owned = tempfile.TemporaryFile()  # noqa: SIM115 — lives as long as the reader
            shutil.copyfileobj(source, self._owned, CSV_BLOCK_BYTES)
            self._owned.seek(0)
            source = self._owned
        try:
            self._workbook = load_workbook(source, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError, TypeError) as exc:
            self._close_owned()
            raise InvalidInput(
                "无法读取 XLSX 文件：文件已损坏或不是 XLSX 格式（旧版 .xls 请另存为 .xlsx）"
            ) from exc
        try:
            self._open_sheet(sheet)
        except BaseException:
            self.close()
            raise

    def _open_sheet(self, sheet: str | None) -> None:
        names: list[str] = self._workbook.sheetnames
        if sheet is not None and sheet not in names:
            raise InvalidInput(f"工作表“{sheet}”不存在；文件中的工作表：{'、'.join(names)}")
        worksheet = self._workbook[sheet if sheet is not None else names[0]]
        worksheet.reset_dimensions()  # declared dimensions are often wrong and would silently cut columns
        self.sheet: str = worksheet.title
        self._rows: Iterator[tuple[int, tuple[Any, ...]]] = enumerate(
            worksheet.iter_rows(values_only=True), 1
        )
        for line, values in self._rows:
            texts = [_value_text(v) for v in values]
            while texts and texts[-1] is None:
                texts.pop()  # trailing empty cells are formatting, not columns
            if texts:
                self.header = _clean_header(texts)
                self.header_line = line
                return
        raise InvalidInput("文件为空" if len(names) == 1 else f"工作表“{worksheet.title}”为空")

    def _batches(self) -> Iterator[pa.RecordBatch]:
        try:
            buffer = _ColumnBuffer(_text_schema(self.header))
            width = len(self.header)
            for line, values in self._rows:
                row = [_value_text(v) for v in values]
                extra = next((i for i in range(width, len(row)) if row[i] is not None), None)
                if extra is not None:
                    raise InvalidInput(
                        f"第 {line} 行第 {extra + 1} 列有数据，但表头中没有这一列",
                        details={"line": line, "column": extra + 1},
                    )
                if len(row) != width:
                    row = row[:width] + [None] * (width - len(row))
                if all(v is None for v in row):
                    continue
                self._check_precision(line, values, width)
                buffer.append(row)
                if buffer.rows == self.batch_rows:
                    yield buffer.take()
            if buffer.rows:
                yield buffer.take()
        finally:
            self.close()

    def _check_precision(self, line: int, values: tuple[Any, ...], width: int) -> None:
        """Excel keeps 15 significant digits: an 18-digit ID typed as a number is already damaged."""
        for i, value in enumerate(values[:width]):
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and math.isfinite(value)
                and abs(value) >= 10**EXCEL_EXACT_DIGITS
            ):
                self._warn(
                    f"第 {line} 行“{self.header[i]}”的值 {_value_text(value)} 是超过 {EXCEL_EXACT_DIGITS} 位的数字，"
                    "Excel 只保留 15 位有效数字，末尾数字可能已丢失；身份证号、统一社会信用代码等编码"
                    "请先将单元格设为“文本”格式再录入"
                )

    def _close_owned(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None
        self._close_owned()
        super().close()


# --- JSON Lines ---------------------------------------------------------------------------------------------


class _JsonlReader(_ReaderBase):
    """One JSON object per line; the header is the union of keys over the first batch."""

    format = "jsonl"

    def __init__(
        self,
        stream: IO[bytes],
        sample: bytes,
        complete: bool,
        encoding: str | None,
        batch_rows: int,
        *,
        owns_stream: bool,
        path: str | None,
    ) -> None:
        super().__init__(batch_rows)
        self.encoding = _resolve_encoding(encoding, sample, complete)
        self._path = path
        self._owns_stream = owns_stream
        self._text: io.TextIOWrapper | None = io.TextIOWrapper(
            stream, encoding=self.encoding, errors="strict"
        )
        try:
            self._read_header()
        except BaseException:
            self.close()
            raise

    def _read_header(self) -> None:
        """Read the first batch now: its keys, in order of first appearance, are the header."""
        self._lines = self._numbered_lines()
        first: list[tuple[int, dict[str, Any]]] = []
        for item in self._lines:
            first.append(item)
            if len(first) == self.batch_rows:
                break
        if not first:
            raise InvalidInput("文件为空")
        keys: dict[str, None] = {}
        for _, obj in first:
            keys.update(dict.fromkeys(obj))
        self.header = _clean_header(keys)
        self._positions = {key: i for i, key in enumerate(keys)}
        self._first = first
        self._header_rows = len(first)

    def _numbered_lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        assert self._text is not None
        line = 0
        try:
            for line, text in enumerate(self._text, 1):
                if line == 1:
                    text = text.removeprefix("\ufeff")
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
                except json.JSONDecodeError as exc:
                    raise InvalidInput(
                        f"第 {line} 行不是有效的 JSON：{exc.msg}（第 {exc.colno} 个字符处）",
                        details={"line": line},
                    ) from None
                if not isinstance(obj, dict):
                    raise InvalidInput(
                        f"第 {line} 行不是 JSON 对象：每行须是一个 {{…}} 对象", details={"line": line}
                    )
                yield line, obj
        except UnicodeDecodeError:
            raise _encoding_error(
                self.encoding, self._path, line, "JSON Lines 文件请使用 UTF-8 编码"
            ) from None

    def _row(self, line: int, obj: dict[str, Any]) -> list[str | None]:
        row: list[str | None] = [None] * len(self.header)
        for key, value in obj.items():
            position = self._positions.get(key)
            if position is None:
                raise InvalidInput(
                    f"第 {line} 行出现了字段“{key}”，但文件开头的 {self._header_rows} 条数据中没有这个字段："
                    "表头取自开头的数据，所有字段须在其中出现（可在第一行写出全部字段，值为 null）",
                    details={"line": line, "field": key},
                )
            if value is None or isinstance(value, str):
                row[position] = value or None  # numbers arrive as their source text via parse_int/parse_float
            elif isinstance(value, bool):
                row[position] = "true" if value else "false"
            else:
                raise InvalidInput(
                    f"第 {line} 行的字段 {key} 不是简单值：只接受文本、数字、true/false 或 null，不接受对象或数组",
                    details={"line": line, "field": key},
                )
        return row

    def _batches(self) -> Iterator[pa.RecordBatch]:
        try:
            buffer = _ColumnBuffer(_text_schema(self.header))
            first, self._first = self._first, []
            for line, obj in first:
                buffer.append(self._row(line, obj))
            if buffer.rows == self.batch_rows:
                yield buffer.take()
            for line, obj in self._lines:
                buffer.append(self._row(line, obj))
                if buffer.rows == self.batch_rows:
                    yield buffer.take()
            if buffer.rows:
                yield buffer.take()
        finally:
            self.close()

    def close(self) -> None:
        if self._text is not None:
            if self._owns_stream:
                self._text.close()
            else:
                self._text.detach()  # leave the caller's stream open
            self._text = None
        super().close()


# --- database -----------------------------------------------------------------------------------------------


class _DatabaseReader(_ReaderBase):
    """A reflected table streamed with a server-side cursor, in primary-key order when there is one."""

    format = "database"

    def __init__(self, url: str, table: str, mapping: dict[str, str] | None, batch_rows: int) -> None:
        super().__init__(batch_rows)
        from sqlalchemy import MetaData, Table, create_engine, make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError
        from sqlalchemy.pool import NullPool

        try:
            parsed = make_url(url)
        except ArgumentError:
            raise InvalidInput("数据库连接地址格式不正确") from None  # its message would echo the password
        self._safe_url = parsed.render_as_string(hide_password=True)
        try:
            self._engine: Any = create_engine(parsed, poolclass=NullPool)
        except (NoSuchModuleError, ImportError):
            raise InvalidInput(
                f"不支持的数据库类型“{parsed.drivername}”，或服务器未安装相应的数据库驱动"
            ) from None
        except ArgumentError:
            raise InvalidInput(f"数据库连接地址 {self._safe_url} 的参数不正确") from None
        database = self._engine.url.database
        is_file_db = self._engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
        if is_file_db and not Path(database).is_file():
            self._engine.dispose()  # SQLite would quietly create an empty database file
            raise InvalidInput(f"数据库 {self._safe_url} 不存在")
        schema, _, name = table.rpartition(".")
        try:
            reflected = Table(name, MetaData(), schema=schema or None, autoload_with=self._engine)
        except NoSuchTableError:
            self._engine.dispose()
            raise InvalidInput(f"数据库 {self._safe_url} 中没有表“{table}”") from None
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise self._translate(exc) from None
        try:
            selected = self._select_columns(reflected, table, mapping)
            self.header = _clean_header(target for _, target in selected)
        except BaseException:
            self._engine.dispose()
            raise
        # each source column is selected once, even when the mapping sends it to two header names
        self._sources = list(dict.fromkeys(column for column, _ in selected))
        self._positions = [self._sources.index(column) for column, _ in selected]
        self._order = list(reflected.primary_key.columns)

    @staticmethod
    def _select_columns(reflected: Any, table: str, mapping: dict[str, str] | None) -> list[tuple[Any, str]]:
        available = {column.name: column for column in reflected.columns}
        if mapping is None:
            return [(column, column.name) for column in reflected.columns]
        if not mapping:
            raise InvalidInput("字段映射为空：请至少指定一列")
        folded: dict[str, list[str]] = {}
        for column_name in available:
            folded.setdefault(column_name.lower(), []).append(column_name)
        selected: list[tuple[Any, str]] = []
        for source, target in mapping.items():
            column = available.get(source)
            if column is None and len(folded.get(source.lower(), [])) == 1:
                column = available[folded[source.lower()][0]]  # PostgreSQL folds unquoted names to lower case
            if column is None:
                raise InvalidInput(
                    f"表“{table}”中没有列“{source}”；现有的列：{'、'.join(available)}",
                    details={"column": source},
                )
            selected.append((column, target))
        return selected

    def _translate(self, exc: Exception) -> InvalidInput:
        """A driver error without the password, which some drivers echo back from the DSN."""
        orig = getattr(exc, "orig", None)
        lines = str(orig if orig is not None else exc).strip().splitlines()
        detail = lines[0] if lines else type(exc).__name__
        password = self._engine.url.password
        if password:
            detail = detail.replace(str(password), "***")
        return InvalidInput(f"读取数据库 {self._safe_url} 失败：{detail[:300]}")

    def _batches(self) -> Iterator[pa.RecordBatch]:
        from sqlalchemy import select
        from sqlalchemy.exc import SQLAlchemyError

        schema = _text_schema(self.header)
        query = select(*self._sources).order_by(*self._order)
        try:
            with self._engine.connect() as conn:
                result = conn.execution_options(yield_per=self.batch_rows).execute(query)
                for rows in result.partitions(self.batch_rows):
                    arrays = [
                        pa.array([_value_text(value) for value in values], type=pa.string())
                        for values in zip(*rows, strict=True)
                    ]
                    columns = [arrays[position] for position in self._positions]
                    yield pa.RecordBatch.from_arrays(columns, schema=schema)
        except SQLAlchemyError as exc:
            raise self._translate(exc) from None
        finally:
            self.close()

    def close(self) -> None:
        if not self._closed:
            self._engine.dispose()
        super().close()
