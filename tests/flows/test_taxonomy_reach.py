"""What real firms exchange: substitution rules with worked pairs, legal refusals, reach.

Each rule of ``flows/data/taxonomy_substitutions.csv`` has a worked pair here: an
offered EWC code (or, for categories the List of Waste cannot tell apart, the declared
category) that must now meet the need, and a need it must not meet. The reach of every
EWC code is compared with the reviewed snapshot ``docs/taxonomy-reach.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from flows.ewc import ewc_codes, is_hazardous
from flows.taxonomy import (
    CATEGORIES,
    REACH_COLUMNS,
    REACH_EXCEPTIONS,
    REFUSALS,
    RULES,
    ancestors,
    category,
    category_for_ewc,
    ewc_codes_for,
    ewc_mapping,
    match_rule,
    reach,
    reach_table,
    refusal,
)
from flows.taxonomy_cli import reach_csv, taxonomy_command

SNAPSHOT = Path(__file__).resolve().parents[2] / "docs" / "taxonomy-reach.csv"
REGENERATE = "python -m flows taxonomy --reach > docs/taxonomy-reach.csv"

# (offer: an EWC code, or a category key the lister declares; a need it now meets;
#  a need it must not meet)
WORKED_PAIRS: list[tuple[str, str, str]] = [
    # mineral residues into construction and cement kilns
    ("10 01 02", "minerals.cement_kiln", "organics.soil_improver"),
    ("10 01 02", "minerals.fill", "minerals.gypsum"),
    ("10 01 17", "minerals.aggregates", "minerals.ceramics_raw_material"),
    ("10 01 02", "minerals.cement", "minerals.sand"),
    ("19 01 12", "minerals.fill", "minerals.cement"),  # bottom ash is no EN 450 fly ash
    ("10 01 01", "minerals.cement_kiln", "minerals.sand"),
    ("10 01 01", "minerals.aggregates", "organics.soil_improver"),
    ("10 02 02", "minerals.fill", "minerals.ceramics_raw_material"),
    ("10 02 01", "minerals.cement_kiln", "minerals.sand"),
    ("10 02 02", "minerals.aggregates", "organics.soil_improver"),
    ("10 02 02", "minerals.cement", "minerals.gypsum"),
    ("10 06 01", "minerals.aggregates", "minerals.cement"),  # copper slag is no GGBS
    ("10 10 03", "minerals.cement_kiln", "minerals.fill"),  # rules do not chain
    ("10 02 10", "minerals.cement_kiln", "metals.ferrous"),  # mill scale is no scrap
    ("01 03 09", "minerals.cement_kiln", "minerals.aggregates"),
    ("10 09 08", "minerals.sand", "minerals.aggregates"),
    ("10 10 08", "minerals.cement_kiln", "minerals.cement"),
    ("10 09 06", "minerals.ceramics_raw_material", "minerals.fill"),
    ("10 01 03", "organics.soil_improver", "minerals.cement"),
    ("10 01 03", "minerals.cement_kiln", "minerals.aggregates"),
    ("19 01 14", "minerals.cement_kiln", "minerals.cement"),
    ("03 03 09", "minerals.cement_kiln", "organics.biomass_fuel"),
    ("19 09 03", "organics.soil_improver", "minerals.fill"),
    ("06 11 01", "minerals.gypsum", "minerals.cement"),
    ("02 04 01", "minerals.fill", "organics.compost_feedstock"),
    ("02 04 01", "minerals.aggregates", "minerals.cement_kiln"),
    ("02 01 99", "minerals.fill", "organics.compost_feedstock"),  # soil washed off crops
    ("17 05 04", "minerals.ceramics_raw_material", "minerals.sand"),
    ("17 01 01", "minerals.fill", "minerals.cement_kiln"),
    ("17 01 07", "minerals.fill", "minerals.sand"),
    ("17 01 02", "minerals.ceramics_raw_material", "minerals.sand"),
    ("01 04 09", "minerals.fill", "minerals.aggregates"),
    ("19 12 09", "minerals.fill", "minerals.sand"),
    ("16 11 04", "minerals.aggregates", "minerals.fill"),
    ("16 11 06", "minerals.ceramics_raw_material", "minerals.cement_kiln"),
    # organics into biological treatment and soil
    ("20 02 01", "organics.biogas_feedstock", "organics.animal_feed"),
    ("02 03 04", "organics.compost_feedstock", "organics.pet_food"),
    ("02 07 01", "organics.compost_feedstock", "organics.soil_improver"),
    ("16 03 06", "organics.animal_feed", "organics.soil_improver"),
    ("16 03 06", "organics.pet_food", "organics.biomass_fuel"),
    ("16 03 06", "organics.biogas_feedstock", "oils_fats.biofuel_feedstock"),
    ("16 03 06", "organics.compost_feedstock", "minerals.cement_kiln"),
    ("02 02 02", "organics.compost_feedstock", "organics.animal_feed"),
    ("organics.animal_by_products.category3", "organics.pet_food", "organics.animal_feed"),
    # sludges by kind
    ("19 08 05", "organics.compost_feedstock", "organics.animal_feed"),
    ("02 03 05", "organics.soil_improver", "organics.animal_feed"),
    ("19 08 05", "minerals.cement_kiln", "organics.biomass_fuel"),
    ("03 03 05", "minerals.cement_kiln", "organics.biogas_feedstock"),
    ("03 03 10", "organics.biomass_fuel", "organics.soil_improver"),
    ("03 03 05", "minerals.ceramics_raw_material", "minerals.sand"),
    # wood chained through its uses
    ("15 01 03", "organics.biomass_fuel", "organics.compost_feedstock"),
    ("15 01 03", "organics.wood_recycling", "paper"),
    ("17 02 01", "organics.wood_recycling", "organics.compost_feedstock"),
    ("03 01 05", "organics.wood_recycling", "organics.animal_feed"),
    # residues that used to land in catch-alls
    ("19 12 10", "minerals.cement_kiln", "organics.biomass_fuel"),
    ("03 03 07", "minerals.cement_kiln", "paper"),
    ("16 01 03", "minerals.cement_kiln", "plastics"),
    ("08 01 12", "minerals.cement_kiln", "chemicals.paints"),
    ("16 08 04", "minerals.cement_kiln", "minerals.cement"),
    ("16 08 01", "metals.non_ferrous", "metals.copper"),
]


def _offered(offer: str) -> str:
    return offer if offer in CATEGORIES else category_for_ewc(offer)


@pytest.mark.parametrize(("offer", "good", "bad"), WORKED_PAIRS)
def test_a_worked_pair_meets_its_need_and_not_the_other(offer: str, good: str, bad: str) -> None:
    offered = _offered(offer)
    rule = match_rule(offered, good)
    assert rule is not None, f"{offer} ({offered}) should meet {good}"
    assert rule.kind == "substitution"
    assert rule.reason_en and rule.reason_nl and rule.source
    assert match_rule(offered, bad) is None, f"{offer} ({offered}) should not meet {bad}"


def test_every_substitution_rule_has_a_worked_pair_in_this_file_or_the_older_tests() -> None:
    older = {  # worked pairs of tests/flows/test_taxonomy.py (kept there)
        ("organics.spent_grain", "organics.animal_feed"),
        ("organics.spent_grain", "organics.biogas_feedstock"),
        ("organics.food_residues", "organics.animal_feed"),
        ("organics.food_residues", "organics.biogas_feedstock"),
        ("organics.animal_by_products", "organics.biogas_feedstock"),
        ("organics.biowaste", "organics.biogas_feedstock"),
        ("organics.biowaste", "organics.compost_feedstock"),
        ("organics.manure", "organics.biogas_feedstock"),
        ("organics.manure", "organics.soil_improver"),
        ("organics.green_waste", "organics.compost_feedstock"),
        ("organics.green_waste", "organics.biomass_fuel"),
        ("organics.wood", "organics.biomass_fuel"),
        ("packaging.pallets", "organics.wood"),
        ("minerals.concrete_rubble", "minerals.aggregates"),
        ("minerals.concrete_rubble", "minerals.sand"),
        ("minerals.mixed_rubble", "minerals.aggregates"),
        ("minerals.bricks", "minerals.aggregates"),
        ("minerals.bottom_ash", "minerals.aggregates"),
        ("minerals.gypsum_fgd", "minerals.gypsum"),
        ("water.treated_effluent", "water.process"),
        ("water.cooling", "water.process"),
        ("energy.steam", "energy.heat"),
        ("energy.steam", "energy.hot_water"),
        ("energy.steam", "energy.heat_low_temperature"),
        ("energy.hot_water", "energy.heat_low_temperature"),
        ("energy.heat_low_temperature", "energy.hot_water"),
        ("energy.biogas", "energy.fuel_gas"),
        ("energy.co2_gas", "energy.co2_greenhouse"),
        ("oils_fats.edible", "oils_fats.biofuel_feedstock"),
        ("oils_fats.edible", "organics.biogas_feedstock"),
        ("sludges.organic", "organics.biogas_feedstock"),
        ("minerals.fly_ash", "minerals.cement"),
        ("minerals.slag", "minerals.aggregates"),
        ("minerals.slag", "minerals.cement"),
    }
    covered = set(older)
    for offer, good, _ in WORKED_PAIRS:
        offered = _offered(offer)
        for source in (offered, *ancestors(offered)):
            if any(r.offered == source and r.needed == good for r in RULES):
                covered.add((source, good))
                break
    missing = {(r.offered, r.needed) for r in RULES} - covered
    assert not missing, f"rules without a worked pair: {sorted(missing)}"


def test_every_rule_cites_the_practice_standard_or_law_it_rests_on() -> None:
    markers = (
        *("EN ", "EN ISO", "Reg.", "Directive", "BREF", "LAP3", "Besluit", "Regeling"),
        *("Meststoffenwet", "Green Deal", "ISPM", "EIGA", "EPF", "physics", "Notice"),
    )
    for rule in RULES:
        assert any(marker in rule.source for marker in markers), (rule.offered, rule.needed)
        assert "p." not in rule.source.split(), "no page numbers we cannot check"


# ------------------------------------------------------------------ hazard


def test_a_hazardous_code_always_lands_in_a_hazardous_category_and_vice_versa() -> None:
    mapping = ewc_mapping()
    for code in ewc_codes():
        assert category(mapping[code]).hazardous is is_hazardous(code), (code, mapping[code])


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("06 03 14", "other.chemicals"), ("06 09 04", "minerals.gypsum_chemical"),
        ("06 11 01", "minerals.gypsum_chemical"), ("06 09 02", "minerals.furnace_slag"),
        ("06 01 99", "other.chemicals"), ("06 13 03", "other.chemicals"),
        ("07 02 99", "other.chemicals"), ("07 05 14", "other.chemicals"),
        ("05 01 16", "other.chemicals.sulphur"), ("08 03 18", "other.chemicals.paints"),
        ("20 01 28", "other.chemicals.paints"), ("16 08 04", "other.chemicals.catalysts"),
        ("20 01 30", "other.chemicals"), ("19 11 99", "other"),
        ("10 02 10", "minerals.mill_scale"), ("01 03 09", "minerals.red_mud"),
        ("10 10 03", "minerals.furnace_slag"), ("10 01 03", "minerals.biomass_ash"),
        ("19 01 14", "minerals.ash_other"), ("10 01 24", "minerals.bottom_ash"),
        ("03 03 05", "sludges.paper"), ("03 03 09", "minerals.lime_residues"),
        ("16 01 03", "other.tyres"), ("19 12 10", "other.refuse_derived_fuel"),
        ("16 03 06", "organics.former_foodstuffs"), ("02 01 99", "minerals.soil"),
        # hazardous mirror entries stay hazardous
        ("06 03 13", "chemicals.other"), ("08 01 11", "chemicals.paints"),
        ("16 08 07", "chemicals.other"), ("10 01 04", "other.hazardous"),
    ],
)  # fmt: skip
def test_codes_that_fell_into_catch_alls_have_a_category_of_their_own(code: str, key: str) -> None:
    assert category_for_ewc(code) == key


def test_residues_the_issue_names_reach_a_need_outside_their_own_branch() -> None:
    for code in ("10 02 10", "01 03 09", "10 10 03", "10 06 01", "10 01 03", "19 01 14"):
        key = category_for_ewc(code)
        assert key != "minerals.other"
        beyond = [n for n in reach(key) if n != key and n not in ancestors(key)]
        assert beyond, code


# ------------------------------------------------------------------ reach


def test_every_category_supplies_another_need_or_says_why_not() -> None:
    unreached = {
        key
        for key in CATEGORIES
        if not [n for n in reach(key) if n != key and n not in ancestors(key)]
    }
    assert unreached - set(REACH_EXCEPTIONS) == set(), "give these a rule or an exception"
    assert set(REACH_EXCEPTIONS) - unreached == set(), "these exceptions are stale: remove them"


def test_reach_exceptions_are_consistent_with_their_kind() -> None:
    for key, exc in REACH_EXCEPTIONS.items():
        cat = category(key)
        assert exc.reason_en.strip() and exc.reason_nl.strip(), key
        assert (exc.kind == "hazardous") is cat.hazardous, key
        if exc.kind == "need_only":
            assert ewc_codes_for(key, include_descendants=True) == (), key
        if exc.kind == "group":
            assert cat.parent is None, key


def test_the_catch_alls_are_exceptions_with_no_practice() -> None:
    for key in ("other", "minerals.other", "other.chemicals", "sludges.other"):
        assert REACH_EXCEPTIONS[key].kind == "no_practice"


def test_reach_lists_the_same_category_its_ancestors_and_substitution_targets() -> None:
    assert reach("organics.spent_grain") == (
        "organics",
        "organics.spent_grain",
        "organics.animal_feed",
        "organics.biogas_feedstock",
        "organics.compost_feedstock",
    )
    assert reach("chemicals.acids") == ("chemicals.acids",)
    assert reach("energy.co2_gas") == ("energy.co2_gas", "energy.co2_greenhouse")


def test_the_reach_table_has_one_row_per_code_with_its_category() -> None:
    table = reach_table()
    assert tuple(table.columns) == REACH_COLUMNS
    assert list(table["ewc_code"]) == list(ewc_codes())
    assert list(table["category"]) == list(ewc_mapping())
    row = table.set_index("ewc_code").loc["15 01 03"]
    assert row["hazardous"] == "no"
    assert row["supplies"].split("; ") == list(reach("packaging.pallets"))
    assert table.set_index("ewc_code").loc["17 05 03", "supplies"] == "other.hazardous"
    assert row["refused"] == ""
    abp = table.set_index("ewc_code").loc["02 02 02"]
    assert abp["refused"] == "organics.animal_feed; organics.pet_food"
    assert table.set_index("ewc_code").loc["19 08 05", "refused"] == "organics.animal_feed"


def test_the_reach_snapshot_in_docs_is_up_to_date() -> None:
    assert SNAPSHOT.exists(), f"docs/taxonomy-reach.csv is missing; run: {REGENERATE}"
    snapshot = SNAPSHOT.read_text(encoding="utf-8")
    assert snapshot == reach_csv(), (
        "the reach of EWC codes changed; review the difference and regenerate the snapshot "
        f"with: {REGENERATE}"
    )


def test_the_cli_prints_the_reach_table_as_csv() -> None:
    result = CliRunner().invoke(taxonomy_command, ["--reach"])
    assert result.exit_code == 0, result.output
    assert result.output == reach_csv()
    assert result.output.splitlines()[0] == ",".join(REACH_COLUMNS)
    assert len(result.output.splitlines()) == 1 + 842


def test_the_cli_refuses_json_and_reach_together() -> None:
    result = CliRunner().invoke(taxonomy_command, ["--reach", "--json"])
    assert result.exit_code == 2
    assert "choose one" in result.output


# ----------------------------------------------------- animal by-products and feed law


@pytest.mark.parametrize(
    ("offered", "needed", "phrase", "article"),
    [
        ("organics.biowaste", "organics.animal_feed", "never be fed to farmed animals",
         "Art. 11(1)(b)"),
        ("organics.biowaste", "organics.pet_food", "Catering waste is excluded", "Art. 35(a)"),
        ("organics.animal_by_products", "organics.animal_feed", "approved processing plant",
         "Art. 11 and 31"),
        ("organics.animal_by_products.category3", "organics.animal_feed",
         "approved processing plant", "999/2001"),
        ("organics.animal_by_products", "organics.pet_food", "Only Category 3 material",
         "Art. 35(a)"),
        ("organics.manure", "organics.animal_feed", "prohibited in feed", "Annex III, point 1"),
        ("sludges.organic", "organics.animal_feed", "prohibited in feed", "Annex III, point 5"),
    ],
)  # fmt: skip
def test_a_legal_refusal_blocks_the_pair_and_says_why(
    offered: str, needed: str, phrase: str, article: str
) -> None:
    assert match_rule(offered, needed) is None
    found = refusal(offered, needed)
    assert found is not None
    assert found.offered == offered and found.needed == needed
    assert phrase in found.reason_en
    assert found.reason_nl.strip() and found.reason("nl") == found.reason_nl
    assert article in found.source


def test_category3_material_may_become_pet_food_but_never_farmed_animal_feed() -> None:
    allowed = match_rule("organics.animal_by_products.category3", "organics.pet_food")
    assert allowed is not None and "Art. 35(a)(i)" in allowed.source
    assert refusal("organics.animal_by_products.category3", "organics.pet_food") is None
    assert match_rule("organics.animal_by_products.category3", "organics.animal_feed") is None
    # digestion is inherited from the general animal by-products rule
    assert match_rule("organics.animal_by_products.category3", "organics.biogas_feedstock")


def test_former_foodstuffs_without_meat_may_be_fed_and_kitchen_waste_may_not() -> None:
    assert match_rule(category_for_ewc("16 03 06"), "organics.animal_feed") is not None
    assert match_rule(category_for_ewc("20 01 08"), "organics.animal_feed") is None
    assert match_rule(category_for_ewc("20 03 02"), "organics.animal_feed") is None
    assert match_rule(category_for_ewc("02 02 02"), "organics.animal_feed") is None


def test_no_animal_by_product_or_catering_code_can_supply_farmed_animal_feed() -> None:
    table = reach_table().set_index("ewc_code")
    for key in ("organics.biowaste", "organics.animal_by_products"):
        for code in ewc_codes_for(key, include_descendants=True):
            assert "organics.animal_feed" not in table.loc[code, "supplies"].split("; "), code


def test_a_pair_with_no_rule_and_no_law_is_not_a_refusal() -> None:
    assert refusal("glass", "minerals.aggregates") is None
    assert refusal("chemicals.acids", "chemicals") is None  # hazard is not a legal refusal here
    assert refusal("organics.spent_grain", "organics.animal_feed") is None  # allowed


def test_refusals_never_contradict_a_rule() -> None:
    rules = {(r.offered, r.needed) for r in RULES}
    for found in REFUSALS:
        assert (found.offered, found.needed) not in rules
        assert match_rule(found.offered, found.needed) is None
