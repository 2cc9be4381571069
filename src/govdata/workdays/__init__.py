"""Working-day calendar: deadlines counted in working days under the State Council holiday notices."""

from govdata.workdays.calendar import WorkCalendar, YearSchedule, builtin_years, parse_year

__all__ = ["WorkCalendar", "YearSchedule", "builtin_years", "parse_year"]
