"""一数一源 at item level (POOL-1, CAT-5): items that more than one department collects about the same kind
of subject, and the one department the authority designates as their source."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import DataItem, IdentifierKind, ItemSource, Resource, ResourceVersion
from govdata.catalog.semantics import subject_attribute
from govdata.context import Ctx
from govdata.errors import InvalidInput


@dataclass(frozen=True)
class Collector:
    resource_id: int
    code: str
    entry_name: str
    item_name: str
    org_id: int
    org_name: str


@dataclass
class CollectedItem:
    key: str
    subject_kind: IdentifierKind
    collectors: list[Collector] = field(default_factory=list)
    source: ItemSource | None = None

    @property
    def org_count(self) -> int:
        return len({c.org_id for c in self.collectors})

    def is_duplicate(self, collector: Collector) -> bool:
        """Once a source is designated, every other department's copy is a duplicate of it."""
        return self.source is not None and collector.resource_id != self.source.source_resource_id


def collected_items(ctx: Ctx, actor: Actor) -> list[CollectedItem]:
    """Items of published entries collected by two or more departments, grouped by concept and subject kind."""
    require(actor, Permission.CATALOG_READ)
    rows = ctx.session.execute(
        select(Resource, ResourceVersion).join(
            ResourceVersion, ResourceVersion.id == Resource.published_version_id
        )
    ).all()
    groups: dict[tuple[str, IdentifierKind], CollectedItem] = {}
    by_version: dict[int, list[DataItem]] = defaultdict(list)
    for item in ctx.session.execute(
        select(DataItem).where(DataItem.version_id.in_([v.id for _r, v in rows]))
    ).scalars():
        by_version[item.version_id].append(item)
    for resource, version in rows:
        items = by_version[version.id]
        kind = next((i.identifier_kind for i in items if i.identifier_kind != IdentifierKind.NONE), None)
        if kind is None:
            continue  # without a subject identifier there is no "same subject" to compare
        for item in items:
            key = subject_attribute(item.name, item.identifier_kind)
            if key is None:
                continue
            group = groups.setdefault((key, kind), CollectedItem(key, kind))
            group.collectors.append(
                Collector(
                    resource.id, resource.code, version.name, item.name, resource.org_id, resource.org.name
                )
            )
    sources = {(s.item_key, s.subject_kind): s for s in ctx.session.execute(select(ItemSource)).scalars()}
    found = []
    for (key, kind), group in sorted(groups.items()):
        if group.org_count < 2:
            continue
        group.source = sources.get((key, kind.value))
        found.append(group)
    return found


def designate_item_source(
    ctx: Ctx, actor: Actor, key: str, subject_kind: IdentifierKind, resource_id: int, reason: str
) -> ItemSource:
    require(actor, Permission.CATALOG_DESIGNATE)
    group = next(
        (g for g in collected_items(ctx, actor) if g.key == key and g.subject_kind == subject_kind), None
    )
    if group is None:
        raise InvalidInput(f"“{key}”没有被两个以上部门重复采集，无需指定来源")
    chosen = next((c for c in group.collectors if c.resource_id == resource_id), None)
    if chosen is None:
        raise InvalidInput("所选目录条目并不采集该信息项")
    resource = ctx.session.get(Resource, resource_id)
    assert resource is not None
    require(actor, Permission.CATALOG_DESIGNATE, region_path=resource.region_path)
    source = ctx.session.execute(
        select(ItemSource).where(ItemSource.item_key == key, ItemSource.subject_kind == subject_kind.value)
    ).scalar_one_or_none()
    previous = source.source_resource_id if source else None
    if source is None:
        source = ItemSource(item_key=key, subject_kind=subject_kind.value)
        ctx.session.add(source)
    source.source_resource_id = resource_id
    source.reason = reason
    source.decided_by_id = actor.user_id
    source.decided_at = ctx.clock.now()
    ctx.session.flush()
    record(ctx, actor, "catalog.item_source", "item_source", source.id,
           detail={"item": key, "subject_kind": subject_kind, "source": resource_id, "previous": previous,
                   "duplicates": [c.resource_id for c in group.collectors if c.resource_id != resource_id]})  # fmt: skip
    return source
