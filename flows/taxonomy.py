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
``organics.biomass_fuel``, ``minerals.cement``, ``minerals.cement_kiln``,
``minerals.fill``, ``organics.pet_food``, ``water.process``...): nobody offers
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
for soil. The reverse holds too: a non-hazardous entry (the mirror entries of
chapters 06-09 and 11) that a rule would put in a hazardous category goes to
:data:`NONHAZARDOUS_FALLBACK` of that branch (``other.chemicals``) or to ``other``.
The list cannot tell untreated from painted wood, one polymer from another or the
category of an animal by-product, so ``organics.wood.clean``, ``plastics.pp`` and
``organics.animal_by_products.category3`` have no codes of their own: a lister
declares them by choosing the category.

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
    needed key. Each rule cites the practice, standard or law it rests on
    (``Rule.source``: EU BREFs, EN standards, EU and Dutch law).

**Legal refusals** (:data:`REFUSALS`, :func:`refusal`) are pairs the law forbids,
with the article: catering waste, manure, sewage sludge and animal by-products never
go to farmed-animal feed (Regulations (EC) No 1069/2009 and 767/2009); only Category 3
material may become pet food. A refusal on an offered category covers its
descendants unless a rule on a nearer category allows the pair
(``organics.animal_by_products.category3`` -> ``organics.pet_food``).

**Reach.** :func:`reach` lists the need categories an offered category can supply,
:func:`reach_table` does so for every EWC code (snapshot: ``docs/taxonomy-reach.csv``).
Every category supplies a need other than itself and its ancestors, except those in
:data:`REACH_EXCEPTIONS`, each with its reason: hazardous, need-only, a top-level
group, traded as itself (buyers ask for ``metals.copper`` as such) or no practice
(the catch-alls ``other``, ``minerals.other``...).

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
>>> category_for_ewc("10 02 10"), reach("minerals.mill_scale")[-1]
('minerals.mill_scale', 'minerals.cement_kiln')
>>> refusal("organics.biowaste", "organics.animal_feed").reason_en
'Catering and kitchen waste may never be fed to farmed animals, whether raw or processed.'
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
from typing import Final, Literal, cast

import pandas as pd

from flows.errors import UnknownCategory
from flows.ewc import ewc_table, normalise_ewc_code
from flows.schema import UNIT_FAMILY

__all__ = [
    "CATEGORIES",
    "CHAPTER_RULES",
    "COMPATIBILITY_COLUMNS",
    "HAZARDOUS_FALLBACK",
    "NONHAZARDOUS_FALLBACK",
    "REACH_COLUMNS",
    "REACH_EXCEPTIONS",
    "REFUSALS",
    "RULES",
    "SUBCHAPTER_RULES",
    "Category",
    "ReachException",
    "Refusal",
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
    "reach",
    "reach_table",
    "refusal",
    "root",
]

Lang = Literal["nl", "en"]
RuleKind = Literal["same", "parent_child", "substitution"]
ReachKind = Literal["hazardous", "need_only", "group", "traded_as_itself", "no_practice"]

#: Units a category may default to (a subset of :data:`flows.schema.UNITS`).
DEFAULT_UNITS: Final = ("t", "m3", "MWh", "pcs")
#: Columns of :func:`compatibility_table`.
COMPATIBILITY_COLUMNS: Final = ("offered", "needed", "kind", "reason_en", "reason_nl", "source")
#: Columns of :func:`reach_table`.
REACH_COLUMNS: Final = ("ewc_code", "hazardous", "category", "supplies", "refused")
_REACH_KINDS: Final = ("hazardous", "need_only", "group", "traded_as_itself", "no_practice")

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
    one short sentence each, shown to users next to a proposed match. ``source`` cites
    the practice, standard or law a substitution rests on (empty for ``same`` and
    ``parent_child``).
    """

    offered: str
    needed: str
    kind: RuleKind
    reason_en: str
    reason_nl: str
    source: str = ""

    def reason(self, lang: Lang = "nl") -> str:
        """Return the reason in ``lang`` (``"nl"`` or ``"en"``)."""
        _check_lang(lang)
        return self.reason_nl if lang == "nl" else self.reason_en


@dataclass(frozen=True)
class Refusal:
    """Why the law forbids an offered category to meet a needed one.

    Read from ``taxonomy_refusals.csv``; ``source`` names the article of law. A refusal
    on an offered category also covers its descendants unless a nearer rule allows
    the pair (Category 3 animal by-products may become pet food; animal by-products
    in general may not).
    """

    offered: str
    needed: str
    reason_en: str
    reason_nl: str
    source: str

    def reason(self, lang: Lang = "nl") -> str:
        """Return the reason in ``lang`` (``"nl"`` or ``"en"``)."""
        _check_lang(lang)
        return self.reason_nl if lang == "nl" else self.reason_en


@dataclass(frozen=True)
class ReachException:
    """Why a category supplies no need category other than itself and its ancestors.

    ``kind`` is ``"hazardous"`` (only the same category, by law), ``"need_only"``
    (nobody offers it; it exists as a need), ``"group"`` (a top-level group: a general
    offer promises nothing specific), ``"traded_as_itself"`` (buyers ask for it under
    its own key) or ``"no_practice"`` (no recognised use the taxonomy could name).
    """

    key: str
    kind: ReachKind
    reason_en: str
    reason_nl: str


# ------------------------------------------------------------------------------ data
# The tables live in flows/data/ (reviewable CSV; provenance in flows/data/README.md):
# taxonomy_categories.csv (the tree, names, units, density hints with their sources,
# explicit EWC codes), taxonomy_ewc_rules.csv (sub-chapter, chapter and hazard
# fallback rules), taxonomy_substitutions.csv (substitutions with NL/EN reasons and the
# practice they rest on), taxonomy_refusals.csv (legal prohibitions with the article)
# and taxonomy_reach_exceptions.csv (categories that supply no other need, and why).
_EWC_RULE_LEVELS: Final = ("subchapter", "chapter", "hazardous_fallback", "nonhazardous_fallback")


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
        Rule(
            row["offered"],
            row["needed"],
            "substitution",
            row["reason_en"],
            row["reason_nl"],
            row["source"],
        )
        for row in _read_rows("taxonomy_substitutions.csv")
    )


@cache
def _load_refusals() -> tuple[Refusal, ...]:
    """Read ``taxonomy_refusals.csv``: one legal prohibition with its article per row."""
    return tuple(
        Refusal(row["offered"], row["needed"], row["reason_en"], row["reason_nl"], row["source"])
        for row in _read_rows("taxonomy_refusals.csv")
    )


@cache
def _load_reach_exceptions() -> tuple[ReachException, ...]:
    """Read ``taxonomy_reach_exceptions.csv``: categories that reach no other need."""
    exceptions: list[ReachException] = []
    for row in _read_rows("taxonomy_reach_exceptions.csv"):
        key, kind = row["key"], row["kind"]
        if kind not in _REACH_KINDS:
            raise AssertionError(f"reach exception {key!r}: kind {kind!r} not in {_REACH_KINDS}")
        exceptions.append(
            ReachException(key, cast(ReachKind, kind), row["reason_en"], row["reason_nl"])
        )
    return tuple(exceptions)


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

#: Top-level key -> non-hazardous category for non-hazardous entries (mirror entries)
#: that a rule would otherwise put in a hazardous category of that branch; default ``other``.
NONHAZARDOUS_FALLBACK: Final[Mapping[str, str]] = _load_ewc_rules()["nonhazardous_fallback"]
_DEFAULT_NONHAZARDOUS: Final = "other"

#: Explicit substitutions, each with its physical reason.
RULES: Final[tuple[Rule, ...]] = _load_substitutions()
_RULES_BY_PAIR: Final[Mapping[tuple[str, str], Rule]] = MappingProxyType(
    {(rule.offered, rule.needed): rule for rule in RULES}
)

#: Legal prohibitions (animal by-products and feed law), each with its article.
REFUSALS: Final[tuple[Refusal, ...]] = _load_refusals()
_REFUSALS_BY_PAIR: Final[Mapping[tuple[str, str], Refusal]] = MappingProxyType(
    {(row.offered, row.needed): row for row in REFUSALS}
)

#: Categories that supply no need category other than themselves and their ancestors,
#: by key, each with the reason (see :func:`reach`).
REACH_EXCEPTIONS: Final[Mapping[str, ReachException]] = MappingProxyType(
    {exc.key: exc for exc in _load_reach_exceptions()}
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
    for fallback in (*NONHAZARDOUS_FALLBACK.values(), _DEFAULT_NONHAZARDOUS):
        if fallback not in seen or CATEGORIES[fallback].hazardous:
            problems.append(f"non-hazardous fallback {fallback!r} must be a non-hazardous category")
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
        if not rule.source.strip():
            problems.append(f"rule {ends} needs a source (the practice, standard or law)")
    if len(_REFUSALS_BY_PAIR) != len(REFUSALS):
        problems.append("REFUSALS holds the same (offered, needed) pair twice")
    for refusal in REFUSALS:
        ends = (refusal.offered, refusal.needed)
        if any(key not in seen for key in ends):
            problems.append(f"refusal {ends}: unknown category")
        elif ends in _RULES_BY_PAIR:
            problems.append(f"refusal {ends} contradicts a substitution rule")
        if not (refusal.reason_en.strip() and refusal.reason_nl.strip() and refusal.source.strip()):
            problems.append(f"refusal {ends} needs a reason in both languages and a source")
    for exc in REACH_EXCEPTIONS.values():
        if exc.key not in seen:
            problems.append(f"reach exception {exc.key!r}: unknown category")
        if not (exc.reason_en.strip() and exc.reason_nl.strip()):
            problems.append(f"reach exception {exc.key!r} needs a reason in both languages")
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
'minerals.gypsum', 'minerals.gypsum_fgd', 'minerals.gypsum_chemical'? (python -m flows \
taxonomy lists every key)
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
        elif not hazardous and CATEGORIES[key].hazardous:
            if code in explicit:
                problems.append(f"non-hazardous EWC code {code} is listed by hazardous {key!r}")
            key = NONHAZARDOUS_FALLBACK.get(key.split(".", 1)[0], _DEFAULT_NONHAZARDOUS)
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
    31
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
        if (source, needed.key) in _REFUSALS_BY_PAIR:
            return None
        rule = _RULES_BY_PAIR.get((source, needed.key))
        if rule is not None:
            return rule if source == offered.key else replace(rule, offered=offered.key)
    return None


def refusal(offered_key: str, needed_key: str) -> Refusal | None:
    """Return the legal prohibition that keeps ``offered_key`` from ``needed_key``, if any.

    A refusal on the offered category or its nearest ancestor applies unless a rule on
    a nearer category allows the pair: Category 3 animal by-products may become pet
    food, animal by-products in general may not. The returned refusal names
    ``offered_key`` and keeps the reasons and the source of the row it comes from.
    Hazard is not a refusal here: hazardous categories simply only match themselves.

    Raises
    ------
    UnknownCategory
        If either key is not a category.

    Examples
    --------
    >>> refusal("organics.biowaste", "organics.animal_feed").source
    'Reg. (EC) No 1069/2009 Art. 11(1)(b); Reg. (EC) No 767/2009 Annex III'
    >>> refusal("organics.animal_by_products.category3", "organics.pet_food") is None
    True
    >>> refusal("organics.animal_by_products.category3", "organics.animal_feed").offered
    'organics.animal_by_products.category3'
    """
    offered, needed = category(offered_key), category(needed_key)
    for source in (offered.key, *ancestors(offered.key)):
        if (source, needed.key) in _RULES_BY_PAIR:
            return None
        found = _REFUSALS_BY_PAIR.get((source, needed.key))
        if found is not None:
            return found if source == offered.key else replace(found, offered=offered.key)
    return None


def reach(key: str) -> tuple[str, ...]:
    """Return the need categories an offer of ``key`` can supply, in display order.

    Every ``needed`` for which :func:`match_rule` gives a rule: the category itself,
    its ancestors in the same unit family and the targets of substitutions. Every
    category supplies some need other than itself and its ancestors, except those
    in :data:`REACH_EXCEPTIONS`, which say why.

    Examples
    --------
    >>> reach("minerals.mill_scale")
    ('minerals', 'minerals.mill_scale', 'minerals.cement_kiln')
    """
    return _reach()[category(key).key]


@cache
def _reach() -> Mapping[str, tuple[str, ...]]:
    table = _compatibility()
    order = {key: i for i, key in enumerate(CATEGORIES)}
    grouped: dict[str, list[str]] = {key: [] for key in CATEGORIES}
    for offered, needed in zip(table["offered"], table["needed"], strict=True):
        grouped[offered].append(needed)
    return MappingProxyType(
        {key: tuple(sorted(needs, key=order.__getitem__)) for key, needs in grouped.items()}
    )


def reach_table() -> pd.DataFrame:
    """Return, for every EWC code, its category and the need categories it can supply.

    Columns are :data:`REACH_COLUMNS`: ``ewc_code`` (canonical), ``hazardous``
    (``"yes"``/``"no"``), ``category``, ``supplies`` (the keys of :func:`reach`
    joined by ``"; "``) and ``refused`` (the need categories the law forbids it to
    supply, see :func:`refusal`). A reviewed snapshot lives in
    ``docs/taxonomy-reach.csv``; ``python -m flows taxonomy --reach`` prints the table
    as CSV.

    Examples
    --------
    >>> table = reach_table().set_index("ewc_code")
    >>> table.loc["10 02 10", "supplies"]
    'minerals; minerals.mill_scale; minerals.cement_kiln'
    >>> table.loc["20 01 08", "refused"]
    'organics.animal_feed; organics.pet_food'
    """
    mapping = _mapping()
    hazardous = ewc_table()["hazardous"]
    refused = {
        key: "; ".join(n for n in CATEGORIES if refusal(key, n) is not None) for key in CATEGORIES
    }
    rows = [
        (
            str(code),
            "yes" if bool(hazardous[code]) else "no",
            key,
            "; ".join(_reach()[key]),
            refused[key],
        )
        for code, key in mapping.items()
    ]
    return pd.DataFrame(rows, columns=list(REACH_COLUMNS), dtype=str)


@cache
def _compatibility() -> pd.DataFrame:
    rows = [
        (rule.offered, rule.needed, rule.kind, rule.reason_en, rule.reason_nl, rule.source)
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
            "refusals": "Wettelijke weigeringen",
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
            "refusals": "Legal refusals",
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
    lines += ["", labels["refusals"], ""]
    for refused in REFUSALS:
        pair = f"{refused.offered} -x {refused.needed}"
        lines.append(f"{pair:<{width}}  {refused.reason(lang)} ({refused.source})")
    return "\n".join(lines) + "\n"


def _check_lang(lang: str) -> None:
    if lang not in ("nl", "en"):
        raise ValueError(f"lang {lang!r} is not one of 'nl', 'en'")


_check_definitions()
