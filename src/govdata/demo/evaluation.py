"""The demo's evaluation and annual reports (SUP-2, SUP-3).

The demo's records were made this year, so the evaluation shown is the running year's, counted up to today
and labelled 年度截至今日 — a draft, as it would be in November: the authority recomputes and publishes it
after the year ends. 公安厅 submitted last year's self-report in its January window (run with the clock set to
that day, as demo.sharing does for past steps). Runs last in the demo, after every record it counts.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.org.models import User
from govdata.org.service import actor_for
from govdata.supervision import evaluation, reports
from govdata.supervision.report_models import ReportKind

SECTIONS = {
    "summary": (
        "本年度按照省政务数据资源管理办法，完成本厅政务数据资源目录的编制和更新，"
        "户籍人口、居民身份证等目录经省大数据中心审核发布，资源池按更新周期归集。"
    ),
    "aggregation": "按目录归集户籍人口等基础数据，对拒收数据逐条核实后重新加载。",
    "sharing_opening": "对有条件共享申请在规定时限内答复；不予共享的均说明了法律依据。",
    "application": "通过共享交换平台核验民政、人社等部门的数据，减少群众重复提交材料。",
    "security": "落实数据分级和脱敏要求，共享日志按规定保存。",
    "plans": "下一年度扩大无条件共享目录范围，提高资源池更新及时率。",
}


def _user(ctx: Ctx, username: str) -> User:
    return ctx.session.execute(select(User).where(User.username == username)).scalar_one()


def load_demo_evaluation(ctx: Ctx) -> None:
    admin = actor_for(_user(ctx, "prov_admin"))
    evaluation.run_evaluation(ctx, admin, ctx.clock.today().year)
    last_year = ctx.clock.today().year - 1
    window = reports.window_of(ctx, ReportKind.DEPARTMENT, last_year)
    day = min(window.start + dt.timedelta(days=6), window.end)
    then = Ctx(session=ctx.session, clock=FixedClock(dt.datetime.combine(day, dt.time(10), CHINA_TZ)))
    officer = actor_for(_user(ctx, "gongan_officer"))
    if reports.find_own(ctx, officer, ReportKind.DEPARTMENT, last_year) is None:  # a resumed demo: once
        reports.submit(then, officer, ReportKind.DEPARTMENT, last_year, SECTIONS)
