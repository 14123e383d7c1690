"""The European List of Waste: loading, code normalisation, hazard flags, search."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.errors import FlowsError, InvalidEWCCode
from flows.ewc import (
    EWC_COLUMNS,
    describe,
    ewc_codes,
    ewc_table,
    is_ewc_code,
    is_hazardous,
    normalise_ewc_code,
    search_ewc,
)

# ---------------------------------------------------------------- the shipped table


def test_the_table_holds_all_842_entries_of_which_408_are_hazardous() -> None:
    table = ewc_table()
    assert len(table) == 842
    assert int(table["hazardous"].sum()) == 408
    assert table["hazardous"].dtype == bool
    assert table.index.is_unique
    assert tuple(table.columns) == EWC_COLUMNS


def test_every_code_is_canonical_and_agrees_with_its_compact_and_display_forms() -> None:
    table = ewc_table()
    for code, row in table.iterrows():
        assert re.fullmatch(r"\d\d \d\d \d\d", str(code))
        assert row["code_compact"] == str(code).replace(" ", "")
        assert row["code_display"] == f"{code}*" if row["hazardous"] else str(code)
        assert str(code).startswith(row["subchapter"])
        assert str(row["subchapter"]).startswith(row["chapter"])


def test_every_entry_has_text_in_both_languages() -> None:
    table = ewc_table()
    for column in ("description_en", "description_nl", "chapter_title_nl", "subchapter_title_nl"):
        assert (table[column].str.strip() != "").all(), column


@pytest.mark.parametrize("code", ["01 03 10", "16 03 07", "19 03 08"])
def test_the_three_codes_added_in_2014_fall_back_to_english_in_dutch(code: str) -> None:
    assert describe(code, lang="nl") == describe(code, lang="en")


def test_ewc_table_returns_a_copy_that_callers_may_change() -> None:
    first = ewc_table()
    first["extra"] = 1
    first.loc["02 01 03", "description_en"] = "changed"
    second = ewc_table()
    assert "extra" not in second.columns
    assert second.loc["02 01 03", "description_en"] == "Plant-tissue waste"


def test_ewc_codes_lists_every_code_in_list_order() -> None:
    codes = ewc_codes()
    assert codes == tuple(ewc_table().index)
    assert codes[0] == "01 01 01"
    assert codes[-1] == "20 03 99"


# ------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("02 01 03", "02 01 03"),
        ("020103", "02 01 03"),
        ("02 01 03*", "02 01 03"),
        ("020103*", "02 01 03"),
        ("02.01.03", "02 01 03"),
        ("02-01-03", "02 01 03"),
        ("  02   01  03  ", "02 01 03"),
        ("\t020103\n", "02 01 03"),
        ("13 02 05*", "13 02 05"),
        ("13 02 05 *", "13 02 05"),
        ("130205", "13 02 05"),
        ("20 03 99", "20 03 99"),
    ],
)
def test_normalise_ewc_code_accepts_the_usual_ways_of_writing_a_code(
    text: str, expected: str
) -> None:
    assert normalise_ewc_code(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "2 01 03", "02 01 3", "0201034", "02010", "02 01 03**", "*02 01 03", "abc",
     "02/01/03", "02 01", "02..01.03", "02 01 03 04", "O2 01 03"],
)  # fmt: skip
def test_normalise_ewc_code_refuses_malformed_text_and_lists_the_accepted_forms(
    text: str,
) -> None:
    with pytest.raises(InvalidEWCCode) as info:
        normalise_ewc_code(text)
    message = str(info.value)
    assert repr(text) in message
    assert "'02 01 03'" in message and "'020103'" in message


@pytest.mark.parametrize("text", ["99 99 99", "02 01 05", "000000", "20 04 01"])
def test_normalise_ewc_code_refuses_well_formed_codes_that_are_not_on_the_list(text: str) -> None:
    with pytest.raises(InvalidEWCCode, match="not on the European List of Waste") as info:
        normalise_ewc_code(text)
    assert repr(text) in str(info.value)


@pytest.mark.parametrize("value", [20103, None, 2.0103, b"020103"])
def test_normalise_ewc_code_refuses_values_that_are_not_text(value: object) -> None:
    with pytest.raises(InvalidEWCCode, match="must be text"):
        normalise_ewc_code(value)  # type: ignore[arg-type]


def test_an_invalid_code_is_a_flows_error_and_a_value_error() -> None:
    with pytest.raises(FlowsError):
        normalise_ewc_code("nonsense")
    with pytest.raises(ValueError):
        normalise_ewc_code("nonsense")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("020103", True), ("13 02 05*", True), ("99 99 99", False), ("abc", False), (20103, False)],
)
def test_is_ewc_code_says_whether_a_value_names_a_listed_code(text: object, expected: bool) -> None:
    assert is_ewc_code(text) is expected


_FORMS = st.sampled_from(
    [
        lambda c, star: c.replace(" ", "") + star,
        lambda c, star: c + star,
        lambda c, star: c.replace(" ", ".") + star,
        lambda c, star: f"  {c}{star}  ",
    ]
)


@given(code=st.sampled_from(ewc_codes()), form=_FORMS, star=st.sampled_from(["", "*", " *"]))
def test_normalising_is_idempotent_and_recovers_every_listed_code_from_any_form(
    code: str, form: object, star: str
) -> None:
    written = form(code, star)  # type: ignore[operator]
    once = normalise_ewc_code(written)
    assert once == code
    assert normalise_ewc_code(once) == once


@given(st.text(max_size=12))
def test_normalising_arbitrary_text_returns_a_listed_code_or_raises_invalid_ewc_code(
    text: str,
) -> None:
    try:
        code = normalise_ewc_code(text)
    except InvalidEWCCode:
        return
    assert code in ewc_codes()


# ------------------------------------------------------------------ hazard and text


@pytest.mark.parametrize(
    ("code", "hazardous"),
    [
        ("13 02 05*", True),
        ("130205", True),
        ("17 05 03", True),
        ("02 01 03", False),
        ("17 05 04", False),
        ("20 01 25", False),
        ("20 01 26*", True),
    ],
)
def test_is_hazardous_reads_the_flag_of_the_list(code: str, hazardous: bool) -> None:
    assert is_hazardous(code) is hazardous


def test_the_asterisk_is_accepted_but_the_list_decides_the_hazard() -> None:
    assert is_hazardous("02 01 03*") is False


def test_is_hazardous_refuses_a_code_that_is_not_on_the_list() -> None:
    with pytest.raises(InvalidEWCCode):
        is_hazardous("99 99 99")


def test_describe_returns_the_text_in_the_chosen_language() -> None:
    assert describe("02 01 03", lang="en") == "Plant-tissue waste"
    assert describe("020103") == "afval van plantaardige weefsels"
    assert describe("130205", lang="en", with_code=True) == (
        "13 02 05* Mineral-based non-chlorinated engine, gear and lubricating oils"
    )


def test_describe_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang 'de' is not one of 'nl', 'en'"):
        describe("02 01 03", lang="de")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- search


def test_searching_gips_finds_the_gypsum_entries_in_dutch() -> None:
    assert list(search_ewc("gips", lang="nl").index[:2]) == ["17 08 01", "17 08 02"]


def test_searching_gypsum_finds_exactly_the_gypsum_entries_in_english() -> None:
    assert list(search_ewc("gypsum").index) == ["17 08 01", "17 08 02"]


def test_searching_matches_every_word_ignoring_case() -> None:
    assert list(search_ewc("EDIBLE oil").index) == ["19 08 09", "20 01 25"]


def test_searching_ignores_accents() -> None:
    assert list(search_ewc("labchemicalien", lang="nl").index) == ["16 05 06"]


def test_searching_in_one_language_ignores_the_other() -> None:
    assert search_ewc("gips", lang="en").empty
    assert search_ewc("gypsum", lang="nl").empty


@pytest.mark.parametrize("query", ["1708", "17 08", "17.08", "17 08*"])
def test_searching_a_partial_code_returns_the_codes_that_start_with_it(query: str) -> None:
    assert list(search_ewc(query).index) == ["17 08 01", "17 08 02"]


def test_searching_a_full_code_returns_that_entry_only() -> None:
    assert list(search_ewc("020103").index) == ["02 01 03"]


def test_search_ranks_word_starts_before_substrings_and_honours_the_limit() -> None:
    found = search_ewc("glass", lang="en", limit=None)
    assert "20 01 02" in found.index
    limited = search_ewc("glass", lang="en", limit=3)
    assert list(limited.index) == list(found.index[:3])
    # "fibreglass" style substring hits would come after every word-start hit
    starts = found["description_en"].str.lower().str.contains(r"\bglass", regex=True)
    assert starts.is_monotonic_decreasing


def test_an_empty_query_finds_nothing_but_keeps_the_columns() -> None:
    found = search_ewc("   ")
    assert found.empty
    assert tuple(found.columns) == EWC_COLUMNS


@pytest.mark.parametrize("limit", [0, -1, 2.5, True])
def test_search_refuses_a_limit_that_is_not_a_positive_integer(limit: object) -> None:
    with pytest.raises(ValueError, match="limit"):
        search_ewc("glass", limit=limit)  # type: ignore[arg-type]


def test_the_examples_in_the_docstrings_run() -> None:
    import doctest

    import flows.ewc

    result = doctest.testmod(flows.ewc, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
