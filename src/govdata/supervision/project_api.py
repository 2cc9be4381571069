"""JSON routes of the IT project registry (CAT-7). The routes only translate: every rule is in `projects`."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Query
from pydantic import BaseModel

from govdata.context import Ctx
from govdata.supervision import projects
from govdata.supervision.project_models import Project, ProjectState
from govdata.supervision.projects import CommentIn, EntryLinkIn, NewEntryIn, ProjectIn
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["政务信息化项目"])


class CheckOut(BaseModel):
    resource_id: int
    code: str
    name: str
    role: str
    system: str | None
    version_state: str
    published: bool
    rows: int | None
    last_loaded_at: dt.datetime | None
    problems: list[str]


class StepOut(BaseModel):
    action: str
    from_state: str | None
    to_state: str
    actor_name: str
    comment: str | None
    at: dt.datetime


class ProjectOut(BaseModel):
    id: int
    org_id: int
    name: str
    code: str
    budget_wan: str
    start_date: dt.date
    end_date: dt.date
    manager: str
    description: str
    systems: list[str]
    state: str
    state_label: str
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_comment: str | None
    acceptance_requested_at: dt.datetime | None
    accepted_at: dt.datetime | None
    acceptance_comment: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    entry_count: int


class ProjectDetailOut(ProjectOut):
    catalog: list[CheckOut]
    acceptance_ready: bool
    steps: list[StepOut]


def _out(p: Project) -> dict[str, object]:
    return {
        "id": p.id,
        "org_id": p.org_id,
        "name": p.name,
        "code": p.code,
        "budget_wan": projects.wan(p.budget_yuan),
        "start_date": p.start_date,
        "end_date": p.end_date,
        "manager": p.manager,
        "description": p.description,
        "systems": p.systems.split("\n"),
        "state": p.state.value,
        "state_label": projects.STATE_LABELS[p.state],
        "submitted_at": p.submitted_at,
        "decided_at": p.decided_at,
        "decision_comment": p.decision_comment,
        "acceptance_requested_at": p.acceptance_requested_at,
        "accepted_at": p.accepted_at,
        "acceptance_comment": p.acceptance_comment,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "entry_count": len(p.entries),
    }


def _detail(ctx: Ctx, p: Project) -> ProjectDetailOut:
    rows = projects.checklist(ctx, p)
    return ProjectDetailOut(
        **_out(p),
        catalog=[
            CheckOut(**{**r.__dict__, "role": r.role.value, "version_state": r.version_state.value})
            for r in rows
        ],
        acceptance_ready=bool(rows) and not any(r.problems for r in rows),
        steps=[StepOut.model_validate(s, from_attributes=True) for s in p.steps],
    )


@router.get("/projects", response_model=list[ProjectOut], summary="政务信息化项目列表（本单位 / 本级及下级）")
def list_projects(ctx: CtxDep, actor: ApiActor, state: ProjectState | None = Query(None)) -> list[ProjectOut]:
    return [ProjectOut(**_out(p)) for p in projects.list_projects(ctx, actor, state)]


@router.post("/projects", response_model=ProjectDetailOut, status_code=201, summary="登记政务信息化项目")
def register(ctx: CtxDep, actor: ApiActor, body: ProjectIn) -> ProjectDetailOut:
    return _detail(ctx, projects.register(ctx, actor, body))


@router.get(
    "/projects/{project_id}", response_model=ProjectDetailOut, summary="项目详情、项目数据资源目录与验收条件"
)
def get_project(ctx: CtxDep, actor: ApiActor, project_id: int) -> ProjectDetailOut:
    return _detail(ctx, projects.get_project(ctx, actor, project_id))


@router.put("/projects/{project_id}", response_model=ProjectDetailOut, summary="修改项目（编制中或退回）")
def edit(ctx: CtxDep, actor: ApiActor, project_id: int, body: ProjectIn) -> ProjectDetailOut:
    return _detail(ctx, projects.edit(ctx, actor, project_id, body))


@router.post(
    "/projects/{project_id}/entries", response_model=ProjectDetailOut, status_code=201,
    summary="将本单位目录条目编入项目数据资源目录",
)  # fmt: skip
def add_entry(ctx: CtxDep, actor: ApiActor, project_id: int, body: EntryLinkIn) -> ProjectDetailOut:
    line = projects.add_entry(ctx, actor, project_id, body)
    return _detail(ctx, line.project)


@router.post(
    "/projects/{project_id}/entries/new", response_model=ProjectDetailOut, status_code=201,
    summary="为项目新编目录条目（草稿）并编入项目数据资源目录",
)  # fmt: skip
def add_new_entry(ctx: CtxDep, actor: ApiActor, project_id: int, body: NewEntryIn) -> ProjectDetailOut:
    line = projects.add_new_entry(ctx, actor, project_id, body)
    return _detail(ctx, line.project)


@router.delete(
    "/projects/{project_id}/entries/{resource_id}", response_model=ProjectDetailOut,
    summary="将条目移出项目数据资源目录（审批前）",
)  # fmt: skip
def remove_entry(ctx: CtxDep, actor: ApiActor, project_id: int, resource_id: int) -> ProjectDetailOut:
    projects.remove_entry(ctx, actor, project_id, resource_id)
    return _detail(ctx, projects.get_project(ctx, actor, project_id))


def _dept(move: str, summary: str):  # type: ignore[no-untyped-def]
    def route(ctx: CtxDep, actor: ApiActor, project_id: int) -> ProjectDetailOut:
        return _detail(ctx, projects.department_move(ctx, actor, project_id, move))

    router.post(f"/projects/{{project_id}}/{move.replace('_', '-')}", response_model=ProjectDetailOut,
                summary=summary, name=f"project_{move}")(route)  # fmt: skip


def _auth(move: str, summary: str):  # type: ignore[no-untyped-def]
    def route(
        ctx: CtxDep, actor: ApiActor, project_id: int, body: CommentIn | None = None
    ) -> ProjectDetailOut:
        comment = body.comment if body is not None else None
        return _detail(ctx, projects.authority_move(ctx, actor, project_id, move, comment))

    router.post(f"/projects/{{project_id}}/{move.replace('_', '-')}", response_model=ProjectDetailOut,
                summary=summary, name=f"project_{move}")(route)  # fmt: skip


_dept("submit", "报送审批（项目数据资源目录作为审批要件）")
_dept("start", "开工建设")
_dept("request_acceptance", "申请验收")
_auth("approve", "审批通过（须已编制项目数据资源目录）")
_auth("return", "退回修改（须填写意见）")
_auth("accept", "验收通过（目录条目须全部发布且资源池已汇聚数据）")
_auth("refuse_acceptance", "验收不予通过（须填写意见）")
