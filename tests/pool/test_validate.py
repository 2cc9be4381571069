"""Header mapping and batch validation: forms, canonical text, reasons, and agreement with a per-row reference."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govdata.catalog.models import DataType, IdentifierKind
from govdata.errors import InvalidInput
from govdata.pool.identifiers import check_citizen_id, check_uscc, citizen_id_check_char
from govdata.pool.spec import ROW_NUMBER, SUBJECT_ID, CheckedBatch, ColumnSpec, Reject
from govdata.pool.validate import (
    INTEGER_RANGE,
    NOT_BASE64,
    NOT_BOOLEAN,
    NOT_DATE,
    NOT_DATETIME,
    NOT_DECIMAL,
    NOT_INTEGER,
    REQUIRED_EMPTY,
    HeaderMap,
    map_headers,
    validate_batch,
)

TODAY = dt.date(2026, 11, 20)
T = DataType
K = IdentifierKind
VALID_ID = "11010519491231002X"
VALID_USCC = "91110000600037341L"


def spec(
    name: str,
    data_type: DataType = T.STRING,
    *,
    label: str | None = None,
    length: int | None = None,
    required: bool = False,
    kind: IdentifierKind = K.NONE,
    allowed: tuple[str, ...] | None = None,
) -> ColumnSpec:
    return ColumnSpec(name, label or f"{name}项", data_type, length, required, kind, allowed)


def run(
    specs: Sequence[ColumnSpec],
    columns: dict[str, list[str | None]],
    *,
    first: int = 1,
    subject: str | None = None,
) -> CheckedBatch:
    """Validate columns named by field_name (so the header map is the identity)."""
    batch = pa.record_batch({name: pa.array(values, pa.string()) for name, values in columns.items()})
    header_map = map_headers(list(columns), specs)
    return validate_batch(batch, header_map, specs, first, TODAY, subject)


def one(data_type: DataType, value: str | None, **kwargs: object) -> CheckedBatch:
    return run([spec("v", data_type, **kwargs)], {"v": [value]})  # type: ignore[arg-type]


def accepted(data_type: DataType, value: str, **kwargs: object) -> str | None:
    result = one(data_type, value, **kwargs)
    assert not result.rejects, result.rejects
    return result.rows.column("v")[0].as_py()


def reason(data_type: DataType, value: str | None, **kwargs: object) -> str:
    result = one(data_type, value, **kwargs)
    assert result.rows.num_rows == 0 and len(result.rejects) == 1, result
    return result.rejects[0].reason


# --------------------------------------------------------------------------------------------------------
# Headers


def test_headers_match_by_field_name_any_case_and_by_label() -> None:
    specs = [spec("name", label="姓名", required=True), spec("id_number", label="公民身份号码")]
    header_map = map_headers(["\ufeff 姓名 ", "ID_Number"], specs)
    assert header_map.mapping == {"\ufeff 姓名 ": "name", "ID_Number": "id_number"}
    assert header_map.unknown == () and header_map.missing == ()


def test_unknown_header_is_ignored_with_a_warning() -> None:
    specs = [spec("name", label="姓名")]
    header_map = map_headers(["姓名", "备注"], specs)
    assert header_map.unknown == ("备注",)
    assert header_map.warnings() == [Reject(0, None, "列“备注”不对应任何信息项，已忽略", None)]
    batch = pa.record_batch({"姓名": ["张三"], "备注": ["x"]})
    result = validate_batch(batch, header_map, specs, 1, TODAY, None)
    assert result.rows.column_names == ["name", ROW_NUMBER, SUBJECT_ID]


def test_label_match_is_exact() -> None:
    header_map = map_headers(["姓 名"], [spec("name", label="姓名")])
    assert header_map.unknown == ("姓 名",)


def test_missing_required_column_names_the_item() -> None:
    specs = [
        spec("name", label="姓名", required=True),
        spec("id_number", label="公民身份号码", required=True),
    ]
    with pytest.raises(InvalidInput) as raised:
        map_headers(["姓名"], specs)
    assert "公民身份号码（id_number）" in raised.value.message
    assert "姓名" not in raised.value.message
    assert raised.value.details["missing"] == ["id_number"]


def test_two_headers_for_one_item_are_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        map_headers(["name", "姓名"], [spec("name", label="姓名")])
    assert "“name”" in raised.value.message and "“姓名”" in raised.value.message


def test_missing_optional_column_loads_empty_with_a_note() -> None:
    specs = [spec("name", required=True), spec("phone")]
    header_map = map_headers(["name"], specs)
    assert header_map.missing == (specs[1],)
    assert any("phone" in note.reason for note in header_map.warnings())
    result = validate_batch(pa.record_batch({"name": ["张三"]}), header_map, specs, 1, TODAY, None)
    assert result.rows.column("phone").to_pylist() == [None]


def test_header_map_can_be_built_by_hand() -> None:
    specs = [spec("name")]
    result = validate_batch(
        pa.record_batch({"col": ["x"]}), HeaderMap({"col": "name"}), specs, 1, TODAY, None
    )
    assert result.rows.column("name").to_pylist() == ["x"]


# --------------------------------------------------------------------------------------------------------
# Types: accepted forms and canonical text


@pytest.mark.parametrize(
    ("data_type", "given", "canonical"),
    [
        (T.STRING, "  张三  ", "张三"),
        (T.STRING, "\u3000李四\t", "李四"),
        (T.INTEGER, "42", "42"),
        (T.INTEGER, "+42", "42"),
        (T.INTEGER, "-007", "-7"),
        (T.INTEGER, "-0", "0"),
        (T.INTEGER, "9223372036854775807", "9223372036854775807"),
        (T.INTEGER, "-9223372036854775808", "-9223372036854775808"),
        (T.INTEGER, "000000000000000000001", "1"),
        (T.DECIMAL, "1.50", "1.50"),
        (T.DECIMAL, "+1.50", "1.50"),
        (T.DECIMAL, "-.5", "-.5"),
        (T.DECIMAL, "3.", "3."),
        (T.DECIMAL, "12", "12"),
        (T.DATE, "2024-02-29", "2024-02-29"),
        (T.DATE, "2024/2/9", "2024-02-09"),
        (T.DATE, "2024/12/31", "2024-12-31"),
        (T.DATE, "20240131", "2024-01-31"),
        (T.DATE, "2024年1月5日", "2024-01-05"),
        (T.DATE, "2024-1-5", "2024-01-05"),
        (T.DATETIME, "2024-01-05 08:30:15", "2024-01-05 08:30:15"),
        (T.DATETIME, "2024-01-05 08:30", "2024-01-05 08:30:00"),
        (T.DATETIME, "2024-01-05T08:30:15", "2024-01-05 08:30:15"),
        (T.DATETIME, "2024/1/5 8:30", "2024-01-05 08:30:00"),
        (T.DATETIME, "2024年1月5日 23:59:59", "2024-01-05 23:59:59"),
        (T.DATETIME, "20240105T0:00", "2024-01-05 00:00:00"),
        (T.BOOLEAN, "是", "true"),
        (T.BOOLEAN, "否", "false"),
        (T.BOOLEAN, "TRUE", "true"),
        (T.BOOLEAN, "False", "false"),
        (T.BOOLEAN, "1", "true"),
        (T.BOOLEAN, "0", "false"),
        (T.BOOLEAN, "Y", "true"),
        (T.BOOLEAN, "n", "false"),
        (T.BINARY, "aGVsbG8=", "aGVsbG8="),
        (T.BINARY, "aGk=", "aGk="),
        (T.BINARY, "YWJj", "YWJj"),
    ],
)
def test_accepted_forms(data_type: DataType, given: str, canonical: str) -> None:
    assert accepted(data_type, given) == canonical


def test_string_length_counts_characters() -> None:
    assert accepted(T.STRING, "四川省成都", length=5) == "四川省成都"
    assert reason(T.STRING, "四川省成都市", length=5) == "长度超过 5 个字符（实际 6）"


def test_blank_is_null() -> None:
    for value in ["", "   ", None]:
        assert accepted(T.STRING, value) is None  # type: ignore[arg-type]
        assert accepted(T.INTEGER, value) is None  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------------
# Rejections


@pytest.mark.parametrize(
    ("data_type", "given", "expected"),
    [
        (T.INTEGER, "1.5", NOT_INTEGER),
        (T.INTEGER, "1e5", NOT_INTEGER),
        (T.INTEGER, "１２", NOT_INTEGER),
        (T.INTEGER, "9223372036854775808", INTEGER_RANGE),
        (T.INTEGER, "-9223372036854775809", INTEGER_RANGE),
        (T.DECIMAL, "1,000.5", NOT_DECIMAL),
        (T.DECIMAL, ".", NOT_DECIMAL),
        (T.DECIMAL, "1.2.3", NOT_DECIMAL),
        (T.DATE, "2023-02-29", "日期 2023-02-29 不存在"),
        (T.DATE, "2024-13-01", "日期 2024-13-01 不存在"),
        (T.DATE, "0000-01-01", "日期 0000-01-01 不存在"),
        (T.DATE, "2024/1-5", NOT_DATE),
        (T.DATE, "01/05/2024", NOT_DATE),
        (T.DATE, "2024-01-05 08:00", NOT_DATE),
        (T.DATETIME, "2024-01-05", NOT_DATETIME),
        (T.DATETIME, "2024-01-05 24:00", "日期时间 2024-01-05 24:00:00 不存在"),
        (T.DATETIME, "2024-01-05 08:60", "日期时间 2024-01-05 08:60:00 不存在"),
        (T.DATETIME, "2024-02-30 08:00", "日期时间 2024-02-30 08:00:00 不存在"),
        (T.BOOLEAN, "maybe", NOT_BOOLEAN),
        (T.BOOLEAN, "yes", NOT_BOOLEAN),
        (T.BINARY, "abc", NOT_BASE64),
        (T.BINARY, "a b=", NOT_BASE64),
    ],
)
def test_rejections(data_type: DataType, given: str, expected: str) -> None:
    assert reason(data_type, given) == expected


def test_required_empty_is_rejected() -> None:
    assert reason(T.STRING, "  ", required=True) == REQUIRED_EMPTY
    assert reason(T.DATE, None, required=True) == REQUIRED_EMPTY


def test_enumeration() -> None:
    assert accepted(T.STRING, "女", allowed=("男", "女")) == "女"
    assert (
        reason(T.STRING, "未知", allowed=("男", "女", "未说明"))
        == "取值不在枚举范围内（可选：男、女、未说明）"
    )
    many = tuple(f"v{i}" for i in range(30))
    assert reason(T.STRING, "x", allowed=many).endswith("v19 等 30 项）")


def test_enumeration_compares_canonical_values() -> None:
    assert accepted(T.INTEGER, "+01", allowed=("1", "2")) == "1"


def test_reject_carries_row_label_and_raw_value() -> None:
    result = run(
        [spec("d", T.DATE, label="出生日期")], {"d": ["2024-01-01", " 2023-02-29 ", "x" * 300]}, first=11
    )
    assert result.rejects == [
        Reject(12, "出生日期", "日期 2023-02-29 不存在", " 2023-02-29 "),
        Reject(13, "出生日期", NOT_DATE, "x" * 200),
    ]
    assert result.read == 3 and result.rows.column(ROW_NUMBER).to_pylist() == [11]


def test_several_problems_on_one_row() -> None:
    specs = [
        spec("name", label="姓名", required=True),
        spec("age", T.INTEGER, label="年龄"),
        spec("born", T.DATE, label="出生日期"),
    ]
    result = run(specs, {"name": ["", "张三"], "age": ["abc", "30"], "born": ["2024-02-30", "1994-01-01"]})
    assert [(r.row_number, r.field, r.reason) for r in result.rejects] == [
        (1, "姓名", REQUIRED_EMPTY),
        (1, "年龄", NOT_INTEGER),
        (1, "出生日期", "日期 2024-02-30 不存在"),
    ]
    assert result.rows.to_pylist() == [
        {"name": "张三", "age": "30", "born": "1994-01-01", ROW_NUMBER: 2, SUBJECT_ID: None}
    ]


def test_row_numbers_run_on_across_batches() -> None:
    specs = [spec("n", T.INTEGER)]
    first = run(specs, {"n": ["1", "x", "3"]}, first=1)
    second = run(specs, {"n": ["x", "5"]}, first=1 + first.read)
    assert first.rows.column(ROW_NUMBER).to_pylist() == [1, 3]
    assert [r.row_number for r in first.rejects] == [2]
    assert second.rows.column(ROW_NUMBER).to_pylist() == [5]
    assert [r.row_number for r in second.rejects] == [4]


# --------------------------------------------------------------------------------------------------------
# Identifiers and the subject


def test_person_identifier_rejection_warning_and_subject() -> None:
    unknown_region = "119999199001010011"
    unknown_region = unknown_region[:17] + citizen_id_check_char(unknown_region[:17])
    specs = [spec("id", label="公民身份号码", required=True, length=18, kind=K.PERSON), spec("name")]
    result = run(
        specs,
        {
            "id": [VALID_ID.lower(), "110105194912310021", unknown_region, "12345"],
            "name": ["a", "b", "c", "d"],
        },
        subject="id",
    )
    assert result.rows.column("id").to_pylist() == [VALID_ID, unknown_region]
    assert result.rows.column(SUBJECT_ID).to_pylist() == [VALID_ID, unknown_region]
    assert result.rejects == [
        Reject(2, "公民身份号码", "公民身份号码校验码错误（应为 X）", "110105194912310021"),
        Reject(4, "公民身份号码", "长度应为 18 位（实际 5 位）", "12345"),
    ]
    assert result.warnings == [
        Reject(3, "公民身份号码", "行政区划代码 119999 在出生年份不可识别", unknown_region)
    ]


def test_organisation_identifier() -> None:
    specs = [spec("code", label="统一社会信用代码", kind=K.ORGANISATION)]
    result = run(specs, {"code": [VALID_USCC.lower(), "9I110000600037341L", None]}, subject="code")
    assert result.rows.column(SUBJECT_ID).to_pylist() == [VALID_USCC, None]
    assert [r.reason for r in result.rejects] == ["统一社会信用代码含非法字符 I"]


def test_warnings_of_rejected_rows_are_dropped() -> None:
    unknown_region = "11999919900101001"
    unknown_region += citizen_id_check_char(unknown_region)
    specs = [spec("id", kind=K.PERSON), spec("n", T.INTEGER)]
    result = run(specs, {"id": [unknown_region], "n": ["x"]})
    assert result.warnings == [] and len(result.rejects) == 1


def test_birth_date_uses_the_given_today() -> None:
    born_tomorrow = "11010520261121001"
    born_tomorrow += citizen_id_check_char(born_tomorrow)
    assert reason(T.STRING, born_tomorrow, kind=K.PERSON) == "出生日期 20261121 晚于当前日期"


def test_unknown_subject_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        run([spec("a")], {"a": ["x"]}, subject="b")


# --------------------------------------------------------------------------------------------------------
# Output shape and odd inputs


def test_output_columns_follow_the_specs() -> None:
    specs = [spec("b", T.INTEGER), spec("a"), spec("c", T.DATE)]
    batch = pa.record_batch({"a": ["x"], "b": ["1"], "extra": ["?"]})
    result = validate_batch(batch, map_headers(["a", "b", "extra"], specs), specs, 1, TODAY, None)
    assert result.rows.column_names == ["b", "a", "c", ROW_NUMBER, SUBJECT_ID]
    assert result.rows.schema.field(ROW_NUMBER).type == pa.int64()
    assert all(result.rows.schema.field(name).type == pa.string() for name in ["a", "b", "c", SUBJECT_ID])
    assert result.rows.to_pylist() == [{"b": "1", "a": "x", "c": None, ROW_NUMBER: 1, SUBJECT_ID: None}]


def test_sliced_and_non_string_input() -> None:
    specs = [spec("n", T.INTEGER), spec("d", T.DATE)]
    batch = pa.record_batch(
        {"n": pa.array([1, 2, None, 4]), "d": pa.array(["2024/1/1", "", "2024-02-30", "x"])}
    )
    result = validate_batch(batch.slice(1), map_headers(["n", "d"], specs), specs, 2, TODAY, None)
    assert result.rows.to_pylist() == [{"n": "2", "d": None, ROW_NUMBER: 2, SUBJECT_ID: None}]
    assert [(r.row_number, r.reason) for r in result.rejects] == [
        (3, "日期 2024-02-30 不存在"),
        (4, NOT_DATE),
    ]


def test_empty_batch() -> None:
    result = run([spec("a", required=True)], {"a": []})
    assert result.rows.num_rows == 0 and result.read == 0 and result.rejects == []


# --------------------------------------------------------------------------------------------------------
# Agreement with a per-row reference implementation

_DATE_FORMS = (
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})",
    r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})",
    r"([0-9]{4})([0-9]{2})([0-9]{2})",
    r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日",
)
_TIME = r"[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?"


def _ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def reference_value(item: ColumnSpec, raw: str | None) -> tuple[str | None, str | None, str | None]:
    """(canonical, reason, warning) for one value, written plainly, one rule after another."""
    value = raw.strip(" \t\u3000") if raw is not None else None
    if not value:
        return None, (REQUIRED_EMPTY if item.required else None), None
    if item.data_type == T.INTEGER:
        if not re.fullmatch(r"[+-]?[0-9]+", value):
            return None, NOT_INTEGER, None
        if not -(2**63) <= int(value) < 2**63:
            return None, INTEGER_RANGE, None
        value = str(int(value))
    elif item.data_type == T.DECIMAL:
        if not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", value):
            return None, NOT_DECIMAL, None
        value = value.removeprefix("+")
    elif item.data_type in (T.DATE, T.DATETIME):
        with_time = item.data_type == T.DATETIME
        match = None
        for form in _DATE_FORMS:
            match = re.fullmatch(form + (_TIME if with_time else ""), value)
            if match:
                break
        if match is None:
            return None, (NOT_DATETIME if with_time else NOT_DATE), None
        parts = [int(part or 0) for part in match.groups()]
        value = f"{parts[0]:04d}-{parts[1]:02d}-{parts[2]:02d}"
        if with_time:
            value += f" {parts[3]:02d}:{parts[4]:02d}:{parts[5]:02d}"
        try:
            dt.datetime(*parts)
        except ValueError:
            return None, f"{'日期时间' if with_time else '日期'} {value} 不存在", None
    elif item.data_type == T.BOOLEAN:
        lowered = _ascii_lower(value)
        if lowered not in ("是", "否", "true", "false", "1", "0", "y", "n"):
            return None, NOT_BOOLEAN, None
        value = "true" if lowered in ("是", "true", "1", "y") else "false"
    elif item.data_type == T.BINARY and not re.fullmatch(
        r"([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", value
    ):
        return None, NOT_BASE64, None
    if item.data_type == T.STRING and item.length is not None and len(value) > item.length:
        return None, f"长度超过 {item.length} 个字符（实际 {len(value)}）", None
    if item.allowed_values is not None and value not in item.allowed_values:
        return None, f"取值不在枚举范围内（可选：{'、'.join(item.allowed_values)}）", None
    if item.identifier_kind != K.NONE:
        checked = check_citizen_id(value, TODAY) if item.identifier_kind == K.PERSON else check_uscc(value)
        if not checked.ok:
            return None, checked.error, None
        return checked.normalised, None, checked.warning
    return value, None, None


def reference_batch(
    specs: Sequence[ColumnSpec], rows: list[list[str | None]], first: int, subject: str | None
) -> tuple[list[dict[str, object]], list[Reject], list[Reject]]:
    accepted_rows: list[dict[str, object]] = []
    rejects: list[Reject] = []
    warnings: list[Reject] = []
    for index, row in enumerate(rows):
        number = first + index
        out: dict[str, object] = {}
        row_rejects: list[Reject] = []
        row_warnings: list[Reject] = []
        for item, raw in zip(specs, row, strict=True):
            value, problem, warning = reference_value(item, raw)
            preview = None if raw is None else raw[:200]
            if problem is not None:
                row_rejects.append(Reject(number, item.label, problem, preview))
            if warning is not None:
                row_warnings.append(Reject(number, item.label, warning, preview))
            out[item.field_name] = value
        rejects += row_rejects
        if not row_rejects:
            warnings += row_warnings
            out[ROW_NUMBER] = number
            out[SUBJECT_ID] = out[subject] if subject else None
            accepted_rows.append(out)
    return accepted_rows, rejects, warnings


REFERENCE_SPECS = [
    spec("name", label="姓名", length=4, required=True),
    spec("id", label="公民身份号码", kind=K.PERSON),
    spec("org", label="统一社会信用代码", kind=K.ORGANISATION),
    spec("age", T.INTEGER, label="年龄"),
    spec("income", T.DECIMAL, label="收入"),
    spec("born", T.DATE, label="出生日期", required=True),
    spec("seen", T.DATETIME, label="登记时间"),
    spec("married", T.BOOLEAN, label="婚否"),
    spec("photo", T.BINARY, label="照片"),
    spec("sex", label="性别", allowed=("男", "女")),
    spec("level", T.INTEGER, label="等级", allowed=("1", "2", "3")),
]

_padding = st.sampled_from(["", "", " ", "\t", "\u3000"])


def _padded(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(_padding, values, _padding).map("".join)


def _valid_id(born: dt.date, sequence: int, region: str) -> str:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + citizen_id_check_char(body)


def _date_text(day: dt.date, form: int) -> str:
    return (
        f"{day:%Y-%m-%d}",
        f"{day.year}/{day.month}/{day.day}",
        f"{day:%Y%m%d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}-{day.month}-{day.day}",
    )[form]


def _datetime_text(moment: dt.datetime, form: int, separator: str, seconds: bool) -> str:
    time = f"{moment.hour}:{moment:%M}" + (f":{moment:%S}" if seconds else "")
    return _date_text(moment.date(), form) + separator + time


_ids = st.builds(
    _valid_id,
    st.dates(dt.date(1890, 1, 1), TODAY),
    st.integers(0, 999),
    st.sampled_from(["110105", "510107", "119999"]),
)
# Values each item accepts (in any accepted spelling), and values that are mostly wrong.
_VALID: dict[str, st.SearchStrategy[str]] = {
    "name": st.text("张三李四王五", min_size=1, max_size=4),
    "id": st.one_of(_ids, _ids.map(str.lower)),
    "org": st.sampled_from([VALID_USCC, VALID_USCC.lower(), "92141127MA0KD1Y64A", "12440600MB2C07549J"]),
    "age": st.from_regex(r"[+-]?[0-9]{1,18}", fullmatch=True),
    "income": st.from_regex(r"[+-]?[0-9]{1,4}(\.[0-9]{0,3})?", fullmatch=True),
    "born": st.builds(_date_text, st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)), st.integers(0, 4)),
    "seen": st.builds(
        _datetime_text,
        st.datetimes(dt.datetime(1000, 1, 1)),
        st.integers(0, 4),
        st.sampled_from(" T"),
        st.booleans(),
    ),
    "married": st.sampled_from(["是", "否", "TRUE", "false", "1", "0", "y", "N"]),
    "photo": st.sampled_from(["aGVsbG8=", "aGk=", "YWJj", "+/+/"]),
    "sex": st.sampled_from(["男", "女"]),
    "level": st.sampled_from(["1", "+2", "03"]),
}
_JUNK: dict[str, st.SearchStrategy[str]] = {
    "name": st.text("张三李四王五 ", max_size=6),
    "id": st.one_of(
        st.builds(
            _valid_id,
            st.dates(dt.date(1880, 1, 1), dt.date(2030, 1, 1)),
            st.integers(0, 999),
            st.just("110105"),
        ),
        st.text("0123456789Xx", max_size=19),
    ),
    "org": st.one_of(st.just("9I110000600037341L"), st.text("0123456789ABXL", max_size=18)),
    "age": st.one_of(
        st.from_regex(r"[+-]?[0-9]{18,21}", fullmatch=True), st.text("0123456789+-.e", max_size=5)
    ),
    "income": st.text("0123456789+-.,", max_size=6),
    "born": st.one_of(
        st.from_regex(
            r"[0-9]{4}(-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2}|[0-9]{4}|年[0-9]{1,2}月[0-9]{1,2}日)",
            fullmatch=True,
        ),
        st.text("0123456789-/年月日 ", max_size=12),
    ),
    "seen": st.one_of(
        st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[ T][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?", fullmatch=True),
        st.text("0123456789-: T", max_size=20),
    ),
    "married": st.sampled_from(["yes", "x", "是的", ""]),
    "photo": st.text("ab+/=", max_size=8),
    "sex": st.sampled_from(["未知", "", "男 女"]),
    "level": st.sampled_from(["4", "x", "1.0"]),
}
_CLEAN_CELLS = [
    _padded(_VALID[item.field_name])
    if item.required
    else st.one_of(st.none(), _padded(_VALID[item.field_name]))
    for item in REFERENCE_SPECS
]
_MESSY_CELLS = [
    st.one_of(st.none(), _padded(_VALID[item.field_name]), _padded(_JUNK[item.field_name]))
    for item in REFERENCE_SPECS
]


@st.composite
def reference_rows(draw: st.DrawFn) -> list[list[str | None]]:
    """Up to 8 rows; about half are clean (every value acceptable), the rest have random problems."""
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        cells = _MESSY_CELLS if draw(st.booleans()) else _CLEAN_CELLS
        rows.append([draw(cell) for cell in cells])
    return rows


@settings(max_examples=300, deadline=None)
@given(reference_rows(), st.integers(1, 10_000), st.sampled_from([None, "id", "org"]))
def test_agrees_with_per_row_reference(rows: list[list[str | None]], first: int, subject: str | None) -> None:
    columns = {item.field_name: [row[i] for row in rows] for i, item in enumerate(REFERENCE_SPECS)}
    result = run(REFERENCE_SPECS, columns, first=first, subject=subject)
    expected_rows, expected_rejects, expected_warnings = reference_batch(
        REFERENCE_SPECS, rows, first, subject
    )
    assert result.rows.to_pylist() == expected_rows
    assert result.rejects == expected_rejects
    assert result.warnings == expected_warnings
    assert result.read == len(rows)


def test_header_without_a_name_is_ignored() -> None:
    header_map = map_headers(["", "name"], [spec("name")])
    assert header_map.unknown == ("",)
    assert [note.reason for note in header_map.warnings()] == ["有一列没有列名，已忽略"]


def test_batch_columns_may_have_clean_names() -> None:
    specs = [spec("name", label="姓名")]
    header_map = map_headers(["\ufeff姓名 "], specs)
    result = validate_batch(pa.record_batch({"姓名": ["张三"]}), header_map, specs, 1, TODAY, None)
    assert result.rows.column("name").to_pylist() == ["张三"]
