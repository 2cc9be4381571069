"""脱敏 rules: concrete outputs per rule, malformed values, defaults from item semantics, and properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.sharing.masking import (
    MASK_RULE_LABELS,
    REDACTED,
    Masker,
    MaskRule,
    age_band,
    compile_rule,
    default_rule,
    mask_column,
    mask_value,
)

KEY = b"0123456789abcdef"
OTHER_KEY = b"fedcba9876543210"
TODAY = dt.date(2025, 6, 1)


def m(rule: MaskRule, value: object) -> object:
    return mask_value(rule, value, key=KEY, today=TODAY)


def test_every_rule_has_a_chinese_label() -> None:
    assert set(MASK_RULE_LABELS) == set(MaskRule)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in MASK_RULE_LABELS.values())


@pytest.mark.parametrize("rule", list(MaskRule))
def test_none_stays_none_for_every_rule(rule: MaskRule) -> None:
    assert m(rule, None) is None
    assert mask_column(rule, [None, None], key=KEY, today=TODAY) == [None, None]


@pytest.mark.parametrize("rule", [r for r in MaskRule if r is not MaskRule.NONE])
def test_blank_strings_stay_blank(rule: MaskRule) -> None:
    assert m(rule, "") == ""
    assert m(rule, "   ") == ""


def test_none_rule_passes_values_through_unchanged() -> None:
    values = ["张三", 42, dt.date(1990, 1, 1), Decimal("1.50"), None]
    assert mask_column(MaskRule.NONE, values, key=KEY) == values


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),  # 复姓: only the first character is kept
        ("李", "*"),  # a single character would be the whole value
        (" 王小明 ", "王**"),
        ("阿依古丽·买买提", "阿*******"),
        ("John Smith", "J*********"),
    ],
)
def test_name(value: str, expected: str) -> None:
    assert m(MaskRule.NAME, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("51010419900101123X", "510104********123X"),
        ("51010419900101123x", "510104********123X"),  # lower-case x is normalised
        ("510104199001011234", "510104********1234"),
        (510104199001011234, "510104********1234"),  # stored as an integer
        (" 510104199001011234 ", "510104********1234"),
        ("510104900101123", "510104******123"),  # 15-digit: the whole YYMMDD is masked
        ("12345", "*****"),  # malformed: fully masked, length kept
        ("5101041990010112345", "*******************"),  # 19 digits: not an ID number
        ("51010419900101123Y", "******************"),
        # full-width digits are not accepted
        ("５１０１０４１９９００１０１１２３４５", "*******************"),
    ],
)
def test_id_number(value: object, expected: str) -> None:
    assert m(MaskRule.ID_NUMBER, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "138****5678"),
        (13812345678, "138****5678"),
        ("138-1234-5678", "138-****-5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("028-85123456", "028-******56"),  # landline: area code and the last two digits
        ("(028)85123456", "(028)******56"),
        ("010-12345678", "010-******78"),
        ("0838-2212345", "0838-*****45"),
        ("02885123456", "028******56"),
        ("85123456", "******56"),  # local number without area code
        ("12345", "*****"),  # unrecognised shapes are masked whole
        ("400-123-4567", "************"),
        ("phone", "*****"),
        ("138123456789", "************"),
    ],
)
def test_phone(value: object, expected: str) -> None:
    assert m(MaskRule.PHONE, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("6222021234567890123", "622202*********0123"),
        ("6222021234567890", "622202******7890"),
        ("6222 0212 3456 7890", "6222 02** **** 7890"),
        (6222021234567890, "622202******7890"),
        ("123456789012", "********9012"),  # short account number: only the last 4 kept
        ("12345", "*****"),
        ("6222abc", "*******"),
    ],
)
def test_bank_card(value: object, expected: str) -> None:
    assert m(MaskRule.BANK_CARD, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("四川省成都市武侯区人民南路四段1号", "四川省成都市武侯区****"),
        ("北京市海淀区中关村大街1号", "北京市海淀区****"),
        ("北京市市辖区东城区王府井大街", "北京市市辖区东城区****"),
        ("重庆市万州区高笋塘1号", "重庆市万州区****"),
        ("北京市通州区新华大街", "北京市通州区****"),
        ("广州市天河区体育西路", "广州市天河区****"),
        ("四川省阿坝藏族羌族自治州马尔康市达萨街1号", "四川省阿坝藏族羌族自治州马尔康市****"),
        ("内蒙古自治区锡林郭勒盟正蓝旗上都镇", "内蒙古自治区锡林郭勒盟正蓝旗****"),
        ("新疆维吾尔自治区乌鲁木齐市天山区解放路", "新疆维吾尔自治区乌鲁木齐市天山区****"),
        ("四川省成都市都江堰市幸福镇", "四川省成都市都江堰市****"),  # county-level city
        ("山东省济南市市中区经四路", "山东省济南市市中区****"),
        ("山西省太原市小店区", "山西省太原市小店区****"),
        ("湖北省神农架林区松柏镇", "湖北省神农架林区****"),
        (
            "云南省临沧市双江拉祜族佤族布朗族傣族自治县勐勐镇",
            "云南省临沧市双江拉祜族佤族布朗族傣族自治县****",
        ),
        ("苏州市人民路100号", "苏州市****"),
        ("成都市幸福小区3栋", "成都市****"),  # a 小区 is not a 区
        ("人民南路四段1号", "****"),  # no division recognised: nothing kept
        ("四川省", "四川省****"),
    ],
)
def test_address(value: str, expected: str) -> None:
    assert m(MaskRule.ADDRESS, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zhangsan@example.com", "z***@example.com"),
        ("a@b.cn", "a***@b.cn"),
        ("张三@例子.中国", "张***@例子.中国"),
        ("zhangsan.example.com", REDACTED),  # no @
        ("@example.com", REDACTED),
        ("zhangsan@", REDACTED),
        ("zhang san@example.com", REDACTED),
    ],
)
def test_email(value: str, expected: str) -> None:
    assert m(MaskRule.EMAIL, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("510104199001011234", "30-39岁"),  # ID number: born 1990-01-01, 35 on 2025-06-01
        ("510104900101123", "30-39岁"),  # 15-digit ID number, 19xx
        (dt.date(1995, 6, 1), "30-39岁"),  # 30th birthday today
        (dt.date(1995, 6, 2), "18-29岁"),  # 30th birthday tomorrow
        (dt.datetime(2007, 6, 1, 8, 30), "18-29岁"),
        (dt.date(2007, 6, 2), "0-17岁"),  # one day short of 18
        ("1960-03-15", "60-69岁"),
        ("1960年3月15日", "60-69岁"),
        ("19600315", "60-69岁"),
        (35, "30-39岁"),
        ("35", "30-39岁"),
        (Decimal("49.9"), "40-49岁"),
        (0, "0-17岁"),
        (95, "90岁及以上"),
        (dt.date(2030, 1, 1), REDACTED),  # born in the future
        (-1, REDACTED),
        (151, REDACTED),
        ("1960-03", REDACTED),  # no day: an age would be a guess
        ("abc", REDACTED),
        (True, REDACTED),
        ("51010419901301123X", REDACTED),  # month 13
    ],
)
def test_age_band(value: object, expected: str) -> None:
    assert m(MaskRule.AGE_BAND, value) == expected


def test_age_band_column_of_id_numbers_is_consistent() -> None:
    values = ["51010419900101123Y", "510104199001011234", "510104199013011234", "51010419900101123x", 35]
    assert mask_column(MaskRule.AGE_BAND, values, key=KEY, today=TODAY) == [
        REDACTED,
        "30-39岁",
        REDACTED,
        "30-39岁",
        "30-39岁",
    ]


def test_age_bands_are_ten_years_wide_after_the_minor_and_first_adult_band() -> None:
    assert [age_band(a) for a in (17, 18, 29, 30, 39, 40, 89, 90, 120)] == [
        "0-17岁",
        "18-29岁",
        "18-29岁",
        "30-39岁",
        "30-39岁",
        "40-49岁",
        "80-89岁",
        "90岁及以上",
        "90岁及以上",
    ]


def test_age_band_needs_an_injected_date() -> None:
    with pytest.raises(ValueError, match="today"):
        mask_value(MaskRule.AGE_BAND, 35, key=KEY)
    with pytest.raises(ValueError, match="today"):
        Masker({"nl": MaskRule.AGE_BAND}, key=KEY)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(1990, 5, 1), "1990年"),
        (dt.datetime(1990, 5, 1, 12, 0), "1990年"),
        ("1990-05-01", "1990年"),
        ("1990/5/1", "1990年"),
        ("1990-05-01 10:20:30", "1990年"),
        ("1990年5月1日", "1990年"),
        ("1990年5月", "1990年"),
        ("19900501", "1990年"),
        ("1990", "1990年"),
        (1990, "1990年"),
        ("510104199001011234", "1990年"),
        ("1990-13-01", REDACTED),
        ("去年", REDACTED),
        (12, REDACTED),
    ],
)
def test_year_only(value: object, expected: str) -> None:
    assert m(MaskRule.YEAR_ONLY, value) == expected


def test_pseudonym_is_deterministic_per_key_and_differs_across_keys() -> None:
    value = "510104199001011234"
    first = mask_value(MaskRule.PSEUDONYM, value, key=KEY)
    assert isinstance(first, str) and len(first) == 32
    assert all(ch in "0123456789abcdef" for ch in first)
    assert mask_value(MaskRule.PSEUDONYM, value, key=KEY) == first
    assert mask_value(MaskRule.PSEUDONYM, value, key=OTHER_KEY) != first
    assert mask_value(MaskRule.PSEUDONYM, "510104199001011235", key=KEY) != first
    assert mask_column(MaskRule.PSEUDONYM, [value, None, value], key=KEY) == [first, None, first]


def test_pseudonym_joins_across_representations() -> None:
    as_text = mask_value(MaskRule.PSEUDONYM, "51010419900101123X", key=KEY)
    assert mask_value(MaskRule.PSEUDONYM, " 51010419900101123x", key=KEY) == as_text
    number = mask_value(MaskRule.PSEUDONYM, "13812345678", key=KEY)
    assert mask_value(MaskRule.PSEUDONYM, 13812345678, key=KEY) == number


def test_pseudonym_is_hmac_sm3() -> None:
    from cryptography.hazmat.primitives import hashes, hmac

    h = hmac.HMAC(KEY, hashes.SM3())
    h.update("张三".encode())
    assert mask_value(MaskRule.PSEUDONYM, "张三", key=KEY) == h.finalize().hex()[:32]


def test_pseudonym_refuses_a_short_key() -> None:
    with pytest.raises(ValueError, match="密钥"):
        mask_value(MaskRule.PSEUDONYM, "张三", key=b"short")
    with pytest.raises(ValueError, match="密钥"):
        Masker({"xm": MaskRule.PSEUDONYM}, key=b"")
    # a key is only checked where a pseudonym needs it
    assert Masker({"xm": MaskRule.NAME}, key=b"").row({"xm": "张三"}) == {"xm": "张*"}


@pytest.mark.parametrize(
    "value", ["张三", 7, 3.5, Decimal("12.30"), dt.date(1990, 1, 1), True, b"\xff", object()]
)
def test_redact(value: object) -> None:
    assert m(MaskRule.REDACT, value) == REDACTED


def test_rules_accept_their_string_values() -> None:
    assert mask_value("name", "张三", key=KEY) == "张*"
    assert mask_column("id_number", ["510104199001011234"], key=KEY) == ["510104********1234"]


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("boom")


@pytest.mark.parametrize("rule", list(MaskRule))
def test_a_value_that_cannot_be_converted_is_hidden_not_fatal(rule: MaskRule) -> None:
    out = mask_column(rule, ["x", _Unprintable(), None], key=KEY, today=TODAY)
    if rule is not MaskRule.NONE:
        assert out[1] == REDACTED
    assert out[2] is None
    assert out[0] == m(rule, "x")


def _rules() -> dict[str, MaskRule]:
    return {
        "xm": MaskRule.NAME,
        "sfzh": MaskRule.ID_NUMBER,
        "lxdh": MaskRule.PHONE,
        "csrq": MaskRule.YEAR_ONLY,
        "nl": MaskRule.AGE_BAND,
        "gmsfhm_pseudo": MaskRule.PSEUDONYM,
        "xb": MaskRule.NONE,
    }


ROWS = [
    {
        "xm": "张三",
        "sfzh": "51010419900101123X",
        "lxdh": "13812345678",
        "csrq": dt.date(1990, 1, 1),
        "nl": "51010419900101123X",
        "gmsfhm_pseudo": "51010419900101123X",
        "xb": "男",
    },
    {
        "xm": "欧阳娜娜",
        "sfzh": "12345",
        "lxdh": None,
        "csrq": "2001-09-30",
        "nl": 17,
        "gmsfhm_pseudo": "510104200109301111",
        "xb": None,
    },
]


def test_masker_row_masks_each_field_by_its_rule() -> None:
    masker = Masker(_rules(), key=KEY, today=TODAY)
    assert masker.row(ROWS[0]) == {
        "xm": "张*",
        "sfzh": "510104********123X",
        "lxdh": "138****5678",
        "csrq": "1990年",
        "nl": "30-39岁",
        "gmsfhm_pseudo": mask_value(MaskRule.PSEUDONYM, "51010419900101123X", key=KEY),
        "xb": "男",
    }
    assert masker.masked_fields == ["xm", "sfzh", "lxdh", "csrq", "nl", "gmsfhm_pseudo"]
    assert masker.rules["xb"] is MaskRule.NONE


def test_masker_row_and_column_agree() -> None:
    masker = Masker(_rules(), key=KEY, today=TODAY)
    by_row = [masker.row(r) for r in ROWS]
    for field in _rules():
        assert masker.column(field, [r[field] for r in ROWS]) == [r[field] for r in by_row]


def test_masker_fails_closed_on_fields_without_a_rule() -> None:
    masker = Masker({"xm": MaskRule.NAME}, key=KEY)
    assert masker.row({"xm": "张三", "sfzh": "510104199001011234"}) == {"xm": "张*"}
    with pytest.raises(KeyError):
        masker.column("sfzh", ["510104199001011234"])


def test_compiled_rule_is_reusable() -> None:
    fn = compile_rule(MaskRule.PHONE, key=KEY)
    assert [fn(v) for v in ("13812345678", "010-12345678")] == ["138****5678", "010-******78"]


def _default(
    item_name: str,
    field_name: str = "x",
    *,
    kind: str = "none",
    data_type: str = "string",
    sensitivity: int = 3,
) -> MaskRule:
    return default_rule(
        field_name=field_name,
        item_name=item_name,
        identifier_kind=kind,
        data_type=data_type,
        sensitivity=sensitivity,
    )


@pytest.mark.parametrize(
    ("item_name", "expected"),
    [
        ("姓名", MaskRule.NAME),
        ("户主姓名", MaskRule.NAME),
        ("法定代表人", MaskRule.NAME),  # ends in 人: holds a person's name
        ("联系人", MaskRule.NAME),
        ("账户名称", MaskRule.NAME),
        ("公民身份号码", MaskRule.ID_NUMBER),
        ("法定代表人身份证号码", MaskRule.ID_NUMBER),
        ("证件号码", MaskRule.ID_NUMBER),
        ("联系电话", MaskRule.PHONE),
        ("手机号码", MaskRule.PHONE),
        ("联系人电话", MaskRule.PHONE),
        ("银行卡号", MaskRule.BANK_CARD),
        ("开户银行账号", MaskRule.BANK_CARD),
        ("户籍地址", MaskRule.ADDRESS),
        ("现住址", MaskRule.ADDRESS),
        ("身份证地址", MaskRule.ADDRESS),  # the head noun comes last
        ("户籍所在地", MaskRule.ADDRESS),
        ("电子邮箱", MaskRule.EMAIL),
        ("电子邮箱地址", MaskRule.EMAIL),
        ("出生日期", MaskRule.YEAR_ONLY),
        ("年龄", MaskRule.AGE_BAND),
        ("婚姻状况", MaskRule.REDACT),
        ("民族", MaskRule.REDACT),
    ],
)
def test_default_rule_from_chinese_item_names(item_name: str, expected: MaskRule) -> None:
    assert _default(item_name) is expected


@pytest.mark.parametrize(
    ("field_name", "expected"),
    [
        ("person_name", MaskRule.NAME),
        ("xm", MaskRule.NAME),
        ("sfzh", MaskRule.ID_NUMBER),
        ("id_card_address", MaskRule.ADDRESS),
        ("contact_tel", MaskRule.PHONE),
        ("hotel_grade", MaskRule.REDACT),  # tel only as a whole token
        ("email", MaskRule.EMAIL),
        ("birth_date", MaskRule.YEAR_ONLY),
        ("bank_card_no", MaskRule.BANK_CARD),
    ],
)
def test_default_rule_falls_back_to_the_field_name(field_name: str, expected: MaskRule) -> None:
    assert _default("其他信息", field_name) is expected


def test_default_rule_by_sensitivity_and_identifier_kind() -> None:
    assert _default("姓名", sensitivity=1) is MaskRule.NONE
    assert _default("姓名", sensitivity=2) is MaskRule.NONE
    assert _default("姓名", sensitivity=4) is MaskRule.NAME
    assert _default("公民身份号码", kind="person", sensitivity=2) is MaskRule.NONE
    assert _default("人员标识", kind="person", sensitivity=3) is MaskRule.ID_NUMBER
    assert _default("统一社会信用代码", kind="organisation", sensitivity=4) is MaskRule.NONE
    assert _default("死亡日期", data_type="date") is MaskRule.YEAR_ONLY  # an unrecognised date keeps its year
    assert _default("死亡日期", data_type="string") is MaskRule.REDACT


# --- properties ----------------------------------------------------------------------------------------------

_digits = st.text(alphabet="0123456789", min_size=1)


@given(body=st.text(alphabet="0123456789", min_size=17, max_size=17), last=st.sampled_from("0123456789X"))
def test_an_id_number_never_comes_back_whole(body: str, last: str) -> None:
    value = body + last
    out = mask_value(MaskRule.ID_NUMBER, value, key=KEY)
    assert isinstance(out, str) and out != value and len(out) == len(value)
    assert out[:6] == value[:6] and out[-4:] == value[-4:] and out[6:14] == "********"


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_a_mobile_number_never_comes_back_whole(rest: str) -> None:
    value = "1" + rest
    out = mask_value(MaskRule.PHONE, value, key=KEY)
    assert isinstance(out, str) and out != value and len(out) == len(value) == 11


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_any_eleven_digits_never_come_back_whole(value: str) -> None:
    out = mask_value(MaskRule.PHONE, value, key=KEY)
    assert isinstance(out, str) and out != value and len(out) == len(value)


@given(st.text(alphabet="0123456789", min_size=16, max_size=19))
def test_a_bank_card_never_comes_back_whole(value: str) -> None:
    out = mask_value(MaskRule.BANK_CARD, value, key=KEY)
    assert isinstance(out, str) and out != value and len(out) == len(value)
    assert out[:6] == value[:6] and out[-4:] == value[-4:]


@given(st.text())
def test_identifying_numbers_never_come_back_whole_whatever_the_text(value: str) -> None:
    for rule in (MaskRule.ID_NUMBER, MaskRule.PHONE, MaskRule.BANK_CARD):
        out = mask_value(rule, value, key=KEY)
        assert isinstance(out, str) and len(out) == len(value.strip())
        assert out != value.strip() or set(value.strip()) <= {"*"}


_values = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.floats(allow_nan=True),
    st.decimals(allow_nan=True),
    st.dates(),
    st.datetimes(),
    st.booleans(),
    st.binary(),
)


@given(rule=st.sampled_from(list(MaskRule)), value=_values)
def test_no_value_makes_masking_raise(rule: MaskRule, value: object) -> None:
    out = mask_value(rule, value, key=KEY, today=TODAY)
    assert (out is None) == (value is None)
    assert mask_column(rule, [value], key=KEY, today=TODAY) == [out]
