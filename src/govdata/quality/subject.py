"""Subject access (QUAL-4, AB22): a person sees every record held on them and who accessed it, like Estonia's
Data Tracker — records from every pool whose subject column holds their identifier, their golden record in the
base databases with provenance, and the exchange's delivery log (consumer, entry, time, grant and purpose) plus
base-database reads from the audit chain. The copy they may download is the same data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, field

from sqlalchemy import and_, select

from govdata.audit.models import AuditEvent
from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import BaseDatabase, Resource, ResourceVersion
from govdata.context import Ctx
from govdata.labels import BASE_DATABASE as BASE_LABELS
from govdata.org.service import org_names
from govdata.pool import amend
from govdata.pool.models import BaseRecord, Pool
from govdata.pool.tables import BATCH, LOADED_AT, ROW_ID, SUBJECT, pool_table
from govdata.quality import corrections
from govdata.sharing.exchange import OPERATION_LABELS
from govdata.sharing.models import Delivery, ExchangeCall, ShareGrant

ROWS_PER_POOL = 100


@dataclass
class MyRecord:
    pool_id: int
    resource_id: int
    resource_code: str
    resource_name: str
    org_name: str
    row_id: int
    batch_id: int
    loaded_at: dt.datetime
    fields: list[tuple[str, str, str | None]]  # (field name, label, value as text)
    pending: corrections.CorrectionRequest | None = None

    @property
    def under_verification(self) -> bool:
        return self.pending is not None


@dataclass
class GoldenValue:
    base: str
    key: str
    value: str | None
    resource_id: int
    resource_name: str
    org_name: str
    batch_id: int
    loaded_at: dt.datetime


@dataclass
class AccessRecord:
    at: dt.datetime
    consumer: str
    resource_id: int
    resource_name: str
    channel: str  # 共享交换 / 基础数据库查询
    operation: str | None
    purpose: str | None
    grant_id: int | None


@dataclass
class MyData:
    subject_id: str
    records: list[MyRecord] = field(default_factory=list)
    golden: list[GoldenValue] = field(default_factory=list)


def _names(ctx: Ctx, resource_ids: set[int]) -> dict[int, tuple[str, str]]:
    """resource id → (code, name of the published or latest version)."""
    if not resource_ids:
        return {}
    rows = ctx.session.execute(
        select(Resource.id, Resource.code, ResourceVersion.name)
        .join(ResourceVersion, ResourceVersion.resource_id == Resource.id)
        .where(Resource.id.in_(resource_ids))
        .order_by(Resource.id, ResourceVersion.number)
    ).all()
    found: dict[int, tuple[str, str]] = {}
    for rid, code, name in rows:
        found[rid] = (code, name)  # ordered by version number: the latest wins
    return found


def my_data(ctx: Ctx, actor: Actor) -> MyData:
    require(actor, Permission.SUBJECT_ACCESS)
    subject = corrections.subject_of(ctx, actor)
    data = MyData(subject_id=subject)
    pools = ctx.session.scalars(
        select(Pool).where(Pool.subject_field.is_not(None), Pool.resource_id.is_not(None)).order_by(Pool.id)
    ).all()
    pending = corrections.pending_rows(ctx, subject)
    conn = ctx.session.connection()
    for pool in pools:
        table = pool_table(pool, include_retired=False)
        rows = conn.execute(
            select(table).where(table.c[SUBJECT] == subject).order_by(table.c[ROW_ID]).limit(ROWS_PER_POOL)
        ).mappings()
        labels = [(c.field_name, c.label) for c in pool.columns if not c.retired]
        for row in rows:
            assert pool.resource_id is not None
            data.records.append(
                MyRecord(pool.id, pool.resource_id, "", "", "", int(row[ROW_ID]), int(row[BATCH]), row[LOADED_AT],
                         [(f, label, amend.as_text(row[f])) for f, label in labels],
                         pending.get((pool.id, int(row[ROW_ID]))))
            )  # fmt: skip
    owners = {p.resource_id: p.org_id for p in pools}
    golden = ctx.session.execute(
        select(BaseRecord).where(BaseRecord.subject_id == subject).order_by(BaseRecord.base_kind, BaseRecord.field_key)
    ).scalars().all()  # fmt: skip
    names = _names(ctx, {r.resource_id for r in data.records} | {g.source_resource_id for g in golden})
    orgs = org_names(ctx.session, [*owners.values()])
    for r in data.records:
        r.resource_code, r.resource_name = names.get(r.resource_id, ("", ""))
        r.org_name = orgs.get(owners.get(r.resource_id, 0), "")
    for g in golden:
        data.golden.append(
            GoldenValue(BASE_LABELS.get(BaseDatabase(g.base_kind), g.base_kind), g.field_key, g.value,
                        g.source_resource_id, names.get(g.source_resource_id, ("", ""))[1],
                        orgs.get(owners.get(g.source_resource_id, 0), ""), g.source_batch_id, g.source_loaded_at)
        )  # fmt: skip
    record(ctx, actor, "subject.view", "subject", None, detail={"records": len(data.records)})
    return data


def my_accesses(ctx: Ctx, actor: Actor, limit: int = 500) -> list[AccessRecord]:
    """Who received the subject's data through the exchange, when and for what purpose; and base reads."""
    require(actor, Permission.SUBJECT_ACCESS)
    subject = corrections.subject_of(ctx, actor)
    resource_ids = list(ctx.session.scalars(select(Pool.resource_id).where(Pool.resource_id.is_not(None))))
    call = and_(
        ExchangeCall.resource_id == Delivery.resource_id,
        ExchangeCall.consumer_org_id == Delivery.consumer_org_id,
        ExchangeCall.grant_id == Delivery.grant_id,
        ExchangeCall.at == Delivery.at,
    )
    rows = ctx.session.execute(
        select(Delivery, ShareGrant.purpose, ExchangeCall.operation, ExchangeCall.purpose)
        .outerjoin(ShareGrant, ShareGrant.id == Delivery.grant_id)
        .outerjoin(ExchangeCall, call)
        .where(Delivery.resource_id.in_(resource_ids), Delivery.subject_id == subject)
        .order_by(Delivery.at.desc())
        .limit(limit)
    ).all()
    reads = ctx.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == "base.read",
            AuditEvent.object_type == "base_record",
            AuditEvent.object_id.in_([f"{k.value}/{subject}" for k in BaseDatabase]),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    ).all()
    names = _names(ctx, {d.resource_id for d, *_ in rows})
    orgs = org_names(ctx.session, [d.consumer_org_id for d, *_ in rows])
    found: dict[tuple[object, ...], AccessRecord] = {}
    for d, grant_purpose, operation, call_purpose in rows:
        key = (d.at, d.consumer_org_id, d.resource_id, d.grant_id)
        found.setdefault(key, AccessRecord(
            d.at, orgs.get(d.consumer_org_id, f"单位 {d.consumer_org_id}"), d.resource_id,
            names.get(d.resource_id, ("", ""))[1], "共享交换",
            OPERATION_LABELS.get(operation or "", operation), call_purpose or grant_purpose, d.grant_id,
        ))  # fmt: skip
    result = list(found.values())
    for e in reads:
        kind = BaseDatabase(e.object_id.split("/", 1)[0]) if e.object_id else None
        result.append(
            AccessRecord(e.at, e.org_name or e.actor_name, 0, BASE_LABELS.get(kind, "") if kind else "",
                         "基础数据库查询", "查询", e.purpose, None)
        )  # fmt: skip
    result.sort(key=lambda a: a.at, reverse=True)
    return result[:limit]


def export_json(
    data: MyData, accesses: list[AccessRecord], requests: list[corrections.CorrectionRequest]
) -> bytes:
    payload = {
        "subject_id": data.subject_id,
        "records": [
            {"resource_id": r.resource_id, "resource_code": r.resource_code, "resource_name": r.resource_name,
             "org": r.org_name, "row_id": r.row_id, "batch_id": r.batch_id, "loaded_at": r.loaded_at,
             "under_verification": r.under_verification, "fields": {f: v for f, _label, v in r.fields}}
            for r in data.records
        ],
        "base_databases": [asdict(g) for g in data.golden],
        "accesses": [asdict(a) for a in accesses],
        "correction_requests": [
            {"id": q.id, "state": q.state.value, "field": q.field_name, "proposed": q.proposed_value,
             "result": q.result_value, "due_date": q.due_date, "answered_at": q.answered_at}
            for q in requests
        ],
    }  # fmt: skip
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str).encode()


def export_csv(data: MyData) -> bytes:
    """One line per value: 目录条目, 部门, 记录编号, 信息项, 值, 归集批次, 归集时间, 核实中."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["目录条目代码", "目录条目", "部门", "记录编号", "信息项", "字段名", "值", "归集批次", "归集时间",
                     "核实中"])  # fmt: skip
    for r in data.records:
        for f, label, value in r.fields:
            writer.writerow([r.resource_code, r.resource_name, r.org_name, r.row_id, label, f, value, r.batch_id,
                             r.loaded_at.isoformat(), "是" if r.under_verification else ""])  # fmt: skip
    for g in data.golden:
        writer.writerow(["", f"{g.base}（基础数据库）", g.org_name, "", g.key, "", g.value, g.batch_id,
                         g.loaded_at.isoformat(), ""])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode()
