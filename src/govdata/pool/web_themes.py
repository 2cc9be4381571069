"""Pages: thematic databases and emergency collections (POOL-4, POOL-6).

`/themes` lists the thematic databases and lets the authority define one from base-database and pool items;
`/themes/{id}` shows every field with its source, a refresh button and, once a purpose is given, the rows.
`/emergency` lists the emergency collections and lets a department open one; `/emergency/{id}` takes data files
while the collection runs and seals or destroys it afterwards. Routes only read and call the use cases; a POST
answers with a 303 redirect and a flash message, or with the same page and the problem in Chinese (nothing of a
refused form is written). Seeing rows is data access: the use cases record it with the purpose given.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.datastructures import FormData
from starlette.responses import Response

from govdata import labels
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import BaseDatabase, IdentifierKind, ResourceVersion
from govdata.context import Ctx
from govdata.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from govdata.org.models import Organization, User
from govdata.pool import basedb, emergency, queries, themes
from govdata.pool.models import (
    Batch,
    BatchStatus,
    EmergencyCollection,
    EmergencyState,
    LoadMode,
    Pool,
    RejectPolicy,
    ThemeDatabase,
)
from govdata.pool.schemas import EmergencyIn, ThemeIn
from govdata.pool.web import (
    MODE_HELP,
    MODE_LABELS,
    POLICY_HELP,
    POLICY_LABELS,
    STATUS_LABELS,
    num,
    saved_upload,
)
from govdata.textguard import check_text
from govdata.validation import validation_message
from govdata.web_support import CtxDep, PageActor, check_csrf, fmt_dt, render

router = APIRouter(include_in_schema=False)
Csrf = Depends(check_csrf)
PER_PAGE = 50
Offset = Annotated[int, Query(ge=0, le=1_000_000_000)]
Purpose = Annotated[str, Query(max_length=200)]
_FORM_ERRORS = (InvalidInput, Conflict, InvalidTransition)
_ITEM_KEY = re.compile(r"^item-(\d{1,3})-")
_ITEM_TEXT = ("name", "field_name", "data_type", "length", "identifier_kind", "sensitivity")
_BLANK_ROWS, _MAX_ROWS = 6, 100
_THEME_LABELS = {
    "name": "主题库名称",
    "description": "说明",
    "schedule": "刷新方式",
    "fields": "信息项",
    "label": "名称",
}
_EMERGENCY_LABELS = {"title": "名称", "purpose": "采集目的", "legal_basis": "依据", "end_date": "结束日期"}


async def _posted(request: Request) -> FormData:
    """The whole posted form (cached by Starlette, so the CSRF check and the route share one parse)."""
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]


def _go(path: str, msg: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?msg={quote(msg)}", status_code=303)


def _problems(exc: ValidationError, names: dict[str, str]) -> list[str]:
    """Pydantic's errors in Chinese, with this form's own field names."""
    errors = [
        {**e, "loc": tuple(names.get(p, p) if isinstance(p, str) else p for p in e.get("loc", ()))}
        for e in exc.errors()
    ]
    return [f"{d['field']}：{d['reason']}" for d in validation_message(errors)[1][:10]]


def _cell(value: object) -> str:
    if isinstance(value, dt.datetime):  # system times are stored in UTC and shown in China time
        return fmt_dt(value) if value.tzinfo else value.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else value.isoformat() if isinstance(value, dt.date) else str(value)


@dataclass
class RowsView:
    """One page of rows read for a stated purpose; the use case records the reading in the audit log."""

    base: str
    purpose: str
    offset: int
    heads: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    has_next: bool = False
    problem: str | None = None
    status: int = 200
    per_page: int = 0

    def link(self, at: int) -> str:
        return f"{self.base}?{urlencode({'purpose': self.purpose, 'offset': at})}#rows"


Reader = Callable[[str, int, int], tuple[list[str], list[tuple[object, ...]]]]


def _read_rows(base: str, purpose: str, offset: int, read: Reader) -> RowsView:
    view = RowsView(base, purpose.strip(), offset, per_page=PER_PAGE)
    if view.purpose:
        try:  # one row more than shown tells whether there is a next page
            view.heads, found = read(view.purpose, view.per_page + 1, offset)
        except (InvalidInput, NotFound, Forbidden) as exc:
            view.problem, view.status = exc.message, exc.http_status
        else:
            view.rows = [[_cell(v) for v in r] for r in found[: view.per_page]]
            view.has_next = len(found) > view.per_page
    return view


def _pool_subject(pool: Pool) -> str:
    return next((c.identifier_kind for c in pool.columns if c.field_name == pool.subject_field), "")


def _entry_names(ctx: Ctx, pools: list[Pool]) -> dict[int, str]:
    """Each pool's entry name as the catalog version it was loaded with says."""
    ids = {p.version_id for p in pools if p.version_id} or {0}
    found = select(ResourceVersion.id, ResourceVersion.name).where(ResourceVersion.id.in_(ids))
    names: dict[int, str] = {i: n for i, n in ctx.session.execute(found).all()}
    return {p.id: names.get(p.version_id or 0) or p.resource.code for p in pools if p.resource}


def _names(ctx: Ctx, model: type[Organization] | type[User], ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    found = ctx.session.execute(select(model).where(model.id.in_(wanted))).scalars()
    return {o.id: o.name if isinstance(o, Organization) else o.display_name for o in found}


# ---------------------------------------------------------------- thematic databases


@dataclass(frozen=True)
class OptionGroup:
    """Items the define form offers: (token its checkbox posts — base:kind:key / pool:id:field, label, detail)."""

    title: str
    note: str
    subject: str
    options: list[tuple[str, str, str]]


@dataclass(frozen=True)
class ThemeRow:
    theme: ThemeDatabase
    next_due: dt.datetime | None
    due: bool


def _schedule_state(theme: ThemeDatabase, now: dt.datetime) -> ThemeRow:
    return ThemeRow(theme, themes.next_refresh(theme), themes.is_due(theme, now))


def _theme_options(ctx: Ctx, actor: Actor) -> list[OptionGroup]:
    """What a theme may hold: the base databases' fields, then the items of pools that have a subject."""
    groups = [
        OptionGroup(
            base.label,
            f"{num(base.subjects)} 个主体",
            _pool_subject(base.fields[0].pool),
            [(f"base:{base.kind.value}:{f.key}", f.key, f"字段 {f.field_name}") for f in base.fields],
        )
        for base in basedb.overview(ctx, actor)
        if base.fields
    ]
    readable = Permission.POOL_READ in actor.permissions or actor.is_system
    pools = [p for p in queries.list_pools(ctx, actor) if p.subject_field] if readable else []
    names, orgs = _entry_names(ctx, pools), _names(ctx, Organization, {p.org_id for p in pools})
    for pool in pools:
        options = [
            (f"pool:{pool.id}:{c.field_name}", c.label, c.field_name)
            for c in pool.columns
            if not c.retired and c.field_name != pool.subject_field
        ]
        note = f"{orgs.get(pool.org_id, '')} · {num(pool.row_count)} 行"
        if options:
            groups.append(
                OptionGroup(f"{names[pool.id]}（{pool.resource.code}）", note, _pool_subject(pool), options)
            )
    return groups


def _themes_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    *,
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    rows = [_schedule_state(t, ctx.clock.now()) for t in themes.list_themes(ctx, actor)]  # base.read
    can_manage = Permission.THEME_MANAGE in actor.permissions
    return render(
        request,
        "themes/list.html",
        status_code=422 if errors else 200,
        rows=rows,
        can_manage=can_manage,
        groups=_theme_options(ctx, actor) if can_manage else [],
        errors=errors or [],
        values={"name": "", "description": "", "schedule": "manual", "picked": {}, "refresh": True}
        | (values or {}),
        schedules=themes.SCHEDULE_LABELS,
        stats={
            "themes": len(rows),
            "due": sum(r.due for r in rows),
            "rows": sum(r.theme.row_count for r in rows),
        },
        num=num,
    )


@router.get("/themes")
def theme_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return _themes_page(request, ctx, actor)


def _theme_field(token: str, label: str) -> dict[str, Any]:
    kind, _, rest = token.partition(":")
    ref, _, name = rest.partition(":")
    if kind == "base":
        return {"label": label, "source_kind": "base", "base_kind": ref, "field_key": name}
    pool_id = int(ref) if ref.isdigit() and len(ref) < 12 else 0
    return {"label": label, "source_kind": kind, "pool_id": pool_id, "field_name": name}


@router.post("/themes", dependencies=[Csrf])
def theme_define(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    require(actor, Permission.THEME_MANAGE)
    picks = [str(p) for p in form.getlist("pick")][: _MAX_ROWS + 1]
    picked = {p: str(form.get(f"label-{p}") or "").strip() for p in picks}
    texts = {k: str(form.get(k) or "") for k in ("name", "description", "schedule")}
    values = texts | {"picked": picked, "refresh": bool(form.get("refresh"))}
    defaults = {o[0]: o[1] for g in _theme_options(ctx, actor) for o in g.options}
    fields = [_theme_field(p, picked[p] or defaults.get(p) or p.rpartition(":")[2]) for p in picks]
    problems = [] if picks else ["请至少勾选一个信息项"]
    try:
        data = ThemeIn.model_validate({**texts, "fields": fields})
    except ValidationError as exc:
        problems += [p for p in _problems(exc, _THEME_LABELS) if picks or not p.startswith("信息项：")]
    if problems:
        return _themes_page(request, ctx, actor, errors=problems, values=values)
    try:
        choices = [themes.FieldChoice(**f.model_dump()) for f in data.fields]
        theme = themes.define_theme(ctx, actor, data.name, data.description, data.schedule, choices)
        if values["refresh"]:
            themes.refresh(ctx, actor, theme.id)
    except _FORM_ERRORS as exc:
        ctx.session.rollback()  # nothing of a refused definition may remain
        return _themes_page(request, ctx, actor, errors=[exc.message], values=values)
    msg = f"已定义主题库“{theme.name}”：{len(theme.fields)} 个信息项"
    if theme.refreshed_at is None:
        return _go(f"/themes/{theme.id}", msg + "；尚未生成数据，请点击“立即刷新”")
    return _go(f"/themes/{theme.id}", msg + f"，已刷新，共 {num(theme.row_count)} 行")


def _field_sources(ctx: Ctx, theme: ThemeDatabase) -> list[dict[str, Any]]:
    """Every field with where its values come from, in words and with a link to the source."""
    pools = [p for f in theme.fields if f.pool_id and (p := ctx.session.get(Pool, f.pool_id))]
    names, by_id = _entry_names(ctx, pools), {p.id: p for p in pools}
    bases = {
        kind.value: {b.key: b for b in basedb.base_fields(ctx, kind)}
        for kind in BaseDatabase
        if any(f.base_kind == kind.value for f in theme.fields)
    }
    out = []
    for f in theme.fields:
        row: dict[str, Any] = {"field": f, "kind": "基础数据库" if f.source_kind == "base" else "资源池"}
        pool = by_id.get(f.pool_id or 0)
        if f.source_kind == "base" and f.base_kind in bases:
            row["source"] = f"{labels.BASE_DATABASE[BaseDatabase(f.base_kind)]} › 信息项“{f.field_key}”"
            if current := bases[f.base_kind].get(f.field_key or ""):
                row["link"] = (f"/catalog/{current.resource_id}", f"当前取自 {current.pool.resource.code}")
        elif pool is not None and pool.resource_id is not None:
            label = next((c.label for c in pool.columns if c.field_name == f.field_name), "")
            row["source"] = f"{names[pool.id]} › {label}（{f.field_name}）"
            row["link"] = (f"/pools/{pool.resource_id}", pool.resource.code)
        else:
            row["source"] = "来源已不存在，请重新定义主题库"
        out.append(row)
    return out


@router.get("/themes/{theme_id:int}")
def theme_detail(
    request: Request, ctx: CtxDep, actor: PageActor, theme_id: int, purpose: Purpose = "", offset: Offset = 0
) -> Response:
    theme = themes.get_theme(ctx, actor, theme_id)  # base.read and the authority's jurisdiction
    view = _read_rows(
        f"/themes/{theme.id}",
        purpose,
        offset,
        lambda why, limit, at: themes.theme_rows(ctx, actor, theme.id, why, limit=limit, offset=at),
    )
    return render(
        request,
        "themes/detail.html",
        status_code=view.status,
        theme=theme,
        state=_schedule_state(theme, ctx.clock.now()),
        sources=_field_sources(ctx, theme),
        creator=_names(ctx, User, {theme.created_by_id}).get(theme.created_by_id or 0, ""),
        schedules=themes.SCHEDULE_LABELS,
        can_manage=Permission.THEME_MANAGE in actor.permissions,
        view=view,
        num=num,
    )


@router.post("/themes/{theme_id:int}/refresh", dependencies=[Csrf])
def theme_refresh(ctx: CtxDep, actor: PageActor, theme_id: int) -> Response:
    theme = themes.refresh(ctx, actor, theme_id)  # requires theme.manage
    return _go(f"/themes/{theme.id}", f"主题库“{theme.name}”已刷新：共 {num(theme.row_count)} 行")


# ---------------------------------------------------------------- emergency collections


def _blank_item() -> dict[str, Any]:
    blank: dict[str, Any] = {k: "" for k in _ITEM_TEXT}
    return blank | {"data_type": "string", "identifier_kind": "none", "sensitivity": "3", "required": False}


def _is_blank(row: dict[str, Any]) -> bool:
    return not (row["name"].strip() or row["field_name"].strip() or row["length"].strip())


def _item_rows(form: FormData) -> list[dict[str, Any]]:
    indices = sorted({int(m.group(1)) for key in form if (m := _ITEM_KEY.match(key))})[: _MAX_ROWS + 10]
    rows = [{k: str(form.get(f"item-{i}-{k}") or "") for k in _ITEM_TEXT} for i in indices]
    for i, row in zip(indices, rows, strict=True):
        row["required"] = bool(form.get(f"item-{i}-required"))
    return rows


def _item_payload(row: dict[str, Any]) -> dict[str, Any]:
    return row | {
        "field_name": row["field_name"].strip(),
        "length": row["length"].strip() or None,
        "identifier_kind": row["identifier_kind"] or IdentifierKind.NONE.value,
        "sensitivity": row["sensitivity"] or "1",
    }


def _emergency_list(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    *,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    items: list[dict[str, Any]] | None = None,
    extra_rows: int = 0,
) -> Response:
    found = emergency.list_collections(ctx, actor)  # pool.read, own department or jurisdiction
    late = {c.id for c in emergency.overdue(ctx, actor)}  # the service says what is overdue
    filled = [r for r in items or [] if not _is_blank(r)]
    blank = max(_BLANK_ROWS - len(filled), 1) + extra_rows
    today = ctx.clock.today()
    return render(
        request,
        "emergency/list.html",
        status_code=422 if errors else 200,
        collections=found,
        late=late,
        orgs=_names(ctx, Organization, {c.org_id for c in found}),
        can_start=Permission.POOL_LOAD in actor.permissions and actor.org_id is not None,
        errors=errors or [],
        values={"title": "", "purpose": "", "legal_basis": "", "end_date": ""} | (values or {}),
        rows=(filled + [_blank_item() for _ in range(blank)])[: _MAX_ROWS + _BLANK_ROWS],
        earliest=(today + dt.timedelta(days=1)).isoformat(),
        latest=(today + dt.timedelta(days=emergency.MAX_DAYS)).isoformat(),
        max_days=emergency.MAX_DAYS,
        active=sum(1 for c in found if c.state == EmergencyState.ACTIVE),
        STATE=emergency.STATE_LABELS,
        num=num,
    )


@router.get("/emergency")
def emergency_list(request: Request, ctx: CtxDep, actor: PageActor) -> Response:
    return _emergency_list(request, ctx, actor)


@router.post("/emergency", dependencies=[Csrf])
def emergency_start(request: Request, ctx: CtxDep, actor: PageActor, form: Posted) -> Response:
    require(actor, Permission.POOL_LOAD)
    values = {k: str(form.get(k) or "") for k in ("title", "purpose", "legal_basis", "end_date")}
    rows = _item_rows(form)
    if form.get("add_rows"):  # more blank item rows; nothing is saved
        return _emergency_list(request, ctx, actor, values=values, items=rows, extra_rows=5)
    payload = {**values, "items": [_item_payload(r) for r in rows if not _is_blank(r)]}
    try:
        data = EmergencyIn.model_validate(payload)
    except ValidationError as exc:
        return _emergency_list(
            request, ctx, actor, errors=_problems(exc, _EMERGENCY_LABELS), values=values, items=rows
        )
    try:
        collection = emergency.start(ctx, actor, **dict(data))
    except _FORM_ERRORS as exc:
        ctx.session.rollback()
        return _emergency_list(request, ctx, actor, errors=[exc.message], values=values, items=rows)
    return _go(
        f"/emergency/{collection.id}",
        f"已发起应急采集“{collection.title}”，采集截止 {collection.end_date.isoformat()}；"
        "请上传数据文件，截止日后须评估并封存或销毁",
    )


def _can_close(actor: Actor, collection: EmergencyCollection) -> bool:
    """Mirrors `emergency.close`'s rule so the page offers only the forms that can succeed."""
    return (
        actor.is_system
        or actor.is_authority
        or (Permission.POOL_LOAD in actor.permissions and actor.org_id == collection.org_id)
    )


def _latest_batch_id(ctx: Ctx, pool_id: int | None) -> int | None:
    if pool_id is None:
        return None
    return ctx.session.execute(select(func.max(Batch.id)).where(Batch.pool_id == pool_id)).scalar_one()


def _emergency_page(
    request: Request,
    ctx: Ctx,
    actor: Actor,
    collection_id: int,
    *,
    purpose: str = "",
    offset: int = 0,
    errors: list[str] | None = None,
    chosen: dict[str, str] | None = None,
) -> Response:
    c = emergency.get(ctx, actor, collection_id)  # pool.read, own department or jurisdiction
    view = _read_rows(
        f"/emergency/{c.id}",
        purpose,
        offset,
        lambda why, limit, at: emergency.rows(ctx, actor, c.id, why, limit=limit, offset=at),
    )
    batches = select(Batch).where(Batch.pool_id == c.pool_id).order_by(Batch.id.desc()).limit(50)
    items, today = json.loads(c.items), ctx.clock.today()
    active, authority = c.state == EmergencyState.ACTIVE, actor.is_authority or actor.is_system
    return render(
        request,
        "emergency/detail.html",
        status_code=422 if errors else view.status,
        c=c,
        org=ctx.session.get(Organization, c.org_id),
        users=_names(ctx, User, {c.created_by_id, c.closed_by_id}),
        items=items,
        subject=next((i for i in items if i.get("identifier_kind", "none") != "none"), None),
        late=active and c.id in {o.id for o in emergency.overdue(ctx, actor)},
        days_left=(c.end_date - today).days,
        can_load=active
        and today <= c.end_date
        and Permission.POOL_LOAD in actor.permissions
        and actor.org_id == c.org_id,
        can_close=_can_close(actor, c) and c.state != EmergencyState.DESTROYED,
        can_view=c.pool is not None and (active or (c.state == EmergencyState.SEALED and authority)),
        batches=ctx.session.execute(batches).scalars().all() if c.pool_id else [],
        errors=errors or [],
        chosen={"mode": "append", "on_reject": "skip", "assessment": "", "open": ""} | (chosen or {}),
        modes=[(m, MODE_LABELS[m], MODE_HELP[m]) for m in LoadMode],
        policies=[(p, POLICY_LABELS[p], POLICY_HELP[p]) for p in RejectPolicy],
        view=view,
        STATE=emergency.STATE_LABELS,
        STATUS=STATUS_LABELS,
        MODE=MODE_LABELS,
        num=num,
    )


@router.get("/emergency/{collection_id:int}")
def emergency_detail(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    collection_id: int,
    purpose: Purpose = "",
    offset: Offset = 0,
) -> Response:
    return _emergency_page(request, ctx, actor, collection_id, purpose=purpose, offset=offset)


def _done_message(batch: Batch) -> str:
    if batch.status == BatchStatus.FAILED:
        return f"批次 {batch.id} 未入库：{batch.message or '加载失败'}"
    return (
        f"批次 {batch.id} 已完成：新增 {num(batch.rows_loaded)} 行，更新 {num(batch.rows_updated)} 行，"
        f"问题行 {num(batch.rows_rejected)} 行"
    )


@router.post("/emergency/{collection_id:int}/upload", dependencies=[Csrf])
def emergency_upload(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    collection_id: int,
    file: Annotated[UploadFile | None, File()] = None,
    mode: Annotated[str, Form(max_length=20)] = "",
    on_reject: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    collection = emergency.get(ctx, actor, collection_id)
    require(actor, Permission.POOL_LOAD, org_id=collection.org_id, hide=True)
    chosen = {"mode": mode, "on_reject": on_reject}
    problems = [] if mode in set(LoadMode) else ["请选择加载方式（全量替换、按主键更新或追加）"]
    if on_reject not in set(RejectPolicy):
        problems.append("请选择问题行的处理方式（跳过问题行或有错即停）")
    filename = Path(file.filename or "").name if file is not None else ""
    if file is None or not filename:
        problems.append("请选择要上传的数据文件（CSV、XLSX 或 JSON Lines）")
    if problems or file is None:
        return _emergency_page(request, ctx, actor, collection_id, errors=problems, chosen=chosen)
    before = _latest_batch_id(ctx, collection.pool_id)
    try:
        with saved_upload(file, filename) as path:
            how = {"mode": LoadMode(mode), "reject_policy": RejectPolicy(on_reject), "source_name": filename}
            batch = emergency.load_file(ctx, actor, collection_id, path, **how)  # type: ignore[arg-type]
    except _FORM_ERRORS as exc:
        ctx.session.rollback()
        after = _latest_batch_id(ctx, emergency.get(ctx, actor, collection_id).pool_id)
        if after is not None and after != before:  # the file failed part-way: its batch says why
            return _go(f"/emergency/{collection_id}", f"批次 {after} 未入库：{exc.message}")
        return _emergency_page(request, ctx, actor, collection_id, errors=[exc.message], chosen=chosen)
    return _go(f"/emergency/{collection_id}", _done_message(batch))


@router.post("/emergency/{collection_id:int}/close", dependencies=[Csrf])
def emergency_close(
    request: Request,
    ctx: CtxDep,
    actor: PageActor,
    collection_id: int,
    disposal: Annotated[str, Form(max_length=10)] = "",
    assessment: Annotated[str, Form(max_length=4000)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Seal or destroy, with the assessment as the reason; destroying also needs the box ticked."""
    collection = emergency.get(ctx, actor, collection_id)
    if not _can_close(actor, collection):
        raise Forbidden("由发起采集的部门数据专员或数据主管机构处置")
    chosen = {"assessment": assessment, "open": disposal}
    try:
        text, problems = check_text(assessment), []
    except ValueError as exc:
        text, problems = "", [f"评估意见：{exc}"]
    if disposal == "destroy" and not confirm:
        problems.append("请勾选确认：销毁后数据将被永久删除，不能恢复")
    if problems:
        return _emergency_page(request, ctx, actor, collection_id, errors=problems, chosen=chosen)
    rows = collection.pool.row_count if collection.pool else 0
    try:
        closed = emergency.close(ctx, actor, collection_id, disposal, text)
    except _FORM_ERRORS as exc:
        ctx.session.rollback()
        return _emergency_page(request, ctx, actor, collection_id, errors=[exc.message], chosen=chosen)
    if closed.state == EmergencyState.SEALED:
        msg = f"应急采集“{closed.title}”已封存：数据保留备查，访问已关闭，不能再加载数据"
    else:
        msg = f"应急采集“{closed.title}”已销毁：删除数据 {num(rows)} 行，访问已关闭；采集记录与评估意见保留"
    return _go(f"/emergency/{collection_id}", msg)
