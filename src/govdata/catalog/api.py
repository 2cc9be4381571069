"""JSON routes of the catalog: thin wrappers around the use cases and queries."""

from __future__ import annotations

from fastapi import APIRouter, Query

from govdata.authz import Permission, require
from govdata.catalog import changes, demands, duplicates, filings, item_sources, queries, service
from govdata.catalog.models import Classification, OpenType, Resource, ShareType, VersionState
from govdata.catalog.schemas import (
    CollectedItemOut,
    CollectorOut,
    CreateEntryIn,
    DemandAnswerIn,
    DemandIn,
    DemandOut,
    DesignateIn,
    DesignationOut,
    DiffOut,
    DueOut,
    DuplicateOut,
    EditEntryIn,
    EntryOut,
    EntryRowOut,
    FieldChangeOut,
    FilingDecisionIn,
    FilingOut,
    ItemSourceIn,
    PageOut,
    RegionCountOut,
    ReviewIn,
    TriggerIn,
    TriggerOut,
    WithdrawIn,
    WorkItemOut,
)
from govdata.errors import NotFound
from govdata.org.models import RegionLevel
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["目录管理"])


def _rows(rows: list[queries.EntryRow]) -> list[EntryRowOut]:
    return [EntryRowOut(**{k: getattr(r, k) for k in EntryRowOut.model_fields}) for r in rows]


@router.get("/catalog/entries", response_model=PageOut[EntryRowOut], summary="检索目录")
def search_entries(
    ctx: CtxDep,
    actor: ApiActor,
    q: str = Query("", max_length=200, description="检索词，空格分隔多个词"),
    org_id: int | None = None,
    level: RegionLevel | None = None,
    region_code: str | None = Query(None, pattern=r"^\d{6}$"),
    classification: Classification | None = None,
    share_type: ShareType | None = None,
    open_type: OpenType | None = None,
    state: VersionState | None = None,
    domain: str | None = Query(None, max_length=50),
    page: int = Query(1, ge=1, le=100_000),
    size: int = Query(20, ge=1, le=200),
) -> PageOut[EntryRowOut]:
    filters = queries.SearchFilters(
        q, org_id, level, region_code, classification, share_type, open_type, state, domain
    )
    found = queries.search_entries(ctx, actor, filters, page, size)
    return PageOut(items=_rows(found.items), total=found.total, page=found.page, size=found.size)


@router.post("/catalog/entries", response_model=EntryOut, status_code=201, summary="新建目录条目（草稿）")
def create_entry(ctx: CtxDep, actor: ApiActor, body: CreateEntryIn) -> EntryOut:
    resource = service.create_entry(ctx, actor, body)
    return queries.entry_detail(ctx, actor, resource.id)


@router.get("/catalog/entries/{resource_id}", response_model=EntryOut, summary="目录条目详情")
def get_entry(ctx: CtxDep, actor: ApiActor, resource_id: int, version: int | None = None) -> EntryOut:
    return queries.entry_detail(ctx, actor, resource_id, version)


@router.put(
    "/catalog/entries/{resource_id}", response_model=EntryOut, summary="修改条目（已发布的生成新版本）"
)
def edit_entry(ctx: CtxDep, actor: ApiActor, resource_id: int, body: EditEntryIn) -> EntryOut:
    service.edit_entry(ctx, actor, resource_id, body)
    return queries.entry_detail(ctx, actor, resource_id)


@router.post("/catalog/entries/{resource_id}/submit", response_model=EntryOut, summary="提交审核")
def submit(ctx: CtxDep, actor: ApiActor, resource_id: int) -> EntryOut:
    service.submit(ctx, actor, resource_id)
    return queries.entry_detail(ctx, actor, resource_id)


@router.post("/catalog/entries/{resource_id}/review", response_model=EntryOut, summary="审核：通过或退回")
def review(ctx: CtxDep, actor: ApiActor, resource_id: int, body: ReviewIn) -> EntryOut:
    service.review(ctx, actor, resource_id, body.decision, body.comment)
    return queries.entry_detail(ctx, actor, resource_id)


@router.post("/catalog/entries/{resource_id}/publish", response_model=EntryOut, summary="发布到本级目录")
def publish(ctx: CtxDep, actor: ApiActor, resource_id: int) -> EntryOut:
    service.publish(ctx, actor, resource_id)
    return queries.entry_detail(ctx, actor, resource_id)


@router.post("/catalog/entries/{resource_id}/withdraw", response_model=EntryOut, summary="撤销草稿")
def withdraw(ctx: CtxDep, actor: ApiActor, resource_id: int, body: WithdrawIn) -> EntryOut:
    service.withdraw_draft(ctx, actor, resource_id, body.reason)
    return queries.entry_detail(ctx, actor, resource_id)


@router.get("/catalog/entries/{resource_id}/compare", response_model=DiffOut, summary="比较两个版本")
def compare(
    ctx: CtxDep,
    actor: ApiActor,
    resource_id: int,
    from_: int = Query(alias="from", ge=1),
    to: int = Query(ge=1),
) -> DiffOut:
    resource = service.get_resource(ctx.session, resource_id)
    versions = {v.number: v for v in service.visible_versions(ctx, actor, resource)}
    if from_ not in versions or to not in versions:
        raise NotFound("所选版本不存在或无权查看")
    diff = queries.compare(versions[from_], versions[to])
    return DiffOut(
        from_number=from_,
        to_number=to,
        fields=[FieldChangeOut(**vars(c)) for c in diff.fields],
        items_added=diff.items_added,
        items_removed=diff.items_removed,
        items_changed=[(n, [FieldChangeOut(**vars(c)) for c in cs]) for n, cs in diff.items_changed],
    )


@router.post(
    "/catalog/entries/{resource_id}/triggers",
    response_model=TriggerOut,
    status_code=201,
    summary="登记变更情形",
)
def record_trigger(ctx: CtxDep, actor: ApiActor, resource_id: int, body: TriggerIn) -> TriggerOut:
    return TriggerOut.model_validate(changes.record_trigger(ctx, actor, resource_id, body))


@router.get(
    "/catalog/entries/{resource_id}/duplicates", response_model=list[DuplicateOut], summary="疑似重复条目"
)
def entry_duplicates(ctx: CtxDep, actor: ApiActor, resource_id: int) -> list[DuplicateOut]:
    resource = service.get_resource(ctx.session, resource_id)
    version = service.visible_version(ctx, actor, resource)
    return [_dup(ctx, c) for c in duplicates.likely_duplicates(ctx, actor, version)]


def _dup(ctx: CtxDep, cand: duplicates.DuplicateCandidate) -> DuplicateOut:
    other = ctx.session.get(Resource, cand.resource_id)
    assert other is not None
    version = service.head_of(ctx.session, other)
    if other.published_version_id and version.state != VersionState.SUBMITTED:
        version = ctx.session.get(type(version), other.published_version_id) or version
    return DuplicateOut(
        resource_id=other.id,
        code=other.code,
        name=version.name,
        org_name=other.org.name,
        name_similarity=cand.name_similarity,
        item_overlap=cand.item_overlap,
        shared_items=cand.shared_items,
    )


@router.post(
    "/catalog/designations", response_model=DesignationOut, status_code=201, summary="指定唯一采集部门"
)
def designate(ctx: CtxDep, actor: ApiActor, body: DesignateIn) -> DesignationOut:
    return DesignationOut.model_validate(duplicates.designate_source(ctx, actor, body))


@router.get("/catalog/review-queue", response_model=list[EntryRowOut], summary="待审核、待发布的条目")
def review_queue(ctx: CtxDep, actor: ApiActor) -> list[EntryRowOut]:
    rows = queries.review_queue(ctx, actor)
    return _rows(queries.entry_rows(ctx, actor, [res.id for res, _ver, _due in rows]))


@router.get("/catalog/filings", response_model=list[FilingOut], summary="补充目录备案")
def list_filings(ctx: CtxDep, actor: ApiActor) -> list[FilingOut]:
    return [FilingOut.model_validate(f) for f in queries.filings(ctx, actor)]


@router.post("/catalog/filings/{filing_id}/decision", response_model=FilingOut, summary="备案或不予备案")
def decide_filing(ctx: CtxDep, actor: ApiActor, filing_id: int, body: FilingDecisionIn) -> FilingOut:
    return FilingOut.model_validate(filings.decide_filing(ctx, actor, filing_id, body))


@router.get("/catalog/demands", response_model=list[DemandOut], summary="需求清单")
def list_demands(ctx: CtxDep, actor: ApiActor) -> list[DemandOut]:
    return [DemandOut.model_validate(d) for d in queries.demands(ctx, actor)]


@router.post("/catalog/demands", response_model=DemandOut, status_code=201, summary="提出数据需求")
def create_demand(ctx: CtxDep, actor: ApiActor, body: DemandIn) -> DemandOut:
    return DemandOut.model_validate(demands.create_demand(ctx, actor, body))


@router.get(
    "/catalog/demands/{demand_id}/matches", response_model=list[EntryRowOut], summary="可匹配的现有资源"
)
def demand_matches(ctx: CtxDep, actor: ApiActor, demand_id: int) -> list[EntryRowOut]:
    demand = demands.get_demand(ctx, actor, demand_id)
    return _rows(queries.demand_matches(ctx, actor, demand))


@router.post("/catalog/demands/{demand_id}/answer", response_model=DemandOut, summary="答复需求")
def answer_demand(ctx: CtxDep, actor: ApiActor, demand_id: int, body: DemandAnswerIn) -> DemandOut:
    return DemandOut.model_validate(demands.answer_demand(ctx, actor, demand_id, body))


@router.get("/catalog/rollup", response_model=list[RegionCountOut], summary="各级目录汇总")
def rollup(ctx: CtxDep, actor: ApiActor) -> list[RegionCountOut]:
    return [
        RegionCountOut(
            region_code=c.region.code,
            region_name=c.region.name,
            level=c.region.level,
            published=c.published,
            pending=c.pending,
            supplementary=c.supplementary,
        )
        for c in queries.rollup(ctx, actor)
    ]


@router.get(
    "/catalog/responsibilities/{org_id}", response_model=list[EntryRowOut], summary="采集责任清单（按部门）"
)
def responsibilities(ctx: CtxDep, actor: ApiActor, org_id: int) -> list[EntryRowOut]:
    return _rows(queries.collection_responsibilities(ctx, actor, org_id))


@router.get("/me/work", response_model=list[WorkItemOut], summary="我的待办（含截止日期）")
def my_work(ctx: CtxDep, actor: ApiActor, overdue: bool = False) -> list[WorkItemOut]:
    require(actor, Permission.CATALOG_READ)
    board = queries.pending_work(ctx, actor)
    items = board.overdue if overdue else board.items
    return [
        WorkItemOut(
            kind=i.kind,
            title=i.title,
            link=i.link,
            who=i.who,
            due=DueOut(
                due=i.due.due, overdue=i.due.overdue, workdays_left=i.due.workdays_left, label=i.due.label
            )
            if i.due
            else None,
        )
        for i in items
    ]


def _collected(group: item_sources.CollectedItem) -> CollectedItemOut:
    return CollectedItemOut(
        key=group.key,
        subject_kind=group.subject_kind,
        source_resource_id=group.source.source_resource_id if group.source else None,
        collectors=[CollectorOut(**vars(c), duplicate=group.is_duplicate(c)) for c in group.collectors],
    )


@router.get(
    "/catalog/item-sources",
    response_model=list[CollectedItemOut],
    summary="多部门重复采集的信息项（一数一源）",
)
def collected_items(ctx: CtxDep, actor: ApiActor) -> list[CollectedItemOut]:
    return [_collected(g) for g in item_sources.collected_items(ctx, actor)]


@router.post(
    "/catalog/item-sources",
    response_model=CollectedItemOut,
    status_code=201,
    summary="指定信息项的权威来源部门",
)
def designate_item_source(ctx: CtxDep, actor: ApiActor, body: ItemSourceIn) -> CollectedItemOut:
    item_sources.designate_item_source(
        ctx, actor, body.item_key, body.subject_kind, body.source_resource_id, body.reason
    )
    group = next(
        g
        for g in item_sources.collected_items(ctx, actor)
        if g.key == body.item_key and g.subject_kind == body.subject_kind
    )
    return _collected(group)
