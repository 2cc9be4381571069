"""Correction-request pages: the collecting department's inbox, the authority's list (to forward, and every
request of its level), and one request's page — the requester's view of dates and result, and the forms of
whoever may act on it next (forward, extend with the head's approval, answer)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from starlette.responses import Response

from govdata.audit.models import AuditEvent
from govdata.authz import Permission, can, in_jurisdiction
from govdata.context import Ctx
from govdata.deadlines import due_info
from govdata.errors import Forbidden, InvalidInput
from govdata.org.models import Organization, OrgKind
from govdata.org.service import org_names
from govdata.pool import amend
from govdata.pool.models import Pool
from govdata.profiles.schema import Limit
from govdata.quality import corrections
from govdata.quality.models import CorrectionRequest
from govdata.quality.schemas import CorrectionAnswerIn, CorrectionExtendIn, ForwardIn
from govdata.validation import validation_message
from govdata.web_support import CtxDep, PageActor, Posted, check_csrf, form_text, redirect_with, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
S = corrections.S
_STEPS = {
    "quality.correction.file": "提出申请",
    "quality.correction.forward": "主管机构转交归集部门",
    "quality.correction.extend": "经负责人批准延期",
    "quality.correction.answer": "答复校核结果",
    "quality.correction.forward_overdue": "逾期未转交（疑似违规）",
    "quality.correction.overdue": "逾期未答复（疑似违规）",
}


def valid(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        message, details = validation_message(exc.errors())
        raise InvalidInput(message, details={"problems": details}) from None


go = redirect_with


@router.get("/corrections")
def correction_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    if can(actor, Permission.CORRECTION_FORWARD):
        rows, view = corrections.of_level(ctx, actor), "authority"
    elif can(actor, Permission.CORRECTION_ANSWER):
        rows, view = corrections.inbox(ctx, actor), "department"
    else:
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")
    today = ctx.clock.today()
    dues = {}
    for r in rows:
        if r.state == S.PENDING and r.due_date:
            dues[r.id] = due_info(ctx.calendar, r.due_date, today)
        elif r.state == S.AT_AUTHORITY and r.forward_due:
            dues[r.id] = due_info(ctx.calendar, r.forward_due, today)
    return render(
        request, "quality/corrections.html", rows=rows, view=view, dues=dues,
        orgs=org_names(ctx.session, [r.org_id for r in rows]), STATE=corrections.STATE_LABELS,
        KIND=corrections.KIND_LABELS, answer_limit=ctx.profile.limit(Limit.CORRECTION_ANSWER),
        forward_limit=ctx.profile.limit(Limit.CORRECTION_FORWARD),
    )  # fmt: skip


def _steps(ctx: Ctx, req: CorrectionRequest) -> list[dict[str, Any]]:
    events = ctx.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "correction_request", AuditEvent.object_id == str(req.id))
        .order_by(AuditEvent.seq)
    ).all()
    steps = []
    for e in events:
        detail = json.loads(e.detail) if e.detail else {}
        note = detail.get("reason") or detail.get("note") or ""
        if e.action == "quality.correction.extend":
            note = f"延长 {detail.get('days')} 个工作日至 {detail.get('to_due')}；{detail.get('approved_by')} 批准：{note}"
        steps.append({"at": e.at, "what": _STEPS.get(e.action, e.action), "who": e.actor_name,
                      "org": e.org_name, "note": note})  # fmt: skip
    return steps


@router.get("/corrections/{request_id:int}")
def correction_detail(request: Request, ctx: CtxDep, actor: PageActor, request_id: int) -> Response:
    req = corrections.get(ctx, actor, request_id)
    pool = ctx.session.get(Pool, req.pool_id)
    row = amend.read_row(ctx, pool, req.row_id) if pool else None
    today = ctx.clock.today()
    answerer = can(actor, Permission.CORRECTION_ANSWER) and actor.org_id == req.org_id
    forwarder = can(actor, Permission.CORRECTION_FORWARD) and in_jurisdiction(actor, req.region_path)
    departments = []
    if forwarder and req.state == S.AT_AUTHORITY:
        departments = list(ctx.session.scalars(
            select(Organization).where(Organization.kind.in_([OrgKind.DEPARTMENT, OrgKind.OPERATOR]))
            .order_by(Organization.name)
        ))  # fmt: skip
    names = org_names(ctx.session, [req.org_id, pool.org_id if pool else req.org_id])
    due = req.due_date if req.state == S.PENDING else req.forward_due if req.state == S.AT_AUTHORITY else None
    return render(
        request, "quality/correction.html", req=req, pool=pool,
        record=[(c.label, amend.as_text(row.get(c.field_name))) for c in pool.columns if not c.retired]
        if row is not None and pool is not None else None,
        org_name=names.get(req.org_id, ""), pool_org=names.get(pool.org_id, "") if pool else "",
        due=due_info(ctx.calendar, due, today) if due else None, steps=_steps(ctx, req),
        public=actor.role is not None and actor.role.value == "public_user",
        can_answer=answerer and req.state == S.PENDING,
        can_extend=answerer and req.state == S.PENDING and req.extended_at is None,
        can_forward=forwarder and req.state == S.AT_AUTHORITY, departments=departments,
        STATE=corrections.STATE_LABELS, KIND=corrections.KIND_LABELS, FILED=corrections.FILED_LABELS,
        answer_limit=ctx.profile.limit(Limit.CORRECTION_ANSWER),
        forward_limit=ctx.profile.limit(Limit.CORRECTION_FORWARD), today=today,
    )  # fmt: skip


def _id(form: Posted, key: str) -> int:
    text = form_text(form, key, 20)
    if not text.isdigit():
        raise InvalidInput("请选择转交的归集部门")
    return int(text)


@router.post("/corrections/{request_id:int}/forward", dependencies=[Csrf])
def correction_forward(ctx: CtxDep, actor: PageActor, request_id: int, form: Posted) -> Response:
    data = valid(ForwardIn, {"org_id": _id(form, "org_id"), "note": form_text(form, "note", 2000) or None})
    req = corrections.forward(ctx, actor, request_id, data)
    return go(f"/corrections/{req.id}", f"已转交，归集部门应于 {req.due_date} 前答复")


@router.post("/corrections/{request_id:int}/extend", dependencies=[Csrf])
def correction_extend(ctx: CtxDep, actor: PageActor, request_id: int, form: Posted) -> Response:
    body = {"days": form_text(form, "days", 5) or "0", "reason": form_text(form, "reason", 2000),
            "approved_by": form_text(form, "approved_by", 100), "approved_on": form_text(form, "approved_on", 20) or None}  # fmt: skip
    req = corrections.extend(ctx, actor, request_id, valid(CorrectionExtendIn, body))
    return go(f"/corrections/{req.id}", f"已延期一次，新的答复期限为 {req.due_date}")


@router.post("/corrections/{request_id:int}/answer", dependencies=[Csrf])
def correction_answer(ctx: CtxDep, actor: PageActor, request_id: int, form: Posted) -> Response:
    body = {"result": form_text(form, "result", 20), "value": form_text(form, "value", 2000) or None,
            "answer": form_text(form, "answer", 4000)}  # fmt: skip
    req = corrections.answer(ctx, actor, request_id, valid(CorrectionAnswerIn, body))
    return go(
        f"/corrections/{req.id}",
        f"已答复：{corrections.STATE_LABELS[req.state]}，申请人可在“我的数据”中看到结果",
    )
