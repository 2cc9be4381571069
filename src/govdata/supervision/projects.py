"""IT projects (政务信息化项目, CAT-7) and their project data-resource catalogs.

SC16 / AB12 / HN7 / WZ45: a project's data-resource catalog is compiled before approval and is an approval
document — so approval is refused while the catalog is empty. SC16 / AB13 / WZ45: a finished project that does not
aggregate its data is not accepted (and gets no funds) — so acceptance is refused until every entry of the catalog
is published and its pool holds data. The catalog's lines are ordinary catalog entries of the department (existing
ones, or new drafts made through `catalog.service`), so the catalog rules live in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, can, in_jurisdiction, require
from govdata.catalog import service as catalog_service
from govdata.catalog.models import Resource, ResourceVersion, VersionState
from govdata.catalog.schemas import CreateEntryIn
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization, OrgKind
from govdata.pool.models import Pool
from govdata.supervision.project_models import EntryRole, Project, ProjectEntry, ProjectState, ProjectStep
from govdata.textguard import OptionalSafeText, SafeText

S = ProjectState

STATE_LABELS: dict[ProjectState, str] = {
    S.DRAFT: "编制中",
    S.SUBMITTED: "待审批",
    S.RETURNED: "已退回",
    S.APPROVED: "已批准",
    S.BUILDING: "建设中",
    S.ACCEPTANCE_REQUESTED: "待验收",
    S.ACCEPTED: "已验收",
    S.ACCEPTANCE_REFUSED: "验收未通过",
}
ROLE_LABELS: dict[EntryRole, str] = {EntryRole.PRODUCE: "产生（采集）", EntryRole.USE: "使用"}
Move = Literal["submit", "approve", "return", "start", "request_acceptance", "accept", "refuse_acceptance"]
MOVE_LABELS: dict[str, str] = {
    "register": "登记项目",
    "submit": "报送审批",
    "approve": "审批通过",
    "return": "退回修改",
    "start": "开工建设",
    "request_acceptance": "申请验收",
    "accept": "验收通过",
    "refuse_acceptance": "验收不予通过",
}
# The transition table: move → (states it starts from, state it leads to).
TRANSITIONS: dict[str, tuple[frozenset[ProjectState], ProjectState]] = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED),
    "start": (frozenset({S.APPROVED}), S.BUILDING),
    "request_acceptance": (frozenset({S.BUILDING, S.ACCEPTANCE_REFUSED}), S.ACCEPTANCE_REQUESTED),
    "accept": (frozenset({S.ACCEPTANCE_REQUESTED}), S.ACCEPTED),
    "refuse_acceptance": (frozenset({S.ACCEPTANCE_REQUESTED}), S.ACCEPTANCE_REFUSED),
}
DEPARTMENT_MOVES = frozenset({"submit", "start", "request_acceptance"})
AUTHORITY_MOVES = frozenset({"approve", "return", "accept", "refuse_acceptance"})
EDITABLE = frozenset({S.DRAFT, S.RETURNED})  # the project's own fields, and removing catalog lines
# Lines may still be added while building (the catalog grows with the design); never removed once approved.
CATALOG_OPEN = frozenset({S.DRAFT, S.RETURNED, S.BUILDING, S.ACCEPTANCE_REFUSED})
YUAN_PER_WAN = 10_000
MAX_ID = 2**63  # ids beyond BIGINT name nothing (PostgreSQL would refuse to compare them)


def next_state(project: Project, move: str) -> ProjectState:
    allowed, to = TRANSITIONS[move]
    if project.state not in allowed:
        raise InvalidTransition(f"项目当前为“{STATE_LABELS[project.state]}”，不能{MOVE_LABELS[move]}")
    return to


def allowed_moves(state: ProjectState) -> list[str]:
    return [m for m, (starts, _to) in TRANSITIONS.items() if state in starts]


def wan(yuan: int | None) -> str:
    """元 → 万元 text without trailing zeros (12,345,600 元 → "1234.56")."""
    if yuan is None:
        return ""
    text = f"{Decimal(yuan) / YUAN_PER_WAN:.4f}".rstrip("0").rstrip(".")
    return text


# ---------------------------------------------------------------- input


def parse_wan(value: object, what: str) -> Decimal | None:
    """An amount in 万元 (up to 4 decimals: whole 元), said in Chinese when it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{what}应为数字（万元）")
    try:
        amount = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError(f"{what}应为数字（万元），如 1280.5") from None
    if not amount.is_finite() or amount < 0 or amount > 100_000_000:
        raise ValueError(f"{what}应在 0 至 100000000 万元之间")
    if amount != amount.quantize(Decimal("0.0001")):
        raise ValueError(f"{what}最多保留 4 位小数（精确到元）")
    return amount


class ProjectIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: SafeText = Field(min_length=2, max_length=200, title="项目名称")
    code: str = Field(min_length=2, max_length=60, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$", title="项目编号")
    budget_wan: Decimal = Field(title="项目预算（万元）")
    start_date: dt.date = Field(title="建设开始日期")
    end_date: dt.date = Field(title="建设结束日期")
    manager: SafeText = Field(min_length=2, max_length=100, title="项目负责人")
    description: SafeText = Field(min_length=5, max_length=4000, title="建设内容")
    systems: list[SafeText] = Field(min_length=1, max_length=50, title="建设的信息系统")

    @field_validator("budget_wan", mode="before")
    @classmethod
    def _budget(cls, value: object) -> Decimal:
        amount = parse_wan(value, "项目预算")
        if amount is None:
            raise ValueError("必须填写项目预算（万元）")
        return amount

    @field_validator("systems")
    @classmethod
    def _systems(cls, value: list[str]) -> list[str]:
        names = list(dict.fromkeys(s.strip() for s in value if s.strip()))
        if not names:
            raise ValueError("至少填写一个项目建设的信息系统")
        if any(len(s) > 200 for s in names):
            raise ValueError("信息系统名称不超过 200 字")
        return names

    @model_validator(mode="after")
    def _period(self) -> ProjectIn:
        if self.end_date < self.start_date:
            raise ValueError("建设结束日期不能早于开始日期")
        return self


class EntryLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    resource_id: int = Field(ge=1, lt=MAX_ID, title="目录条目")
    role: EntryRole = Field(default=EntryRole.PRODUCE, title="数据关系")
    system: OptionalSafeText = Field(default=None, max_length=200, title="所属信息系统")


class NewEntryIn(BaseModel):
    """A new catalog draft compiled for the project, made by the catalog's own service."""

    model_config = ConfigDict(extra="forbid")

    entry: CreateEntryIn
    role: EntryRole = Field(default=EntryRole.PRODUCE, title="数据关系")
    system: OptionalSafeText = Field(default=None, max_length=200, title="所属信息系统")


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    comment: OptionalSafeText = Field(default=None, max_length=4000, title="意见")


# ---------------------------------------------------------------- who may see and act


def _is_owner(actor: Actor, project: Project) -> bool:
    return can(actor, Permission.PROJECT_MANAGE) and actor.org_id == project.org_id


def _is_approver(actor: Actor, project: Project) -> bool:
    return can(actor, Permission.PROJECT_APPROVE) and in_jurisdiction(actor, project.region_path)


def get_project(ctx: Ctx, actor: Actor, project_id: int) -> Project:
    """The department sees its own projects; the authority of the level those submitted to it at least once."""
    if not (can(actor, Permission.PROJECT_MANAGE) or can(actor, Permission.PROJECT_APPROVE)):
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")
    project = ctx.session.get(Project, project_id) if 0 < project_id < MAX_ID else None
    if project is None or not (
        actor.is_system
        or _is_owner(actor, project)
        or (_is_approver(actor, project) and project.submitted_at is not None)
    ):
        raise NotFound("项目不存在，或无权查看")
    return project


def _own(ctx: Ctx, actor: Actor, project_id: int) -> Project:
    project = get_project(ctx, actor, project_id)
    require(actor, Permission.PROJECT_MANAGE, org_id=project.org_id)
    return project


def _step(ctx: Ctx, actor: Actor, project: Project, move: str, to: ProjectState, comment: str | None) -> None:
    """One move: the step row (history on the page) and the audit event, in the caller's transaction."""
    before = project.state
    project.state = to
    project.updated_at = ctx.clock.now()
    ctx.session.add(
        ProjectStep(
            project_id=project.id,
            action=move,
            from_state=before.value if move != "register" else None,
            to_state=to.value,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            comment=comment,
            at=ctx.clock.now(),
        )
    )
    record(ctx, actor, f"project.{move}", "it_project", project.id,
           detail={"from": before.value, "to": to.value, "comment": comment, "code": project.code})  # fmt: skip


# ---------------------------------------------------------------- the department


def _check_code(ctx: Ctx, code: str, own_id: int | None) -> None:
    found = ctx.session.scalar(select(Project.id).where(Project.code == code))
    if found is not None and found != own_id:
        raise Conflict(f"项目编号“{code}”已被使用，请核对后重新填写")


def _apply(project: Project, data: ProjectIn) -> None:
    project.name = data.name
    project.code = data.code
    project.budget_yuan = int((data.budget_wan * YUAN_PER_WAN).to_integral_value())
    project.start_date = data.start_date
    project.end_date = data.end_date
    project.manager = data.manager
    project.description = data.description
    project.systems = "\n".join(data.systems)


def register(ctx: Ctx, actor: Actor, data: ProjectIn) -> Project:
    require(actor, Permission.PROJECT_MANAGE)
    org = ctx.session.get(Organization, actor.org_id) if actor.org_id else None
    if org is None or org.kind not in (OrgKind.DEPARTMENT, OrgKind.OPERATOR):
        raise InvalidInput("只有政务部门或公共服务运营单位可以登记政务信息化项目")
    _check_code(ctx, data.code, None)
    now = ctx.clock.now()
    project = Project(
        org_id=org.id,
        region_path=org.region.path,
        state=S.DRAFT,
        created_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    _apply(project, data)
    ctx.session.add(project)
    ctx.session.flush()
    _step(ctx, actor, project, "register", S.DRAFT, None)
    return project


def edit(ctx: Ctx, actor: Actor, project_id: int, data: ProjectIn) -> Project:
    project = _own(ctx, actor, project_id)
    if project.state not in EDITABLE:
        raise InvalidTransition(f"项目当前为“{STATE_LABELS[project.state]}”，只有编制中或退回的项目可以修改")
    _check_code(ctx, data.code, project.id)
    _apply(project, data)
    project.updated_at = ctx.clock.now()
    record(ctx, actor, "project.edit", "it_project", project.id, detail={"code": project.code})
    return project


def _check_catalog_open(project: Project) -> None:
    if project.state not in CATALOG_OPEN:
        raise InvalidTransition(
            f"项目当前为“{STATE_LABELS[project.state]}”，不能调整项目数据资源目录"
            "（编制中、退回、建设中或验收未通过的项目可以增补条目）"
        )


def _check_system(project: Project, system: str | None) -> None:
    if system and system not in project.systems.split("\n"):
        raise InvalidInput(f"“{system}”不是本项目登记的信息系统")


def _link(
    ctx: Ctx, actor: Actor, project: Project, resource: Resource, role: EntryRole, system: str | None
) -> ProjectEntry:
    line = ProjectEntry(
        resource=resource,
        role=role,
        system=system,
        added_by_id=actor.user_id,
        added_at=ctx.clock.now(),
    )
    project.entries.append(line)
    ctx.session.flush()
    project.updated_at = ctx.clock.now()
    record(ctx, actor, "project.entry_add", "it_project", project.id,
           detail={"resource_id": resource.id, "code": resource.code, "role": role.value})  # fmt: skip
    return line


def add_entry(ctx: Ctx, actor: Actor, project_id: int, data: EntryLinkIn) -> ProjectEntry:
    """Put one of the department's own catalog entries (draft or published) into the project catalog."""
    project = _own(ctx, actor, project_id)
    _check_catalog_open(project)
    _check_system(project, data.system)
    resource = ctx.session.get(Resource, data.resource_id)
    if resource is None or resource.org_id != project.org_id:
        raise InvalidInput("只能选择本单位的目录条目编入项目数据资源目录")
    head = catalog_service.head_of(ctx.session, resource)
    if head.state == VersionState.WITHDRAWN and resource.published_version_id is None:
        raise InvalidInput(f"目录条目 {resource.code} 的草稿已撤销，不能编入项目目录")
    if any(line.resource_id == resource.id for line in project.entries):
        raise Conflict(f"目录条目 {resource.code} 已在本项目的数据资源目录中")
    return _link(ctx, actor, project, resource, data.role, data.system)


def add_new_entry(ctx: Ctx, actor: Actor, project_id: int, data: NewEntryIn) -> ProjectEntry:
    """Compile a new catalog draft for the project (through the catalog's service) and put it in."""
    project = _own(ctx, actor, project_id)
    _check_catalog_open(project)
    _check_system(project, data.system)
    resource = catalog_service.create_entry(ctx, actor, data.entry)
    return _link(ctx, actor, project, resource, data.role, data.system)


def remove_entry(ctx: Ctx, actor: Actor, project_id: int, resource_id: int) -> None:
    """Lines leave the catalog only before approval: the approved catalog is what acceptance checks."""
    project = _own(ctx, actor, project_id)
    if project.state not in EDITABLE:
        raise InvalidTransition("项目数据资源目录经审批后，条目不能移出（验收以审批时的目录为准）")
    line = next((x for x in project.entries if x.resource_id == resource_id), None)
    if line is None:
        raise NotFound("该目录条目不在本项目的数据资源目录中")
    project.entries.remove(line)
    project.updated_at = ctx.clock.now()
    record(ctx, actor, "project.entry_remove", "it_project", project.id, detail={"resource_id": resource_id})


def department_move(
    ctx: Ctx, actor: Actor, project_id: int, move: str, comment: str | None = None
) -> Project:
    if move not in DEPARTMENT_MOVES:
        raise InvalidInput("未知的操作")
    project = _own(ctx, actor, project_id)
    to = next_state(project, move)
    now = ctx.clock.now()
    if move == "submit":
        project.submitted_at = now
    elif move == "request_acceptance":
        project.acceptance_requested_at = now
    _step(ctx, actor, project, move, to, comment)
    return project


# ---------------------------------------------------------------- the authority


def authority_move(ctx: Ctx, actor: Actor, project_id: int, move: str, comment: str | None = None) -> Project:
    """Approve / return, accept / refuse acceptance — with the CAT-7 conditions checked first."""
    if move not in AUTHORITY_MOVES:
        raise InvalidInput("未知的操作")
    project = get_project(ctx, actor, project_id)
    require(actor, Permission.PROJECT_APPROVE, region_path=project.region_path)
    to = next_state(project, move)
    if move in ("return", "refuse_acceptance") and not comment:
        raise InvalidInput(f"{MOVE_LABELS[move]}须填写意见，说明需要改正的内容")
    if move == "approve" and not project.entries:
        raise InvalidTransition(
            f"项目“{project.name}”尚未编制项目政务数据资源目录（目录中没有任何条目）：项目数据资源目录是项目"
            "审批要件（SC16、AB12、HN7、WZ45），请退回部门补充后再审批"
        )
    now = ctx.clock.now()
    if move == "accept":
        missing = [row for row in checklist(ctx, project) if row.problems]
        if not project.entries or missing:
            lines = "；".join(f"{row.code}（{row.name}）：{'、'.join(row.problems)}" for row in missing)
            raise InvalidTransition(
                "项目未实现政务数据汇聚，不能通过验收（SC16、AB13）：" + (lines or "项目数据资源目录为空"),
                details={
                    "missing": [{"code": r.code, "name": r.name, "problems": r.problems} for r in missing]
                },
            )
    if move in ("approve", "return"):
        project.decided_by_id = actor.user_id
        project.decided_at = now
        project.decision_comment = comment
    else:
        project.accepted_by_id = actor.user_id
        project.accepted_at = now
        project.acceptance_comment = comment
    _step(ctx, actor, project, move, to, comment)
    if move == "approve":
        record(ctx, actor, "project.catalog_approved", "it_project", project.id,
               detail={"codes": [line.resource.code for line in project.entries]})  # fmt: skip
    return project


# ---------------------------------------------------------------- the acceptance checklist


@dataclass
class CheckRow:
    """One catalog line as acceptance sees it: published? pool loaded? and what is missing."""

    resource_id: int
    code: str
    name: str
    role: EntryRole
    system: str | None
    version_state: VersionState
    published: bool
    rows: int | None  # None: no pool yet
    last_loaded_at: dt.datetime | None
    problems: list[str] = field(default_factory=list)


def checklist(ctx: Ctx, project: Project) -> list[CheckRow]:
    """Every line of the project catalog against the two acceptance conditions (SC16, AB13, WZ45)."""
    ids = [line.resource_id for line in project.entries]
    if not ids:
        return []
    pools = {p.resource_id: p for p in ctx.session.scalars(select(Pool).where(Pool.resource_id.in_(ids)))}
    out = []
    for line in project.entries:
        resource = line.resource
        head = catalog_service.head_of(ctx.session, resource)
        shown = head
        if resource.published_version_id is not None:
            shown = ctx.session.get(ResourceVersion, resource.published_version_id) or head
        pool = pools.get(resource.id)
        row = CheckRow(
            resource_id=resource.id,
            code=resource.code,
            name=shown.name,
            role=line.role,
            system=line.system,
            version_state=head.state,
            published=resource.published_version_id is not None,
            rows=pool.row_count if pool is not None else None,
            last_loaded_at=pool.last_loaded_at if pool is not None else None,
        )
        if not row.published:
            row.problems.append("目录条目尚未发布")
        if pool is None:
            row.problems.append("尚未建立资源池、未汇聚数据")
        elif not pool.row_count:
            row.problems.append("资源池没有数据")
        out.append(row)
    return out


# ---------------------------------------------------------------- lists


def list_projects(ctx: Ctx, actor: Actor, state: ProjectState | None = None) -> list[Project]:
    """A department's own projects; for the authority, the projects of its level and below sent to it."""
    if not (can(actor, Permission.PROJECT_MANAGE) or can(actor, Permission.PROJECT_APPROVE)):
        raise Forbidden(f"当前账号（{actor.display_name}）没有此项操作的权限")
    stmt = select(Project).order_by(Project.updated_at.desc(), Project.id.desc()).limit(500)
    if state is not None:
        stmt = stmt.where(Project.state == state)
    if actor.is_system:
        pass
    elif can(actor, Permission.PROJECT_APPROVE):
        stmt = stmt.where(
            Project.region_path.startswith(actor.region_path or "\x00", autoescape=True),
            Project.submitted_at.is_not(None),
        )
    else:
        stmt = stmt.where(Project.org_id == actor.org_id)
    return list(ctx.session.scalars(stmt))


def own_entries(ctx: Ctx, actor: Actor, project: Project) -> list[tuple[Resource, ResourceVersion]]:
    """The department's catalog entries not yet in the project, with their working version (for the picker)."""
    taken = {line.resource_id for line in project.entries}
    rows = ctx.session.execute(
        select(Resource, ResourceVersion)
        .join(ResourceVersion, ResourceVersion.id == Resource.head_version_id)
        .where(Resource.org_id == project.org_id, ResourceVersion.state != VersionState.WITHDRAWN)
        .order_by(Resource.id)
        .limit(1000)
    ).all()
    return [(r, v) for r, v in rows if r.id not in taken]
