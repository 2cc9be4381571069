"""Masking rules as SQL expressions, so large downloads are de-identified by the database, not row by row in Python.

Each expression gives exactly what `sharing.masking` gives for values of the usual shape (an 18-character ID
number, an 11-digit mobile number, a 16-19 digit card, a name, a date); a value of any other shape is masked
whole (every character a `*`), which shows less than the Python rule, never more. Rules without an
expression here (addresses, pseudonyms, age bands, and emails on SQLite) stay in Python: `expression` returns
None and the caller masks that column itself.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ColumnElement, Integer, String, and_, case, cast, func, literal, not_
from sqlalchemy.sql.elements import KeyedColumnElement

from govdata.sharing.masking import REDACTED, MaskRule

_STARS = "*" * 256  # SQLite has no repeat(): a value longer than this is shown as 256 stars (less, not more)


def _cat(*parts: ColumnElement[str] | str) -> ColumnElement[str]:
    """Text concatenation (`||` on both databases), whatever SQLAlchemy guessed the parts' types to be."""
    out: ColumnElement[str] = literal(parts[0], String) if isinstance(parts[0], str) else parts[0]
    for part in parts[1:]:
        out = out.op("||", return_type=String)(literal(part, String) if isinstance(part, str) else part)
    return out


def _substr(
    value: ColumnElement[str], start: int | ColumnElement[int], count: int | ColumnElement[int]
) -> ColumnElement[str]:
    return func.substr(value, start, count, type_=String)


def _trim(value: ColumnElement[str]) -> ColumnElement[str]:
    return func.trim(value, type_=String)


def _length(value: ColumnElement[str]) -> ColumnElement[int]:
    return func.length(value, type_=Integer)


def _stars(n: ColumnElement[int], dialect: str) -> ColumnElement[str]:
    if dialect == "postgresql":
        return func.repeat(literal("*", String), n, type_=String)
    return _substr(literal(_STARS, String), 1, n)


def _all_digits(value: ColumnElement[str], dialect: str) -> ColumnElement[bool]:
    """Non-empty and only ASCII digits: ltrim of every digit leaves nothing (cheaper than a regular expression)."""
    return and_(value != "", func.ltrim(value, literal("0123456789"), type_=String) == "")


def _id_number(col: ColumnElement[str], dialect: str) -> ColumnElement[str]:
    usual = and_(
        _length(col) == 18,
        _all_digits(_substr(col, 1, 17), dialect),
        _substr(col, 18, 1).in_(list("0123456789Xx")),
    )
    masked = _cat(
        _substr(col, 1, 6), "********", _substr(col, 15, 3), func.upper(_substr(col, 18, 1), type_=String)
    )
    return case((usual, masked), else_=_stars(_length(_trim(col)), dialect))


def _name(col: ColumnElement[str], dialect: str) -> ColumnElement[str]:
    s = _trim(col)
    n = _length(s)
    return case((n <= 1, _stars(n, dialect)), else_=_cat(_substr(s, 1, 1), _stars(n - 1, dialect)))


def _phone(col: ColumnElement[str], dialect: str) -> ColumnElement[str]:
    s = _trim(col)
    usual = and_(_length(s) == 11, _substr(s, 1, 1) == "1", _all_digits(s, dialect))
    return case((usual, _cat(_substr(s, 1, 3), "****", _substr(s, 8, 4))), else_=_stars(_length(s), dialect))


def _bank_card(col: ColumnElement[str], dialect: str) -> ColumnElement[str]:
    s = _trim(col)
    n = _length(s)
    usual = and_(n >= 16, n <= 19, _all_digits(s, dialect))
    masked = _cat(_substr(s, 1, 6), _stars(n - 10, dialect), _substr(s, n - 3, 4))
    return case((usual, masked), else_=_stars(n, dialect))


def _email(col: ColumnElement[str], dialect: str) -> ColumnElement[str] | None:
    if dialect != "postgresql":
        return None
    s = _trim(col)
    usual = s.op("~", is_comparison=True)(literal(r"^\S+@[^@\s]+$"))
    masked = _cat(_substr(s, 1, 1), "***@", func.substring(s, literal(r"@([^@\s]+)$"), type_=String))
    return case((s == "", literal("", String)), (usual, masked), else_=literal(REDACTED, String))


def _redact(col: ColumnElement[str], dialect: str) -> ColumnElement[str]:
    return case((_trim(col) == "", literal("", String)), else_=literal(REDACTED, String))


def _year(col: ColumnElement[object], data_type: str, dialect: str) -> ColumnElement[str] | None:
    if data_type not in ("date", "datetime"):
        return None  # a date written as text has many forms: the Python rule reads them
    if dialect == "postgresql":
        year = cast(cast(func.extract("year", col), Integer), String)
    else:
        year = cast(cast(_substr(cast(col, String), 1, 4), Integer), String)
    return _cat(year, "年")


def text_of(col: KeyedColumnElement[object], data_type: str, dialect: str) -> ColumnElement[str] | None:
    """A kept value as the Python path writes it into CSV (str of the value); None where they would differ."""
    if data_type == "boolean":
        return case((cast(col, Boolean), literal("True")), (not_(cast(col, Boolean)), literal("False")))
    if data_type == "binary":
        return None
    if data_type == "decimal":
        if dialect != "postgresql":
            return None  # SQLite keeps numerics as floats; the Python path restores their scale
        return cast(func.trim_scale(col), String)  # 1200.5, not 1200.5000000000: as tables.plain_decimal writes
    if data_type in ("date", "datetime") and dialect != "postgresql":
        return cast(col, String)  # stored as ISO text already
    return cast(col, String)


def expression(
    col: KeyedColumnElement[object], data_type: str, rule: MaskRule, dialect: str
) -> ColumnElement[str] | None:
    """The masked text of a column under `rule`, or None when this rule stays in Python (or keeps the value)."""
    if rule is MaskRule.NONE:
        return None
    if rule is MaskRule.YEAR_ONLY:
        return _year(col, data_type, dialect)
    if data_type not in ("string", "integer"):
        return None
    text = col if data_type == "string" else cast(col, String)
    builders = {
        MaskRule.ID_NUMBER: _id_number,
        MaskRule.NAME: _name,
        MaskRule.PHONE: _phone,
        MaskRule.BANK_CARD: _bank_card,
        MaskRule.REDACT: _redact,
    }
    if rule is MaskRule.EMAIL:
        return _email(text, dialect)
    build = builders.get(rule)
    return build(text, dialect) if build else None
