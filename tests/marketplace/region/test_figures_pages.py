"""The regional figures from the database, their pages, exports and the report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader

from marketplace.exchanges import services as matching
from marketplace.exchanges.impact import realised
from marketplace.exchanges.models import Match
from marketplace.extensions import db
from marketplace.region.stats_data import gas_factors, region_report
from marketplace.region.tables import TABLES
from tests.marketplace.helpers import login, make_user
from tests.marketplace.region_world import Parties, Region, agree, reload

COORDINATOR_PAGES = (
    "/region/figures",
    "/region/report",
    "/region/figures/headline.csv",
    "/region/figures/municipalities.csv",
    "/region/figures/report.xlsx",
    "/region/export/exchanges.geojson",
    "/matches/runs/history",
    "/matches/review",
)


@pytest.fixture
def delivered(parties: Parties) -> Match:
    """The grain proposal agreed, with 100 t delivered in June 2026."""
    agree(parties.proposal)
    match = reload(parties.proposal)
    matching.record_delivery(
        parties.brewer, match, delivered_on=dt.date(2026, 6, 15), quantity=100.0, unit="t"
    )
    db.session.commit()
    return reload(match)


def test_region_report_counts_the_agreed_exchange_and_its_delivery(delivered: Match) -> None:
    report = region_report()
    h = report.headline
    assert (h.proposed_exchanges, h.agreed_exchanges) == (0, 1)
    assert h.agreed_t_per_year == pytest.approx(delivered.mass_t_per_year)
    assert h.realised_t == pytest.approx(100.0)
    assert h.realised_co2e_t == pytest.approx(realised(delivered).net_co2e_kg / 1000)
    assert h.agreed_co2e_t_per_year == pytest.approx(delivered.agreed_net_co2e_kg / 1000)
    # The farm's 500 t need is in the region, and so is the brewery that meets it.
    assert h.regional_need_t_per_year == pytest.approx(500.0)
    assert h.regional_share_agreed == pytest.approx(delivered.mass_t_per_year / 500.0)
    assert h.kept_in_region_share == pytest.approx(1.0)
    rows = {r.key: r for r in report.municipalities}
    assert len([r for r in report.municipalities if r.in_region]) == 8
    assert rows["GM0150"].supplied_t_per_year == pytest.approx(delivered.mass_t_per_year)
    assert rows["GM0301"].received_t_per_year == pytest.approx(delivered.mass_t_per_year)
    [june] = [m for m in report.months if m.month == "2026-06"]
    assert june.realised_t == pytest.approx(100.0)


def test_gas_factors_come_from_the_engines_cited_tables() -> None:
    factors = {f.material: f for f in gas_factors()}
    assert factors["energy.heat"].gas_mwh_per_unit == pytest.approx(1 / 0.92)
    assert factors["energy.steam"].gas_mwh_per_unit == pytest.approx(1 / 0.87)
    assert factors["energy.biogas"].gas_mwh_per_unit == 1.0
    assert factors["organics.biomass_fuel"].gas_mwh_per_unit == pytest.approx(13.6 / 3.6)
    assert "2015/2402" in factors["energy.heat"].source
    assert "DESNZ" in factors["organics.biomass_fuel"].source


@pytest.mark.parametrize("path", COORDINATOR_PAGES)
def test_members_get_403_on_coordinator_pages(
    client: FlaskClient, region: Region, path: str
) -> None:
    login(client, make_user(organisation=region.brewery))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", COORDINATOR_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", COORDINATOR_PAGES)
def test_coordinators_open_every_page(client: FlaskClient, delivered: Match, path: str) -> None:
    login(client, make_user(role="coordinator"))
    assert client.get(path).status_code == 200


def test_the_dashboard_shows_charts_tables_and_a_csv_link_per_chart(
    client: FlaskClient, delivered: Match
) -> None:
    login(client, make_user(role="coordinator"))
    html = client.get("/region/figures").get_data(as_text=True)
    assert html.count('class="chart"') == 6
    for key in TABLES:
        assert f'id="table-{key}"' in html
        assert f"/region/figures/{key}.csv" in html
    assert "/region/report" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_municipality_csv_has_the_table_columns_and_values(
    client: FlaskClient, delivered: Match
) -> None:
    login(client, make_user(role="coordinator"))
    response = client.get("/region/figures/municipalities.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True)), delimiter=";"))
    assert list(rows[0]) == TABLES["municipalities"](region_report()).keys
    deventer = next(r for r in rows if r["code"] == "GM0150")
    assert deventer["name"] == "Deventer"
    assert float(deventer["supplied_t_per_year"]) == pytest.approx(
        delivered.mass_t_per_year, abs=1e-3
    )
    assert client.get("/region/figures/nonsense.csv").status_code == 404


def test_the_workbook_has_a_sheet_per_table_and_a_method_sheet(
    client: FlaskClient, delivered: Match
) -> None:
    login(client, make_user(role="coordinator"))
    data = client.get("/region/figures/report.xlsx").data
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames[1:] == list(TABLES)
    assert book.sheetnames[0] in ("Method", "Methode")
    headline = {row[0]: row[2] for row in book["headline"].iter_rows(min_row=3, values_only=True)}
    assert headline["agreed_exchanges"] == 1
    assert headline["realised_t"] == pytest.approx(100.0)
    notes = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert len(notes) >= 6


def _valid_points(collection: dict[str, Any]) -> list[dict[str, Any]]:
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        for lon, lat in (
            [feature["geometry"]["coordinates"]]
            if feature["geometry"]["type"] == "Point"
            else feature["geometry"]["coordinates"]
        ):
            assert 3.0 < lon < 7.5 and 50.5 < lat < 53.7  # lon/lat order, in NL
    return collection["features"]


def test_listings_geojson_hides_an_anonymous_firm_from_other_firms(
    client: FlaskClient, region: Region
) -> None:
    region.grain.visibility = "anonymous"
    db.session.commit()
    login(client, make_user(organisation=region.builder))
    response = client.get("/region/export/listings.geojson")
    assert response.mimetype == "application/geo+json"
    features = {f["id"]: f for f in _valid_points(response.get_json())}
    grain = features[region.grain.public_id]
    assert "Brouwerij" not in response.get_data(as_text=True)
    assert grain["geometry"]["coordinates"] != [region.grain.lon, region.grain.lat]
    rubble = features[region.rubble.public_id]
    assert rubble["geometry"]["coordinates"] == [region.rubble.lon, region.rubble.lat]


def test_exchanges_geojson_draws_each_exchange_for_coordinators(
    client: FlaskClient, delivered: Match
) -> None:
    login(client, make_user(role="coordinator"))
    [feature] = _valid_points(client.get("/region/export/exchanges.geojson").get_json())
    assert feature["id"] == delivered.public_id
    assert feature["geometry"]["type"] == "LineString"
    assert feature["properties"]["status"] == "active"
    assert str(delivered.id) != feature["id"]


def test_the_report_page_has_the_map_figures_charts_and_method(
    client: FlaskClient, delivered: Match
) -> None:
    login(client, make_user(role="coordinator"))
    html = client.get("/region/report").get_data(as_text=True)
    assert 'class="region-map"' in html
    assert html.count('class="chart"') == 6
    assert "Deventer" in html and "Zutphen" in html
    assert "2015/2402" in html  # the gas factors' sources in the method note
    assert "@media print" in html


def test_flask_region_report_writes_html(app: Flask, delivered: Match, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = app.test_cli_runner().invoke(args=["region", "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert 'class="region-map"' in html


def test_flask_region_report_writes_a_real_pdf(
    app: Flask, delivered: Match, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    result = app.test_cli_runner().invoke(
        args=["region", "report", "--out", str(out), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    pdf = PdfReader(io.BytesIO(data))
    assert len(pdf.pages) >= 2
    first = pdf.pages[0].extract_text()
    assert "Cleantech Regio" in first
    assert "firms with active listings" in first


def test_flask_region_report_refuses_another_suffix(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(
        args=["region", "report", "--out", str(tmp_path / "report.docx")]
    )
    assert result.exit_code != 0
    assert "use .html or .pdf" in result.output


def test_flask_region_report_says_what_to_install_without_weasyprint(
    app: Flask, db_session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    out = tmp_path / "report.pdf"
    result = app.test_cli_runner().invoke(args=["region", "report", "--out", str(out)])
    assert result.exit_code == 1
    assert "WeasyPrint" in result.output
    assert not out.exists()


def test_the_report_counts_no_match_twice(delivered: Match) -> None:
    report = region_report()
    assert len(report.exchanges) == db.session.scalar(
        sa.select(sa.func.count()).select_from(Match).where(Match.status != "superseded")
    )
