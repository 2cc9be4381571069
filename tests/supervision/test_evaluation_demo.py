"""The demo shows a running-year evaluation computed from its real records and one submitted department report."""

from __future__ import annotations

import json

from sqlalchemy import select

from govdata.context import Ctx
from govdata.demo.loader import load_demo
from govdata.org.models import User
from govdata.org.service import actor_for
from govdata.supervision import evaluation, reports
from govdata.supervision.report_models import AnnualReport, ReportState


def test_demo_evaluation_and_report(ctx: Ctx) -> None:
    load_demo(ctx)
    ctx.session.commit()
    admin = actor_for(ctx.session.execute(select(User).where(User.username == "prov_admin")).scalar_one())
    run = evaluation.find_run(ctx, admin, 2026)
    assert run is not None and "年度截至" in evaluation.year_label(run)
    results = evaluation.results(ctx, admin, run)
    assert len(results) >= 10
    counted = [s for r in results for s in r.indicators.values() if s.denominator]
    assert len({s.indicator for s in counted}) >= 6  # real records behind most indicators
    assert any(evaluation.indicator_records(s) for s in counted)
    report = ctx.session.execute(select(AnnualReport)).scalar_one()
    assert report.state == ReportState.SUBMITTED and not report.late and report.year == 2025
    view = reports.view(ctx, report)
    assert view.org_name == "四川省公安厅" and json.loads(report.sections)["summary"]
