"""Working-day arithmetic under the State Council holiday notices (国务院办公厅部分节假日安排的通知).

Every deadline in the platform is "N working days after the start date, the start day itself not
counted". Which days are working days is not computable: it is decided each year by the State Council
notice, including make-up working weekends (调休上班). So the calendar is DATA, one document per year,
and a date in a year without a document raises ``MissingCalendarYear`` instead of guessing.

Year document format (JSON, UTF-8; shipped as ``govdata/workdays/data/<year>.json``, loadable later)::

    {
      "year": 2025,
      "source": "国务院办公厅关于2025年部分节假日安排的通知（国办发明电〔2024〕12号）",
      "holidays": [{"date": "2025-01-01", "name": "元旦"}, ...],
      "workdays": [{"date": "2025-01-26", "name": "春节调休上班"}, ...]
    }

* ``year``: the calendar year; every listed date must lie in it.
* ``source``: the notice the data comes from (non-empty text), kept for audit.
* ``holidays``: every date of each official holiday block, exactly as the notice states it
  ("1月28日至2月4日放假调休，共8天"), so weekend dates inside a block ARE listed. Listing a weekend
  changes nothing arithmetically (weekends are off anyway) but lets ``describe`` say "春节休息"
  instead of "周末". At least one holiday is required (every notice has 元旦).
* ``workdays``: the make-up working days; each must be a Saturday or Sunday.
* ``name``: non-empty text. Holidays carry the block name ("春节", "国庆节、中秋节"); ``describe`` adds
  "休息". Make-up days carry the full phrase ("春节调休上班"); ``describe`` returns it as is.
* No other keys; no date may be listed twice or in both lists. Dates use ``YYYY-MM-DD``.

Any other day is a working day on Monday–Friday and a rest day on Saturday/Sunday.
"""

from __future__ import annotations

import functools
import json
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import Any

from govdata.errors import InvalidInput, MissingCalendarYear

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOP_KEYS = frozenset({"year", "source", "holidays", "workdays"})
_ENTRY_KEYS = frozenset({"date", "name"})
_MAX_NAME = 64
_MAX_SOURCE = 300
_WEEKDAY_CN = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


@dataclass(frozen=True)
class YearSchedule:
    """One year's State Council arrangement: the off days and the make-up working weekends."""

    year: int
    source: str
    holidays: frozenset[date]
    workdays: frozenset[date]
    names: dict[date, str] = field(hash=False)

    def is_workday(self, d: date) -> bool:
        """Working day under this year's notice (``d`` must lie in ``year``)."""
        return d in self.workdays or (d.weekday() < 5 and d not in self.holidays)

    def to_dict(self) -> dict[str, Any]:
        """The year document (see module docstring); ``parse_year(s.to_dict()) == s``."""
        return {
            "year": self.year,
            "source": self.source,
            "holidays": [{"date": d.isoformat(), "name": self.names[d]} for d in sorted(self.holidays)],
            "workdays": [{"date": d.isoformat(), "name": self.names[d]} for d in sorted(self.workdays)],
        }


def _bad(where: str, what: str) -> InvalidInput:
    return InvalidInput(f"节假日数据有误（{where}）：{what}", details={"field": where})


def _text(value: object, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(where, "必须是非空文字")
    text = value.strip()
    if len(text) > limit:
        raise _bad(where, f"过长（最多 {limit} 个字符）")
    return text


def _entries(raw: object, key: str, year: int) -> list[tuple[date, str]]:
    if not isinstance(raw, list):
        raise _bad(key, "必须是列表")
    out: list[tuple[date, str]] = []
    seen: set[date] = set()
    for i, entry in enumerate(raw):
        where = f"{key}[{i}]"
        if not isinstance(entry, dict):
            raise _bad(where, '每一项必须是 {"date": ..., "name": ...} 对象')
        keys = set(entry)
        if keys != _ENTRY_KEYS:
            missing = sorted(_ENTRY_KEYS - keys)
            extra = sorted(str(k) for k in keys - _ENTRY_KEYS)
            parts = ([f"缺少 {', '.join(missing)}"] if missing else []) + (
                [f"多余的键 {', '.join(extra)}"] if extra else []
            )
            raise _bad(where, "；".join(parts))
        raw_date = entry["date"]
        if not isinstance(raw_date, str) or not _DATE_RE.fullmatch(raw_date):
            raise _bad(f"{where}.date", f"日期必须写成 YYYY-MM-DD，实际为 {raw_date!r}")
        try:
            d = date.fromisoformat(raw_date)
        except ValueError:
            raise _bad(f"{where}.date", f"不存在的日期 {raw_date}") from None
        if d.year != year:
            raise _bad(f"{where}.date", f"{raw_date} 不在 {year} 年内")
        if d in seen:
            raise _bad(f"{where}.date", f"{raw_date} 重复列出")
        seen.add(d)
        out.append((d, _text(entry["name"], f"{where}.name", _MAX_NAME)))
    return out


def parse_year(data: dict[str, Any] | str | bytes) -> YearSchedule:
    """Validate one year document strictly; bad data must never silently shift a legal deadline."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput("节假日数据不是 UTF-8 编码的文本") from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"节假日数据不是合法的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}"
            ) from None
    if not isinstance(data, dict):
        raise InvalidInput("节假日数据必须是一个 JSON 对象（包含 year、source、holidays、workdays）")
    keys = set(data)
    if missing := sorted(_TOP_KEYS - keys):
        raise _bad("顶层", f"缺少 {', '.join(missing)}")
    if extra := sorted(str(k) for k in keys - _TOP_KEYS):
        raise _bad("顶层", f"多余的键 {', '.join(extra)}")
    year = data["year"]
    if not isinstance(year, int) or isinstance(year, bool) or not date.min.year <= year <= date.max.year:
        raise _bad("year", f"年份必须是整数，实际为 {year!r}")
    source = _text(data["source"], "source", _MAX_SOURCE)
    holidays = _entries(data["holidays"], "holidays", year)
    workdays = _entries(data["workdays"], "workdays", year)
    if not holidays:
        raise _bad("holidays", "不能为空（每年的通知至少包含元旦）")
    holiday_dates = {d for d, _ in holidays}
    for i, (d, _) in enumerate(workdays):
        if d in holiday_dates:
            raise _bad(f"workdays[{i}].date", f"{d.isoformat()} 同时列在 holidays 和 workdays 中")
        if d.weekday() < 5:
            raise _bad(
                f"workdays[{i}].date",
                f"{d.isoformat()} 是{_WEEKDAY_CN[d.weekday()]}，调休上班日只能是周六或周日",
            )
    return YearSchedule(
        year=year,
        source=source,
        holidays=frozenset(holiday_dates),
        workdays=frozenset(d for d, _ in workdays),
        names=dict(holidays + workdays),
    )


@functools.cache
def _builtin_schedules() -> tuple[YearSchedule, ...]:
    found: list[YearSchedule] = []
    for item in resources.files("govdata.workdays").joinpath("data").iterdir():
        if not item.name.endswith(".json"):
            continue
        schedule = parse_year(item.read_text(encoding="utf-8"))
        if item.name != f"{schedule.year}.json":
            raise InvalidInput(f"内置节假日文件 {item.name} 的 year 为 {schedule.year}，与文件名不符")
        found.append(schedule)
    return tuple(sorted(found, key=lambda s: s.year))


def builtin_years() -> dict[int, YearSchedule]:
    """The years shipped with the package (a fresh dict each call, so callers may merge into it)."""
    return {s.year: s for s in _builtin_schedules()}


class WorkCalendar:
    """Working-day arithmetic over a fixed set of years; unknown years raise, never guess.

    Each year is precomputed into a sorted list of working-day ordinals, so ``add_workdays`` and
    ``workdays_between`` are a bisect per year touched (deadline sweeps run thousands of them).
    """

    __slots__ = ("_ords", "_schedules", "years")

    def __init__(self, schedules: dict[int, YearSchedule]) -> None:
        for year, schedule in schedules.items():
            if year != schedule.year:
                raise ValueError(f"schedule for {schedule.year} registered under {year}")
        self._schedules: dict[int, YearSchedule] = dict(schedules)
        self.years: tuple[int, ...] = tuple(sorted(schedules))
        self._ords: dict[int, list[int]] = {
            year: [d.toordinal() for d in _days_of(year) if s.is_workday(d)]
            for year, s in self._schedules.items()
        }

    @classmethod
    def builtin(cls) -> WorkCalendar:
        """Calendar over the years shipped with the package only."""
        return cls(builtin_years())

    def _schedule(self, year: int) -> YearSchedule:
        try:
            return self._schedules[year]
        except KeyError:
            raise MissingCalendarYear(year) from None

    def _workday_ords(self, year: int) -> list[int]:
        try:
            return self._ords[year]
        except KeyError:
            raise MissingCalendarYear(year) from None

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day (调休上班 weekends included, holidays excluded)."""
        return self._schedule(d.year).is_workday(d)

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` not counted); ``n == 0`` returns ``start``.

        The start year must be known even for ``n == 0``; a missing later year is reported as soon
        as the count runs into it.
        """
        if n < 0:
            raise InvalidInput(f"工作日天数不能为负数：{n}")
        year = start.year
        ords = self._workday_ords(year)
        if n == 0:
            return start
        pos = bisect_right(ords, start.toordinal())
        remaining = n
        while True:
            available = len(ords) - pos
            if remaining <= available:
                return date.fromordinal(ords[pos + remaining - 1])
            remaining -= available
            year += 1
            ords = self._workday_ords(year)
            pos = 0

    def workdays_between(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``; for ``end < start`` the negated count of
        ``end < d <= start`` (so the result is antisymmetric, and 0 when ``start == end``).

        ``workdays_between(deadline, today)`` is thus "overdue by N working days" when positive and
        minus the working days still left when negative. Every year from start to end must be known.
        """
        if end < start:
            return -self.workdays_between(end, start)
        for year in range(start.year, end.year + 1):
            self._workday_ords(year)
        s, e = start.toordinal(), end.toordinal()
        if start.year == end.year:
            ords = self._ords[start.year]
            return bisect_right(ords, e) - bisect_right(ords, s)
        first, last = self._ords[start.year], self._ords[end.year]
        middle = sum(len(self._ords[y]) for y in range(start.year + 1, end.year))
        return (len(first) - bisect_right(first, s)) + middle + bisect_right(last, e)

    def next_workday(self, d: date, *, inclusive: bool = False) -> date:
        """The first working day after ``d``; with ``inclusive=True``, ``d`` itself if it is one
        (e.g. "an application received on a holiday counts from the next working day")."""
        if inclusive and self.is_workday(d):
            return d
        return self.add_workdays(d, 1)

    def describe(self, d: date) -> str:
        """Why ``d`` is or is not a working day, for users: "国庆节休息", "春节调休上班", "周末", "工作日"."""
        schedule = self._schedule(d.year)
        if d in schedule.holidays:
            return f"{schedule.names[d]}休息"
        if d in schedule.workdays:
            return schedule.names[d]
        return "周末" if d.weekday() >= 5 else "工作日"


def _days_of(year: int) -> Iterable[date]:
    d = date(year, 1, 1)
    one = timedelta(days=1)
    while d.year == year:
        yield d
        if d == date.max:
            return
        d += one
