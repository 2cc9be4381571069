"""The exchange: department systems take granted data out of the pools (SHARE-3, SHARE-6…8, SEC-3).

Every call names its purpose, which must match a live grant of the calling department for the entry. Only the
grant's items and rows leave, masked server-side, and every call — served or refused — is written to the
call log and the audit chain in the same transaction as nothing else, so a refusal is logged too.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, Table, and_, cast, insert, or_, select

from govdata.audit.service import record
from govdata.authz import Actor
from govdata.catalog.models import DataType, Resource
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, NotFound
from govdata.org.models import Role
from govdata.org.service import get_setting
from govdata.pool.models import Pool
from govdata.pool.tables import BATCH, ROW_ID, SUBJECT, pool_table
from govdata.sharing import masking
from govdata.sharing.apps import RateLimiter, split_credential, verify_secret
from govdata.sharing.models import Channel, Delivery, ExchangeCall, ShareApp, ShareGrant
from govdata.sharing.workflow import Condition, FilterOp, parse_filter

# Subjects delivered per call are remembered (for correction notices) up to this many; bulk exports
# are remembered as whole-entry deliveries through their call record instead.
DELIVERY_LIMIT = 1000


class Operation:
    LOOKUP = "lookup"
    QUERY = "query"
    EXPORT = "export"
    CHANGES = "changes"
    MATCH = "match"


OPERATION_LABELS = {
    Operation.LOOKUP: "按标识查询",
    Operation.QUERY: "条件查询",
    Operation.EXPORT: "批量导出",
    Operation.CHANGES: "增量同步",
    Operation.MATCH: "核验",
}


@dataclass
class Caller:
    """Who is calling, known as soon as the credential checks out (refusals after that name the department)."""

    app: ShareApp
    actor: Actor


@dataclass
class Access:
    caller: Caller
    grant: ShareGrant
    pool: Pool
    table: Table
    items: list[str]  # granted items that exist as columns, catalog order
    types: dict[str, str]
    conditions: list[Condition]
    masker: masking.Masker
    operation: str
    purpose: str

    @property
    def masked(self) -> list[str]:
        return [f for f in self.masker.masked_fields if f in self.items]

    @property
    def out_columns(self) -> list[str]:
        """What an exported row holds: the row id, the subject when its item is granted, the granted items."""
        subject = [SUBJECT] if SUBJECT in self.masker.rules else []
        return [ROW_ID, *subject, *self.items]


def identify(ctx: Ctx, limiter: RateLimiter, credential: str) -> Caller:
    client_id, secret = split_credential(credential)
    app = ctx.session.execute(select(ShareApp).where(ShareApp.client_id == client_id)).scalar_one_or_none()
    app = verify_secret(app, secret)
    org = app.org
    actor = Actor(
        user_id=None,
        username=f"app:{app.client_id}",
        display_name=f"应用系统“{app.name}”（{app.client_id}）",
        role=Role.DEPT_USER,
        org_id=org.id,
        org_name=org.name,
        org_kind=org.kind,
        region_id=org.region_id,
    )
    limiter.take(app.id, app.rate_per_minute)
    return Caller(app=app, actor=actor)


def authorise(ctx: Ctx, caller: Caller, resource_id: int, purpose: str, operation: str) -> Access:
    """The live grant whose purpose the call states; anything else is refused with the reason."""
    purpose = purpose.strip()
    if not purpose:
        raise InvalidInput("每次调用都须说明用途（purpose），且与共享授权的用途一致")
    today = ctx.clock.today()
    grants = (
        ctx.session.execute(
            select(ShareGrant).where(
                ShareGrant.consumer_org_id == caller.app.org_id,
                ShareGrant.resource_id == resource_id,
                ShareGrant.revoked_at.is_(None),
                ShareGrant.valid_from <= today,
                ShareGrant.expires_on >= today,
            )
        )
        .scalars()
        .all()
    )
    if not grants:
        raise Forbidden("本单位没有该目录条目的有效共享授权（可能未申请、已过期或已撤销）")
    matching = [g for g in grants if g.purpose == purpose]
    if not matching:
        raise Forbidden(
            f"用途“{purpose}”与本单位在该目录上的有效授权用途不一致：共享数据只能用于申请时说明的用途"
        )
    usable = [g for g in matching if operation == Operation.MATCH or g.channel != Channel.MATCH]
    if not usable:
        raise Forbidden("该授权只允许核验（只答是否一致），不能取得数据")
    grant = usable[0]
    pool = ctx.session.execute(select(Pool).where(Pool.resource_id == resource_id)).scalar_one_or_none()
    if pool is None:
        raise NotFound("该目录条目尚未归集数据")
    live = {c.field_name: c.data_type for c in pool.columns if not c.retired}
    items = [i for i in grant.item_list if i in live]
    conditions = parse_filter(grant.row_filter, set(live))
    rules = {k: masking.MaskRule(v) for k, v in _json(grant.masking).items() if k in items}
    rules[ROW_ID] = masking.MaskRule.NONE
    if pool.subject_field in rules:  # the subject column holds that item's value: masked alike
        rules[SUBJECT] = rules[pool.subject_field]
    key = _masking_key(ctx, caller.app.org_id)
    return Access(
        caller=caller,
        grant=grant,
        pool=pool,
        table=pool_table(pool),
        items=items,
        types={name: live[name] for name in items},
        conditions=conditions,
        masker=masking.Masker(rules, key=key, today=today),
        operation=operation,
        purpose=purpose,
    )


def _json(raw: str) -> dict[str, str]:
    data = json.loads(raw or "{}")
    return data if isinstance(data, dict) else {}


def _masking_key(ctx: Ctx, consumer_org_id: int) -> bytes:
    """Pseudonyms are keyed per consumer: one department can join its own data, two cannot link theirs."""
    secret = get_setting(ctx.session, "secret_key") or ""
    return hmac.new(secret.encode(), f"masking:{consumer_org_id}".encode(), hashlib.sha256).digest()


def _coerce(data_type: str, value: str) -> object:
    try:
        kind = DataType(data_type)
        if kind == DataType.INTEGER:
            return int(value)
        if kind == DataType.DECIMAL:
            return decimal.Decimal(value)
        if kind == DataType.DATE:
            return dt.date.fromisoformat(value)
        if kind == DataType.DATETIME:
            return dt.datetime.fromisoformat(value)
        if kind == DataType.BOOLEAN:
            return value.lower() in ("1", "true", "是", "y", "yes")
    except (ValueError, decimal.InvalidOperation):
        raise InvalidInput(f"条件取值“{value}”不符合该信息项的类型") from None
    return value


def where_of(
    table: Table, conditions: Sequence[Condition], types: dict[str, str]
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    for cond in conditions:
        column = table.c[cond.field]
        data_type = types.get(cond.field, DataType.STRING.value)
        if cond.op == FilterOp.PREFIX:
            target = column if data_type == DataType.STRING.value else cast(column, String)
            clauses.append(target.startswith(cond.values[0], autoescape=True))
        elif cond.op == FilterOp.IN:
            clauses.append(column.in_([_coerce(data_type, v) for v in cond.values]))
        else:
            clauses.append(column == _coerce(data_type, cond.values[0]))
    return clauses


def _scope(access: Access) -> list[ColumnElement[bool]]:
    all_types = {c.field_name: c.data_type for c in access.pool.columns}
    return where_of(access.table, access.conditions, all_types)


def _columns(access: Access) -> list[Any]:
    return [access.table.c[ROW_ID], access.table.c[SUBJECT], *[access.table.c[i] for i in access.items]]


def _rows(access: Access, raw: Sequence[Any], *, echo_subject: bool = False) -> list[dict[str, object]]:
    """Masked rows; a lookup echoes the identifier the caller sent, which it already holds."""
    names = [ROW_ID, SUBJECT, *access.items]
    rows = [access.masker.row(dict(zip(names, row, strict=True))) for row in raw]
    if echo_subject:
        for row, source in zip(rows, raw, strict=True):
            row[SUBJECT] = source[1]
    return rows


def lookup(ctx: Ctx, access: Access, subjects: list[str]) -> tuple[list[dict[str, object]], list[str]]:
    wanted = list(dict.fromkeys(s.strip().upper() for s in subjects if s.strip()))
    if not wanted:
        raise InvalidInput("请给出至少一个主体标识")
    if len(wanted) > 1000:
        raise InvalidInput("一次最多查询 1000 个主体标识")
    stmt = select(*_columns(access)).where(access.table.c[SUBJECT].in_(wanted), *_scope(access))
    raw = ctx.session.execute(stmt.order_by(access.table.c[ROW_ID])).all()
    rows = _rows(access, raw, echo_subject=True)
    found = {r[1] for r in raw}
    log(ctx, access, len(rows), subjects=sorted(found))
    return rows, [s for s in wanted if s not in found]


def query(
    ctx: Ctx, access: Access, filters: list[Condition], limit: int, after: int
) -> tuple[list[dict[str, object]], int | None]:
    types = {c.field_name: c.data_type for c in access.pool.columns}
    outside = [c.field for c in filters if c.field not in access.items]
    if outside:
        raise Forbidden(f"只能按已授权的信息项查询；{'、'.join(outside)} 未授权")
    stmt = select(*_columns(access)).where(
        access.table.c[ROW_ID] > after, *_scope(access), *where_of(access.table, filters, types)
    )
    raw = ctx.session.execute(stmt.order_by(access.table.c[ROW_ID]).limit(limit + 1)).all()
    more = len(raw) > limit
    raw = raw[:limit]
    rows = _rows(access, raw)
    log(ctx, access, len(rows), subjects=[r[1] for r in raw if r[1]])
    return rows, (raw[-1][0] if more else None)


def parse_cursor(cursor: str | None) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    try:
        batch, row = cursor.split(".", 1)
        return int(batch), int(row)
    except ValueError:
        raise InvalidInput("游标格式不正确：请使用上次返回的 cursor 原样传回") from None


def changes(
    ctx: Ctx, access: Access, cursor: str | None, limit: int
) -> tuple[list[dict[str, object]], str, bool]:
    """Rows added or changed since the cursor, in load order: a consumer's table stays in step (SHARE-7)."""
    batch, row = parse_cursor(cursor)
    t = access.table
    newer = or_(t.c[BATCH] > batch, and_(t.c[BATCH] == batch, t.c[ROW_ID] > row))
    stmt = select(t.c[BATCH], *_columns(access)).where(newer, *_scope(access))
    raw = ctx.session.execute(stmt.order_by(t.c[BATCH], t.c[ROW_ID]).limit(limit + 1)).all()
    more = len(raw) > limit
    raw = raw[:limit]
    rows = _rows(access, [r[1:] for r in raw])
    next_cursor = f"{raw[-1][0]}.{raw[-1][1]}" if raw else f"{batch}.{row}"
    log(ctx, access, len(rows), subjects=[r[2] for r in raw if r[2]])
    return rows, next_cursor, more


def match(
    ctx: Ctx, access: Access, subject: str, claims: dict[str, str | None]
) -> tuple[bool, dict[str, bool | None]]:
    """Answer match / no match per item, never a value (SHARE-4, OPEN-8)."""
    outside = [f for f in claims if f not in access.items]
    if outside:
        raise Forbidden(f"只能核验已授权的信息项；{'、'.join(outside)} 未授权")
    t = access.table
    stmt = select(*[t.c[f] for f in claims]).where(t.c[SUBJECT] == subject.strip().upper(), *_scope(access))
    found = ctx.session.execute(stmt.limit(2)).all()
    if not found:
        log(ctx, access, 0, subjects=[])
        return False, {f: None for f in claims}
    results = {
        f: any(_same(row[i], claimed) for row in found) for i, (f, claimed) in enumerate(claims.items())
    }
    log(ctx, access, len(found), subjects=[subject.strip().upper()])
    return True, results


def _same(held: object, claimed: str | None) -> bool:
    if held is None or claimed is None:
        return held is None and claimed is None
    return str(held).strip() == claimed.strip()


def export_batches(ctx: Ctx, access: Access, size: int = 20_000) -> Iterator[list[dict[str, object]]]:
    """Masked rows in chunks, by keyset on the row id: memory stays flat whatever the pool's size."""
    after = 0
    stmt = select(*_columns(access)).where(*_scope(access)).order_by(access.table.c[ROW_ID])
    while True:
        raw = ctx.session.execute(stmt.where(access.table.c[ROW_ID] > after).limit(size)).all()
        if not raw:
            return
        after = raw[-1][0]
        yield _rows(access, raw)


def log(ctx: Ctx, access: Access, records: int, *, subjects: list[str]) -> None:
    """One call-log row and one audit event, in the call's own transaction (SHARE-8)."""
    call = _write_call(ctx, access.caller, access.grant.resource_id, access.operation, access.purpose,
                       grant=access.grant, items=access.items, records=records, outcome="success")  # fmt: skip
    if subjects and len(subjects) <= DELIVERY_LIMIT:
        ctx.session.execute(insert(Delivery), [{"call_id": call, "subject_id": s} for s in set(subjects)])


def log_refusal(
    ctx: Ctx, caller: Caller | None, resource_id: int | None, operation: str, purpose: str | None, reason: str
) -> None:
    _write_call(ctx, caller, resource_id, operation, purpose, grant=None, items=[], records=0,
                outcome="refused", reason=reason)  # fmt: skip


def _write_call(
    ctx: Ctx,
    caller: Caller | None,
    resource_id: int | None,
    operation: str,
    purpose: str | None,
    *,
    grant: ShareGrant | None,
    items: list[str],
    records: int,
    outcome: str,
    reason: str | None = None,
) -> int:
    provider = grant.provider_org_id if grant else None
    if provider is None and resource_id is not None:
        provider = ctx.session.execute(select(Resource.org_id).where(Resource.id == resource_id)).scalar()
    call_id = ctx.session.execute(
        insert(ExchangeCall)
        .values(
            at=ctx.clock.now(),
            app_id=caller.app.id if caller else None,
            consumer_org_id=caller.app.org_id if caller else None,
            resource_id=resource_id if provider is not None else None,
            provider_org_id=provider,
            grant_id=grant.id if grant else None,
            operation=operation,
            purpose=(purpose or "")[:200] or None,
            items=",".join(items),
            records=records,
            outcome=outcome,
            reason=reason,
        )
        .returning(ExchangeCall.id)
    ).scalar_one()
    actor = caller.actor if caller else Actor(None, "anonymous", "未认证的调用方", Role.DEPT_USER)
    record(ctx, actor, f"share.exchange.{operation}", "catalog_resource", resource_id, outcome=outcome,
                   purpose=purpose, detail={"call": call_id, "grant": grant.id if grant else None, "items": items,
                                            "records": records, "reason": reason})  # fmt: skip
    return int(call_id)
