"""Correction propagation: when a load corrects records that consumers received through the exchange, each of
them is told what changed — in the items its grant covers, masked as its grant masks them.

The pool loader opens a `Watch` around an upsert's UPDATE; it reads the old values of the changed records whose
subjects were delivered (a join on the delivery log), then the new ones, and writes the notices in the load's
own transaction, so a failed load notifies nobody.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, text

from govdata.pool.models import Pool
from govdata.sharing import masking
from govdata.sharing.models import CorrectionNotice, Delivery, ExchangeCall, ShareGrant

WATCH_LIMIT = (
    10_000  # delivered records compared per load; beyond it consumers get the entry-level notice only
)


@dataclass
class Watch:
    pool: Pool
    resource_id: int
    fields: list[str]
    before: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # row id → (subject, *values)

    @classmethod
    def start(cls, conn: Connection, pool: Pool) -> Watch | None:
        """Only entries something was delivered from are watched; the rest pay one indexed probe."""
        if pool.resource_id is None:
            return None
        served = conn.execute(
            select(ExchangeCall.id)
            .where(ExchangeCall.resource_id == pool.resource_id, ExchangeCall.outcome == "success")
            .limit(1)
        ).first()
        if served is None:
            return None
        fields = [c.field_name for c in pool.columns if not c.retired]
        return cls(pool=pool, resource_id=pool.resource_id, fields=fields)

    def _select(self, conn: Connection) -> str:
        q = conn.dialect.identifier_preparer.quote
        return ", ".join(["p._row_id", "p._subject_id", *(f"p.{q(f)}" for f in self.fields)])

    def capture_before(self, conn: Connection, changed_from: str) -> None:
        """`changed_from`: the loader's `FROM … JOIN <pool> p … WHERE <row changed>` clause."""
        delivered = (
            "p._subject_id IN (SELECT d.subject_id FROM share_delivery d WHERE d.resource_id = :watch_rid)"
        )
        rows = conn.execute(
            text(f"SELECT {self._select(conn)} {changed_from} AND {delivered} LIMIT {WATCH_LIMIT}"),
            {"watch_rid": self.resource_id},
        ).all()
        self.before = {int(r[0]): tuple(r[1:]) for r in rows}

    def notify_after(
        self, conn: Connection, batch_id: int, updated: int, now: dt.datetime, today: dt.date
    ) -> int:
        """Write the notices; returns how many."""
        notices: list[dict[str, object]] = []
        grants = _GrantCache(conn)
        if self.before:
            table = self.pool.table_name
            ids = list(self.before)
            after: dict[int, tuple[Any, ...]] = {}
            for start in range(0, len(ids), 1000):
                chunk = ",".join(str(i) for i in ids[start : start + 1000])
                for r in conn.execute(
                    text(f"SELECT {self._select(conn)} FROM {table} p WHERE p._row_id IN ({chunk})")
                ):
                    after[int(r[0])] = tuple(r[1:])
            changed: dict[str, dict[str, tuple[Any, Any]]] = {}
            for row_id, old in self.before.items():
                new = after.get(row_id)
                if new is None:
                    continue
                diff = {f: (o, n) for f, o, n in zip(self.fields, old[1:], new[1:], strict=True) if o != n}
                if diff:
                    changed.setdefault(str(old[0]), {}).update(diff)
            for consumer, grant_id, subject in _recipients(conn, self.resource_id, list(changed)):
                grant = grants.get(grant_id)
                if grant is None:
                    continue
                shown = grant.show(changed[subject], today)
                if shown:
                    notices.append(_notice(consumer, self.resource_id, batch_id, subject, shown, now))
        for consumer in _exporters(conn, self.resource_id):
            summary = f"您单位曾批量导出的数据有 {updated} 条记录在批次 {batch_id} 中被更正，请通过增量同步接口重新同步"
            notices.append(
                {"consumer_org_id": consumer, "resource_id": self.resource_id, "batch_id": batch_id,
                 "subject_id": None, "changes": "{}", "summary": summary, "created_at": now}
            )  # fmt: skip
        if notices:
            conn.execute(insert(CorrectionNotice), notices)
        return len(notices)


def _notice(
    consumer: int,
    resource_id: int,
    batch_id: int,
    subject: str,
    shown: dict[str, list[object]],
    now: dt.datetime,
) -> dict[str, object]:
    items = "、".join(shown)
    return {
        "consumer_org_id": consumer,
        "resource_id": resource_id,
        "batch_id": batch_id,
        "subject_id": subject,
        "changes": json.dumps(shown, ensure_ascii=False, default=str),
        "summary": f"您单位通过共享交换获取的记录已被更正：{items}",
        "created_at": now,
    }


def _recipients(conn: Connection, resource_id: int, subjects: list[str]) -> list[tuple[int, int, str]]:
    """(consumer, the newest grant it received the subject under, subject) for each delivered subject."""
    found: dict[tuple[int, str], int] = {}
    for start in range(0, len(subjects), 1000):
        rows = conn.execute(
            select(Delivery.consumer_org_id, Delivery.grant_id, Delivery.subject_id).where(
                Delivery.resource_id == resource_id, Delivery.subject_id.in_(subjects[start : start + 1000])
            )
        ).all()
        for consumer, grant_id, subject in rows:
            if consumer is None or grant_id is None:
                continue
            key = (int(consumer), str(subject))
            found[key] = max(found.get(key, 0), int(grant_id))
    return [(consumer, grant_id, subject) for (consumer, subject), grant_id in sorted(found.items())]


def _exporters(conn: Connection, resource_id: int) -> list[int]:
    rows = conn.execute(
        select(ExchangeCall.consumer_org_id)
        .where(
            ExchangeCall.resource_id == resource_id,
            ExchangeCall.operation == "export",
            ExchangeCall.outcome == "success",
        )
        .distinct()
    ).scalars()
    return sorted(int(r) for r in rows if r is not None)


@dataclass
class _Grant:
    items: set[str]
    rules: dict[str, masking.MaskRule]
    key: bytes  # the consumer's pseudonym key, as the exchange used it

    def show(self, diff: dict[str, tuple[Any, Any]], today: dt.date) -> dict[str, list[object]]:
        """The changed granted items, old and new, masked as the consumer received them."""
        masker = masking.Masker(self.rules, key=self.key, today=today)
        shown: dict[str, list[object]] = {}
        for item, (old, new) in diff.items():
            if item in self.items and item in self.rules:
                masked = masker.column(item, [old, new])
                if masked[0] != masked[1]:
                    shown[item] = [_plain(masked[0]), _plain(masked[1])]
        return shown


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


class _GrantCache:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.found: dict[int, _Grant | None] = {}
        self.secret: str | None = None

    def get(self, grant_id: int) -> _Grant | None:
        if grant_id not in self.found:
            row = self.conn.execute(
                select(ShareGrant.items, ShareGrant.masking, ShareGrant.consumer_org_id).where(
                    ShareGrant.id == grant_id
                )
            ).first()
            if row is None:
                self.found[grant_id] = None
            else:
                from govdata.sharing.exchange import masking_key

                if self.secret is None:
                    self.secret = (
                        self.conn.execute(
                            text("SELECT value FROM deployment_setting WHERE key = 'secret_key'")
                        ).scalar()
                        or ""
                    )
                items = {i for i in row.items.split(",") if i}
                rules = masking.rules_from_json(row.masking, items)
                key = masking_key(self.secret, int(row.consumer_org_id))
                self.found[grant_id] = _Grant(items=items, rules=rules, key=key)
        return self.found[grant_id]
