"""Pages of the IT project registry (CAT-7): the department's projects and their data-resource catalogs, the
authority's approval and acceptance with the checklist of acceptance conditions. Rules live in `projects`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata.authz import Actor, Permission, can
from govdata.context import Ctx
from govdata.errors import DomainError, Forbidden, InvalidInput, NotFound
from govdata.org.service import org_names
from govdata.supervision import projects
from govdata.supervision.project_models import EntryRole, Project, ProjectState
from govdata.supervision.projects import EntryLinkIn, ProjectIn
from govdata.web_support import FORM_ERRORS as SHOWN_ERRORS
from govdata.web_support import (
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
FORM_ERRORS = (*SHOWN_ERRORS, NotFound)  # a project or asset chosen on the form may be gone
LABELS = {
    "name": "项目名称",
    "code": "项目编号",
    "budget_wan": "项目预算（万元）",
    "start_date": "建设开始日期",
    "end_date": "建设结束日期",
    "manager": "项目负责人",
    "description": "建设内容",
    "systems": "建设的信息系统",
    "resource_id": "目录条目",
    "role": "数据关系",
    "system": "所属信息系统",
    "comment": "意见",
}


go = redirect_with


def parse(model: type[BaseModel], data: dict[str, Any], labels: dict[str, str] = LABELS) -> Any:
    return parse_form(model, data, labels, blank_is_missing=False)


def problems(exc: DomainError) -> list[str]:
    found = exc.details.get("problems") if exc.details else None
    if isinstance(found, list) and found and all(isinstance(p, str) for p in found):
        return found
    return [exc.message]


def _form_data(form: FormData) -> dict[str, Any]:
    return {
        "name": form_text(form, "name", 200),
        "code": form_text(form, "code", 60),
        "budget_wan": form_text(form, "budget_wan", 30),
        "start_date": form_text(form, "start_date", 10) or None,
        "end_date": form_text(form, "end_date", 10) or None,
        "manager": form_text(form, "manager", 100),
        "description": form_text(form, "description"),
        "systems": [s for s in form_text(form, "systems").splitlines() if s.strip()],
    }


def _typed(project: Project) -> dict[str, Any]:
    return {
        "name": project.name,
        "code": project.code,
        "budget_wan": projects.wan(project.budget_yuan),
        "start_date": project.start_date.isoformat(),
        "end_date": project.end_date.isoformat(),
        "manager": project.manager,
        "description": project.description,
        "systems": project.systems,
    }


# ---------------------------------------------------------------- lists and the register form


@router.get("/projects")
def project_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    raw = request.query_params.get("state", "")
    state = ProjectState(raw) if raw in ProjectState._value2member_map_ else None
    rows = projects.list_projects(ctx, actor, state)
    return render(
        request,
        "supervision/projects.html",
        rows=rows,
        state=state,
        names=org_names(ctx.session, {p.org_id for p in rows}),
        can_manage=can(actor, Permission.PROJECT_MANAGE),
        can_approve=can(actor, Permission.PROJECT_APPROVE),
        S=projects.STATE_LABELS,
        wan=projects.wan,
    )


def _form_page(
    request: Request, project: Project | None, typed: dict[str, Any], errors: list[str]
) -> Response:
    return render(request, "supervision/project_form.html", project=project, f=typed, errors=errors)


def _require_manage(actor: Actor) -> None:
    if not can(actor, Permission.PROJECT_MANAGE):
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")


@router.get("/projects/new")
def project_new(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    _require_manage(actor)
    return _form_page(request, None, {}, [])


@router.post("/projects/new", dependencies=[Csrf])
def project_create(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    _require_manage(actor)
    typed = _form_data(form)
    try:
        project = projects.register(ctx, actor, parse(ProjectIn, typed))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        shown = {**typed, "systems": "\n".join(typed["systems"])}
        return _form_page(request, None, shown, problems(exc))
    return go(f"/projects/{project.id}", f"项目“{project.name}”已登记。请编制项目数据资源目录，再报送审批")


@router.get("/projects/{project_id:int}/edit")
def project_edit(request: Request, ctx: CtxDep, actor: PageActor, project_id: int) -> Response:
    project = projects.get_project(ctx, actor, project_id)
    _require_manage(actor)
    return _form_page(request, project, _typed(project), [])


@router.post("/projects/{project_id:int}/edit", dependencies=[Csrf])
def project_update(
    request: Request, ctx: CtxDep, actor: PageActor, project_id: int, form: Posted
) -> Response:
    typed = _form_data(form)
    try:
        project = projects.edit(ctx, actor, project_id, parse(ProjectIn, typed))
    except FORM_ERRORS as exc:
        ctx.session.rollback()
        project = projects.get_project(ctx, actor, project_id)
        return _form_page(request, project, {**typed, "systems": "\n".join(typed["systems"])}, problems(exc))
    return go(f"/projects/{project.id}", "项目信息已保存")


# ---------------------------------------------------------------- one project


def _detail(
    request: Request, ctx: Ctx, actor: Actor, project: Project, errors: list[str] | None = None
) -> Response:
    rows = projects.checklist(ctx, project)
    owner = can(actor, Permission.PROJECT_MANAGE) and actor.org_id == project.org_id
    approver = can(actor, Permission.PROJECT_APPROVE) and not owner
    moves = projects.allowed_moves(project.state)
    return render(
        request,
        "supervision/project.html",
        status_code=200,
        project=project,
        org_name=org_names(ctx.session, [project.org_id]).get(project.org_id, ""),
        rows=rows,
        ready=bool(rows) and not any(r.problems for r in rows),
        owner=owner,
        approver=approver,
        dept_moves=[m for m in moves if m in projects.DEPARTMENT_MOVES] if owner else [],
        auth_moves=[m for m in moves if m in projects.AUTHORITY_MOVES] if approver else [],
        catalog_open=owner and project.state in projects.CATALOG_OPEN,
        removable=owner and project.state in projects.EDITABLE,
        editable=owner and project.state in projects.EDITABLE,
        choices=projects.own_entries(ctx, actor, project)
        if owner and project.state in projects.CATALOG_OPEN
        else [],
        systems=project.systems.split("\n"),
        errors=errors or [],
        S=projects.STATE_LABELS,
        M=projects.MOVE_LABELS,
        R=projects.ROLE_LABELS,
        roles=list(EntryRole),
        wan=projects.wan,
    )


@router.get("/projects/{project_id:int}")
def project_page(request: Request, ctx: CtxDep, actor: PageActor, project_id: int) -> Response:
    return _detail(request, ctx, actor, projects.get_project(ctx, actor, project_id))


def _fail(request: Request, ctx: Ctx, actor: Actor, project_id: int, exc: DomainError) -> Response:
    """Show the refusal on the project page (with the checklist), nothing written."""
    ctx.session.rollback()
    return _detail(request, ctx, actor, projects.get_project(ctx, actor, project_id), problems(exc))


@router.post("/projects/{project_id:int}/entries", dependencies=[Csrf])
def entry_add(request: Request, ctx: CtxDep, actor: PageActor, project_id: int, form: Posted) -> Response:
    typed = {
        "resource_id": form_text(form, "resource_id", 20) or None,
        "role": form_text(form, "role", 20) or EntryRole.PRODUCE.value,
        "system": form_text(form, "system", 200) or None,
    }
    try:
        line = projects.add_entry(ctx, actor, project_id, parse(EntryLinkIn, typed))
    except FORM_ERRORS as exc:
        return _fail(request, ctx, actor, project_id, exc)
    return go(f"/projects/{project_id}", f"已将目录条目 {line.resource.code} 编入项目数据资源目录")


@router.post("/projects/{project_id:int}/entries/remove", dependencies=[Csrf])
def entry_remove(request: Request, ctx: CtxDep, actor: PageActor, project_id: int, form: Posted) -> Response:
    raw = form_text(form, "resource_id", 20)
    try:
        if not raw.isdigit():
            raise InvalidInput("请选择要移出的目录条目")
        projects.remove_entry(ctx, actor, project_id, int(raw))
    except FORM_ERRORS as exc:
        return _fail(request, ctx, actor, project_id, exc)
    return go(f"/projects/{project_id}", "已将该条目移出项目数据资源目录（目录条目本身不受影响）")


_DONE = {
    "submit": "已报送审批，等待数据主管机构审批",
    "approve": "项目已审批通过",
    "return": "已退回部门修改",
    "start": "项目已进入建设阶段",
    "request_acceptance": "已申请验收，等待数据主管机构验收",
    "accept": "项目已通过验收",
    "refuse_acceptance": "已记录验收不予通过及意见",
}


@router.post("/projects/{project_id:int}/move", dependencies=[Csrf])
def project_move(request: Request, ctx: CtxDep, actor: PageActor, project_id: int, form: Posted) -> Response:
    move = form_text(form, "move", 30)
    comment = form_text(form, "comment") or None
    if move not in projects.TRANSITIONS:
        raise InvalidInput("未知的操作")
    try:
        if comment is not None:
            comment = parse(projects.CommentIn, {"comment": comment}).comment
        if move in projects.DEPARTMENT_MOVES:
            projects.department_move(ctx, actor, project_id, move, comment)
        else:
            projects.authority_move(ctx, actor, project_id, move, comment)
    except FORM_ERRORS as exc:
        return _fail(request, ctx, actor, project_id, exc)
    return go(f"/projects/{project_id}", _DONE[move])
