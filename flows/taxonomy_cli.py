"""``python -m flows taxonomy``: print the material taxonomy and its substitution rules.

Plain text by default (headings in ``--lang``, names in both languages); ``--json``
prints one machine-readable document with both languages, for scripts and for
checking the taxonomy into other tools.
"""

from __future__ import annotations

import json
from typing import Any

import click

from flows.taxonomy import CATEGORIES, RULES, ewc_mapping, format_taxonomy

__all__ = ["taxonomy_as_dict", "taxonomy_command"]


def taxonomy_as_dict() -> dict[str, Any]:
    """Return the taxonomy as plain data: ``{"categories": [...], "rules": [...]}``.

    Each category carries its key, parent, both names, default unit and family,
    density and piece-mass hints, the hazardous flag, its explicitly listed EWC codes
    and ``ewc_count``, the number of list entries that map to it.

    Examples
    --------
    >>> data = taxonomy_as_dict()
    >>> data["categories"][0]["key"], data["rules"][0]["kind"]
    ('organics', 'substitution')
    """
    counts = ewc_mapping().value_counts()
    categories = [
        {
            "key": cat.key,
            "parent": cat.parent,
            "name_nl": cat.name_nl,
            "name_en": cat.name_en,
            "default_unit": cat.default_unit,
            "family": cat.family,
            "density_t_per_m3": cat.density_t_per_m3,
            "mass_t_per_piece": cat.mass_t_per_piece,
            "hazardous": cat.hazardous,
            "description_en": cat.description_en,
            "ewc_codes": list(cat.ewc_codes),
            "ewc_count": int(counts.get(cat.key, 0)),
        }
        for cat in CATEGORIES.values()
    ]
    rules = [
        {
            "offered": rule.offered,
            "needed": rule.needed,
            "kind": rule.kind,
            "reason_en": rule.reason_en,
            "reason_nl": rule.reason_nl,
        }
        for rule in RULES
    ]
    return {"categories": categories, "rules": rules}


@click.command(name="taxonomy")
@click.option(
    "--lang",
    type=click.Choice(["nl", "en"]),
    default="nl",
    show_default=True,
    help="Language of headings and rule reasons (names are shown in both).",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead.")
def taxonomy_command(lang: str, as_json: bool) -> None:
    """List material categories, their EWC codes and the substitution rules."""
    if as_json:
        click.echo(json.dumps(taxonomy_as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_taxonomy(lang="en" if lang == "en" else "nl"), nl=False)
