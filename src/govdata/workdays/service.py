"""The calendar a deployment uses: the shipped years plus the years its operator loaded."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.context import Ctx
from govdata.workdays.calendar import WorkCalendar, YearSchedule, builtin_years, parse_year
from govdata.workdays.models import CalendarYear


def calendar_for(session: Session) -> WorkCalendar:
    years = builtin_years()
    for row in session.execute(select(CalendarYear)).scalars():
        years[row.year] = parse_year(row.data)
    return WorkCalendar(years)


def load_year(ctx: Ctx, actor: Actor, raw: str | bytes) -> tuple[YearSchedule, bool]:
    """Validate and store one year's schedule; returns (schedule, replaced an earlier load)."""
    require(actor, Permission.CALENDAR_MANAGE)
    schedule = parse_year(raw)
    data = json.dumps(schedule.to_dict(), ensure_ascii=False, sort_keys=True)
    row = ctx.session.get(CalendarYear, schedule.year)
    replaced = row is not None
    if row is None:
        row = CalendarYear(year=schedule.year)
        ctx.session.add(row)
    row.source = schedule.source
    row.data = data
    row.loaded_by = actor.username
    row.loaded_at = ctx.clock.now()
    ctx.session.flush()
    ctx._calendar = None
    record(
        ctx,
        actor,
        "calendar.load",
        "calendar_year",
        schedule.year,
        detail={"source": schedule.source, "holidays": len(schedule.holidays), "replaced": replaced},
    )
    return schedule, replaced
