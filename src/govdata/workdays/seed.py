"""Build a year document (format: see ``govdata.workdays.calendar``) from the ``chinese_calendar`` package.

Used to produce the shipped ``data/<year>.json`` files, and by operators with a newer chinese-calendar::

    python -m govdata.workdays.seed 2027 \\
        --source "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔…〕…号）" > 2027.json

The output is a draft: check it against the published notice before loading it.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from typing import Any

import chinese_calendar

from govdata.workdays.calendar import parse_year

# chinese_calendar names its holidays in English; the notices use these names.
_CHINESE_NAMES: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _chinese(name: str, day: date) -> str:
    try:
        return _CHINESE_NAMES[name]
    except KeyError:
        raise ValueError(f"{day}: chinese_calendar holiday {name!r} has no Chinese name in seed.py") from None


def build_year(year: int, source: str | None = None) -> dict[str, Any]:
    """The year document for ``year`` from chinese_calendar's data (raises if it lacks the year).

    Holiday blocks (consecutive off days chinese_calendar attributes to a festival, weekends included)
    are named like the notice, e.g. "国庆节、中秋节" when two festivals share one block; a make-up
    working day is named after the nearest block of its festival, plus "调休上班".
    """
    days: list[date] = []
    d = date(year, 1, 1)
    while d.year == year:
        days.append(d)
        d += timedelta(days=1)
    try:
        details = {day: chinese_calendar.get_holiday_detail(day) for day in days}
    except NotImplementedError as exc:
        raise ValueError(f"chinese_calendar has no data for {year}: {exc}") from None

    # Consecutive named off days form one block, named by its festivals in order of appearance.
    blocks: list[tuple[list[date], str]] = []
    current: list[date] = []
    festivals: list[str] = []
    for day in [*days, None]:
        named_off = day is not None and details[day][0] and details[day][1] is not None
        if named_off:
            assert day is not None
            if current and day - current[-1] != timedelta(days=1):
                blocks.append((current, "、".join(festivals)))
                current, festivals = [], []
            current.append(day)
            name = _chinese(str(details[day][1]), day)
            if name not in festivals:
                festivals.append(name)
        elif current:
            blocks.append((current, "、".join(festivals)))
            current, festivals = [], []

    holidays = [{"date": day.isoformat(), "name": name} for block, name in blocks for day in block]

    workdays: list[dict[str, str]] = []
    for day in days:
        on_holiday, raw = details[day]
        if day.weekday() < 5:
            if on_holiday and raw is None:
                raise ValueError(f"{day}: weekday off without a holiday name")
            continue
        if on_holiday or not chinese_calendar.is_workday(day):
            continue
        festival = _chinese(str(raw), day) if raw is not None else None
        candidates = [
            (abs((block[0] - day).days), name) for block, name in blocks if festival and festival in name
        ]
        label = min(candidates)[1] if candidates else (festival or "")
        workdays.append({"date": day.isoformat(), "name": f"{label}调休上班"})

    document: dict[str, Any] = {
        "year": year,
        "source": source or f"国务院办公厅关于{year}年部分节假日安排的通知",
        "holidays": holidays,
        "workdays": workdays,
    }
    _self_check(document, days)
    return document


def _self_check(document: dict[str, Any], days: list[date]) -> None:
    """The document must parse and agree with chinese_calendar on every day of the year."""
    schedule = parse_year(document)
    for day in days:
        if schedule.is_workday(day) != chinese_calendar.is_workday(day):
            raise ValueError(f"{day}: built document disagrees with chinese_calendar")


def main(argv: list[str] | None = None) -> int:
    """CLI: print the year document as JSON on stdout."""
    parser = argparse.ArgumentParser(description="从 chinese_calendar 生成某年的节假日数据（JSON）")
    parser.add_argument("year", type=int)
    parser.add_argument(
        "--source", help="通知全称及文号，例如“国务院办公厅关于2027年部分节假日安排的通知（…）”"
    )
    args = parser.parse_args(argv)
    try:
        document = build_year(args.year, args.source)
    except ValueError as exc:
        print(f"生成失败：{exc}", file=sys.stderr)
        return 1
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
