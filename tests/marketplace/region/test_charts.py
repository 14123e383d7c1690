"""The SVG charts: well-formed, escaped, bars proportional to their values."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from marketplace.region.charts import Series, bar_chart, hbar_chart, nice_max

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(
    ("value", "expected"), [(0.0, 1.0), (7.0, 10.0), (12.0, 20.0), (240.0, 250.0), (500.0, 500.0)]
)
def test_nice_max_rounds_up_to_a_readable_axis_end(value: float, expected: float) -> None:
    assert nice_max(value) == expected


def test_a_bar_chart_escapes_its_texts_and_scales_its_bars() -> None:
    svg = bar_chart(
        title='Tonnes <script>alert("x")</script>',
        categories=["a & b", "c"],
        series=[Series("t", [50.0, 100.0])],
        unit="t",
    )
    assert "<script>" not in svg
    root = ET.fromstring(str(svg))  # noqa: S314 - our own SVG, parsed to prove it well-formed
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    heights = [float(r.get("height", "0")) for r in bars]
    assert heights[1] == pytest.approx(2 * heights[0])
    assert "a &amp; b" in svg


def test_a_horizontal_bar_chart_has_one_bar_per_category() -> None:
    svg = hbar_chart(title="Firms", categories=["A", "B", "C"], values=[1, 2, 0], unit="firms")
    root = ET.fromstring(str(svg))  # noqa: S314 - our own SVG, parsed to prove it well-formed
    assert len(list(root.iter(f"{SVG}rect"))) == 3
    assert root.get("role") == "img"
