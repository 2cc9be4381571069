"""`govdata jobs …`: run the scheduled jobs by hand or from cron (the same ones `govdata serve` runs);
`govdata.cli` adds this app."""

from __future__ import annotations

from typing import Annotated

import typer

from govdata.clock import SystemClock
from govdata.config import get_settings
from govdata.db import has_schema, make_engine, make_session_factory
from govdata.errors import DomainError

jobs_app = typer.Typer(help="定时任务（逾期清理、违规检测、整改逾期报告）", no_args_is_help=True)


@jobs_app.command("run")
def jobs_run(
    only: Annotated[str | None, typer.Option("--only", help="只运行这一个任务（名称见 `govdata jobs list`）")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="以 JSON 输出每个任务的结果")] = False,
) -> None:
    """运行定时任务（全部或一个）：每个任务单独提交，一个失败不影响其他任务；可重复运行。"""
    import json

    from govdata.cli import fail, guarded, out
    from govdata.supervision import jobs

    def run() -> None:
        engine = make_engine(get_settings().database_url)
        try:
            if not has_schema(engine):
                raise fail(DomainError("数据库尚未初始化：请先运行 `govdata init --profile 名称`"))
            runs = jobs.run_jobs(make_session_factory(engine), SystemClock(), only)
        finally:
            engine.dispose()
        if json_out:
            rows = [{"name": r.name, "outcome": r.outcome, "counts": json.loads(r.counts), "message": r.message,
                     "started_at": r.started_at.isoformat(), "finished_at": r.finished_at.isoformat()
                     if r.finished_at else None} for r in runs]  # fmt: skip
            out.print_json(json.dumps(rows, ensure_ascii=False))
        else:
            labels = {j.name: j.label for j in jobs.JOBS}
            for r in runs:
                counts = "，".join(f"{k} {v}" for k, v in json.loads(r.counts).items()) or "—"
                state = "完成" if r.outcome == "ok" else f"失败：{r.message}"
                out.print(f"{r.name}（{labels.get(r.name, '')}）：{state}；{counts}", highlight=False)
        if any(r.outcome != "ok" for r in runs):
            raise typer.Exit(1)

    guarded(run)


@jobs_app.command("list")
def jobs_list() -> None:
    """列出已登记的定时任务。"""
    from govdata.cli import out
    from govdata.supervision import jobs

    for job in jobs.JOBS:
        out.print(f"{job.name}\t{job.label}", highlight=False)
