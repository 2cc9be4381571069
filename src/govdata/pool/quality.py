"""Data quality of the pools (POOL-5): completeness per item, validity, key uniqueness and timeliness.

Everything here is read-only and measured on the data as it is held: completeness is one aggregate query over
the physical pool table (``count(*)``, ``count(item)`` for every item, ``count(DISTINCT _subject_id)``), key
uniqueness one ``GROUP BY … HAVING count(*) > 1`` query, so a million-row pool costs two scans, not one per item.
Validity comes from the load batches (rows read vs. rows rejected), timeliness from the update cycle of the
catalog version the pool follows and the pool's last successful load.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, func, select

from govdata.authz import Actor
from govdata.catalog.models import ResourceVersion, UpdateCycle
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.deadlines import is_overdue
from govdata.pool import queries
from govdata.pool.models import Batch, BatchStatus, Pool, RejectRow
from govdata.pool.tables import SUBJECT, pool_table

TOP_REASONS = 10


@dataclass(frozen=True)
class ItemQuality:
    """Completeness of one data item: how many rows hold a value for it."""

    field_name: str
    label: str
    filled: int
    total: int

    @property
    def completeness(self) -> float | None:
        return self.filled / self.total if self.total else None


@dataclass(frozen=True)
class PoolQuality:
    pool_id: int
    resource_id: int
    rows: int
    items: list[ItemQuality]  # one per non-retired column, in column order
    key_duplicates: int  # rows sharing their key (or, without a key, their subject id) with another row
    subjects: int  # distinct non-null subject ids
    last_batch_validity: float | None  # (read - rejected) / read of the last succeeded batch
    last_loaded_at: dt.datetime | None
    refresh_due: dt.date | None  # by the update cycle; None for irregular entries
    overdue: bool
    update_cycle: UpdateCycle | None = None  # the cycle the due date was computed from


@dataclass(frozen=True)
class BatchQuality:
    batch_id: int
    read: int
    accepted: int
    rejected: int
    warnings: int
    reasons: list[tuple[str, int]] = field(default_factory=list)  # "信息项：原因" → rows, most frequent first
    kept: int = 0  # reject rows kept in the report (the loader keeps the first 100,000; all are counted)

    @property
    def validity(self) -> float | None:
        return self.accepted / self.read if self.read else None

    @property
    def partial(self) -> bool:
        """The reasons are counted from the kept report rows only: say "at least" (至少) with each count."""
        return self.kept < self.rejected


# ---------------------------------------------------------------------------------------------- timeliness


def _add_months(day: dt.date, months: int) -> dt.date:
    """Calendar month arithmetic; a day the target month lacks becomes its last day (Jan 31 → Feb 28/29)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


_CYCLE_DAYS = {UpdateCycle.REALTIME: 1, UpdateCycle.DAILY: 1, UpdateCycle.WEEKLY: 7}
_CYCLE_MONTHS = {
    UpdateCycle.MONTHLY: 1,
    UpdateCycle.QUARTERLY: 3,
    UpdateCycle.HALF_YEARLY: 6,
    UpdateCycle.YEARLY: 12,
}


def refresh_due(cycle: UpdateCycle, last: dt.date | None, since: dt.date) -> dt.date | None:
    """The date by which the next load is due: one update cycle after the last load (China local date).

    Without any successful load the cycle runs from ``since`` (the pool's creation). realtime and daily → the
    next calendar day, weekly → +7 days, monthly / quarterly / half-yearly / yearly → +1 / 3 / 6 / 12 calendar
    months, the day clamped to the end of a shorter month; irregular → None (no due date, never overdue).

    Calendar periods, not working days: an update cycle in the catalog is a calendar period ("monthly" data
    is a month's data whatever the holidays), whereas the profile's time limits for handling requests are
    working days and go through the work calendar. A "realtime" entry has no finer unit than the day here:
    a pool not refreshed for a whole day is overdue. The pool is overdue once today is after the due date
    (``deadlines.is_overdue``), so a load on the due date itself is on time.
    """
    start = last if last is not None else since
    if cycle in _CYCLE_DAYS:
        return start + dt.timedelta(days=_CYCLE_DAYS[cycle])
    if cycle in _CYCLE_MONTHS:
        return _add_months(start, _CYCLE_MONTHS[cycle])
    return None


def _local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(CHINA_TZ).date()


def _due_of(pool: Pool, cycle: UpdateCycle) -> dt.date | None:
    last = _local_date(pool.last_loaded_at) if pool.last_loaded_at is not None else None
    return refresh_due(cycle, last, _local_date(pool.created_at))


def _cycle_of(ctx: Ctx, pool: Pool) -> UpdateCycle:
    return ctx.session.execute(
        select(ResourceVersion.update_cycle).where(ResourceVersion.id == pool.version_id)
    ).scalar_one()


# ------------------------------------------------------------------------------------------- per pool


def _key_duplicates(ctx: Ctx, pool: Pool) -> int:
    """Rows whose key (all key columns non-null) another row shares; the subject id stands in for no key."""
    table = pool_table(pool)
    names = [k for k in pool.keys if k in table.c] or [SUBJECT]
    keys = [table.c[k] for k in names]
    groups = (
        select(func.count().label("n"))
        .where(and_(*(k.is_not(None) for k in keys)))
        .group_by(*keys)
        .having(func.count() > 1)
        .subquery()
    )
    return int(ctx.session.execute(select(func.coalesce(func.sum(groups.c.n), 0))).scalar_one())


def _last_succeeded(ctx: Ctx, pool_id: int) -> Batch | None:
    return ctx.session.execute(
        select(Batch)
        .where(Batch.pool_id == pool_id, Batch.status == BatchStatus.SUCCEEDED)
        .order_by(Batch.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def pool_quality(ctx: Ctx, actor: Actor, resource_id: int) -> PoolQuality:
    """The quality figures of an entry's pool, for its department and the authorities above it."""
    pool = queries.get_pool(ctx, actor, resource_id)
    table = pool_table(pool)
    columns = [c for c in pool.columns if not c.retired]
    counts = ctx.session.execute(
        select(
            func.count(),
            func.count(table.c[SUBJECT].distinct()),
            *(func.count(table.c[c.field_name]) for c in columns),
        ).select_from(table)
    ).one()
    rows, subjects, filled = int(counts[0]), int(counts[1]), [int(n) for n in counts[2:]]
    last = _last_succeeded(ctx, pool.id)
    validity = (last.rows_read - last.rows_rejected) / last.rows_read if last and last.rows_read else None
    cycle = _cycle_of(ctx, pool)
    due = _due_of(pool, cycle)
    return PoolQuality(
        pool_id=pool.id,
        resource_id=pool.resource_id,
        rows=rows,
        items=[
            ItemQuality(field_name=c.field_name, label=c.label, filled=n, total=rows)
            for c, n in zip(columns, filled, strict=True)
        ],
        key_duplicates=_key_duplicates(ctx, pool),
        subjects=subjects,
        last_batch_validity=validity,
        last_loaded_at=pool.last_loaded_at,
        refresh_due=due,
        overdue=is_overdue(due, ctx.clock.today()),
        update_cycle=cycle,
    )


def overdue_pools(ctx: Ctx, actor: Actor) -> list[tuple[Pool, dt.date]]:
    """Pools in the actor's scope not refreshed within their update cycle, most overdue first, with due date."""
    pools = queries.list_pools(ctx, actor)  # requires POOL_READ; own department / jurisdiction
    if not pools:
        return []
    cycles: dict[int, UpdateCycle] = dict(
        ctx.session.execute(
            select(ResourceVersion.id, ResourceVersion.update_cycle)
            .join(Pool, Pool.version_id == ResourceVersion.id)
            .distinct()
        ).all()
    )
    today = ctx.clock.today()
    late: list[tuple[Pool, dt.date]] = []
    for pool in pools:
        due = _due_of(pool, cycles[pool.version_id])
        if due is not None and is_overdue(due, today):
            late.append((pool, due))
    late.sort(key=lambda pair: (pair[1], pair[0].id))
    return late


# ------------------------------------------------------------------------------------------ per batch

# Parts of a reject reason that vary from row to row (the expected check character, an actual length, the
# row a duplicate repeats, a quoted date): dropped or generalised so that the same problem counts as one.
_VARYING: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"（(?:应为|实际)[^（）]*）"), ""),
    (re.compile(r"第 \d+ 行"), "第 … 行"),
    (re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"), "…"),
]


def _reason_key(reason: str) -> str:
    for pattern, replacement in _VARYING:
        reason = pattern.sub(replacement, reason)
    return reason.strip()


def _reasons(ctx: Ctx, batch_id: int, top: int) -> tuple[list[tuple[str, int]], int]:
    """The most frequent reject reasons (item + reason) of a batch's kept report rows, and how many were kept."""
    grouped: Counter[str] = Counter()
    kept = 0
    for item, reason, n in ctx.session.execute(
        select(RejectRow.field, RejectRow.reason, func.count())
        .where(RejectRow.batch_id == batch_id, RejectRow.warning.is_(False))
        .group_by(RejectRow.field, RejectRow.reason)
    ):
        text = _reason_key(reason)
        grouped[f"{item}：{text}" if item else text] += int(n)
        kept += int(n)
    ranked = sorted(grouped.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:top], kept


def batch_quality(ctx: Ctx, actor: Actor, batch_id: int, *, top: int = TOP_REASONS) -> BatchQuality:
    """Validity of one load: rows accepted of rows read, and why the rest were rejected.

    ``accepted`` counts the rows that passed the checks (read − rejected), also for a batch that failed as a
    whole under the abort policy: it measures the data, while the batch status says whether it landed.
    """
    batch = queries.get_batch(ctx, actor, batch_id)  # POOL_READ and the pool's scope
    reasons, kept = _reasons(ctx, batch.id, top)
    return BatchQuality(
        batch_id=batch.id,
        read=batch.rows_read,
        accepted=batch.rows_read - batch.rows_rejected,
        rejected=batch.rows_rejected,
        warnings=batch.warnings,
        reasons=reasons,
        kept=kept,
    )


__all__ = [
    "BatchQuality",
    "ItemQuality",
    "PoolQuality",
    "batch_quality",
    "overdue_pools",
    "pool_quality",
    "refresh_due",
]
