"""Material taxonomy: the category tree, the EWC mapping, compatibility and the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from flows.errors import FlowsError, InvalidEWCCode, UnknownCategory
from flows.ewc import ewc_codes, ewc_table, is_hazardous
from flows.schema import UNIT_FAMILY
from flows.taxonomy import (
    CATEGORIES,
    CHAPTER_RULES,
    COMPATIBILITY_COLUMNS,
    RULES,
    SUBCHAPTER_RULES,
    Rule,
    ancestors,
    category,
    category_choices,
    category_for_ewc,
    category_keys,
    children,
    compatibility_table,
    descendants,
    ewc_codes_for,
    ewc_mapping,
    format_taxonomy,
    is_category,
    match_rule,
    root,
)
from flows.taxonomy_cli import taxonomy_command

KEYS = st.sampled_from(sorted(CATEGORIES))

# --------------------------------------------------------------------- the tree


def test_every_key_is_dotted_and_its_parent_is_the_key_without_its_last_segment() -> None:
    for key, cat in CATEGORIES.items():
        assert cat.key == key
        if "." in key:
            assert cat.parent == key.rsplit(".", 1)[0]
            assert cat.parent in CATEGORIES
        else:
            assert cat.parent is None


def test_the_tree_has_no_cycles_and_parents_come_before_children() -> None:
    order = list(CATEGORIES)
    for key, cat in CATEGORIES.items():
        chain = ancestors(key)
        assert len(chain) == cat.depth == key.count(".")
        assert key not in chain
        assert all(order.index(above) < order.index(key) for above in chain)


def test_every_category_has_names_a_description_and_a_consistent_unit() -> None:
    for key, cat in CATEGORIES.items():
        assert cat.name_nl.strip() and cat.name_en.strip() and cat.description_en.strip(), key
        assert cat.default_unit in ("t", "m3", "MWh", "pcs"), key
        assert cat.family == UNIT_FAMILY[cat.default_unit], key
        if cat.density_t_per_m3 is not None:
            assert 0 < cat.density_t_per_m3 < 3, key
        if cat.mass_t_per_piece is not None:
            assert cat.default_unit == "pcs", key


@pytest.mark.parametrize(
    ("key", "density"),
    [("water", 1.0), ("water.process", 1.0), ("sludges.organic", 1.05),
     ("organics.wood.residues", 0.25), ("organics.manure", 1.02), ("minerals.gypsum", None)],
)  # fmt: skip
def test_density_hints_hold_typical_values(key: str, density: float | None) -> None:
    assert category(key).density_t_per_m3 == density


def test_a_pallet_weighs_about_25_kg() -> None:
    assert category("packaging.pallets").mass_t_per_piece == 0.025


@pytest.mark.parametrize(
    "key",
    [
        "organics", "organics.food_residues", "organics.spent_grain", "organics.manure",
        "organics.green_waste", "organics.wood", "organics.wood.residues", "organics.wood.clean",
        "organics.wood.treated", "organics.animal_feed", "organics.biomass_fuel",
        "paper", "plastics", "plastics.pe_film", "plastics.pp", "plastics.pet", "plastics.mixed",
        "metals", "metals.ferrous", "metals.aluminium", "metals.copper", "metals.mixed",
        "minerals", "minerals.concrete_rubble", "minerals.bricks", "minerals.gypsum",
        "minerals.gypsum_fgd", "minerals.sand", "minerals.fly_ash", "minerals.slag",
        "minerals.soil", "glass", "textiles", "chemicals", "chemicals.solvents", "oils_fats",
        "sludges", "water", "water.process", "water.treated_effluent", "water.cooling",
        "energy", "energy.steam", "energy.hot_water", "energy.heat_low_temperature",
        "energy.biogas", "energy.co2_gas", "packaging", "packaging.pallets", "other",
    ],
)  # fmt: skip
def test_the_taxonomy_covers_the_materials_the_product_needs(key: str) -> None:
    assert is_category(key)


def test_tree_navigation_returns_keys_in_display_order() -> None:
    assert children("organics.wood") == (
        "organics.wood.residues",
        "organics.wood.clean",
        "organics.wood.treated",
    )
    assert children("glass") == ()
    assert descendants("organics.wood") == ("organics.wood", *children("organics.wood"))
    assert descendants("metals", include_self=False) == (
        "metals.ferrous",
        "metals.aluminium",
        "metals.copper",
        "metals.non_ferrous",
        "metals.mixed",
    )
    assert ancestors("organics.wood.residues") == ("organics.wood", "organics")
    assert ancestors("organics") == ()
    assert root("organics.wood.residues") == "organics"
    assert category_keys() == tuple(CATEGORIES)


def test_descendants_do_not_include_keys_that_merely_share_a_prefix() -> None:
    assert "minerals.gypsum_fgd" not in descendants("minerals.gypsum")


def test_category_choices_indent_children_under_their_parents() -> None:
    choices = dict(category_choices(lang="en"))
    assert choices["organics"] == "Organic materials"
    assert (
        choices["organics.wood.residues"] == "\u2003\u2003Wood residues (sawdust, shavings, bark)"
    )
    assert list(choices) == list(CATEGORIES)


def test_an_unknown_category_is_refused_with_close_matches() -> None:
    with pytest.raises(UnknownCategory) as info:
        category("minerals.gypsun")
    message = str(info.value)
    assert "'minerals.gypsun'" in message
    assert "'minerals.gypsum'" in message
    assert isinstance(info.value, FlowsError) and isinstance(info.value, KeyError)


def test_a_bare_material_word_suggests_the_keys_that_contain_it() -> None:
    with pytest.raises(UnknownCategory, match=r"'metals\.copper'"):
        category("copper")


@pytest.mark.parametrize("function", [children, descendants, ancestors, root])
def test_tree_functions_refuse_unknown_keys(function: object) -> None:
    with pytest.raises(UnknownCategory):
        function("no.such.key")  # type: ignore[operator]


@pytest.mark.parametrize(("value", "expected"), [("glass", True), ("Glass", False), (3, False)])
def test_is_category_only_accepts_exact_keys(value: object, expected: bool) -> None:
    assert is_category(value) is expected


# ------------------------------------------------------------------ EWC mapping


def test_every_one_of_the_842_codes_maps_to_exactly_one_category() -> None:
    mapping = ewc_mapping()
    assert len(mapping) == 842
    assert list(mapping.index) == list(ewc_codes())
    assert set(mapping) <= set(CATEGORIES)
    for code in ewc_codes():
        assert category_for_ewc(code) == mapping[code]


def test_every_listed_code_is_on_the_list_and_maps_back_to_its_category() -> None:
    listed = ewc_table().index
    for key, cat in CATEGORIES.items():
        for code in cat.ewc_codes:
            assert code in listed, (key, code)
            assert category_for_ewc(code) == key, (key, code)


def test_no_code_is_listed_by_two_categories() -> None:
    listed = [code for cat in CATEGORIES.values() for code in cat.ewc_codes]
    assert len(listed) == len(set(listed))


def test_rules_name_real_subchapters_chapters_and_categories() -> None:
    table = ewc_table()
    assert set(SUBCHAPTER_RULES) <= set(table["subchapter"])
    assert set(CHAPTER_RULES) <= set(table["chapter"])
    assert set(SUBCHAPTER_RULES.values()) | set(CHAPTER_RULES.values()) <= set(CATEGORIES)


def test_a_hazardous_code_never_maps_to_a_category_that_could_match_other_needs() -> None:
    mapping = ewc_mapping()
    for code in ewc_codes():
        if is_hazardous(code):
            assert category(mapping[code]).hazardous, code


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("02 03 04", "organics.food_residues"), ("02 07 01", "organics.spent_grain"),
        ("02 07 02", "organics.spent_grain"), ("02 01 06", "organics.manure"),
        ("20 02 01", "organics.green_waste"), ("03 01 05", "organics.wood.residues"),
        ("17 02 01", "organics.wood"), ("20 01 38", "organics.wood"),
        ("20 01 37*", "organics.wood.treated"), ("15 01 03", "packaging.pallets"),
        ("15 01 01", "paper"), ("20 01 01", "paper"), ("15 01 02", "plastics.mixed"),
        ("17 04 05", "metals.ferrous"), ("17 04 02", "metals.aluminium"),
        ("17 04 01", "metals.copper"), ("17 01 01", "minerals.concrete_rubble"),
        ("17 01 02", "minerals.bricks"), ("17 08 02", "minerals.gypsum"),
        ("10 01 05", "minerals.gypsum_fgd"), ("10 01 07", "minerals.gypsum_fgd"),
        ("10 01 02", "minerals.fly_ash"), ("10 02 02", "minerals.slag"),
        ("17 05 04", "minerals.soil"), ("16 01 20", "glass"), ("17 02 02", "glass"),
        ("20 01 02", "glass"), ("04 02 22", "textiles"), ("13 02 05", "oils_fats.mineral"),
        ("13 07 01", "oils_fats.mineral"), ("20 01 25", "oils_fats.edible"),
        ("19 08 05", "sludges.organic"), ("07 03 04", "chemicals.solvents"),
        ("14 06 03", "chemicals.solvents"), ("06 01 01", "chemicals.acids"),
        ("07 05 11", "sludges.hazardous"), ("07 05 12", "sludges.other"),
        ("17 05 03", "other.hazardous"), ("17 08 01", "other.hazardous"),
        ("20 03 01", "other"), ("18 01 04", "other"),
    ],
)  # fmt: skip
def test_codes_map_to_the_expected_category(code: str, key: str) -> None:
    assert category_for_ewc(code) == key


def test_category_for_ewc_accepts_any_code_form_and_refuses_unknown_codes() -> None:
    assert category_for_ewc("170802") == category_for_ewc("17.08.02*") == "minerals.gypsum"
    with pytest.raises(InvalidEWCCode):
        category_for_ewc("99 99 99")


def test_ewc_codes_for_a_category_lists_every_code_mapped_to_it() -> None:
    assert ewc_codes_for("minerals.gypsum_fgd") == ("10 01 05", "10 01 07")
    assert ewc_codes_for("organics.wood") == ("03 01 99", "17 02 01", "19 12 07", "20 01 38")
    wood = ewc_codes_for("organics.wood", include_descendants=True)
    assert len(wood) == 4 + 4 + 0 + 3
    assert ewc_codes_for("organics.animal_feed") == ()
    # a sub-chapter rule adds codes that the category does not list itself
    assert "02 03 99" in ewc_codes_for("organics.food_residues")


def test_ewc_mapping_returns_a_copy() -> None:
    first = ewc_mapping()
    first["02 01 03"] = "other"
    assert ewc_mapping()["02 01 03"] == "organics.green_waste"


# ---------------------------------------------------------------- compatibility


def test_every_rule_joins_known_non_hazardous_categories_with_reasons_in_both_languages() -> None:
    for rule in RULES:
        assert rule.kind == "substitution"
        for key in (rule.offered, rule.needed):
            assert is_category(key), key
            assert not category(key).hazardous, key
        assert rule.reason_en.strip() and rule.reason_nl.strip()
        assert rule.reason("en") == rule.reason_en and rule.reason("nl") == rule.reason_nl
        assert match_rule(rule.offered, rule.needed) == rule


def test_no_two_rules_join_the_same_pair() -> None:
    pairs = [(rule.offered, rule.needed) for rule in RULES]
    assert len(pairs) == len(set(pairs))


@pytest.mark.parametrize(
    ("offered", "needed", "kind"),
    [
        ("metals.copper", "metals.copper", "same"),
        ("chemicals.acids", "chemicals.acids", "same"),
        ("other.hazardous", "other.hazardous", "same"),
        ("metals.ferrous", "metals", "parent_child"),
        ("organics.wood.residues", "organics", "parent_child"),
        ("organics.wood.clean", "organics.wood", "parent_child"),
        ("plastics.pp", "plastics", "parent_child"),
        ("water.cooling", "water", "parent_child"),
        ("minerals.gypsum_fgd", "minerals.gypsum", "substitution"),
        ("organics.spent_grain", "organics.animal_feed", "substitution"),
        ("organics.food_residues", "organics.animal_feed", "substitution"),
        ("organics.food_residues", "organics.biogas_feedstock", "substitution"),
        ("organics.wood.residues", "organics.biomass_fuel", "substitution"),
        ("organics.green_waste", "organics.compost_feedstock", "substitution"),
        ("organics.green_waste", "organics.biomass_fuel", "substitution"),
        ("minerals.concrete_rubble", "minerals.aggregates", "substitution"),
        ("minerals.concrete_rubble", "minerals.sand", "substitution"),
        ("minerals.fly_ash", "minerals.cement", "substitution"),
        ("minerals.slag", "minerals.aggregates", "substitution"),
        ("water.treated_effluent", "water.process", "substitution"),
        ("water.cooling", "water.process", "substitution"),
        ("energy.heat_low_temperature", "energy.hot_water", "substitution"),
        ("energy.steam", "energy.heat", "substitution"),
        ("energy.biogas", "energy.fuel_gas", "substitution"),
        ("energy.co2_gas", "energy.co2_greenhouse", "substitution"),
        ("packaging.pallets", "organics.wood", "substitution"),
    ],
)
def test_compatible_pairs_match_with_the_expected_kind(
    offered: str, needed: str, kind: str
) -> None:
    rule = match_rule(offered, needed)
    assert rule is not None
    assert (rule.offered, rule.needed, rule.kind) == (offered, needed, kind)
    assert rule.reason_en and rule.reason_nl


@pytest.mark.parametrize(
    ("offered", "needed"),
    [
        ("metals.mixed", "metals.copper"),  # mixed metals do not promise copper
        ("metals", "metals.copper"),  # a general offer does not meet a specific need
        ("metals.aluminium", "metals.copper"),
        ("minerals.gypsum", "minerals.gypsum_fgd"),  # substitutions are one-way
        ("organics.animal_feed", "organics.spent_grain"),
        ("chemicals.acids", "chemicals"),  # hazardous: same category only
        ("chemicals.solvents", "chemicals.acids"),
        ("organics.wood.treated", "organics.wood"),
        ("organics.wood.treated", "organics.biomass_fuel"),
        ("oils_fats.mineral", "oils_fats.biofuel_feedstock"),
        ("other.hazardous", "other"),
        ("sludges.hazardous", "sludges"),
        ("organics.animal_by_products", "organics.animal_feed"),  # feed ban
        ("organics.biowaste", "organics.animal_feed"),  # catering waste may not be fed
        ("minerals.furnace_slag", "minerals.fill"),  # rules do not chain (via aggregates)
        ("energy.co2_gas", "energy"),  # tonnes of CO2 are not MWh
        ("energy.heat_low_temperature", "energy.heat"),
        ("glass", "minerals.aggregates"),
    ],
)
def test_incompatible_pairs_do_not_match(offered: str, needed: str) -> None:
    assert match_rule(offered, needed) is None


def test_an_inherited_substitution_names_the_actual_offer_and_keeps_the_reasons() -> None:
    rule = match_rule("organics.wood.residues", "organics.biomass_fuel")
    source = match_rule("organics.wood", "organics.biomass_fuel")
    assert rule is not None and source is not None
    assert rule.offered == "organics.wood.residues"
    assert (rule.reason_en, rule.reason_nl) == (source.reason_en, source.reason_nl)


def test_a_parent_child_match_explains_itself_in_both_languages() -> None:
    assert match_rule("metals.ferrous", "metals") == Rule(
        "metals.ferrous",
        "metals",
        "parent_child",
        "Ferrous metals (iron and steel) is a kind of Metals",
        "IJzer en staal valt onder Metalen",
    )


def test_match_rule_refuses_unknown_keys() -> None:
    with pytest.raises(UnknownCategory):
        match_rule("metals", "gold")
    with pytest.raises(UnknownCategory):
        match_rule("gold", "metals")


def test_the_compatibility_table_lists_every_compatible_pair_once() -> None:
    table = compatibility_table()
    assert tuple(table.columns) == COMPATIBILITY_COLUMNS
    assert not table.duplicated(["offered", "needed"]).any()
    expected = {
        (offered, needed): rule.kind
        for offered in CATEGORIES
        for needed in CATEGORIES
        if (rule := match_rule(offered, needed)) is not None
    }
    pairs = zip(table["offered"], table["needed"], strict=True)
    assert dict(zip(pairs, table["kind"], strict=True)) == expected
    assert (table["kind"] == "same").sum() == len(CATEGORIES)
    assert (table["reason_en"].str.strip() != "").all()
    assert (table["reason_nl"].str.strip() != "").all()


def test_hazardous_categories_appear_in_the_table_only_as_same_pairs() -> None:
    table = compatibility_table()
    hazardous = {key for key, cat in CATEGORIES.items() if cat.hazardous}
    involved = table["offered"].isin(hazardous) | table["needed"].isin(hazardous)
    assert (table.loc[involved, "kind"] == "same").all()
    assert involved.sum() == len(hazardous)


def test_compatibility_table_returns_a_copy() -> None:
    first = compatibility_table()
    first.loc[0, "kind"] = "changed"
    assert "changed" not in set(compatibility_table()["kind"])


@given(offered=KEYS, needed=KEYS)
def test_match_rule_follows_the_documented_semantics(offered: str, needed: str) -> None:
    rule = match_rule(offered, needed)
    if offered == needed:
        assert rule is not None and rule.kind == "same"
        return
    if category(offered).hazardous or category(needed).hazardous:
        assert rule is None
        return
    if needed in descendants(offered, include_self=False):
        assert rule is None  # a general offer never meets a more specific need
    if rule is not None and rule.kind == "parent_child":
        assert needed in ancestors(offered)
        assert category(offered).family == category(needed).family
    if rule is not None and rule.kind == "substitution":
        assert any(
            (source, needed) in {(r.offered, r.needed) for r in RULES}
            for source in (offered, *ancestors(offered))
        )


# ------------------------------------------------------------------- output


def test_format_taxonomy_shows_every_key_both_names_and_every_rule() -> None:
    text = format_taxonomy(lang="en")
    for key, cat in CATEGORIES.items():
        assert key in text
        assert f"{cat.name_en} / {cat.name_nl}" in text
    for rule in RULES:
        assert f"{rule.offered} -> {rule.needed}" in text
        assert rule.reason_en in text
    assert "842 EWC codes" in text


def test_format_taxonomy_in_dutch_puts_dutch_first_and_gives_dutch_reasons() -> None:
    text = format_taxonomy()
    assert "Rookgasontzwavelingsgips / FGD gypsum" in text
    assert "Rookgasontzwavelingsgips vervangt natuurgips in gipsplaten en cement." in text
    assert "842 Euralcodes" in text


def test_format_taxonomy_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang"):
        format_taxonomy(lang="fr")  # type: ignore[arg-type]


def test_the_cli_prints_keys_names_in_both_languages_and_dutch_reasons_by_default() -> None:
    result = CliRunner().invoke(taxonomy_command, [])
    assert result.exit_code == 0, result.output
    assert "minerals.gypsum_fgd" in result.output
    assert "Gips / Gypsum" in result.output
    assert "Bierbostel en spoeling zijn eiwitrijk veevoer." in result.output


def test_the_cli_prints_english_reasons_with_lang_en() -> None:
    result = CliRunner().invoke(taxonomy_command, ["--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Gypsum / Gips" in result.output
    assert "FGD gypsum replaces natural gypsum in plasterboard and cement." in result.output


def test_the_cli_prints_json_that_parses_and_counts_every_code_once() -> None:
    result = CliRunner().invoke(taxonomy_command, ["--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [c["key"] for c in data["categories"]] == list(CATEGORIES)
    assert sum(c["ewc_count"] for c in data["categories"]) == 842
    gypsum = next(c for c in data["categories"] if c["key"] == "minerals.gypsum")
    assert gypsum["name_nl"] == "Gips" and gypsum["ewc_codes"] == ["17 08 02", "10 12 06"]
    assert len(data["rules"]) == len(RULES)
    rule_keys = {"offered", "needed", "kind", "reason_en", "reason_nl", "source"}
    assert set(data["rules"][0]) == rule_keys


def test_the_cli_refuses_an_unknown_language() -> None:
    result = CliRunner().invoke(taxonomy_command, ["--lang", "de"])
    assert result.exit_code == 2
    assert "'de' is not one of 'nl', 'en'" in result.output


@pytest.mark.parametrize("module_name", ["flows.taxonomy", "flows.taxonomy_cli"])
def test_the_examples_in_the_docstrings_run(module_name: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module_name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
