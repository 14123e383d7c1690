"""Small server-side SVG charts: grouped bar charts, with every text escaped.

A hand-written renderer rather than a chart package: the dashboard needs two chart
shapes (vertical grouped bars, horizontal bars), the SVG must work under the strict CSP
(no script, inline presentation attributes only), print the same on paper and in the
PDF, and stay readable to screen readers (``role="img"``, a ``<title>`` and a
``<desc>``); that is about a hundred lines, and every number shown is also in the
table beside the chart. Every text passes :func:`markupsafe.escape`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Colour-blind safe palette (Okabe & Ito 2008).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at least ``value`` (1 for 0)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-12:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _fmt(value: float) -> str:
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}".replace(",", "\u202f")
    return f"{value:.1f}"


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(text)}</text>'


def bar_chart(
    *,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    unit: str,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """Vertical grouped bars: one group per category, one bar per series."""
    top, bottom, left, right = 28, 46, 64, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_max(max((v for s in series for v in s.values), default=0.0))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(unit)}</desc>",
        _text(left, 16, f"{title} ({unit})", font_weight="bold", font_size="12"),
    ]
    for tick in range(5):
        value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        parts.append(_text(left - 4, y + 4, _fmt(value), text_anchor="end"))
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    for i, category in enumerate(categories):
        x0 = left + i * group_w + group_w * 0.1
        for j, s in enumerate(series):
            value = float(s.values[i])
            h = plot_h * value / peak
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar_w:.1f}" height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                f"<title>{escape(s.name)} · {escape(category)}: {escape(_fmt(value))}</title>"
                "</rect>"
            )
        parts.append(
            _text(left + (i + 0.5) * group_w, top + plot_h + 14, category, text_anchor="middle")
        )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
        f'y2="{top + plot_h}" stroke="#333"/>'
    )
    for j, s in enumerate(series):
        x = left + j * 170
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" '
            f'fill="{PALETTE[j % len(PALETTE)]}"/>'
        )
        parts.append(_text(x + 14, height - 5, s.name))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in parts went through escape()


def hbar_chart(
    *, title: str, categories: Sequence[str], values: Sequence[float], unit: str, width: int = 640
) -> Markup:
    """Horizontal bars, one per category (long labels fit on the left)."""
    row_h, top, left, right = 20, 28, 190, 70
    height = top + row_h * max(len(categories), 1) + 8
    peak = nice_max(max(values, default=0.0))
    plot_w = width - left - right
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(unit)}</desc>",
        _text(4, 16, f"{title} ({unit})", font_weight="bold", font_size="12"),
    ]
    for i, (category, value) in enumerate(zip(categories, values, strict=True)):
        y = top + i * row_h
        w = plot_w * float(value) / peak
        label = category if len(category) <= 30 else category[:29] + "…"
        parts.append(_text(left - 6, y + 13, label, text_anchor="end"))
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'fill="{PALETTE[0]}"><title>{escape(category)}: {escape(_fmt(value))}</title></rect>'
        )
        parts.append(_text(left + w + 4, y + 13, _fmt(float(value))))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in parts went through escape()
