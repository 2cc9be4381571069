"""Consistency and reconciliation pages (QUAL-3): the authority's summary of items that several departments'
pools hold, the disagreeing subjects of one pair side by side, and the reconciliation cases that follow.

Routes only read and call `pool.consistency` and `quality.service`; every POST carries the session's CSRF token
and answers with a 303 redirect and a flash message. Seeing the compared values is data access: the use cases
record it in the audit log, and the pages say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import BaseModel
from sqlalchemy import select
from starlette.responses import Response

from govdata.audit.models import AuditEvent
from govdata.authz import Actor, Permission
from govdata.catalog.models import ResourceVersion
from govdata.context import Ctx
from govdata.deadlines import DueInfo, due_info
from govdata.org.models import Organization, User
from govdata.pool import consistency
from govdata.pool.models import Pool
from govdata.profiles.labels import LIMIT_LABELS
from govdata.profiles.schema import Limit
from govdata.quality import service
from govdata.quality.models import CaseState, ReconciliationCase
from govdata.quality.schemas import (
    EscalateCaseIn,
    GovernmentDecisionIn,
    GovernmentReferIn,
    OpenCaseIn,
    ResolveCaseIn,
)
from govdata.web_support import CtxDep, PageActor, check_csrf, parse_form, redirect_with, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
PER_PAGE = 50
Text = Annotated[str, Form(max_length=4000)]
Field60 = Annotated[str, Form(max_length=60)]

_HISTORY_ACTIONS = {
    "reconciliation.open": "发起协商核实",
    "reconciliation.escalate": "提请主管机构裁定",
    "reconciliation.resolve": "办结（记录核实后的正确值）",
    "reconciliation.refer": "报请政府决定",
    "reconciliation.government_decision": "登记政府的决定并办结",
}


# ---------------------------------------------------------------- helpers


def num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def pct(value: float | None) -> str:
    if value is None:
        return "—"
    shown = f"{value * 100:.1f}".removesuffix(".0")
    if shown == "0" and value > 0:
        shown = "0.1"  # never round a disagreement away
    return f"{shown}%"


_go = redirect_with


def _valid(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return parse_form(model, data, blank_is_missing=False)


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the pool's entry, its department and the compared item."""

    pool_id: int
    resource_id: int
    code: str
    entry_name: str
    org_name: str
    field: str
    label: str


class _Names:
    """Entry and department names for pools and organisations, loaded in bulk."""

    def __init__(self, ctx: Ctx, pools: Iterable[Pool], org_ids: Iterable[int] = ()) -> None:
        pools = list(pools)
        version_ids = {p.version_id for p in pools}
        self.versions = (
            {
                v.id: v
                for v in ctx.session.execute(
                    select(ResourceVersion).where(ResourceVersion.id.in_(version_ids))
                ).scalars()
            }
            if version_ids
            else {}
        )
        wanted = {p.org_id for p in pools} | set(org_ids)
        self.orgs = (
            {
                o.id: o.name
                for o in ctx.session.execute(
                    select(Organization).where(Organization.id.in_(wanted))
                ).scalars()
            }
            if wanted
            else {}
        )

    def side(self, pool: Pool, field: str, label: str) -> Side:
        version = self.versions.get(pool.version_id)
        return Side(
            pool.id,
            pool.resource_id,
            pool.resource.code,
            version.name if version else pool.resource.code,
            self.orgs.get(pool.org_id, ""),
            field,
            label,
        )


def _label_of(pool: Pool, field: str) -> str:
    return next((c.label for c in pool.columns if c.field_name == field), field)


def _limit_text(ctx: Ctx) -> dict[str, Any]:
    limit = ctx.profile.limit(Limit.RECONCILIATION)
    return {
        "label": LIMIT_LABELS[Limit.RECONCILIATION],
        "days": limit.days,
        "extension_days": limit.extension_days,
        "extension_requires": limit.extension_requires,
        "due": ctx.calendar.add_workdays(ctx.clock.today(), limit.days),
        "authority": ctx.profile.bodies.authority,
    }


# ---------------------------------------------------------------- the summary


@router.get("/consistency")
def consistency_summary(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    pairs = consistency.summarise(ctx, actor, samples=0)  # the authority only; recorded in the audit log
    names = _Names(ctx, [p for s in pairs for p in (s.shared.pool_a, s.shared.pool_b)])
    pending = _pending_counts(ctx, actor)
    rows = []
    for s in pairs:
        sh = s.shared
        rows.append(
            {
                "key": sh.key,
                "subject_kind": sh.subject_kind,
                "a": names.side(sh.pool_a, sh.field_a, sh.label_a),
                "b": names.side(sh.pool_b, sh.field_b, sh.label_b),
                "compared": s.compared,
                "disagreeing": s.disagreeing,
                "rate": s.disagreeing / s.compared if s.compared else None,
                "pending": pending.get((sh.key, frozenset((sh.pool_a.id, sh.pool_b.id))), 0),
                "link": "/consistency/pair?"
                + urlencode(
                    {
                        "pool_a_id": sh.pool_a.id,
                        "field_a": sh.field_a,
                        "pool_b_id": sh.pool_b.id,
                        "field_b": sh.field_b,
                    }
                ),
            }
        )
    rows.sort(key=lambda r: (-r["disagreeing"], r["key"], r["a"].code, r["b"].code))
    return render(
        request,
        "quality/consistency.html",
        rows=rows,
        stats={
            "pairs": len(rows),
            "with_disagreements": sum(1 for r in rows if r["disagreeing"]),
            "compared": sum(r["compared"] for r in rows),
            "disagreeing": sum(r["disagreeing"] for r in rows),
            "pending": sum(r["pending"] for r in rows),
        },
        limit=_limit_text(ctx),
        num=num,
        pct=pct,
    )


def _pending_counts(ctx: Ctx, actor: Actor) -> dict[tuple[str, frozenset[int]], int]:
    counts: dict[tuple[str, frozenset[int]], int] = {}
    for case in service.list_cases(ctx, actor):
        if case.state != CaseState.RESOLVED:
            key = (case.item_key, frozenset((case.pool_a_id, case.pool_b_id)))
            counts[key] = counts.get(key, 0) + 1
    return counts


# ---------------------------------------------------------------- one pair


@router.get("/consistency/pair")
def consistency_pair(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    pool_a_id: Annotated[int, Query(ge=1, le=2**62)],
    field_a: Annotated[str, Query(max_length=60)],
    pool_b_id: Annotated[int, Query(ge=1, le=2**62)],
    field_b: Annotated[str, Query(max_length=60)],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    shared = consistency.find_shared(ctx, actor, pool_a_id, field_a, pool_b_id, field_b)
    # One row more than shown tells whether there is a next page; the viewing is recorded in the audit log.
    found = consistency.disagreements(ctx, actor, shared, limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    rows, has_next = found[:PER_PAGE], len(found) > PER_PAGE
    names = _Names(ctx, [shared.pool_a, shared.pool_b])
    cases = _cases_for(ctx, shared, [r.subject_id for r in rows])
    params = {
        "pool_a_id": shared.pool_a.id,
        "field_a": shared.field_a,
        "pool_b_id": shared.pool_b.id,
        "field_b": shared.field_b,
    }
    return render(
        request,
        "quality/pair.html",
        shared=shared,
        a=names.side(shared.pool_a, shared.field_a, shared.label_a),
        b=names.side(shared.pool_b, shared.field_b, shared.label_b),
        rows=rows,
        cases=cases,
        page=page,
        first=(page - 1) * PER_PAGE + 1,
        has_next=has_next,
        page_link=lambda n: "/consistency/pair?" + urlencode({**params, "page": n}),
        params=params,
        per_page=PER_PAGE,
        limit=_limit_text(ctx),
        STATE=service.CASE_STATE_LABELS,
        num=num,
    )


def _cases_for(
    ctx: Ctx, shared: consistency.SharedItem, subjects: list[str]
) -> dict[str, ReconciliationCase]:
    """The latest case per subject on this page for this item and pair (an unfinished one first)."""
    if not subjects:
        return {}
    pools = [shared.pool_a.id, shared.pool_b.id]
    found: dict[str, ReconciliationCase] = {}
    for case in ctx.session.execute(
        select(ReconciliationCase)
        .where(
            ReconciliationCase.subject_id.in_(subjects),
            ReconciliationCase.item_key == shared.key,
            ReconciliationCase.pool_a_id.in_(pools),
            ReconciliationCase.pool_b_id.in_(pools),
        )
        .order_by(ReconciliationCase.id)
    ).scalars():
        held = found.get(case.subject_id)
        if held is None or held.state == CaseState.RESOLVED:
            found[case.subject_id] = case
    return found


# ---------------------------------------------------------------- cases


@router.post("/reconciliations", dependencies=[Csrf])
def case_open(
    ctx: CtxDep,
    actor: PageActor,
    pool_a_id: Annotated[str, Form(max_length=20)] = "",
    field_a: Field60 = "",
    pool_b_id: Annotated[str, Form(max_length=20)] = "",
    field_b: Field60 = "",
    subject_id: Annotated[str, Form(max_length=40)] = "",
    note: Text = "",
) -> Response:
    data = _valid(
        OpenCaseIn,
        {
            "pool_a_id": pool_a_id,
            "field_a": field_a,
            "pool_b_id": pool_b_id,
            "field_b": field_b,
            "subject_id": subject_id,
            "note": note.strip() or None,
        },
    )
    case = service.open_case(ctx, actor, data)
    return _go(
        f"/reconciliations/{case.id}",
        f"已发起协商核实（编号 {case.id}），请两个提供部门于 {case.due_date.isoformat()} 前核实办结",
    )


@dataclass
class CaseRow:
    case: ReconciliationCase
    org_a: str
    org_b: str
    due: DueInfo | None


_FILTERS = {
    "": "全部",
    "pending": "未办结",
    CaseState.OPEN.value: service.CASE_STATE_LABELS[CaseState.OPEN],
    CaseState.ESCALATED.value: service.CASE_STATE_LABELS[CaseState.ESCALATED],
    CaseState.RESOLVED.value: service.CASE_STATE_LABELS[CaseState.RESOLVED],
}


def _due(ctx: Ctx, case: ReconciliationCase) -> DueInfo | None:
    return due_info(ctx.calendar, case.due_date, ctx.clock.today()) if case.state == CaseState.OPEN else None


@router.get("/reconciliations")
def case_list(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    state: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    cases = service.list_cases(ctx, actor)
    counts = {key: 0 for key in _FILTERS}
    for c in cases:
        counts[""] += 1
        counts[c.state.value] += 1
        if c.state != CaseState.RESOLVED:
            counts["pending"] += 1
    chosen = state if state in _FILTERS else ""
    if chosen == "pending":
        cases = [c for c in cases if c.state != CaseState.RESOLVED]
    elif chosen:
        cases = [c for c in cases if c.state == chosen]
    total = len(cases)
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    shown = cases[(page - 1) * PER_PAGE : page * PER_PAGE]
    orgs = _Names(ctx, [], {c.org_a_id for c in shown} | {c.org_b_id for c in shown}).orgs
    rows = [CaseRow(c, orgs.get(c.org_a_id, ""), orgs.get(c.org_b_id, ""), _due(ctx, c)) for c in shown]
    return render(
        request,
        "quality/cases.html",
        rows=rows,
        filters=_FILTERS,
        counts=counts,
        chosen=chosen,
        page=page,
        pages=pages,
        total=total,
        page_link=lambda n: "/reconciliations?" + urlencode({"state": chosen, "page": n}),
        overdue=sum(1 for r in rows if r.due and r.due.overdue),
        can_compare=actor.is_authority or actor.is_system,
        STATE=service.CASE_STATE_LABELS,
        num=num,
    )


def _history(ctx: Ctx, case: ReconciliationCase) -> list[dict[str, Any]]:
    """The case's own events from the audit log: who opened, escalated and resolved it, and when."""
    events = ctx.session.execute(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "reconciliation_case",
            AuditEvent.object_id == str(case.id),
            AuditEvent.action.in_(list(_HISTORY_ACTIONS)),
        )
        .order_by(AuditEvent.seq)
    ).scalars()
    events = list(events)
    ids = {e.actor_id for e in events if e.actor_id is not None}
    names = (
        {u.id: u.display_name for u in ctx.session.execute(select(User).where(User.id.in_(ids))).scalars()}
        if ids
        else {}
    )
    history = []
    for e in events:
        try:
            detail = json.loads(e.detail) if e.detail else {}
        except ValueError:
            detail = {}
        text = ""
        if e.action == "reconciliation.escalate":
            text = str(detail.get("reason") or "")
        elif e.action == "reconciliation.resolve":
            text = f"核实后的正确值：{detail.get('correct_value', '')}"
        history.append(
            {
                "at": e.at,
                "who": names.get(e.actor_id, e.actor_name) if e.actor_id is not None else e.actor_name,
                "org": e.org_name,
                "what": _HISTORY_ACTIONS[e.action],
                "text": text,
            }
        )
    return history


def _can_handle(actor: Actor, case: ReconciliationCase) -> bool:
    """Mirrors the use case's rule so the page offers only the forms that can succeed."""
    if actor.is_system or actor.is_authority:
        return True
    return Permission.POOL_LOAD in actor.permissions and actor.org_id in (case.org_a_id, case.org_b_id)


@router.get("/reconciliations/{case_id:int}")
def case_detail(request: Request, ctx: CtxDep, actor: PageActor, case_id: int) -> Response:
    case = service.get_case(ctx, actor, case_id)
    pool_a, pool_b = service.pools_of(ctx, case)
    names = _Names(ctx, [pool_a, pool_b], {case.org_a_id, case.org_b_id})
    users = {
        u.id: u
        for u in ctx.session.execute(
            select(User).where(User.id.in_({i for i in (case.opened_by_id, case.resolved_by_id) if i}))
        ).scalars()
    }
    handler = _can_handle(actor, case)
    authority = actor.is_authority or actor.is_system
    return render(
        request,
        "quality/case.html",
        case=case,
        a=names.side(pool_a, case.field_a, _label_of(pool_a, case.field_a)),
        b=names.side(pool_b, case.field_b, _label_of(pool_b, case.field_b)),
        org_a=names.orgs.get(case.org_a_id, ""),
        org_b=names.orgs.get(case.org_b_id, ""),
        opened_by=users.get(case.opened_by_id) if case.opened_by_id else None,
        resolved_by=users.get(case.resolved_by_id) if case.resolved_by_id else None,
        due=_due(ctx, case),
        history=_history(ctx, case),
        can_resolve=handler
        and (case.state == CaseState.OPEN or (case.state == CaseState.ESCALATED and authority)),
        can_escalate=handler and not authority and case.state == CaseState.OPEN,
        is_authority=authority,
        limit=_limit_text(ctx),
        STATE=service.CASE_STATE_LABELS,
        today=ctx.clock.today(),
    )


@router.post("/reconciliations/{case_id:int}/resolve", dependencies=[Csrf])
def case_resolve(
    ctx: CtxDep, actor: PageActor, case_id: int, correct_value: Text = "", resolution: Text = ""
) -> Response:
    data = _valid(ResolveCaseIn, {"correct_value": correct_value, "resolution": resolution})
    case = service.resolve_case(ctx, actor, case_id, data)
    return _go(
        f"/reconciliations/{case.id}", f"协商核实 {case.id} 已办结：核实后的正确值为“{case.correct_value}”"
    )


@router.post("/reconciliations/{case_id:int}/escalate", dependencies=[Csrf])
def case_escalate(ctx: CtxDep, actor: PageActor, case_id: int, reason: Text = "") -> Response:
    data = _valid(EscalateCaseIn, {"reason": reason})
    case = service.escalate_case(ctx, actor, case_id, data)
    return _go(f"/reconciliations/{case.id}", f"协商核实 {case.id} 已提请{ctx.profile.bodies.authority}裁定")


@router.post("/reconciliations/{case_id:int}/refer", dependencies=[Csrf])
def case_refer(ctx: CtxDep, actor: PageActor, case_id: int, reason: Text = "") -> Response:
    data = _valid(GovernmentReferIn, {"reason": reason})
    case = service.refer_to_government(ctx, actor, case_id, data)
    return _go(f"/reconciliations/{case.id}", f"协商核实 {case.id} 已报请政府决定；决定作出后请在本页登记")


@router.post("/reconciliations/{case_id:int}/government-decision", dependencies=[Csrf])
def case_government_decision(
    ctx: CtxDep,
    actor: PageActor,
    case_id: int,
    decided_by: Text = "",
    decided_on: Annotated[str, Form(max_length=20)] = "",
    decision: Text = "",
    correct_value: Text = "",
) -> Response:
    body = {"decided_by": decided_by, "decided_on": decided_on, "decision": decision,
            "correct_value": correct_value or None}  # fmt: skip
    data = _valid(GovernmentDecisionIn, body)
    case = service.record_government_decision(ctx, actor, case_id, data)
    return _go(f"/reconciliations/{case.id}", f"已登记政府的决定，协商核实 {case.id} 已办结")
