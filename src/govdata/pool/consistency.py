"""QUAL-3: where two pools hold the same item for the same subject, list where their values disagree.

Pools are matched by subject kind (citizen ID or USCC) and by item concept (`semantics.item_key`); the rows
are joined on the subject identifier every pool row carries. Values are compared as trimmed text, so a date held
as a date in one pool and as text in another still compares. Only the authority looks across departments;
seeing the values is data access and is recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import String, and_, cast, func, select

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import IdentifierKind
from govdata.catalog.semantics import subject_attribute
from govdata.context import Ctx
from govdata.errors import Forbidden, NotFound
from govdata.pool import queries
from govdata.pool.models import Pool
from govdata.pool.tables import SUBJECT, pool_table


@dataclass(frozen=True)
class SharedItem:
    key: str
    subject_kind: str
    pool_a: Pool
    field_a: str
    label_a: str
    pool_b: Pool
    field_b: str
    label_b: str


@dataclass(frozen=True)
class Disagreement:
    subject_id: str
    value_a: str
    value_b: str


@dataclass(frozen=True)
class PairSummary:
    shared: SharedItem
    compared: int  # subjects present in both pools with a value in both
    disagreeing: int
    samples: list[Disagreement]


def _subject_kind(pool: Pool) -> str | None:
    for col in pool.columns:
        if col.field_name == pool.subject_field:
            return col.identifier_kind
    return None


def _require_authority(actor: Actor) -> None:
    require(actor, Permission.POOL_READ)
    if not (actor.is_system or actor.is_authority):
        raise Forbidden("跨部门数据一致性比对由数据主管机构开展")


def shared_items(ctx: Ctx, actor: Actor) -> list[SharedItem]:
    """Every pair of pools (different departments, same subject kind) holding the same item concept."""
    _require_authority(actor)
    pools = [p for p in queries.list_pools(ctx, actor) if p.subject_field and p.row_count]
    found: list[SharedItem] = []
    for a, b in combinations(pools, 2):
        kind = _subject_kind(a)
        if a.org_id == b.org_id or kind is None or kind == IdentifierKind.NONE or kind != _subject_kind(b):
            continue
        keys_b = {subject_attribute(c.label, c.identifier_kind): c for c in b.columns if not c.retired}
        for col in a.columns:
            key = subject_attribute(col.label, col.identifier_kind)
            if col.retired or key is None or key not in keys_b:
                continue
            other = keys_b[key]
            found.append(
                SharedItem(key, kind, a, col.field_name, col.label, b, other.field_name, other.label)
            )
    return found


def _comparison(shared: SharedItem):  # type: ignore[no-untyped-def]
    ta, tb = pool_table(shared.pool_a), pool_table(shared.pool_b)
    va = func.trim(cast(ta.c[shared.field_a], String))
    vb = func.trim(cast(tb.c[shared.field_b], String))
    joined = ta.join(tb, ta.c[SUBJECT] == tb.c[SUBJECT])
    both = and_(ta.c[shared.field_a].is_not(None), tb.c[shared.field_b].is_not(None))
    return ta, joined, va, vb, both


def summarise(ctx: Ctx, actor: Actor, *, samples: int = 5) -> list[PairSummary]:
    """For each shared item: how many subjects were compared, how many disagree, and a few examples."""
    result: list[PairSummary] = []
    for shared in shared_items(ctx, actor):
        ta, joined, va, vb, both = _comparison(shared)
        compared, disagreeing = ctx.session.execute(
            select(func.count(), func.count().filter(va != vb)).select_from(joined).where(both)
        ).one()
        rows = ctx.session.execute(
            select(ta.c[SUBJECT], va, vb)
            .select_from(joined)
            .where(both, va != vb)
            .order_by(ta.c[SUBJECT])
            .limit(samples)
        ).all()
        result.append(
            PairSummary(
                shared, int(compared), int(disagreeing or 0), [Disagreement(r[0], r[1], r[2]) for r in rows]
            )
        )
    if result:
        record(ctx, actor, "pool.consistency", "pool", None, purpose="跨部门数据一致性比对（QUAL-3）",
               detail={"pairs": len(result), "disagreeing": sum(p.disagreeing for p in result)})  # fmt: skip
    return result


def find_shared(
    ctx: Ctx, actor: Actor, pool_a_id: int, field_a: str, pool_b_id: int, field_b: str
) -> SharedItem:
    for shared in shared_items(ctx, actor):
        if (shared.pool_a.id, shared.field_a, shared.pool_b.id, shared.field_b) == (
            pool_a_id,
            field_a,
            pool_b_id,
            field_b,
        ):
            return shared
        if (shared.pool_b.id, shared.field_b, shared.pool_a.id, shared.field_a) == (
            pool_a_id,
            field_a,
            pool_b_id,
            field_b,
        ):
            return shared
    raise NotFound("这两个资源池没有可比对的相同信息项，或不在本级管辖范围内")


def disagreements(
    ctx: Ctx, actor: Actor, shared: SharedItem, *, limit: int = 100, offset: int = 0
) -> list[Disagreement]:
    ta, joined, va, vb, both = _comparison(shared)
    rows = ctx.session.execute(
        select(ta.c[SUBJECT], va, vb)
        .select_from(joined)
        .where(both, va != vb)
        .order_by(ta.c[SUBJECT])
        .limit(limit)
        .offset(offset)
    ).all()
    record(ctx, actor, "pool.consistency.view", "pool", f"{shared.pool_a.id}/{shared.pool_b.id}",
           purpose="查看跨部门不一致数据以组织协商核实", detail={"item": shared.key, "rows": len(rows)})  # fmt: skip
    return [Disagreement(r[0], r[1], r[2]) for r in rows]


def value_for(ctx: Ctx, pool: Pool, field: str, subject_id: str) -> str | None:
    table = pool_table(pool)
    return ctx.session.execute(
        select(func.trim(cast(table.c[field], String))).where(table.c[SUBJECT] == subject_id).limit(1)
    ).scalar_one_or_none()
