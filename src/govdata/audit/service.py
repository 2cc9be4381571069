"""Writing, verifying and purging the SM3 hash chain of audit events."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from cryptography.hazmat.primitives import hashes
from sqlalchemy import BigInteger, Select, bindparam, delete, func, insert, select, update

from govdata.audit.models import AuditEvent, AuditHead
from govdata.authz import Actor, Permission, require
from govdata.context import Ctx
from govdata.errors import InvalidInput

GENESIS = "0" * 64


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def canonical(event: Any) -> bytes:
    """The bytes that are hashed: every field but the hashes, in a fixed JSON form."""
    body = {
        "seq": event.seq,
        "at": event.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "org_id": event.org_id,
        "org_name": event.org_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "purpose": event.purpose,
        "outcome": event.outcome,
        "detail": event.detail,
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def chain_hash(prev_hash: str, event: Any) -> str:
    return sm3_hex(prev_hash.encode() + canonical(event))


_HEAD = AuditHead.__table__
_EVENTS = AuditEvent.__table__
# Built once: the chain is appended to on every write and every exchange call, so its statements stay compiled.
_TAKE = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq + bindparam("count", type_=BigInteger))
    .returning(_HEAD.c.seq, _HEAD.c.last_hash)
)
_SET_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(last_hash=bindparam("last"))
_INSERT_EVENTS = insert(_EVENTS)


def _take_seqs(ctx: Ctx, count: int) -> tuple[int, str]:
    """The first of `count` new sequence numbers and the previous hash, in one statement that also takes the
    chain's write lock (row lock on PostgreSQL, database lock on SQLite) until the caller's transaction ends."""
    conn = ctx.session.connection()
    taken = conn.execute(_TAKE, {"count": count}).first()
    if taken is None:
        conn.execute(
            insert(_HEAD).values(id=1, seq=count, last_hash=GENESIS, first_seq=1, first_prev_hash=GENESIS)
        )
        return 1, GENESIS
    return int(taken[0]) - count + 1, str(taken[1])


@dataclass(frozen=True)
class EventSpec:
    """One event to append: who did what to which object, for what purpose, with what outcome."""

    actor: Actor
    action: str
    object_type: str
    object_id: object = None
    outcome: str = "success"
    purpose: str | None = None
    detail: dict[str, Any] | None = None


def append(ctx: Ctx, specs: list[EventSpec]) -> list[SimpleNamespace]:
    """Append events in the caller's transaction, so they commit with the change they record.

    A batch takes the chain's lock once: the exchange logs many calls in one transaction this way.
    """
    if not specs:
        return []
    seq, prev_hash = _take_seqs(ctx, len(specs))
    at = ctx.clock.now().astimezone(dt.UTC)
    events = []
    for offset, spec in enumerate(specs):
        actor = spec.actor
        event = SimpleNamespace(
            seq=seq + offset,
            at=at,
            actor_id=actor.user_id,
            actor_name=actor.display_name if actor.user_id is None else actor.username,
            org_id=actor.org_id,
            org_name=actor.org_name,
            action=spec.action,
            object_type=spec.object_type,
            object_id=None if spec.object_id is None else str(spec.object_id),
            purpose=spec.purpose,
            outcome=spec.outcome,
            detail=json.dumps(
                spec.detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
            ),
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = chain_hash(prev_hash, event)
        events.append(event)
    conn = ctx.session.connection()
    conn.execute(_INSERT_EVENTS, [vars(e) for e in events])
    conn.execute(_SET_HASH, {"last": prev_hash})
    return events


def record(
    ctx: Ctx,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object = None,
    *,
    outcome: str = "success",
    purpose: str | None = None,
    detail: dict[str, Any] | None = None,
) -> SimpleNamespace:
    """Append one event in the caller's transaction, so the event and the change commit together."""
    return append(ctx, [EventSpec(actor, action, object_type, object_id, outcome, purpose, detail)])[0]


def record_late_once(
    ctx: Ctx,
    actor: Actor,
    stmt: Select[Any],
    due: Any,
    flag: Any,
    action: str,
    detail: Callable[[Any], dict[str, Any]],
) -> list[Any]:
    """The rows `stmt` selects whose `due` date has passed and that were never flagged: each is flagged now and
    recorded as a possible violation (SUP-4), so a late answer is on record once however often a sweep runs.
    `due` and `flag` are the model's columns; the event names the row by its table and id."""
    late = list(ctx.session.scalars(stmt.where(due < ctx.clock.today(), flag.is_(None))))
    now = ctx.clock.now()
    for row in late:
        record(
            ctx, actor, action, row.__tablename__, row.id, outcome="possible_violation", detail=detail(row)
        )
        setattr(row, flag.key, now)
    return late


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None

    def message(self) -> str:
        if self.ok:
            return f"审计日志哈希链完整：共校验 {self.checked} 条事件"
        return f"审计日志哈希链在第 {self.first_broken_seq} 条事件处断裂：{self.reason}"


def verify(ctx: Ctx, actor: Actor, *, batch: int = 5000) -> VerifyResult:
    """Recompute the chain from the first retained event; name the first event that does not fit."""
    require(actor, Permission.AUDIT_VERIFY)
    head = ctx.session.get(AuditHead, 1, populate_existing=True)
    if head is None:
        return VerifyResult(ok=True, checked=0)
    prev = head.first_prev_hash
    expected_seq = head.first_seq
    checked = 0
    while True:
        table = AuditEvent.__table__
        rows = ctx.session.execute(
            select(table).where(table.c.seq >= expected_seq).order_by(table.c.seq).limit(batch)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.seq != expected_seq:
                return VerifyResult(
                    False, checked, expected_seq, f"缺少第 {expected_seq} 条事件（可能被删除）"
                )
            if event.prev_hash != prev:
                return VerifyResult(False, checked, event.seq, "前一事件哈希不符")
            if chain_hash(prev, event) != event.hash:
                return VerifyResult(False, checked, event.seq, "事件内容与哈希不符（可能被篡改）")
            prev = event.hash
            expected_seq += 1
            checked += 1
    if expected_seq - 1 != head.seq or prev != head.last_hash:
        return VerifyResult(False, checked, expected_seq, "链尾与记录的最新事件不符（末尾事件可能被删除）")
    return VerifyResult(ok=True, checked=checked)


def retention_cutoff(ctx: Ctx) -> dt.datetime:
    months = ctx.profile.audit_retention_months
    now = ctx.clock.now()
    year, month = divmod(now.month - 1 - months, 12)
    day = min(now.day, 28)
    return now.replace(year=now.year + year, month=month + 1, day=day)


def purge_before(ctx: Ctx, actor: Actor, before: dt.datetime) -> int:
    """Delete the oldest events up to `before`; refused for anything inside the retention period."""
    require(actor, Permission.AUDIT_PURGE)
    cutoff = retention_cutoff(ctx)
    if before > cutoff:
        raise InvalidInput(
            f"审计日志须至少保存 {ctx.profile.audit_retention_months} 个月："
            f"只能删除 {cutoff.date().isoformat()} 之前的事件"
        )
    last = ctx.session.execute(
        select(func.max(AuditEvent.seq)).where(AuditEvent.at < before.astimezone(dt.UTC))
    ).scalar()
    if last is None:
        return 0
    boundary_hash = ctx.session.execute(select(AuditEvent.hash).where(AuditEvent.seq == last)).scalar_one()
    count = ctx.session.execute(delete(AuditEvent).where(AuditEvent.seq <= last)).rowcount  # type: ignore[attr-defined]
    ctx.session.execute(
        update(AuditHead).where(AuditHead.id == 1).values(first_seq=last + 1, first_prev_hash=boundary_hash)
    )
    record(ctx, actor, "audit.purge", "audit_event", last, detail={"deleted": count, "before": before})
    return int(count)
