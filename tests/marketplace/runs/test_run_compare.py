"""Comparing the proposal sets of two engine runs (pure) and the snapshot a run keeps."""

from __future__ import annotations

from marketplace.runs.history import Proposal, compare_proposals, totals


def p(offer: str, need: str, qty: float, co2: float, unit: str = "t") -> Proposal:
    return Proposal(offer, need, qty, unit, qty if unit == "t" else None, co2)


BEFORE = [p("o1", "n1", 10.0, 100.0), p("o1", "n2", 5.0, 50.0), p("o2", "n2", 7.0, 70.0)]
AFTER = [
    p("o1", "n1", 10.0, 100.0),  # unchanged
    p("o1", "n2", 6.0, 50.0),  # quantity changed
    p("o3", "n3", 4.0, 40.0),  # added
    p("o4", "n4", 2.0, 80.0, unit="MWh"),  # added, no mass
]


def test_compare_finds_added_dropped_changed_and_unchanged() -> None:
    diff = compare_proposals(BEFORE, AFTER)
    assert [x.key for x in diff.added] == [("o3", "n3"), ("o4", "n4")]
    assert [x.key for x in diff.dropped] == [("o2", "n2")]
    assert [(a.quantity_per_year, b.quantity_per_year) for a, b in diff.changed] == [(5.0, 6.0)]
    assert diff.unchanged == 1


def test_compare_puts_the_totals_side_by_side() -> None:
    diff = compare_proposals(BEFORE, AFTER)
    assert (diff.before.proposals, diff.before.mass_t_per_year, diff.before.net_co2e_kg) == (
        3,
        22.0,
        220.0,
    )
    assert (diff.after.proposals, diff.after.mass_t_per_year, diff.after.net_co2e_kg) == (
        4,
        20.0,
        270.0,
    )


def test_a_change_of_co2_or_unit_alone_is_a_change() -> None:
    co2 = compare_proposals([p("a", "b", 1.0, 10.0)], [p("a", "b", 1.0, 11.0)])
    unit = compare_proposals([p("a", "b", 1.0, 10.0)], [p("a", "b", 1.0, 10.0, unit="m3")])
    tiny = compare_proposals([p("a", "b", 1.0, 10.0)], [p("a", "b", 1.0 + 1e-12, 10.0)])
    assert (len(co2.changed), len(unit.changed), len(tiny.changed)) == (1, 1, 0)


def test_comparing_a_run_with_itself_changes_nothing() -> None:
    diff = compare_proposals(AFTER, AFTER)
    assert (diff.added, diff.dropped, diff.changed, diff.unchanged) == ([], [], [], 4)
    assert totals(AFTER) == diff.after == diff.before
