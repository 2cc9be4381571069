"""Read-only listings of the catalog: search, queues, pending work, overdue items, history, comparison."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from govdata.authz import Actor, Permission, require
from govdata.catalog import search
from govdata.catalog.models import (
    ChangeTrigger,
    Classification,
    DataItem,
    Demand,
    DemandState,
    Filing,
    FilingState,
    OpenType,
    Resource,
    ResourceVersion,
    SearchGram,
    ShareType,
    TriggerState,
    VersionState,
)
from govdata.context import Ctx
from govdata.deadlines import DueInfo, due_info, is_overdue
from govdata.errors import InvalidInput, NotFound
from govdata.org.models import Organization, Region, RegionLevel

T = TypeVar("T")
_REVIEW_STATES = (VersionState.SUBMITTED, VersionState.RETURNED, VersionState.APPROVED)


@dataclass(frozen=True)
class SearchFilters:
    q: str = ""
    org_id: int | None = None
    level: RegionLevel | None = None
    region_code: str | None = None
    classification: Classification | None = None
    share_type: ShareType | None = None
    open_type: OpenType | None = None
    state: VersionState | None = None
    domain: str | None = None


@dataclass(frozen=True)
class EntryRow:
    resource_id: int
    code: str
    name: str
    org_name: str
    region_name: str
    level: RegionLevel
    classification: Classification
    domain: str
    share_type: ShareType
    open_type: OpenType
    state: VersionState
    version_number: int
    updated_at: dt.datetime
    supplementary: bool
    summary: str


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def visibility(actor: Actor) -> ColumnElement[bool]:
    """Which indexed versions an actor may find: published ones, own heads, and heads under review."""
    v, r = ResourceVersion, Resource
    clauses: list[ColumnElement[bool]] = [v.state == VersionState.PUBLISHED]
    if actor.is_system:
        return v.id == r.head_version_id
    if actor.org_id is not None:
        clauses.append(and_(v.id == r.head_version_id, r.org_id == actor.org_id))
    if actor.is_authority and actor.region_path:
        clauses.append(
            and_(
                v.id == r.head_version_id,
                v.state.in_(_REVIEW_STATES),
                r.region_path.startswith(actor.region_path, autoescape=True),
            )
        )
    return or_(*clauses)


def resource_visibility(actor: Actor) -> ColumnElement[bool]:
    """The resources having a version `queries.visibility` lets the actor find, decided on the resource."""
    v, r = ResourceVersion, Resource
    if actor.is_system:
        return true()
    clauses: list[ColumnElement[bool]] = [r.published_version_id.is_not(None)]
    if actor.org_id is not None:
        clauses.append(r.org_id == actor.org_id)
    if actor.is_authority and actor.region_path:
        head_in_review = select(v.id).where(v.id == r.head_version_id, v.state.in_(_REVIEW_STATES)).exists()
        clauses.append(and_(r.region_path.startswith(actor.region_path, autoescape=True), head_in_review))
    return or_(*clauses)


def search_entries(
    ctx: Ctx, actor: Actor, filters: SearchFilters, page: int = 1, size: int = 20
) -> Page[EntryRow]:
    """One pass finds the page and the total (a window count); a one-gram word needs no grouping or LIKE.

    The listing without a query walks entries newest first and stops after a page (index on updated_at).
    """
    require(actor, Permission.CATALOG_READ)
    if page < 1 or not 1 <= size <= 200:
        raise InvalidInput("分页参数无效：页码从 1 开始，每页 1–200 条")
    v, r = ResourceVersion, Resource
    terms = search.query_terms(filters.q)
    if len(terms) > 8 or any(len(t) > 50 for t in terms):
        raise InvalidInput("检索词过长：最多 8 个词，每个词不超过 50 字")
    version_filters: list[ColumnElement[bool]] = []
    resource_filters: list[ColumnElement[bool]] = []
    if filters.level is not None:
        resource_filters.append(r.region_id.in_(select(Region.id).where(Region.level == filters.level)))
    if filters.region_code:
        region = ctx.session.execute(
            select(Region).where(Region.code == filters.region_code)
        ).scalar_one_or_none()
        if region is None:
            raise InvalidInput(f"行政区划 {filters.region_code} 不存在")
        resource_filters.append(r.region_path.startswith(region.path, autoescape=True))
    if filters.org_id is not None:
        resource_filters.append(r.org_id == filters.org_id)
    for column, value in (
        (v.classification, filters.classification),
        (v.share_type, filters.share_type),
        (v.open_type, filters.open_type),
        (v.state, filters.state),
        (v.domain, filters.domain or None),
    ):
        if value is not None:
            version_filters.append(column == value)
    offset = (page - 1) * size
    session = ctx.session

    if not terms:
        visible = select(v.id).where(v.resource_id == r.id, visibility(actor), *version_filters).exists()
        ids = list(
            session.execute(
                select(r.id)
                .where(visible, *resource_filters)
                .order_by(r.updated_at.desc(), r.id.desc())
                .limit(size)
                .offset(offset)
            ).scalars()
        )
        counted = visible if version_filters else resource_visibility(actor)
        total = session.execute(
            select(func.count()).select_from(r).where(counted, *resource_filters)
        ).scalar_one()
        return Page(items=entry_rows(ctx, actor, ids), total=total, page=page, size=size)

    conditions: list[ColumnElement[bool]] = [visibility(actor), *version_filters, *resource_filters]
    for term in terms:
        grams = sorted(search.term_grams(term))
        if len(grams) == 1:
            conditions.append(v.id.in_(select(SearchGram.version_id).where(SearchGram.gram == grams[0])))
        elif grams:
            conditions.append(
                v.id.in_(
                    select(SearchGram.version_id)
                    .where(SearchGram.gram.in_(grams))
                    .group_by(SearchGram.version_id)
                    .having(func.count() == len(grams))
                )
            )
        if grams != [term]:
            conditions.append(v.search_text.like(search.like_pattern(term), escape="\\"))
    rank = case((func.lower(v.name).like(search.like_pattern(terms[0]), escape="\\"), 0), else_=1)
    rows = session.execute(
        select(r.id, func.min(rank).label("rank"), func.count().over().label("total"))
        .join(v, v.resource_id == r.id)
        .where(*conditions)
        .group_by(r.id, r.updated_at)
        .order_by("rank", r.updated_at.desc(), r.id.desc())
        .limit(size)
        .offset(offset)
    ).all()
    if rows:
        total = int(rows[0].total)
    elif page == 1:
        total = 0
    else:  # past the last page: count on its own
        grouped = select(r.id).join(v, v.resource_id == r.id).where(*conditions).group_by(r.id).subquery()
        total = session.execute(select(func.count()).select_from(grouped)).scalar_one()
    return Page(items=entry_rows(ctx, actor, [row.id for row in rows]), total=total, page=page, size=size)


_VERSION_COLUMNS = [
    ResourceVersion.id,
    ResourceVersion.name,
    ResourceVersion.classification,
    ResourceVersion.domain,
    ResourceVersion.share_type,
    ResourceVersion.open_type,
    ResourceVersion.state,
    ResourceVersion.number,
    ResourceVersion.summary,
]


def entry_rows(ctx: Ctx, actor: Actor, resource_ids: list[int]) -> list[EntryRow]:
    """Rows for the given entries, each showing the version this actor may see, in the given order.

    Four queries for the whole page (resources, versions, organisations, regions), whatever its size.
    """
    from govdata.catalog.service import sees_head

    require(actor, Permission.CATALOG_READ)
    if not resource_ids:
        return []
    s, r = ctx.session, Resource
    resources = {
        row.id: row
        for row in s.execute(
            select(
                r.id, r.code, r.org_id, r.region_id, r.region_path, r.head_version_id,
                r.published_version_id, r.updated_at, r.supplementary,
            ).where(r.id.in_(resource_ids))
        )
    }  # fmt: skip
    wanted = {res.head_version_id for res in resources.values()}
    wanted |= {res.published_version_id for res in resources.values() if res.published_version_id}
    versions: dict[int, Any] = {
        row.id: row for row in s.execute(select(*_VERSION_COLUMNS).where(ResourceVersion.id.in_(wanted)))
    }
    org_ids = {res.org_id for res in resources.values()}
    orgs = dict(
        s.execute(select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))).all()
    )
    region_ids = {res.region_id for res in resources.values()}
    regions = {reg.id: reg for reg in s.execute(select(Region).where(Region.id.in_(region_ids))).scalars()}
    rows: list[EntryRow] = []
    for rid in resource_ids:
        res = resources[rid]
        head = versions[res.head_version_id]
        if sees_head(actor, res.org_id, res.region_path, head.state):
            ver = head
        elif res.published_version_id is None:
            raise NotFound(f"目录条目 {res.id} 不存在")
        else:
            ver = versions[res.published_version_id]
        region = regions[res.region_id]
        rows.append(
            EntryRow(
                resource_id=res.id,
                code=res.code,
                name=ver.name,
                org_name=orgs[res.org_id],
                region_name=region.name,
                level=region.level,
                classification=ver.classification,
                domain=ver.domain,
                share_type=ver.share_type,
                open_type=ver.open_type,
                state=ver.state,
                version_number=ver.number,
                updated_at=res.updated_at,
                supplementary=res.supplementary,
                summary=ver.summary,
            )
        )
    return rows


# ---------------------------------------------------------------- pending work and deadlines


@dataclass(frozen=True)
class WorkItem:
    kind: str  # 中文 label of what is to be done
    title: str
    link: str
    due: DueInfo | None
    who: str = ""


@dataclass
class Dashboard:
    items: list[WorkItem] = field(default_factory=list)

    @property
    def overdue(self) -> list[WorkItem]:
        return [i for i in self.items if i.due is not None and i.due.overdue]


def due_of(ctx: Ctx, due: dt.date | None) -> DueInfo | None:
    """A work item's due date as the lists show it (none when the item has no time limit)."""
    return due_info(ctx.calendar, due, ctx.clock.today()) if due else None


def pending_work(ctx: Ctx, actor: Actor) -> Dashboard:
    """What is waiting for this actor, each with its due date, most urgent first."""
    board = Dashboard()
    s = ctx.session
    v, r = ResourceVersion, Resource
    if actor.org_id is not None and not actor.is_authority:
        own = s.execute(
            select(v, r)
            .join(r, r.head_version_id == v.id)
            .where(
                r.org_id == actor.org_id,
                v.state.in_([VersionState.DRAFT, VersionState.RETURNED, VersionState.SUBMITTED]),
            )
        ).all()
        for ver, res in own:
            kind = {
                VersionState.DRAFT: "草稿待提交",
                VersionState.RETURNED: "被退回待修改",
                VersionState.SUBMITTED: "等待主管部门审核",
            }[ver.state]
            board.items.append(
                WorkItem(kind, ver.name, f"/catalog/{res.id}", due_of(ctx, ver.review_due), res.code)
            )
        for trig, res in s.execute(
            select(ChangeTrigger, r)
            .join(r, r.id == ChangeTrigger.resource_id)
            .where(
                r.org_id == actor.org_id, ChangeTrigger.state.in_([TriggerState.OPEN, TriggerState.UPDATED])
            )
        ).all():
            label, due = (
                ("目录待更新", trig.update_due)
                if trig.state == TriggerState.OPEN
                else ("更新待报送", trig.report_due)
            )
            board.items.append(
                WorkItem(label, trig.description, f"/catalog/{res.id}", due_of(ctx, due), res.code)
            )
        for demand in s.execute(
            select(Demand).where(Demand.org_id == actor.org_id, Demand.state == DemandState.OPEN)
        ).scalars():
            board.items.append(WorkItem("需求待答复", demand.title, "/demands", due_of(ctx, demand.due_date)))
    if actor.is_authority and actor.region_path and Permission.CATALOG_REVIEW in actor.permissions:
        in_scope = r.region_path.startswith(actor.region_path, autoescape=True)
        for ver, res in s.execute(
            select(v, r).join(r, r.head_version_id == v.id).where(in_scope, v.state == VersionState.SUBMITTED)
        ).all():
            board.items.append(
                WorkItem("目录待审核", ver.name, f"/review/{res.id}", due_of(ctx, ver.review_due), res.org.name)
            )
        for ver, res in s.execute(
            select(v, r).join(r, r.head_version_id == v.id).where(in_scope, v.state == VersionState.APPROVED)
        ).all():
            board.items.append(WorkItem("审核通过待发布", ver.name, f"/review/{res.id}", None, res.org.name))
        for filing in s.execute(
            select(Filing).where(
                Filing.upper_region_path == actor.region_path, Filing.state == FilingState.PENDING
            )
        ).scalars():
            board.items.append(
                WorkItem(
                    "补充目录待备案",
                    filing.version.name,
                    "/filings",
                    due_of(ctx, filing.due_date),
                    filing.resource.org.name,
                )
            )
        for demand in s.execute(
            select(Demand).where(
                Demand.region_path.startswith(actor.region_path, autoescape=True),
                Demand.state == DemandState.OPEN,
            )
        ).scalars():
            board.items.append(
                WorkItem("需求待答复", demand.title, "/demands", due_of(ctx, demand.due_date), demand.org.name)
            )
        for trig, res in s.execute(
            select(ChangeTrigger, r)
            .join(r, r.id == ChangeTrigger.resource_id)
            .where(in_scope, ChangeTrigger.state.in_([TriggerState.OPEN, TriggerState.UPDATED]))
        ).all():
            due = trig.update_due if trig.state == TriggerState.OPEN else trig.report_due
            if is_overdue(due, ctx.clock.today()):
                board.items.append(
                    WorkItem(
                        "部门目录更新逾期",
                        trig.description,
                        f"/catalog/{res.id}",
                        due_of(ctx, due),
                        res.org.name,
                    )
                )
    board.items.sort(key=urgency)
    return board


def urgency(item: WorkItem) -> tuple[dt.date, str]:
    """Work lists sort by due date, undated last (other domains add their items to the same list)."""
    return (item.due.due if item.due else dt.date.max, item.title)


def overdue_items(ctx: Ctx, actor: Actor) -> list[WorkItem]:
    return pending_work(ctx, actor).overdue


def review_queue(ctx: Ctx, actor: Actor) -> list[tuple[Resource, ResourceVersion, DueInfo | None]]:
    require(actor, Permission.CATALOG_REVIEW)
    v, r = ResourceVersion, Resource
    stmt = (
        select(r, v)
        .join(v, r.head_version_id == v.id)
        .where(v.state.in_([VersionState.SUBMITTED, VersionState.APPROVED]))
    )
    if not actor.is_system:
        stmt = stmt.where(r.region_path.startswith(actor.region_path or "-", autoescape=True))
    rows = ctx.session.execute(stmt.order_by(v.review_due, v.id)).all()
    return [(res, ver, due_of(ctx, ver.review_due)) for res, ver in rows]


def triggers_of(session: Session, resource_id: int) -> list[ChangeTrigger]:
    return list(
        session.execute(
            select(ChangeTrigger)
            .where(ChangeTrigger.resource_id == resource_id)
            .order_by(ChangeTrigger.id.desc())
        ).scalars()
    )


def demands(ctx: Ctx, actor: Actor) -> list[Demand]:
    """A department sees its own demands; the authority sees every demand in its jurisdiction."""
    stmt = select(Demand).order_by(Demand.id.desc())
    if actor.is_authority and Permission.DEMAND_MANAGE in actor.permissions:
        stmt = stmt.where(Demand.region_path.startswith(actor.region_path or "-", autoescape=True))
    elif Permission.DEMAND_CREATE in actor.permissions:
        stmt = stmt.where(Demand.org_id == actor.org_id)
    else:
        require(actor, Permission.DEMAND_MANAGE)
    return list(ctx.session.execute(stmt).scalars())


def demand_matches(ctx: Ctx, actor: Actor, demand: Demand, limit: int = 5) -> list[EntryRow]:
    """Published entries that may already answer a demand: search by the demand's title words."""
    grams = search.grams(demand.title + " " + demand.wanted_items)
    if not grams:
        return []
    hits = (
        select(SearchGram.version_id, func.count().label("n"))
        .where(SearchGram.gram.in_(sorted(grams)))
        .group_by(SearchGram.version_id)
        .subquery()
    )
    rows = ctx.session.execute(
        select(ResourceVersion.resource_id)
        .join(hits, hits.c.version_id == ResourceVersion.id)
        .where(ResourceVersion.state == VersionState.PUBLISHED)
        .order_by(hits.c.n.desc())
        .limit(limit)
    ).scalars()
    return entry_rows(ctx, actor, list(rows))


def filings(ctx: Ctx, actor: Actor) -> list[Filing]:
    """Filings the actor's level receives, and filings of its own region's entries."""
    require(actor, Permission.CATALOG_READ)
    path = actor.region_path or "-"
    stmt = select(Filing).join(Resource, Resource.id == Filing.resource_id)
    if actor.is_authority:
        stmt = stmt.where(
            or_(Filing.upper_region_path == path, Resource.region_path.startswith(path, autoescape=True))
        )
    else:
        stmt = stmt.where(Resource.org_id == actor.org_id)
    return list(ctx.session.execute(stmt.order_by(Filing.id.desc())).scalars())


# ---------------------------------------------------------------- versions


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class VersionDiff:
    fields: list[FieldChange]
    items_added: list[str]
    items_removed: list[str]
    items_changed: list[tuple[str, list[FieldChange]]]


_COMPARED = [
    ("name", "资源名称"),
    ("summary", "资源摘要"),
    ("classification", "资源分类"),
    ("domain", "领域"),
    ("format_category", "格式分类"),
    ("format_type", "格式类型"),
    ("update_cycle", "更新周期"),
    ("share_type", "共享类型"),
    ("share_conditions", "共享条件"),
    ("share_basis", "共享依据"),
    ("share_mode", "共享方式"),
    ("share_channels", "提供渠道"),
    ("open_type", "开放类型"),
    ("open_conditions", "开放条件"),
    ("open_basis", "开放依据"),
    ("deidentified", "已脱敏"),
    ("usage_requirements", "使用要求"),
    ("grade", "数据分级"),
    ("related_codes", "关联资源"),
]
_ITEM_COMPARED = [
    ("data_type", "数据类型"),
    ("length", "长度"),
    ("identifier_kind", "主体标识"),
    ("sensitivity", "敏感级别"),
    ("required", "必填"),
    ("is_basic", "基础信息项"),
    ("field_name", "字段名"),
]


def compare(old: ResourceVersion, new: ResourceVersion) -> VersionDiff:
    changes = [
        FieldChange(label, getattr(old, attr), getattr(new, attr))
        for attr, label in _COMPARED
        if getattr(old, attr) != getattr(new, attr)
    ]
    old_items: dict[str, DataItem] = {i.name: i for i in old.items}
    new_items: dict[str, DataItem] = {i.name: i for i in new.items}
    changed: list[tuple[str, list[FieldChange]]] = []
    for name in old_items.keys() & new_items.keys():
        diffs = [
            FieldChange(label, getattr(old_items[name], attr), getattr(new_items[name], attr))
            for attr, label in _ITEM_COMPARED
            if getattr(old_items[name], attr) != getattr(new_items[name], attr)
        ]
        if diffs:
            changed.append((name, diffs))
    return VersionDiff(
        fields=changes,
        items_added=[n for n in new_items if n not in old_items],
        items_removed=[n for n in old_items if n not in new_items],
        items_changed=sorted(changed),
    )


# ---------------------------------------------------------------- roll-up and responsibilities


@dataclass(frozen=True)
class RegionCount:
    region: Region
    published: int
    pending: int
    supplementary: int


def rollup(ctx: Ctx, actor: Actor) -> list[RegionCount]:
    """Level aggregation (CAT-1): the published catalog of every region under the actor's view."""
    require(actor, Permission.CATALOG_READ)
    v, r = ResourceVersion, Resource
    published = dict(
        ctx.session.execute(
            select(r.region_id, func.count()).join(v, v.id == r.published_version_id).group_by(r.region_id)
        ).all()
    )
    pending = dict(
        ctx.session.execute(
            select(r.region_id, func.count())
            .join(v, v.id == r.head_version_id)
            .where(v.state.in_([VersionState.SUBMITTED, VersionState.APPROVED]))
            .group_by(r.region_id)
        ).all()
    )
    supplementary = dict(
        ctx.session.execute(
            select(r.region_id, func.count())
            .where(r.supplementary.is_(True), r.published_version_id.is_not(None))
            .group_by(r.region_id)
        ).all()
    )
    regions = ctx.session.execute(select(Region).order_by(Region.path)).scalars()
    return [
        RegionCount(reg, published.get(reg.id, 0), pending.get(reg.id, 0), supplementary.get(reg.id, 0))
        for reg in regions
    ]


def collection_responsibilities(ctx: Ctx, actor: Actor, org_id: int) -> list[EntryRow]:
    """WZ12's 采集责任清单: the published entries a department is the designated collector of."""
    require(actor, Permission.CATALOG_READ)
    ids = ctx.session.execute(
        select(Resource.id)
        .where(
            Resource.org_id == org_id,
            Resource.published_version_id.is_not(None),
            Resource.source_resource_id.is_(None),
        )
        .order_by(Resource.code)
    ).scalars()
    return entry_rows(ctx, actor, list(ids))


def organizations(session: Session) -> list[Organization]:
    return list(
        session.execute(select(Organization).order_by(Organization.region_id, Organization.id)).scalars()
    )


def entry_detail(ctx: Ctx, actor: Actor, resource_id: int, number: int | None = None):  # type: ignore[no-untyped-def]
    """The entry as this actor may see it (optionally one older version), with history and triggers."""
    from govdata.catalog.schemas import EntryOut, TriggerOut, VersionOut, VersionSummaryOut
    from govdata.catalog.service import get_resource, visible_version, visible_versions

    resource = get_resource(ctx.session, resource_id)
    versions = visible_versions(ctx, actor, resource)
    shown = visible_version(ctx, actor, resource)
    if number is not None:
        shown = next((v for v in versions if v.number == number), None)
        if shown is None:
            from govdata.errors import NotFound

            raise NotFound(f"该条目没有第 {number} 版（或无权查看）")
    assert shown is not None
    published = next((v for v in versions if v.id == resource.published_version_id), None)
    own_or_reviewer = actor.org_id == resource.org_id or (
        actor.is_authority and (actor.region_path or "-") in resource.region_path
    )
    region = ctx.session.get(Region, resource.region_id)
    assert region is not None
    return EntryOut(
        id=resource.id,
        code=resource.code,
        org_id=resource.org_id,
        org_name=resource.org.name,
        region_code=region.code,
        supplementary=resource.supplementary,
        source_resource_id=resource.source_resource_id,
        head_version_number=shown.number if number is None else visible_version(ctx, actor, resource).number,
        published_version_number=published.number if published else None,
        version=VersionOut.model_validate(shown),
        versions=[VersionSummaryOut.model_validate(v) for v in reversed(versions)],
        triggers=[TriggerOut.model_validate(t) for t in triggers_of(ctx.session, resource.id)]
        if own_or_reviewer
        else [],
    )
