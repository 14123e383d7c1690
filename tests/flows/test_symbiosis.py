"""Symbiosis credits: every cited figure has its provenance, every credit is checked by hand."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest

from flows import co2, symbiosis

DATA = Path(symbiosis.__file__).parent / "data"
DOC = Path(symbiosis.__file__).parent.parent / "docs" / "co2-method.md"


def cited() -> dict[str, float]:
    """The cited values, read straight from the data file (not through the module)."""
    with (DATA / "emission_factors_symbiosis_cited.csv").open(encoding="utf-8") as fh:
        return {row["key"]: float(row["value"]) for row in csv.DictReader(fh)}


def factor(key: str) -> float:
    return float(co2.factor_table().set_index("factor_key").loc[key, "value"])


HGV = 0.09752  # DESNZ 2024 all HGVs, average laden, kg CO2e per tonne-km


# --------------------------------------------------------------------------- provenance


def test_every_cited_figure_has_a_source_a_year_a_place_and_an_excerpt() -> None:
    with (DATA / "emission_factors_symbiosis_cited.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    assert len({row["key"] for row in rows}) == len(rows)
    for row in rows:
        for column in ("item", "unit", "source", "url_or_repo_path", "where_in_source", "excerpt"):
            assert row[column].strip(), (row["key"], column)
        assert re.search(r"(19|20)\d\d", row["year"]), row["key"]


def _spellings(value: float) -> set[str]:
    plain = f"{value:g}"
    return {plain, plain.replace(".", ","), f"{value:,.0f}", f"{value:,.0f}".replace(",", ".")}


def test_every_cited_value_is_in_its_verbatim_excerpt() -> None:
    with (DATA / "emission_factors_symbiosis_cited.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            spellings = _spellings(float(row["value"]))
            assert any(s in row["excerpt"] for s in spellings), (row["key"], row["excerpt"])


def test_every_credit_names_only_cited_figures_and_converts_to_a_factor_row() -> None:
    keys = set(cited())
    for credit in symbiosis.credits():
        assert credit.inputs and set(credit.inputs) <= keys, credit.key
        row = credit.as_factor()
        assert row["source"] and row["note"] and 2000 <= int(str(row["year"])) <= 2030
        assert row["unit"] == "kg CO2e/t" and row["value"] == credit.co2e_kg_per_t > 0


def test_every_credit_and_known_gap_is_in_the_method_document() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for credit in symbiosis.credits():
        assert f"`{credit.key}`" in doc
        assert f"| {round(credit.co2e_kg_per_t, 3):g} |" in doc.replace(".0 |", " |"), credit.key
    for gap in symbiosis.KNOWN_GAPS:
        assert gap in doc.lower() or gap.split(" ")[0] in doc.lower()


# --------------------------------------------------------------------------- credits by hand


def test_fly_ash_replacing_cement_credits_cem_i_minus_fly_ash_handling() -> None:
    c = cited()
    expected = 0.95 * 1000 - 0.008 * 1000  # ICE v2.0: CEM I 0.95 kg CO2e/kg, fly ash 0.008
    assert c["g1_ice_cem_i_co2e"] == 0.95 and c["g2_ice_flyash"] == 0.008
    credit = symbiosis.credit_for("minerals.fly_ash", "minerals.cement")
    assert credit is not None and credit.co2e_kg_per_t == pytest.approx(expected) == 942.0


def test_one_tonne_of_fly_ash_to_a_cement_plant_220_km_away_nets_positive() -> None:
    # The case: with the generic minerals proxy this exchange netted negative.
    b = co2.exchange_breakdown(
        offer_material="minerals.fly_ash",
        need_material="minerals.cement",
        quantity=1,
        unit="t",
        current_route="landfill",
        road_km=220,
    )
    credit = 950.0 - 8.0
    disposal = factor("disposal.minerals.landfill")  # DESNZ 2024 aggregates to landfill
    transport = 220 * HGV
    avoided_transport = 150 * HGV  # default distance of today's cement supply
    assert b["avoided_production_co2e_kg"] == pytest.approx(credit)
    assert b["transport_co2e_kg"] == pytest.approx(transport)
    assert b["net_co2e_kg"] == pytest.approx(credit + disposal - transport + avoided_transport)
    assert b["net_co2e_kg"] > 900
    keys = [f["factor_key"] for f in b["factors"]]
    assert "credit.minerals.fly_ash.minerals.cement" in keys

    before = co2.exchange_breakdown(
        offer_material="minerals.fly_ash",
        need_material="minerals.cement",
        quantity=1,
        unit="t",
        current_route="landfill",
        road_km=220,
        symbiosis_credits=False,
    )
    generic = factor("production.minerals") - factor("secondary.minerals")
    assert before["avoided_production_co2e_kg"] == pytest.approx(generic)
    assert before["net_co2e_kg"] < 0


def test_slag_replacing_cement_credits_cem_i_minus_ggbs_grinding() -> None:
    c = cited()
    expected = c["g1_ice_cem_i_co2e"] * 1000 - c["g2_csma_ggbs_2010"]
    assert expected == pytest.approx(883.0)
    row = co2.co2_per_unit(
        offer_material=["minerals.slag"],
        need_material=["minerals.cement"],
        unit=["t"],
        current_route=[None],
        current_source=["virgin"],
        source_km=[0.0],
        road_km=[0.0],
    ).iloc[0]
    assert row["avoided_production_co2e_kg_per_unit"] == pytest.approx(expected)
    assert row["production_factor_key"] == "credit.minerals.slag.minerals.cement"


def test_ice_blended_cements_agree_with_one_for_one_replacement() -> None:
    c = cited()
    cem_i = c["g1_ice_cem_i_co2e"]
    fly_ash_share, slag_share = (0.21 + 0.35) / 2, (0.36 + 0.65) / 2
    cem_ii = cem_i * (1 - fly_ash_share) + c["g2_ice_flyash"] * fly_ash_share
    cem_iii = cem_i * (1 - slag_share) + c["g2_csma_ggbs_2010"] / 1000 * slag_share
    assert cem_ii == pytest.approx(c["g2_ice_cem_ii_b_v_mean"], rel=0.03)
    assert cem_iii == pytest.approx(c["g2_ice_cem_iii_a_mean"], rel=0.03)


def test_fgd_gypsum_replacing_natural_gypsum_credits_the_calcination_difference() -> None:
    c = cited()
    fgd = c["g3_calcined_gypsum_fgd"]  # 105.3 kg CO2/t calcined gypsum
    natural = fgd / (1 - c["g3_calcined_gypsum_fgd_vs_natural"] / 100)  # 25.2 % lower
    per_t_gypsum = (natural - fgd) * 145.15 / 172.17  # CaSO4.0.5H2O from CaSO4.2H2O
    b = co2.exchange_breakdown(
        offer_material="minerals.gypsum_fgd",
        need_material="minerals.gypsum",
        quantity=10,
        unit="t",
        current_route=None,
        current_source="virgin",
        source_km=200,
        road_km=40,
    )
    assert per_t_gypsum == pytest.approx(29.908, abs=1e-3)
    assert b["avoided_production_co2e_kg"] == pytest.approx(10 * per_t_gypsum)
    assert b["net_co2e_kg"] == pytest.approx(10 * per_t_gypsum + (200 - 40) * 10 * HGV)


def _fertiliser_credit(n: float, p2o5: float, k2o: float) -> float:
    c = cited()
    per_n = c["g4_fert_an_eu_fe2020"] / 0.335  # AN, 33.5 % N
    per_p2o5 = c["g4_fert_tsp_eu_brentrup2016"] / 0.45  # TSP, 45 % P2O5
    per_k2o = c["g4_fert_mop_eu_brentrup2016"] / 0.60  # KCl, 60 % K2O
    return n * per_n + p2o5 * per_p2o5 + k2o * per_k2o


def test_cattle_slurry_replaces_mineral_fertiliser_by_its_nutrients() -> None:
    expected = _fertiliser_credit(4.1, 1.4, 5.3)  # NMI BAAT050, kg per t fresh
    assert expected == pytest.approx(16.201, abs=1e-3)
    b = co2.exchange_breakdown(
        offer_material="organics.manure",
        need_material="organics.soil_improver",
        quantity=100,
        unit="t",
        current_route="land_spreading",
        source_km=0,
        road_km=0,
    )
    assert b["avoided_production_co2e_kg"] == pytest.approx(100 * expected)
    assert b["net_co2e_kg"] == pytest.approx(100 * expected)


def test_digestate_replaces_mineral_fertiliser_by_its_nutrients() -> None:
    expected = _fertiliser_credit(4.0, 3.8, 4.0)  # Vlaco raw digestate medians
    credit = symbiosis.credit_for("organics.soil_improver", "organics.soil_improver")
    assert credit is not None and credit.co2e_kg_per_t == pytest.approx(expected)


def test_a_cubic_metre_of_slurry_is_credited_through_its_density() -> None:
    row = co2.co2_per_unit(
        offer_material=["organics.manure"],
        need_material=["organics.soil_improver"],
        unit=["m3"],
        current_route=[None],
        current_source=[None],
        source_km=[0.0],
        road_km=[0.0],
    ).iloc[0]
    assert row["avoided_production_co2e_kg_per_unit"] == pytest.approx(
        1.02 * _fertiliser_credit(4.1, 1.4, 5.3)  # slurry 1.02 t/m3 (taxonomy density)
    )


def test_spent_grain_as_feed_credits_the_uk_scenario_per_tonne() -> None:
    c = cited()
    expected = c["g5_feed_bsg_uk_scenario"] * 1_000_000 / 130_000  # 39 kt over 130,000 t
    b = co2.exchange_breakdown(
        offer_material="organics.spent_grain",
        need_material="organics.animal_feed",
        quantity=2,
        unit="t",
        current_route=None,
        source_km=0,
        road_km=0,
    )
    assert expected == 300.0
    assert b["avoided_production_co2e_kg"] == pytest.approx(2 * expected)


def test_wood_chips_replacing_natural_gas_credit_their_energy_minus_their_ch4_and_n2o() -> None:
    c = cited()
    gas_kg_per_gj = c["g6_desnz2025_natgas_kwh_net"] * 1000 / 3.6
    expected = c["g6_desnz2025_woodchips_ncv"] * gas_kg_per_gj - c["g6_desnz2025_woodchips_scope1"]
    assert expected == pytest.approx(722.316, abs=1e-3)
    b = co2.exchange_breakdown(
        offer_material="organics.wood.residues",
        need_material="organics.biomass_fuel",
        quantity=50,
        unit="t",
        current_route="incineration",
        current_source="virgin",
        source_km=30,
        road_km=30,
    )
    assert b["avoided_production_co2e_kg"] == pytest.approx(50 * expected)
    disposal = factor("disposal.organics.wood.incineration")
    assert b["net_co2e_kg"] == pytest.approx(50 * expected + 50 * disposal)


def test_co2_to_greenhouses_credits_ocaps_avoided_over_delivered() -> None:
    c = cited()
    expected = c["g8_ocap_co2_avoided_factsheet"] / (c["g8_ocap_co2_delivered"] * 1000) * 1000
    b = co2.exchange_breakdown(
        offer_material="energy.co2_gas",
        need_material="energy.co2_greenhouse",
        quantity=100,
        unit="t",
        current_route="other",
        road_km=3,
    )
    assert expected == 512.5
    assert b["avoided_production_co2e_kg"] == pytest.approx(100 * expected)
    assert b["piped"] and b["transport_co2e_kg"] == 0


def test_recycled_aggregates_keep_the_desnz_primary_minus_closed_loop_credit() -> None:
    b = co2.exchange_breakdown(
        offer_material="minerals.concrete_rubble",
        need_material="minerals.aggregates",
        quantity=1,
        unit="t",
        current_route=None,
        source_km=0,
        road_km=0,
    )
    assert b["avoided_production_co2e_kg"] == pytest.approx(7.75127 - 3.19485)
    assert symbiosis.credit_for("minerals.concrete_rubble", "minerals.aggregates") is None


# --------------------------------------------------------------------------- rules


def test_a_need_already_supplied_from_secondary_material_earns_no_credit() -> None:
    b = co2.exchange_breakdown(
        offer_material="minerals.fly_ash",
        need_material="minerals.cement",
        quantity=1,
        unit="t",
        current_route=None,
        current_source="secondary",
        source_km=0,
        road_km=0,
    )
    assert b["avoided_production_co2e_kg"] == 0
    assert all(not f["factor_key"].startswith("credit.") for f in b["factors"])


def test_a_credit_covers_descendants_and_no_other_pair() -> None:
    assert symbiosis.credit_for("organics.wood.clean", "organics.biomass_fuel") is not None
    assert symbiosis.credit_for("organics.green_waste", "organics.biomass_fuel") is None
    assert symbiosis.credit_for("minerals.cement", "minerals.fly_ash") is None


@pytest.mark.parametrize("credits_on", [True, False])
def test_vectorised_and_scalar_agree_with_and_without_credits(credits_on: bool) -> None:
    pairs = [(c.offered, c.needed) for c in symbiosis.credits()]
    frame = co2.co2_per_unit(
        offer_material=[o for o, _ in pairs],
        need_material=[n for _, n in pairs],
        unit=["t"] * len(pairs),
        current_route=[None] * len(pairs),
        current_source=[None] * len(pairs),
        source_km=[math.nan] * len(pairs),
        road_km=[25.0] * len(pairs),
        symbiosis_credits=credits_on,
    )
    for (offered, needed), net in zip(pairs, frame["net_co2e_kg_per_unit"], strict=True):
        b = co2.exchange_breakdown(
            offer_material=offered,
            need_material=needed,
            quantity=1,
            unit="t",
            current_route=None,
            road_km=25.0,
            symbiosis_credits=credits_on,
        )
        assert net == pytest.approx(b["net_co2e_kg"]), (offered, needed)
