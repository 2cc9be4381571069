"""Bar charts of evaluation scores, drawn twice from one description: SVG for the HTML page, reportlab graphics
for the PDF. Horizontal bars on a 0–100 scale, one per label; a missing score is drawn as "不适用"."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from markupsafe import Markup

ROW = 22
LABEL_W = 170
BAR_W = 300
COLOURS = ("#1f5fa8", "#2e8b57", "#c77c0e", "#7a4fa3", "#b03a2e")


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[tuple[str, float | None]]
    colour: str = COLOURS[0]

    @property
    def height(self) -> int:
        return 30 + ROW * max(len(self.bars), 1) + 10

    @property
    def width(self) -> int:
        return LABEL_W + BAR_W + 60


def _short(label: str, limit: int = 12) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def to_svg(chart: BarChart) -> Markup:
    """An inline SVG with a title and text labels (readable by screen readers and tests)."""
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(chart.title)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{chart.width}" height="{chart.height}" viewBox="0 0 {chart.width} {chart.height}">',
        f"<title>{escape(chart.title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(chart.title)}</text>',
    ]
    for i, (label, value) in enumerate(chart.bars):
        y = 30 + i * ROW
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(_short(label))}</text>')
        if value is None:
            parts.append(f'<text x="{LABEL_W}" y="{y + 14}" font-size="12" fill="#777">不适用</text>')
            continue
        width = max(BAR_W * value / 100, 1)
        parts.append(
            f'<rect x="{LABEL_W}" y="{y + 2}" width="{width:.1f}" height="{ROW - 6}" fill="{chart.colour}">'
            f"<title>{escape(label)}：{value:.1f}</title></rect>"
        )
        parts.append(f'<text x="{LABEL_W + width + 4:.1f}" y="{y + 14}" font-size="12">{value:.1f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def to_drawing(chart: BarChart, font: str) -> Any:  # reportlab Drawing (reportlab ships no type hints)
    """The same chart as a reportlab Drawing, for the PDF."""
    from reportlab.graphics.shapes import Drawing, Rect, String
    from reportlab.lib import colors

    drawing = Drawing(chart.width, chart.height)
    top = chart.height
    drawing.add(String(0, top - 16, chart.title, fontName=font, fontSize=11))
    fill = colors.HexColor(chart.colour)
    for i, (label, value) in enumerate(chart.bars):
        y = top - 30 - (i + 1) * ROW + 6
        drawing.add(String(0, y + 4, _short(label), fontName=font, fontSize=9))
        if value is None:
            drawing.add(String(LABEL_W, y + 4, "不适用", fontName=font, fontSize=9, fillColor=colors.grey))
            continue
        width = max(BAR_W * value / 100, 1)
        drawing.add(Rect(LABEL_W, y, width, ROW - 6, fillColor=fill, strokeColor=None))
        drawing.add(String(LABEL_W + width + 4, y + 4, f"{value:.1f}", fontName=font, fontSize=9))
    return drawing


def report_charts(kind: str, figures: dict[str, object]) -> list[BarChart]:
    """The charts of an annual report: a department's indicator and dimension scores; for the authority,
    every department's total and the level's average per dimension."""
    from govdata.profiles.labels import EVALUATION_LABELS

    charts: list[BarChart] = []
    ev = figures.get("evaluation")
    if kind == "department":
        indicators = figures.get("indicators") or []
        assert isinstance(indicators, list)
        charts.append(
            BarChart("本部门各项指标得分", [(i["label"], i["score"]) for i in indicators], COLOURS[0])
        )
        if isinstance(ev, dict):
            dims = ev["dimensions"]
            charts.append(
                BarChart(
                    "考核评估各维度得分",
                    [(EVALUATION_LABELS.get(k, k), v) for k, v in dims.items()],
                    COLOURS[1],
                )
            )
        return charts
    if isinstance(ev, dict) and ev["results"]:
        results = ev["results"]
        charts.append(BarChart("各部门综合得分", [(r["name"], r["total"]) for r in results], COLOURS[0]))
        averages = []
        for key, label in EVALUATION_LABELS.items():
            values = [r["dimensions"].get(key) for r in results if r["dimensions"].get(key) is not None]
            averages.append((label, round(sum(values) / len(values), 2) if values else None))
        charts.append(BarChart("各维度平均得分", averages, COLOURS[1]))
    return charts


def evaluation_charts(results: list, dimension_labels: dict[str, str]) -> list[BarChart]:  # type: ignore[type-arg]
    """The evaluation page's charts: total by department, and each dimension by department."""
    charts = [BarChart("综合得分", [(r.name, r.total) for r in results], COLOURS[0])]
    for i, (key, label) in enumerate(dimension_labels.items()):
        charts.append(
            BarChart(f"{label}得分", [(r.name, r.dimensions.get(key)) for r in results], COLOURS[(i + 1) % 5])
        )
    return charts
