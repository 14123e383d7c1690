"""The avoided-CO2 model: factor provenance, hand-checked exchanges, vectorised == scalar."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import co2, taxonomy
from flows.errors import UnknownCategory, ValidationError
from flows.schema import CURRENT_ROUTES

DATA = Path(co2.__file__).parent / "data"
DOC = Path(co2.__file__).parent.parent / "docs" / "co2-method.md"

RUBBLE = "minerals.concrete_rubble"
AGGREGATES = "minerals.aggregates"


def value(key: str) -> float:
    """A factor's value from the curated table, by key."""
    table = co2.factor_table().set_index("factor_key")
    return float(table.loc[key, "value"])


def one(**kwargs: object) -> pd.Series:
    """co2_per_unit for a single row, as a Series of its columns."""
    defaults: dict[str, object] = {"current_source": None, "source_km": math.nan}
    args = defaults | kwargs
    frame = co2.co2_per_unit(**{k: [v] for k, v in args.items()})  # type: ignore[arg-type]
    return frame.iloc[0]


# --------------------------------------------------------------------------- factor table


def test_every_factor_has_a_source_a_year_and_a_known_unit() -> None:
    table = co2.factor_table()
    assert table["factor_key"].is_unique
    assert (table["source"].str.len() > 20).all()
    assert table["year"].between(2000, 2030).all()
    assert table["value"].notna().all()
    assert (table["value"] > 0).all()
    assert set(table["unit"]) <= {
        "kg CO2e/t",
        "kg CO2e/m3",
        "kg CO2e/MWh",
        "kg CO2e/tonne.km",
        "MWh heat/MWh fuel",
    }


def test_every_factor_category_is_a_taxonomy_key_and_disposal_rows_name_a_route() -> None:
    table = co2.factor_table()
    categories = set(table.loc[table["category"] != "", "category"])
    assert categories <= set(taxonomy.CATEGORIES)
    disposal = table[table["term"] == "disposal"]
    assert set(disposal["route"]) <= set(CURRENT_ROUTES)
    assert (table.loc[table["term"] != "disposal", "route"] == "").all()


def test_factors_not_in_the_shipped_files_say_so() -> None:
    table = co2.factor_table()
    not_uk_file = ~table["source"].str.contains("condensed set v1.1", regex=False)
    assert not_uk_file.any()
    marked = table.loc[not_uk_file, "note"].str.contains(
        "not in shipped source files; cited", regex=False
    )
    assert marked.all(), table.loc[not_uk_file & ~marked.reindex(table.index, fill_value=True)]


UK_CITATION = re.compile(
    r"conversion factors (?P<year>\d{4}), condensed set v1\.1 \(OGL v3\), "
    r"sheet '(?P<sheet>[^']+)', row '(?P<activity>[^']+) / (?P<item>[^']+)', "
    r"column '(?P<column>[^']*)'(?:, size '(?P<size>[^']+)')?"
)
UK_FILES = {
    "Material use": ("emission_factors_uk_material_use.csv", "material", "material_source"),
    "Waste disposal": ("emission_factors_uk_waste_disposal.csv", "waste_type", "disposal_method"),
    "Freighting goods": ("emission_factors_uk_freighting_goods.csv", "type", "variant"),
}


def test_every_value_cited_from_a_shipped_uk_file_equals_that_files_row() -> None:
    table = co2.factor_table()
    checked = 0
    for row in table.itertuples():
        match = UK_CITATION.search(row.source)
        if match is None:
            continue
        filename, item_column, column_column = UK_FILES[match["sheet"]]
        uk = pd.read_csv(DATA / filename)
        hit = uk[
            (uk["year"] == int(match["year"]))
            & (uk["activity"] == match["activity"])
            & (uk[item_column] == match["item"])
            & (uk[column_column].fillna("") == match["column"])
            & (uk["metric"] == "kg CO2e")
        ]
        if match["size"] is not None:
            hit = hit[hit["size"] == match["size"]]
        if match["sheet"] == "Freighting goods":
            hit = hit[hit["unit"] == "tonne.km"]
        assert len(hit) == 1, row.factor_key
        assert float(hit["kg_co2e_per_unit"].iloc[0]) == row.value, row.factor_key
        assert int(match["year"]) == row.year, row.factor_key
        checked += 1
    assert checked >= 50


def test_the_hgv_constant_is_the_tables_2024_all_hgvs_average_laden_row() -> None:
    assert value(co2.HGV_FACTOR_KEY) == co2.HGV_KG_CO2E_PER_TONNE_KM == 0.09752
    assert co2.HGV_FACTOR_YEAR == 2024
    table = co2.factor_table().set_index("factor_key")
    assert table.loc[co2.HGV_FACTOR_KEY, "source"].startswith(co2.HGV_FACTOR_SOURCE)


def test_derived_energy_factors_are_natural_gas_over_boiler_efficiency() -> None:
    gas = value("fuel.natural_gas")
    assert gas == 182.90
    heat = value("energy_displaced.energy.heat_low_temperature")
    steam = value("energy_displaced.energy.steam")
    assert heat == pytest.approx(gas / value("efficiency.gas_boiler_hot_water"), abs=1e-5)
    assert steam == pytest.approx(gas / value("efficiency.gas_boiler_steam"), abs=1e-5)
    assert value("energy_displaced.energy.biogas") == gas


def test_every_factor_key_appears_in_the_method_document() -> None:
    doc = DOC.read_text(encoding="utf-8")
    missing = [k for k in co2.factor_table()["factor_key"] if f"`{k}`" not in doc]
    assert missing == []


def test_the_method_documents_table_shows_each_factors_value_and_year() -> None:
    doc_rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    }
    for row in co2.factor_table().itertuples():
        line = doc_rows[row.factor_key]
        assert f"| {row.value:g} | {row.unit} |" in line, row.factor_key
        assert f"| {row.year} |" in line, row.factor_key


def test_factor_table_returns_a_copy_that_callers_may_change() -> None:
    table = co2.factor_table()
    table.loc[0, "value"] = -1.0
    assert co2.factor_table().loc[0, "value"] > 0


# --------------------------------------------------------------------------- hand-checked


def test_concrete_rubble_from_landfill_replacing_virgin_aggregates() -> None:
    # 100 t over 12 road km; the aggregates came from 50 km.
    b = co2.exchange_breakdown(
        offer_material=RUBBLE,
        need_material=AGGREGATES,
        quantity=100,
        unit="t",
        current_route="landfill",
        current_source="virgin",
        source_km=50,
        road_km=12,
    )
    production = 100 * (7.75127 - 3.19485)  # Aggregates primary - closed-loop source
    disposal = 100 * 1.23393  # Aggregates landfill
    transport = 100 * 12 * 0.09752
    avoided_transport = 100 * 50 * 0.09752
    assert b["mass_t"] == 100
    assert b["avoided_production_co2e_kg"] == pytest.approx(production, abs=1e-9)
    assert b["avoided_disposal_co2e_kg"] == pytest.approx(disposal, abs=1e-9)
    assert b["transport_co2e_kg"] == pytest.approx(transport, abs=1e-9)
    assert b["avoided_transport_co2e_kg"] == pytest.approx(avoided_transport, abs=1e-9)
    assert b["net_co2e_kg"] == pytest.approx(949.611, abs=1e-9)
    assert b["tonne_km"] == 1200
    assert b["tonne_km_saved"] == 3800
    assert {f["factor_key"] for f in b["factors"]} == {
        "production.minerals",
        "secondary.minerals",
        "disposal.minerals.landfill",
        "transport.hgv_average_laden",
    }

    r = one(
        offer_material=RUBBLE,
        need_material=AGGREGATES,
        unit="t",
        current_route="landfill",
        current_source="virgin",
        source_km=50.0,
        road_km=12.0,
    )
    assert r["net_co2e_kg_per_unit"] * 100 == pytest.approx(949.611, abs=1e-9)
    assert r["production_factor_key"] == "production.minerals"
    assert r["disposal_factor_key"] == "disposal.minerals.landfill"
    assert r["source_km_used"] == 50.0
    assert r["tonne_km_saved_per_unit"] == 38.0


def test_an_offer_already_recycled_earns_only_the_avoided_trip_to_the_recycler() -> None:
    b = co2.exchange_breakdown(
        offer_material="plastics.pp",
        need_material="plastics.pp",
        quantity=10,
        unit="t",
        current_route="recycling",
        source_km=200,
        road_km=30,
    )
    assert b["avoided_production_co2e_kg"] == pytest.approx(10 * (2568.58892 - 1303.58892))
    assert b["avoided_disposal_co2e_kg"] == pytest.approx(10 * 6.41061)  # transport only
    assert b["transport_co2e_kg"] == pytest.approx(10 * 30 * 0.09752)
    assert b["avoided_transport_co2e_kg"] == pytest.approx(10 * 200 * 0.09752)
    assert b["net_co2e_kg"] == pytest.approx(12650.0 + 64.1061 - 29.256 + 195.04)


def test_a_need_already_supplied_from_secondary_material_avoids_no_production() -> None:
    b = co2.exchange_breakdown(
        offer_material="metals.aluminium",
        need_material="metals.aluminium",
        quantity=2,
        unit="t",
        current_route="landfill",
        current_source="secondary",
        source_km=100,
        road_km=40,
    )
    assert b["avoided_production_co2e_kg"] == 0.0
    assert b["avoided_disposal_co2e_kg"] == pytest.approx(2 * 8.88386)
    assert b["net_co2e_kg"] == pytest.approx(2 * 8.88386 - 2 * 40 * 0.09752 + 2 * 100 * 0.09752)
    assert not any(f["term"] == "production" for f in b["factors"])


def test_the_same_need_supplied_from_virgin_avoids_primary_minus_closed_loop() -> None:
    b = co2.exchange_breakdown(
        offer_material="metals.aluminium",
        need_material="metals.aluminium",
        quantity=2,
        unit="t",
        current_route="landfill",
        current_source=None,
        source_km=100,
        road_km=40,
    )
    assert b["avoided_production_co2e_kg"] == pytest.approx(2 * (9106.91851 - 990.4781))


def test_water_is_piped_and_displaces_mains_supply_per_m3() -> None:
    b = co2.exchange_breakdown(
        offer_material="water.treated_effluent",
        need_material="water.process",
        quantity=1000,
        unit="m3",
        current_route="other",
        road_km=5,
    )
    assert b["piped"]
    assert b["avoided_production_co2e_kg"] == pytest.approx(1000 * 0.149)
    assert b["avoided_disposal_co2e_kg"] == 0.0
    assert b["transport_co2e_kg"] == 0.0
    assert b["avoided_transport_co2e_kg"] == 0.0
    assert b["source_km_used"] == 0.0
    assert b["net_co2e_kg"] == pytest.approx(149.0)


def test_residual_heat_displaces_gas_boiler_heat_per_mwh() -> None:
    b = co2.exchange_breakdown(
        offer_material="energy.heat_low_temperature",
        need_material="energy.heat_low_temperature",
        quantity=500,
        unit="MWh",
        current_route=None,
        road_km=3,
    )
    assert b["mass_t"] == 0.0
    assert b["avoided_production_co2e_kg"] == pytest.approx(500 * 182.90 / 0.92, abs=1e-2)
    assert b["transport_co2e_kg"] == b["avoided_transport_co2e_kg"] == 0.0
    r = one(
        offer_material="energy.heat_low_temperature",
        need_material="energy.heat_low_temperature",
        unit="MWh",
        current_route="other",
        road_km=3.0,
    )
    assert r["net_co2e_kg_per_unit"] == value("energy_displaced.energy.heat_low_temperature")
    assert r["production_factor_key"] == "energy_displaced.energy.heat_low_temperature"
    assert pd.isna(r["disposal_factor_key"])


def test_an_unknown_source_distance_uses_the_category_default() -> None:
    r = one(
        offer_material="minerals.gypsum_fgd",
        need_material="minerals.gypsum",
        unit="t",
        current_route="landfill",
        source_km=math.nan,
        road_km=10.0,
    )
    assert r["source_km_used"] == co2.default_source_km("minerals.gypsum") == 200.0
    assert r["avoided_transport_co2e_kg_per_unit"] == pytest.approx(200 * 0.09752)
    b = co2.exchange_breakdown(
        offer_material="minerals.gypsum_fgd",
        need_material="minerals.gypsum",
        quantity=1,
        unit="t",
        current_route="landfill",
        road_km=10,
    )
    assert b["source_km_is_default"]
    assert b["source_km_used"] == 200.0


@pytest.mark.parametrize(
    ("material", "km"),
    [
        ("minerals", 50.0),
        ("minerals.gypsum", 200.0),
        ("organics.animal_feed", 150.0),
        ("energy.heat_low_temperature", 0.0),
        ("water.process", 0.0),
        ("metals.aluminium", 150.0),
    ],
)
def test_default_source_km_follows_the_nearest_listed_ancestor(material: str, km: float) -> None:
    assert co2.default_source_km(material) == km


def test_a_volume_of_solid_material_becomes_mass_through_the_taxonomy_density() -> None:
    key = next(
        k
        for k, c in sorted(taxonomy.CATEGORIES.items())
        if getattr(c, "density_t_per_m3", None) and k.split(".")[0] not in co2.PIPED_FAMILIES
    )
    density = taxonomy.CATEGORIES[key].density_t_per_m3
    r = one(
        offer_material=key,
        need_material=key,
        unit="m3",
        current_route="landfill",
        source_km=10.0,
        road_km=10.0,
    )
    assert r["mass_t_per_unit"] == density
    assert r["transport_co2e_kg_per_unit"] == pytest.approx(10 * 0.09752 * density)


def test_a_pallet_weighs_its_documented_piece_mass() -> None:
    r = one(
        offer_material="packaging.pallets",
        need_material="packaging.pallets",
        unit="pcs",
        current_route="landfill",
        source_km=100.0,
        road_km=20.0,
    )
    assert r["mass_t_per_unit"] == 0.025
    assert r["avoided_production_co2e_kg_per_unit"] == pytest.approx(0.025 * (269.50416 - 38.54288))
    assert r["avoided_disposal_co2e_kg_per_unit"] == pytest.approx(0.025 * 925.24423)


def test_a_sub_category_without_its_own_factor_uses_its_nearest_ancestors() -> None:
    primary, secondary = co2.production_factors("plastics.mixed")
    assert primary is not None and primary.factor_key == "production.plastics"
    assert secondary is not None and secondary.factor_key == "secondary.plastics"
    disposal = co2.disposal_factor("organics.spent_grain", "landfill")
    assert disposal is not None and disposal.factor_key == "disposal.organics.landfill"


# --------------------------------------------------------------------------- validation


def test_bad_inputs_are_all_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        co2.co2_per_unit(
            offer_material=["no.such.material", "metals"],
            need_material=["metals", "metals"],
            unit=["t", "litre"],
            current_route=["landfill", "dumped"],
            current_source=[None, "recycled"],
            source_km=[-1.0, math.nan],
            road_km=[math.nan, 3.0],
        )
    text = str(info.value)
    assert len(info.value.problems) == 6
    for fragment in (
        "'no.such.material'",
        "'litre'",
        "'dumped'",
        "'recycled'",
        "source_km",
        "road_km",
    ):
        assert fragment in text


def test_arguments_of_unequal_length_are_refused() -> None:
    with pytest.raises(ValidationError, match="same length"):
        co2.co2_per_unit(
            offer_material=["metals"],
            need_material=["metals", "metals"],
            unit=["t"],
            current_route=["landfill"],
            current_source=[None],
            source_km=[1.0],
            road_km=[1.0],
        )


def test_an_unknown_material_is_an_unknown_category() -> None:
    with pytest.raises(UnknownCategory, match="'nonsense'"):
        co2.default_source_km("nonsense")


def test_empty_cells_for_route_and_source_count_as_unknown() -> None:
    r = one(
        offer_material="metals",
        need_material="metals",
        unit="t",
        current_route="",
        current_source="",
        source_km=1.0,
        road_km=1.0,
    )
    assert r["avoided_disposal_co2e_kg_per_unit"] == 0.0
    assert r["avoided_production_co2e_kg_per_unit"] == pytest.approx(3464.56448 - 1620.27606)
    assert pd.isna(r["disposal_factor_key"])


def test_a_secondary_supplied_need_reports_no_production_factor() -> None:
    r = one(
        offer_material="metals",
        need_material="metals",
        unit="t",
        current_route="landfill",
        current_source="secondary",
        source_km=1.0,
        road_km=1.0,
    )
    assert pd.isna(r["production_factor_key"])
    assert r["disposal_factor_key"] == "disposal.metals.landfill"


def test_the_result_keeps_the_index_of_a_series_input() -> None:
    index = pd.Index([7, 3])
    got = co2.co2_per_unit(
        offer_material=pd.Series(["metals", "glass"], index=index),
        need_material=["metals", "glass"],
        unit=["t", "t"],
        current_route=["landfill", "landfill"],
        current_source=[None, None],
        source_km=[1.0, 1.0],
        road_km=[1.0, 1.0],
    )
    assert got.index.equals(index)
    assert list(got.columns) == list(co2.RESULT_COLUMNS)


def test_categorical_inputs_with_unused_categories_give_the_same_result() -> None:
    materials = pd.Categorical(
        ["metals", "plastics.pp"], categories=["bogus", "metals", "plastics.pp"]
    )
    units = pd.Categorical(["t", "t"], categories=["litre", "t"])
    routes = pd.Categorical([None, "landfill"], categories=["landfill", "nowhere"])
    got = co2.co2_per_unit(
        offer_material=materials,
        need_material=materials,
        unit=units,
        current_route=routes,
        current_source=pd.Categorical([None, None], categories=["virgin"]),
        source_km=np.array([np.nan, 10.0]),
        road_km=np.array([5.0, 5.0]),
    )
    want = co2.co2_per_unit(
        offer_material=["metals", "plastics.pp"],
        need_material=["metals", "plastics.pp"],
        unit=["t", "t"],
        current_route=[None, "landfill"],
        current_source=[None, None],
        source_km=[math.nan, 10.0],
        road_km=[5.0, 5.0],
    )
    pd.testing.assert_frame_equal(got, want, check_categorical=False)


# --------------------------------------------------------------------------- properties

TERMS = {
    "avoided_production_co2e_kg_per_unit": "avoided_production_co2e_kg",
    "avoided_disposal_co2e_kg_per_unit": "avoided_disposal_co2e_kg",
    "transport_co2e_kg_per_unit": "transport_co2e_kg",
    "avoided_transport_co2e_kg_per_unit": "avoided_transport_co2e_kg",
    "net_co2e_kg_per_unit": "net_co2e_kg",
    "mass_t_per_unit": "mass_t",
    "tonne_km_saved_per_unit": "tonne_km_saved",
}
rows = st.fixed_dictionaries(
    {
        "offer_material": st.sampled_from(sorted(taxonomy.CATEGORIES)),
        "need_material": st.sampled_from(sorted(taxonomy.CATEGORIES)),
        "unit": st.sampled_from(["t", "kg", "m3", "MWh", "pcs"]),
        "current_route": st.sampled_from([*CURRENT_ROUTES, None]),
        "current_source": st.sampled_from(["virgin", "secondary", None]),
        "source_km": st.one_of(st.none(), st.floats(0, 500)),
        "road_km": st.floats(0, 300),
        "quantity": st.floats(0, 1e4),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(rows, min_size=1, max_size=8))
def test_the_vectorised_result_equals_the_scalar_breakdown(batch: list[dict[str, object]]) -> None:
    frame = pd.DataFrame(batch)
    got = co2.co2_per_unit(
        offer_material=frame["offer_material"],
        need_material=frame["need_material"],
        unit=frame["unit"],
        current_route=frame["current_route"],
        current_source=frame["current_source"],
        source_km=frame["source_km"].astype(float),
        road_km=frame["road_km"],
    )
    for i, row in enumerate(batch):
        b = co2.exchange_breakdown(**row)  # type: ignore[arg-type]
        q = float(row["quantity"])  # type: ignore[arg-type]
        for column, total in TERMS.items():
            assert got[column].iloc[i] * q == pytest.approx(b[total], rel=1e-9, abs=1e-6), column
        assert got["source_km_used"].iloc[i] == pytest.approx(b["source_km_used"])
        used = {f["term"]: f["factor_key"] for f in b["factors"]}
        primary = [
            used[t] for t in ("production", "energy_displaced", "supply_displaced") if t in used
        ]
        key = got["production_factor_key"].iloc[i]
        assert (key == primary[0]) if primary else pd.isna(key)
        key = got["disposal_factor_key"].iloc[i]
        assert (key == used["disposal"]) if "disposal" in used else pd.isna(key)


@settings(max_examples=40, deadline=None)
@given(rows)
def test_net_is_the_sum_of_its_terms_and_transport_never_credits(row: dict[str, object]) -> None:
    b = co2.exchange_breakdown(**row)  # type: ignore[arg-type]
    assert b["net_co2e_kg"] == pytest.approx(
        b["avoided_production_co2e_kg"]
        + b["avoided_disposal_co2e_kg"]
        - b["transport_co2e_kg"]
        + b["avoided_transport_co2e_kg"]
    )
    for term in ("avoided_production_co2e_kg", "avoided_disposal_co2e_kg", "transport_co2e_kg"):
        assert b[term] >= 0


# --------------------------------------------------------------------------- transport modes

MODE_FACTORS = {
    "truck": 0.09752,  # DESNZ 2024 HGV all diesel, all HGVs, average laden
    "barge": 0.0386,  # KiM / CE Delft, NL inland waterways 2014: 38.6 g CO2 per tonne-km
    "rail": 0.02779,  # DESNZ 2024 rail, freight train
    "sea": 0.02956,  # DESNZ 2024 cargo ship, bulk carrier 0-9999 dwt
    "pipeline": 0.0,
}


@pytest.mark.parametrize("mode", list(MODE_FACTORS))
def test_each_transport_mode_uses_its_own_tonne_km_factor(mode: str) -> None:
    # 100 t of scrap over 40 km; today's supply comes 150 km by truck.
    b = co2.exchange_breakdown(
        offer_material="metals.ferrous",
        need_material="metals.ferrous",
        quantity=100,
        unit="t",
        current_route=None,
        current_source="virgin",
        source_km=150,
        road_km=40,
        transport_mode=mode,
    )
    assert b["transport_mode"] == mode
    assert b["transport_co2e_kg"] == pytest.approx(40 * 100 * MODE_FACTORS[mode])
    assert b["avoided_transport_co2e_kg"] == pytest.approx(150 * 100 * MODE_FACTORS["truck"])
    if mode != "truck" and mode != "pipeline":
        assert value(co2.TRANSPORT_FACTOR_KEYS[mode] or "") == MODE_FACTORS[mode]
    row = one(
        offer_material="metals.ferrous",
        need_material="metals.ferrous",
        unit="t",
        current_route=None,
        current_source="virgin",
        source_km=150.0,
        road_km=40.0,
        transport_mode=mode,
    )
    assert row["transport_co2e_kg_per_unit"] == pytest.approx(40 * MODE_FACTORS[mode])
    assert row["tonne_km_saved_per_unit"] == pytest.approx(150 - (0 if mode == "pipeline" else 40))


def test_todays_supply_by_barge_avoids_only_barge_emissions() -> None:
    row = one(
        offer_material="minerals.concrete_rubble",
        need_material="minerals.sand",
        unit="t",
        current_route=None,
        current_source="virgin",
        source_km=80.0,
        road_km=10.0,
        source_transport_mode="barge",
    )
    assert row["avoided_transport_co2e_kg_per_unit"] == pytest.approx(80 * 0.0386)
    assert row["transport_co2e_kg_per_unit"] == pytest.approx(10 * 0.09752)


def test_heat_goes_by_pipe_whatever_the_listing_says() -> None:
    b = co2.exchange_breakdown(
        offer_material="energy.steam",
        need_material="energy.heat",
        quantity=10,
        unit="MWh",
        current_route=None,
        road_km=3,
        transport_mode="truck",
    )
    assert b["transport_mode"] == "pipeline" and b["piped"]


def test_biogas_goes_by_truck_unless_a_pipeline_is_stated() -> None:
    trucked = co2.exchange_breakdown(
        offer_material="energy.biogas",
        need_material="energy.fuel_gas",
        quantity=10,
        unit="MWh",
        current_route=None,
        road_km=12,
    )
    piped = co2.exchange_breakdown(
        offer_material="energy.biogas",
        need_material="energy.fuel_gas",
        quantity=10,
        unit="MWh",
        current_route=None,
        road_km=12,
        transport_mode="pipeline",
    )
    assert (trucked["transport_mode"], trucked["piped"]) == ("truck", False)
    assert (piped["transport_mode"], piped["piped"]) == ("pipeline", True)


def test_a_listing_may_state_a_pipeline_for_any_material() -> None:
    row = one(
        offer_material="water.treated_effluent",
        need_material="water.process",
        unit="m3",
        current_route=None,
        road_km=2.0,
    )
    sludge = one(
        offer_material="sludges.organic",
        need_material="organics.biogas_feedstock",
        unit="t",
        current_route=None,
        road_km=2.0,
        transport_mode="pipeline",
    )
    assert row["transport_co2e_kg_per_unit"] == 0
    assert sludge["transport_co2e_kg_per_unit"] == 0
    assert sludge["avoided_transport_co2e_kg_per_unit"] > 0  # today's supply still by truck


def test_an_exchange_uses_a_mode_only_when_both_listings_state_it() -> None:
    modes = co2.exchange_transport_mode(
        ["barge", "barge", "rail", None, "", "pipeline"],
        ["barge", "truck", "sea", None, "rail", "pipeline"],
    )
    assert modes.tolist() == ["barge", "truck", "truck", "truck", "truck", "pipeline"]


def test_an_unknown_transport_mode_is_reported_with_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match=r"transport_mode 'zeppelin'.*truck, barge"):
        one(
            offer_material="metals",
            need_material="metals",
            unit="t",
            current_route=None,
            road_km=1.0,
            transport_mode="zeppelin",
        )
