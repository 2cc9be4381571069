""" "Overdue" is defined here, once: a pending item whose due date is before today."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from govdata.errors import MissingCalendarYear
from govdata.workdays.calendar import WorkCalendar


def is_overdue(due: dt.date | None, today: dt.date) -> bool:
    return due is not None and today > due


@dataclass(frozen=True)
class DueInfo:
    due: dt.date
    overdue: bool
    workdays_left: int | None  # None when the calendar lacks a year in between

    @property
    def label(self) -> str:
        if self.overdue:
            late = f"{-self.workdays_left} 个工作日" if self.workdays_left is not None else ""
            return f"已逾期{late}（应于 {self.due.isoformat()} 前完成）"
        if self.workdays_left is None:
            return f"截止 {self.due.isoformat()}"
        if self.workdays_left == 0:
            return f"今日截止（{self.due.isoformat()}）"
        return f"还剩 {self.workdays_left} 个工作日（{self.due.isoformat()} 截止）"


def due_info(calendar: WorkCalendar, due: dt.date, today: dt.date) -> DueInfo:
    try:
        left: int | None = calendar.workdays_between(today, due)
    except MissingCalendarYear:
        left = None
    return DueInfo(due=due, overdue=is_overdue(due, today), workdays_left=left)
