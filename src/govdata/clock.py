"""The only place that reads the current time; tests swap in a FixedClock."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

CHINA_TZ = dt.timezone(dt.timedelta(hours=8), name="Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...


class SystemClock:
    """Wall-clock time in China Standard Time (deadlines are counted in local working days)."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(CHINA_TZ)

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock:
    """A clock that stands still unless moved; for tests and reproducible demos."""

    def __init__(self, at: dt.datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)

    def now(self) -> dt.datetime:
        return self._at

    def today(self) -> dt.date:
        return self._at.astimezone(CHINA_TZ).date()

    def set(self, at: dt.datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)

    def advance(self, **delta: float) -> None:
        self._at = self._at + dt.timedelta(**delta)
