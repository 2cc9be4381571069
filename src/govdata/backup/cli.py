"""`govdata backup` / `govdata restore` (SEC-6): commands only call `govdata.backup.archive`; `govdata.cli`
adds them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from govdata.clock import SystemClock
from govdata.config import get_settings
from govdata.db import make_engine
from govdata.errors import DomainError


def backup(
    file: Annotated[Path, typer.Argument(help="备份文件路径（.zip）")],
    encrypt: Annotated[bool, typer.Option("--encrypt", help="用 SM4 加密，密钥取自环境变量 GOVDATA_BACKUP_KEY")] = False,
) -> None:
    """把整个数据库（含资源池数据表和审计日志）备份为一个可移植文件；SQLite 与 PostgreSQL 通用。"""
    from sqlalchemy.exc import OperationalError

    from govdata.backup.archive import backup as run_backup
    from govdata.backup.crypto import key_from_env
    from govdata.cli import err, guarded, out

    def run() -> None:
        key = key_from_env() if encrypt else None
        engine = make_engine(get_settings().database_url)
        try:
            with out.status("正在备份…") as status:
                manifest = run_backup(engine, file, SystemClock(), lambda m: status.update(m), key=key)
        except OperationalError as exc:
            raise DomainError(f"无法读取数据库（GOVDATA_DATABASE_URL）：{exc.orig}") from None
        finally:
            engine.dispose()
        rows = sum(t["rows"] for t in manifest["tables"])
        out.print(f"已备份 {len(manifest['tables'])} 张表，共 {rows} 行，结构版本 {manifest['revision']}：{file}",
                  highlight=False)  # fmt: skip
        for name in manifest["skipped"]:
            err.print(f"[yellow]未备份：{name}（不是本平台的表）[/]", highlight=False)

    guarded(run)


def restore(file: Annotated[Path, typer.Argument(help="govdata backup 生成的备份文件")]) -> None:
    """把备份恢复到 GOVDATA_DATABASE_URL 指向的空数据库，并核对每张表的行数、SM3 摘要和审计哈希链；
    任何不一致以非零退出。加密的备份从环境变量 GOVDATA_BACKUP_KEY 取密钥。"""
    from sqlalchemy.exc import OperationalError

    from govdata.backup.archive import describe
    from govdata.backup.archive import restore as run_restore
    from govdata.backup.crypto import KEY_ENV, key_from_env
    from govdata.cli import err, guarded, out

    def run() -> None:
        key = key_from_env() if os.environ.get(KEY_ENV) else None
        engine = make_engine(get_settings().database_url)
        try:
            with out.status("正在恢复…") as status:
                report = run_restore(engine, file, SystemClock(), lambda m: status.update(m), key=key)
        except OperationalError as exc:
            raise DomainError(f"无法写入目标数据库（GOVDATA_DATABASE_URL）：{exc.orig}") from None
        finally:
            engine.dispose()
        for line in describe(report):
            (out if report.ok else err).print(line, highlight=False)
        if not report.ok:
            err.print("[bold red]恢复后的数据与备份不一致[/]")
            raise typer.Exit(6)

    guarded(run)
