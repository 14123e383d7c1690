"""``python -m flows match`` end to end on small listing files."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from flows.cli import main
from flows.schema import PROPOSAL_COLUMNS

GOOD_FILE = """\
ref,organisation,kind,title,material,ewc_code,quantity,unit,frequency,lat,lon,max_distance_km,current_route
X,Alpha BV,offer,Scrap steel,metals.ferrous,17 04 05,10,t,year,52.25,6.16,,landfill
Y,Beta BV,offer,FGD gypsum,minerals.gypsum_fgd,10 01 05,50,t,year,52.21,5.96,,landfill
Q,Beta BV,need,Steel,metals,,4,t,year,52.21,5.96,30,
P,Gamma BV,need,Gypsum,minerals.gypsum,,5,t,month,52.14,6.19,,
"""

BAD_FILE = """\
ref,organisation,kind,title,material,ewc_code,quantity,unit,frequency,lat,lon
X,Alpha BV,offer,Scrap steel,metals.ferrous,17 04 05,-10,t,year,52.25,6.16
Q,Beta BV,need,Steel,metals,,4,tons,year,52.21,5.96
P,,need,Gypsum,minerals.gypsum,,5,t,month,52.14,6.19
"""


def run(tmp_path, content, *options):
    listings = tmp_path / "listings.csv"
    listings.write_text(content, encoding="utf-8")
    out = tmp_path / "proposals.csv"
    result = CliRunner().invoke(main, ["match", str(listings), "--out", str(out), *options])
    return result, out


def test_match_writes_proposals_and_a_summary(tmp_path):
    result, out = run(tmp_path, GOOD_FILE, "--objective", "co2", "--top-k", "5")
    assert result.exit_code == 0, result.output
    proposals = pd.read_csv(out)
    assert list(proposals.columns[: len(PROPOSAL_COLUMNS)]) == list(PROPOSAL_COLUMNS)
    assert sorted(zip(proposals["offer_ref"], proposals["need_ref"], strict=True)) == [
        ("X", "Q"),
        ("Y", "P"),
    ]
    # 4 t of steel a year; 5 t of gypsum a month = 60 t a year, of which 50 t are on offer.
    assert proposals.set_index("need_ref")["quantity_per_year"].to_dict() == {"Q": 4.0, "P": 50.0}
    assert "2 offers, 2 needs -> 2 candidate edges -> 2 proposals" in result.stderr
    assert "exchanged per year: 54 t" in result.stderr
    assert "net CO2e avoided:" in result.stderr
    assert "time per phase (s): read" in result.stderr
    assert result.stdout == ""


def test_match_with_the_tonnes_objective_and_networkx(tmp_path):
    result, out = run(
        tmp_path, GOOD_FILE, "--objective", "tonnes", "--solver", "networkx", "--circuity", "1.1"
    )
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(out)) == 2
    assert "(objective tonnes, solver networkx)" in result.stderr


def test_a_bad_file_lists_every_problem_and_exits_2(tmp_path):
    result, out = run(tmp_path, BAD_FILE)
    assert result.exit_code == 2
    assert "3 problem(s) found" in result.stderr
    assert "row 2, column 'quantity'" in result.stderr
    assert "row 3, column 'unit'" in result.stderr
    assert "row 4, column 'organisation'" in result.stderr
    assert not out.exists()


def test_bad_options_are_refused_by_click(tmp_path):
    result, _ = run(tmp_path, GOOD_FILE, "--circuity", "0.5")
    assert result.exit_code == 2
    assert "circuity" in result.stderr.lower()


def test_a_road_network_gives_true_road_distances(tmp_path):
    from tests.geo.test_road_network import A, C, _graphml

    graph = tmp_path / "roads.graphml"
    graph.write_text(_graphml(), encoding="utf-8")
    # The offer sits on node A, the need on node C: the shortest road is A-B-C, 1.6 km,
    # while the straight line is about 1.36 km (and x1.3 would be about 1.77 km).
    content = (
        "ref,organisation,kind,title,material,ewc_code,quantity,unit,frequency,lat,lon,"
        "max_distance_km,current_route\n"
        f"X,Alpha BV,offer,Scrap steel,metals.ferrous,17 04 05,10,t,year,{A[1]},{A[0]},,landfill\n"
        f"Q,Beta BV,need,Steel,metals.ferrous,,4,t,year,{C[1]},{C[0]},5,\n"
    )
    result, out = run(tmp_path, content, "--road-graphml", str(graph))
    assert result.exit_code == 0, result.output
    proposals = pd.read_csv(out)
    assert len(proposals) == 1
    assert proposals.loc[0, "road_km"] == pytest.approx(1.6, abs=1e-6)
    assert proposals.loc[0, "distance_km"] < 1.6


def test_a_broken_road_network_file_is_refused_with_exit_2(tmp_path):
    graph = tmp_path / "roads.graphml"
    graph.write_text("<graphml>not a graph</graphml>", encoding="utf-8")
    result, _ = run(tmp_path, GOOD_FILE, "--road-graphml", str(graph))
    assert result.exit_code == 2, result.output
