"""The regional report for the programme's funders: HTML, and PDF through WeasyPrint.

WeasyPrint (PyPI, a project dependency) turns the same HTML the browser prints into a
PDF in-process: no browser to install or drive, the same result on a server and in CI,
and the SVG map and charts are vector graphics in the PDF. It needs Pango from the
operating system; when that (or WeasyPrint) is missing, :func:`pdf_bytes` raises
:class:`PdfEngineMissing` with what to install.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup

from marketplace.errors import MarketplaceError
from marketplace.region.report_map import region_map_svg
from marketplace.region.stats_data import RegionReport, region_report
from marketplace.region.tables import Table, all_tables, charts_for


class PdfEngineMissing(MarketplaceError):
    """WeasyPrint or the system libraries it needs (Pango) are not installed."""


def method_notes(report: RegionReport) -> list[tuple[str, str]]:
    """The method note: what every figure means and where its factors come from."""
    factors = "; ".join(
        f"{f.material}: {f.gas_mwh_per_unit:.3f} MWh/{f.unit} ({f.source})"
        for f in report.gas_factors
    )
    return [
        (
            _("CO2e avoided"),
            _(
                "Per exchange the engine estimates the avoided primary production of the "
                "needed material, the avoided disposal of the residual stream and the avoided "
                "transport from the current source, minus the transport of the exchange, with "
                "cited emission factors (source and year per factor, docs/co2-method.md). "
                "Proposed and agreed figures are estimates per year (agreed ones frozen at "
                "agreement); realised figures apply the same factors to the recorded deliveries."
            ),
        ),
        (
            _("Proposed, agreed, realised"),
            _(
                "Proposed: open proposals (proposed or accepted by one firm). Agreed: agreed, "
                "active and completed exchanges. Realised: recorded deliveries. Proposals "
                "hidden by a coordinator count nowhere."
            ),
        ),
        (
            _("Tonnes"),
            _(
                "The yearly mass of an exchange; exchanges without a mass (heat in MWh, "
                "water in m3) appear per material family in their own unit."
            ),
        ),
        (
            _("Natural gas displaced"),
            _(
                "MWh of natural gas that heat, steam, biogas, fuel-gas and biomass-fuel "
                "exchanges displace: %(factors)s.",
                factors=factors,
            ),
        ),
        (
            _("Regional share of needs met"),
            _(
                "Tonnes per year of exchanges whose offer and need both lie in the eight "
                "Cleantech Regio municipalities, over the tonnes per year of active needs in "
                "the region; the rest is met from outside the region or not yet met."
            ),
        ),
        (
            _("Residual tonnes kept in the region"),
            _(
                "Of the tonnes per year that suppliers in the region exchange (proposed and "
                "agreed), the share that goes to needs in the region."
            ),
        ),
        (
            _("Tonne-km saved"),
            _("Tonne-km of the current supply route minus tonne-km of the exchange, per year."),
        ),
        (
            _("Distances"),
            _("Road distances (straight line times the road circuity) of the exchanges."),
        ),
    ]


@dataclass(frozen=True)
class ReportPage:
    report: RegionReport
    tables: dict[str, Table]
    charts: dict[str, Markup]
    map_svg: Markup
    notes: list[tuple[str, str]]
    day: date


def report_page(report: RegionReport | None = None) -> ReportPage:
    report = report or region_report()
    tables = all_tables(report)
    return ReportPage(
        report=report,
        tables=tables,
        charts=charts_for(report, tables),
        map_svg=region_map_svg(
            report.exchanges,
            title=_("Exchanges between the municipalities of the region"),
            outside_label=_("outside the region"),
        ),
        notes=method_notes(report),
        day=date.today(),
    )


def report_html(page: ReportPage, **extra: Any) -> str:
    return render_template("region/report.html", page=page, **extra)


def pdf_bytes(html: str, *, base_url: str | None = None) -> bytes:
    """Render ``html`` as PDF, or raise :class:`PdfEngineMissing` saying what to install."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise PdfEngineMissing(
            _(
                "PDF output needs WeasyPrint and Pango (pip install weasyprint; apt-get "
                "install libpango-1.0-0 libpangoft2-1.0-0): %(error)s",
                error=str(exc),
            )
        ) from exc
    return bytes(HTML(string=html, base_url=base_url).write_pdf())
