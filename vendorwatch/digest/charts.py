"""The board page's charts, drawn with matplotlib in IPAex Gothic: SVG for the PDF, PNG for the e-mail.

No pyplot (no global figure state, safe in a server); the font is registered once, and every text is drawn with
it, so no glyph is ever missing (a test turns matplotlib's missing-glyph warning into an error).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from vendorwatch.digest.fonts import FAMILY, font_file
from vendorwatch.digest.labels import SEVERITIES, SEVERITY
from vendorwatch.digest.model import TrendPoint

COLORS = {"critical": "#b3261e", "high": "#e8710a", "medium": "#f2b705", "low": "#7b8fa1"}
BANDS = ((70, 100, "#fbe4e2"), (40, 70, "#fdeee0"), (15, 40, "#fdf6dc"), (0, 15, "#eef3ee"))  # levels, as scored
INK = "#2b2b2b"
GRID = "#d0d0d0"
PNG_DPI = 200
_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Chart:
    """A chart in both forms."""

    name: str
    svg: bytes
    png: bytes


@cache
def _register_font() -> None:
    font_manager.fontManager.addfont(str(font_file()))


@contextmanager
def _style() -> Iterator[None]:
    _register_font()
    with matplotlib.rc_context({
        "font.family": [FAMILY], "font.size": 8, "axes.edgecolor": GRID, "axes.labelcolor": INK,
        "xtick.color": INK, "ytick.color": INK, "axes.titlesize": 9, "axes.titleweight": "normal",
        "svg.hashsalt": "vendorwatch-digest", "svg.fonttype": "path", "axes.unicode_minus": False,
    }):
        yield


def _month_labels(points: list[TrendPoint], language: str) -> list[str]:
    labels = []
    for index, point in enumerate(points):
        year, month = int(point.month[:4]), int(point.month[5:])
        name = f"{month}月" if language == "ja" else _MONTHS_EN[month - 1]
        labels.append(f"{name}\n{year}" if index == 0 or month == 1 else name)
    return labels


def _render(name: str, figure: Figure) -> Chart:
    svg, png = io.BytesIO(), io.BytesIO()
    FigureCanvasSVG(figure)
    figure.savefig(svg, format="svg", metadata={"Date": None})
    FigureCanvasAgg(figure)
    figure.savefig(png, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return Chart(name, svg.getvalue(), png.getvalue())


def trend_chart(points: list[TrendPoint], language: str) -> Chart:
    """The overall risk index (0–100) month by month, over the bands of the risk levels."""
    with _style():
        figure = Figure(figsize=(4.3, 2.4), layout="constrained")
        axes = figure.subplots()
        for low, high, color in BANDS:
            axes.axhspan(low, high, color=color, zorder=0, linewidth=0)
        xs = list(range(len(points)))
        ys = [p.score if p.score is not None else float("nan") for p in points]
        axes.plot(xs, ys, color=INK, linewidth=1.6, marker="o", markersize=3.5, zorder=3)
        last = next((i for i in reversed(xs) if points[i].score is not None), None)
        if last is not None:
            axes.annotate(str(points[last].score), (last, points[last].score or 0), textcoords="offset points",
                          xytext=(0, 6), ha="center", fontsize=8, color=INK, zorder=4)
        axes.set_ylim(0, 100)
        axes.set_xlim(-0.5, len(points) - 0.5)
        axes.set_xticks(xs, _month_labels(points, language), fontsize=6.5)
        axes.set_yticks([0, 15, 40, 70, 100])
        axes.tick_params(axis="y", labelsize=7, length=0)
        axes.tick_params(axis="x", length=0)
        axes.set_title("総合リスク指標（0〜100、高いほど危険）" if language == "ja"
                       else "Overall risk index (0–100, higher is worse)", loc="left", color=INK)
        for spine in ("top", "right"):
            axes.spines[spine].set_visible(False)
        if all(p.score is None for p in points):
            axes.text(len(points) / 2 - 0.5, 50, "評価データなし" if language == "ja" else "no evaluation yet",
                      ha="center", va="center", color="#777777")
        return _render("trend", figure)


def findings_chart(points: list[TrendPoint], language: str) -> Chart:
    """Unresolved findings at each month's end, stacked by severity."""
    with _style():
        figure = Figure(figsize=(4.3, 2.4), layout="constrained")
        axes = figure.subplots()
        xs = list(range(len(points)))
        bottom = [0] * len(points)
        for severity in SEVERITIES:
            values = [p.open_by_severity.get(severity, 0) for p in points]
            axes.bar(xs, values, bottom=bottom, color=COLORS[severity], width=0.68, label=SEVERITY[severity].get(language),
                     zorder=2)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        top = max(bottom) if bottom else 0
        if points and bottom[-1]:
            axes.annotate(str(bottom[-1]), (xs[-1], bottom[-1]), textcoords="offset points", xytext=(0, 3),
                          ha="center", fontsize=8, color=INK)
        axes.set_ylim(0, max(5, top * 1.2))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlim(-0.5, len(points) - 0.5)
        axes.set_xticks(xs, _month_labels(points, language), fontsize=6.5)
        axes.tick_params(axis="y", labelsize=7, length=0)
        axes.tick_params(axis="x", length=0)
        axes.grid(axis="y", color=GRID, linewidth=0.5, zorder=0)
        axes.set_title("未解決の指摘事項（月末、重大度別）" if language == "ja"
                       else "Unresolved findings at month end, by severity", loc="left", color=INK)
        axes.legend(loc="upper left", fontsize=6.5, frameon=False, ncols=4, handlelength=1, columnspacing=0.8)
        for spine in ("top", "right"):
            axes.spines[spine].set_visible(False)
        return _render("findings", figure)


def board_charts(points: list[TrendPoint], language: str) -> list[Chart]:
    """Both charts of the board page."""
    return [trend_chart(points, language), findings_chart(points, language)]
