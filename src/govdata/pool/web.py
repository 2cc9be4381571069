"""Pool pages: the overview of a department's (or a jurisdiction's) pools, one pool with its quality figures
and batch history, the upload form, and one batch with its reject report.

Routes only read and call `queries`, `quality` and `service.load_file`; the upload carries the session's CSRF
token in its multipart form and answers with a 303 redirect to the batch and a flash message.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import ColumnElement, func, or_, select, true
from starlette.responses import Response

from govdata.authz import Actor, Permission, in_jurisdiction, require
from govdata.catalog.models import Resource, ResourceVersion, UpdateCycle, VersionState
from govdata.catalog.service import get_resource
from govdata.clock import CHINA_TZ
from govdata.context import Ctx
from govdata.deadlines import is_overdue
from govdata.errors import InvalidInput, NotFound
from govdata.org.models import Organization
from govdata.pool import quality, queries, service
from govdata.pool.models import Batch, BatchStatus, LoadMode, Pool, RejectPolicy, RejectRow
from govdata.web_support import CtxDep, PageActor, check_csrf, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)

MODE_LABELS = {
    LoadMode.REPLACE: "全量替换",
    LoadMode.UPSERT: "按主键更新",
    LoadMode.APPEND: "追加",
}
MODE_HELP = {
    LoadMode.REPLACE: "资源池只保留本次文件中的数据，文件中没有的记录将被删除。适合每次导出全量数据的部门。",
    LoadMode.UPSERT: "按主键比对：新主键新增，已有主键且内容变化的更新，其余记录保持不变。",
    LoadMode.APPEND: "只新增记录，与已有记录完全相同的行跳过，不修改、不删除已有记录。",
}
POLICY_LABELS = {RejectPolicy.SKIP: "跳过问题行", RejectPolicy.ABORT: "有错即停"}
POLICY_HELP = {
    RejectPolicy.SKIP: "校验通过的行入库，问题行列入问题清单供下载修正。",
    RejectPolicy.ABORT: "只要有一行未通过校验，整批不入库；问题清单一次列出全部问题。",
}
STATUS_LABELS = {BatchStatus.RUNNING: "加载中", BatchStatus.SUCCEEDED: "已完成", BatchStatus.FAILED: "未入库"}
ENCODINGS = {"": "自动识别", "utf-8": "UTF-8", "gb18030": "GBK / GB18030"}
FORMAT_LABELS = {"csv": "CSV", "xlsx": "XLSX", "jsonl": "JSON Lines", "database": "数据库表"}
REJECTS_SHOWN = 200
_CHUNK = 1024 * 1024
_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,10}$")


@contextmanager
def saved_upload(file: UploadFile, filename: str) -> Iterator[Path]:
    """The uploaded file on disk, chunk by chunk (a data file may be far larger than memory), removed after."""
    suffix = m.group(0).lower() if (m := _SUFFIX.search(filename)) else ""
    fd, name = tempfile.mkstemp(prefix="govdata-upload-", suffix=suffix)
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            while chunk := file.file.read(_CHUNK):
                size += len(chunk)
                out.write(chunk)
        if size == 0:
            raise InvalidInput(f"上传的文件“{filename}”是空的")
        yield path
    finally:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------- formatting helpers for the templates


def num(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def pct(value: float | None) -> str:
    if value is None:
        return "—"
    shown = f"{value * 100:.1f}".removesuffix(".0")
    if shown == "100" and value < 1:
        shown = "99.9"  # never round a gap away
    return f"{shown}%"


def level(value: float | None) -> str:
    """A CSS class for a ratio: good, fair or poor."""
    if value is None:
        return "none"
    return "good" if value >= 0.95 else "fair" if value >= 0.8 else "poor"


def duration(ms: int | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms} 毫秒"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} 秒"
    minutes, sec = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} 分 {sec} 秒"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分"


def _helpers() -> dict[str, Any]:
    return {
        "num": num,
        "pct": pct,
        "level": level,
        "duration": duration,
        "MODE": MODE_LABELS,
        "POLICY": POLICY_LABELS,
        "STATUS": STATUS_LABELS,
        "FORMAT": FORMAT_LABELS,
    }


def _go(path: str, msg: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?msg={quote(msg)}", status_code=303)


def _local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(CHINA_TZ).date()


# ---------------------------------------------------------------- the overview


@dataclass
class EntryRow:
    """One approved entry and its pool, if it has one yet."""

    resource_id: int
    code: str
    name: str
    org_id: int
    update_cycle: UpdateCycle
    pool: Pool | None = None
    last_batch: Batch | None = None
    due: dt.date | None = None
    overdue: bool = False


@dataclass
class DeptGroup:
    org: Organization
    rows: list[EntryRow] = field(default_factory=list)

    @property
    def pooled(self) -> list[EntryRow]:
        return [r for r in self.rows if r.pool is not None]

    @property
    def unpooled(self) -> list[EntryRow]:
        return [r for r in self.rows if r.pool is None]

    @property
    def total_rows(self) -> int:
        return sum(r.pool.row_count for r in self.pooled if r.pool)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.overdue)


def _entry_scope(actor: Actor) -> ColumnElement[bool]:
    """The same scope as the pools': own department, and for an authority its jurisdiction."""
    if actor.is_system:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if actor.org_id is not None:
        clauses.append(Resource.org_id == actor.org_id)
    if actor.is_authority and actor.region_path:
        clauses.append(Resource.region_path.startswith(actor.region_path, autoescape=True))
    return or_(*clauses) if clauses else Resource.id.is_(None)


def _approved_entries(ctx: Ctx, actor: Actor) -> list[tuple[Resource, ResourceVersion]]:
    """Entries whose data may be aggregated: published, or approved and awaiting publication."""
    v = ResourceVersion
    shown = func.coalesce(Resource.published_version_id, Resource.head_version_id)
    return [
        (res, ver)
        for res, ver in ctx.session.execute(
            select(Resource, v)
            .join(v, v.id == shown)
            .where(
                or_(Resource.published_version_id.is_not(None), v.state == VersionState.APPROVED),
                _entry_scope(actor),
            )
            .order_by(Resource.org_id, Resource.code)
        ).all()
    ]


def _last_batches(ctx: Ctx, pool_ids: Iterable[int]) -> dict[int, Batch]:
    ids = list(pool_ids)
    if not ids:
        return {}
    latest = select(func.max(Batch.id)).where(Batch.pool_id.in_(ids)).group_by(Batch.pool_id)
    return {b.pool_id: b for b in ctx.session.execute(select(Batch).where(Batch.id.in_(latest))).scalars()}


def _versions(ctx: Ctx, ids: Iterable[int]) -> dict[int, ResourceVersion]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    found = ctx.session.execute(select(ResourceVersion).where(ResourceVersion.id.in_(wanted))).scalars()
    return {v.id: v for v in found}


def _overview_rows(ctx: Ctx, actor: Actor) -> list[EntryRow]:
    pools = {p.resource_id: p for p in queries.list_pools(ctx, actor)}  # requires POOL_READ
    entries = _approved_entries(ctx, actor)
    versions = _versions(ctx, [p.version_id for p in pools.values()])
    batches = _last_batches(ctx, [p.id for p in pools.values()])
    today = ctx.clock.today()
    rows: list[EntryRow] = []
    seen: set[int] = set()
    for res, ver in entries:
        rows.append(EntryRow(res.id, res.code, ver.name, res.org_id, ver.update_cycle))
        seen.add(res.id)
    for rid, pool in pools.items():  # a pool whose entry is no longer approved still holds data
        if rid not in seen:
            pv = versions[pool.version_id]
            rows.append(EntryRow(rid, pool.resource.code, pv.name, pool.org_id, pv.update_cycle))
    for row in rows:
        pool = pools.get(row.resource_id)
        if pool is None:
            continue
        row.pool = pool
        row.last_batch = batches.get(pool.id)
        cycle = versions[pool.version_id].update_cycle  # the pool follows this version's cycle
        last = _local_date(pool.last_loaded_at) if pool.last_loaded_at else None
        row.due = quality.refresh_due(cycle, last, _local_date(pool.created_at))
        row.overdue = is_overdue(row.due, today)
    return rows


@router.get("/pools")
def pools_overview(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    rows = _overview_rows(ctx, actor)
    by_id = {r.resource_id: r for r in rows}
    late = [
        (by_id[p.resource_id], due) for p, due in quality.overdue_pools(ctx, actor) if p.resource_id in by_id
    ]
    for row, due in late:  # the quality module decides what is overdue
        row.overdue, row.due = True, due
    orgs = {
        o.id: o
        for o in ctx.session.execute(
            select(Organization).where(Organization.id.in_({r.org_id for r in rows}))
        ).scalars()
    }
    groups: dict[int, DeptGroup] = {}
    for row in rows:
        groups.setdefault(row.org_id, DeptGroup(orgs[row.org_id])).rows.append(row)
    ordered = sorted(groups.values(), key=lambda g: (g.org.region.path, g.org.org_code, g.org.id))
    own = actor.org_id is not None and not actor.is_authority
    pooled = [r for r in rows if r.pool is not None]
    return render(
        request,
        "pool/overview.html",
        own=own,
        groups=ordered,
        org_names={o.id: o.name for o in orgs.values()},
        rows=sorted(rows, key=lambda r: (r.pool is not None, r.code)) if own else rows,
        late=late,
        today=ctx.clock.today(),
        stats={
            "entries": len(rows),
            "pooled": len(pooled),
            "unpooled": len(rows) - len(pooled),
            "overdue": sum(1 for r in rows if r.overdue),
            "rows": sum(r.pool.row_count for r in pooled if r.pool),
        },
        can_load=Permission.POOL_LOAD in actor.permissions,
        **_helpers(),
    )


# ---------------------------------------------------------------- one pool


def _visible_entry(ctx: Ctx, actor: Actor, resource_id: int) -> tuple[Resource, Pool | None]:
    """The entry and its pool as this actor may see them; another department's gets a 404."""
    require(actor, Permission.POOL_READ)
    if service.pool_of(ctx.session, resource_id) is not None:
        pool = queries.get_pool(ctx, actor, resource_id)  # the pools' own scope check
        return pool.resource, pool
    hidden = NotFound("该目录条目没有资源池，或无权查看")  # the same answer whether it exists or not
    try:
        resource = get_resource(ctx.session, resource_id)
    except NotFound:
        raise hidden from None
    mine = actor.org_id is not None and actor.org_id == resource.org_id
    if not (mine or actor.is_system or (actor.is_authority and in_jurisdiction(actor, resource.region_path))):
        raise hidden
    return resource, None


def _pool_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    resource_id: int,
    *,
    errors: list[str] | None = None,
    chosen: dict[str, str] | None = None,
) -> Response:
    resource, pool = _visible_entry(ctx, actor, resource_id)
    version = service.pool_version(ctx.session, resource)  # InvalidInput when not (yet) approved
    pool_ver = ctx.session.get(ResourceVersion, pool.version_id) if pool else version
    assert pool_ver is not None
    if pool is not None:
        columns: list[Any] = list(pool.columns)
        keys = pool.keys
        subject = pool.subject_field
    else:
        columns = service.specs_for(version)
        subject = service.subject_field_of(version)
        keys = [subject] if subject else []
    label_of = {c.field_name: c.label for c in columns}
    can_load = Permission.POOL_LOAD in actor.permissions and actor.org_id == resource.org_id
    default_mode = LoadMode.UPSERT if keys else LoadMode.REPLACE
    return render(
        request,
        "pool/detail.html",
        status_code=422 if errors else 200,
        resource=resource,
        version=pool_ver,
        newer_version=version if pool and version.id != pool.version_id else None,
        org=ctx.session.get(Organization, resource.org_id),
        pool=pool,
        columns=columns,
        keys=[(k, label_of.get(k, k)) for k in keys],
        key_names=set(keys),
        subject=(subject, label_of.get(subject, subject)) if subject else None,
        q=quality.pool_quality(ctx, actor, resource_id) if pool else None,
        batches=queries.batches(ctx, actor, resource_id) if pool else [],
        can_load=can_load,
        errors=errors or [],
        chosen={
            "mode": str(default_mode),
            "on_reject": str(RejectPolicy.SKIP),
            "encoding": "",
            **(chosen or {}),
        },
        modes=[(m, MODE_LABELS[m], MODE_HELP[m]) for m in LoadMode],
        policies=[(p, POLICY_LABELS[p], POLICY_HELP[p]) for p in RejectPolicy],
        encodings=ENCODINGS,
        cycle_labels=_CYCLE_RULE,
        **_helpers(),
    )


_CYCLE_RULE = {
    UpdateCycle.REALTIME: "实时：最迟在最近一次加载的次日再次加载",
    UpdateCycle.DAILY: "每日：最迟在最近一次加载的次日再次加载",
    UpdateCycle.WEEKLY: "每周：最近一次加载后 7 天内",
    UpdateCycle.MONTHLY: "每月：最近一次加载后 1 个月内",
    UpdateCycle.QUARTERLY: "每季度：最近一次加载后 3 个月内",
    UpdateCycle.HALF_YEARLY: "每半年：最近一次加载后 6 个月内",
    UpdateCycle.YEARLY: "每年：最近一次加载后 12 个月内",
    UpdateCycle.IRREGULAR: "不定期：没有应更新日期，不计逾期",
}


@router.get("/pools/{resource_id:int}")
def pool_detail(request: Request, ctx: CtxDep, actor: PageActor, resource_id: int) -> Response:
    return _pool_page(request, ctx, actor, resource_id)


def _latest_batch_id(ctx: Ctx, resource_id: int) -> int | None:
    pool = service.pool_of(ctx.session, resource_id)
    if pool is None:
        return None
    return ctx.session.execute(select(func.max(Batch.id)).where(Batch.pool_id == pool.id)).scalar_one()


def _done_message(batch: Batch) -> str:
    if batch.status == BatchStatus.FAILED:
        return f"批次 {batch.id} 未入库：{batch.message or '加载失败'}"
    parts = [f"新增 {num(batch.rows_loaded)} 行", f"更新 {num(batch.rows_updated)} 行"]
    if batch.rows_unchanged:
        parts.append(f"未变化 {num(batch.rows_unchanged)} 行")
    if batch.rows_deleted:
        parts.append(f"删除 {num(batch.rows_deleted)} 行")
    parts.append(f"问题行 {num(batch.rows_rejected)} 行")
    return f"批次 {batch.id} 已完成：" + "，".join(parts)


@router.post("/pools/{resource_id:int}/upload", dependencies=[Csrf])
def pool_upload(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    resource_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form(max_length=20)] = "",
    on_reject: Annotated[str, Form(max_length=20)] = "",
    encoding: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    resource = service.resolve_resource(ctx.session, resource_id)
    require(actor, Permission.POOL_LOAD, org_id=resource.org_id, hide=True)
    chosen = {"mode": mode, "on_reject": on_reject, "encoding": encoding}
    problems: list[str] = []
    if mode not in {m.value for m in LoadMode}:
        problems.append("请选择加载方式（全量替换、按主键更新或追加）")
    if on_reject not in {p.value for p in RejectPolicy}:
        problems.append("请选择问题行的处理方式（跳过问题行或有错即停）")
    if encoding not in ENCODINGS:
        problems.append("请选择文件编码（或自动识别）")
    filename = Path(file.filename or "").name if file is not None else ""
    if file is None or not filename:
        problems.append("请选择要上传的数据文件（CSV、XLSX 或 JSON Lines）")
    if problems or file is None:
        return _pool_page(request, ctx, actor, resource_id, errors=problems, chosen=chosen)
    before = _latest_batch_id(ctx, resource_id)
    try:
        with saved_upload(file, filename) as path:
            batch = service.load_file(
                ctx,
                actor,
                resource_id,
                path,
                mode=LoadMode(mode),
                reject_policy=RejectPolicy(on_reject),
                encoding=encoding or None,
                source_name=filename,
            )
    except InvalidInput as exc:
        ctx.session.rollback()
        after = _latest_batch_id(ctx, resource_id)
        if after is not None and after != before:  # the file failed part-way: its batch says why
            return _go(f"/batches/{after}", f"批次 {after} 未入库：{exc.message}")
        return _pool_page(request, ctx, actor, resource_id, errors=[exc.message], chosen=chosen)
    return _go(f"/batches/{batch.id}", _done_message(batch))


# ---------------------------------------------------------------- one batch


@router.get("/batches/{batch_id:int}")
def batch_detail(request: Request, ctx: CtxDep, actor: PageActor, batch_id: int) -> Response:
    batch = queries.get_batch(ctx, actor, batch_id)  # POOL_READ and the pool's scope
    pool = batch.pool
    version = ctx.session.get(ResourceVersion, pool.version_id)
    kept_rejects, kept_warnings = queries.reject_count(ctx, batch_id)
    rejects = [r for r in queries.rejects(ctx, actor, batch_id, limit=REJECTS_SHOWN) if not r.warning]
    warnings = list(
        ctx.session.execute(
            select(RejectRow)
            .where(RejectRow.batch_id == batch_id, RejectRow.warning.is_(True))
            .order_by(RejectRow.row_number, RejectRow.id)
            .limit(REJECTS_SHOWN)
        ).scalars()
    )
    return render(
        request,
        "pool/batch.html",
        batch=batch,
        pool=pool,
        resource=pool.resource,
        entry_name=version.name if version else pool.resource.code,
        bq=quality.batch_quality(ctx, actor, batch_id),
        rejects=rejects,
        warnings=warnings,
        kept_rejects=kept_rejects,
        kept_warnings=kept_warnings,
        shown=REJECTS_SHOWN,
        line_offset={"csv": 1, "xlsx": 1, "jsonl": 0}.get(batch.source_format),  # header line (spec.py)
        **_helpers(),
    )


@router.get("/batches/{batch_id:int}/rejects.csv")
def batch_rejects_csv(ctx: CtxDep, actor: PageActor, batch_id: int) -> StreamingResponse:
    rows = list(queries.reject_report_csv(ctx, actor, batch_id))  # materialised while the session is open
    return StreamingResponse(
        iter(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch_id}-rejects.csv"'},
    )
