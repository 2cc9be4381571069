"""Citizen ID and USCC checks: against python-stdnum, scalar against vectorised, and the named cases."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from govdata.pool.identifiers import (
    _region_table,
    check_citizen_id,
    check_citizen_ids,
    check_uscc,
    check_usccs,
    citizen_id_check_char,
    org_code_check_char,
    region_known,
    uscc_check_char,
)

TODAY = dt.date(2026, 11, 20)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Published codes of real organisations (python-stdnum issue #207, GitHub issues of USCC validators).
REAL_USCCS = (
    "91110000600037341L",
    "91420684MA4927PJ7B",
    "91620105794891756D",
    "121200004013590816",
    "9144030071526726XG",
    "91310115MA1K3BTP2B",
    "9162010558590643X0",
    "91620105MA73NBBLXE",
    "92141127MA0KD1Y64A",
    "12440600MB2C07549J",
)


def stdnum_ric_valid(number: str) -> bool:
    """stdnum.cn.ric.is_valid, which raises KeyError for a known province with an unknown county."""
    try:
        return ric.is_valid(number)
    except KeyError:
        return False


def make_citizen_id(region: str, born: dt.date, sequence: int) -> str:
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + citizen_id_check_char(body)


def make_uscc(head: str, region: str, org_body: str) -> str:
    """A USCC with correct inner (GB 11714) and outer (GB 32100) check characters."""
    prefix = head + region + org_body + org_code_check_char(org_body)
    return prefix + uscc_check_char(prefix)


@st.composite
def known_citizen_ids(draw: st.DrawFn) -> str:
    """IDs whose region code stdnum's table knows for the birth year, with real dates and right check digits."""
    table = _region_table()
    code = draw(st.sampled_from(sorted(table.by_code)))
    start, end = draw(st.sampled_from(table.by_code[code]))
    first = max(dt.date(max(start, 1890), 1, 1), dt.date(1890, 1, 1))
    last = min(dt.date(min(end, 9999), 12, 31), TODAY)
    if first > last:
        first = last = TODAY  # an interval wholly in the future cannot be drawn; fall back
        code = "110105"
    born = draw(st.dates(min_value=first, max_value=last))
    return make_citizen_id(code, born, draw(st.integers(0, 999)))


org_body_chars = st.sampled_from([c for c in USCC_ALPHABET])


@st.composite
def valid_usccs(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from("123456789")) + draw(st.sampled_from("123459"))
    region = draw(st.from_regex(r"[0-9]{6}", fullmatch=True))
    org_body = "".join(draw(st.lists(org_body_chars, min_size=8, max_size=8)))
    code = make_uscc(head, region, org_body)
    # The inner check character is 0-9 or X, all in the USCC alphabet; an inner body with letters is fine too.
    return code


# --------------------------------------------------------------------------------------------------------
# Citizen ID: named cases


def test_known_valid_id() -> None:
    result = check_citizen_id("11010519491231002X", TODAY)
    assert result.ok and result.normalised == "11010519491231002X" and result.error is None
    assert result.warning is None
    assert ric.is_valid("11010519491231002X")


def test_lowercase_x_is_normalised() -> None:
    result = check_citizen_id("11010519491231002x", TODAY)
    assert result.ok and result.normalised == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", "公民身份号码校验码错误（应为 X）"),
        ("110105190002290027", "出生日期 19000229 无效"),  # 1900 is not a leap year
        ("110105199002310021", "出生日期 19900231 无效"),
        ("110105203001010021", "出生日期 20300101 晚于当前日期"),
        ("110105188912310021", "出生日期 18891231 早于 1890 年"),
        ("110105491231002", "15 位旧身份证号码请换算为 18 位"),
        ("1101051949123100", "长度应为 18 位（实际 16 位）"),
        ("11010519491231002XX", "长度应为 18 位（实际 19 位）"),
        ("11010519491231A02X", "公民身份号码含非法字符 A（前 17 位应为数字，末位为数字或 X）"),
        ("11010519491231002Ｘ", "公民身份号码含非法字符 Ｘ（前 17 位应为数字，末位为数字或 X）"),
    ],
)
def test_citizen_id_reasons(value: str, reason: str) -> None:
    result = check_citizen_id(value, TODAY)
    assert not result.ok and result.normalised is None
    assert result.error == reason
    vector = check_citizen_ids(pa.array([value]), TODAY)
    assert not vector.ok[0] and vector.errors == {0: reason}


def test_feb_29_in_leap_year_is_fine() -> None:
    assert check_citizen_id(make_citizen_id("110105", dt.date(2000, 2, 29), 12), TODAY).ok
    assert not check_citizen_id(
        "110105" + "20230229" + "001" + citizen_id_check_char("11010520230229001"), TODAY
    ).ok


def test_birth_date_is_compared_with_the_given_today() -> None:
    number = make_citizen_id("110105", dt.date(2026, 11, 21), 1)
    assert not check_citizen_id(number, TODAY).ok
    assert check_citizen_id(number, dt.date(2026, 11, 21)).ok
    assert check_citizen_ids(pa.array([number]), dt.date(2026, 11, 21)).ok.all()
    assert not check_citizen_ids(pa.array([number]), TODAY).ok.any()


def test_unknown_region_is_a_warning_not_a_rejection() -> None:
    number = make_citizen_id("119999", dt.date(1990, 1, 1), 1)
    result = check_citizen_id(number, TODAY)
    assert result.ok and result.warning == "行政区划代码 119999 在出生年份不可识别"
    vector = check_citizen_ids(pa.array([number]), TODAY)
    assert vector.ok[0] and vector.warnings == {0: "行政区划代码 119999 在出生年份不可识别"}
    assert not stdnum_ric_valid(number)


def test_region_valid_only_in_some_years() -> None:
    # 110103 崇文区 was merged into 东城区 in 2010: fine for someone born in 1980, unknown for 2015.
    assert region_known("110103", 1980) and not region_known("110103", 2015)
    assert check_citizen_id(make_citizen_id("110103", dt.date(1980, 5, 1), 1), TODAY).warning is None
    assert check_citizen_id(make_citizen_id("110103", dt.date(2015, 5, 1), 1), TODAY).warning is not None


# --------------------------------------------------------------------------------------------------------
# Citizen ID: against stdnum


@settings(max_examples=300, deadline=None)
@given(known_citizen_ids())
def test_generated_ids_are_valid_for_us_and_stdnum(number: str) -> None:
    result = check_citizen_id(number, TODAY)
    assert result.ok and result.warning is None, result
    assert stdnum_ric_valid(number)
    assert check_citizen_ids(pa.array([number.lower()]), TODAY).ok.all()


@settings(max_examples=300, deadline=None)
@given(known_citizen_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_one_changed_character_is_rejected(number: str, position: int, char: str) -> None:
    if number[position] == char or (position < 17 and char == "X"):
        char = "0" if number[position] != "0" else "1"
    mutated = number[:position] + char + number[position + 1 :]
    assert not check_citizen_id(mutated, TODAY).ok
    assert not stdnum_ric_valid(mutated)  # MOD 11-2 catches every single substitution


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(["110105", "110103", "119999", "510107", "513200", "990000", "370000"]),
    st.from_regex(r"(18[5-9][0-9]|19[0-9]{2}|20[0-3][0-9])(0[0-9]|1[0-3])([0-3][0-9])", fullmatch=True),
    st.integers(0, 999),
    st.booleans(),
)
def test_agrees_with_stdnum(region: str, birth: str, sequence: int, right_check: bool) -> None:
    body = f"{region}{birth}{sequence:03d}"
    check = citizen_id_check_char(body)
    number = body + (check if right_check else ("0" if check != "0" else "1"))
    ours = check_citizen_id(number, TODAY)
    theirs = stdnum_ric_valid(number)
    if ours.ok and ours.warning is None:
        assert theirs
    if theirs:
        born = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
        assert ours.ok == (dt.date(1890, 1, 1) <= born <= TODAY)
    # The array check decides exactly as the scalar one.
    vector = check_citizen_ids(pa.array([number]), TODAY)
    assert bool(vector.ok[0]) == ours.ok
    assert vector.errors.get(0) == ours.error and vector.warnings.get(0) == ours.warning


# --------------------------------------------------------------------------------------------------------
# Citizen ID: scalar vs vectorised on a mixed column


def mixed_citizen_ids(count: int, seed: int) -> list[str | None]:
    rnd = random.Random(seed)
    regions = [*sorted(_region_table().by_code)[::97], "119999", "000000"]
    values: list[str | None] = []
    for _ in range(count):
        born = dt.date(1880, 1, 1) + dt.timedelta(days=rnd.randint(0, 150 * 366))
        number = make_citizen_id(rnd.choice(regions), born, rnd.randint(0, 999))
        kind = rnd.randint(0, 11)
        if kind == 1:
            number = number.lower()
        elif kind == 2:
            i = rnd.randint(0, 17)
            number = number[:i] + rnd.choice("0123456789X") + number[i + 1 :]
        elif kind == 3:
            number = number[:15]
        elif kind == 4:
            number = number[: rnd.randint(0, 20)] + rnd.choice(["", "1", "X", "中"])
        elif kind == 5:
            number = None
        elif kind == 6:
            number = number[:10] + "0230" + number[14:17]
            number += citizen_id_check_char(number)
        elif kind == 7:
            number = number[:17] + rnd.choice("xX中 ")
        elif kind == 8:
            number = "".join(rnd.choice("0123456789Xx-中 ") for _ in range(18))
        values.append(number)
    return values


@pytest.mark.parametrize("seed", [1, 2])
def test_scalar_and_vectorised_citizen_ids_agree(seed: int) -> None:
    values = mixed_citizen_ids(10_000, seed)
    array = pa.array(values, pa.string())
    result = check_citizen_ids(array, TODAY)
    assert len(result.ok) == len(values)
    for i, value in enumerate(values):
        if value is None:
            assert result.ok[i] and i not in result.errors and result.normalised[i].as_py() is None
            continue
        scalar = check_citizen_id(value, TODAY)
        assert bool(result.ok[i]) == scalar.ok, (value, scalar)
        assert result.errors.get(i) == scalar.error, value
        assert result.warnings.get(i) == scalar.warning, value
        if scalar.ok:
            assert result.normalised[i].as_py() == scalar.normalised
    assert 0 < int(result.ok.sum()) < len(values)


def test_vectorised_accepts_sliced_and_chunked_input() -> None:
    values = mixed_citizen_ids(500, 3)
    whole = check_citizen_ids(pa.array(values, pa.string()), TODAY)
    sliced = check_citizen_ids(pa.array(values, pa.string()).slice(100, 300), TODAY)
    assert (sliced.ok == whole.ok[100:400]).all()
    assert sliced.errors == {i - 100: e for i, e in whole.errors.items() if 100 <= i < 400}
    chunked = check_citizen_ids(pa.chunked_array([values[:250], values[250:]], pa.string()), TODAY)
    assert (chunked.ok == whole.ok).all() and chunked.errors == whole.errors
    large = check_citizen_ids(pa.array(values, pa.large_string()), TODAY)
    assert (large.ok == whole.ok).all()


def test_empty_and_all_null_columns() -> None:
    assert len(check_citizen_ids(pa.array([], pa.string()), TODAY).ok) == 0
    assert check_citizen_ids(pa.nulls(3, pa.string()), TODAY).ok.all()
    assert check_usccs(pa.nulls(3, pa.string())).ok.all()


# --------------------------------------------------------------------------------------------------------
# USCC


@pytest.mark.parametrize("code", REAL_USCCS)
def test_real_codes_pass(code: str) -> None:
    result = check_uscc(code)
    assert result.ok and result.warning is None and result.normalised == code
    assert uscc.is_valid(code)
    assert check_usccs(pa.array([code.lower()])).ok.all()


def test_lowercase_uscc_is_normalised() -> None:
    assert check_uscc("91110000600037341l").normalised == "91110000600037341L"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("9I110000600037341L", "统一社会信用代码含非法字符 I"),
        ("91110000600O37341L", "统一社会信用代码含非法字符 O"),
        ("91110000600037341Z", "统一社会信用代码含非法字符 Z"),
        ("91110000600037341M", "统一社会信用代码校验码错误（应为 L）"),
        ("9111000060003734", "长度应为 18 位（实际 16 位）"),
        ("91A10000600037341L", "统一社会信用代码第 3–8 位（登记管理机关行政区划码）应为数字"),
    ],
)
def test_uscc_reasons(value: str, reason: str) -> None:
    result = check_uscc(value)
    assert not result.ok and result.error == reason
    vector = check_usccs(pa.array([value]))
    assert not vector.ok[0] and vector.errors == {0: reason}


def test_inner_organisation_code_is_checked() -> None:
    # Right outer check character, wrong GB 11714 check digit inside (600037342 instead of 600037341).
    prefix = "91110000600037342"
    code = prefix + uscc_check_char(prefix)
    assert uscc.is_valid(code)  # stdnum does not look inside
    result = check_uscc(code)
    assert not result.ok
    assert result.error == "组织机构代码校验位错误（第 9–17 位 600037342 的末位应为 1）"
    assert check_usccs(pa.array([code])).errors == {0: result.error}


def test_individual_business_with_bad_inner_code_is_only_flagged() -> None:
    prefix = "92110000600037342"
    code = prefix + uscc_check_char(prefix)
    result = check_uscc(code)
    assert result.ok and result.warning is not None and "组织机构代码校验位错误" in result.warning
    vector = check_usccs(pa.array([code]))
    assert vector.ok[0] and vector.warnings == {0: result.warning}


def test_letters_are_allowed_in_the_first_two_positions() -> None:
    code = make_uscc("N2", "110105", "MA01234A")
    assert check_uscc(code).ok
    assert not uscc.is_valid(code)  # stdnum requires digits there; GB 32100 does not


@settings(max_examples=300, deadline=None)
@given(valid_usccs())
def test_generated_usccs_are_valid_for_us_and_stdnum(code: str) -> None:
    assert check_uscc(code).ok
    assert check_uscc(code).warning is None
    assert uscc.is_valid(code)


@settings(max_examples=300, deadline=None)
@given(valid_usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_one_changed_uscc_character_is_rejected(code: str, position: int, char: str) -> None:
    if code[position] == char:
        char = "0" if char != "0" else "1"
    mutated = code[:position] + char + code[position + 1 :]
    assert not check_uscc(mutated).ok  # MOD 31 catches every single substitution
    assert not uscc.is_valid(mutated)


@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"[1-9][1-9][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{9}", fullmatch=True), st.booleans())
def test_uscc_agrees_with_stdnum(prefix: str, right_check: bool) -> None:
    check = uscc_check_char(prefix)
    code = prefix + (check if right_check else USCC_ALPHABET[(USCC_ALPHABET.index(check) + 1) % 31])
    ours = check_uscc(code)
    inner_ok = org_code_check_char(code[8:16]) == code[16]
    assert ours.ok == (uscc.is_valid(code) and (inner_ok or code.startswith("92")))
    vector = check_usccs(pa.array([code]))
    assert bool(vector.ok[0]) == ours.ok and vector.errors.get(0) == ours.error


def mixed_usccs(count: int, seed: int) -> list[str | None]:
    rnd = random.Random(seed)
    values: list[str | None] = []
    for _ in range(count):
        head = rnd.choice(["91", "92", "12", "52", "N2", "Y1"])
        body = "".join(rnd.choice(USCC_ALPHABET) for _ in range(8))
        code = make_uscc(head, f"{rnd.randint(0, 999999):06d}", body)
        kind = rnd.randint(0, 9)
        if kind == 1:
            code = code.lower()
        elif kind == 2:
            i = rnd.randint(0, 17)
            code = code[:i] + rnd.choice(USCC_ALPHABET + "IOSVZ中") + code[i + 1 :]
        elif kind == 3:
            code = code[: rnd.randint(0, 20)]
        elif kind == 4:
            code = None
        elif kind == 5:
            prefix = code[:16] + rnd.choice("0123456789X")  # likely a wrong inner check digit
            code = prefix + uscc_check_char(prefix)
        elif kind == 6:
            code = "".join(rnd.choice(USCC_ALPHABET + "io中 ") for _ in range(18))
        values.append(code)
    return values


def test_scalar_and_vectorised_usccs_agree() -> None:
    values = mixed_usccs(10_000, 7)
    result = check_usccs(pa.array(values, pa.string()))
    for i, value in enumerate(values):
        if value is None:
            assert result.ok[i]
            continue
        scalar = check_uscc(value)
        assert bool(result.ok[i]) == scalar.ok, (value, scalar)
        assert result.errors.get(i) == scalar.error, value
        assert result.warnings.get(i) == scalar.warning, value
    assert 0 < int(result.ok.sum()) < len(values)
    assert result.warnings  # some individual businesses with a bad inner code


def test_vectorised_ok_is_numpy_bool() -> None:
    result = check_usccs(pa.array(["91110000600037341L", None]))
    assert result.ok.dtype == np.bool_ and result.ok.tolist() == [True, True]
    assert result.normalised.to_pylist() == ["91110000600037341L", None]


def test_stdnum_reference_is_what_we_think() -> None:
    # Guard against a stdnum upgrade changing the reference silently.
    with pytest.raises(ValidationError):
        ric.validate("110105194912310021")
    assert uscc.calc_check_digit("91110000600037341") == "L"
