"""The exchange API for department systems: application credentials, a stated purpose, a live grant.

A refused call is rolled back and then logged on its own, so the refusal is on record even though nothing
else of the call happened.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import io
import json
from collections.abc import Callable, Iterator
from typing import TypeVar

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from govdata.catalog.models import DataType
from govdata.context import Ctx
from govdata.errors import DomainError, Unauthenticated
from govdata.pool.tables import ROW_ID, SUBJECT, plain_decimal
from govdata.sharing import exchange
from govdata.sharing.calllog import CallLog, LogUnavailable
from govdata.sharing.exchange import Access, Caller, Operation, Runtime
from govdata.sharing.schemas import ChangesOut, LookupIn, MatchIn, MatchOut, QueryIn, RowsOut
from govdata.sharing.workflow import parse_filter

router = APIRouter(prefix="/exchange", tags=["共享交换接口（应用系统调用）"])
T = TypeVar("T")


def _credential(request: Request) -> str:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise Unauthenticated("请提供应用凭证：Authorization: Bearer <client_id>.<secret>")
    return header[7:].strip()


def _serve(
    request: Request, ctx: Ctx, resource_id: int, purpose: str, operation: str, work: Callable[[Access], T]
) -> T:
    """Open the call, do the work, log it; a refusal is rolled back and then logged on its own."""
    runtime: Runtime = request.app.state.exchange
    caller: Caller | None = None
    try:
        with runtime.gate:
            caller = exchange.identify(ctx, runtime, _credential(request), resource_id)
            return work(exchange.authorise(ctx, runtime, caller, purpose, operation))
    except DomainError as exc:
        ctx.session.rollback()
        if not isinstance(exc, LogUnavailable):
            refusal = exchange.refusal_record(ctx, caller, resource_id, operation, purpose, exc.message)
            runtime.log.write(ctx, refusal)
        raise


def _log(request: Request) -> CallLog:
    runtime: Runtime = request.app.state.exchange
    return runtime.log


def _plain(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return plain_decimal(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def _rows_out(access: Access, rows: list[dict[str, object]], **extra: object) -> Response:
    """The rows as JSON straight away: they are built here and need no second validation on the way out."""
    payload = {"grant_id": access.grant.id, "items": access.items, "masked": access.masked, "rows": rows}
    payload.update({"next_after": None, "not_found": []} | extra)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_plain)
    return Response(body, media_type="application/json")


# The JSON calls are `async def` that hand the whole call to the threadpool once, with its own session: a sync
# route with the session dependency would hop between the event loop and the threadpool three times per call,
# which on the exchange's hot path costs more than the grant check. Nothing blocks in the event loop.
async def _call(
    request: Request, resource_id: int, purpose: str, operation: str, work: Callable[[Ctx, Access], T]
) -> T:
    return await run_in_threadpool(_in_session, request, resource_id, purpose, operation, work)


def _in_session(
    request: Request, resource_id: int, purpose: str, operation: str, work: Callable[[Ctx, Access], T]
) -> T:
    ctx = Ctx(session=request.app.state.session_factory(), clock=request.app.state.clock)
    try:
        result = _serve(request, ctx, resource_id, purpose, operation, lambda access: work(ctx, access))
        ctx.session.commit()
        return result
    except BaseException:
        ctx.session.rollback()
        raise
    finally:
        ctx.session.close()


@router.get("/{resource_id}/records/{subject}", response_model=RowsOut, summary="按主体标识查询一条")
async def lookup_one(
    request: Request, resource_id: int, subject: str, purpose: str = Query(max_length=200)
) -> Response:
    def work(ctx: Ctx, access: Access) -> Response:
        rows, missing = exchange.lookup(ctx, _log(request), access, [subject])
        return _rows_out(access, rows, not_found=missing)

    return await _call(request, resource_id, purpose, Operation.LOOKUP, work)


@router.post("/{resource_id}/lookup", response_model=RowsOut, summary="按主体标识批量查询（最多 1000 个）")
async def lookup_many(request: Request, resource_id: int, body: LookupIn) -> Response:
    def work(ctx: Ctx, access: Access) -> Response:
        rows, missing = exchange.lookup(ctx, _log(request), access, body.subjects)
        return _rows_out(access, rows, not_found=missing)

    return await _call(request, resource_id, body.purpose, Operation.LOOKUP, work)


@router.post("/{resource_id}/query", response_model=RowsOut, summary="条件查询（分页）")
async def query(request: Request, resource_id: int, body: QueryIn) -> Response:
    def work(ctx: Ctx, access: Access) -> Response:
        live = set(access.live_types)
        filters = parse_filter([c.model_dump() for c in body.filters], live)
        rows, next_after = exchange.query(ctx, _log(request), access, filters, body.limit, body.after)
        return _rows_out(access, rows, next_after=next_after)

    return await _call(request, resource_id, body.purpose, Operation.QUERY, work)


@router.get("/{resource_id}/changes", response_model=ChangesOut, summary="增量变化（库表同步）")
async def changes(
    request: Request,
    resource_id: int,
    purpose: str = Query(max_length=200),
    cursor: str | None = Query(None, max_length=40),
    limit: int = Query(1000, ge=1, le=10_000),
) -> ChangesOut:
    def work(ctx: Ctx, access: Access) -> ChangesOut:
        rows, next_cursor, more = exchange.changes(ctx, _log(request), access, cursor, limit)
        return ChangesOut(
            grant_id=access.grant.id,
            items=access.items,
            masked=access.masked,
            rows=rows,
            cursor=next_cursor,
            has_more=more,
        )

    return await _call(request, resource_id, purpose, Operation.CHANGES, work)


@router.post("/{resource_id}/match", response_model=MatchOut, summary="核验：只回答是否一致，不返回数据")
async def match(request: Request, resource_id: int, body: MatchIn) -> MatchOut:
    def work(ctx: Ctx, access: Access) -> MatchOut:
        found, results = exchange.match(ctx, _log(request), access, body.subject, body.claims)
        return MatchOut(grant_id=access.grant.id, subject_found=found, results=results)

    return await _call(request, resource_id, body.purpose, Operation.MATCH, work)


_ARROW_TYPES = {
    DataType.INTEGER.value: pa.int64(),
    DataType.DECIMAL.value: pa.decimal128(38, 10),
    DataType.DATE.value: pa.date32(),
    DataType.DATETIME.value: pa.timestamp("us"),
    DataType.BOOLEAN.value: pa.bool_(),
    DataType.BINARY.value: pa.binary(),
}


def _arrow_schema(access: Access) -> pa.Schema:
    masked = set(access.masked)
    fields = [pa.field(ROW_ID, pa.int64())]
    for name in access.out_columns[1:]:
        if name == SUBJECT or name in masked:
            fields.append(pa.field(name, pa.string()))
        else:
            fields.append(pa.field(name, _ARROW_TYPES.get(access.types[name], pa.string())))
    return pa.schema(fields)


class _Sink(io.RawIOBase):
    """Where ParquetWriter writes; the response drains it after every row group."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def _csv_chunks(access: Access, batches: Iterator[list[dict[str, object]]]) -> Iterator[tuple[bytes, int]]:
    names = access.out_columns
    decimals = {n for n in names if access.types.get(n) == DataType.DECIMAL.value and n not in access.masked}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(names)
    yield "\ufeff".encode() + out.getvalue().encode(), 0
    for rows in batches:
        out.seek(0)
        out.truncate()
        writer.writerows(
            [[plain_decimal(r.get(n)) if n in decimals else r.get(n) for n in names] for r in rows]
        )
        yield out.getvalue().encode(), len(rows)


def _parquet_chunks(
    access: Access, batches: Iterator[list[dict[str, object]]]
) -> Iterator[tuple[bytes, int]]:
    schema = _arrow_schema(access)
    sink = _Sink()
    writer = pq.ParquetWriter(sink, schema)
    for rows in batches:
        writer.write_table(pa.Table.from_pylist(rows, schema=schema))
        yield sink.drain(), len(rows)
    writer.close()
    yield sink.drain(), 0


@router.get("/{resource_id}/export", summary="批量导出（CSV 或 Parquet，流式）")
def export(
    request: Request,
    resource_id: int,
    purpose: str = Query(max_length=200),
    format: str = Query("csv", pattern="^(csv|parquet)$"),
) -> StreamingResponse:
    # The stream outlives the request scope, so this call keeps its own session until the last byte.
    ctx = Ctx(session=request.app.state.session_factory(), clock=request.app.state.clock)
    try:
        access = _serve(request, ctx, resource_id, purpose, Operation.EXPORT, lambda a: a)
    except BaseException:
        ctx.session.close()
        raise
    chunks = _parquet_chunks if format == "parquet" else _csv_chunks

    def body() -> Iterator[bytes]:
        sent = 0
        try:
            for data, count in chunks(access, exchange.export_batches(ctx, access)):
                sent += count
                if data:
                    yield data
        finally:
            try:
                ctx.session.rollback()  # the read is done; the log has its own transaction
                _log(request).write(ctx, exchange.call_record(ctx, access, sent, subjects=[]))
                ctx.session.commit()
            finally:
                ctx.session.close()

    stamp = ctx.clock.today().isoformat()
    name = f"resource-{resource_id}-{stamp}.{'parquet' if format == 'parquet' else 'csv'}"
    media = "application/vnd.apache.parquet" if format == "parquet" else "text/csv; charset=utf-8"
    return StreamingResponse(
        body(), media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
