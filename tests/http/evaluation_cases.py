"""Permission cases of the evaluation and annual-report routes (SUP-2, SUP-3): API cases for the walk in
test_permissions, page cases (`evaluation_page_cases()`, called after PageCase exists) for test_page_permissions.

Readers: the authority (admin, reviewer), departments' officers (their own scores and reports) and the auditor;
department users, the vendor and citizens hold no SUPERVISION_READ. Only admin (EVALUATE) runs and publishes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from govdata.clock import CHINA_TZ, FixedClock
from govdata.context import Ctx
from govdata.supervision import evaluation, reports
from govdata.supervision.report_models import EvaluationScore, ReportKind
from tests.http.cases import AUTHORITY, Case
from tests.world import World

OFFICERS = {"gongan_officer", "minzheng_officer"}
READERS = AUTHORITY | OFFICERS | {"auditor"}
# every role its own year, so a publish walk never meets a run another role published
YEARS = {
    "admin": 2020,
    "reviewer": 2021,
    "gongan_officer": 2022,
    "gongan_user": 2023,
    "minzheng_officer": 2024,
}


def _draft(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": evaluation.run_evaluation(ctx, world.actor("admin"), YEARS.get(who, 2019)).id}


def _published(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    run = evaluation.find_run(ctx, world.actor("admin"), 2025)
    if run is None:
        run = evaluation.run_evaluation(ctx, world.actor("admin"), 2025)
        evaluation.publish(ctx, world.actor("admin"), run.id, public=False)
    return {"id": run.id}


def _gongan_score(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    """An indicator score of 公安 in the published run: 民政's officer may not see it (hidden)."""
    run_id = _published(ctx, world, who)["id"]
    score = (
        ctx.session.execute(
            select(EvaluationScore).where(
                EvaluationScore.run_id == run_id, EvaluationScore.org_id == world.orgs["gongan"].id
            )
        )
        .scalars()
        .first()
    )
    assert score is not None
    return {"id": score.id}


def _submitted_report(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    """公安's 2025 report, submitted in its window (January 2026)."""
    found = reports.find_own(ctx, world.actor("gongan_officer"), ReportKind.DEPARTMENT, 2025)
    if found is None:
        january = Ctx(session=ctx.session, clock=FixedClock(dt.datetime(2026, 1, 5, 10, tzinfo=CHINA_TZ)))
        found = reports.submit(
            january,
            world.actor("gongan_officer"),
            ReportKind.DEPARTMENT,
            2025,
            {"summary": "全年工作正常开展。"},
        )
    return {"id": found.id}


def _department_report_body(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"body": {"kind": "department", "year": 2025, "sections": {"summary": f"{who}的年度总结"}}}


# the portal's page of evaluation results the authority chose to make public (SC45): anyone, logged in or not
EVALUATION_PUBLIC_PAGES = {("GET", "/open/evaluations")}

REPORT_VIEWERS = AUTHORITY | {"gongan_officer", "auditor"}  # its own body, and those overseeing the level

EVALUATION_CASES: list[Case] = [
    Case("GET", "/api/v1/evaluations", READERS),
    Case("POST", "/api/v1/evaluations", {"admin"}, body={"year": 2026}),
    Case("GET", "/api/v1/evaluations/{id}", READERS, setup=_published),
    Case("GET", "/api/v1/evaluations/{id}", AUTHORITY | {"auditor"}, hidden=OFFICERS, setup=_draft),
    Case("POST", "/api/v1/evaluations/{id}/publish", {"admin"}, setup=_draft, body={}),
    Case(
        "GET",
        "/api/v1/evaluations/scores/{id}",
        AUTHORITY | {"gongan_officer", "auditor"},
        hidden={"minzheng_officer"},
        setup=_gongan_score,
    ),
    Case("GET", "/api/v1/reports", READERS),
    Case("POST", "/api/v1/reports", OFFICERS, setup=_department_report_body),
    Case("GET", "/api/v1/reports/{id}", REPORT_VIEWERS, hidden={"minzheng_officer"}, setup=_submitted_report),
    Case(
        "GET",
        "/api/v1/reports/{id}/pdf",
        REPORT_VIEWERS,
        hidden={"minzheng_officer"},
        setup=_submitted_report,
    ),
]


def evaluation_page_cases() -> list[Any]:
    from tests.http.test_page_permissions import PageCase

    def _published_gongan(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
        run_id = _published(ctx, world, who)["id"]
        return {"id": f"{run_id}?org={world.orgs['gongan'].id}"}

    def _draft_form(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
        return {**_draft(ctx, world, who), "body": {"public": "1"}}

    return [
        PageCase("GET", "/supervision/evaluation", READERS),
        PageCase("GET", "/supervision/evaluation?year=2025", READERS, setup=_published),
        PageCase("POST", "/supervision/evaluation/run", {"admin"}, form={"year": "2026"}),
        PageCase("POST", "/supervision/evaluation/{id}/publish", {"admin"}, setup=_draft_form),
        PageCase(
            "GET",
            "/supervision/evaluation/{id}",
            AUTHORITY | {"gongan_officer", "auditor"},
            hidden={"minzheng_officer"},
            setup=_published_gongan,
        ),
        PageCase(
            "GET",
            "/supervision/evaluation/scores/{id}",
            AUTHORITY | {"gongan_officer", "auditor"},
            hidden={"minzheng_officer"},
            setup=_gongan_score,
        ),
        PageCase("GET", "/supervision/reports", READERS),
        PageCase(
            "POST",
            "/supervision/reports",
            OFFICERS,
            form={"kind": "department", "year": "2025", "section_summary": "年度总结", "action": "save"},
        ),
        PageCase(
            "GET",
            "/supervision/reports/{id}",
            REPORT_VIEWERS,
            hidden={"minzheng_officer"},
            setup=_submitted_report,
        ),
        PageCase(
            "GET",
            "/supervision/reports/{id}.pdf",
            REPORT_VIEWERS,
            hidden={"minzheng_officer"},
            setup=_submitted_report,
        ),
    ]
