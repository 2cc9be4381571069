"""`govdata evaluation …`: compute a year's evaluation and print the ranking (SUP-2), and write an annual
report as a PDF (SUP-3). Commands only call the use cases; `govdata.cli` adds this app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

evaluation_app = typer.Typer(help="年度考核评估与年度报告", no_args_is_help=True)

AsUser = Annotated[str, typer.Option("--as", help="以该用户身份执行（记入审计日志），如数据主管机构管理员")]


@evaluation_app.command("run")
def evaluation_run(
    year: Annotated[int, typer.Argument(help="评估年度；本年度统计到今天")], as_user: AsUser
) -> None:
    """按平台记录计算（或重新计算）本级各部门的年度考核评估草稿，并打印综合排名。"""
    from govdata.cli import _acting, context, guarded, out
    from govdata.profiles.labels import EVALUATION_LABELS
    from govdata.supervision import evaluation

    def run() -> None:
        with context() as ctx:
            actor = _acting(ctx, as_user, "govdata evaluation run")
            result = evaluation.run_evaluation(ctx, actor, year)
            out.print(f"{evaluation.year_label(result)}考核评估（草稿）已计算：", highlight=False)
            dims = "  ".join(EVALUATION_LABELS.values())
            out.print(f"  排名  综合   {dims}  部门", highlight=False)
            for r in evaluation.results(ctx, actor, result):
                scores = "  ".join(
                    "  —" if r.dimensions[k] is None else f"{r.dimensions[k]:4.0f}" for k in EVALUATION_LABELS
                )
                total = "  —  " if r.total is None else f"{r.total:5.1f}"
                rank = f"{r.ranks['total']:>4}" if r.ranks["total"] else "不排名"
                out.print(f"  {rank}  {total}  {scores}  {r.name}", highlight=False)

    guarded(run)


@evaluation_app.command("report-pdf")
def report_pdf(
    report_id: Annotated[int, typer.Argument(help="年度报告编号（页面地址 /supervision/reports/编号）")],
    output: Annotated[Path, typer.Argument(help="写出的 PDF 文件")],
    as_user: AsUser,
) -> None:
    """把一份年度报告（含图表）写成 PDF 文件。"""
    from govdata.cli import _acting, context, guarded, out
    from govdata.supervision import reports
    from govdata.supervision.pdf import render_pdf

    def run() -> None:
        with context() as ctx:
            actor = _acting(ctx, as_user, "govdata evaluation report-pdf")
            view = reports.view(ctx, reports.get_report(ctx, actor, report_id))
            output.write_bytes(render_pdf(view))
        out.print(f"已写出 {output}：{view.title}", highlight=False)

    guarded(run)
