"""JSON routes of supervision: violations, rectification notices, spot checks, forms' items, evidence, job runs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from govdata.supervision import evidence, jobs, notices, service, spotchecks
from govdata.supervision.models import NoticeState, ViolationKind, ViolationState
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["监督管理"])


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ViolationOut(_Out):
    id: int
    kind: ViolationKind
    state: ViolationState
    org_id: int
    region_path: str
    summary: str
    object_type: str | None
    object_id: str | None
    occurred_on: dt.date
    detected_at: dt.datetime
    detected_by_id: int | None
    closed_at: dt.datetime | None
    closing_note: str | None
    evidence: dict[str, Any] = {}


class NoticeOut(_Out):
    id: int
    org_id: int
    requirements: str
    state: NoticeState
    issued_at: dt.datetime
    deadline: dt.date
    answer: str | None
    answered_at: dt.datetime | None
    decision_note: str | None
    escalated_on: dt.date | None
    escalated_to: str | None
    violation_ids: list[int] = []


class FindingOut(_Out):
    id: int
    position: int
    object_type: str
    object_id: int
    org_id: int
    result: str | None
    description: str | None
    violation_id: int | None


class SpotCheckOut(_Out):
    id: int
    title: str
    population: str
    region_path: str
    population_ids: str
    sample_size: int
    seed: int
    drawn_at: dt.datetime
    findings: list[FindingOut] = []


class FormItemOut(_Out):
    id: int
    org_id: int
    form_name: str
    item_name: str
    subject_kind: str
    created_at: dt.datetime


class JobRunOut(_Out):
    id: int
    name: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: str
    counts: dict[str, int]
    message: str | None


def _violation(v: Any) -> ViolationOut:
    fields = {name: getattr(v, name) for name in ViolationOut.model_fields if name != "evidence"}
    return ViolationOut.model_validate({**fields, "evidence": service.evidence(v)})


@router.get("/supervision/violations", response_model=list[ViolationOut])
def list_violations(
    ctx: CtxDep,
    actor: ApiActor,
    kind: ViolationKind | None = None,
    state: ViolationState | None = None,
    org_id: int | None = None,
) -> list[ViolationOut]:
    return [_violation(v) for v in service.list_violations(ctx, actor, kind=kind, state=state, org_id=org_id)]


@router.get("/supervision/violations/{violation_id}", response_model=ViolationOut)
def get_violation(ctx: CtxDep, actor: ApiActor, violation_id: int) -> ViolationOut:
    return _violation(service.get_violation(ctx, actor, violation_id))


@router.post("/supervision/violations", response_model=ViolationOut, status_code=201)
def record_violation(ctx: CtxDep, actor: ApiActor, body: service.ViolationIn) -> ViolationOut:
    return _violation(service.record_violation(ctx, actor, body))


@router.post("/supervision/violations/{violation_id}/dismiss", response_model=ViolationOut)
def dismiss(ctx: CtxDep, actor: ApiActor, violation_id: int, body: service.DismissIn) -> ViolationOut:
    return _violation(service.dismiss(ctx, actor, violation_id, body))


@router.post("/supervision/detect")
def detect(ctx: CtxDep, actor: ApiActor) -> dict[str, int]:
    return service.run_detection(ctx, actor)


def _notice(ctx: CtxDep, n: Any) -> NoticeOut:
    out = NoticeOut.model_validate(n)
    out.violation_ids = [v.id for v in notices.notice_violations(ctx, n.id)]
    return out


@router.get("/supervision/notices", response_model=list[NoticeOut])
def list_notices(ctx: CtxDep, actor: ApiActor, state: NoticeState | None = None) -> list[NoticeOut]:
    return [_notice(ctx, n) for n in notices.list_notices(ctx, actor, state)]


@router.get("/supervision/notices/{notice_id}", response_model=NoticeOut)
def get_notice(ctx: CtxDep, actor: ApiActor, notice_id: int) -> NoticeOut:
    return _notice(ctx, notices.get_notice(ctx, actor, notice_id))


@router.post("/supervision/notices", response_model=NoticeOut, status_code=201)
def issue_notice(ctx: CtxDep, actor: ApiActor, body: notices.NoticeIn) -> NoticeOut:
    return _notice(ctx, notices.issue(ctx, actor, body))


@router.post("/supervision/notices/{notice_id}/answer", response_model=NoticeOut)
def answer_notice(ctx: CtxDep, actor: ApiActor, notice_id: int, body: notices.NoticeAnswerIn) -> NoticeOut:
    return _notice(ctx, notices.answer(ctx, actor, notice_id, body))


@router.post("/supervision/notices/{notice_id}/accept", response_model=NoticeOut)
def accept_notice(ctx: CtxDep, actor: ApiActor, notice_id: int, body: notices.NoticeDecisionIn) -> NoticeOut:
    return _notice(ctx, notices.accept(ctx, actor, notice_id, body))


@router.post("/supervision/notices/{notice_id}/return", response_model=NoticeOut)
def return_notice(ctx: CtxDep, actor: ApiActor, notice_id: int, body: notices.NoticeDecisionIn) -> NoticeOut:
    return _notice(ctx, notices.return_answer(ctx, actor, notice_id, body))


@router.post("/supervision/notices/{notice_id}/escalate", response_model=NoticeOut)
def escalate_notice(ctx: CtxDep, actor: ApiActor, notice_id: int) -> NoticeOut:
    return _notice(ctx, notices.escalate(ctx, actor, notice_id))


def _check(ctx: CtxDep, check: Any) -> SpotCheckOut:
    out = SpotCheckOut.model_validate(check)
    out.findings = [FindingOut.model_validate(f) for f in spotchecks.findings(ctx, check.id)]
    return out


@router.get("/supervision/spotchecks", response_model=list[SpotCheckOut])
def list_checks(ctx: CtxDep, actor: ApiActor) -> list[SpotCheckOut]:
    return [SpotCheckOut.model_validate(c) for c in spotchecks.list_checks(ctx, actor)]


@router.get("/supervision/spotchecks/{check_id}", response_model=SpotCheckOut)
def get_check(ctx: CtxDep, actor: ApiActor, check_id: int) -> SpotCheckOut:
    return _check(ctx, spotchecks.get_check(ctx, actor, check_id))


@router.post("/supervision/spotchecks", response_model=SpotCheckOut, status_code=201)
def create_check(ctx: CtxDep, actor: ApiActor, body: spotchecks.SpotCheckIn) -> SpotCheckOut:
    return _check(ctx, spotchecks.create(ctx, actor, body))


@router.post("/supervision/findings/{finding_id}", response_model=FindingOut)
def record_finding(ctx: CtxDep, actor: ApiActor, finding_id: int, body: spotchecks.FindingIn) -> FindingOut:
    """The result for one sampled department or entry of a spot check."""
    return FindingOut.model_validate(spotchecks.record_finding(ctx, actor, finding_id, body))


@router.get("/supervision/form-items", response_model=list[FormItemOut])
def list_form_items(ctx: CtxDep, actor: ApiActor) -> list[FormItemOut]:
    return [FormItemOut.model_validate(i) for i in service.list_form_items(ctx, actor)]


@router.post("/supervision/form-items", response_model=FormItemOut, status_code=201)
def add_form_item(ctx: CtxDep, actor: ApiActor, body: service.FormItemIn) -> FormItemOut:
    return FormItemOut.model_validate(service.add_form_item(ctx, actor, body))


@router.delete("/supervision/form-items/{item_id}", status_code=204)
def remove_form_item(ctx: CtxDep, actor: ApiActor, item_id: int) -> None:
    service.remove_form_item(ctx, actor, item_id)


@router.get("/supervision/evidence")
def get_evidence(
    ctx: CtxDep,
    actor: ApiActor,
    org: int,
    from_: Annotated[dt.date, Query(alias="from")],
    to: dt.date,
) -> dict[str, Any]:
    return evidence.build(ctx, actor, org, from_, to).as_json()


@router.get("/supervision/jobs", response_model=list[JobRunOut])
def job_runs(ctx: CtxDep, actor: ApiActor) -> list[JobRunOut]:
    runs = jobs.recent_runs(ctx, actor)
    return [
        JobRunOut(
            id=r.id,
            name=r.name,
            started_at=r.started_at,
            finished_at=r.finished_at,
            outcome=r.outcome,
            counts=json.loads(r.counts or "{}"),
            message=r.message,
        )
        for r in runs
    ]
