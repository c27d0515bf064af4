"""Server-rendered SVG charts: no JavaScript, no CDN, nothing inline the CSP would refuse.

Every text and attribute value goes through escape(); the result is a plain str that a view may mark
safe. Charts are drawn with presentation attributes (fill, font-size), never style="…". The numbers are
also in an HTML table beside each chart: that table is what screen readers and printouts use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape

# Okabe & Ito's palette: told apart with every common kind of colour blindness.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#56b4e9", "#f0e442", "#000000")
BLUE, VERMILLION = PALETTE[0], PALETTE[4]
TEXT, MUTED, GRID = "#212529", "#595f66", "#d5d9dd"
FONT = "system-ui, sans-serif"


@dataclass(frozen=True)
class ChartSeries:
    label: str
    values: Sequence[int]
    colour: str = ""


def element(tag: str, attrs: dict[str, object], content: str = "") -> str:
    """One SVG element; attribute values are escaped here, `content` must already be."""
    rendered = "".join(f' {name}="{escape(value)}"' for name, value in attrs.items())
    return f"<{tag}{rendered}>{content}</{tag}>" if content else f"<{tag}{rendered}/>"


def text(x: float, y: float, label: object, **attrs: object) -> str:
    attrs = {"x": f"{x:.1f}", "y": f"{y:.1f}", "fill": TEXT, "font-size": 12, **attrs}
    return element("text", {name.replace("_", "-"): value for name, value in attrs.items()}, escape(label))


def nice_scale(maximum: int, ticks: int = 4) -> tuple[int, int]:
    """(top of the axis, step between gridlines): round numbers at or just above the largest value."""
    if maximum <= 0:
        return ticks, 1
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(s for s in (magnitude * m for m in (1, 2, 5, 10)) if s >= raw)
    step = max(1, int(step))
    return step * math.ceil(maximum / step), step


def coloured(series: Sequence[ChartSeries]) -> list[ChartSeries]:
    return [
        s if s.colour else ChartSeries(s.label, s.values, PALETTE[i % len(PALETTE)])
        for i, s in enumerate(series)
    ]


def legend(series: Sequence[ChartSeries], *, left: float, top: float, width: float) -> tuple[str, float]:
    """Swatches with their labels, wrapped to the width; returns the SVG and the height it took."""
    parts, x, y = [], left, top
    for s in series:
        item_width = 30 + 7 * len(s.label)
        if x > left and x + item_width > left + width:
            x, y = left, y + 20
        parts.append(element("rect", {"x": x, "y": y, "width": 12, "height": 12, "fill": s.colour}))
        parts.append(text(x + 17, y + 11, s.label))
        x += item_width
    return element("g", {"class": "chart-legend"}, "".join(parts)), y + 20 - top


def svg(chart_id: str, title: str, description: str, width: int, height: float, body: str) -> str:
    attrs = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": f"0 0 {width} {height:.0f}",
        "width": width,
        "height": f"{height:.0f}",
        "role": "img",
        "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
        "class": "chart",
        "font-family": FONT,
    }
    head = element("title", {"id": f"{chart_id}-title"}, escape(title)) + element(
        "desc", {"id": f"{chart_id}-desc"}, escape(description)
    )
    return element("svg", attrs, head + body)


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[ChartSeries],
    width: int = 720,
    plot_height: int = 220,
) -> str:
    """Vertical bars, one per category (a week), stacked by series, with each bar's total on top."""
    series = coloured(series)
    key, key_height = legend(series, left=44, top=8, width=width - 56)
    top = 8 + key_height + 18  # room for the totals above the tallest bar
    left, right, bottom = 44, width - 12, top + plot_height
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    axis_top, step = nice_scale(max(totals, default=0))
    scale = plot_height / axis_top
    parts = [key]
    for tick in range(0, axis_top + 1, step):
        y = bottom - tick * scale
        parts.append(
            element("line", {"x1": left, "x2": right, "y1": f"{y:.1f}", "y2": f"{y:.1f}", "stroke": GRID})
        )
        parts.append(text(left - 6, y + 4, tick, text_anchor="end", fill=MUTED, font_size=11))
    band = (right - left) / max(len(categories), 1)
    label_every = math.ceil(len(categories) / 16) or 1
    for i, category in enumerate(categories):
        x, stacked = left + i * band + band * 0.18, 0
        for s in series:
            value = s.values[i]
            if value:
                y = bottom - (stacked + value) * scale
                tip = element("title", {}, escape(f"{s.label}, {category}: {value}"))
                bar = {"x": f"{x:.1f}", "y": f"{y:.1f}", "width": f"{band * 0.64:.1f}"}
                bar |= {"height": f"{value * scale:.1f}", "fill": s.colour, "stroke": "#ffffff"}
                parts.append(element("rect", bar, tip))
                stacked += value
        centre = left + (i + 0.5) * band
        parts.append(
            text(centre, bottom - totals[i] * scale - 5, totals[i], text_anchor="middle", font_size=11)
        )
        if i % label_every == 0:
            parts.append(text(centre, bottom + 16, category, text_anchor="middle", fill=MUTED, font_size=11))
    parts.append(element("line", {"x1": left, "x2": right, "y1": bottom, "y2": bottom, "stroke": MUTED}))
    return svg(chart_id, title, description, width, bottom + 26, "".join(parts))


def horizontal_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[ChartSeries],
    width: int = 720,
) -> str:
    """One horizontal bar per category (a queue), stacked by series; the name above each bar, so long
    names never get cut."""
    series = coloured(series)
    key, key_height = legend(series, left=12, top=8, width=width - 24)
    left, right = 12, width - 60  # room for the total after the longest bar
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    axis_top, step = nice_scale(max(totals, default=0))
    scale = (right - left) / axis_top
    row_top, row_height = 8 + key_height + 8, 48
    bottom = row_top + row_height * len(categories)
    parts = [key]
    for tick in range(0, axis_top + 1, step):
        x = left + tick * scale
        parts.append(
            element("line", {"x1": f"{x:.1f}", "x2": f"{x:.1f}", "y1": row_top, "y2": bottom, "stroke": GRID})
        )
        parts.append(text(x, bottom + 14, tick, text_anchor="middle", fill=MUTED, font_size=11))
    for i, category in enumerate(categories):
        y = row_top + i * row_height
        parts.append(text(left, y + 14, category, font_weight="600"))
        x = left
        for s in series:
            value = s.values[i]
            if value:
                tip = element("title", {}, escape(f"{category}, {s.label}: {value}"))
                bar = {"x": f"{x:.1f}", "y": y + 20, "width": f"{value * scale:.1f}", "height": 20}
                bar |= {"fill": s.colour, "stroke": "#ffffff"}
                parts.append(element("rect", bar, tip))
                x += value * scale
        parts.append(text(x + 6, y + 35, totals[i]))
    return svg(chart_id, title, description, width, bottom + 22, "".join(parts))


def funnel_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    steps: Sequence[tuple[str, int]],
    width: int = 720,
) -> str:
    """One centred horizontal bar per step (started, …, filed), as wide as its share of the first step,
    with the count and that share beside each step's name."""
    first = steps[0][1] if steps else 0
    centre, widest = width / 2, width - 24
    row_height = 48
    parts = []
    for i, (label, value) in enumerate(steps):
        y = 8 + i * row_height
        share = f" ({round(100 * value / first)}%)" if first else ""
        parts.append(text(12, y + 14, f"{label}: {value}{share}", font_weight="600"))
        if value:
            bar_width = widest * value / max(first, value)
            tip = element("title", {}, escape(f"{label}: {value}{share}"))
            bar = {"x": f"{centre - bar_width / 2:.1f}", "y": y + 20, "width": f"{bar_width:.1f}"}
            bar |= {"height": 20, "fill": PALETTE[2] if i == len(steps) - 1 else BLUE}
            parts.append(element("rect", bar, tip))
    return svg(chart_id, title, description, width, 8 + row_height * len(steps) + 4, "".join(parts))
