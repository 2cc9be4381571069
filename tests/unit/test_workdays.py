"""Working-day calendar: the official 2025/2026 arrangements, strict year documents, unknown years."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from govdata.errors import InvalidInput, MissingCalendarYear
from govdata.workdays import WorkCalendar, builtin_years, parse_year
from govdata.workdays.seed import build_year


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(builtin_years())


def _all_days(year: int) -> list[date]:
    return [
        date(year, 1, 1) + timedelta(days=i) for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)
    ]


# --- the issue's example and the official notices ---------------------------------------------


def test_issue_example_national_day_2026(cal: WorkCalendar) -> None:
    # 10/1–10/7 off; 10/8 (1), 10/9 (2), Sat 10/10 make-up (3), 10/12 (4), 10/13 (5).
    assert cal.is_workday(date(2026, 10, 10))
    assert not cal.is_workday(date(2026, 10, 11))
    assert cal.add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_builtin_years_are_2025_and_2026(cal: WorkCalendar) -> None:
    assert cal.years == (2025, 2026)
    assert "国办发明电〔2024〕12号" in builtin_years()[2025].source


def test_spring_festival_2025_with_make_up_sunday(cal: WorkCalendar) -> None:
    assert cal.is_workday(date(2025, 1, 26))  # Sunday, 春节调休上班
    assert cal.describe(date(2025, 1, 26)) == "春节调休上班"
    assert cal.describe(date(2025, 1, 29)) == "春节休息"
    assert cal.describe(date(2025, 2, 1)) == "春节休息"  # weekend inside the block
    # Fri 1/24 -> Sun 1/26 (1), Mon 1/27 (2), 1/28–2/4 off, Wed 2/5 (3).
    assert cal.add_workdays(date(2025, 1, 24), 1) == date(2025, 1, 26)
    assert cal.add_workdays(date(2025, 1, 24), 3) == date(2025, 2, 5)
    # Sat 2/8 is a make-up working day: 2/5, 2/6, 2/7, 2/8.
    assert cal.add_workdays(date(2025, 2, 4), 4) == date(2025, 2, 8)


@pytest.mark.parametrize(
    ("off_first", "off_last", "make_up"),
    [
        (date(2025, 1, 1), date(2025, 1, 1), []),
        (date(2025, 1, 28), date(2025, 2, 4), [date(2025, 1, 26), date(2025, 2, 8)]),
        (date(2025, 4, 4), date(2025, 4, 6), []),
        (date(2025, 5, 1), date(2025, 5, 5), [date(2025, 4, 27)]),
        (date(2025, 5, 31), date(2025, 6, 2), []),
        (date(2025, 10, 1), date(2025, 10, 8), [date(2025, 9, 28), date(2025, 10, 11)]),
    ],
)
def test_2025_notice(cal: WorkCalendar, off_first: date, off_last: date, make_up: list[date]) -> None:
    d = off_first
    while d <= off_last:
        assert not cal.is_workday(d), d
        assert cal.describe(d).endswith("休息")
        d += timedelta(days=1)
    for m in make_up:
        assert m.weekday() >= 5 and cal.is_workday(m)


def test_2025_make_up_days_are_exactly_the_notice(cal: WorkCalendar) -> None:
    schedule = builtin_years()[2025]
    assert sorted(schedule.workdays) == [
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 4, 27),
        date(2025, 9, 28),
        date(2025, 10, 11),
    ]


def test_start_on_holiday(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(2025, 10, 3), 1) == date(2025, 10, 9)
    assert cal.add_workdays(date(2025, 10, 3), 2) == date(2025, 10, 10)
    assert cal.add_workdays(date(2025, 10, 3), 3) == date(2025, 10, 11)  # Saturday make-up day


def test_start_on_friday(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(2025, 3, 7), 1) == date(2025, 3, 10)
    assert cal.add_workdays(date(2025, 3, 7), 5) == date(2025, 3, 14)


def test_n_zero_returns_start(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(2025, 10, 3), 0) == date(2025, 10, 3)
    assert cal.add_workdays(date(2025, 3, 8), 0) == date(2025, 3, 8)


def test_negative_n_rejected(cal: WorkCalendar) -> None:
    with pytest.raises(InvalidInput):
        cal.add_workdays(date(2025, 3, 7), -1)


def test_cross_from_2025_into_2026(cal: WorkCalendar) -> None:
    # Wed 2025-12-31 -> 2026-01-01..03 off, Sun 1/4 make-up (1), Mon 1/5 (2).
    assert cal.add_workdays(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert cal.add_workdays(date(2025, 12, 31), 2) == date(2026, 1, 5)
    assert cal.add_workdays(date(2025, 12, 29), 3) == date(2026, 1, 4)
    assert cal.workdays_between(date(2025, 12, 29), date(2026, 1, 5)) == 4


def test_next_workday(cal: WorkCalendar) -> None:
    assert cal.next_workday(date(2025, 10, 1)) == date(2025, 10, 9)
    assert cal.next_workday(date(2025, 10, 9)) == date(2025, 10, 10)
    assert cal.next_workday(date(2025, 10, 9), inclusive=True) == date(2025, 10, 9)
    assert cal.next_workday(date(2025, 10, 1), inclusive=True) == date(2025, 10, 9)


def test_describe(cal: WorkCalendar) -> None:
    assert cal.describe(date(2026, 10, 2)) == "国庆节休息"
    assert cal.describe(date(2026, 10, 10)) == "国庆节调休上班"
    assert cal.describe(date(2025, 10, 6)) == "国庆节、中秋节休息"
    assert cal.describe(date(2025, 3, 8)) == "周末"
    assert cal.describe(date(2025, 3, 7)) == "工作日"


def test_workdays_between_sign_and_zero(cal: WorkCalendar) -> None:
    d = date(2025, 3, 7)
    assert cal.workdays_between(d, d) == 0
    assert cal.workdays_between(d, date(2025, 3, 14)) == 5
    assert cal.workdays_between(date(2025, 3, 14), d) == -5
    assert cal.workdays_between(date(2025, 10, 1), date(2025, 10, 8)) == 0


# --- unknown years --------------------------------------------------------------------------------


def test_date_in_2027_raises(cal: WorkCalendar) -> None:
    for call in (
        lambda: cal.is_workday(date(2027, 3, 1)),
        lambda: cal.add_workdays(date(2027, 3, 1), 1),
        lambda: cal.add_workdays(date(2027, 3, 1), 0),
        lambda: cal.describe(date(2027, 3, 1)),
        lambda: cal.workdays_between(date(2026, 3, 1), date(2027, 3, 1)),
        lambda: cal.workdays_between(date(2027, 3, 1), date(2026, 3, 1)),
    ):
        with pytest.raises(MissingCalendarYear) as info:
            call()
        assert info.value.year == 2027
        assert "2027" in info.value.message
        assert isinstance(info.value, InvalidInput)


def test_add_workdays_running_into_2027_raises(cal: WorkCalendar) -> None:
    # Mon 12/28 -> 12/29 (1), 12/30 (2), Thu 12/31 (3); the 4th lies in 2027.
    assert cal.add_workdays(date(2026, 12, 28), 3) == date(2026, 12, 31)
    with pytest.raises(MissingCalendarYear) as info:
        cal.add_workdays(date(2026, 12, 28), 4)
    assert info.value.year == 2027


def test_first_missing_year_is_named() -> None:
    years = builtin_years()
    cal = WorkCalendar({2025: years[2025]})
    with pytest.raises(MissingCalendarYear) as info:
        cal.add_workdays(date(2025, 12, 30), 10)
    assert info.value.year == 2026
    with pytest.raises(MissingCalendarYear) as info:
        cal.is_workday(date(2024, 12, 31))
    assert info.value.year == 2024
    only_new_year_2027 = parse_year(
        {"year": 2027, "source": "测试", "holidays": [{"date": "2027-01-01", "name": "元旦"}], "workdays": []}
    )
    gap = WorkCalendar({2025: years[2025], 2027: only_new_year_2027})
    with pytest.raises(MissingCalendarYear) as info:
        gap.workdays_between(date(2025, 6, 1), date(2027, 6, 1))
    assert info.value.year == 2026


# --- parse_year -----------------------------------------------------------------------------------


def _doc(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "year": 2025,
        "source": "测试通知",
        "holidays": [{"date": "2025-01-01", "name": "元旦"}],
        "workdays": [{"date": "2025-01-26", "name": "春节调休上班"}],
    }
    doc.update(changes)
    return doc


def test_parse_year_accepts_valid_dict_and_json() -> None:
    s = parse_year(_doc())
    assert s.year == 2025
    assert s.holidays == frozenset({date(2025, 1, 1)})
    assert s.workdays == frozenset({date(2025, 1, 26)})
    assert s.names[date(2025, 1, 26)] == "春节调休上班"
    assert parse_year(json.dumps(_doc(), ensure_ascii=False)) == s
    assert parse_year(s.to_dict()) == s


def test_builtin_files_round_trip() -> None:
    for schedule in builtin_years().values():
        assert parse_year(schedule.to_dict()) == schedule


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ("{not json", "JSON"),
        ("[]", "JSON 对象"),
        (_doc(year="2025"), "year"),
        (_doc(year=True), "year"),
        (_doc(source=""), "source"),
        (_doc(extra=1), "多余"),
        ({"year": 2025, "source": "x", "holidays": []}, "workdays"),
        (_doc(holidays=[]), "holidays"),
        (_doc(holidays="2025-01-01"), "holidays"),
        (_doc(holidays=[{"date": "2024-01-01", "name": "元旦"}]), "holidays[0].date"),
        (_doc(holidays=[{"date": "2025-02-30", "name": "x"}]), "2025-02-30"),
        (_doc(holidays=[{"date": "20250101", "name": "元旦"}]), "YYYY-MM-DD"),
        (_doc(holidays=[{"date": "2025-01-01"}]), "name"),
        (_doc(holidays=[{"date": "2025-01-01", "name": " "}]), "holidays[0].name"),
        (_doc(holidays=[{"date": "2025-01-01", "name": "元旦", "x": 1}]), "多余"),
        (_doc(holidays=[{"date": "2025-01-01", "name": "元旦"}] * 2), "重复"),
        (_doc(workdays=[{"date": "2025-01-27", "name": "春节调休上班"}]), "workdays[0].date"),
        (
            _doc(
                holidays=[{"date": "2025-01-01", "name": "元旦"}, {"date": "2025-01-26", "name": "春节"}],
                workdays=[{"date": "2025-01-26", "name": "春节调休上班"}],
            ),
            "同时",
        ),
        (_doc(workdays=[{"date": "2026-01-04", "name": "元旦调休上班"}]), "不在 2025 年内"),
        (b"\xff\xfe", "UTF-8"),
    ],
)
def test_parse_year_rejects(data: Any, needle: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_year(data)
    assert needle in info.value.message
    assert not isinstance(info.value, MissingCalendarYear)


def test_weekday_make_up_message_names_the_weekday() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_year(_doc(workdays=[{"date": "2025-01-27", "name": "春节调休上班"}]))
    assert "周一" in info.value.message


def test_calendar_rejects_misfiled_schedule() -> None:
    with pytest.raises(ValueError):
        WorkCalendar({2026: builtin_years()[2025]})


# --- properties and the cross-check against chinese_calendar ------------------------------------


@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 12, 31)),
    n=st.integers(min_value=1, max_value=30),
)
def test_add_workdays_properties(start: date, n: int) -> None:
    cal = WorkCalendar(builtin_years())
    result = cal.add_workdays(start, n)
    assert cal.is_workday(result)
    assert cal.workdays_between(start, result) == n
    assert cal.workdays_between(result, start) == -n
    assert cal.add_workdays(start, n - 1) < result
    assert cal.add_workdays(start, n + 1) > result
    # The working day just before `result` was counted as n - 1.
    assert cal.workdays_between(start, result - timedelta(days=1)) == n - 1


@pytest.mark.parametrize("year", [2025, 2026])
def test_matches_chinese_calendar_every_day(cal: WorkCalendar, year: int) -> None:
    mismatches = [d for d in _all_days(year) if cal.is_workday(d) != chinese_calendar.is_workday(d)]
    assert mismatches == []


@pytest.mark.parametrize("year", [2025, 2026])
def test_shipped_file_equals_seed_output(year: int) -> None:
    built = parse_year(build_year(year, builtin_years()[year].source))
    assert built == builtin_years()[year]


def test_seed_rejects_year_without_data() -> None:
    with pytest.raises(ValueError):
        build_year(1990)
