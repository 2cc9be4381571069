"""JSON routes of the pools: overview, streamed uploads of batches, batch history, reject reports."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from govdata.errors import InvalidInput
from govdata.pool import basedb, emergency, queries, service, themes
from govdata.pool.models import LoadMode, RejectPolicy
from govdata.pool.schemas import (
    BaseBuildOut,
    BaseFieldOut,
    BaseOverviewOut,
    BatchOut,
    EmergencyCloseIn,
    EmergencyIn,
    EmergencyOut,
    GoldenFieldOut,
    PoolOut,
    RejectOut,
    ThemeIn,
    ThemeOut,
    ThemeRowsOut,
)
from govdata.web_support import ApiActor, CtxDep

router = APIRouter(tags=["资源池"])
UPLOAD_PATH = "/pools/{resource_id}/batches"
_SUFFIXES = {"csv": ".csv", "xlsx": ".xlsx", "jsonl": ".jsonl"}


@router.get("/pools", response_model=list[PoolOut], summary="资源池一览")
def list_pools(ctx: CtxDep, actor: ApiActor) -> list[PoolOut]:
    return [PoolOut.model_validate(p) for p in queries.list_pools(ctx, actor)]


@router.get("/pools/{resource_id}", response_model=PoolOut, summary="资源池详情（列、主键、行数）")
def get_pool(ctx: CtxDep, actor: ApiActor, resource_id: int) -> PoolOut:
    return PoolOut.model_validate(queries.get_pool(ctx, actor, resource_id))


@router.post(
    UPLOAD_PATH,
    response_model=BatchOut,
    status_code=201,
    summary="上传数据文件并加载（请求体为文件本身，流式接收，可为大文件）",
)
async def upload_batch(
    request: Request,
    ctx: CtxDep,
    actor: ApiActor,
    resource_id: int,
    filename: str = Query(min_length=1, max_length=200, description="原文件名（用于识别格式和批次记录）"),
    mode: LoadMode = LoadMode.UPSERT,
    on_reject: RejectPolicy = RejectPolicy.SKIP,
    format: str | None = Query(None, pattern="^(csv|xlsx|jsonl)$"),
    encoding: str | None = Query(None, max_length=20),
) -> BatchOut:
    fmt = _format_of(filename, format)
    async with _received(request, fmt) as path:
        batch = await run_in_threadpool(
            service.load_file,
            ctx,
            actor,
            resource_id,
            path,
            mode=mode,
            reject_policy=on_reject,
            fmt=fmt,
            encoding=encoding,
            source_name=Path(filename).name,
        )
    return BatchOut.model_validate(batch)


def _format_of(filename: str, given: str | None) -> str:
    fmt = given or Path(filename).suffix.lstrip(".").lower()
    if fmt not in _SUFFIXES:
        raise InvalidInput(
            "不支持的文件格式：请上传 CSV、XLSX 或 JSON Lines（.jsonl）文件，或用 format 参数指明"
        )
    return fmt


@asynccontextmanager
async def _received(request: Request, fmt: str) -> AsyncIterator[Path]:
    """Stream the request body to a temporary file (bounded memory whatever the size); removed afterwards."""
    fd, name = tempfile.mkstemp(prefix="govdata-upload-", suffix=_SUFFIXES[fmt])
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as sink:
            async for chunk in request.stream():
                size += len(chunk)
                await run_in_threadpool(sink.write, chunk)
        if size == 0:
            raise InvalidInput("上传的文件为空")
        yield path
    finally:
        path.unlink(missing_ok=True)


@router.get("/pools/{resource_id}/batches", response_model=list[BatchOut], summary="批次记录")
def list_batches(ctx: CtxDep, actor: ApiActor, resource_id: int) -> list[BatchOut]:
    return [BatchOut.model_validate(b) for b in queries.batches(ctx, actor, resource_id)]


@router.get("/batches/{batch_id}", response_model=BatchOut, summary="批次详情")
def get_batch(ctx: CtxDep, actor: ApiActor, batch_id: int) -> BatchOut:
    return BatchOut.model_validate(queries.get_batch(ctx, actor, batch_id))


@router.get("/batches/{batch_id}/rejects", response_model=list[RejectOut], summary="问题行（前 200 条）")
def list_rejects(ctx: CtxDep, actor: ApiActor, batch_id: int) -> list[RejectOut]:
    return [RejectOut.model_validate(r) for r in queries.rejects(ctx, actor, batch_id)]


@router.get("/batches/{batch_id}/rejects.csv", summary="下载问题清单（CSV）")
def download_rejects(ctx: CtxDep, actor: ApiActor, batch_id: int) -> StreamingResponse:
    rows = list(queries.reject_report_csv(ctx, actor, batch_id))  # materialised while the session is open
    return StreamingResponse(
        iter(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}-rejects.csv"'},
    )


@router.get(
    "/base-databases",
    response_model=list[BaseOverviewOut],
    summary="基础数据库一览（字段来源、主体数、最近构建）",
)
def base_overview(ctx: CtxDep, actor: ApiActor) -> list[BaseOverviewOut]:
    return [
        BaseOverviewOut(
            kind=o.kind.value,
            label=o.label,
            subjects=o.subjects,
            fields=[
                BaseFieldOut(
                    key=f.key,
                    label=f.label,
                    resource_id=f.resource_id,
                    field_name=f.field_name,
                    designated=f.designated,
                    alternatives=list(f.alternatives),
                )
                for f in o.fields
            ],
            last_build=BaseBuildOut.model_validate(o.last_build) if o.last_build else None,
        )
        for o in basedb.overview(ctx, actor)
    ]


@router.post(
    "/base-databases/{kind}/build",
    response_model=BaseBuildOut,
    summary="构建基础数据库（增量；full=true 全量重建）",
)
def base_build(ctx: CtxDep, actor: ApiActor, kind: str, full: bool = False) -> BaseBuildOut:
    return BaseBuildOut.model_validate(basedb.build(ctx, actor, kind, full=full))


@router.get(
    "/base-databases/{kind}/records/{subject_id}",
    response_model=list[GoldenFieldOut],
    summary="主体的基础数据（每个字段注明来源、批次和时间）",
)
def golden_record(
    ctx: CtxDep,
    actor: ApiActor,
    kind: str,
    subject_id: str,
    purpose: str = Query(min_length=2, max_length=200, description="查询用途（记入审计日志）"),
) -> list[GoldenFieldOut]:
    return [GoldenFieldOut(**vars(f)) for f in basedb.golden_record(ctx, actor, kind, subject_id, purpose)]


@router.get("/themes", response_model=list[ThemeOut], summary="主题数据库")
def list_themes(ctx: CtxDep, actor: ApiActor) -> list[ThemeOut]:
    return [ThemeOut.model_validate(t) for t in themes.list_themes(ctx, actor)]


@router.post(
    "/themes", response_model=ThemeOut, status_code=201, summary="定义主题数据库（选择基础库与资源池信息项）"
)
def define_theme(ctx: CtxDep, actor: ApiActor, body: ThemeIn) -> ThemeOut:
    choices = [themes.FieldChoice(**f.model_dump()) for f in body.fields]
    return ThemeOut.model_validate(
        themes.define_theme(ctx, actor, body.name, body.description, body.schedule, choices)
    )


@router.post("/themes/{theme_id}/refresh", response_model=ThemeOut, summary="刷新主题数据库")
def refresh_theme(ctx: CtxDep, actor: ApiActor, theme_id: int) -> ThemeOut:
    return ThemeOut.model_validate(themes.refresh(ctx, actor, theme_id))


@router.get("/themes/{theme_id}/rows", response_model=ThemeRowsOut, summary="主题数据库数据（须说明用途）")
def theme_rows(
    ctx: CtxDep,
    actor: ApiActor,
    theme_id: int,
    purpose: str = Query(min_length=2, max_length=200, description="查看用途（记入审计日志）"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> ThemeRowsOut:
    labels, rows = themes.theme_rows(ctx, actor, theme_id, purpose, limit=limit, offset=offset)
    return ThemeRowsOut(labels=labels, rows=[[str(v) if v is not None else None for v in r] for r in rows])


@router.get("/emergency-collections", response_model=list[EmergencyOut], summary="应急采集")
def list_emergency(ctx: CtxDep, actor: ApiActor) -> list[EmergencyOut]:
    return [EmergencyOut.model_validate(c) for c in emergency.list_collections(ctx, actor)]


@router.post(
    "/emergency-collections",
    response_model=EmergencyOut,
    status_code=201,
    summary="发起应急采集（目录之外，临时）",
)
def start_emergency(ctx: CtxDep, actor: ApiActor, body: EmergencyIn) -> EmergencyOut:
    collection = emergency.start(
        ctx,
        actor,
        title=body.title,
        purpose=body.purpose,
        legal_basis=body.legal_basis,
        end_date=body.end_date,
        items=body.items,
    )
    return EmergencyOut.model_validate(collection)


@router.post(
    "/emergency-collections/{collection_id}/batches",
    response_model=BatchOut,
    status_code=201,
    summary="上传应急采集数据",
)
async def upload_emergency(
    request: Request,
    ctx: CtxDep,
    actor: ApiActor,
    collection_id: int,
    filename: str = Query(min_length=1, max_length=200),
    mode: LoadMode = LoadMode.APPEND,
    on_reject: RejectPolicy = RejectPolicy.SKIP,
) -> BatchOut:
    fmt = _format_of(filename, None)
    async with _received(request, fmt) as path:
        batch = await run_in_threadpool(
            emergency.load_file,
            ctx,
            actor,
            collection_id,
            path,
            mode=mode,
            reject_policy=on_reject,
            source_name=Path(filename).name,
        )
    return BatchOut.model_validate(batch)


@router.post(
    "/emergency-collections/{collection_id}/close", response_model=EmergencyOut, summary="评估后封存或销毁"
)
def close_emergency(ctx: CtxDep, actor: ApiActor, collection_id: int, body: EmergencyCloseIn) -> EmergencyOut:
    return EmergencyOut.model_validate(
        emergency.close(ctx, actor, collection_id, body.disposal, body.assessment)
    )


@router.get(
    "/emergency-collections/{collection_id}/rows",
    response_model=ThemeRowsOut,
    summary="应急采集数据（须说明用途）",
)
def emergency_rows(
    ctx: CtxDep,
    actor: ApiActor,
    collection_id: int,
    purpose: str = Query(min_length=2, max_length=200),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> ThemeRowsOut:
    labels, rows = emergency.rows(ctx, actor, collection_id, purpose, limit=limit, offset=offset)
    return ThemeRowsOut(labels=labels, rows=[[str(v) if v is not None else None for v in r] for r in rows])
