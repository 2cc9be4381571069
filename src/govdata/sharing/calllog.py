"""Writing the exchange's call log (SHARE-8): one call-log row, the delivered subjects and one SM3 audit event
per call, served or refused.

Two sinks, one writer. `InlineLog` writes in the caller's transaction (use cases, tests, the CLI). `GroupLog`,
used by the API, hands each record to a writer thread that commits many calls in one transaction and takes the
audit chain's lock once per batch; the calling request waits until its record is committed, so no data leaves
unlogged, and a failed log write fails the call.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from govdata.audit.service import EventSpec, append
from govdata.authz import Actor
from govdata.catalog.models import Resource
from govdata.clock import Clock
from govdata.context import Ctx
from govdata.errors import DomainError
from govdata.org.models import Role
from govdata.sharing.models import Delivery, ExchangeCall

ANONYMOUS = Actor(None, "anonymous", "未认证的调用方", Role.DEPT_USER)


class LogUnavailable(DomainError):
    code = "log_unavailable"
    http_status = 503


@dataclass
class CallRecord:
    at: dt.datetime
    actor: Actor | None  # None: the credential did not check out
    app_id: int | None
    consumer_org_id: int | None
    resource_id: int | None
    provider_org_id: int | None  # None: looked up from the entry when written
    grant_id: int | None
    operation: str
    purpose: str | None
    items: list[str]
    records: int
    outcome: str  # success / refused
    reason: str | None = None
    subjects: list[str] = field(default_factory=list)


_INSERT_CALLS = insert(ExchangeCall)
_INSERT_DELIVERIES = insert(Delivery)


class CallLog(Protocol):
    def write(self, ctx: Ctx, record: CallRecord) -> None: ...


def write_calls(ctx: Ctx, records: list[CallRecord]) -> None:
    """The events, rows and deliveries of many calls, in the session's transaction.

    The audit events come first, so each call row can name its event; the chain's lock is then held until the
    commit, which for the API's writer thread follows at once.
    """
    missing = {r.resource_id for r in records if r.provider_org_id is None and r.resource_id is not None}
    owners: dict[int, int] = {}
    if missing:
        found = ctx.session.execute(
            select(Resource.id, Resource.org_id).where(Resource.id.in_(missing))
        ).all()
        owners = {int(i): int(o) for i, o in found}
    events = append(
        ctx,
        [
            EventSpec(
                r.actor or ANONYMOUS,
                f"share.exchange.{r.operation}",
                "catalog_resource",
                r.resource_id,
                outcome=r.outcome,
                purpose=r.purpose,
                detail={"grant": r.grant_id, "items": r.items, "records": r.records, "reason": r.reason},
            )
            for r in records
        ],
    )
    calls, deliveries = [], []
    for r, event in zip(records, events, strict=True):
        provider = r.provider_org_id if r.provider_org_id is not None else owners.get(r.resource_id or 0)
        calls.append(
            {
                "at": r.at,
                "app_id": r.app_id,
                "consumer_org_id": r.consumer_org_id,
                "resource_id": r.resource_id
                if provider is not None
                else None,  # an unknown entry is not linked
                "provider_org_id": provider,
                "grant_id": r.grant_id,
                "operation": r.operation,
                "purpose": (r.purpose or "")[:200] or None,
                "items": ",".join(r.items),
                "records": r.records,
                "outcome": r.outcome,
                "reason": r.reason,
                "audit_seq": event.seq,
            }
        )
        if (
            r.subjects
            and r.grant_id is not None
            and r.consumer_org_id is not None
            and r.resource_id is not None
        ):
            deliveries += [
                {"resource_id": r.resource_id, "subject_id": subject, "consumer_org_id": r.consumer_org_id,
                 "grant_id": r.grant_id, "at": r.at}
                for subject in set(r.subjects)
            ]  # fmt: skip
    conn = ctx.session.connection()
    conn.execute(_INSERT_CALLS, calls)
    if deliveries:
        conn.execute(_INSERT_DELIVERIES, deliveries)


class InlineLog:
    """Writes in the caller's own transaction: the record commits (or not) with everything else it did."""

    def write(self, ctx: Ctx, record: CallRecord) -> None:
        write_calls(ctx, [record])


@dataclass
class _Pending:
    record: CallRecord
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupLog:
    """Group commit: one writer thread per process, up to `batch` calls per transaction."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        batch: int = 500,
        linger: float = 0.002,
        idle: float = 2.0,
    ) -> None:
        self._factory = session_factory
        self._linger = linger
        self._idle = idle
        self._clock = clock
        self._batch = batch
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def write(self, ctx: Ctx, record: CallRecord) -> None:
        # The call's own transaction only read: end it so its connection goes back to the pool while it waits.
        ctx.session.commit()
        pending = _Pending(record)
        self._queue.put(pending)
        self._ensure_thread()
        if not pending.done.wait(timeout=30):
            raise LogUnavailable("调用日志写入超时，本次调用未返回数据，请稍后重试")
        if pending.error is not None:
            raise LogUnavailable("调用日志写入失败，本次调用未返回数据，请稍后重试") from pending.error

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="govdata-call-log", daemon=True)
                self._thread.start()

    def _next(self) -> _Pending | None:
        """The next record; None once idle (the thread then ends, and the next write starts another)."""
        try:
            return self._queue.get(timeout=self._idle)
        except queue.Empty:
            with self._lock:  # a record put after the timeout is seen here, or starts a new thread
                if self._queue.empty():
                    self._thread = None
                    return None
            return self._queue.get()

    def close(self) -> None:
        """Wait until everything handed in is written (at shutdown)."""
        thread = self._thread
        while thread is not None and thread.is_alive() and not self._queue.empty():
            time.sleep(0.01)

    def _run(self) -> None:
        while True:
            first = self._next()
            if first is None:
                return
            batch = [first]
            time.sleep(self._linger)  # let the calls running right now join this batch: fewer, larger commits
            while len(batch) < self._batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            errors = self._commit([p.record for p in batch])
            if errors is not None and len(batch) > 1:  # one bad record must not fail the others
                for pending in batch:
                    pending.error = self._commit([pending.record])
                    pending.done.set()
                continue
            for pending in batch:
                pending.error = errors
                pending.done.set()

    def _commit(self, records: list[CallRecord]) -> BaseException | None:
        session = self._factory()
        try:
            write_calls(Ctx(session=session, clock=self._clock), records)
            session.commit()
            return None
        except Exception as exc:
            session.rollback()
            return exc
        finally:
            session.close()
