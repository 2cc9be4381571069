"""The data subject's pages (QUAL-4, AB22): `/me/data` — every record held on me, my golden record with its
sources, who accessed my data when and why, a copy to download, and the forms to ask for correction or deletion.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from govdata.deadlines import due_info
from govdata.errors import NotFound
from govdata.profiles.schema import Limit
from govdata.quality import corrections, subject
from govdata.quality.schemas import CorrectionIn
from govdata.quality.web_corrections import go, valid
from govdata.web_support import CtxDep, PageActor, Posted, check_csrf, form_text, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)


@router.get("/me/data")
def my_data(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    data = subject.my_data(ctx, actor)
    accesses = subject.my_accesses(ctx, actor)
    requests = corrections.mine(ctx, actor)
    today = ctx.clock.today()
    return render(
        request, "quality/me_data.html", data=data, accesses=accesses, requests=requests,
        dues={r.id: due_info(ctx.calendar, r.due_date, today) for r in requests if r.due_date
              and r.state in corrections.PENDING_STATES},
        STATE=corrections.STATE_LABELS, KIND=corrections.KIND_LABELS,
        answer_limit=ctx.profile.limit(Limit.CORRECTION_ANSWER),
        forward_limit=ctx.profile.limit(Limit.CORRECTION_FORWARD),
    )  # fmt: skip


@router.get("/me/data.json")
def my_data_json(ctx: CtxDep, actor: PageActor) -> Response:
    data = subject.my_data(ctx, actor)
    body = subject.export_json(data, subject.my_accesses(ctx, actor), corrections.mine(ctx, actor))
    headers = {"Content-Disposition": 'attachment; filename="my-data.json"'}
    return Response(body, media_type="application/json", headers=headers)


@router.get("/me/data.csv")
def my_data_csv(ctx: CtxDep, actor: PageActor) -> Response:
    body = subject.export_csv(subject.my_data(ctx, actor))
    headers = {"Content-Disposition": 'attachment; filename="my-data.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/me/data/request")
def request_form(
    request: Request, ctx: CtxDep, actor: PageActor, resource_id: int, row_id: int, kind: str = "correct"
) -> Response:
    data = subject.my_data(ctx, actor)
    found = next((r for r in data.records if r.resource_id == resource_id and r.row_id == row_id), None)
    if found is None:
        raise NotFound("该记录不存在，或不是关于您本人的记录")
    return render(
        request, "quality/me_request.html", r=found, kind="delete" if kind == "delete" else "correct",
        answer_limit=ctx.profile.limit(Limit.CORRECTION_ANSWER),
        forward_limit=ctx.profile.limit(Limit.CORRECTION_FORWARD),
        subject_field=_subject_field(ctx, found.pool_id),
    )  # fmt: skip


def _subject_field(ctx: CtxDep, pool_id: int) -> str | None:
    from govdata.pool.models import Pool

    pool = ctx.session.get(Pool, pool_id)
    return pool.subject_field if pool else None


@router.post("/me/corrections", dependencies=[Csrf])
def file_request(ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    body = {
        "resource_id": form_text(form, "resource_id", 20) or "0",
        "row_id": form_text(form, "row_id", 20) or "0",
        "kind": form_text(form, "kind", 20) or "correct",
        "field_name": form_text(form, "field_name", 60) or None,
        "proposed_value": form_text(form, "proposed_value", 2000) or None,
        "problem": form_text(form, "problem", 2000),
        "reason": form_text(form, "reason", 2000) or None,
        "proof_shown": form_text(form, "proof_shown", 5) == "1",
        "filed_with": form_text(form, "filed_with", 20) or "department",
    }
    req = corrections.file(ctx, actor, valid(CorrectionIn, body))
    where = "归集部门" if req.state == corrections.S.PENDING else "数据主管机构"
    due = req.due_date or req.forward_due
    msg = f"校核申请 {req.id} 已提交{where}，" + (
        f"应于 {due.isoformat()} 前答复" if req.due_date else f"应于 {due.isoformat()} 前转交归集部门"
    )
    return go(f"/corrections/{req.id}", msg)
