"""The regional figures as named tables: one source for the page, CSV, XLSX and report.

Every chart on the dashboard draws one of these tables, so its numbers are always
available as a table and a CSV download. Column keys are stable (CSV headers, API);
column labels are translated.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from marketplace.core.vocabulary import label
from marketplace.region import charts
from marketplace.region.stats_data import RegionReport


@dataclass(frozen=True)
class Table:
    key: str
    title: Any
    columns: tuple[tuple[str, Any], ...]  # (key, label)
    rows: list[dict[str, Any]]

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.columns]


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def headline_table(report: RegionReport) -> Table:
    h = report.headline
    rows = [
        ("active_firms", _l("Firms with active listings"), h.active_firms, ""),
        ("active_offers", _l("Active offers"), h.active_offers, ""),
        ("active_needs", _l("Active needs"), h.active_needs, ""),
        ("offered_t_per_year", _l("Tonnes offered"), _r(h.offered_t_per_year), "t/yr"),
        ("needed_t_per_year", _l("Tonnes needed"), _r(h.needed_t_per_year), "t/yr"),
        ("proposed_exchanges", _l("Proposed exchanges"), h.proposed_exchanges, ""),
        ("agreed_exchanges", _l("Agreed exchanges"), h.agreed_exchanges, ""),
        ("proposed_t_per_year", _l("Tonnes proposed"), _r(h.proposed_t_per_year), "t/yr"),
        ("agreed_t_per_year", _l("Tonnes agreed"), _r(h.agreed_t_per_year), "t/yr"),
        ("realised_t", _l("Tonnes delivered (realised)"), _r(h.realised_t), "t"),
        (
            "proposed_co2e_t_per_year",
            _l("CO2e avoided, proposed (estimated)"),
            _r(h.proposed_co2e_t_per_year),
            "t CO2e/yr",
        ),
        (
            "agreed_co2e_t_per_year",
            _l("CO2e avoided, agreed (estimated)"),
            _r(h.agreed_co2e_t_per_year),
            "t CO2e/yr",
        ),
        ("realised_co2e_t", _l("CO2e avoided, realised"), _r(h.realised_co2e_t), "t CO2e"),
        (
            "agreed_gas_mwh_per_year",
            _l("Natural gas displaced, agreed (estimated)"),
            _r(h.agreed_gas_mwh_per_year),
            "MWh/yr",
        ),
        ("realised_gas_mwh", _l("Natural gas displaced, realised"), _r(h.realised_gas_mwh), "MWh"),
        (
            "regional_need_t_per_year",
            _l("Tonnes needed in the region"),
            _r(h.regional_need_t_per_year),
            "t/yr",
        ),
        (
            "regional_share_proposed",
            _l("Share of regional needs met from the region (proposed and agreed)"),
            _r(h.regional_share_proposed, 4),
            "",
        ),
        (
            "regional_share_agreed",
            _l("Share of regional needs met from the region (agreed)"),
            _r(h.regional_share_agreed, 4),
            "",
        ),
        (
            "kept_in_region_share",
            _l("Share of the region's residual tonnes that stay in the region"),
            _r(h.kept_in_region_share, 4),
            "",
        ),
        ("closed_loops", _l("Closed loops"), h.closed_loops, ""),
        ("loop_t_per_year", _l("Tonnes in closed loops"), _r(h.loop_t_per_year), "t/yr"),
        (
            "proposed_tonne_km_saved",
            _l("Tonne-km saved, proposed"),
            _r(h.proposed_tonne_km_saved, 1),
            "t·km/yr",
        ),
        (
            "agreed_tonne_km_saved",
            _l("Tonne-km saved, agreed"),
            _r(h.agreed_tonne_km_saved, 1),
            "t·km/yr",
        ),
    ]
    return Table(
        "headline",
        _l("Headline figures"),
        (
            ("figure", _l("Figure")),
            ("label", _l("Description")),
            ("value", _l("Value")),
            ("unit", _l("Unit")),
        ),
        [{"figure": k, "label": str(t), "value": v, "unit": u} for k, t, v, u in rows],
    )


def families_table(report: RegionReport) -> Table:
    return Table(
        "families",
        _l("Per material family"),
        (
            ("family", _l("Material family")),
            ("unit", _l("Unit")),
            ("offers", _l("Active offers")),
            ("offered_per_year", _l("Offered per year")),
            ("needs", _l("Active needs")),
            ("needed_per_year", _l("Needed per year")),
            ("proposed_per_year", _l("Proposed per year")),
            ("agreed_per_year", _l("Agreed per year")),
            ("realised", _l("Delivered")),
        ),
        [
            {
                "family": r.family,
                "unit": r.unit,
                "offers": r.offers,
                "offered_per_year": _r(r.offered_per_year),
                "needs": r.needs,
                "needed_per_year": _r(r.needed_per_year),
                "proposed_per_year": _r(r.proposed_per_year),
                "agreed_per_year": _r(r.agreed_per_year),
                "realised": _r(r.realised),
            }
            for r in report.families
        ],
    )


def _bin_label(low: float, high: float | None) -> str:
    return f"{low:g}–{high:g} km" if high is not None else f"≥ {low:g} km"


def distances_table(report: RegionReport) -> Table:
    return Table(
        "distances",
        _l("Exchange distances (road)"),
        (
            ("bin", _l("Distance")),
            ("low_km", _l("From km")),
            ("high_km", _l("Below km")),
            ("exchanges", _l("Exchanges")),
            ("t_per_year", _l("Tonnes per year")),
        ),
        [
            {
                "bin": _bin_label(b.low_km, b.high_km),
                "low_km": b.low_km,
                "high_km": b.high_km,
                "exchanges": b.exchanges,
                "t_per_year": _r(b.t_per_year),
            }
            for b in report.distances
        ],
    )


def months_table(report: RegionReport) -> Table:
    return Table(
        "months",
        _l("Per month"),
        (
            ("month", _l("Month")),
            ("proposals", _l("Proposals made")),
            ("proposed_t", _l("Tonnes per year proposed")),
            ("agreements", _l("Agreements")),
            ("agreed_t_per_year", _l("Tonnes per year agreed")),
            ("realised_t", _l("Tonnes delivered")),
            ("realised_co2e_t", _l("t CO2e avoided, realised")),
        ),
        [
            {
                "month": m.month,
                "proposals": m.proposals,
                "proposed_t": _r(m.proposed_t),
                "agreements": m.agreements,
                "agreed_t_per_year": _r(m.agreed_t_per_year),
                "realised_t": _r(m.realised_t),
                "realised_co2e_t": _r(m.realised_co2e_t),
            }
            for m in report.months
        ],
    )


_AREA_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("firms", _l("Firms with active listings")),
    ("offers", _l("Active offers")),
    ("needs", _l("Active needs")),
    ("offered_t_per_year", _l("Tonnes offered per year")),
    ("needed_t_per_year", _l("Tonnes needed per year")),
    ("supplied_t_per_year", _l("Tonnes supplied per year (agreed)")),
    ("received_t_per_year", _l("Tonnes received per year (agreed)")),
    ("co2e_t_per_year", _l("t CO2e avoided per year (agreed, at the supplier)")),
)


def _area_rows(rows: list[Any], first: Callable[[Any], dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        first(r)
        | {
            key: (_r(getattr(r, key)) if "_t" in key else getattr(r, key))
            for key, _ in _AREA_COLUMNS
        }
        for r in rows
    ]


def municipalities_table(report: RegionReport) -> Table:
    return Table(
        "municipalities",
        _l("Per municipality"),
        (
            ("code", _l("Code")),
            ("name", _l("Municipality")),
            ("in_region", _l("In the region")),
            *_AREA_COLUMNS,
        ),
        _area_rows(
            report.municipalities,
            lambda r: {
                "code": r.key or "",
                "name": r.name or str(_l("unknown")),
                "in_region": r.in_region,
            },
        ),
    )


def sectors_table(report: RegionReport) -> Table:
    return Table(
        "sectors",
        _l("Per sector (SBI section)"),
        (("section", _l("SBI section")), ("name", _l("Sector")), *_AREA_COLUMNS),
        _area_rows(
            report.sectors,
            lambda r: {"section": r.key or "", "name": r.name or str(_l("unknown"))},
        ),
    )


def gas_factors_table(report: RegionReport) -> Table:
    return Table(
        "gas_factors",
        _l("Natural gas displaced per unit"),
        (
            ("material", _l("Material")),
            ("unit", _l("Unit")),
            ("gas_mwh_per_unit", _l("MWh natural gas per unit")),
            ("source", _l("Source")),
        ),
        [
            {
                "material": f.material,
                "unit": f.unit,
                "gas_mwh_per_unit": round(f.gas_mwh_per_unit, 5),
                "source": f.source,
            }
            for f in report.gas_factors
        ],
    )


TABLES: dict[str, Callable[[RegionReport], Table]] = {
    "headline": headline_table,
    "families": families_table,
    "distances": distances_table,
    "months": months_table,
    "municipalities": municipalities_table,
    "sectors": sectors_table,
    "gas_factors": gas_factors_table,
}


def all_tables(report: RegionReport) -> dict[str, Table]:
    return {key: build(report) for key, build in TABLES.items()}


def table_csv(table: Table) -> str:
    """A table as CSV: the column keys as header, semicolons (Dutch Excel), dot decimals."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=table.keys, delimiter=";", lineterminator="\n")
    writer.writeheader()
    for row in table.rows:
        writer.writerow({k: "" if row[k] is None else row[k] for k in table.keys})
    return buffer.getvalue()


# --- the charts, each drawing one table ---------------------------------------------------------


def charts_for(report: RegionReport, tables: dict[str, Table]) -> dict[str, Markup]:
    """The dashboard's charts by the key of the table they draw."""
    h = report.headline
    tonnes = [r for r in report.families if r.unit == "t"]
    in_region = [r for r in report.municipalities if r.in_region]
    return {
        "headline": charts.bar_chart(
            title=str(_l("Exchanged tonnes")),
            categories=[
                label("proposed", "match_status"),
                label("agreed", "match_status"),
                str(_l("delivered")),
            ],
            series=[
                charts.Series(
                    str(_l("tonnes")), [h.proposed_t_per_year, h.agreed_t_per_year, h.realised_t]
                )
            ],
            unit="t",
        ),
        "families": charts.bar_chart(
            title=str(_l("Offered and needed per material family")),
            categories=[r.family for r in tonnes],
            series=[
                charts.Series(str(_l("offered")), [r.offered_per_year for r in tonnes]),
                charts.Series(str(_l("needed")), [r.needed_per_year for r in tonnes]),
            ],
            unit="t/yr",
        ),
        "distances": charts.bar_chart(
            title=str(_l("Exchanges per road distance")),
            categories=[row["bin"] for row in tables["distances"].rows],
            series=[charts.Series(str(_l("exchanges")), [b.exchanges for b in report.distances])],
            unit=str(_l("number")),
        ),
        "months": charts.bar_chart(
            title=str(_l("Per month")),
            categories=[m.month for m in report.months],
            series=[
                charts.Series(str(_l("proposed")), [m.proposed_t for m in report.months]),
                charts.Series(str(_l("agreed")), [m.agreed_t_per_year for m in report.months]),
                charts.Series(str(_l("delivered")), [m.realised_t for m in report.months]),
            ],
            unit="t",
        ),
        "municipalities": charts.hbar_chart(
            title=str(_l("Tonnes offered per municipality")),
            categories=[r.name or r.key or "" for r in in_region],
            values=[r.offered_t_per_year for r in in_region],
            unit="t/yr",
        ),
        "sectors": charts.hbar_chart(
            title=str(_l("Firms with active listings per sector")),
            categories=[f"{r.key or '?'} {r.name or ''}".strip() for r in report.sectors],
            values=[r.firms for r in report.sectors],
            unit=str(_l("firms")),
        ),
    }
