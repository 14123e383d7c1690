"""A need's list of accepted EWC codes is honoured as written, within the law (issue 8)."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from flows.candidates import find_candidates
from flows.cli import main
from flows.explain import explain_pair
from flows.legal import allowed_accepted_codes, canonical_code, refusals_for_need
from flows.normalise import normalise
from flows.propose import Params, propose

DEVENTER = (6.16, 52.25)
APELDOORN = (5.96, 52.21)


def offer(ref, material, code, *, org=None, where=DEVENTER, quantity=10.0, **extra):
    return {
        "ref": ref,
        "organisation": org or f"Offerer {ref}",
        "material": material,
        "ewc_code": code,
        "quantity": quantity,
        "unit": "t",
        "frequency": "year",
        "lon": where[0],
        "lat": where[1],
        **extra,
    }


def need(ref, material, codes=(), *, org="Needer", where=APELDOORN, quantity=100.0, **extra):
    return {
        "ref": ref,
        "organisation": org,
        "material": material,
        "accepted_ewc_codes": tuple(codes),
        "quantity": quantity,
        "unit": "t",
        "frequency": "year",
        "lon": where[0],
        "lat": where[1],
        "max_distance_km": 50.0,
        **extra,
    }


def pairs(offers, needs, **options):
    normal = normalise(pd.DataFrame(offers), pd.DataFrame(needs))
    edges = find_candidates(normal.offers, normal.needs, **options)
    o = normal.offers["ref"].to_numpy()[edges.offer_idx]
    n = normal.needs["ref"].to_numpy()[edges.need_idx]
    return sorted(zip(o.tolist(), n.tolist(), strict=True))


CROSS_OFFERS = [
    offer("green", "organics.green_waste", "02 01 03"),
    offer("textile", "textiles", "04 02 22"),
    offer("rubble", "minerals.mixed_rubble", "17 01 07"),
    offer("wood", "organics.wood", "17 02 01"),
]


def test_a_list_spanning_categories_accepts_exactly_its_codes():
    needs = [need("n", "organics.green_waste", ["02 01 03", "04 02 22", "17 01 07"])]
    assert pairs(CROSS_OFFERS, needs) == [("green", "n"), ("rubble", "n"), ("textile", "n")]


def test_the_old_reading_intersected_the_list_with_the_category_rules():
    needs = [need("n", "organics.green_waste", ["02 01 03", "04 02 22", "17 01 07"])]
    assert pairs(CROSS_OFFERS, needs, code_lists="within_rules") == [("green", "n")]


@pytest.mark.parametrize("written", ["020103", "02 01 03", "02.01.03", " 02-01-03 "])
def test_codes_are_compared_after_normalisation(written):
    offers = [offer("a", "organics.green_waste", "020103"), offer("b", "textiles", "04.02.22")]
    needs = [need("n", "minerals.sand", [written])]
    assert pairs(offers, needs) == [("a", "n")]


def test_the_asterisk_is_kept_as_the_hazardous_mark():
    assert canonical_code("170503") == "17 05 03*"
    assert canonical_code("17.05.03*") == "17 05 03*"
    assert canonical_code("17 05 04*") == "17 05 04"  # the list decides, not the writer
    assert canonical_code(None) is None


def test_needs_without_a_list_still_use_the_taxonomy_rules():
    offers = [offer("fgd", "minerals.gypsum_fgd", "10 01 05"), offer("wood", "organics.wood", None)]
    needs = [need("n", "minerals.gypsum")]
    assert pairs(offers, needs) == [("fgd", "n")]


def test_a_hazardous_code_reaches_a_need_only_when_the_need_lists_that_code():
    offers = [
        offer("soil*", "other.hazardous", "17 05 03*"),
        offer("soil", "minerals.soil", "17 05 04"),
    ]
    needs = [
        need("lists-clean", "minerals.soil", ["17 05 04"]),
        need("lists-hazardous", "minerals.soil", ["17 05 04", "170503"]),
        need("no-list", "minerals.soil"),
    ]
    assert pairs(offers, needs) == [
        ("soil", "lists-clean"),
        ("soil", "lists-hazardous"),
        ("soil", "no-list"),
        ("soil*", "lists-hazardous"),
    ]


def test_a_hazardous_material_under_a_non_hazardous_code_reaches_no_listing_need():
    offers = [offer("odd", "other.hazardous", "17 05 04")]
    needs = [need("n", "minerals.soil", ["17 05 04"])]
    assert pairs(offers, needs) == []
    why = explain_pair(pd.DataFrame(offers), pd.DataFrame(needs), offer_ref="odd", need_ref="n")
    assert [c.name for c in why.checks if not c.ok] == ["legal rule"]
    assert "hazardous material other.hazardous" in why.format()


FEED_OFFERS = [
    offer("grain", "organics.spent_grain", "02 07 01"),
    offer("kitchen", "organics.biowaste", "20 01 08"),
    offer("meat", "organics.animal_by_products", "02 02 03"),
    offer("manure", "organics.manure", "02 01 06"),
]


def test_feed_law_holds_whatever_the_list_says():
    codes = ["02 07 01", "20 01 08", "02 02 03", "02 01 06"]
    needs = [
        need("feed", "organics.animal_feed", codes),
        need("digester", "organics.biogas_feedstock", codes),
    ]
    assert pairs(FEED_OFFERS, needs) == [
        ("grain", "digester"),
        ("grain", "feed"),
        ("kitchen", "digester"),
        ("manure", "digester"),
        ("meat", "digester"),
    ]


def test_a_feed_refusal_is_reported_with_the_code_and_the_rule():
    problems = refusals_for_need(
        ["02 07 01", "200108", "02 02 03", "02 01 06", "20 01 08"], "organics.animal_feed", row=7
    )
    assert [p.row for p in problems] == [7, 7, 7]
    assert all(p.column == "accepted_ewc_codes" for p in problems)
    kitchen, meat, manure = (p.message for p in problems)
    assert kitchen.startswith("accepted EWC code 20 01 08 cannot supply animal feed")
    assert "Regulation (EC) No 1069/2009, Art. 11(1)(b)" in kitchen
    assert "02 02 03" in meat and "Regulation (EC) No 999/2001" in meat
    assert "02 01 06" in manure and "Regulation (EC) No 767/2009, Annex III" in manure
    assert refusals_for_need(["20 01 08"], "organics.biogas_feedstock") == []
    assert refusals_for_need(None, "organics.animal_feed") == []
    assert allowed_accepted_codes(["020701", "20 01 08"], "organics.animal_feed") == {"02 07 01"}


def test_hazardous_codes_never_become_feed():
    problems = refusals_for_need(["13 02 05*"], "organics.animal_feed")
    assert len(problems) == 1 and "13 02 05*" in problems[0].message
    assert "Directive 2002/32/EC" in problems[0].message


def test_proposals_say_the_need_accepted_the_code():
    needs = [need("n", "organics.green_waste", ["04 02 22"], quantity=5.0)]
    result = propose(
        pd.DataFrame(CROSS_OFFERS[:2]), pd.DataFrame(needs), Params(objective="tonnes")
    )
    row = result.frame.iloc[0]
    assert (row["offer_ref"], row["rule"]) == ("textile", "accepted_code")
    assert "lists the offer's EWC code among the codes it accepts" in row["reason"]
    assert "euralcode van het aanbod" in row["reason_nl"]


def test_an_accepted_code_with_a_taxonomy_rule_keeps_that_reason_too():
    offers = [offer("fgd", "minerals.gypsum_fgd", "10 01 05")]
    needs = [need("n", "minerals.gypsum", ["10 01 05"], quantity=5.0)]
    row = propose(pd.DataFrame(offers), pd.DataFrame(needs), Params(objective="tonnes")).frame.iloc[
        0
    ]
    assert row["rule"] == "accepted_code"
    assert "FGD gypsum replaces natural gypsum" in row["reason"]


# ------------------------------------------------------------------------------ explain
EXPLAIN_FILE = """\
ref,organisation,kind,title,material,ewc_code,quantity,unit,frequency,lat,lon,max_distance_km,available_from,available_until
G,Alpha BV,offer,Spent grain,organics.spent_grain,02 07 01,10,t,year,52.25,6.16,,,
K,Alpha BV,offer,Kitchen waste,organics.biowaste,20 01 08,10,t,year,52.25,6.16,,,
W,Alpha BV,offer,Wood,organics.wood,17 02 01,10,t,year,52.25,6.16,,,
B,Alpha BV,offer,Batch,organics.spent_grain,02 07 01,10,t,once,52.25,6.16,,2026-01-01,2026-01-31
H,Alpha BV,offer,Heat,energy.heat,,10,MWh,year,52.25,6.16,,,
F,Beta BV,need,Feed,organics.animal_feed,02 07 01;20 01 08,50,t,year,52.21,5.96,30,,
S,Beta BV,need,Feed far away,organics.animal_feed,,50,t,year,53.2,6.56,30,,
L,Beta BV,need,Feed later,organics.animal_feed,,50,t,once,52.21,5.96,30,2026-03-01,2026-03-31
M,Gamma BV,need,Feed nearby,organics.animal_feed,,50,t,year,52.21,5.96,30,,
N,Alpha BV,need,Feed at home,organics.animal_feed,,50,t,year,52.25,6.16,30,,
"""


def explain(tmp_path, *pairs_):
    listings = tmp_path / "listings.csv"
    listings.write_text(EXPLAIN_FILE, encoding="utf-8")
    options = [x for p in pairs_ for x in ("--explain", p)]
    return CliRunner().invoke(main, ["match", str(listings), *options])


@pytest.mark.parametrize(
    ("pair", "failed", "detail"),
    [
        ("G:F", None, "02 07 01 is on the need's list (02 07 01; 20 01 08)"),
        ("K:F", "legal rule", "Regulation (EC) No 1069/2009, Art. 11(1)(b)"),
        ("W:F", "code not accepted", "the need accepts only 02 07 01; 20 01 08"),
        ("W:M", "incompatible material", "no rule from organics.wood to organics.animal_feed"),
        ("G:S", "distance", "the need's limit is 30 km"),
        ("B:L", "availability window", "offer 2026-01-01 to 2026-01-31, need 2026-03-01"),
        ("G:N", "organisation", "both listed by Alpha BV"),
        ("H:F", "unit family", "offer in energy (MWh), need in mass (t)"),
    ],
)
def test_explain_says_why_a_pair_is_or_is_not_a_candidate(tmp_path, pair, failed, detail):
    result = explain(tmp_path, pair)
    assert result.exit_code == 0, result.output
    assert detail in result.stdout
    if failed is None:
        assert result.stdout.rstrip().endswith("=> a candidate pair")
    else:
        assert f"FAIL {failed}:" in result.stdout
        verdict = result.stdout.rstrip().splitlines()[-1]
        assert verdict.startswith("=> not a candidate: ")
        assert failed in verdict.removeprefix("=> not a candidate: ").split(", ")


def test_explain_distance_gives_the_numbers(tmp_path):
    out = explain(tmp_path, "G:S").stdout
    # Deventer to Groningen: about 113 km straight, x 1.3 by road.
    line = next(x for x in out.splitlines() if "distance" in x)
    straight = float(line.split("distance: ")[1].split(" km")[0])
    assert 105 < straight < 120
    assert f"{straight * 1.3:.1f} km by road" in line


def test_explain_refuses_an_unknown_ref(tmp_path):
    result = explain(tmp_path, "G:nope")
    assert result.exit_code == 2
    assert "no need has ref 'nope'" in result.stderr


def test_match_without_out_or_explain_is_a_usage_error(tmp_path):
    listings = tmp_path / "listings.csv"
    listings.write_text(EXPLAIN_FILE, encoding="utf-8")
    result = CliRunner().invoke(main, ["match", str(listings)])
    assert result.exit_code == 2
    assert "give --out PATH" in result.output


def test_the_import_warns_about_refused_codes_without_stopping(tmp_path):
    from flows.listing_file import parse_listings, read_listing_file

    listings = tmp_path / "listings.csv"
    listings.write_text(EXPLAIN_FILE, encoding="utf-8")
    frame = parse_listings(read_listing_file(listings), require_organisation=True)
    warnings = frame.attrs["warnings"]
    assert [(w.row, w.column) for w in warnings] == [(7, "ewc_code")]
    assert "accepted EWC code 20 01 08 cannot supply animal feed" in warnings[0].message
    # The need keeps its list and its first code's category is not its material here.
    need_f = frame.set_index("ref").loc["F"]
    assert need_f["accepted_ewc_codes"] == ("02 07 01", "20 01 08")

    out = tmp_path / "proposals.csv"
    result = CliRunner().invoke(main, ["match", str(listings), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: row 7, column 'ewc_code': accepted EWC code 20 01 08" in result.stderr


def test_a_need_with_codes_only_shows_the_first_codes_category_and_matches_them_all():
    from flows.listing_file import parse_listings

    raw = pd.DataFrame(
        {
            "ref": ["o1", "o2", "n1"],
            "organisation": ["A", "B", "C"],
            "kind": ["offer", "offer", "need"],
            "title": ["Grass", "Rubble", "Anything"],
            "ewc_code": ["02 01 03", "17 01 07", "02.01.03;170107"],
            "quantity": ["5", "5", "20"],
            "unit": ["t", "t", "t"],
            "lat": ["52.25", "52.25", "52.21"],
            "lon": ["6.16", "6.16", "5.96"],
        }
    )
    frame = parse_listings(raw)
    assert frame.set_index("ref").loc["n1", "material"] == "organics.green_waste"
    from flows.propose import propose_from_listings

    result = propose_from_listings(frame.assign(organisation=["A", "B", "C"]))
    assert sorted(result.frame["offer_ref"]) == ["o1", "o2"]
