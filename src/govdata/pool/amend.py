"""One record changed or removed outside a load: a verified correction or deletion (QUAL-1, QUAL-4; AB20, AB22).

It goes the way a one-row upsert would — the value is checked by the same validation, the row gets the
canonical hash a load would give it, the change is its own batch in the pool's history, consumers who received
the subject are told (sharing.corrections), and the subject's golden fields are re-read from the pool — all in
the caller's transaction, so the answer to the request and the change commit together or not at all.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal

import pyarrow as pa
from sqlalchemy import and_, delete, func, insert, select, update

from govdata.audit.service import record
from govdata.authz import Actor
from govdata.catalog.models import DataType, IdentifierKind
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.db import row_hash
from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.pool import basedb, validate
from govdata.pool.models import Batch, BatchStatus, LoadMode, Pool, RejectPolicy
from govdata.pool.spec import ColumnSpec
from govdata.pool.tables import BATCH, LOADED_AT, ROW_HASH, ROW_ID, SUBJECT, plain_decimal, pool_table
from govdata.sharing import corrections
from govdata.sharing.models import CorrectionNotice


def _specs(pool: Pool) -> list[ColumnSpec]:
    return [
        ColumnSpec(c.field_name, c.label, DataType(c.data_type), c.length, c.required or c.field_name in pool.keys,
                   IdentifierKind(c.identifier_kind))
        for c in pool.columns
        if not c.retired
    ]  # fmt: skip


def as_text(value: object) -> str | None:
    """A stored value as the canonical text a file would carry."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return str(plain_decimal(value))


def _typed(data_type: DataType, text: str | None) -> object:
    if text is None:
        return None
    if data_type == DataType.INTEGER:
        return int(text)
    if data_type == DataType.DECIMAL:
        return decimal.Decimal(text)
    if data_type == DataType.DATE:
        return dt.date.fromisoformat(text)
    if data_type == DataType.DATETIME:
        return dt.datetime.fromisoformat(text)
    if data_type == DataType.BOOLEAN:
        return text == "true"
    if data_type == DataType.BINARY:
        return base64.b64decode(text)
    return text


def read_row(ctx: Ctx, pool: Pool, row_id: int) -> dict[str, object] | None:
    table = pool_table(pool)
    found = (
        ctx.session.connection().execute(select(table).where(table.c[ROW_ID] == row_id)).mappings().first()
    )
    return dict(found) if found is not None else None


def amend(
    ctx: Ctx, actor: Actor, pool: Pool, row_id: int, *, field: str | None, value: str | None, source: str
) -> int:
    """Set `field` of the row to `value` (field None: delete the row). Returns the batch id."""
    ctx.session.flush()
    conn = ctx.session.connection()
    table = pool_table(pool)
    row = read_row(ctx, pool, row_id)
    if row is None:
        raise NotFound("该记录已不在资源池中（可能已被更新或删除），请核对后处理")
    subject = str(row[SUBJECT]) if row[SUBJECT] else None
    now = ctx.clock.now()
    batch = Batch(
        pool_id=pool.id, actor_id=actor.user_id, actor_name=actor.display_name, source=source[:300],
        source_format="correction", encoding=None, mode=LoadMode.UPSERT, reject_policy=RejectPolicy.ABORT,
        status=BatchStatus.SUCCEEDED, rows_read=1, started_at=now, finished_at=now, duration_ms=0,
    )  # fmt: skip
    ctx.session.add(batch)
    ctx.session.flush()
    if field is None:
        recipients = (
            corrections._recipients(conn, pool.resource_id, [subject]) if subject and pool.resource_id else []
        )
        conn.execute(delete(table).where(table.c[ROW_ID] == row_id))
        if recipients:
            conn.execute(
                insert(CorrectionNotice),
                [
                    {"consumer_org_id": consumer, "resource_id": pool.resource_id, "batch_id": batch.id,
                     "subject_id": subj, "changes": "{}", "created_at": now,
                     "summary": "您单位通过共享交换获取的一条记录经数据主体校核申请核实后已被删除，请同步删除"}
                    for consumer, _grant, subj in recipients
                ],
            )  # fmt: skip
        batch.rows_deleted = 1
        count = conn.execute(select(func.count()).select_from(table)).scalar_one()
        ctx.session.execute(update(Pool).where(Pool.id == pool.id).values(row_count=count))
        detail: dict[str, object] = {"deleted_row": row_id, "notified": len(recipients)}
    else:
        specs = _specs(pool)
        spec = next((s for s in specs if s.field_name == field), None)
        if spec is None:
            raise InvalidInput("该信息项已不在资源池中，不能更正")
        if field == pool.subject_field:
            raise InvalidInput("主体标识本身不能通过校核更正修改：请由归集部门核实后重新归集该记录")
        texts = {s.field_name: as_text(row.get(s.field_name)) for s in specs}
        texts[field] = value
        source_rows = pa.RecordBatch.from_pydict({s.field_name: pa.array([texts[s.field_name]], pa.string())
                                                 for s in specs})  # fmt: skip
        header = validate.map_headers([s.field_name for s in specs], specs)
        checked = validate.validate_batch(
            source_rows, header, specs, 1, ctx.clock.today(), pool.subject_field
        )
        if checked.rejects:
            reasons = "；".join(f"{r.field}：{r.reason}" for r in checked.rejects)
            raise InvalidInput(f"更正后的记录未通过校验：{reasons}")
        canonical = checked.rows.to_pylist()[0]
        if field in pool.keys:
            clash = conn.execute(
                select(table.c[ROW_ID]).where(
                    and_(*(table.c[k] == _typed(DataType(next(s.data_type for s in specs if s.field_name == k)),
                                                canonical[k]) for k in pool.keys)),
                    table.c[ROW_ID] != row_id,
                )
            ).first()  # fmt: skip
            if clash:
                raise Conflict("更正后的主键与资源池中另一条记录相同，请核对")
        watch = corrections.Watch.start(conn, pool)
        if watch is not None:
            watch.capture_before(conn, f"FROM {pool.table_name} p WHERE p.{ROW_ID} = {int(row_id)}")
        conn.execute(
            update(table)
            .where(table.c[ROW_ID] == row_id)
            .values({field: _typed(spec.data_type, canonical[field]), BATCH: batch.id, LOADED_AT: now,
                     ROW_HASH: row_hash(*(canonical[s.field_name] for s in specs))})
        )  # fmt: skip
        notified = watch.notify_after(conn, batch.id, 1, now, now.astimezone(CHINA_TZ).date()) if watch else 0
        batch.rows_updated = 1
        detail = {"row": row_id, "field": field, "old": as_text(row.get(field)),
                  "new": canonical[field], "notified": notified}  # fmt: skip
    base_written = basedb.refresh_subject(ctx, pool, subject) if subject else 0
    record(ctx, actor, "pool.amend", "pool_batch", batch.id,
           detail={"pool": pool.table_name, "resource_id": pool.resource_id, "source": source,
                   "base_values": base_written, **detail})  # fmt: skip
    ctx.session.flush()
    return batch.id
