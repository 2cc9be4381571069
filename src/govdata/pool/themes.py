"""Thematic databases (POOL-4): the authority selects base-database and pool items for a theme (养老服务, …);
the selection is materialised as a table of one row per subject and refreshed on demand or on schedule.

Which subjects a theme holds: those present in its pool sources (the theme's own business data); base-database
fields only enrich them. A theme made of base fields alone holds the base database's subjects. A pool that keeps
several rows per subject contributes its most recently loaded one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    Text,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    union,
)
from sqlalchemy.sql.elements import ColumnElement

from govdata.audit.service import record
from govdata.authz import Actor, Permission, require
from govdata.catalog.models import BaseDatabase
from govdata.context import Ctx
from govdata.db import UtcDateTime
from govdata.errors import Conflict, InvalidInput, NotFound
from govdata.pool import queries
from govdata.pool.basedb import base_fields
from govdata.pool.models import BaseRecord, Pool, ThemeDatabase, ThemeField
from govdata.pool.tables import LOADED_AT, ROW_ID, SUBJECT, pool_table

SCHEDULES = {"manual": None, "daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}
SCHEDULE_LABELS = {"manual": "按需刷新", "daily": "每日刷新", "weekly": "每周刷新"}


@dataclass(frozen=True)
class FieldChoice:
    label: str
    source_kind: str  # base / pool
    base_kind: str | None = None
    field_key: str | None = None
    pool_id: int | None = None
    field_name: str | None = None


def _table(theme: ThemeDatabase) -> Table:
    columns = [Column("subject_id", String(18), primary_key=True)]
    columns += [Column(f.column_name, Text) for f in theme.fields]
    columns.append(Column("refreshed_at", UtcDateTime))
    return Table(theme.table_name, MetaData(), *columns)


def _subject_kind_of_pool(pool: Pool) -> str | None:
    return next((c.identifier_kind for c in pool.columns if c.field_name == pool.subject_field), None)


def define_theme(
    ctx: Ctx, actor: Actor, name: str, description: str, schedule: str, choices: list[FieldChoice]
) -> ThemeDatabase:
    require(actor, Permission.THEME_MANAGE)
    name, description = name.strip(), description.strip()
    if not name or len(name) > 100:
        raise InvalidInput("请填写主题库名称（不超过 100 字）")
    if schedule not in SCHEDULES:
        raise InvalidInput("刷新方式应为 manual（按需）、daily（每日）或 weekly（每周）")
    if not choices or len(choices) > 100:
        raise InvalidInput("主题库须选择 1–100 个信息项")
    if ctx.session.execute(select(ThemeDatabase.id).where(ThemeDatabase.name == name)).first():
        raise Conflict(f"已有名为“{name}”的主题库")
    kinds: set[str] = set()
    fields: list[ThemeField] = []
    for position, choice in enumerate(choices):
        if choice.source_kind == "base":
            kind = (
                BaseDatabase(choice.base_kind)
                if choice.base_kind in BaseDatabase.__members__.values()
                else None
            )
            offered = {f.key: f for f in base_fields(ctx, kind)} if kind else {}
            if kind is None or choice.field_key not in offered:
                raise InvalidInput(f"基础数据库中没有信息项“{choice.field_key}”（{choice.base_kind}）")
            kinds.add(_subject_kind_of_pool(offered[choice.field_key].pool) or "")
        elif choice.source_kind == "pool":
            pool = ctx.session.get(Pool, choice.pool_id) if choice.pool_id else None
            held = {c.field_name for c in pool.columns if not c.retired} if pool else set()
            if pool is None or choice.field_name not in held:
                raise InvalidInput(f"资源池中没有信息项 {choice.field_name}")
            queries.get_pool(ctx, actor, pool.resource_id)  # within the authority's jurisdiction
            if pool.subject_field is None:
                raise InvalidInput("所选资源池没有主体标识，不能按主体汇入主题库")
            kinds.add(_subject_kind_of_pool(pool) or "")
        else:
            raise InvalidInput("信息项来源应为 base（基础数据库）或 pool（资源池）")
        fields.append(
            ThemeField(
                position=position,
                column_name=f"f{position + 1}",
                label=choice.label.strip()[:100] or f"信息项{position + 1}",
                source_kind=choice.source_kind,
                base_kind=choice.base_kind,
                field_key=choice.field_key,
                pool_id=choice.pool_id,
                field_name=choice.field_name,
            )
        )
    if len(kinds) != 1:
        raise InvalidInput("主题库的信息项须针对同一类主体（都以公民身份号码或都以统一社会信用代码标识）")
    theme = ThemeDatabase(
        name=name,
        description=description,
        subject_kind=kinds.pop(),
        region_path=actor.region_path or "",
        schedule=schedule,
        table_name=f"tmp_theme_{ctx.clock.now().timestamp():.0f}",
        created_by_id=actor.user_id,
        created_at=ctx.clock.now(),
        fields=fields,
    )
    ctx.session.add(theme)
    ctx.session.flush()
    theme.table_name = f"theme_t{theme.id:06d}"
    _table(theme).create(ctx.session.connection())
    record(ctx, actor, "theme.define", "theme_database", theme.id,
           detail={"name": name, "fields": [f.label for f in fields], "schedule": schedule})  # fmt: skip
    return theme


def _value(
    field: ThemeField, subject: ColumnElement[str], pools: dict[int, Pool]
) -> ColumnElement[str | None]:
    if field.source_kind == "base":
        return (
            select(BaseRecord.value)
            .where(
                BaseRecord.base_kind == field.base_kind,
                BaseRecord.field_key == field.field_key,
                BaseRecord.subject_id == subject,
            )
            .scalar_subquery()
        )
    table = pool_table(pools[field.pool_id]).alias(f"src_{field.column_name}")  # type: ignore[arg-type, index]
    return (
        select(cast(table.c[field.field_name], String))
        .where(table.c[SUBJECT] == subject)
        .order_by(table.c[LOADED_AT].desc(), table.c[ROW_ID].desc())
        .limit(1)
        .scalar_subquery()
    )


def refresh(ctx: Ctx, actor: Actor, theme_id: int) -> ThemeDatabase:
    """Rebuild the materialised table in one transaction: readers see the old content until it commits."""
    require(actor, Permission.THEME_MANAGE)
    theme = get_theme(ctx, actor, theme_id)
    pools = {f.pool_id: ctx.session.get(Pool, f.pool_id) for f in theme.fields if f.pool_id}
    if any(p is None for p in pools.values()):
        raise NotFound("主题库引用的资源池已不存在，请重新定义主题库")
    subject_sources = []
    for p in pools.values():
        source = pool_table(p)  # type: ignore[arg-type]
        subject_sources.append(
            select(source.c[SUBJECT].label("subject_id")).where(source.c[SUBJECT].is_not(None))
        )
    if not subject_sources:
        keys = [(f.base_kind, f.field_key) for f in theme.fields]
        subject_sources = [
            select(BaseRecord.subject_id.label("subject_id")).where(
                BaseRecord.base_kind == kind, BaseRecord.field_key == key
            )
            for kind, key in keys
        ]
    subjects = union(*subject_sources).subquery("subjects")
    subject = subjects.c.subject_id
    table = _table(theme)
    now = ctx.clock.now()
    rows = select(
        subject,
        *[_value(f, subject, pools) for f in theme.fields],
        literal(now, UtcDateTime()),  # type: ignore[arg-type]
    )
    ctx.session.execute(delete(table))
    ctx.session.execute(
        insert(table).from_select(
            ["subject_id", *[f.column_name for f in theme.fields], "refreshed_at"], rows
        )
    )
    theme.row_count = ctx.session.execute(select(func.count()).select_from(table)).scalar_one()
    theme.refreshed_at = now
    record(ctx, actor, "theme.refresh", "theme_database", theme.id, detail={"rows": theme.row_count})
    return theme


def next_refresh(theme: ThemeDatabase) -> dt.datetime | None:
    """When the schedule wants the next refresh; None for manual themes and for scheduled ones never refreshed."""
    period = SCHEDULES.get(theme.schedule)
    if period is None or theme.refreshed_at is None:
        return None
    return theme.refreshed_at + period


def is_due(theme: ThemeDatabase, now: dt.datetime) -> bool:
    """Due once a scheduled period has passed since the last refresh (at once if never refreshed)."""
    if SCHEDULES.get(theme.schedule) is None:
        return False
    upcoming = next_refresh(theme)
    return upcoming is None or upcoming <= now


def refresh_due(ctx: Ctx, actor: Actor) -> list[ThemeDatabase]:
    """The scheduled refresh: every theme whose schedule says it is due (run by `govdata theme refresh --due`)."""
    require(actor, Permission.THEME_MANAGE)
    now = ctx.clock.now()
    return [refresh(ctx, actor, theme.id) for theme in list_themes(ctx, actor) if is_due(theme, now)]


def list_themes(ctx: Ctx, actor: Actor) -> list[ThemeDatabase]:
    require(actor, Permission.BASE_READ)
    stmt = select(ThemeDatabase).order_by(ThemeDatabase.id)
    if not actor.is_system:
        stmt = stmt.where(ThemeDatabase.region_path.startswith(actor.region_path or "-", autoescape=True))
    return list(ctx.session.execute(stmt).scalars())


def get_theme(ctx: Ctx, actor: Actor, theme_id: int) -> ThemeDatabase:
    require(actor, Permission.BASE_READ)
    theme = ctx.session.get(ThemeDatabase, theme_id)
    if theme is None or not (actor.is_system or theme.region_path.startswith(actor.region_path or "-")):
        raise NotFound(f"主题库 {theme_id} 不存在或无权查看")
    return theme


def theme_rows(
    ctx: Ctx, actor: Actor, theme_id: int, purpose: str, *, limit: int = 50, offset: int = 0
) -> tuple[list[str], list[tuple[object, ...]]]:
    """(labels, rows) of the materialised theme; reading it is data access, recorded with its purpose."""
    theme = get_theme(ctx, actor, theme_id)
    if len(purpose.strip()) < 2:
        raise InvalidInput("查看主题库数据须说明用途")
    table = _table(theme)
    rows = ctx.session.execute(
        select(table).order_by(table.c.subject_id).limit(min(limit, 500)).offset(max(offset, 0))
    ).all()
    record(
        ctx,
        actor,
        "theme.read",
        "theme_database",
        theme.id,
        purpose=purpose.strip(),
        detail={"rows": len(rows)},
    )
    return ["主体标识", *[f.label for f in theme.fields], "刷新时间"], [tuple(r) for r in rows]
