"""Validation of bulk-loaded rows: headers to data items, then every value against its item's rules.

Loads run to millions of rows, so each column is checked as a whole with pyarrow.compute and NumPy; Python only
loops over the rejected rows to word their reasons. A row with any problem is rejected whole and every problem
is reported (one Reject per bad value), so a department can fix its file in one pass. Within one value only the
first problem is reported (a value that is not a date is not also "not in the enumeration").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from govdata.catalog.models import DataType, IdentifierKind
from govdata.errors import InvalidInput
from govdata.pool.identifiers import (
    as_string_array,
    byte_offsets,
    check_citizen_ids,
    check_usccs,
    fixed_width_view,
    real_dates,
    validity,
)
from govdata.pool.spec import ROW_NUMBER, SUBJECT_ID, CheckedBatch, ColumnSpec, Reject

VALUE_PREVIEW = 200  # characters of an offending value kept in a reject report
ENUM_PREVIEW = 20  # allowed values listed in a reason before "等 N 项"

REQUIRED_EMPTY = "必填项为空"
NOT_INTEGER = "应为整数"
INTEGER_RANGE = "整数超出范围（应在 -9223372036854775808 至 9223372036854775807 之间）"
NOT_DECIMAL = "应为数字（如 1234.56，不带千位分隔符）"
NOT_DATE = "日期格式无法识别（应为 YYYY-MM-DD、YYYY/MM/DD、YYYYMMDD 或 YYYY年M月D日）"
NOT_DATETIME = "日期时间格式无法识别（应为日期加“ HH:MM”或“ HH:MM:SS”，如 2024-01-31 08:30:00）"
NOT_BOOLEAN = "应为是或否（可填 是、否、true、false、1、0、Y、N）"
NOT_BASE64 = "应为 Base64 编码"

_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_BASE64 = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_TRUE = ("是", "true", "1", "y")
_FALSE = ("否", "false", "0", "n")
_INT64_DIGITS = 19

# Accepted date spellings are rewritten to YYYY-MM-DD (then checked byte by byte), in this order. Each rule has
# a cheap gate (a literal, or one byte position) so a column only pays for the regexes its spellings need.
_Gate = tuple[str, int, bytes]  # ("contains", 0, literal) | ("byte", position, any of) | ("length", n, b"")
_DATE_REWRITES: tuple[tuple[str, str, _Gate], ...] = (
    (r"^([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日", r"\1-\2-\3", ("contains", 0, "年".encode())),
    (r"^([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})", r"\1-\2-\3", ("contains", 0, b"/")),
    (r"^([0-9]{4})([0-9]{2})([0-9]{2})($|[ T])", r"\1-\2-\3\4", ("byte", 4, b"0123456789")),
    (r"^([0-9]{4})-([0-9])-", r"\1-0\2-", ("byte", 6, b"-")),
    (r"^([0-9]{4}-[0-9]{2})-([0-9])($|[ T])", r"\1-0\2\3", ("byte", 9, b"\0 T")),
)
# …and a time after the date to HH:MM:SS with a space between.
_TIME_REWRITES: tuple[tuple[str, str, _Gate], ...] = (
    (r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]):", r"\1 0\2:", ("byte", 12, b":")),
    (r"^([0-9]{4}-[0-9]{2}-[0-9]{2})T", r"\1 ", ("byte", 10, b"T")),
    (r"^([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2})$", r"\1:00", ("length", 16, b"")),
)
_DATE_LAYOUT = "dddd-dd-dd"
_DATETIME_LAYOUT = "dddd-dd-dd dd:dd:dd"


# ---------------------------------------------------------------------------------------------------------
# Headers


@dataclass(frozen=True)
class HeaderMap:
    """How a file's header line maps onto the resource's data items."""

    mapping: dict[str, str]  # source header (as in the file) → ColumnSpec.field_name
    unknown: tuple[str, ...] = ()  # headers matching no item: ignored
    missing: tuple[ColumnSpec, ...] = ()  # optional items without a column: loaded as empty

    def source_of(self) -> dict[str, str]:
        """field_name → source header."""
        return {field_name: source for source, field_name in self.mapping.items()}

    def warnings(self) -> list[Reject]:
        """File-level notes for the reject report (row 0): what was ignored or will be empty."""
        notes = [
            Reject(0, None, f"列“{name}”不对应任何信息项，已忽略" if name else "有一列没有列名，已忽略")
            for name in map(_clean_header, self.unknown)
        ]
        notes += [
            Reject(0, spec.label, f"文件中没有信息项“{spec.label}”（{spec.field_name}）的列，该项将为空")
            for spec in self.missing
        ]
        return notes


def _clean_header(header: str) -> str:
    """Spreadsheets add a UTF-8 byte order mark and stray spaces; neither is part of the name."""
    return header.strip().lstrip("\ufeff").strip()


def map_headers(headers: Sequence[str], specs: Sequence[ColumnSpec]) -> HeaderMap:
    """Match each header to an item by field_name (any case) or by its Chinese label (exact).

    Raises InvalidInput naming every missing required item and every item claimed by two headers: the file
    cannot be loaded as it is, and the department should hear all of it at once.
    """
    by_name = {spec.field_name.casefold(): spec for spec in specs}
    by_label = {spec.label.strip(): spec for spec in specs}
    claimed: dict[str, list[str]] = {}
    unknown: list[str] = []
    for header in headers:
        name = _clean_header(header)
        spec = (by_name.get(name.casefold()) or by_label.get(name)) if name else None
        if spec is None:
            unknown.append(header)
        else:
            claimed.setdefault(spec.field_name, []).append(header)

    problems: list[str] = []
    missing_required = [spec for spec in specs if spec.required and spec.field_name not in claimed]
    if missing_required:
        items = "、".join(f"{spec.label}（{spec.field_name}）" for spec in missing_required)
        problems.append(f"缺少必填信息项的列：{items}")
    spec_of = {spec.field_name: spec for spec in specs}
    duplicates = {name: sources for name, sources in claimed.items() if len(sources) > 1}
    for name, sources in duplicates.items():
        listed = "、".join(f"“{_clean_header(s)}”" for s in sources)
        problems.append(f"列 {listed} 都对应信息项“{spec_of[name].label}”（{name}），请只保留一列")
    if problems:
        raise InvalidInput(
            "；".join(problems),
            details={
                "missing": [spec.field_name for spec in missing_required],
                "duplicates": {name: list(sources) for name, sources in duplicates.items()},
            },
        )
    mapping = {sources[0]: name for name, sources in claimed.items()}
    missing = tuple(spec for spec in specs if spec.field_name not in claimed)
    return HeaderMap(mapping, tuple(unknown), missing)


# ---------------------------------------------------------------------------------------------------------
# Values


Reason = str | Callable[[int], str]


@dataclass
class _Column:
    """One item's checked column: canonical text, and the rows that failed with why."""

    values: pa.Array
    failed: np.ndarray
    failures: list[tuple[np.ndarray, Reason]] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)

    def fail(self, rows: np.ndarray, reason: Reason) -> None:
        """Record `reason` for the rows in the mask that have not already failed (first problem wins)."""
        rows = rows & ~self.failed
        if rows.any():
            self.failures.append((np.flatnonzero(rows), reason))
            self.failed |= rows


def _bools(result: pa.Array) -> np.ndarray:
    """A boolean compute result as a NumPy mask, null counting as False."""
    if result.null_count:
        result = pc.fill_null(result, False)
    return result.to_numpy(zero_copy_only=False)


def _blank_to_null(values: pa.StringArray) -> pa.StringArray:
    """After trimming, an empty value means "not given"."""
    blank = np.diff(byte_offsets(values)) == 0
    present = validity(values)
    keep = present & ~blank
    if (keep == present).all():
        return values
    buffers = values.buffers()
    if values.offset == 0 and buffers[2] is not None:
        bitmap = pa.py_buffer(np.packbits(keep, bitorder="little"))
        return pa.Array.from_buffers(pa.string(), len(values), [bitmap, buffers[1], buffers[2]])
    return pc.if_else(pa.array(keep), values, pa.scalar(None, pa.string()))


def _layout_ok(matrix: np.ndarray, layout: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows of fixed-width bytes shaped like `layout` ('d' = ASCII digit, else that literal), and the digits."""
    digits = matrix.astype(np.int64) - ord("0")
    ok = np.ones(len(matrix), dtype=bool)
    for position, char in enumerate(layout):
        if char == "d":
            ok &= (digits[:, position] >= 0) & (digits[:, position] <= 9)
        else:
            ok &= matrix[:, position] == ord(char)
    return ok, digits


def _number(digits: np.ndarray, start: int, width: int) -> np.ndarray:
    total = np.zeros(len(digits), dtype=np.int64)
    for position in range(start, start + width):
        total = total * 10 + digits[:, position]
    return total


def _bytes_at(values: pa.StringArray, position: int) -> np.ndarray:
    """Each value's byte at `position`, 0 where the value is shorter (so a gate can test "ends here")."""
    offsets = byte_offsets(values)
    long_enough = np.diff(offsets) > position
    found = np.zeros(len(values), dtype=np.uint8)
    if long_enough.any():
        data = np.frombuffer(values.buffers()[2], dtype=np.uint8)
        found[long_enough] = data[offsets[:-1][long_enough] + position]
    return found


def _gate_open(values: pa.StringArray, gate: _Gate) -> bool:
    kind, position, chars = gate
    if kind == "contains":
        return bool(pc.any(pc.match_substring(values, chars.decode())).as_py())
    if kind == "length":
        return bool((np.diff(byte_offsets(values)) == position).any())
    return bool(np.isin(_bytes_at(values, position), np.frombuffer(chars, dtype=np.uint8)).any())


def _rewrite(values: pa.StringArray, rules: tuple[tuple[str, str, _Gate], ...]) -> pa.StringArray:
    for pattern, replacement, gate in rules:
        if _gate_open(values, gate):
            values = pc.replace_substring_regex(values, pattern, replacement)
    return values


def _check_temporal(column: _Column, present: np.ndarray, with_time: bool) -> None:
    """Dates and date-times: canonical text passes on bytes alone; other spellings are rewritten first."""
    layout = _DATETIME_LAYOUT if with_time else _DATE_LAYOUT
    rules = _DATE_REWRITES + _TIME_REWRITES if with_time else _DATE_REWRITES
    values = column.values
    n = len(values)
    indices, matrix = fixed_width_view(values, len(layout))
    shaped, digits = _layout_ok(matrix, layout)
    canonical = np.zeros(n, dtype=bool)
    canonical[indices[shaped]] = True
    others = present & ~canonical
    if others.any():
        rewritten = _rewrite(values.take(pa.array(np.flatnonzero(others))), rules)
        values = pc.replace_with_mask(values, pa.array(others), rewritten)
        column.values = values
        indices, matrix = fixed_width_view(values, len(layout))
        shaped, digits = _layout_ok(matrix, layout)
        canonical[:] = False
        canonical[indices[shaped]] = True
    column.fail(present & ~canonical, NOT_DATETIME if with_time else NOT_DATE)

    real = real_dates(_number(digits, 0, 4), _number(digits, 5, 2), _number(digits, 8, 2))
    if with_time:
        real &= (
            (_number(digits, 11, 2) <= 23) & (_number(digits, 14, 2) <= 59) & (_number(digits, 17, 2) <= 59)
        )
    valid = np.zeros(n, dtype=bool)
    valid[indices[shaped & real]] = True
    kind = "日期时间" if with_time else "日期"
    column.fail(present & ~valid, lambda i: f"{kind} {values[i].as_py()} 不存在")


def _check_integer(column: _Column, present: np.ndarray) -> None:
    """Optional sign and digits, within int64; canonical is Python's str(int(...))."""
    values = column.values
    matches = _bools(pc.match_substring_regex(values, _INTEGER))
    column.fail(present & ~matches, NOT_INTEGER)
    good = present & matches
    if not good.any():
        return
    if pc.any(pc.starts_with(values, "+")).as_py():
        values = pc.replace_substring_regex(values, r"^\+", "")
    castable = present & ~column.failed
    if not castable.all():
        values = pc.if_else(pa.array(castable), values, pa.scalar(None, pa.string()))
    try:
        numbers = pc.cast(values, pa.int64())
    except pa.ArrowInvalid:
        # Some value overflows int64; only values of 19+ bytes can, so find those in Python and cast the rest.
        too_big = good & (np.diff(byte_offsets(values)) >= _INT64_DIGITS)
        for i in np.flatnonzero(too_big):
            too_big[i] = not -(2**63) <= int(values[int(i)].as_py()) < 2**63
        column.fail(too_big, INTEGER_RANGE)
        values = pc.if_else(pa.array(~too_big), values, pa.scalar(None, pa.string()))
        numbers = pc.cast(values, pa.int64())
    column.values = pc.cast(numbers, pa.string())


def _check_decimal(column: _Column, present: np.ndarray) -> None:
    """Plain decimal notation; the text is kept as given (precision is the provider's) less a leading '+'."""
    values = column.values
    column.fail(present & ~_bools(pc.match_substring_regex(values, _DECIMAL)), NOT_DECIMAL)
    if pc.any(pc.starts_with(values, "+")).as_py():
        column.values = pc.replace_substring_regex(values, r"^\+", "")


def _check_boolean(column: _Column, present: np.ndarray) -> None:
    lower = pc.ascii_lower(column.values)
    true = _bools(pc.is_in(lower, value_set=pa.array(_TRUE)))
    false = _bools(pc.is_in(lower, value_set=pa.array(_FALSE)))
    column.fail(present & ~(true | false), NOT_BOOLEAN)
    choice = pa.array(true.astype(np.int8), mask=~present)
    column.values = pa.array(["false", "true"]).take(choice)


def _check_base64(column: _Column, present: np.ndarray) -> None:
    column.fail(present & ~_bools(pc.match_substring_regex(column.values, _BASE64)), NOT_BASE64)


def _check_length(column: _Column, present: np.ndarray, limit: int) -> None:
    """Characters, not bytes; bytes bound characters from above, so most columns skip the count."""
    values = column.values
    if len(values) == 0 or int(np.diff(byte_offsets(values)).max()) <= limit:
        return
    chars = pc.fill_null(pc.utf8_length(values), 0).to_numpy()
    column.fail(present & (chars > limit), lambda i: f"长度超过 {limit} 个字符（实际 {chars[i]}）")


def _enum_reason(allowed: tuple[str, ...]) -> str:
    listed = "、".join(allowed[:ENUM_PREVIEW])
    if len(allowed) > ENUM_PREVIEW:
        listed += f" 等 {len(allowed)} 项"
    return f"取值不在枚举范围内（可选：{listed}）"


_TYPE_CHECKS: dict[DataType, Callable[[_Column, np.ndarray], None]] = {
    DataType.INTEGER: _check_integer,
    DataType.DECIMAL: _check_decimal,
    DataType.DATE: lambda column, present: _check_temporal(column, present, with_time=False),
    DataType.DATETIME: lambda column, present: _check_temporal(column, present, with_time=True),
    DataType.BOOLEAN: _check_boolean,
    DataType.BINARY: _check_base64,
}


def _check_column(raw: pa.Array | None, spec: ColumnSpec, n: int, today: date) -> _Column:
    """All rules of one item over one column, in order: required, type, length, enumeration, identifier."""
    if raw is None:
        values: pa.Array = pa.nulls(n, pa.string())
    else:
        values = _blank_to_null(pc.utf8_trim_whitespace(as_string_array(raw)))
    column = _Column(values, np.zeros(n, dtype=bool))
    present = validity(values)
    if spec.required:
        column.fail(~present, REQUIRED_EMPTY)
    if not present.any():
        return column
    type_check = _TYPE_CHECKS.get(spec.data_type)
    if type_check is not None:
        type_check(column, present)
    if spec.data_type == DataType.STRING and spec.length is not None:
        _check_length(column, present, spec.length)
    if spec.allowed_values is not None:
        allowed = tuple(spec.allowed_values)
        inside = _bools(pc.is_in(column.values, value_set=pa.array(allowed, pa.string())))
        column.fail(present & ~inside, _enum_reason(allowed))
    if spec.identifier_kind != IdentifierKind.NONE:
        pending = present & ~column.failed
        candidates = column.values
        if not (pending == present).all():
            candidates = pc.if_else(pa.array(pending), candidates, pa.scalar(None, pa.string()))
        if spec.identifier_kind == IdentifierKind.PERSON:
            result = check_citizen_ids(candidates, today)
        else:
            result = check_usccs(candidates)
        errors = result.errors
        column.fail(~result.ok, lambda i: errors[i])
        column.notes = result.warnings
        column.values = result.normalised
    return column


def _preview(raw: pa.Array | None, row: int) -> str | None:
    if raw is None:
        return None
    value = raw[row].as_py()
    return None if value is None else str(value)[:VALUE_PREVIEW]


def validate_batch(
    batch: pa.RecordBatch,
    header_map: HeaderMap,
    specs: Sequence[ColumnSpec],
    first_row_number: int,
    today: date,
    subject_field: str | None,
) -> CheckedBatch:
    """Check one slice of a file: accepted rows in canonical text, one Reject per bad value, notes.

    `batch` has one column per source header (as mapped by `map_headers`); `first_row_number` is the data row
    number of its first row, so numbers run on across slices; `today` is the injected clock's date (birth
    dates may not be later); `subject_field` names the item whose normalised value becomes SUBJECT_ID.
    """
    n = batch.num_rows
    if subject_field is not None and subject_field not in {spec.field_name for spec in specs}:
        raise ValueError(f"subject_field {subject_field!r} is not one of the specs")
    source_of = header_map.source_of()
    names = batch.schema.names
    # A reader may already have dropped the BOM or spaces that the header map kept: match on the clean name too.
    clean_names = {_clean_header(name): name for name in reversed(names)}
    raws: list[pa.Array | None] = []
    columns: list[_Column] = []
    rejected = np.zeros(n, dtype=bool)
    for spec in specs:
        source = source_of.get(spec.field_name)
        if source is not None and source not in names:
            source = clean_names.get(_clean_header(source))
        raw = batch.column(names.index(source)) if source is not None else None
        column = _check_column(raw, spec, n, today)
        raws.append(raw)
        columns.append(column)
        rejected |= column.failed

    problems: list[tuple[int, int, str]] = []
    for position, column in enumerate(columns):
        for rows, reason in column.failures:
            for row in rows.tolist():
                problems.append((row, position, reason if isinstance(reason, str) else reason(row)))
    problems.sort(key=lambda problem: (problem[0], problem[1]))
    rejects = [
        Reject(first_row_number + row, specs[position].label, reason, _preview(raws[position], row))
        for row, position, reason in problems
    ]
    notes = sorted(
        (row, position, note)
        for position, column in enumerate(columns)
        for row, note in column.notes.items()
        if not rejected[row]
    )
    warnings = [
        Reject(first_row_number + row, specs[position].label, note, _preview(raws[position], row))
        for row, position, note in notes
    ]

    arrays = [column.values for column in columns]
    arrays.append(pa.array(np.arange(first_row_number, first_row_number + n, dtype=np.int64)))
    if subject_field is None:
        arrays.append(pa.nulls(n, pa.string()))
    else:
        arrays.append(arrays[[spec.field_name for spec in specs].index(subject_field)])
    rows = pa.Table.from_arrays(arrays, names=[spec.field_name for spec in specs] + [ROW_NUMBER, SUBJECT_ID])
    if rejected.any():
        rows = rows.filter(pa.array(~rejected))
    return CheckedBatch(rows=rows, rejects=rejects, warnings=warnings, read=n)
