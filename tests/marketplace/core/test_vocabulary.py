"""Every value of the vocabulary has a label in Dutch and English, defined once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale

from marketplace.core import vocabulary
from marketplace.core.vocabulary import VOCABULARIES, label
from marketplace.i18n_commands import load

ROOT = Path(__file__).resolve().parents[3]
CASES = [(name, value) for name, (values, _labels) in VOCABULARIES.items() for value in values]


@pytest.mark.parametrize(("name", "value"), CASES)
def test_every_value_has_exactly_one_label(name: str, value: str) -> None:
    values, labels = VOCABULARIES[name]
    assert set(labels) == set(values), name
    assert value in labels


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize(("name", "value"), CASES)
def test_every_label_renders_in_both_languages(
    app: Flask, lang: str, name: str, value: str
) -> None:
    catalog = load(lang)
    with app.test_request_context(), force_locale(lang):
        shown = render_template_string("{{ value|label(name) }}", value=value, name=name)
        raw = str(VOCABULARIES[name][1][value])
    assert shown.strip(), (name, value, lang)
    lazy = VOCABULARIES[name][1][value]
    msgid = lazy._args[0] if hasattr(lazy, "_args") else None  # units are not translated
    message = catalog.get(msgid) if msgid else None
    if message is not None and message.string:
        # Where the catalogue translates the label, the page shows the translation.
        assert raw == message.string, (name, value, lang)


def test_dutch_labels_are_dutch(app: Flask) -> None:
    with app.test_request_context(), force_locale("nl"):
        assert label("draft", "listing_status") != "draft"
        assert label("proposed", "match_status") != "proposed"
        assert label("month", "frequency") != "per month"
    with app.test_request_context(), force_locale("en"):
        assert label("week", "frequency") == "per week"


def test_status_groups_partition_the_match_statuses() -> None:
    grouped = [s for group in vocabulary.MATCH_STATUS_GROUPS.values() for s in group]
    assert sorted(grouped) == sorted(vocabulary.MATCH_STATUSES)
    assert set(vocabulary.COMMITTED_STATUSES) < set(vocabulary.AGREED_STATUSES)


def test_transitions_stay_inside_the_vocabulary() -> None:
    for table, values in (
        (vocabulary.LISTING_TRANSITIONS, vocabulary.LISTING_STATUSES),
        (vocabulary.MATCH_TRANSITIONS, vocabulary.MATCH_STATUSES),
    ):
        assert set(table) == set(values)
        assert all(set(targets) <= set(values) for targets in table.values())


def test_energy_and_water_need_no_ewc_code() -> None:
    assert not vocabulary.needs_ewc_code("energy.heat")
    assert not vocabulary.needs_ewc_code("water")
    assert vocabulary.needs_ewc_code("minerals.gypsum")


#: A label table written into a template: ``{"draft": _("draft"), ...}``.
LABEL_DICT = re.compile(r"""\{\s*["'](\w+)["']\s*:\s*_\(""")


def test_templates_hold_no_copies_of_the_labels() -> None:
    known = {value for values, _labels in VOCABULARIES.values() for value in values}
    copies = [
        f"{path.relative_to(ROOT)}: {match.group(1)}"
        for path in (ROOT / "templates").rglob("*.html")
        for match in LABEL_DICT.finditer(path.read_text(encoding="utf-8"))
        if match.group(1) in known
    ]
    assert copies == []
