"""The exchange: department systems take granted data out of the pools (SHARE-3, SHARE-6…8, SEC-3).

Every call names its purpose, which must match a live grant of the calling department for the entry. Only the
grant's items and rows leave, masked server-side, and every call — served or refused — goes to the call log
and the audit chain (see calllog). The credential, the live grants and the pool are read in one statement.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Date, Row, String, Table, and_, bindparam, cast, exists, or_, select

from govdata.authz import Actor
from govdata.catalog.models import DataType
from govdata.context import Ctx
from govdata.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from govdata.org.models import Organization, Role
from govdata.org.service import get_setting
from govdata.pool.models import Pool, PoolColumn
from govdata.pool.tables import BATCH, ROW_ID, SUBJECT, ColumnSignature, table_for
from govdata.quality import corrections
from govdata.quality.models import PENDING_STATES, CorrectionRequest
from govdata.sharing import masking
from govdata.sharing.apps import RateLimiter, digest, split_credential
from govdata.sharing.calllog import CallLog, CallRecord, InlineLog
from govdata.sharing.models import Channel, ShareApp, ShareGrant
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
class Runtime:
    """What the exchange keeps per serving process: rate buckets, pool shapes by version, the secret, the log."""

    limiter: RateLimiter = field(default_factory=RateLimiter)
    log: CallLog = field(default_factory=InlineLog)
    # Admission: at most this many calls work at once per process; the rest wait without contending for the GIL
    # (32 threads all running Python serve fewer calls than 8 do).
    gate: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(8))
    secret: str | None = None
    _shapes: dict[tuple[int, int | None], tuple[ColumnSignature, ...]] = field(default_factory=dict)
    statements: dict[tuple[object, ...], Any] = field(default_factory=dict)  # built lookups, by grant shape
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def shape(self, ctx: Ctx, pool_id: int, version_id: int | None) -> tuple[ColumnSignature, ...]:
        """A pool's columns change only with a new catalog version, so (pool, version) keys them safely."""
        key = (pool_id, version_id)
        with self._lock:
            found = self._shapes.get(key)
        if found is None:
            c = PoolColumn
            found = tuple(
                (r.field_name, r.data_type, r.length, r.retired)
                for r in ctx.session.execute(
                    select(c.field_name, c.data_type, c.length, c.retired)
                    .where(c.pool_id == pool_id)
                    .order_by(c.position)
                )
            )
            with self._lock:
                self._shapes[key] = found
        return found

    def deployment_secret(self, ctx: Ctx) -> str:
        if not self.secret:
            self.secret = get_setting(ctx.session, "secret_key") or ""
        return self.secret


@dataclass(frozen=True)
class AppView:
    id: int
    org_id: int
    name: str
    client_id: str
    rate_per_minute: int


@dataclass(frozen=True)
class GrantView:
    id: int
    resource_id: int
    provider_org_id: int
    items: tuple[str, ...]
    row_filter: str
    masking: str
    purpose: str
    channel: str


@dataclass
class Caller:
    """Who is calling, known as soon as the credential checks out (refusals after that name the department)."""

    app: AppView
    actor: Actor
    rows: list[Row[Any]]  # the live grants of the department for the entry, each with the entry's pool


@dataclass
class Access:
    caller: Caller
    grant: GrantView
    table: Table
    items: list[str]  # granted items that exist as columns, catalog order
    types: dict[str, str]  # of the granted items
    live_types: dict[str, str]  # of every live column (scopes and filters may name any)
    subject_field: str | None
    conditions: list[Condition]
    masker: masking.Masker
    operation: str
    purpose: str
    statements: dict[tuple[object, ...], Any] = field(default_factory=dict)
    verifying: bool = False  # some subject of the entry has a pending correction request (QUAL-2)

    @property
    def masked(self) -> list[str]:
        return [f for f in self.masker.masked_fields if f in self.items]

    @property
    def out_columns(self) -> list[str]:
        """What an exported row holds: the row id, the subject when its item is granted, the granted items."""
        subject = [SUBJECT] if SUBJECT in self.masker.rules else []
        return [ROW_ID, *subject, *self.items]


def _build_opening() -> Any:
    a, o, g, p = ShareApp.__table__, Organization.__table__, ShareGrant.__table__, Pool.__table__
    cr = CorrectionRequest.__table__
    resource_id, today = bindparam("resource_id"), bindparam("today", type_=Date)
    live = and_(
        g.c.consumer_org_id == a.c.org_id,
        g.c.resource_id == resource_id,
        g.c.revoked_at.is_(None),
        g.c.valid_from <= today,
        g.c.expires_on >= today,
    )
    return (
        select(
            a.c.id,
            a.c.org_id,
            a.c.name,
            a.c.client_id,
            a.c.secret_hash,
            a.c.rate_per_minute,
            a.c.active,
            o.c.name.label("org_name"),
            o.c.kind.label("org_kind"),
            o.c.region_id,
            g.c.id.label("grant_id"),
            g.c.resource_id,
            g.c.provider_org_id,
            g.c["items"],
            g.c.row_filter,
            g.c.masking,
            g.c.purpose,
            g.c.channel,
            p.c.id.label("pool_id"),
            p.c.table_name,
            p.c.subject_field,
            p.c.version_id,
            p.c.key_fields,
            exists()
            .where(cr.c.resource_id == resource_id, cr.c.state.in_([s.value for s in PENDING_STATES]))
            .label("verifying"),
        )
        .select_from(
            a.join(o, o.c.id == a.c.org_id).outerjoin(g, live).outerjoin(p, p.c.resource_id == resource_id)
        )
        .where(a.c.client_id == bindparam("client_id"))
    )


# Built once: every exchange call starts with it (credential, the department's live grants, the pool).
_OPENING = _build_opening()


def mark_verifying(ctx: Ctx, access: Access, rows: list[dict[str, object]], subjects: list[object]) -> None:
    """QUAL-2 / WZ17: rows whose subject has a pending correction request carry `under_verification: true`.

    Skipped when the entry has none (known from the opening statement); otherwise one indexed query."""
    if not access.verifying or not rows:
        return
    wanted = sorted({str(s) for s in subjects if s})
    if not wanted:
        return
    flagged = corrections.under_verification(ctx, access.grant.resource_id, wanted)
    for row, subject in zip(rows, subjects, strict=True):
        if subject in flagged:
            row["under_verification"] = True


def identify(ctx: Ctx, runtime: Runtime, credential: str, resource_id: int) -> Caller:
    """The calling application, checked, rate-limited, with its department's live grants on the entry."""
    client_id, secret = split_credential(credential)
    params = {"client_id": client_id, "resource_id": resource_id, "today": ctx.clock.today()}
    rows = ctx.session.connection().execute(_OPENING, params).all()
    if not rows or not hmac.compare_digest(rows[0].secret_hash, digest(secret)):
        raise Unauthenticated("应用凭证无效")
    first = rows[0]
    if not first.active:
        raise Unauthenticated("应用凭证已停用")
    app = AppView(first.id, first.org_id, first.name, first.client_id, first.rate_per_minute)
    actor = Actor(
        user_id=None,
        username=f"app:{app.client_id}",
        display_name=f"应用系统“{app.name}”（{app.client_id}）",
        role=Role.DEPT_USER,
        org_id=app.org_id,
        org_name=first.org_name,
        org_kind=first.org_kind,
        region_id=first.region_id,
    )
    runtime.limiter.take(app.id, app.rate_per_minute)
    return Caller(app=app, actor=actor, rows=[r for r in rows if r.grant_id is not None])


def authorise(ctx: Ctx, runtime: Runtime, caller: Caller, purpose: str, operation: str) -> Access:
    """The live grant whose purpose the call states; anything else is refused with the reason."""
    purpose = purpose.strip()
    if not purpose:
        raise InvalidInput("每次调用都须说明用途（purpose），且与共享授权的用途一致")
    if not caller.rows:
        raise Forbidden("本单位没有该目录条目的有效共享授权（可能未申请、已过期或已撤销）")
    matching = [r for r in caller.rows if r.purpose == purpose]
    if not matching:
        raise Forbidden(
            f"用途“{purpose}”与本单位在该目录上的有效授权用途不一致：共享数据只能用于申请时说明的用途"
        )
    usable = [r for r in matching if operation == Operation.MATCH or r.channel != Channel.MATCH.value]
    if not usable:
        raise Forbidden("该授权只允许核验（只答是否一致），不能取得数据")
    row = min(usable, key=lambda r: r.grant_id)
    if row.pool_id is None:
        raise NotFound("该目录条目尚未归集数据")
    grant = GrantView(
        row.grant_id, row.resource_id, row.provider_org_id, tuple(i for i in row.items.split(",") if i),
        row.row_filter, row.masking, row.purpose, row.channel,
    )  # fmt: skip
    shape = runtime.shape(ctx, row.pool_id, row.version_id)
    live = {name: data_type for name, data_type, _length, retired in shape if not retired}
    items = [i for i in grant.items if i in live]
    rules = masking.rules_from_json(grant.masking, items)
    rules[ROW_ID] = masking.MaskRule.NONE
    if row.subject_field in rules:  # the subject column holds that item's value: masked alike
        rules[SUBJECT] = rules[row.subject_field]
    today = ctx.clock.today()
    key = masking_key(runtime.deployment_secret(ctx), caller.app.org_id)
    keys = tuple(k for k in (row.key_fields or "").split(",") if k)
    return Access(
        caller=caller,
        grant=grant,
        table=table_for(row.table_name, keys, shape),
        items=items,
        types={name: live[name] for name in items},
        live_types=live,
        subject_field=row.subject_field,
        conditions=parse_filter(grant.row_filter, set(live)),
        masker=masking.Masker(rules, key=key, today=today),
        operation=operation,
        purpose=purpose,
        statements=runtime.statements,
        verifying=bool(row.verifying),
    )


def masking_key(secret: str, consumer_org_id: int) -> bytes:
    """Pseudonyms are keyed per consumer: one department can join its own data, two cannot link theirs."""
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
    return where_of(access.table, access.conditions, access.live_types)


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


def lookup(
    ctx: Ctx, log: CallLog, access: Access, subjects: list[str]
) -> tuple[list[dict[str, object]], list[str]]:
    wanted = list(dict.fromkeys(s.strip().upper() for s in subjects if s.strip()))
    if not wanted:
        raise InvalidInput("请给出至少一个主体标识")
    if len(wanted) > 1000:
        raise InvalidInput("一次最多查询 1000 个主体标识")
    key = ("lookup", access.table, tuple(access.items), access.grant.row_filter)
    stmt = access.statements.get(key)
    if stmt is None:  # the same grant asks the same question every time: build it once per process
        subjects_in = access.table.c[SUBJECT].in_(bindparam("subjects", expanding=True))
        stmt = select(*_columns(access)).where(subjects_in, *_scope(access)).order_by(access.table.c[ROW_ID])
        access.statements[key] = stmt
    raw = ctx.session.connection().execute(stmt, {"subjects": wanted}).all()
    rows = _rows(access, raw, echo_subject=True)
    mark_verifying(ctx, access, rows, [r[1] for r in raw])
    found = {r[1] for r in raw}
    log.write(ctx, call_record(ctx, access, len(rows), subjects=sorted(found)))
    return rows, [s for s in wanted if s not in found]


def query(
    ctx: Ctx, log: CallLog, access: Access, filters: list[Condition], limit: int, after: int
) -> tuple[list[dict[str, object]], int | None]:
    types = access.live_types
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
    mark_verifying(ctx, access, rows, [r[1] for r in raw])
    log.write(ctx, call_record(ctx, access, len(rows), subjects=[r[1] for r in raw if r[1]]))
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
    ctx: Ctx, log: CallLog, access: Access, cursor: str | None, limit: int
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
    log.write(ctx, call_record(ctx, access, len(rows), subjects=[r[2] for r in raw if r[2]]))
    return rows, next_cursor, more


def match(
    ctx: Ctx, log: CallLog, access: Access, subject: str, claims: dict[str, str | None]
) -> tuple[bool, dict[str, bool | None]]:
    """Answer match / no match per item, never a value (SHARE-4, OPEN-8)."""
    outside = [f for f in claims if f not in access.items]
    if outside:
        raise Forbidden(f"只能核验已授权的信息项；{'、'.join(outside)} 未授权")
    t = access.table
    stmt = select(*[t.c[f] for f in claims]).where(t.c[SUBJECT] == subject.strip().upper(), *_scope(access))
    found = ctx.session.execute(stmt.limit(2)).all()
    if not found:
        log.write(ctx, call_record(ctx, access, 0, subjects=[]))
        return False, {f: None for f in claims}
    results = {
        f: any(_same(row[i], claimed) for row in found) for i, (f, claimed) in enumerate(claims.items())
    }
    log.write(ctx, call_record(ctx, access, len(found), subjects=[subject.strip().upper()]))
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


def call_record(ctx: Ctx, access: Access, records: int, *, subjects: list[str]) -> CallRecord:
    return CallRecord(
        at=ctx.clock.now(),
        actor=access.caller.actor,
        app_id=access.caller.app.id,
        consumer_org_id=access.caller.app.org_id,
        resource_id=access.grant.resource_id,
        provider_org_id=access.grant.provider_org_id,
        grant_id=access.grant.id,
        operation=access.operation,
        purpose=access.purpose,
        items=access.items,
        records=records,
        outcome="success",
        subjects=subjects if len(subjects) <= DELIVERY_LIMIT else [],
    )


def refusal_record(
    ctx: Ctx, caller: Caller | None, resource_id: int, operation: str, purpose: str | None, reason: str
) -> CallRecord:
    return CallRecord(
        at=ctx.clock.now(),
        actor=caller.actor if caller else None,
        app_id=caller.app.id if caller else None,
        consumer_org_id=caller.app.org_id if caller else None,
        resource_id=resource_id,
        provider_org_id=None,
        grant_id=None,
        operation=operation,
        purpose=purpose,
        items=[],
        records=0,
        outcome="refused",
        reason=reason,
    )
