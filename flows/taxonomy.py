"""Material taxonomy: what a residual stream or an input need *is*, and what can replace what.

Design
------
**Categories** form a tree of stable dotted keys (``minerals``, ``minerals.gypsum``,
``organics.wood.residues``); the parent of a key is the key without its last segment.
Keys are identifiers stored in listings and files: never rename one, add a new key
and map the old one instead. Each :class:`Category` carries Dutch and English
names, a default unit with its unit family, an optional density hint (to turn m3
into tonnes for transport and CO2) and whether it holds hazardous waste.

Some categories exist only as *needs* (``organics.animal_feed``,
``organics.biomass_fuel``, ``minerals.cement``, ``water.process``...): nobody offers
"animal feed" as waste, but a farmer needs it and spent grain can supply it.

**EWC codes.** Every one of the 842 entries of the European List of Waste maps to
exactly one category (:func:`category_for_ewc`, :func:`ewc_mapping`), resolved in
this order:

1. codes listed explicitly in a category's ``ewc_codes``;
2. :data:`SUBCHAPTER_RULES` (``"02 03"`` -> food-processing residues);
3. :data:`CHAPTER_RULES` (chapter ``"13"`` -> waste mineral oils);
4. ``other``.

A hazardous (asterisk) entry never lands in a non-hazardous category: if steps 2-4
would put it there it goes to :data:`HAZARDOUS_FALLBACK` of that branch (hazardous
sludges) or to ``other.hazardous``. So ``17 05 04`` is soil, but ``17 05 03*`` (soil
containing hazardous substances) is ``other.hazardous`` and never matches a need
for soil. The list cannot tell untreated from painted wood or one polymer from
another, so ``organics.wood.clean`` and ``plastics.pp`` have no codes of their own:
a lister declares them by choosing the category.

The tables (categories, EWC rules, substitutions) are data, not code: they live in
``flows/data/taxonomy_*.csv`` with their sources in ``flows/data/README.md``, are read once
at import and checked for consistency (unknown keys, codes listed twice, hazardous
categories in substitutions...) before anything uses them.

Compatibility
-------------
:func:`match_rule` decides whether an *offered* category can fill a *needed* one:

``same``
    The keys are equal. Always compatible, hazardous categories included.
``parent_child``
    The offered category is a descendant of the needed one and counts in the same
    unit family: a need for ``metals`` is met by ``metals.ferrous``. (CO2 gas is
    filed under ``energy`` for browsing, but tonnes of CO2 do not meet a need for
    MWh of energy.) The reverse is deliberately **not** compatible: an
    offer of mixed ``metals`` does not meet a need for ``metals.copper``, because a
    general category promises nothing about the specific material.
``substitution``
    An explicit :class:`Rule` in :data:`RULES` with a physical reason in Dutch and
    English (FGD gypsum replaces natural gypsum; spent grain is cattle feed). A rule
    also applies to descendants of its offered key (``organics.wood`` ->
    ``organics.biomass_fuel`` covers wood residues); the rule on the nearest
    ancestor wins. Rules are not chained and do not extend to ancestors of the
    needed key.

Hazardous categories (``chemicals.*``, ``oils_fats.mineral``, ``sludges.hazardous``,
``organics.wood.treated``, ``other.hazardous``) only match themselves: no
``parent_child``, no substitutions. :func:`compatibility_table` lists every
compatible ``(offered, needed)`` pair so the engine can join candidate pairs on it.

Examples
--------
>>> category_for_ewc("10 01 05")
'minerals.gypsum_fgd'
>>> match_rule("minerals.gypsum_fgd", "minerals.gypsum").kind
'substitution'
>>> match_rule("metals.ferrous", "metals").kind
'parent_child'
>>> match_rule("metals.mixed", "metals.copper") is None
True
"""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Final, Literal

import pandas as pd

from flows.errors import UnknownCategory
from flows.ewc import ewc_table, normalise_ewc_code
from flows.schema import UNIT_FAMILY

__all__ = [
    "CATEGORIES",
    "CHAPTER_RULES",
    "COMPATIBILITY_COLUMNS",
    "HAZARDOUS_FALLBACK",
    "RULES",
    "SUBCHAPTER_RULES",
    "Category",
    "Rule",
    "ancestors",
    "category",
    "category_choices",
    "category_for_ewc",
    "category_keys",
    "children",
    "compatibility_table",
    "descendants",
    "ewc_codes_for",
    "ewc_mapping",
    "format_taxonomy",
    "is_category",
    "match_rule",
    "root",
]

Lang = Literal["nl", "en"]
RuleKind = Literal["same", "parent_child", "substitution"]

#: Units a category may default to (a subset of :data:`flows.schema.UNITS`).
DEFAULT_UNITS: Final = ("t", "m3", "MWh", "pcs")
#: Columns of :func:`compatibility_table`.
COMPATIBILITY_COLUMNS: Final = ("offered", "needed", "kind", "reason_en", "reason_nl")

_KEY_RE: Final = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")


@dataclass(frozen=True)
class Category:
    """One material category of the taxonomy.

    Attributes
    ----------
    key : str
        Stable dotted key, e.g. ``"minerals.gypsum"``.
    parent : str or None
        Key of the parent category; ``None`` for a top-level category.
    name_nl, name_en : str
        Display names.
    ewc_codes : tuple of str
        Canonical EWC codes listed explicitly for this category. Sub-chapter and
        chapter rules map more codes to it; :func:`ewc_codes_for` gives them all.
    default_unit : str
        ``"t"``, ``"m3"``, ``"MWh"`` or ``"pcs"``.
    family : str
        Unit family of ``default_unit``: ``"mass"``, ``"volume"``, ``"energy"`` or
        ``"count"``.
    density_t_per_m3 : float or None
        Typical bulk density, to convert a volume to a mass when no measured value is
        given; ``None`` where volumes are unusual or too variable to guess.
    description_en : str
        One sentence on what belongs here.
    hazardous : bool
        The category holds hazardous waste and only matches itself.
    mass_t_per_piece : float or None
        Typical mass of one piece, for categories counted in ``pcs``.
    """

    key: str
    parent: str | None
    name_nl: str
    name_en: str
    ewc_codes: tuple[str, ...]
    default_unit: str
    family: str
    density_t_per_m3: float | None
    description_en: str
    hazardous: bool = False
    mass_t_per_piece: float | None = None

    def name(self, lang: Lang = "nl") -> str:
        """Return the name in ``lang`` (``"nl"`` or ``"en"``)."""
        _check_lang(lang)
        return self.name_nl if lang == "nl" else self.name_en

    @property
    def label_nl(self) -> str:
        """Dutch display label (the Dutch name)."""
        return self.name_nl

    @property
    def label_en(self) -> str:
        """English display label (the English name)."""
        return self.name_en

    @property
    def depth(self) -> int:
        """Number of ancestors: 0 for a top-level category."""
        return self.key.count(".")


@dataclass(frozen=True)
class Rule:
    """Why an offered category can meet a needed one.

    ``kind`` is ``"same"``, ``"parent_child"`` or ``"substitution"``; the reasons are
    one short sentence each, shown to users next to a proposed match.
    """

    offered: str
    needed: str
    kind: RuleKind
    reason_en: str
    reason_nl: str

    def reason(self, lang: Lang = "nl") -> str:
        """Return the reason in ``lang`` (``"nl"`` or ``"en"``)."""
        _check_lang(lang)
        return self.reason_nl if lang == "nl" else self.reason_en


# ------------------------------------------------------------------------------ data
# The tables live in flows/data/ (reviewable CSV; provenance in flows/data/README.md):
# taxonomy_categories.csv (the tree, names, units, density hints with their sources,
# explicit EWC codes), taxonomy_ewc_rules.csv (sub-chapter, chapter and hazardous
# fallback rules) and taxonomy_substitutions.csv (substitutions with NL/EN reasons).
_EWC_RULE_LEVELS: Final = ("subchapter", "chapter", "hazardous_fallback")


def _read_rows(name: str) -> list[dict[str, str]]:
    with resources.files("flows").joinpath(f"data/{name}").open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _optional_float(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def _load_categories() -> tuple[Category, ...]:
    """Read ``taxonomy_categories.csv``: one category per row, parents first."""
    categories: list[Category] = []
    for row in _read_rows("taxonomy_categories.csv"):
        key, unit = row["key"], row["default_unit"]
        if row["hazardous"] not in ("yes", "no"):
            raise AssertionError(f"category {key!r}: hazardous {row['hazardous']!r} not yes/no")
        categories.append(
            Category(
                key=key,
                parent=key.rsplit(".", 1)[0] if "." in key else None,
                name_nl=row["name_nl"],
                name_en=row["name_en"],
                ewc_codes=tuple(c.strip() for c in row["ewc_codes"].split(";") if c.strip()),
                default_unit=unit,
                family=UNIT_FAMILY.get(unit, "?"),
                density_t_per_m3=_optional_float(row["density_t_per_m3"]),
                description_en=row["description_en"],
                hazardous=row["hazardous"] == "yes",
                mass_t_per_piece=_optional_float(row["mass_t_per_piece"]),
            )
        )
    return tuple(categories)


@cache
def _load_ewc_rules() -> Mapping[str, Mapping[str, str]]:
    """Read ``taxonomy_ewc_rules.csv``: level -> prefix -> category key."""
    rules: dict[str, dict[str, str]] = {level: {} for level in _EWC_RULE_LEVELS}
    for row in _read_rows("taxonomy_ewc_rules.csv"):
        level, prefix = row["level"], row["prefix"]
        if level not in rules or prefix in rules[level]:
            raise AssertionError(f"EWC rule {level!r} {prefix!r}: unknown level or listed twice")
        rules[level][prefix] = row["category"]
    return MappingProxyType({level: MappingProxyType(rule) for level, rule in rules.items()})


@cache
def _load_substitutions() -> tuple[Rule, ...]:
    """Read ``taxonomy_substitutions.csv``: one substitution with its reasons per row."""
    return tuple(
        Rule(row["offered"], row["needed"], "substitution", row["reason_en"], row["reason_nl"])
        for row in _read_rows("taxonomy_substitutions.csv")
    )


_CATEGORY_LIST: Final[tuple[Category, ...]] = _load_categories()

#: Every category by key, parents before children, in display order.
CATEGORIES: Final[Mapping[str, Category]] = MappingProxyType(
    {cat.key: cat for cat in _CATEGORY_LIST}
)

#: Sub-chapter (``"02 03"``) -> category, for codes not listed explicitly.
SUBCHAPTER_RULES: Final[Mapping[str, str]] = _load_ewc_rules()["subchapter"]

#: Chapter (``"13"``) -> category, for codes matched by no explicit code or sub-chapter.
CHAPTER_RULES: Final[Mapping[str, str]] = _load_ewc_rules()["chapter"]

#: Top-level key -> hazardous category for hazardous entries that a rule would
#: otherwise put in a non-hazardous category of that branch; default ``other.hazardous``.
HAZARDOUS_FALLBACK: Final[Mapping[str, str]] = _load_ewc_rules()["hazardous_fallback"]
_DEFAULT_HAZARDOUS: Final = "other.hazardous"

#: Explicit substitutions, each with its physical reason.
RULES: Final[tuple[Rule, ...]] = _load_substitutions()
_RULES_BY_PAIR: Final[Mapping[tuple[str, str], Rule]] = MappingProxyType(
    {(rule.offered, rule.needed): rule for rule in RULES}
)


# ------------------------------------------------------------------------- integrity
def _check_definitions() -> None:
    """Fail at import if the literal definitions above contradict each other."""
    problems: list[str] = []
    seen: set[str] = set()
    explicit: dict[str, str] = {}
    for cat in _CATEGORY_LIST:
        if cat.key in seen:
            problems.append(f"category {cat.key!r} is defined twice")
        if not _KEY_RE.fullmatch(cat.key):
            problems.append(f"category key {cat.key!r} is not lower-case dotted words")
        if cat.parent is not None and cat.parent not in seen:
            problems.append(f"category {cat.key!r}: parent {cat.parent!r} is not defined before it")
        if cat.default_unit not in DEFAULT_UNITS:
            problems.append(
                f"category {cat.key!r}: unit {cat.default_unit!r} not in {DEFAULT_UNITS}"
            )
        if cat.density_t_per_m3 is not None and not 0 < cat.density_t_per_m3 < 10:
            problems.append(f"category {cat.key!r}: density {cat.density_t_per_m3!r} implausible")
        parent = CATEGORIES.get(cat.parent) if cat.parent else None
        if parent is not None and parent.hazardous and not cat.hazardous:
            problems.append(f"category {cat.key!r} must be hazardous like its parent")
        for code in cat.ewc_codes:
            if not re.fullmatch(r"\d\d \d\d \d\d", code):
                problems.append(f"category {cat.key!r}: EWC code {code!r} is not canonical")
            if code in explicit:
                problems.append(f"EWC code {code} is listed by {explicit[code]!r} and {cat.key!r}")
            explicit[code] = cat.key
        seen.add(cat.key)
    for prefix, key in (*SUBCHAPTER_RULES.items(), *CHAPTER_RULES.items()):
        if key not in seen:
            problems.append(f"EWC rule {prefix!r} -> {key!r}: unknown category")
    for fallback in (*HAZARDOUS_FALLBACK.values(), _DEFAULT_HAZARDOUS):
        if fallback not in seen or not CATEGORIES[fallback].hazardous:
            problems.append(f"hazardous fallback {fallback!r} must be a hazardous category")
    if len(_RULES_BY_PAIR) != len(RULES):
        problems.append("RULES holds the same (offered, needed) pair twice")
    for rule in RULES:
        ends = (rule.offered, rule.needed)
        if any(key not in seen for key in ends):
            problems.append(f"rule {ends}: unknown category")
            continue
        if any(CATEGORIES[key].hazardous for key in ends):
            problems.append(f"rule {ends}: hazardous categories only match themselves")
        if rule.offered == rule.needed or rule.needed in ancestors(rule.offered):
            problems.append(f"rule {ends} is already a same or parent_child match")
        if not (rule.reason_en.strip() and rule.reason_nl.strip()):
            problems.append(f"rule {ends} needs a reason in both languages")
    if problems:
        raise AssertionError("taxonomy definitions are inconsistent:\n" + "\n".join(problems))


# ---------------------------------------------------------------------------- lookup
def is_category(key: object) -> bool:
    """Return whether ``key`` is a category key.

    Examples
    --------
    >>> is_category("minerals.gypsum"), is_category("gypsum")
    (True, False)
    """
    return isinstance(key, str) and key in CATEGORIES


def category_keys() -> tuple[str, ...]:
    """Return every category key, parents before children, in display order.

    Examples
    --------
    >>> category_keys()[:2]
    ('organics', 'organics.food_residues')
    """
    return tuple(CATEGORIES)


def category(key: str) -> Category:
    """Return the category with this key.

    Raises
    ------
    UnknownCategory
        If ``key`` is not a category; the message suggests close matches.

    Examples
    --------
    >>> category("minerals.gypsum").name_nl
    'Gips'
    >>> category("gypsum")
    Traceback (most recent call last):
    ...
    flows.errors.UnknownCategory: category 'gypsum' is not in the taxonomy; did you mean \
'minerals.gypsum', 'minerals.gypsum_fgd'? (python -m flows taxonomy lists every key)
    """
    if isinstance(key, str) and key in CATEGORIES:
        return CATEGORIES[key]
    suggestions = _close_matches(key) if isinstance(key, str) else []
    hint = f"; did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
    raise UnknownCategory(
        f"category {key!r} is not in the taxonomy{hint} (python -m flows taxonomy lists every key)"
    )


def _close_matches(key: str, *, n: int = 5) -> list[str]:
    wanted = key.strip().casefold()
    by_segment = [
        k
        for k, cat in CATEGORIES.items()
        if wanted
        and (
            wanted in k.rsplit(".", 1)[-1]
            or wanted in cat.name_nl.casefold()
            or wanted in cat.name_en.casefold()
        )
    ]
    fuzzy = difflib.get_close_matches(wanted, list(CATEGORIES), n=n, cutoff=0.6)
    return list(dict.fromkeys([*by_segment, *fuzzy]))[:n]


def root(key: str) -> str:
    """Return the top-level key of ``key``.

    Examples
    --------
    >>> root("organics.wood.residues")
    'organics'
    """
    return category(key).key.split(".", 1)[0]


def children(key: str) -> tuple[str, ...]:
    """Return the keys of the direct children of ``key``, in display order.

    Examples
    --------
    >>> children("organics.wood")
    ('organics.wood.residues', 'organics.wood.clean', 'organics.wood.treated')
    """
    category(key)
    return tuple(k for k, cat in CATEGORIES.items() if cat.parent == key)


def descendants(key: str, *, include_self: bool = True) -> tuple[str, ...]:
    """Return ``key`` (optionally) and every key below it, in display order.

    Examples
    --------
    >>> descendants("organics.wood", include_self=False)
    ('organics.wood.residues', 'organics.wood.clean', 'organics.wood.treated')
    """
    category(key)
    below = tuple(k for k in CATEGORIES if k.startswith(key + "."))
    return (key, *below) if include_self else below


def ancestors(key: str) -> tuple[str, ...]:
    """Return the keys above ``key``, nearest first.

    Examples
    --------
    >>> ancestors("organics.wood.residues")
    ('organics.wood', 'organics')
    """
    parent = category(key).parent
    chain: list[str] = []
    while parent is not None:
        chain.append(parent)
        parent = CATEGORIES[parent].parent
    return tuple(chain)


def category_choices(*, lang: Lang = "nl") -> list[tuple[str, str]]:
    """Return ``(key, label)`` pairs for a select box, children indented under parents.

    Examples
    --------
    >>> category_choices(lang="en")[1]
    ('organics.food_residues', '\\u2003Food-processing residues')
    """
    _check_lang(lang)
    return [(k, "\u2003" * cat.depth + cat.name(lang)) for k, cat in CATEGORIES.items()]


# ----------------------------------------------------------------------- EWC mapping
@cache
def _mapping() -> pd.Series:
    table = ewc_table()
    explicit = {code: cat.key for cat in _CATEGORY_LIST for code in cat.ewc_codes}
    problems = [
        f"EWC code {code} of {key!r} is not on the list"
        for code, key in explicit.items()
        if code not in table.index
    ]
    keys: list[str] = []
    for code, sub, chapter, hazardous in zip(
        table.index, table["subchapter"], table["chapter"], table["hazardous"], strict=True
    ):
        key = explicit.get(code) or SUBCHAPTER_RULES.get(sub) or CHAPTER_RULES.get(chapter)
        key = key or "other"
        if hazardous and not CATEGORIES[key].hazardous:
            if code in explicit:
                problems.append(f"hazardous EWC code {code} is listed by non-hazardous {key!r}")
            key = HAZARDOUS_FALLBACK.get(key.split(".", 1)[0], _DEFAULT_HAZARDOUS)
        keys.append(key)
    if problems:
        raise AssertionError("EWC mapping is inconsistent:\n" + "\n".join(problems))
    return pd.Series(keys, index=table.index, name="category", dtype=str)


def ewc_mapping() -> pd.Series:
    """Return the category of every EWC code: a Series indexed by canonical code.

    Computed once; each call returns a cheap copy.

    Examples
    --------
    >>> mapping = ewc_mapping()
    >>> len(mapping), mapping["02 01 06"], mapping["13 02 05"]
    (842, 'organics.manure', 'oils_fats.mineral')
    """
    return _mapping().copy(deep=False)


def category_for_ewc(code: str) -> str:
    """Return the category key of an EWC code (any form :func:`normalise_ewc_code` accepts).

    Raises
    ------
    InvalidEWCCode
        If the code is malformed or not on the list.

    Examples
    --------
    >>> category_for_ewc("170802"), category_for_ewc("17 05 03*")
    ('minerals.gypsum', 'other.hazardous')
    """
    return str(_mapping()[normalise_ewc_code(code)])


def ewc_codes_for(key: str, *, include_descendants: bool = False) -> tuple[str, ...]:
    """Return every EWC code that maps to ``key`` (and its descendants), in list order.

    Examples
    --------
    >>> ewc_codes_for("minerals.gypsum_fgd")
    ('10 01 05', '10 01 07')
    >>> len(ewc_codes_for("metals", include_descendants=True))
    26
    """
    keys = descendants(key) if include_descendants else (category(key).key,)
    mapping = _mapping()
    return tuple(str(code) for code in mapping.index[mapping.isin(keys)])


# --------------------------------------------------------------------- compatibility
def match_rule(offered_key: str, needed_key: str) -> Rule | None:
    """Return why ``offered_key`` can meet ``needed_key``, or ``None`` if it cannot.

    See the module docstring for the semantics of ``same``, ``parent_child`` and
    ``substitution``. An inherited substitution is returned with ``offered`` set to
    ``offered_key`` and the reasons of the rule it comes from.

    Raises
    ------
    UnknownCategory
        If either key is not a category.

    Examples
    --------
    >>> match_rule("organics.wood.residues", "organics.biomass_fuel").kind
    'substitution'
    >>> match_rule("metals.copper", "metals").reason_en
    'Copper, bronze and brass is a kind of Metals'
    >>> match_rule("chemicals.acids", "chemicals") is None
    True
    """
    offered, needed = category(offered_key), category(needed_key)
    if offered.key == needed.key:
        return Rule(offered.key, needed.key, "same", "Same material category.",
                    "Zelfde materiaalcategorie.")  # fmt: skip
    if offered.hazardous or needed.hazardous:
        return None
    lineage = ancestors(offered.key)
    if needed.key in lineage and offered.family == needed.family:
        return Rule(
            offered.key,
            needed.key,
            "parent_child",
            f"{offered.name_en} is a kind of {needed.name_en}",
            f"{offered.name_nl} valt onder {needed.name_nl}",
        )
    for source in (offered.key, *lineage):
        rule = _RULES_BY_PAIR.get((source, needed.key))
        if rule is not None:
            return rule if source == offered.key else replace(rule, offered=offered.key)
    return None


@cache
def _compatibility() -> pd.DataFrame:
    rows = [
        (rule.offered, rule.needed, rule.kind, rule.reason_en, rule.reason_nl)
        for rule in _all_matches()
    ]
    return pd.DataFrame(rows, columns=list(COMPATIBILITY_COLUMNS), dtype=str)


def _all_matches() -> Iterator[Rule]:
    for offered in CATEGORIES:
        for needed in CATEGORIES:
            rule = match_rule(offered, needed)
            if rule is not None:
                yield rule


def compatibility_table() -> pd.DataFrame:
    """Return every compatible ``(offered, needed)`` pair of category keys.

    Columns are :data:`COMPATIBILITY_COLUMNS`; one row per pair, exactly the pairs
    for which :func:`match_rule` returns a rule, with that rule's kind and reasons.
    Computed once; each call returns a cheap copy.

    Examples
    --------
    >>> table = compatibility_table()
    >>> pair = table[(table.offered == "minerals.fly_ash") & (table.needed == "minerals.cement")]
    >>> pair["kind"].item()
    'substitution'
    >>> bool(((table.offered == "metals.mixed") & (table.needed == "metals.copper")).any())
    False
    """
    return _compatibility().copy(deep=False)


# ------------------------------------------------------------------------ formatting
_LABELS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "nl": {
            "title": "Materiaaltaxonomie: {n} categorieën, {codes} Euralcodes",
            "key": "sleutel",
            "name": "naam (nl / en)",
            "unit": "eenheid",
            "ewc": "EWC",
            "hazardous": "gevaarlijk",
            "rules": "Vervangingsregels",
            "semantics": (
                "Een aanbod past bij een vraag als de categorie gelijk is, als het aanbod "
                "onder de gevraagde categorie valt (ouder-kind), of via een regel hieronder.\n"
                "Een algemene categorie (bijv. metals) voldoet niet aan een specifieke vraag "
                "(bijv. metals.copper). Gevaarlijke categorieën passen alleen bij zichzelf."
            ),
        },
        "en": {
            "title": "Material taxonomy: {n} categories, {codes} EWC codes",
            "key": "key",
            "name": "name (en / nl)",
            "unit": "unit",
            "ewc": "EWC",
            "hazardous": "hazardous",
            "rules": "Substitution rules",
            "semantics": (
                "An offer meets a need when the category is the same, when the offer is a "
                "kind of the needed category (parent-child), or through a rule below.\n"
                "A general category (e.g. metals) does not meet a specific need "
                "(e.g. metals.copper). Hazardous categories only match themselves."
            ),
        },
    }
)


def format_taxonomy(*, lang: Lang = "nl") -> str:
    """Return the taxonomy and its rules as plain text, headings in ``lang``.

    Each category shows its key (indented by depth), both names (``lang`` first), its
    default unit, the number of EWC codes mapped to it and a hazardous marker; then
    every substitution rule with its reason.

    Examples
    --------
    >>> text = format_taxonomy(lang="en")
    >>> "minerals.gypsum_fgd -> minerals.gypsum" in text
    True
    """
    _check_lang(lang)
    labels = _LABELS[lang]
    other: Lang = "en" if lang == "nl" else "nl"
    counts = _mapping().value_counts()
    key_width = max(len(k) + 2 * cat.depth for k, cat in CATEGORIES.items())
    names = {k: f"{cat.name(lang)} / {cat.name(other)}" for k, cat in CATEGORIES.items()}
    name_width = max(len(name) for name in names.values())
    lines = [
        labels["title"].format(n=len(CATEGORIES), codes=int(counts.sum())),
        "",
        f"{labels['key']:<{key_width}}  {labels['name']:<{name_width}}  "
        f"{labels['unit']:<7}  {labels['ewc']:>4}",
    ]
    for key, cat in CATEGORIES.items():
        flag = f"  [{labels['hazardous']}]" if cat.hazardous else ""
        indented = "  " * cat.depth + key
        lines.append(
            f"{indented:<{key_width}}  {names[key]:<{name_width}}  "
            f"{cat.default_unit:<7}  {int(counts.get(key, 0)):>4}{flag}"
        )
    lines += ["", labels["rules"], "", labels["semantics"], ""]
    width = max(len(f"{rule.offered} -> {rule.needed}") for rule in RULES)
    for rule in RULES:
        pair = f"{rule.offered} -> {rule.needed}"
        lines.append(f"{pair:<{width}}  {rule.reason(lang)}")
    return "\n".join(lines) + "\n"


def _check_lang(lang: str) -> None:
    if lang not in ("nl", "en"):
        raise ValueError(f"lang {lang!r} is not one of 'nl', 'en'")


_check_definitions()
