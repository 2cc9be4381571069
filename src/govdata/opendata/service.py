"""Use cases of open listings (开放清单, OPEN-1, OPEN-2, OPEN-5): compile, submit, review and publish, suspend,
restore, withdraw.

A department lists only its own published catalog entries, never data it holds as another department's copy
(HN21, SC31). An item that is personal, sensitive or core data opens only de-identified (AB30, WZ29): the
listing records each item's treatment, and the portal applies it to every row that leaves.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, can, in_jurisdiction, require
from govdata.catalog.models import DataItem, OpenType, Resource, ResourceVersion
from govdata.catalog.service import get_resource
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, NotFound
from govdata.opendata import search
from govdata.opendata.models import ListingState, ListingStep, OpenListing, OpenListingItem, Treatment
from govdata.opendata.schemas import ListingIn, ListingItemIn, ReviewIn
from govdata.opendata.workflow import FORMAT_LABELS, OPEN_TYPE_LABELS, check
from govdata.profiles.schema import Limit
from govdata.sharing.masking import MaskRule, default_rule

MASK_RULES = frozenset(
    {
        MaskRule.NAME,
        MaskRule.ID_NUMBER,
        MaskRule.PHONE,
        MaskRule.BANK_CARD,
        MaskRule.ADDRESS,
        MaskRule.EMAIL,
        MaskRule.PSEUDONYM,
        MaskRule.REDACT,
    }
)
GENERALISE_RULES = frozenset({MaskRule.AGE_BAND, MaskRule.YEAR_ONLY})
# Openness only narrows: an entry the catalog registers as conditional cannot be listed as unconditional.
_OPENNESS = {OpenType.NONE: 0, OpenType.CONDITIONAL: 1, OpenType.UNCONDITIONAL: 2}


def get_listing(ctx: Ctx, listing_id: int) -> OpenListing:
    listing = ctx.session.get(OpenListing, listing_id)
    if listing is None:
        raise NotFound(f"开放清单条目 {listing_id} 不存在")
    return listing


def needs_deidentification(item: OpenListingItem | object) -> bool:
    """Personal identifiers and sensitivity 3-4 (敏感 / 核心) never open as held (OPEN-1)."""
    return getattr(item, "sensitivity", 1) >= 3 or str(getattr(item, "identifier_kind", "")) == "person"


def default_treatment(item: DataItem) -> tuple[Treatment, MaskRule]:
    """The safe proposal for an item: core data removed, personal or sensitive data masked or generalised by its
    semantics (as the sharing exchange would mask it), the rest opened as held."""
    if item.sensitivity >= 4:
        return Treatment.REMOVE, MaskRule.NONE
    rule = default_rule(
        field_name=item.field_name, item_name=item.name, identifier_kind=item.identifier_kind.value,
        data_type=item.data_type.value, sensitivity=item.sensitivity,
    )  # fmt: skip
    if rule == MaskRule.NONE:
        return (Treatment.REMOVE, rule) if needs_deidentification(item) else (Treatment.KEEP, rule)
    return (Treatment.GENERALISE if rule in GENERALISE_RULES else Treatment.MASK), rule


def _step(
    ctx: Ctx, actor: Actor, listing: OpenListing, to: ListingState, note: str | None, *, first: bool = False
) -> None:
    ctx.session.add(
        ListingStep(
            listing_id=listing.id,
            from_state=None if first else listing.state.value,
            to_state=to.value,
            actor_id=actor.user_id,
            actor_name=actor.display_name,
            note=note,
            at=ctx.clock.now(),
        )
    )
    listing.state = to


def _own(actor: Actor, listing_org_id: int) -> None:
    if not actor.is_system and actor.org_id != listing_org_id:
        raise Forbidden("只能编制本单位的开放清单")


def _items(
    version: ResourceVersion, wanted: list[ListingItemIn], open_type: OpenType
) -> list[OpenListingItem]:
    by_field = {item.field_name: item for item in version.items}
    given: dict[str, ListingItemIn] = {}
    for w in wanted:
        if w.field_name not in by_field:
            raise InvalidInput(f"信息项“{w.field_name}”不属于该目录条目")
        if w.field_name in given:
            raise InvalidInput(f"信息项“{by_field[w.field_name].name}”重复")
        given[w.field_name] = w
    out: list[OpenListingItem] = []
    for item in version.items:
        w = given.get(item.field_name)
        treatment = w.treatment if w else Treatment.REMOVE
        rule = _rule(item.name, treatment, w.rule if w else "none")
        if treatment == Treatment.KEEP and needs_deidentification(item):
            raise InvalidInput(
                f"信息项“{item.name}”属于个人信息或敏感数据（分级 {item.sensitivity}），"
                "须脱敏、泛化或去除后方可开放"
            )
        if item.sensitivity >= 4 and treatment != Treatment.REMOVE:
            raise InvalidInput(f"信息项“{item.name}”属于核心数据，不得开放，只能去除")
        out.append(
            OpenListingItem(
                position=item.position,
                field_name=item.field_name,
                name=item.name,
                data_type=item.data_type.value,
                sensitivity=item.sensitivity,
                treatment=treatment,
                rule=rule.value,
                description=item.description,
            )
        )
    if open_type != OpenType.NONE and all(i.treatment == Treatment.REMOVE for i in out):
        raise InvalidInput("至少要开放一个信息项")
    return out


def _rule(item_name: str, treatment: Treatment, raw: str) -> MaskRule:
    try:
        rule = MaskRule(raw or "none")
    except ValueError:
        raise InvalidInput(f"信息项“{item_name}”的规则“{raw}”不存在") from None
    if treatment in (Treatment.KEEP, Treatment.REMOVE):
        return MaskRule.NONE
    allowed = MASK_RULES if treatment == Treatment.MASK else GENERALISE_RULES
    if rule not in allowed:
        names = "、".join(sorted(r.value for r in allowed))
        raise InvalidInput(f"信息项“{item_name}”的处理方式须选用规则：{names}")
    return rule


def _fill(listing: OpenListing, version: ResourceVersion, data: ListingIn, now: dt.datetime) -> None:
    open_type = data.open_type or version.open_type
    if _OPENNESS[open_type] > _OPENNESS[version.open_type]:
        raise InvalidInput(
            f"开放类型不得宽于目录登记的开放属性（目录为“{OPEN_TYPE_LABELS[version.open_type]}”）"
        )
    basis = data.basis or (version.open_basis if open_type == version.open_type else None)
    conditions = data.conditions or (version.open_conditions if open_type == version.open_type else None)
    if open_type != OpenType.UNCONDITIONAL and not basis:
        raise InvalidInput(f"“{OPEN_TYPE_LABELS[open_type]}”须写明法律法规或政策依据")
    if open_type == OpenType.CONDITIONAL and not conditions:
        raise InvalidInput("有条件开放须写明开放条件（谁可以申请、用于什么、须采取的安全措施）")
    formats = [f.lower() for f in data.formats]
    unknown = [f for f in formats if f not in FORMAT_LABELS]
    if unknown:
        raise InvalidInput(f"格式 {'、'.join(unknown)} 不支持（可用：csv、xlsx、json）")
    if open_type != OpenType.NONE and not formats:
        raise InvalidInput("至少选择一种下载格式")
    listing.items = _items(version, data.items, open_type)
    listing.version_id = version.id
    listing.title = data.title or version.name
    listing.summary = data.summary or version.summary
    listing.domain = data.domain or version.domain
    listing.tags = ",".join(dict.fromkeys(t.strip() for t in data.tags if t.strip()))
    listing.formats = ",".join(f for f in FORMAT_LABELS if f in formats)
    listing.open_type = open_type
    listing.conditions = conditions if open_type == OpenType.CONDITIONAL else None
    listing.basis = basis if open_type != OpenType.UNCONDITIONAL else None
    listing.update_cycle = data.update_cycle or version.update_cycle
    listing.updated_at = now


def _listable(ctx: Ctx, actor: Actor, resource: Resource) -> ResourceVersion:
    _own(actor, resource.org_id)
    if resource.source_resource_id is not None:
        source = ctx.session.get(Resource, resource.source_resource_id)
        raise InvalidInput(
            "该目录条目与其他部门的数据重复，数据来源已指定为"
            f"“{source.code if source else resource.source_resource_id}”：共享获得或重复采集的数据不列入本单位开放清单"
        )
    version = ctx.session.get(ResourceVersion, resource.published_version_id or 0)
    if version is None:
        raise InvalidInput("只有已发布的目录条目才能编入开放清单")
    return version


def compile_listing(ctx: Ctx, actor: Actor, data: ListingIn) -> OpenListing:
    require(actor, Permission.OPEN_LIST)
    resource = get_resource(ctx.session, data.resource_id)
    version = _listable(ctx, actor, resource)
    existing = ctx.session.execute(
        select(OpenListing.id).where(OpenListing.resource_id == resource.id)
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict(f"该目录条目已编入开放清单（编号 {existing}），请修改原条目")
    now = ctx.clock.now()
    listing = OpenListing(
        resource_id=resource.id,
        org_id=resource.org_id,
        region_path=resource.region_path,
        state=ListingState.DRAFT,
        created_by_id=actor.user_id,
        created_at=now,
    )
    _fill(listing, version, data, now)
    ctx.session.add(listing)
    ctx.session.flush()
    _step(ctx, actor, listing, ListingState.DRAFT, "编制开放清单条目", first=True)
    record(ctx, actor, "open.listing.compile", "open_listing", listing.id,
           detail={"resource": resource.code, "open_type": listing.open_type.value})  # fmt: skip
    return listing


def update_listing(ctx: Ctx, actor: Actor, listing_id: int, data: ListingIn) -> OpenListing:
    """Edit a draft or returned listing; a published one is revised (back to draft, out of the portal) first."""
    require(actor, Permission.OPEN_LIST)
    listing = get_listing(ctx, listing_id)
    _own(actor, listing.org_id)
    if data.resource_id != listing.resource_id:
        raise InvalidInput("不能更换开放清单条目对应的目录条目")
    check(listing.state, "edit")
    version = _listable(ctx, actor, listing.resource)
    _fill(listing, version, data, ctx.clock.now())
    ctx.session.flush()
    record(ctx, actor, "open.listing.edit", "open_listing", listing.id)
    return listing


def revise_listing(ctx: Ctx, actor: Actor, listing_id: int, reason: str) -> OpenListing:
    require(actor, Permission.OPEN_LIST)
    listing = get_listing(ctx, listing_id)
    _own(actor, listing.org_id)
    to = check(listing.state, "revise")
    search.unindex(ctx.session, listing.id)
    _step(ctx, actor, listing, to, reason)
    listing.updated_at = ctx.clock.now()
    record(ctx, actor, "open.listing.revise", "open_listing", listing.id, detail={"reason": reason})
    return listing


def submit_listing(ctx: Ctx, actor: Actor, listing_id: int) -> OpenListing:
    require(actor, Permission.OPEN_LIST)
    listing = get_listing(ctx, listing_id)
    _own(actor, listing.org_id)
    to = check(listing.state, "submit")
    version = _listable(ctx, actor, listing.resource)
    if version.id != listing.version_id:
        raise InvalidInput("目录条目已发布新版本，请先按新版本修改开放清单条目再提交")
    days = ctx.profile.limit(Limit.OPEN_LIST_REVIEW).days
    listing.review_due = ctx.calendar.add_workdays(ctx.clock.today(), days)
    listing.review_comment = None
    _step(ctx, actor, listing, to, f"提交审核，审核时限 {listing.review_due.isoformat()}")
    record(ctx, actor, "open.listing.submit", "open_listing", listing.id)
    return listing


def _authority(actor: Actor, listing: OpenListing) -> None:
    require(actor, Permission.OPEN_REVIEW)
    if not in_jurisdiction(actor, listing.region_path):
        raise Forbidden("只能审核本级及下级的开放清单")


def review_listing(ctx: Ctx, actor: Actor, listing_id: int, data: ReviewIn) -> OpenListing:
    """Approval publishes into the level's open catalog (or its published not-open list) at once."""
    listing = get_listing(ctx, listing_id)
    _authority(actor, listing)
    if not data.approve and not data.comment:
        raise InvalidInput("退回时须写明审核意见")
    to = check(listing.state, "publish" if data.approve else "return")
    now = ctx.clock.now()
    listing.reviewed_by_id = actor.user_id
    listing.reviewed_at = now
    listing.review_comment = data.comment  # review_due stays: whether the review was in time (supervision)
    if data.approve:
        listing.published_at = listing.published_at or now
        listing.updated_at = now
        search.index(ctx.session, listing)
    _step(ctx, actor, listing, to, data.comment)
    record(ctx, actor, "open.listing.publish" if data.approve else "open.listing.return", "open_listing",
           listing.id, detail={"comment": data.comment})  # fmt: skip
    return listing


def _provider_or_authority(actor: Actor, listing: OpenListing) -> None:
    if can(actor, Permission.OPEN_REVIEW) and in_jurisdiction(actor, listing.region_path):
        return
    require(actor, Permission.OPEN_ANSWER)
    if actor.org_id != listing.org_id:
        raise Forbidden("只有提供部门或数据主管机构可以暂停、恢复或撤回开放")


def suspend_listing(ctx: Ctx, actor: Actor, listing_id: int, reason: str) -> OpenListing:
    """Risky data, or a warranted withdrawal request, stops opening at once (AB33): no download, no API."""
    listing = get_listing(ctx, listing_id)
    _provider_or_authority(actor, listing)
    to = check(listing.state, "suspend")
    listing.suspended_reason = reason
    listing.updated_at = ctx.clock.now()
    _step(ctx, actor, listing, to, reason)
    record(ctx, actor, "open.listing.suspend", "open_listing", listing.id, detail={"reason": reason})
    return listing


def restore_listing(ctx: Ctx, actor: Actor, listing_id: int, reason: str) -> OpenListing:
    listing = get_listing(ctx, listing_id)
    _provider_or_authority(actor, listing)
    to = check(listing.state, "restore")
    listing.suspended_reason = None
    listing.updated_at = ctx.clock.now()
    _step(ctx, actor, listing, to, reason)
    record(ctx, actor, "open.listing.restore", "open_listing", listing.id, detail={"reason": reason})
    return listing


def withdraw_listing(ctx: Ctx, actor: Actor, listing_id: int, reason: str) -> OpenListing:
    listing = get_listing(ctx, listing_id)
    _provider_or_authority(actor, listing)
    to = check(listing.state, "withdraw")
    search.unindex(ctx.session, listing.id)
    listing.updated_at = ctx.clock.now()
    _step(ctx, actor, listing, to, reason)
    record(ctx, actor, "open.listing.withdraw", "open_listing", listing.id, detail={"reason": reason})
    return listing


def require_usable(listing: OpenListing) -> None:
    """Data leaves only a published listing that opens data; every refusal says why."""
    if listing.state == ListingState.SUSPENDED:
        raise Forbidden(f"该数据集已暂停开放：{listing.suspended_reason or '正在核查'}")
    if listing.state != ListingState.PUBLISHED:
        raise NotFound("该数据集不在开放目录中")
    if listing.open_type == OpenType.NONE:
        raise Forbidden(f"该数据不予开放。依据：{listing.basis or '—'}")
