"""Citizen ID numbers (GB 11643) and unified social credit codes (GB 32100): one value or a whole column.

The scalar checks are the reference and say *why* a value fails, in Chinese. The array checks exist because
bulk loads validate millions of identifiers: they decide validity with NumPy arithmetic on the UTF-8 bytes and
only call the scalar check for the few failing values, to word the reason. Both are tested against
python-stdnum (`stdnum.cn.ric`, `stdnum.cn.uscc`) and against each other.

Where this module is stricter or looser than python-stdnum, on purpose:

* Citizen ID: a birth date before 1890 or after `today` is rejected (stdnum accepts any real date). A region code
  that stdnum's table (`stdnum/cn/loc.dat`) does not know for the birth year is only a *warning*: the table is
  incomplete and people born before a county was created carry its later code (stdnum rejects; for a known
  province with an unknown county `stdnum.cn.ric.is_valid` even raises KeyError).
* USCC: the embedded organisation code (positions 9–17, GB 11714-1997) must carry its own MOD 11 check character
  (stdnum does not look at it). Every real code we could find passes it — enterprises (91…), institutions (12…),
  and individual businesses (92…, e.g. 92141127MA0KD1Y64A) alike — but individual businesses had no organisation
  code before the 2016 reform and their subject code is assigned by the market regulator, so for a USCC that
  starts with "92" a failing inner check is a *warning*, not a rejection: we would rather store a real
  shop's code with a flag than refuse it. The first two positions may be letters of the USCC alphabet
  (registration authorities A, N, Y exist); stdnum wrongly requires digits there.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CITIZEN_ID_LENGTH = 18
USCC_LENGTH = 18
EARLIEST_BIRTH = dt.date(1890, 1, 1)

# ISO 7064 MOD 11-2 weights for the 17 body digits: 2^(17-i) mod 11.
_RIC_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)  # GB 11714-1997
_INDIVIDUAL_BUSINESS = "92"  # market regulation (9) + individual business (2)

_RIC_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_DIGITS = frozenset("0123456789")
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
for _constant in (_RIC_WEIGHTS, _USCC_WEIGHTS, _ORG_WEIGHTS, _DAYS_IN_MONTH):
    _constant.flags.writeable = False  # constants, not state


@dataclass(frozen=True)
class IdResult:
    """The verdict on one identifier: `error` rejects it, `warning` only flags it."""

    ok: bool
    normalised: str | None
    error: str | None = None
    warning: str | None = None


@dataclass(frozen=True, eq=False)
class IdArrayResult:
    """The verdict on a column. Nulls are ok here: whether a value is required is the caller's rule."""

    ok: np.ndarray  # bool, one per value
    normalised: pa.Array  # the values upper-cased (ASCII), nulls kept
    errors: dict[int, str]  # index → Chinese reason, failures only
    warnings: dict[int, str]  # index → Chinese note, for values that are ok


# ---------------------------------------------------------------------------------------------------------
# Byte-level helpers shared with validate.py


def as_string_array(values: pa.Array | pa.ChunkedArray) -> pa.StringArray:
    """One contiguous `string` array, so its buffers can be read directly."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if values.type != pa.string():
        values = values.cast(pa.string())
    return values


def validity(values: pa.Array) -> np.ndarray:
    """A bool per value: True where not null."""
    n = len(values)
    if values.null_count == 0:
        return np.ones(n, dtype=bool)
    if values.null_count == n:
        return np.zeros(n, dtype=bool)
    bits = np.frombuffer(values.buffers()[0], dtype=np.uint8)
    return np.unpackbits(bits, bitorder="little")[values.offset : values.offset + n].astype(bool)


def byte_offsets(values: pa.StringArray) -> np.ndarray:
    """The n+1 int32 offsets of a string array, adjusted for a sliced array."""
    n = len(values)
    return np.frombuffer(values.buffers()[1], dtype=np.int32, count=n + 1, offset=values.offset * 4)


def fixed_width_view(
    values: pa.StringArray, width: int, among: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The non-null values that are exactly `width` bytes long, as an (k, width) uint8 matrix.

    Returns (indices of those values, matrix). `among` optionally restricts the candidates further. When every
    value qualifies the matrix is a zero-copy view of the data buffer; otherwise the bytes are gathered.
    """
    n = len(values)
    offsets = byte_offsets(values)
    lengths = np.diff(offsets)
    selected = lengths == width
    if values.null_count:
        selected &= validity(values)
    if among is not None:
        selected &= among
    data_buffer = values.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    if selected.all() and n:
        start = int(offsets[0])
        return np.arange(n), data[start : start + n * width].reshape(n, width)
    indices = np.flatnonzero(selected)
    if not len(indices):
        return indices, np.zeros((0, width), dtype=np.uint8)
    starts = offsets[indices].astype(np.int64)
    return indices, data[starts[:, None] + np.arange(width)]


def real_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """True where (year, month, day) is a day of the proleptic Gregorian calendar (year ≥ 1)."""
    month_ok = (month >= 1) & (month <= 12)
    safe_month = np.where(month_ok, month, 1)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last_day = _DAYS_IN_MONTH[safe_month] + ((safe_month == 2) & leap)
    return month_ok & (year >= 1) & (day >= 1) & (day <= last_day)


def _ascii_upper(value: str) -> str:
    """Upper-case ASCII letters only, so the length never changes (str.upper turns 'ß' into 'SS')."""
    return value.upper() if value.isascii() else "".join(c.upper() if c.isascii() else c for c in value)


# ---------------------------------------------------------------------------------------------------------
# Region codes, from python-stdnum's table


@dataclass(frozen=True)
class _RegionTable:
    codes: np.ndarray  # sorted unique six-digit codes
    first: np.ndarray  # index of each code's first interval
    count: np.ndarray  # number of intervals per code
    start: np.ndarray  # first year the code was in use (inclusive)
    end: np.ndarray  # last year (inclusive)
    by_code: dict[str, tuple[tuple[int, int], ...]]


@cache
def _region_table() -> _RegionTable:
    """The years each county code was in use, as stdnum.cn.ric.get_birth_place reads them from loc.dat."""
    from stdnum import numdb

    rows: list[tuple[int, int, int]] = []
    by_code: dict[str, tuple[tuple[int, int], ...]] = {}
    for length, low, high, _props, children in numdb.get("cn/loc").prefixes:
        if length != 2:
            continue
        for province in range(int(low), int(high) + 1):
            for child_length, child_low, child_high, props, _ in children:
                if child_length != 4 or "county" not in props:
                    continue
                intervals = _county_years(props["county"])
                for county in range(int(child_low), int(child_high) + 1):
                    code = f"{province:02d}{county:04d}"
                    by_code[code] = by_code.get(code, ()) + intervals
    for code, intervals in by_code.items():
        rows.extend((int(code), start, end) for start, end in intervals)
    rows.sort()
    table = np.array(rows, dtype=np.int64).reshape(-1, 3)
    codes, first, count = np.unique(table[:, 0], return_index=True, return_counts=True)
    return _RegionTable(codes, first, count, table[:, 1], table[:, 2], by_code)


def _county_years(county: str) -> tuple[tuple[int, int], ...]:
    """'[1983-2019]桥东区,[2020-]襄都区' → ((1983, 2019), (2020, 9999)); an undated name is always valid."""
    intervals = []
    for name in county.split(","):
        if not name.startswith("["):
            return ((0, 9999),)
        start, end = name[1:].split("]")[0].split("-")
        intervals.append((int(start) if start else 0, int(end) if end else 9999))
    return tuple(intervals)


def region_known(code: str, year: int) -> bool:
    """Whether stdnum's table has `code` as a county code in use in `year`."""
    return any(start <= year <= end for start, end in _region_table().by_code.get(code, ()))


def _regions_known(codes: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Vectorised `region_known` over int code / year arrays."""
    table = _region_table()
    position = np.searchsorted(table.codes, codes)
    position = np.minimum(position, len(table.codes) - 1)
    found = table.codes[position] == codes
    first = table.first[position]
    count = np.where(found, table.count[position], 0)
    known = np.zeros(len(codes), dtype=bool)
    for k in range(int(count.max(initial=0))):
        has = count > k
        index = np.where(has, first + k, 0)
        known |= has & (table.start[index] <= years) & (years <= table.end[index])
    return known


def _region_warning(code: str) -> str:
    return f"行政区划代码 {code} 在出生年份不可识别"


# ---------------------------------------------------------------------------------------------------------
# Citizen ID number (公民身份号码, GB 11643-1999)


def citizen_id_check_char(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character for 17 digits."""
    total = sum(int(c) * int(w) for c, w in zip(body, _RIC_WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def check_citizen_id(value: str, today: dt.date) -> IdResult:
    """Check one citizen ID number; `today` comes from the injected clock (a birth date may not be later)."""
    number = _ascii_upper(value)
    length = len(number)
    if length == 15 and all(c in _DIGITS for c in number):
        return IdResult(False, None, "15 位旧身份证号码请换算为 18 位")
    if length != CITIZEN_ID_LENGTH:
        return IdResult(False, None, f"长度应为 18 位（实际 {length} 位）")
    if not _RIC_SHAPE.fullmatch(number):
        bad = next(
            c for i, c in enumerate(number) if not (c in _DIGITS or (i == CITIZEN_ID_LENGTH - 1 and c == "X"))
        )
        return IdResult(False, None, f"公民身份号码含非法字符 {bad}（前 17 位应为数字，末位为数字或 X）")
    birth = number[6:14]
    year, month, day = int(birth[:4]), int(birth[4:6]), int(birth[6:])
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return IdResult(False, None, f"出生日期 {birth} 无效")
    if born < EARLIEST_BIRTH:
        return IdResult(False, None, f"出生日期 {birth} 早于 1890 年")
    if born > today:
        return IdResult(False, None, f"出生日期 {birth} 晚于当前日期")
    expected = citizen_id_check_char(number[:17])
    if number[17] != expected:
        return IdResult(False, None, f"公民身份号码校验码错误（应为 {expected}）")
    warning = None if region_known(number[:6], year) else _region_warning(number[:6])
    return IdResult(True, number, None, warning)


def check_citizen_ids(values: pa.Array | pa.ChunkedArray, today: dt.date) -> IdArrayResult:
    """Check a column of citizen ID numbers with array arithmetic; reasons only for the failures."""
    strings = as_string_array(values)
    upper = pc.ascii_upper(strings)
    present = validity(upper)
    indices, raw = fixed_width_view(upper, CITIZEN_ID_LENGTH)
    digits = raw.astype(np.int64) - ord("0")
    is_digit = (digits >= 0) & (digits <= 9)
    last_x = raw[:, 17] == ord("X")
    shape = is_digit[:, :17].all(axis=1) & (is_digit[:, 17] | last_x)
    body = np.where(is_digit, digits, 0)
    year = body[:, 6] * 1000 + body[:, 7] * 100 + body[:, 8] * 10 + body[:, 9]
    month = body[:, 10] * 10 + body[:, 11]
    day = body[:, 12] * 10 + body[:, 13]
    ymd = year * 10000 + month * 100 + day
    today_ymd = today.year * 10000 + today.month * 100 + today.day
    earliest = EARLIEST_BIRTH.year * 10000 + EARLIEST_BIRTH.month * 100 + EARLIEST_BIRTH.day
    dates_ok = real_dates(year, month, day) & (ymd >= earliest) & (ymd <= today_ymd)
    expected = (12 - (body[:, :17] @ _RIC_WEIGHTS) % 11) % 11
    actual = np.where(last_x, 10, body[:, 17])
    good = shape & dates_ok & (expected == actual)

    ok = ~present  # nulls are ok; a present value must pass the 18-byte checks
    ok[indices[good]] = True

    regions = body[:, 0] * 100000 + body[:, 1] * 10000 + body[:, 2] * 1000 + body[:, 3] * 100
    regions += body[:, 4] * 10 + body[:, 5]
    unknown = good & ~_regions_known(regions, year)
    warnings = {
        int(i): _region_warning(f"{int(code):06d}")
        for i, code in zip(indices[unknown], regions[unknown], strict=True)
    }
    errors = {int(i): _reason(check_citizen_id(strings[int(i)].as_py(), today)) for i in np.flatnonzero(~ok)}
    return IdArrayResult(ok, upper, errors, warnings)


def _reason(result: IdResult) -> str:
    """The scalar check's reason for a value the array check rejected (they must agree; say so if not)."""
    return result.error or "标识符校验未通过"


# ---------------------------------------------------------------------------------------------------------
# Unified social credit code (统一社会信用代码, GB 32100-2015)


def uscc_check_char(body: str) -> str:
    """The MOD 31 check character over the first 17 characters (GB 32100, weights 3^i mod 31)."""
    total = sum(_USCC_ALPHABET.index(c) * int(w) for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(body: str) -> str:
    """The GB 11714 check character for an organisation code's 8 body characters (MOD 11, X for 10)."""
    total = sum(int(c, 36) * int(w) for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def check_uscc(value: str) -> IdResult:
    """Check one unified social credit code, including the organisation code inside it."""
    code = _ascii_upper(value)
    if len(code) != USCC_LENGTH:
        return IdResult(False, None, f"长度应为 18 位（实际 {len(code)} 位）")
    bad = next((c for c in code if c not in _USCC_ALPHABET), None)
    if bad is not None:
        return IdResult(False, None, f"统一社会信用代码含非法字符 {bad}")
    if any(c not in _DIGITS for c in code[2:8]):
        return IdResult(False, None, "统一社会信用代码第 3–8 位（登记管理机关行政区划码）应为数字")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return IdResult(False, None, f"统一社会信用代码校验码错误（应为 {expected}）")
    org_expected = org_code_check_char(code[8:16])
    if code[16] != org_expected:
        reason = f"组织机构代码校验位错误（第 9–17 位 {code[8:17]} 的末位应为 {org_expected}）"
        if code.startswith(_INDIVIDUAL_BUSINESS):
            return IdResult(True, code, None, f"个体工商户的主体标识码未通过{reason}，请核实")
        return IdResult(False, None, reason)
    return IdResult(True, code)


@cache
def _uscc_lookup() -> tuple[np.ndarray, np.ndarray]:
    """Byte → USCC character value (255 if not in the alphabet) and byte → GB 11714 value (0-9, A-Z = 10-35)."""
    uscc = np.full(256, 255, dtype=np.int64)
    for index, char in enumerate(_USCC_ALPHABET):
        uscc[ord(char)] = index
    org = np.zeros(256, dtype=np.int64)
    for char in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        org[ord(char)] = int(char, 36)
    return uscc, org


def check_usccs(values: pa.Array | pa.ChunkedArray) -> IdArrayResult:
    """Check a column of unified social credit codes with array arithmetic; reasons only for the failures."""
    strings = as_string_array(values)
    upper = pc.ascii_upper(strings)
    present = validity(upper)
    indices, raw = fixed_width_view(upper, USCC_LENGTH)
    uscc_value, org_value = _uscc_lookup()
    chars = uscc_value[raw]
    shape = (chars != 255).all(axis=1) & (chars[:, 2:8] <= 9).all(axis=1)
    chars = np.where(chars == 255, 0, chars)
    expected = (31 - (chars[:, :17] @ _USCC_WEIGHTS) % 31) % 31
    outer_ok = shape & (chars[:, 17] == expected)
    org_check = 11 - (org_value[raw[:, 8:16]] @ _ORG_WEIGHTS) % 11
    org_char = np.where(org_check == 10, ord("X"), np.where(org_check == 11, ord("0"), ord("0") + org_check))
    inner_ok = raw[:, 16] == org_char
    individual = (raw[:, 0] == ord("9")) & (raw[:, 1] == ord("2"))
    good = outer_ok & (inner_ok | individual)

    ok = ~present
    ok[indices[good]] = True
    flagged = indices[good & ~inner_ok]
    warnings = {int(i): check_uscc(strings[int(i)].as_py()).warning or "" for i in flagged}
    errors = {int(i): _reason(check_uscc(strings[int(i)].as_py())) for i in np.flatnonzero(~ok)}
    return IdArrayResult(ok, upper, errors, warnings)
