"""Permission cases of the IT project registry (CAT-7) and the data asset registry (DEV-1), for the API walk and
the page walk. `test_permissions` adds PROJECT_CASES; `test_page_permissions` adds `project_page_cases()` (a
function: PageCase lives in that module, which imports this one).

Every setup makes fresh objects for each walked role (the walk runs all roles in one database).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from govdata.context import Ctx
from govdata.supervision import assets, projects
from govdata.supervision.assets import RegisterIn
from govdata.supervision.project_models import ProjectEntry
from govdata.supervision.projects import EntryLinkIn, ProjectIn
from tests.http import helpers as h
from tests.http.cases import AUTHORITY, GOV, Case
from tests.world import World, entry_data

if TYPE_CHECKING:
    from tests.http.test_page_permissions import PageCase

MANAGERS = {"gongan_officer", "minzheng_officer"}  # PROJECT_MANAGE
PROJECT_ROLES = AUTHORITY | MANAGERS
OWNER = {"gongan_officer"}  # every setup's project belongs to 公安
NOT_OWNER = {"minzheng_officer"}  # manages projects, but not this one: it does not exist for them
ASSET_ADMIN = {"admin"}  # ASSET_MANAGE
_serial = itertools.count(1)


def project_body(who: str = "x") -> dict[str, Any]:
    return {
        "name": "公安人口信息化平台",
        "code": f"T-{who}-{next(_serial)}",
        "budget_wan": "560.25",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
        "manager": "王建国",
        "description": "建设人口信息采集和核验系统",
        "systems": ["人口信息采集系统"],
    }


def _project(ctx: Ctx, world: World, state: str, *, with_entry: bool = True, loaded: bool = False) -> int:
    """A 公安 project in the given state: draft, submitted, approved, building or acceptance_requested."""
    officer, reviewer = world.actor("gongan_officer"), world.actor("reviewer")
    project = projects.register(ctx, officer, ProjectIn.model_validate(project_body()))
    if with_entry:
        rid = h.loaded_pool(ctx, world)[0] if loaded else h.draft(ctx, world).id
        projects.add_entry(ctx, officer, project.id, EntryLinkIn(resource_id=rid))
    steps = ["submit", "approve", "start", "request_acceptance"]
    for move in steps[: ["draft", "submitted", "approved", "building", "acceptance_requested"].index(state)]:
        if move in projects.DEPARTMENT_MOVES:
            projects.department_move(ctx, officer, project.id, move)
        else:
            projects.authority_move(ctx, reviewer, project.id, move, None)
    ctx.session.commit()
    return project.id


def _in(state: str, **kw: Any) -> Any:
    return lambda c, w, who: {"id": _project(c, w, state, **kw)}


def _draft_with_entry_choice(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    pid = _project(ctx, world, "draft", with_entry=False)
    return {
        "id": pid,
        "body": {"resource_id": h.draft(ctx, world).id, "role": "use", "system": "人口信息采集系统"},
    }


def _draft_with_new_entry(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    pid = _project(ctx, world, "draft", with_entry=False)
    return {"id": pid, "body": {"entry": entry_data(name=f"项目新编条目{who}"), "role": "produce"}}


def _draft_and_line(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    # The previous role's request deleted a line this session still maps; SQLite may reuse its id.
    for obj in [o for o in ctx.session.identity_map.values() if isinstance(o, ProjectEntry)]:
        ctx.session.expunge(obj)
    pid = _project(ctx, world, "draft")
    return {
        "id": pid,
        "pool_a": projects.get_project(ctx, world.actor("gongan_officer"), pid).entries[0].resource_id,
    }


def _new_project(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"body": project_body(who)}


def _edit_project(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _project(ctx, world, "draft"), "body": project_body(who)}


def _published_entry(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    res = h.published(ctx, world, name=f"登记用条目{who}")
    return {"body": {"resource_id": res.id, "value_grade": "medium", "value_basis": "按调用量评估"}}


def _asset(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    res = h.published(ctx, world, name=f"资产条目{who}")
    asset = assets.register(ctx, world.actor("admin"), RegisterIn(resource_id=res.id))
    ctx.session.commit()
    return {"id": asset.id}


def _asset_edit(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return _asset(ctx, world, who) | {"body": {"status": "suspended", "reason": "系统停机维护"}}


P = "/api/v1/projects/{id}"
COMMENT = {"comment": "意见：同意"}
PROJECT_CASES: list[Case] = [
    Case("GET", "/api/v1/projects", PROJECT_ROLES),
    Case("POST", "/api/v1/projects", MANAGERS, setup=_new_project, body=project_body()),
    Case("GET", P, AUTHORITY | OWNER, hidden=NOT_OWNER, setup=_in("submitted")),
    Case("PUT", P, OWNER, hidden=NOT_OWNER | AUTHORITY, setup=_edit_project, body=project_body()),
    Case(
        "POST",
        P + "/entries",
        OWNER,
        hidden=NOT_OWNER | AUTHORITY,
        setup=_draft_with_entry_choice,
        body={"resource_id": 1},
    ),
    Case(
        "POST",
        P + "/entries/new",
        OWNER,
        hidden=NOT_OWNER | AUTHORITY,
        setup=_draft_with_new_entry,
        body={"entry": entry_data()},
    ),
    # {pool_a}: the walk's second path parameter, here the catalog entry to take out of the project catalog.
    Case("DELETE", P + "/entries/{pool_a}", OWNER, hidden=NOT_OWNER | AUTHORITY, setup=_draft_and_line),
    Case("POST", P + "/submit", OWNER, hidden=NOT_OWNER | AUTHORITY, setup=_in("draft")),
    Case("POST", P + "/start", OWNER, hidden=NOT_OWNER, setup=_in("approved")),
    Case("POST", P + "/request-acceptance", OWNER, hidden=NOT_OWNER, setup=_in("building")),
    Case("POST", P + "/approve", AUTHORITY, hidden=NOT_OWNER, setup=_in("submitted"), body=COMMENT),
    Case("POST", P + "/return", AUTHORITY, hidden=NOT_OWNER, setup=_in("submitted"), body=COMMENT),
    Case(
        "POST",
        P + "/accept",
        AUTHORITY,
        hidden=NOT_OWNER,
        setup=_in("acceptance_requested", loaded=True),
        body=COMMENT,
    ),
    Case(
        "POST",
        P + "/refuse-acceptance",
        AUTHORITY,
        hidden=NOT_OWNER,
        setup=_in("acceptance_requested"),
        body=COMMENT,
    ),
    Case("GET", "/api/v1/assets", GOV),
    Case("GET", "/api/v1/assets/export.csv", GOV),
    Case("GET", "/api/v1/assets/candidates", ASSET_ADMIN),
    Case("POST", "/api/v1/assets", ASSET_ADMIN, setup=_published_entry, body={"resource_id": 1}),
    Case("POST", "/api/v1/assets/register-all", ASSET_ADMIN),
    Case("GET", "/api/v1/assets/{id}", GOV, setup=_asset),
    Case("PATCH", "/api/v1/assets/{id}", ASSET_ADMIN, setup=_asset_edit, body={"reason": "停用"}),
]


def _form(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "systems": "\n".join(body["systems"])}


def _new_form(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"body": _form(project_body(who))}


def _edit_form(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    return {"id": _project(ctx, world, "draft"), "body": _form(project_body(who))}


def _remove_form(ctx: Ctx, world: World, who: str) -> dict[str, Any]:
    line = _draft_and_line(ctx, world, who)
    return {"id": line["id"], "body": {"resource_id": line["pool_a"]}}


def project_page_cases() -> list[PageCase]:
    """The page cases, built when test_page_permissions asks (PageCase lives there)."""
    from tests.http.test_page_permissions import PageCase

    pp = "/projects/{id}"
    return [
        PageCase("GET", "/projects", PROJECT_ROLES),
        PageCase("GET", "/projects/new", MANAGERS),
        PageCase("POST", "/projects/new", MANAGERS, setup=_new_form),
        PageCase("GET", pp, AUTHORITY | OWNER, hidden=NOT_OWNER, setup=_in("submitted")),
        PageCase("GET", pp + "/edit", OWNER, hidden=NOT_OWNER | AUTHORITY, setup=_in("draft")),
        PageCase("POST", pp + "/edit", OWNER, hidden=NOT_OWNER | AUTHORITY, setup=_edit_form),
        PageCase(
            "POST", pp + "/entries", OWNER, hidden=NOT_OWNER | AUTHORITY, setup=_draft_with_entry_choice
        ),
        PageCase("POST", pp + "/entries/remove", OWNER, hidden=NOT_OWNER | AUTHORITY, setup=_remove_form),
        PageCase(
            "POST",
            pp + "/move",
            OWNER,
            hidden=NOT_OWNER | AUTHORITY,
            setup=_in("draft"),
            form={"move": "submit"},
        ),
        PageCase("GET", "/assets", GOV),
        PageCase("GET", "/assets/export.csv", GOV),
        PageCase("POST", "/assets/register", ASSET_ADMIN, setup=_published_entry),
        PageCase("POST", "/assets/register-all", ASSET_ADMIN),
        PageCase("GET", "/assets/{id}", GOV, setup=_asset),
        PageCase("POST", "/assets/{id}/edit", ASSET_ADMIN, setup=_asset_edit),
    ]
