"""CAT-5: likely duplicate entries across departments, and the designation of one collecting department."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog import search
from govdata.catalog.models import Resource, ResourceVersion, SearchGram, SourceDesignation, VersionState
from govdata.catalog.schemas import DesignateIn
from govdata.catalog.service import get_resource
from govdata.context import Ctx
from govdata.errors import InvalidInput

NAME_THRESHOLD = 0.4
ITEM_THRESHOLD = 0.6
_CANDIDATE_STATES = (VersionState.SUBMITTED, VersionState.APPROVED, VersionState.PUBLISHED)


@dataclass(frozen=True)
class DuplicateCandidate:
    resource_id: int
    version_id: int
    name_similarity: float
    item_overlap: float
    shared_items: list[str]

    @property
    def score(self) -> float:
        return max(self.name_similarity, self.item_overlap)


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def likely_duplicates(
    ctx: Ctx, actor: Actor, version: ResourceVersion, *, limit: int = 10
) -> list[DuplicateCandidate]:
    """Other departments' entries with a similar name or mostly the same data items.

    Published entries are visible to every department; entries still under review only count when they lie
    in the actor's jurisdiction, so a reviewer never learns of another jurisdiction's pending work.
    """
    require(actor, Permission.CATALOG_READ)
    under_review = ResourceVersion.state.in_([VersionState.SUBMITTED, VersionState.APPROVED])
    if actor.is_system:
        in_view = ResourceVersion.state.in_(_CANDIDATE_STATES)
    else:
        in_view = or_(
            ResourceVersion.state == VersionState.PUBLISHED,
            and_(under_review, Resource.region_path.startswith(actor.region_path or "-", autoescape=True)),
        )
    resource = version.resource
    name_grams = search.grams(version.name)
    item_names = {item.name for item in version.items}
    probe = name_grams | {g for name in item_names for g in search.grams(name)}
    if not probe:
        return []
    need = max(1, len(name_grams) // 2)
    candidates = (
        select(SearchGram.version_id)
        .where(SearchGram.gram.in_(sorted(probe)))
        .group_by(SearchGram.version_id)
        .having(func.count() >= need)
        .order_by(func.count().desc())
        .limit(200)
    )
    rows = ctx.session.execute(
        select(ResourceVersion)
        .join(Resource, Resource.id == ResourceVersion.resource_id)
        .where(
            ResourceVersion.id.in_(candidates),
            Resource.org_id != resource.org_id,
            in_view,
        )
    ).scalars()
    found: dict[int, DuplicateCandidate] = {}
    for other in rows:
        other_items = {item.name for item in other.items}
        name_sim = _jaccard(name_grams, search.grams(other.name))
        shared = sorted(item_names & other_items)
        overlap = len(shared) / min(len(item_names), len(other_items)) if item_names and other_items else 0.0
        if name_sim >= NAME_THRESHOLD or (overlap >= ITEM_THRESHOLD and len(shared) >= 3):
            cand = DuplicateCandidate(
                other.resource_id, other.id, round(name_sim, 2), round(overlap, 2), shared
            )
            if other.resource_id not in found or found[other.resource_id].score < cand.score:
                found[other.resource_id] = cand
    return sorted(found.values(), key=lambda c: -c.score)[:limit]


def designate_source(ctx: Ctx, actor: Actor, data: DesignateIn) -> SourceDesignation:
    """The reviewer names the single collecting entry; the others are marked as its duplicates."""
    source = get_resource(ctx.session, data.source_resource_id)
    require(actor, Permission.CATALOG_DESIGNATE, region_path=source.region_path)
    duplicate_ids = list(dict.fromkeys(data.duplicate_resource_ids))
    if source.id in duplicate_ids:
        raise InvalidInput("指定采集的条目不能同时列为重复条目")
    duplicates = [get_resource(ctx.session, rid) for rid in duplicate_ids]
    for dup in duplicates:
        require(actor, Permission.CATALOG_DESIGNATE, region_path=dup.region_path)
        if dup.org_id == source.org_id:
            raise InvalidInput(f"条目 {dup.code} 与指定条目属于同一部门，不属于跨部门重复")
    designation = SourceDesignation(
        source_resource_id=source.id,
        duplicate_resource_ids=",".join(str(d.id) for d in duplicates),
        reason=data.reason,
        decided_by_id=actor.user_id,
        decided_at=ctx.clock.now(),
    )
    ctx.session.add(designation)
    for dup in duplicates:
        dup.source_resource_id = source.id
    source.source_resource_id = None
    ctx.session.flush()
    record(
        ctx,
        actor,
        "catalog.designate_source",
        "catalog_designation",
        designation.id,
        detail={"source": source.id, "duplicates": [d.id for d in duplicates], "reason": data.reason},
    )
    return designation
