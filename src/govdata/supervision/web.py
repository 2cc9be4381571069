"""监督管理 pages: violations, rectification notices, spot checks, forms' items, evidence report, job runs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata.authz import Actor, Permission, can, require
from govdata.context import Ctx
from govdata.deadlines import due_info
from govdata.errors import InvalidInput
from govdata.org.service import org_names
from govdata.profiles.schema import Limit
from govdata.supervision import evidence, jobs, notices, service, spotchecks
from govdata.supervision.models import NoticeState, ViolationKind, ViolationState
from govdata.web_support import (
    FORM_ERRORS,
    CtxDep,
    PageActor,
    Posted,
    check_csrf,
    form_text,
    parse_form,
    redirect_with,
    render,
)

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
LABELS = {
    "summary": "违规情形",
    "occurred_on": "发生日期",
    "org_id": "责任单位",
    "reason": "理由",
    "requirements": "整改要求",
    "violation_ids": "违规事项",
    "answer": "整改情况",
    "note": "审核意见",
    "title": "抽查名称",
    "size": "抽取数量",
    "seed": "随机种子",
    "population": "抽查对象",
    "result": "检查结果",
    "description": "问题描述",
    "form_name": "办事表单名称",
    "item_name": "信息项",
    "subject_kind": "主体类型",
    "source": "发现途径",
}


def parse(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return parse_form(model, data, LABELS)


go = redirect_with


def _failed(ctx: Ctx, back: str, exc: Exception) -> RedirectResponse:
    ctx.session.rollback()
    return go(back, f"未完成：{getattr(exc, 'message', str(exc))}")


# ---------------------------------------------------------------- violations


@router.get("/supervision")
def violations_page(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    kind: Annotated[str, Query(max_length=40)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
    org: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    k = ViolationKind(kind) if kind in set(ViolationKind) else None
    s = ViolationState(state) if state in set(ViolationState) else None
    o = int(org) if org.isdigit() else None
    rows = service.list_violations(ctx, actor, kind=k, state=s, org_id=o)
    supervisor = can(actor, Permission.SUPERVISE) and actor.is_authority
    orgs = service.supervised_orgs(ctx, actor) if supervisor else []
    names = org_names(ctx.session, {v.org_id for v in rows} | {x.id for x in orgs})
    return render(
        request,
        "supervision/violations.html",
        rows=rows,
        names=names,
        orgs=orgs,
        supervisor=supervisor,
        kind=kind,
        state=state,
        org=org,
        KIND=service.KIND_LABELS,
        STATE=service.STATE_LABELS,
        today=ctx.clock.today(),
        rect_days=ctx.profile.limit(Limit.RECTIFICATION).days,
        rect_due=notices.deadline_for(ctx, ctx.clock.today()),
        government=ctx.profile.bodies.government,
    )


@router.get("/supervision/violations/{violation_id:int}")
def violation_page(request: Request, ctx: CtxDep, actor: PageActor, violation_id: int) -> Response:
    v = service.get_violation(ctx, actor, violation_id)
    return render(
        request,
        "supervision/violation.html",
        v=v,
        ev=service.evidence(v),
        org_name=org_names(ctx.session, [v.org_id]).get(v.org_id, ""),
        supervisor=can(actor, Permission.SUPERVISE) and actor.is_authority,
        KIND=service.KIND_LABELS,
        STATE=service.STATE_LABELS,
    )


@router.post("/supervision/violations", dependencies=[Csrf])
def record_violation(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    require(actor, Permission.SUPERVISE)
    try:
        data = parse(
            service.ViolationIn, {k: form_text(form, k) for k in ("org_id", "summary", "occurred_on")}
        )
        v = service.record_violation(ctx, actor, data)
    except FORM_ERRORS as exc:
        return _failed(ctx, "/supervision", exc)
    return go(f"/supervision/violations/{v.id}", f"已记录违规事项 {v.id}")


@router.post("/supervision/violations/{violation_id:int}/dismiss", dependencies=[Csrf])
def dismiss(request: Request, ctx: CtxDep, actor: PageActor, violation_id: int, form: Posted) -> Response:
    back = f"/supervision/violations/{violation_id}"
    service.get_violation(ctx, actor, violation_id)
    try:
        service.dismiss(
            ctx, actor, violation_id, parse(service.DismissIn, {"reason": form_text(form, "reason")})
        )
    except FORM_ERRORS as exc:
        return _failed(ctx, back, exc)
    return go(back, "已认定不构成违规，理由已记录（容错）")


@router.post("/supervision/detect", dependencies=[Csrf])
def detect(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    counts = service.run_detection(ctx, actor)
    return go("/supervision", f"违规检测完成：新发现 {sum(counts.values())} 项")


# ---------------------------------------------------------------- notices


@router.get("/supervision/notices")
def notices_page(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    rows = notices.list_notices(ctx, actor)
    return render(
        request,
        "supervision/notices.html",
        rows=[(n, _deadline(ctx, n)) for n in rows],
        names=org_names(ctx.session, {n.org_id for n in rows}),
        NSTATE=notices.NOTICE_LABELS,
    )


def _deadline(ctx: Ctx, n: Any) -> Any:
    waiting = n.state in notices.AWAITING_DEPARTMENT
    return due_info(ctx.calendar, n.deadline, ctx.clock.today()) if waiting else None


@router.post("/supervision/notices", dependencies=[Csrf])
def issue_notice(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    ids = [v for v in form.getlist("violation_ids") if isinstance(v, str) and v.isdigit()]
    try:
        data = parse(
            notices.NoticeIn, {"violation_ids": ids, "requirements": form_text(form, "requirements")}
        )
        n = notices.issue(ctx, actor, data)
    except FORM_ERRORS as exc:
        return _failed(ctx, "/supervision", exc)
    return go(f"/supervision/notices/{n.id}", f"已下发整改通知 {n.id}，整改期限 {n.deadline.isoformat()}")


@router.get("/supervision/notices/{notice_id:int}")
def notice_page(request: Request, ctx: CtxDep, actor: PageActor, notice_id: int) -> Response:
    n = notices.get_notice(ctx, actor, notice_id)
    waiting = n.state in notices.AWAITING_DEPARTMENT
    return render(
        request,
        "supervision/notice.html",
        n=n,
        violations=notices.notice_violations(ctx, n.id),
        info=due_info(ctx.calendar, n.deadline, ctx.clock.today()) if waiting else None,
        org_name=org_names(ctx.session, [n.org_id]).get(n.org_id, ""),
        may_answer=waiting and can(actor, Permission.RECTIFY) and actor.org_id == n.org_id,
        may_decide=n.state == NoticeState.ANSWERED
        and can(actor, Permission.SUPERVISE)
        and actor.is_authority,
        may_escalate=waiting and can(actor, Permission.SUPERVISE) and actor.is_authority,
        government=ctx.profile.bodies.government,
        NSTATE=notices.NOTICE_LABELS,
        KIND=service.KIND_LABELS,
        STATE=service.STATE_LABELS,
    )


@router.post("/supervision/notices/{notice_id:int}/answer", dependencies=[Csrf])
def notice_answer(request: Request, ctx: CtxDep, actor: PageActor, notice_id: int, form: Posted) -> Response:
    return notice_act(ctx, actor, notice_id, "answer", form)


@router.post("/supervision/notices/{notice_id:int}/accept", dependencies=[Csrf])
def notice_accept(request: Request, ctx: CtxDep, actor: PageActor, notice_id: int, form: Posted) -> Response:
    return notice_act(ctx, actor, notice_id, "accept", form)


@router.post("/supervision/notices/{notice_id:int}/return", dependencies=[Csrf])
def notice_return(request: Request, ctx: CtxDep, actor: PageActor, notice_id: int, form: Posted) -> Response:
    return notice_act(ctx, actor, notice_id, "return", form)


@router.post("/supervision/notices/{notice_id:int}/escalate", dependencies=[Csrf])
def notice_escalate(
    request: Request, ctx: CtxDep, actor: PageActor, notice_id: int, form: Posted
) -> Response:
    return notice_act(ctx, actor, notice_id, "escalate", form)


def notice_act(ctx: Ctx, actor: Actor, notice_id: int, action: str, form: FormData) -> Response:
    back = f"/supervision/notices/{notice_id}"
    notices.get_notice(ctx, actor, notice_id)
    try:
        if action == "answer":
            notices.answer(
                ctx, actor, notice_id, parse(notices.NoticeAnswerIn, {"answer": form_text(form, "answer")})
            )
            msg = "整改情况已提交，等待数据主管机构审核"
        elif action in ("accept", "return"):
            data = parse(notices.NoticeDecisionIn, {"note": form_text(form, "note")})
            use = notices.accept if action == "accept" else notices.return_answer
            use(ctx, actor, notice_id, data)
            msg = "整改已通过，相关违规事项已记为已整改" if action == "accept" else "已退回，部门须重新答复"
        elif action == "escalate":
            n = notices.escalate(ctx, actor, notice_id)
            msg = f"已报告{n.escalated_to}"
        else:
            raise InvalidInput("未知的操作")
    except FORM_ERRORS as exc:
        return _failed(ctx, back, exc)
    return go(back, msg)


# ---------------------------------------------------------------- spot checks


@router.get("/supervision/spotchecks")
def checks_page(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return render(
        request,
        "supervision/spotchecks.html",
        rows=spotchecks.list_checks(ctx, actor),
        supervisor=can(actor, Permission.SUPERVISE) and actor.is_authority,
        POP=spotchecks.POPULATION_LABELS,
    )


@router.post("/supervision/spotchecks", dependencies=[Csrf])
def create_check(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    try:
        data = parse(
            spotchecks.SpotCheckIn, {k: form_text(form, k) for k in ("title", "population", "size", "seed")}
        )
        check = spotchecks.create(ctx, actor, data)
    except FORM_ERRORS as exc:
        return _failed(ctx, "/supervision/spotchecks", exc)
    return go(
        f"/supervision/spotchecks/{check.id}", f"已抽取 {check.sample_size} 个对象（随机种子 {check.seed}）"
    )


@router.get("/supervision/spotchecks/{check_id:int}")
def check_page(request: Request, ctx: CtxDep, actor: PageActor, check_id: int) -> Response:
    from govdata.catalog.models import Resource

    check = spotchecks.get_check(ctx, actor, check_id)
    rows = spotchecks.findings(ctx, check.id)
    codes = {
        f.object_id: (r.code if (r := ctx.session.get(Resource, f.object_id)) else "")
        for f in rows
        if f.object_type == "catalog_resource"
    }
    return render(
        request,
        "supervision/spotcheck.html",
        check=check,
        rows=rows,
        codes=codes,
        names=org_names(ctx.session, {f.org_id for f in rows}),
        redrawn=spotchecks.redraw(check),
        population_size=len([x for x in check.population_ids.split(",") if x]),
        supervisor=can(actor, Permission.SUPERVISE) and actor.is_authority,
        POP=spotchecks.POPULATION_LABELS,
        RESULT=spotchecks.RESULT_LABELS,
    )


@router.post("/supervision/findings/{finding_id:int}", dependencies=[Csrf])
def record_finding(
    request: Request, ctx: CtxDep, actor: PageActor, finding_id: int, form: Posted
) -> Response:
    check, _finding = spotchecks.get_finding(ctx, actor, finding_id)
    back = f"/supervision/spotchecks/{check.id}"
    try:
        data = parse(spotchecks.FindingIn, {k: form_text(form, k) for k in ("result", "description")})
        f = spotchecks.record_finding(ctx, actor, finding_id, data)
    except FORM_ERRORS as exc:
        return _failed(ctx, back, exc)
    tail = f"，已记为违规事项 {f.violation_id}" if f.violation_id else ""
    return go(back, f"已记录第 {f.position} 个对象的检查结果{tail}")


# ---------------------------------------------------------------- forms' items (AB22)


@router.get("/supervision/forms")
def forms_page(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    items = service.list_form_items(ctx, actor)
    offers = service.obtainable_items(ctx, items)
    return render(
        request,
        "supervision/forms.html",
        items=items,
        offers=offers,
        names=org_names(ctx.session, {i.org_id for i in items} | {o[1] for v in offers.values() for o in v}),
        may_edit=can(actor, Permission.RECTIFY),
    )


@router.post("/supervision/forms", dependencies=[Csrf])
def add_form_item(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    try:
        data = parse(
            service.FormItemIn, {k: form_text(form, k) for k in ("form_name", "item_name", "subject_kind")}
        )
        item = service.add_form_item(ctx, actor, data)
    except FORM_ERRORS as exc:
        return _failed(ctx, "/supervision/forms", exc)
    return go("/supervision/forms", f"已登记表单「{item.form_name}」的“{item.item_name}”")


@router.post("/supervision/forms/{item_id:int}/delete", dependencies=[Csrf])
def remove_form_item(request: Request, ctx: CtxDep, actor: PageActor, item_id: int) -> Response:
    service.remove_form_item(ctx, actor, item_id)
    return go("/supervision/forms", "已删除该信息项")


# ---------------------------------------------------------------- evidence (SUP-5), job runs


@router.get("/supervision/evidence")
def evidence_page(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    org: Annotated[str, Query(max_length=20)] = "",
    from_: Annotated[str, Query(alias="from", max_length=10)] = "",
    to: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    require(actor, Permission.SUPERVISION_READ)
    today = ctx.clock.today()
    chosen = int(org) if org.isdigit() else (actor.org_id if not actor.is_authority else None)
    start = _date(from_) or today.replace(month=1, day=1)
    end = _date(to) or today
    orgs = (
        service.supervised_orgs(ctx, actor) if can(actor, Permission.SUPERVISE) and actor.is_authority else []
    )
    report, error = None, None
    if chosen is not None:
        try:
            report = evidence.build(ctx, actor, chosen, start, end)
        except InvalidInput as exc:
            error = exc.message
    return render(request, "supervision/evidence.html", report=report, error=error, orgs=orgs, org=chosen,
                  start=start, end=end, today=today)  # fmt: skip


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("/supervision/jobs")
def jobs_page(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    runs = jobs.recent_runs(ctx, actor)
    return render(
        request,
        "supervision/jobs.html",
        runs=[(r, json.loads(r.counts or "{}")) for r in runs],
        latest=jobs.last_runs(runs),
        registry=jobs.JOBS,
        interval=jobs.JobSettings().jobs_interval_minutes,
    )
