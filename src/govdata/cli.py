"""The `govdata` command line: set-up, serving, the demo, and operator tasks."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from govdata.authz import system_actor
from govdata.clock import SystemClock
from govdata.config import get_settings
from govdata.context import Ctx
from govdata.db import has_schema, make_engine, make_session_factory, session_scope
from govdata.errors import DomainError
from govdata.supervision.jobs_cli import jobs_app
from govdata.supervision.project_cli import asset_app, project_app
from govdata.supervision.report_cli import evaluation_app

app = typer.Typer(help="govdata 政务数据资源管理平台", no_args_is_help=True, add_completion=False)
profile_app = typer.Typer(help="管理办法配置（时限、流程）", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历", no_args_is_help=True)
user_app = typer.Typer(help="用户", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
pool_app = typer.Typer(help="部门资源池（数据归集）", no_args_is_help=True)
theme_app = typer.Typer(help="主题数据库", no_args_is_help=True)
share_app = typer.Typer(help="共享交换", no_args_is_help=True)
open_app = typer.Typer(help="开放平台", no_args_is_help=True)
quality_app = typer.Typer(help="数据校核（校核申请）", no_args_is_help=True)
app.add_typer(profile_app, name="profile")
app.add_typer(calendar_app, name="calendar")
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(pool_app, name="pool")
app.add_typer(theme_app, name="theme")
app.add_typer(share_app, name="share")
app.add_typer(open_app, name="open")
app.add_typer(jobs_app, name="jobs")
app.add_typer(quality_app, name="quality")
app.add_typer(project_app, name="project")
app.add_typer(asset_app, name="asset")
app.add_typer(evaluation_app, name="evaluation")

out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def fail(exc: DomainError) -> typer.Exit:
    err.print(f"[bold red]错误：[/]{exc.message}", highlight=False)
    return typer.Exit(exc.exit_code)


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body; a domain error becomes its message on stderr and a non-zero exit."""
    try:
        return fn()
    except DomainError as exc:
        raise fail(exc) from exc


@contextmanager
def context(*, migrate: bool = False) -> Iterator[Ctx]:
    engine = make_engine(get_settings().database_url)
    try:
        if migrate:
            from govdata.migrate import upgrade

            upgrade(engine)
        elif not has_schema(engine):
            raise fail(DomainError("数据库尚未初始化：请先运行 `govdata init --profile 名称`"))
        with session_scope(make_session_factory(engine)) as session:
            yield Ctx(session=session, clock=SystemClock())
    finally:
        engine.dispose()


@app.command()
def init(profile: Annotated[str, typer.Option("--profile", help="内置配置名或 YAML 文件路径")]) -> None:
    """创建或升级数据库结构，并选定适用的管理办法。"""

    def run() -> None:
        with context(migrate=True) as ctx:
            chosen = ctx.profile if _has_profile(ctx) else None
            result = _init(ctx, profile)
            out.print(f"已初始化：{get_settings().database_url}")
            if chosen and chosen.name != result.name:
                out.print(f"适用办法已由「{chosen.regulation}」改为「{result.regulation}」")
            else:
                out.print(f"适用办法：{result.regulation}")

    guarded(run)


def _has_profile(ctx: Ctx) -> bool:
    from govdata.org.service import get_setting

    return get_setting(ctx.session, "profile") is not None


def _init(ctx: Ctx, profile: str):  # type: ignore[no-untyped-def]
    from govdata.org.service import init_deployment

    return init_deployment(ctx, system_actor("govdata init"), profile)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
) -> None:
    """启动 Web 服务（页面、API）。"""
    engine = make_engine(get_settings().database_url)
    if not has_schema(engine):
        raise fail(DomainError("数据库尚未初始化：请先运行 `govdata init --profile 名称` 或 `govdata demo`"))
    _serve(host, port)


def _serve(host: str, port: int) -> None:
    import uvicorn

    from govdata.app import create_app
    from govdata.supervision.jobs import start_scheduler

    web = create_app()
    scheduler = start_scheduler(web.state.session_factory, web.state.clock)  # GOVDATA_JOBS_INTERVAL_MINUTES
    if scheduler is not None:
        out.print(f"定时任务：每 {scheduler.interval / 60:g} 分钟运行一次（GOVDATA_JOBS_INTERVAL_MINUTES=0 关闭）")
    out.print(f"服务地址：http://{host}:{port}/    API 文档：http://{host}:{port}/docs")
    uvicorn.run(web, host=host, port=port, log_level="info")
    if scheduler is not None:
        scheduler.stop()


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="载入后是否启动服务")] = True,
) -> None:
    """载入演示辖区（四川省样例：省、2 个市州、3 个县区，部门、用户、目录），然后启动服务。可重复运行。"""
    from govdata.demo.loader import load_demo

    def run() -> None:
        from rich.table import Table

        with context(migrate=True) as ctx:
            report = load_demo(ctx)
        out.print(report.headline, highlight=False)
        table = Table(title="演示账号（登录后可在“API 令牌”页创建接口令牌）", show_lines=False)
        for column in ("用户名", "密码", "角色", "姓名", "单位"):
            table.add_column(column, no_wrap=column in ("用户名", "密码"))
        for row in report.users:
            table.add_row(*row)
        out.print(table)
        if report.app_credential:
            out.print(
                f"民政厅应用系统的共享交换凭证（只显示这一次）：{report.app_credential}\n"
                "调用示例：GET /api/v1/exchange/<目录条目编号>/records/<公民身份号码>?purpose=最低生活保障对象身份与户籍核查，"
                "请求头 Authorization: Bearer <凭证>",
                highlight=False,
                soft_wrap=True,  # the credential must stay on one line to be copied whole
            )

    guarded(run)
    if serve_after:
        _serve(host, port)


@app.command()
def migrate() -> None:
    """把数据库结构升级到最新版本。"""
    with context(migrate=True):
        out.print("数据库结构已是最新")


# ---------------------------------------------------------------- profile


@profile_app.command("show")
def profile_show(name: Annotated[str, typer.Argument(help="内置配置名或 YAML 文件路径")]) -> None:
    """显示一个管理办法配置的全部时限与流程。"""
    from govdata.profiles.loader import load_profile, profile_as_text

    out.print(guarded(lambda: profile_as_text(load_profile(name))), highlight=False)


@profile_app.command("list")
def profile_list() -> None:
    """列出内置的管理办法配置。"""
    from govdata.profiles.loader import builtin_names, load_profile

    for name in builtin_names():
        out.print(f"{name:10} {load_profile(name).regulation}", highlight=False)


# ---------------------------------------------------------------- calendar


@calendar_app.command("add-workdays")
def add_workdays(
    date: Annotated[str, typer.Argument(help="起算日期 YYYY-MM-DD（当日不计）")],
    n: Annotated[int, typer.Argument(help="工作日数")],
) -> None:
    """打印 DATE 之后第 N 个工作日的日期。"""
    from govdata.errors import InvalidInput

    def run() -> None:
        try:
            start = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise InvalidInput(f"日期格式应为 YYYY-MM-DD：{date}") from exc
        if n < 0:
            raise InvalidInput("工作日数不能为负数")
        out.print(_calendar().add_workdays(start, n).isoformat())

    guarded(run)


def _calendar():  # type: ignore[no-untyped-def]
    """The deployment's calendar when a database exists, else the shipped years alone."""
    from govdata.workdays.calendar import WorkCalendar
    from govdata.workdays.service import calendar_for

    engine = make_engine(get_settings().database_url)
    try:
        if has_schema(engine):
            with session_scope(make_session_factory(engine)) as session:
                return calendar_for(session)
        return WorkCalendar.builtin()
    finally:
        engine.dispose()


@calendar_app.command("load")
def calendar_load(file: Annotated[Path, typer.Argument(help="年度节假日安排 JSON 文件")]) -> None:
    """载入新一年的国务院节假日安排（JSON，格式见 govdata/workdays/calendar.py）。"""
    from govdata.errors import InvalidInput
    from govdata.workdays.service import load_year

    def run() -> None:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"无法读取文件 {file}：{exc.strerror}") from exc
        with context() as ctx:
            schedule, replaced = load_year(ctx, system_actor("govdata calendar load"), raw)
        verb = "已更新" if replaced else "已载入"
        out.print(
            f"{verb} {schedule.year} 年工作日历：{len(schedule.holidays)} 个节假日，"
            f"{len(schedule.workdays)} 个调休上班日（{schedule.source}）",
            highlight=False,
        )

    guarded(run)


# ---------------------------------------------------------------- users


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="用户名")],
    name: Annotated[str, typer.Option(help="姓名")],
    role: Annotated[str, typer.Option(help="角色：authority_admin / authority_reviewer / dept_officer / …")],
    org: Annotated[str | None, typer.Option(help="所属单位全称")] = None,
    password: Annotated[str | None, typer.Option(help="初始密码（不填则交互输入）")] = None,
    end_date: Annotated[str | None, typer.Option(help="账号到期日（技术服务单位必填）")] = None,
    subject_kind: Annotated[str | None, typer.Option(help="公众用户：person / organisation")] = None,
    subject_id: Annotated[str | None, typer.Option(help="公众用户的公民身份号码或统一社会信用代码")] = None,
) -> None:
    """新建用户。"""
    from sqlalchemy import select

    from govdata.errors import InvalidInput, NotFound
    from govdata.org.models import Organization, Role, SubjectKind
    from govdata.org.service import NewUser, create_user

    secret = password or typer.prompt("初始密码", hide_input=True, confirmation_prompt=True)

    def run() -> None:
        try:
            role_value = Role(role)
            kind = SubjectKind(subject_kind) if subject_kind else None
            end = dt.date.fromisoformat(end_date) if end_date else None
        except ValueError as exc:
            raise InvalidInput(f"参数取值无效：{exc}") from exc
        with context() as ctx:
            org_id = None
            if org:
                found = (
                    ctx.session.execute(select(Organization).where(Organization.name == org)).scalars().all()
                )
                if not found:
                    raise NotFound(f"单位“{org}”不存在")
                if len(found) > 1:
                    raise InvalidInput(f"有多个单位名为“{org}”，请使用 API 按单位编号创建")
                org_id = found[0].id
            user = create_user(
                ctx,
                system_actor("govdata user create"),
                NewUser(username, name, role_value, secret, org_id, end, kind, subject_id),
            )
            out.print(f"已创建用户 {user.username}（{user.display_name}）", highlight=False)

    guarded(run)


# ---------------------------------------------------------------- audit


@audit_app.command("verify")
def audit_verify() -> None:
    """重新计算审计日志哈希链；完整则退出码 0，否则指出第一条断裂的事件并以非零退出。"""
    from govdata.audit.service import verify

    def run() -> None:
        with context() as ctx:
            result = verify(ctx, system_actor("govdata audit verify"))
        if result.ok:
            out.print(result.message())
            return
        err.print(f"[bold red]{result.message()}[/]", highlight=False)
        raise typer.Exit(6)

    guarded(run)


@audit_app.command("purge")
def audit_purge(before: Annotated[str, typer.Option(help="删除此日期之前的事件 YYYY-MM-DD")]) -> None:
    """删除超过保存期限的审计事件和共享交换调用记录（保存期内的拒绝删除）。"""
    from govdata.audit.service import purge_before
    from govdata.clock import CHINA_TZ
    from govdata.errors import InvalidInput
    from govdata.sharing.service import purge_call_log

    def run() -> None:
        try:
            day = dt.date.fromisoformat(before)
        except ValueError as exc:
            raise InvalidInput(f"日期格式应为 YYYY-MM-DD：{before}") from exc
        with context() as ctx:
            moment = dt.datetime.combine(day, dt.time(), CHINA_TZ)
            actor = system_actor("govdata audit purge")
            count = purge_before(ctx, actor, moment)
            calls = purge_call_log(ctx, actor, moment)
        out.print(f"已删除 {count} 条超过保存期限的审计事件、{calls} 条共享交换调用记录")

    guarded(run)


# ---------------------------------------------------------------- pools


def _acting(ctx: Ctx, username: str | None, command: str):  # type: ignore[no-untyped-def]
    """The CLI acts as a named user (recorded in the audit log) or, on the server itself, as the system."""
    from govdata.org.service import actor_for, user_by_username

    return actor_for(user_by_username(ctx.session, username)) if username else system_actor(command)


def _load_modes(mode: str, on_reject: str):  # type: ignore[no-untyped-def]
    from govdata.errors import InvalidInput
    from govdata.pool.models import LoadMode, RejectPolicy

    try:
        return LoadMode(mode), RejectPolicy(on_reject)
    except ValueError as exc:
        raise InvalidInput("--mode 应为 replace / upsert / append，--on-reject 应为 skip / abort") from exc


def _run_load(as_user: str | None, command: str, json_out: bool, load) -> None:  # type: ignore[no-untyped-def]
    """Run one batch with a progress bar, then print its summary; a failed batch exits non-zero."""
    import json

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with context() as ctx:
        actor = _acting(ctx, as_user, command)
        with Progress(
            TextColumn("[bold]加载中"),
            BarColumn(),
            TextColumn("{task.completed:,} 行"),
            TimeElapsedColumn(),
            console=err,
            disable=json_out or not err.is_terminal,
            transient=True,
        ) as bar:
            task = bar.add_task("load", total=None)
            batch = load(ctx, actor, lambda n: bar.update(task, completed=n))
        summary = {
            "batch_id": batch.id, "status": batch.status.value, "pool": batch.pool.table_name,
            "source": batch.source, "encoding": batch.encoding, "mode": batch.mode.value,
            "rows_read": batch.rows_read, "rows_loaded": batch.rows_loaded, "rows_updated": batch.rows_updated,
            "rows_unchanged": batch.rows_unchanged, "rows_rejected": batch.rows_rejected,
            "rows_deleted": batch.rows_deleted, "warnings": batch.warnings, "duration_ms": batch.duration_ms,
            "message": batch.message,
        }  # fmt: skip
    if json_out:
        out.print_json(json.dumps(summary, ensure_ascii=False))
    else:
        verdict = "成功" if batch.status.value == "succeeded" else "失败"
        out.print(
            f"批次 {batch.id} {verdict}：读取 {batch.rows_read:,} 行，新增 {batch.rows_loaded:,}，"
            f"更新 {batch.rows_updated:,}，未变 {batch.rows_unchanged:,}，问题行 {batch.rows_rejected:,}，"
            f"用时 {(batch.duration_ms or 0) / 1000:.1f} 秒",
            highlight=False,
        )
        if batch.rows_rejected:
            out.print(f"问题清单：GET /api/v1/batches/{batch.id}/rejects.csv", highlight=False)
        if batch.message:
            err.print(batch.message, highlight=False)
    if batch.status.value != "succeeded":
        raise typer.Exit(7)


ModeOpt = Annotated[str, typer.Option(help="replace 全量替换 / upsert 按主键更新 / append 追加")]
RejectOpt = Annotated[str, typer.Option(help="skip 跳过问题行 / abort 有错即停")]
AsUserOpt = Annotated[str | None, typer.Option("--as-user", help="以该部门用户的身份加载（记入审计日志）")]
JsonOpt = Annotated[bool, typer.Option("--json", help="输出机器可读的 JSON 摘要")]


@pool_app.command("load")
def pool_load(
    entry: Annotated[str, typer.Argument(help="目录条目编号或资源代码")],
    file: Annotated[Path, typer.Argument(help="数据文件：CSV（UTF-8/GBK/GB18030）、XLSX 或 JSON Lines")],
    mode: ModeOpt = "upsert",
    on_reject: RejectOpt = "skip",
    fmt: Annotated[str | None, typer.Option("--format", help="csv / xlsx / jsonl（默认按扩展名）")] = None,
    encoding: Annotated[str | None, typer.Option(help="指定编码（默认自动识别）")] = None,
    as_user: AsUserOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """把数据文件加载到目录条目的资源池（整批原子：要么全部入库，要么保持原样）。"""
    from govdata.errors import InvalidInput
    from govdata.pool.service import load_file

    def run() -> None:
        load_mode, policy = _load_modes(mode, on_reject)
        if not file.is_file():
            raise InvalidInput(f"找不到文件：{file}")
        _run_load(
            as_user,
            "govdata pool load",
            json_out,
            lambda ctx, actor, progress: load_file(
                ctx,
                actor,
                entry,
                file,
                mode=load_mode,
                reject_policy=policy,
                fmt=fmt,
                encoding=encoding,
                progress=progress,
            ),
        )

    guarded(run)


@pool_app.command("pull")
def pool_pull(
    entry: Annotated[str, typer.Argument(help="目录条目编号或资源代码")],
    url: Annotated[str, typer.Option(help="部门业务库的 SQLAlchemy 地址，如 postgresql://user:pw@host/db")],
    table: Annotated[str, typer.Option(help="表名（可带 schema，如 biz.person）")],
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="列映射 源列=信息项（字段名或中文名），可重复；不填则按同名"),
    ] = None,
    mode: ModeOpt = "upsert",
    on_reject: RejectOpt = "skip",
    as_user: AsUserOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """从部门自己的数据库表拉取数据到资源池（“实时数据库表”共享渠道）。仅在服务器上由运维执行。"""
    from govdata.errors import InvalidInput
    from govdata.pool.service import load_database

    def run() -> None:
        load_mode, policy = _load_modes(mode, on_reject)
        mapping: dict[str, str] | None = None
        if map_:
            mapping = {}
            for pair in map_:
                source, sep, target = pair.partition("=")
                if not sep or not source.strip() or not target.strip():
                    raise InvalidInput(f"列映射应写成 源列=信息项：{pair}")
                mapping[source.strip()] = target.strip()
        _run_load(
            as_user,
            "govdata pool pull",
            json_out,
            lambda ctx, actor, progress: load_database(
                ctx,
                actor,
                entry,
                url,
                table,
                mapping,
                mode=load_mode,
                reject_policy=policy,
                progress=progress,
            ),
        )

    guarded(run)


@theme_app.command("refresh")
def theme_refresh(
    theme_id: Annotated[int | None, typer.Argument(help="主题库编号；不填则配合 --due 使用")] = None,
    due: Annotated[bool, typer.Option("--due", help="刷新所有按计划到期的主题库（供定时任务调用）")] = False,
) -> None:
    """刷新主题数据库：指定编号立即刷新，或 --due 刷新按计划到期的全部主题库。"""
    from govdata.errors import InvalidInput
    from govdata.pool import themes

    def run() -> None:
        if (theme_id is None) == (not due):
            raise InvalidInput("请指定主题库编号，或使用 --due 刷新到期的主题库（二者选一）")
        with context() as ctx:
            actor = system_actor("govdata theme refresh")
            done = themes.refresh_due(ctx, actor) if due else [themes.refresh(ctx, actor, theme_id)]  # type: ignore[arg-type]
            for theme in done:
                out.print(f"已刷新主题库 {theme.id}「{theme.name}」：{theme.row_count:,} 行", highlight=False)
            if not done:
                out.print("没有到期需要刷新的主题库")

    guarded(run)


@share_app.command("sweep")
def share_sweep() -> None:
    """逾期未答复（或未开通）的共享申请转数据主管机构协调，并记为疑似违规（供定时任务调用，可重复运行）。"""
    from govdata.sharing import service as sharing

    def run() -> None:
        with context() as ctx:
            late = sharing.sweep_overdue(ctx, system_actor("govdata share sweep"))
            for request in late:
                out.print(
                    f"共享申请 {request.id}（{request.purpose}）已逾期，转主管机构协调", highlight=False
                )
            out.print(f"共 {len(late)} 件逾期申请" if late else "没有新逾期的共享申请")

    guarded(run)


@open_app.command("sweep")
def open_sweep() -> None:
    """开放事项的时限：逾期未答复的有条件开放申请和开放目录纠错申请记为疑似违规（只记一次），使用期限届满的申请终止
    （供定时任务每日调用，可重复运行）。"""
    from govdata.opendata import applications, feedback

    def run() -> None:
        with context() as ctx:
            done = applications.sweep(ctx, system_actor("govdata open sweep"))
            for application in done.flagged:
                out.print(
                    f"有条件开放申请 {application.id} 逾期未答复（应于 {application.due_date} 前），记为疑似违规",
                    highlight=False,
                )
            for application in done.ended:
                out.print(
                    f"有条件开放申请 {application.id} 使用期限已于 {application.access_until} 届满，已终止",
                    highlight=False,
                )
            late = feedback.sweep(ctx, system_actor("govdata open sweep"))
            for correction in late:
                out.print(
                    f"开放目录纠错申请 {correction.id} 逾期未答复（应于 {correction.due_date} 前），记为疑似违规",
                    highlight=False,
                )
            if not done.flagged and not done.ended and not late:
                out.print("没有新逾期或到期的开放事项")

    guarded(run)


@quality_app.command("sweep")
def quality_sweep() -> None:
    """逾期未转交、逾期未答复的校核申请记为疑似违规（每件只记一次；供定时任务每日调用，可重复运行）。"""
    from govdata.quality import corrections

    def run() -> None:
        with context() as ctx:
            flagged = corrections.sweep(ctx)
            out.print(f"{flagged} 件校核申请逾期，已记为疑似违规" if flagged else "没有新逾期的校核申请")

    guarded(run)


from govdata.backup.cli import backup, restore  # noqa: E402  (they import this module's helpers lazily)

app.command()(backup)
app.command()(restore)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
