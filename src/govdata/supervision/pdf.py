"""The annual report as a PDF (SUP-3), with the same charts as the HTML page.

reportlab's built-in CID font STSong-Light (Adobe's Song for simplified Chinese) is used, so Chinese renders
without any font file on the machine: PDF readers supply the face.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from govdata.clock import CHINA_TZ
from govdata.supervision.charts import report_charts, to_drawing
from govdata.supervision.reports import ReportView

FONT = "STSong-Light"


def _register() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _text(value: object) -> str:
    return escape(str(value)).replace("\n", "<br/>")


def _score(value: object) -> str:
    return "不适用" if value is None else f"{float(value):.1f}"  # type: ignore[arg-type]


def render_pdf(view: ReportView) -> bytes:
    """A4, title, status line, figures table, charts, then the body's own sections."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    _register()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=16, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=6)
    h2 = ParagraphStyle("h2", parent=body, fontSize=12.5, leading=18, spaceBefore=8, spaceAfter=4)
    report = view.report
    story: list[object] = [Paragraph(_text(view.title), h1)]
    status = f"提交时间窗口：{view.window.text}。"
    if report.submitted_at is not None:
        status += (
            f"已于 {report.submitted_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M} 提交"
            + ("（逾期提交）" if report.late else "")
            + "。"
        )
    else:
        status += "草稿，尚未提交。"
    status += f"数据截至 {view.figures.get('as_of', '')}。"
    story.append(Paragraph(_text(status), body))
    story.append(Spacer(1, 4 * mm))

    rows: list[list[object]] = []
    if report.kind.value == "department":
        counts = view.figures.get("counts") or {}
        assert isinstance(counts, dict)
        rows = [["项目", "数值"], *[[k, f"{v:,}"] for k, v in counts.items()]]
        for i in view.figures.get("indicators") or []:  # type: ignore[union-attr]
            rows.append([i["label"], f"{i['numerator']:g} / {i['denominator']:g}，得分 {_score(i['score'])}"])
    else:
        rows = [["部门", "年度报告"]] + [
            [d["name"], d["status"]] for d in view.figures.get("departments") or []
        ]  # type: ignore[union-attr]
    story.append(Paragraph("主要数据", h2))
    table = Table(
        [[Paragraph(_text(c), body) for c in row] for row in rows], colWidths=[80 * mm, 80 * mm], repeatRows=1
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    charts = report_charts(report.kind.value, view.figures)
    if charts:
        story.append(Paragraph("图表", h2))
        for chart in charts:
            story.append(to_drawing(chart, FONT))
            story.append(Spacer(1, 3 * mm))
    for heading, text in view.sections:
        story.append(Paragraph(_text(heading), h2))
        story.append(Paragraph(_text(text or "（未填写）"), body))

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=view.title, author=view.org_name, leftMargin=20 * mm, rightMargin=20 * mm
    )
    doc.build(story)
    return buffer.getvalue()
