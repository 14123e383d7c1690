"""``python -m flows taxonomy``: print the material taxonomy and its substitution rules.

Plain text by default (headings in ``--lang``, names in both languages); ``--json``
prints one machine-readable document with both languages, for scripts and for
checking the taxonomy into other tools; ``--reach`` prints, as CSV, every EWC code
with its category, the need categories it can supply and those the law refuses (animal
by-products and feed law): the table whose reviewed
snapshot is ``docs/taxonomy-reach.csv``
(``python -m flows taxonomy --reach > docs/taxonomy-reach.csv`` regenerates it).
"""

from __future__ import annotations

import json
from typing import Any

import click

from flows.taxonomy import (
    CATEGORIES,
    REACH_EXCEPTIONS,
    REFUSALS,
    RULES,
    ewc_mapping,
    format_taxonomy,
    reach_table,
)

__all__ = ["reach_csv", "taxonomy_as_dict", "taxonomy_command"]


def reach_csv() -> str:
    """Return :func:`flows.taxonomy.reach_table` as CSV text (``\\n`` line ends).

    Examples
    --------
    >>> reach_csv().splitlines()[0]
    'ewc_code,hazardous,category,supplies,refused'
    """
    return str(reach_table().to_csv(index=False, lineterminator="\n"))


def taxonomy_as_dict() -> dict[str, Any]:
    """Return the taxonomy as plain data: categories, rules and legal refusals.

    ``{"categories": [...], "rules": [...], "refusals": [...]}``. Each category carries
    its key, parent, both names, default unit and family, density and piece-mass
    hints, the hazardous flag, its explicitly listed EWC codes, ``ewc_count`` (the
    number of list entries that map to it) and ``reach_exception`` (why it supplies no
    other need, or ``None``). Rules and refusals carry their reasons and source.

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
            "reach_exception": (
                {"kind": exc.kind, "reason_en": exc.reason_en, "reason_nl": exc.reason_nl}
                if (exc := REACH_EXCEPTIONS.get(cat.key)) is not None
                else None
            ),
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
            "source": rule.source,
        }
        for rule in RULES
    ]
    refusals = [
        {
            "offered": refusal.offered,
            "needed": refusal.needed,
            "reason_en": refusal.reason_en,
            "reason_nl": refusal.reason_nl,
            "source": refusal.source,
        }
        for refusal in REFUSALS
    ]
    return {"categories": categories, "rules": rules, "refusals": refusals}


@click.command(name="taxonomy")
@click.option(
    "--lang",
    type=click.Choice(["nl", "en"]),
    default="nl",
    show_default=True,
    help="Language of headings and rule reasons (names are shown in both).",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON instead.")
@click.option(
    "--reach",
    "as_reach",
    is_flag=True,
    help="Print every EWC code with its category, the need categories it can supply and "
    "those the law refuses (CSV; the snapshot is docs/taxonomy-reach.csv).",
)
def taxonomy_command(lang: str, as_json: bool, as_reach: bool) -> None:
    """List material categories, their EWC codes and the substitution rules."""
    if as_json and as_reach:
        raise click.UsageError("--json and --reach print different tables; choose one")
    if as_reach:
        click.echo(reach_csv(), nl=False)
    elif as_json:
        click.echo(json.dumps(taxonomy_as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_taxonomy(lang="en" if lang == "en" else "nl"), nl=False)
