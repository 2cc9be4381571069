"""The database's masking equals the Python rules on usual values and shows no more on unusual ones."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Date, DateTime, String, literal, select

from govdata.context import Ctx
from govdata.opendata import sqlmask
from govdata.sharing.masking import MaskRule, mask_value

KEY = b"k" * 32
USUAL = {
    MaskRule.ID_NUMBER: ["513221198001010019", "11010519491231002X", "11010519491231002x"],
    MaskRule.NAME: ["张三", "欧阳娜娜", "王", " 李四 "],
    MaskRule.PHONE: ["13800138000", " 13912345678"],
    MaskRule.BANK_CARD: ["6222021234567890123", "6222021234567890"],
    MaskRule.REDACT: ["任何文字", "  ", "x"],
}
ODD = {
    MaskRule.ID_NUMBER: [
        "51322119800101001",
        "513221800101001",
        "51322119800101001Y",
        "身份证号码",
        "5132211980010100１9",
    ],
    MaskRule.PHONE: ["028-85551234", "+86 138 0013 8000", "电话", "1380013800"],
    MaskRule.BANK_CARD: ["6222 0212 3456 7890", "12345", "卡号"],
}


def _sql(ctx: Ctx, rule: MaskRule, value: object, data_type: str = "string") -> object:
    kind = {"string": String, "date": Date, "datetime": DateTime}[data_type]
    dialect = ctx.session.get_bind().dialect.name
    expr = sqlmask.expression(literal(value, kind), data_type, rule, dialect)  # type: ignore[arg-type]
    assert expr is not None
    return ctx.session.execute(select(expr)).scalar_one()


@pytest.mark.parametrize("rule", list(USUAL))
def test_usual_values_mask_exactly_as_in_python(ctx: Ctx, rule: MaskRule) -> None:
    for value in USUAL[rule]:
        assert _sql(ctx, rule, value) == mask_value(rule, value, key=KEY), value


@pytest.mark.parametrize("rule", list(ODD))
def test_unusual_values_show_no_more_than_python(ctx: Ctx, rule: MaskRule) -> None:
    for value in ODD[rule]:
        got, python = _sql(ctx, rule, value), mask_value(rule, value, key=KEY)
        assert got == python or set(str(got)) <= {"*"}, (value, got, python)


def test_dates_keep_only_the_year(ctx: Ctx) -> None:
    assert _sql(ctx, MaskRule.YEAR_ONLY, dt.date(1980, 1, 1), "date") == "1980年"
    assert _sql(ctx, MaskRule.YEAR_ONLY, dt.datetime(1992, 3, 15, 8, 0), "datetime") == "1992年"
    assert (
        sqlmask.expression(literal("1980-01-01"), "string", MaskRule.YEAR_ONLY, "sqlite") is None
    )  # stays in Python


def test_rules_without_an_expression_stay_in_python() -> None:
    col = literal("x")
    for rule in (MaskRule.ADDRESS, MaskRule.PSEUDONYM, MaskRule.AGE_BAND, MaskRule.NONE):
        assert sqlmask.expression(col, "string", rule, "postgresql") is None  # type: ignore[arg-type]
    assert sqlmask.expression(col, "string", MaskRule.EMAIL, "sqlite") is None  # type: ignore[arg-type]
