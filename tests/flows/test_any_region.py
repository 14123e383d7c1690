"""The engine end to end outside the Netherlands: a Danish and a German instance."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from flows.cli import main
from flows.propose import Params, propose
from geo.distance import geodesic_km

# Kalundborg symbiosis: the Asnaes power station and the Gyproc plasterboard plant.
ASNAES = (11.0870, 55.6630)
GYPROC = (11.1330, 55.6780)
COPENHAGEN = (12.5683, 55.6761)
# Steel scrap from Hamburg to the Bremen steelworks; a Munich need out of reach.
HAMBURG = (9.9937, 53.5511)
BREMEN = (8.6916, 53.1297)
MUNICH = (11.5820, 48.1351)


def listing(ref, org, material, where, quantity, **extra):
    return {
        "ref": ref,
        "organisation": org,
        "material": material,
        "quantity": quantity,
        "unit": "t",
        "frequency": "year",
        "lon": where[0],
        "lat": where[1],
        **extra,
    }


def test_kalundborg_gypsum_goes_to_the_plasterboard_plant_next_door():
    offers = pd.DataFrame(
        [listing("fgd", "Asnaes", "minerals.gypsum_fgd", ASNAES, 80.0, ewc_code="10 01 05")]
    )
    needs = pd.DataFrame(
        [
            listing("board", "Gyproc", "minerals.gypsum", GYPROC, 100.0, max_distance_km=20.0),
            listing("city", "Cph", "minerals.gypsum", COPENHAGEN, 100.0, max_distance_km=50.0),
        ]
    )
    result = propose(offers, needs, Params(objective="tonnes", circuity=1.2))
    frame = result.frame
    assert result.summary["candidates"] == 1  # Copenhagen is 93 km away, limit 50
    row = frame.iloc[0]
    assert (row["offer_ref"], row["need_ref"], row["quantity_per_year"]) == ("fgd", "board", 80.0)
    expected_km = float(geodesic_km(*ASNAES, *GYPROC))
    assert 3.2 < expected_km < 3.5
    assert row["distance_km"] == pytest.approx(expected_km, rel=0.005)
    assert row["road_km"] == pytest.approx(1.2 * expected_km, rel=0.005)


def test_hamburg_scrap_reaches_bremen_not_munich():
    offers = pd.DataFrame(
        [
            listing(
                "scrap", "Hamburg Recycling", "metals.ferrous", HAMBURG, 500.0, ewc_code="17 04 05"
            )
        ]
    )
    needs = pd.DataFrame(
        [
            listing("bf", "Bremen Steel", "metals.ferrous", BREMEN, 300.0, max_distance_km=150.0),
            listing("far", "Munich Foundry", "metals", MUNICH, 300.0, max_distance_km=150.0),
        ]
    )
    frame = propose(offers, needs, Params(objective="tonnes")).frame
    assert frame[["need_ref", "quantity_per_year"]].to_dict("list") == {
        "need_ref": ["bf"],
        "quantity_per_year": [300.0],
    }
    # 98.6 km on the ellipsoid (Karney); x 1.3 = 128.2 km by road, within the 150 km limit.
    assert frame.iloc[0]["distance_km"] == pytest.approx(98.6, abs=0.05)
    assert frame.iloc[0]["road_km"] == pytest.approx(128.2, abs=0.1)


GERMAN_FILE = f"""\
ref,organisation,kind,title,material,ewc_code,quantity,unit,frequency,lat,lon,max_distance_km
S,Hamburg Recycling,offer,Scrap,metals.ferrous,17 04 05,500,t,year,{HAMBURG[1]},{HAMBURG[0]},
B,Bremen Steel,need,Scrap,metals.ferrous,,300,t,year,{BREMEN[1]},{BREMEN[0]},150
"""


def test_match_accepts_points_outside_the_netherlands(tmp_path):
    listings = tmp_path / "de.csv"
    listings.write_text(GERMAN_FILE, encoding="utf-8")
    out = tmp_path / "proposals.csv"
    result = CliRunner().invoke(main, ["match", str(listings), "--out", str(out)])
    assert result.exit_code == 0, result.output
    proposals = pd.read_csv(out)
    assert proposals[["offer_ref", "need_ref"]].values.tolist() == [["S", "B"]]
    explained = CliRunner().invoke(main, ["match", str(listings), "--explain", "S:B"])
    assert "98.6 km straight, 128.2 km by road" in explained.stdout
