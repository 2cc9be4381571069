"""Permission cases of the supervision routes (violations, notices, spot checks, forms' items, evidence, jobs).

`test_permissions` adds SUPERVISION_CASES; `test_page_permissions` adds `supervision_page_cases()` (a function:
PageCase is defined in that module, which imports this one).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from govdata.context import Ctx
from govdata.org.models import SubjectKind
from govdata.supervision import notices, service, spotchecks
from tests.http.cases import AUTHORITY, Case
from tests.world import World

if TYPE_CHECKING:
    from tests.http.test_page_permissions import PageCase

READ = AUTHORITY | {"gongan_officer", "minzheng_officer", "auditor"}  # SUPERVISION_READ
OWN = AUTHORITY | {"minzheng_officer", "auditor"}  # who sees 民政's records
HIDE = {"gongan_officer"}  # another department: not even told it exists


def _violation(ctx: Ctx, world: World, who: str = "") -> dict[str, Any]:
    v = service.record_violation(
        ctx,
        world.actor("admin"),
        service.ViolationIn(
            org_id=world.orgs["minzheng"].id, summary=f"检查发现问题{who}", occurred_on=dt.date(2026, 11, 2)
        ),
    )
    return {"id": v.id}


def _violation_body(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    body = {"org_id": world.orgs["minzheng"].id, "summary": f"检查发现问题{who}", "occurred_on": "2026-11-02"}
    return {"body": body}


def _notice(
    ctx: Ctx, world: World, who: str, *, answered: bool = False, late: bool = False
) -> dict[str, Any]:
    vid = _violation(ctx, world, who)["id"]
    n = notices.issue(
        ctx, world.actor("admin"), notices.NoticeIn(violation_ids=[vid], requirements="限期整改到位")
    )
    if answered:
        notices.answer(
            ctx, world.actor("minzheng_officer"), n.id, notices.NoticeAnswerIn(answer="已经整改完毕")
        )
    if late:
        n.deadline = dt.date(2026, 11, 2)
    return {"id": n.id}


def _notice_body(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    vid = _violation(ctx, world, who)["id"]
    return {"body": {"violation_ids": [vid], "requirements": "限期整改到位"}}


def _check(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    data = spotchecks.SpotCheckIn(
        title=f"抽查{who}", population=spotchecks.Population.DEPARTMENTS, size=1, seed=7
    )
    return {"id": spotchecks.create(ctx, world.actor("admin"), data).id}


def _finding(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": spotchecks.findings(ctx, _check(ctx, world, who)["id"])[0].id}


def _form_item(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    data = service.FormItemIn(form_name=f"低保申请表{who}", item_name="姓名", subject_kind=SubjectKind.PERSON)
    return {"id": service.add_form_item(ctx, world.actor("minzheng_officer"), data).id}


def _form_body(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"body": {"form_name": f"申请表{who}", "item_name": "联系电话", "subject_kind": "person"}}


def _evidence(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": world.orgs["minzheng"].id}


DECISION = {"note": "整改到位"}
P = "/api/v1/supervision"
SUPERVISION_CASES = [
    Case("GET", f"{P}/violations", READ),
    Case("GET", f"{P}/violations/{{id}}", OWN, hidden=HIDE, setup=_violation),
    Case("POST", f"{P}/violations", AUTHORITY, setup=_violation_body),
    Case(
        "POST",
        f"{P}/violations/{{id}}/dismiss",
        AUTHORITY,
        hidden=HIDE,
        setup=_violation,
        body={"reason": "系统故障所致，已核实"},
    ),
    Case("POST", f"{P}/detect", AUTHORITY),
    Case("GET", f"{P}/notices", READ),
    Case("GET", f"{P}/notices/{{id}}", OWN, hidden=HIDE, setup=_notice),
    Case("POST", f"{P}/notices", AUTHORITY, setup=_notice_body),
    Case(
        "POST",
        f"{P}/notices/{{id}}/answer",
        {"minzheng_officer"},
        hidden=HIDE,
        setup=_notice,
        body={"answer": "已补充目录条目"},
    ),
    Case(
        "POST",
        f"{P}/notices/{{id}}/accept",
        AUTHORITY,
        hidden=HIDE,
        body=DECISION,
        setup=lambda c, w, who: _notice(c, w, who, answered=True),
    ),
    Case(
        "POST",
        f"{P}/notices/{{id}}/return",
        AUTHORITY,
        hidden=HIDE,
        body=DECISION,
        setup=lambda c, w, who: _notice(c, w, who, answered=True),
    ),
    Case(
        "POST",
        f"{P}/notices/{{id}}/escalate",
        AUTHORITY,
        hidden=HIDE,
        setup=lambda c, w, who: _notice(c, w, who, late=True),
    ),
    Case("GET", f"{P}/spotchecks", READ),
    Case(
        "GET",
        f"{P}/spotchecks/{{id}}",
        AUTHORITY | {"auditor"},
        hidden=HIDE | {"minzheng_officer"},
        setup=_check,
    ),
    Case(
        "POST",
        f"{P}/spotchecks",
        AUTHORITY,
        body={"title": "季度抽查", "population": "departments", "size": 1},
    ),
    Case(
        "POST",
        f"{P}/findings/{{id}}",
        AUTHORITY,
        hidden=HIDE | {"minzheng_officer"},
        setup=_finding,
        body={"result": "conforming"},
    ),
    Case("GET", f"{P}/form-items", READ),
    Case("POST", f"{P}/form-items", {"gongan_officer", "minzheng_officer"}, setup=_form_body),
    Case("DELETE", f"{P}/form-items/{{id}}", {"minzheng_officer"}, hidden=HIDE, setup=_form_item),
    Case("GET", f"{P}/evidence?org={{id}}&from=2026-01-01&to=2026-11-20", OWN, setup=_evidence),
    Case("GET", f"{P}/jobs", AUTHORITY),
]


def supervision_page_cases() -> list[PageCase]:
    from tests.http.test_page_permissions import PageCase

    return [
        PageCase("GET", "/supervision", READ),
        PageCase("GET", "/supervision/violations/{id}", OWN, hidden=HIDE, setup=_violation),
        PageCase("POST", "/supervision/violations", AUTHORITY, setup=_violation_body),
        PageCase(
            "POST",
            "/supervision/violations/{id}/dismiss",
            AUTHORITY,
            hidden=HIDE,
            setup=_violation,
            form={"reason": "系统故障所致，已核实"},
        ),
        PageCase("POST", "/supervision/detect", AUTHORITY),
        PageCase("GET", "/supervision/notices", READ),
        PageCase("POST", "/supervision/notices", AUTHORITY, setup=_notice_body),
        PageCase("GET", "/supervision/notices/{id}", OWN, hidden=HIDE, setup=_notice),
        PageCase(
            "POST",
            "/supervision/notices/{id}/answer",
            {"minzheng_officer"},
            hidden=HIDE,
            setup=_notice,
            form={"answer": "已补充目录条目"},
        ),
        PageCase(
            "POST",
            "/supervision/notices/{id}/accept",
            AUTHORITY,
            hidden=HIDE,
            form=DECISION,
            setup=lambda c, w, who: _notice(c, w, who, answered=True),
        ),
        PageCase(
            "POST",
            "/supervision/notices/{id}/return",
            AUTHORITY,
            hidden=HIDE,
            form=DECISION,
            setup=lambda c, w, who: _notice(c, w, who, answered=True),
        ),
        PageCase(
            "POST",
            "/supervision/notices/{id}/escalate",
            AUTHORITY,
            hidden=HIDE,
            setup=lambda c, w, who: _notice(c, w, who, late=True),
        ),
        PageCase("GET", "/supervision/spotchecks", READ),
        PageCase(
            "POST",
            "/supervision/spotchecks",
            AUTHORITY,
            form={"title": "季度抽查", "population": "departments", "size": "1"},
        ),
        PageCase(
            "GET",
            "/supervision/spotchecks/{id}",
            AUTHORITY | {"auditor"},
            hidden=HIDE | {"minzheng_officer"},
            setup=_check,
        ),
        PageCase(
            "POST",
            "/supervision/findings/{id}",
            AUTHORITY,
            hidden=HIDE | {"minzheng_officer"},
            setup=_finding,
            form={"result": "conforming"},
        ),
        PageCase("GET", "/supervision/forms", READ),
        PageCase("POST", "/supervision/forms", {"gongan_officer", "minzheng_officer"}, setup=_form_body),
        PageCase(
            "POST", "/supervision/forms/{id}/delete", {"minzheng_officer"}, hidden=HIDE, setup=_form_item
        ),
        PageCase("GET", "/supervision/evidence?org={id}", OWN, setup=_evidence),
        PageCase("GET", "/supervision/jobs", AUTHORITY),
    ]
