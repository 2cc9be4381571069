"""脱敏: desensitisation applied where data leaves — the sharing exchange and the open portal (SEC-3, SHARE-5).

Data is stored whole and masked on the way out, so one pool serves every grant with the masking that grant needs.
Exports run to millions of rows, so a rule is compiled once into a plain function (key set up, reference date
bound) and applied column-wise: no per-value rule dispatch, no regex compiled in a loop. Malformed values never
raise; when a value does not have the expected shape it is masked whole, so masking never leaks an original.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum

from cryptography.hazmat.primitives import hashes, hmac

REDACTED = "******"
ADDRESS_TAIL = "****"
PSEUDONYM_LENGTH = 32
MIN_KEY_BYTES = 16  # an ID number has few possible values; a short key would let them be enumerated

MaskFn = Callable[[object], object]


class MaskRule(StrEnum):
    NONE = "none"
    NAME = "name"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    BANK_CARD = "bank_card"
    ADDRESS = "address"
    EMAIL = "email"
    AGE_BAND = "age_band"
    YEAR_ONLY = "year_only"
    PSEUDONYM = "pseudonym"
    REDACT = "redact"


MASK_RULE_LABELS: dict[MaskRule, str] = {
    MaskRule.NONE: "不脱敏：原样提供",
    MaskRule.NAME: "姓名：保留首字，其余每字以*代替（张三→张*）",
    MaskRule.ID_NUMBER: "公民身份号码：保留前6位与后4位（15位旧号保留前6位与后3位），出生日期等以*代替",
    MaskRule.PHONE: "电话号码：手机保留前3位与后4位（138****5678），固定电话保留区号与后2位",
    MaskRule.BANK_CARD: "银行卡号：保留前6位与后4位，其余以*代替",
    MaskRule.ADDRESS: "地址：保留至县（区）一级，其后以****代替",
    MaskRule.EMAIL: "电子邮箱：保留用户名首字符与域名（z***@example.com）",
    MaskRule.AGE_BAND: "年龄泛化：按出生日期或身份证号码折算为年龄段（未成年人为0-17岁，其后10岁一档，90岁及以上合并）",
    MaskRule.YEAR_ONLY: "日期泛化：只保留年份（1990年）",
    MaskRule.PSEUDONYM: "假名化：以密钥计算SM3消息认证码替代原值，同一密钥下同值同码，可用于关联",
    MaskRule.REDACT: "完全遮盖：以******代替",
}


# --- text form -----------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    """The text a non-string value is masked as: digits for numbers, ISO form for dates."""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _blank(value: object) -> bool:
    return isinstance(value, str) and not value.strip()


_DIGITS = frozenset("0123456789")
_ID_CHECK = frozenset("0123456789Xx")  # the last character of an 18-digit ID number


def _mask_digits(s: str, head: int, tail: int, digit_count: int) -> str:
    """Mask the digits of *s* except the first *head* and last *tail*; separators stay where they are."""
    out: list[str] = []
    i = 0
    last = digit_count - tail
    for ch in s:
        if ch in _DIGITS:
            out.append(ch if i < head or i >= last else "*")
            i += 1
        else:
            out.append(ch)
    return "".join(out)


# --- the rules, one function each ----------------------------------------------------------------------------


def _keep(value: object) -> object:
    return value


def _redact(value: object) -> object:
    return "" if _blank(value) else REDACTED


def _name(value: object) -> object:
    s = (value if type(value) is str else _text(value)).strip()
    n = len(s)
    if n <= 1:  # a lone character is the whole value
        return "*" * n
    return s[0] + "*" * (n - 1)


def _id_number(value: object) -> object:
    s = value if type(value) is str else _text(value)
    if len(s) == 18 and s.isascii() and s[:17].isdigit() and s[17] in _ID_CHECK:  # the common case, first
        return s[:6] + "********" + s[14:17] + s[17].upper()
    s = s.strip()
    n = len(s)
    if n == 18:
        if s.isascii() and s[:17].isdigit() and s[17] in _ID_CHECK:
            return s[:6] + "********" + s[14:17] + s[17].upper()
    elif n == 15 and s.isascii() and s.isdigit():  # 6 area + YYMMDD + 3 sequence: the whole birth date goes
        return s[:6] + "******" + s[12:]
    return "*" * n


_PHONE_SEPARATORS = frozenset(" -()+（）")


def _phone_shape(d: str) -> tuple[int, int] | None:
    """(digits kept at the front, digits kept at the end) for a phone number's digits, None if unrecognised."""
    n = len(d)
    if n == 11 and d[0] == "1":
        return 3, 4  # mobile
    if n == 13 and d.startswith("861"):
        return 5, 4  # mobile with country code 86
    if d[0] == "0" and 10 <= n <= 16:  # landline with area code (and perhaps an extension)
        return (3 if d[1] in "12" else 4), 2  # 010, 02x are three digits; all others four
    if n in (7, 8) and d[0] not in "01":
        return 0, 2  # local landline number without area code
    return None


def _phone(value: object) -> object:
    s = (value if type(value) is str else _text(value)).strip()
    if len(s) == 11 and s[0] == "1" and s.isascii() and s.isdigit():
        return s[:3] + "****" + s[7:]
    digits = "".join(ch for ch in s if ch in _DIGITS)
    if not digits or any(ch not in _DIGITS and ch not in _PHONE_SEPARATORS for ch in s):
        return "*" * len(s)
    shape = _phone_shape(digits)
    if shape is None:
        return "*" * len(s)
    return _mask_digits(s, shape[0], shape[1], len(digits))


_CARD_SEPARATORS = frozenset(" -")


def _bank_card(value: object) -> object:
    s = (value if type(value) is str else _text(value)).strip()
    n = len(s)
    if 16 <= n <= 19 and s.isascii() and s.isdigit():
        return s[:6] + "*" * (n - 10) + s[-4:]
    if any(ch not in _DIGITS and ch not in _CARD_SEPARATORS for ch in s):
        return "*" * n
    count = sum(ch in _DIGITS for ch in s)
    if count >= 14:  # cards and long account numbers: first 6, last 4
        return _mask_digits(s, 6, 4, count)
    if count >= 10:  # short account numbers: keeping 6 + 4 would show almost all of it
        return _mask_digits(s, 0, 4, count)
    return "*" * n


# Administrative-division prefix: province, prefecture, county, each optional, names bounded in length and free
# of characters that mark street-level detail. Where it is unsure it stops early, which masks more, not less.
_STREET = r"\s\d０-９A-Za-zＡ-Ｚａ-ｚ路街道巷弄号號栋幢楼室镇乡村组社院,，、;；#()（）\-"
_PROVINCE = rf"(?:[^{_STREET}省市区县州]{{1,8}}?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)"
_PREFECTURE = rf"(?:市辖区|县|[^{_STREET}省市区县州]{{1,9}}?(?:自治州|地区|盟|州市|市|州(?![区县市])))"
_COUNTY = rf"(?:[^{_STREET}省区县]{{1,12}}?(?:自治县|自治旗|林区|特区|(?<![小校园景厂矿营])区|县|旗|市))"
_ADDRESS = re.compile(rf"(?:{_PROVINCE})?(?:{_PREFECTURE})?(?:{_COUNTY})?")


def _address(value: object) -> object:
    s = (value if type(value) is str else _text(value)).strip()
    if not s:
        return ""
    m = _ADDRESS.match(s)
    return (m.group() if m else "") + ADDRESS_TAIL


def _email(value: object) -> object:
    s = (value if type(value) is str else _text(value)).strip()
    if not s:
        return ""
    local, at, domain = s.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in s):
        return REDACTED
    return local[0] + "***@" + domain


# --- dates: AGE_BAND and YEAR_ONLY ---------------------------------------------------------------------------

_DATE_TEXT = re.compile(r"(\d{4})(?:年|[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?)?(?:[ T].*)?")
_DATE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _birth_from_id(s: str) -> dt.date | None:
    try:
        if len(s) == 18 and s.isascii() and s[:17].isdigit() and s[17] in _ID_CHECK:
            return dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
        if len(s) == 15 and s.isascii() and s.isdigit():
            return dt.date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))
    except ValueError:
        pass
    return None


def _parse_date(s: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of a date written as text; month and day None when not given; None if not a date."""
    m = _DATE_COMPACT.fullmatch(s) or _DATE_TEXT.fullmatch(s)
    if m is None:
        return None
    year, month, day = int(m[1]), (int(m[2]) if m[2] else None), (int(m[3]) if m[3] else None)
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        return None
    return year, month, day


def _birth_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = _text(value).strip()
    birth = _birth_from_id(s)
    if birth is not None:
        return birth
    parts = _parse_date(s)
    if parts is None or parts[1] is None or parts[2] is None:  # a full date is needed for an age
        return None
    return dt.date(parts[0], parts[1], parts[2])


MAX_AGE = 150
_BAND_CACHE_SIZE = 100_000  # more than the distinct birth dates in 150 years


def _age(value: object, today: dt.date) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        try:
            if 0 <= value <= MAX_AGE:
                return int(value)
        except ArithmeticError:  # Decimal NaN
            return None
        if not isinstance(value, int):
            return None  # a fractional number out of range; a large int may be an ID number or 19900501
    elif isinstance(value, str):
        s = value.strip()
        if s.isascii() and s.isdigit() and len(s) <= 3:
            return int(s) if int(s) <= MAX_AGE else None
    birth = _birth_date(value)
    if birth is None or birth > today:
        return None
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return age if age <= MAX_AGE else None


def age_band(age: int) -> str:
    """The band an age falls in: minors together (they are a legally distinct group), then ten-year bands
    starting at 18-29, and 90 and over together (few people, easy to single out)."""
    if age < 18:
        return "0-17岁"
    if age < 30:
        return "18-29岁"
    if age >= 90:
        return "90岁及以上"
    low = age // 10 * 10
    return f"{low}-{low + 9}岁"


def _age_band_fn(today: dt.date) -> MaskFn:
    def band_of(value: object) -> str:
        if _blank(value):
            return ""
        age = _age(value, today)
        return REDACTED if age is None else age_band(age)

    # A column of ID numbers holds few distinct birth dates: remember the band per date (bounded, per column).
    by_birth: dict[str, str] = {}

    def mask(value: object) -> object:
        if (
            type(value) is str
            and len(value) == 18
            and value.isascii()
            and value[:17].isdigit()
            and value[17] in _ID_CHECK
        ):
            born = value[6:14]
            band = by_birth.get(born)
            if band is None:
                band = band_of(value)
                if len(by_birth) < _BAND_CACHE_SIZE:
                    by_birth[born] = band
            return band
        return band_of(value)

    return mask


def _year_only(value: object) -> object:
    if isinstance(value, dt.date):
        return f"{value.year}年"
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return f"{value}年"
    s = _text(value).strip()
    if not s:
        return ""
    birth = _birth_from_id(s)
    if birth is not None:
        return f"{birth.year}年"
    parts = _parse_date(s)
    return REDACTED if parts is None else f"{parts[0]}年"


# --- pseudonyms ----------------------------------------------------------------------------------------------


def _pseudonym_fn(key: bytes) -> MaskFn:
    if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
        raise ValueError(f"假名化需要至少 {MIN_KEY_BYTES} 字节的密钥")
    keyed = hmac.HMAC(bytes(key), hashes.SM3())

    def mask(value: object) -> object:
        s = (value if type(value) is str else _text(value)).strip()
        if not s:
            return ""
        if len(s) == 18 and s[17] == "x":  # ID numbers written with x and X must still join
            s = s[:17] + "X"
        h = keyed.copy()
        h.update(s.encode("utf-8"))
        return h.finalize().hex()[:PSEUDONYM_LENGTH]

    return mask


# --- public interface ----------------------------------------------------------------------------------------

_PLAIN: dict[MaskRule, MaskFn] = {
    MaskRule.NONE: _keep,
    MaskRule.NAME: _name,
    MaskRule.ID_NUMBER: _id_number,
    MaskRule.PHONE: _phone,
    MaskRule.BANK_CARD: _bank_card,
    MaskRule.ADDRESS: _address,
    MaskRule.EMAIL: _email,
    MaskRule.YEAR_ONLY: _year_only,
    MaskRule.REDACT: _redact,
}


def compile_rule(rule: MaskRule | str, *, key: bytes, today: dt.date | None = None) -> MaskFn:
    """The function that masks one non-None value under *rule*; build once, apply to many values.

    PSEUDONYM needs a key of at least MIN_KEY_BYTES; AGE_BAND needs *today* (time is injected, never read here).
    Missing either is a programming error and raises ValueError; values themselves never make it raise.
    """
    rule = MaskRule(rule)
    if rule is MaskRule.PSEUDONYM:
        return _pseudonym_fn(key)
    if rule is MaskRule.AGE_BAND:
        if today is None:
            raise ValueError("年龄泛化需要参照日期 today")
        return _age_band_fn(today)
    return _PLAIN[rule]


def _guarded(fn: MaskFn, value: object) -> object:
    try:
        return fn(value)
    except Exception:  # a value whose conversion misbehaves is hidden, not passed on and not fatal
        return REDACTED


def _apply(fn: MaskFn, values: Sequence[object]) -> list[object]:
    if fn is _keep:
        return list(values)
    if not isinstance(values, list | tuple):
        values = list(values)
    try:
        return [None if v is None else fn(v) for v in values]
    except Exception:  # rare: redo value by value so one bad value is hidden, not fatal
        return [None if v is None else _guarded(fn, v) for v in values]


def mask_value(rule: MaskRule | str, value: object, *, key: bytes, today: dt.date | None = None) -> object:
    """One value masked under *rule*; None stays None. For many values use mask_column or Masker."""
    fn = compile_rule(rule, key=key, today=today)
    return None if value is None else _guarded(fn, value)


def mask_column(
    rule: MaskRule | str, values: Sequence[object], *, key: bytes, today: dt.date | None = None
) -> list[object]:
    """A column of values masked under one rule, with the rule compiled once."""
    return _apply(compile_rule(rule, key=key, today=today), values)


class Masker:
    """Built once per grant: field → rule; applies to dict rows or to columns.

    Fails closed: a row keeps only the fields the grant has a rule for (NONE passes a field through), and asking
    for the column of a field without a rule raises KeyError.
    """

    def __init__(
        self, rules: Mapping[str, MaskRule | str], *, key: bytes, today: dt.date | None = None
    ) -> None:
        self._rules = {field: MaskRule(rule) for field, rule in rules.items()}
        self._fns = {field: compile_rule(rule, key=key, today=today) for field, rule in self._rules.items()}

    @property
    def rules(self) -> dict[str, MaskRule]:
        return dict(self._rules)

    @property
    def masked_fields(self) -> list[str]:
        return [field for field, rule in self._rules.items() if rule is not MaskRule.NONE]

    def row(self, row: Mapping[str, object]) -> dict[str, object]:
        fns = self._fns
        out: dict[str, object] = {}
        for field, value in row.items():
            fn = fns.get(field)
            if fn is not None:
                out[field] = None if value is None else _guarded(fn, value)
        return out

    def column(self, field: str, values: Sequence[object]) -> list[object]:
        return _apply(self._fns[field], values)


# --- default rule from an item's semantics --------------------------------------------------------------------

# Chinese item-name wordings. The keyword ending last in the name wins (a compound's head comes last:
# 身份证地址 is an address, 联系人电话 a phone); at the same end the longer one wins (邮箱地址 is an email).
_ITEM_WORDS: dict[MaskRule, tuple[str, ...]] = {
    MaskRule.EMAIL: ("电子邮箱", "邮箱", "电子邮件", "邮件地址", "邮箱地址"),
    MaskRule.YEAR_ONLY: ("出生日期", "出生年月", "生日"),
    MaskRule.AGE_BAND: ("年龄",),
    MaskRule.ID_NUMBER: ("公民身份号码", "身份证", "身份号码", "证件号"),
    MaskRule.PHONE: ("电话", "手机", "联系方式", "传真"),
    MaskRule.BANK_CARD: ("银行卡", "卡号", "账号", "帐号", "账户", "帐户"),
    MaskRule.NAME: ("姓名", "名字", "户名", "账户名", "帐户名"),
    MaskRule.ADDRESS: ("地址", "住址", "住所", "居住地", "户籍地", "所在地", "出生地"),
}
# Machine field names (lower case): substrings, same ordering rule.
_FIELD_WORDS: dict[MaskRule, tuple[str, ...]] = {
    MaskRule.EMAIL: ("email", "e_mail", "mail", "email_address", "emailaddress", "dzyx"),
    MaskRule.YEAR_ONLY: ("birth", "csrq"),
    MaskRule.ID_NUMBER: (
        "idcard",
        "id_card",
        "id_no",
        "idno",
        "id_number",
        "idnumber",
        "sfz",
        "zjhm",
        "gmsfhm",
    ),
    MaskRule.PHONE: ("phone", "mobile", "lxdh", "sjhm", "fax"),
    MaskRule.BANK_CARD: ("bank", "card", "account", "acct", "yhkh", "yhzh"),
    MaskRule.NAME: ("name", "xingming"),
    MaskRule.ADDRESS: ("address", "addr", "dizhi", "zhuzhi", "birth_place", "birthplace", "hjdz", "jzdz"),
}
# Short machine abbreviations, matched only as whole tokens (tel must not match hotel).
_FIELD_TOKENS: dict[str, MaskRule] = {
    "tel": MaskRule.PHONE,
    "xm": MaskRule.NAME,
    "age": MaskRule.AGE_BAND,
    "nl": MaskRule.AGE_BAND,
    "dz": MaskRule.ADDRESS,
    "xzz": MaskRule.ADDRESS,
    "zz": MaskRule.ADDRESS,
}
_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_DATE_TYPES = frozenset({"date", "datetime"})


def _head_word(text: str, words: Mapping[MaskRule, tuple[str, ...]]) -> MaskRule | None:
    """The rule of the keyword that ends last in *text* (the longer one at the same end), None if none occurs."""
    best: tuple[int, int] = (-1, 0)
    found: MaskRule | None = None
    for rule, wordings in words.items():
        for word in wordings:
            at = text.rfind(word)
            if at >= 0 and (at + len(word), len(word)) > best:
                best, found = (at + len(word), len(word)), rule
    return found


def default_rule(
    *, field_name: str, item_name: str, identifier_kind: str, data_type: str, sensitivity: int
) -> MaskRule:
    """The rule an item gets when the grant names none, from its semantics and sensitivity (1 公开 … 4 核心).

    Organisation codes (统一社会信用代码) are public: never masked. Sensitivity 1-2 is not masked. From 3 up the
    item's name decides (the Chinese item name first, then the machine field name); an item that ends in 人
    (联系人, 法定代表人) holds a person's name; an unrecognised date keeps its year; anything else is redacted.
    """
    kind = str(identifier_kind)
    if kind == "organisation" or sensitivity <= 2:
        return MaskRule.NONE
    if kind == "person":
        return MaskRule.ID_NUMBER
    name = re.sub(r"\s+", "", item_name or "")
    rule = MaskRule.NAME if name.endswith("人") else _head_word(name, _ITEM_WORDS)  # no keyword ends in 人
    if rule is not None:
        return rule
    field = (field_name or "").lower()
    rule = _head_word(field, _FIELD_WORDS)
    if rule is None:
        rule = next(
            (_FIELD_TOKENS[t] for t in reversed(_TOKEN_SPLIT.split(field)) if t in _FIELD_TOKENS), None
        )
    if rule is not None:
        return rule
    if str(data_type) in _DATE_TYPES:
        return MaskRule.YEAR_ONLY
    return MaskRule.REDACT


def rules_from_json(raw: str | None, only: Collection[str] | None = None) -> dict[str, MaskRule]:
    """Rules as grants and requests store them (JSON item → rule), limited to `only` when given."""
    data = json.loads(raw or "{}")
    if not isinstance(data, dict):
        return {}
    return {k: MaskRule(v) for k, v in data.items() if only is None or k in only}
