"""`govdata project …` and `govdata asset …`: the acceptance checklist of an IT project (CAT-7) and the data asset
registry (DEV-1) for operators. Commands only call the use cases; `govdata.cli` adds these apps."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

project_app = typer.Typer(help="政务信息化项目（项目数据资源目录、验收条件）", no_args_is_help=True)
asset_app = typer.Typer(help="政务数据资产登记", no_args_is_help=True)

AsUser = Annotated[
    str | None, typer.Option("--as", help="以该用户身份执行（记入审计日志）；省略时以系统身份")
]


@project_app.command("checklist")
def project_checklist(code: Annotated[str, typer.Argument(help="项目编号")]) -> None:
    """逐条列出项目数据资源目录的验收条件（目录条目是否已发布、资源池是否已汇聚数据）；未满足时退出码为 1。"""
    from govdata.cli import context, guarded, out
    from govdata.errors import NotFound
    from govdata.supervision import projects
    from govdata.supervision.project_models import Project

    def run() -> bool:
        with context() as ctx:
            project = ctx.session.scalar(select(Project).where(Project.code == code))
            if project is None:
                raise NotFound(f"项目编号“{code}”不存在")
            rows = projects.checklist(ctx, project)
            out.print(
                f"{project.code} {project.name}（{projects.STATE_LABELS[project.state]}）", highlight=False
            )
            if not rows:
                out.print("  ✗ 尚未编制项目数据资源目录", highlight=False)
            for r in rows:
                mark = "✗ " + "；".join(r.problems) if r.problems else f"✓ 已发布，资源池 {r.rows} 行"
                out.print(f"  {r.code} {r.name}：{mark}", highlight=False)
            return bool(rows) and not any(r.problems for r in rows)

    if not guarded(run):
        raise typer.Exit(1)


@asset_app.command("register-all")
def asset_register_all(as_user: AsUser = None) -> None:
    """把本级及下级尚未登记的已发布目录条目全部登记为数据资产（状态“在用”，价值待评估；可重复运行）。"""
    from govdata.authz import system_actor
    from govdata.cli import _acting, context, guarded, out
    from govdata.supervision import assets

    def run() -> None:
        with context() as ctx:
            actor = (
                _acting(ctx, as_user, "govdata asset register-all")
                if as_user
                else system_actor("govdata asset")
            )
            made = assets.register_all(ctx, actor)
            out.print(
                f"已登记 {len(made)} 项数据资产" if made else "没有尚未登记的已发布目录条目", highlight=False
            )

    guarded(run)


@asset_app.command("export")
def asset_export(
    file: Annotated[Path, typer.Argument(help="导出的 CSV 文件路径")], as_user: AsUser = None
) -> None:
    """导出数据资产登记表（CSV，UTF-8 带 BOM，可直接用电子表格打开）。"""
    from govdata.authz import system_actor
    from govdata.cli import _acting, context, guarded, out
    from govdata.supervision import assets

    def run() -> None:
        with context() as ctx:
            actor = (
                _acting(ctx, as_user, "govdata asset export") if as_user else system_actor("govdata asset")
            )
            body = assets.export_csv(ctx, actor)
            file.write_bytes(body)
            lines = len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) - 1
            out.print(f"已导出 {lines} 项数据资产到 {file}", highlight=False)

    guarded(run)
