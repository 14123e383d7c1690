"""Legal limits on exchanges that no list of accepted EWC codes can lift.

A need that lists accepted EWC codes is matched with every offer whose code is on the
list (see :mod:`flows.candidates`), whatever the taxonomy says about the categories.
Two kinds of law still hold whatever the list says:

**Feed law.** A need whose material is animal feed (:func:`is_feed_use`) is never
supplied with a code that EU law keeps out of feed for farmed animals
(:data:`FEED_BANS`, first match wins):

* catering and kitchen waste: Regulation (EC) No 1069/2009, Art. 11(1)(b);
* animal by-products: Regulation (EC) No 1069/2009, Art. 11, and the feed ban of
  Regulation (EC) No 999/2001, Art. 7 and Annex IV;
* faeces, urine and manure; sludges and other waste of waste-water treatment; mixed
  municipal waste; packaging; tanned leather: Regulation (EC) No 767/2009, Annex III
  Chapter 1 (points 1, 5, 6, 7 and 2);
* hazardous entries: Regulation (EC) No 767/2009, Art. 4 (feed must be safe) and
  Directive 2002/32/EC (undesirable substances in animal feed).

**Hazardous waste** is only matched under its own code: an offer of a hazardous entry
(asterisk) reaches a need that lists codes only when the list names that entry, and an
offer that declares a hazardous material under a non-hazardous code reaches no listing
need at all (the code does not describe what is offered).

Refusals are never silent: :func:`refusals_for_need` returns one
:class:`~flows.errors.Problem` per refused code for the import and the web form to show
as a warning, and ``python -m flows match --explain`` names the rule for a given pair.

Codes are compared in one canonical form (:func:`canonical_code`): ``020103``,
``02 01 03`` and ``02.01.03`` are one code, and a hazardous entry keeps its asterisk
(``17 05 03*``) whether or not the writer typed it, because the list decides what is
hazardous.

Examples
--------
>>> canonical_code("170503"), canonical_code("02.01.03")
('17 05 03*', '02 01 03')
>>> [p.message.split(":")[0] for p in refusals_for_need(["20 01 08", "02 07 01"],
...                                                     "organics.animal_feed")]
['accepted EWC code 20 01 08 cannot supply animal feed']
>>> refusals_for_need(["20 01 08"], "organics.biogas_feedstock")
[]
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Final

import pandas as pd

from flows.errors import InvalidEWCCode, Problem

__all__ = [
    "FEED_BANS",
    "FEED_ROOT",
    "FeedBan",
    "Refusal",
    "allowed_accepted_codes",
    "canonical_code",
    "feed_refusal",
    "is_feed_use",
    "listing_warnings",
    "refusals_for_need",
]

#: The taxonomy category (and its descendants) that means "used as feed for animals".
FEED_ROOT: Final = "organics.animal_feed"


@dataclass(frozen=True)
class FeedBan:
    """A class of EWC codes that may not become feed for farmed animals, and why.

    ``codes`` holds canonical codes without asterisk; ``subchapters`` two-pair prefixes
    (``"15 01"``); ``hazardous`` bans every hazardous entry.
    """

    rule: str
    what_en: str
    reference: str
    codes: frozenset[str] = frozenset()
    subchapters: frozenset[str] = frozenset()
    hazardous: bool = False

    def covers(self, code: str, *, hazardous: bool) -> bool:
        """Return whether the canonical ``code`` (no asterisk) falls under this ban."""
        return code in self.codes or code[:5] in self.subchapters or (self.hazardous and hazardous)


def _codes(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


#: The feed bans, in the order they are tried.
FEED_BANS: Final[tuple[FeedBan, ...]] = (
    FeedBan(
        "feed.catering_waste",
        "catering and kitchen waste may not be fed to farmed animals",
        "Regulation (EC) No 1069/2009, Art. 11(1)(b)",
        codes=_codes("20 01 08, 20 01 25, 20 03 02"),
    ),
    FeedBan(
        "feed.animal_by_products",
        "animal by-products are kept out of feed for farmed animals",
        "Regulation (EC) No 1069/2009, Art. 11; Regulation (EC) No 999/2001, Art. 7 and Annex IV",
        codes=_codes("02 01 02, 04 01 01"),
        subchapters=frozenset({"02 02"}),
    ),
    FeedBan(
        "feed.manure",
        "faeces, urine and manure are prohibited in feed",
        "Regulation (EC) No 767/2009, Annex III, Chapter 1, point 1",
        codes=_codes("02 01 06"),
    ),
    FeedBan(
        "feed.waste_water",
        "waste from the treatment of waste water is prohibited in feed",
        "Regulation (EC) No 767/2009, Annex III, Chapter 1, point 5",
        codes=_codes(
            "02 03 05, 02 04 03, 02 05 02, 02 06 03, 02 07 05, 03 03 11, 04 01 06, 04 01 07, "
            "04 02 20, 05 01 10, 06 05 03, 07 01 12, 07 02 12, 07 03 12, 07 04 12, 07 05 12, "
            "07 06 12, 07 07 12, 10 01 21, 10 11 20, 10 12 13, 19 11 06, 20 03 04, 20 03 06"
        ),
        subchapters=frozenset({"19 08"}),
    ),
    FeedBan(
        "feed.municipal_waste",
        "solid municipal waste is prohibited in feed",
        "Regulation (EC) No 767/2009, Annex III, Chapter 1, point 6",
        codes=_codes("20 03 01, 20 03 03, 20 03 07, 20 03 99"),
    ),
    FeedBan(
        "feed.packaging",
        "packaging is prohibited in feed",
        "Regulation (EC) No 767/2009, Annex III, Chapter 1, point 7",
        subchapters=frozenset({"15 01"}),
    ),
    FeedBan(
        "feed.tanned_hide",
        "hide treated with tanning substances is prohibited in feed",
        "Regulation (EC) No 767/2009, Annex III, Chapter 1, point 2",
        codes=_codes("04 01 08"),
    ),
    FeedBan(
        "feed.hazardous",
        "hazardous waste may not become feed",
        "Regulation (EC) No 767/2009, Art. 4; Directive 2002/32/EC",
        hazardous=True,
    ),
)


@dataclass(frozen=True)
class Refusal:
    """Why the law keeps an EWC code from a need: the code, the rule and its reference."""

    code: str
    rule: str
    what_en: str
    reference: str

    def message(self, *, need_material: str) -> str:
        """Return the warning text for a need of ``need_material``."""
        return (
            f"accepted EWC code {self.code} cannot supply {_use_of(need_material)}: "
            f"{self.what_en} ({self.reference}); offers under this code are not proposed "
            "for this need"
        )


def canonical_code(text: object) -> str | None:
    """Return the comparison form of an EWC code: three pairs, asterisk on hazardous entries.

    Parameters
    ----------
    text
        A code in any form :func:`flows.ewc.normalise_ewc_code` accepts; ``None``, NaN
        and blank text give ``None``.

    Returns
    -------
    str or None
        ``"02 01 03"`` or ``"17 05 03*"``. The asterisk comes from the list: one typed
        on a non-hazardous entry is dropped, one missing on a hazardous entry is added.

    Raises
    ------
    InvalidEWCCode
        If ``text`` is not a code of the list.

    Examples
    --------
    >>> canonical_code("17 05 03"), canonical_code("02 01 03*"), canonical_code("  ")
    ('17 05 03*', '02 01 03', None)
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    if not isinstance(text, str):
        raise InvalidEWCCode(f"EWC code {text!r} must be text, not {type(text).__name__}")
    if not text.strip():
        return None
    return _canonical(text.strip())


@cache
def _canonical(text: str) -> str:
    from flows.ewc import is_hazardous, normalise_ewc_code

    code = normalise_ewc_code(text)
    return f"{code}*" if is_hazardous(code) else code


@cache
def is_feed_use(material: str | None) -> bool:
    """Return whether a need of ``material`` feeds animals (:data:`FEED_ROOT` or below).

    Examples
    --------
    >>> is_feed_use("organics.animal_feed"), is_feed_use("organics.biogas_feedstock")
    (True, False)
    """
    if not material:
        return False
    return material == FEED_ROOT or material.startswith(FEED_ROOT + ".")


def feed_refusal(code: str, need_material: str | None) -> Refusal | None:
    """Return the feed-law refusal of offering ``code`` to a need of ``need_material``.

    Examples
    --------
    >>> feed_refusal("020106", "organics.animal_feed").rule
    'feed.manure'
    >>> feed_refusal("02 07 01", "organics.animal_feed") is None  # spent grain is feed
    True
    """
    if not is_feed_use(need_material):
        return None
    canonical = canonical_code(code)
    if canonical is None:
        return None
    digits, hazardous = canonical.rstrip("*"), canonical.endswith("*")
    for ban in FEED_BANS:
        if ban.covers(digits, hazardous=hazardous):
            return Refusal(canonical, ban.rule, ban.what_en, ban.reference)
    return None


def allowed_accepted_codes(
    accepted_codes: Iterable[object], material: str | None
) -> frozenset[str]:
    """Return the canonical codes of a need's list that the law lets it receive.

    Codes that are not EWC codes are skipped (validation reports them).

    Examples
    --------
    >>> sorted(allowed_accepted_codes(["020701", "20 01 08"], "organics.animal_feed"))
    ['02 07 01']
    """
    allowed: set[str] = set()
    for code in accepted_codes:
        try:
            canonical = canonical_code(code)
        except InvalidEWCCode:
            continue
        if canonical is not None and feed_refusal(canonical, material) is None:
            allowed.add(canonical)
    return frozenset(allowed)


def refusals_for_need(
    accepted_codes: Iterable[object] | None,
    material: str | None,
    *,
    row: int | None = None,
    column: str = "accepted_ewc_codes",
) -> list[Problem]:
    """Return a warning for every accepted code the law keeps from a need of ``material``.

    The import and the web form call this to warn the lister; the engine applies the
    same rules silently per pair (:func:`allowed_accepted_codes`).

    Parameters
    ----------
    accepted_codes
        The need's accepted EWC codes in any usual form; ``None`` or empty for none.
    material
        The need's material category key.
    row, column
        Where the warning points (a file row, the form field).

    Returns
    -------
    list of flows.errors.Problem
        One per refused code, naming the code, the rule and its legal reference, in the
        order of the list; empty when nothing is refused.

    Examples
    --------
    >>> [str(p) for p in refusals_for_need(["02 02 03"], "organics.animal_feed", row=4)]
    ... # doctest: +NORMALIZE_WHITESPACE
    ["row 4, column 'accepted_ewc_codes': accepted EWC code 02 02 03 cannot supply animal
    feed: animal by-products are kept out of feed for farmed animals (Regulation (EC)
    No 1069/2009, Art. 11; Regulation (EC) No 999/2001, Art. 7 and Annex IV); offers
    under this code are not proposed for this need"]
    """
    problems: list[Problem] = []
    seen: set[str] = set()
    for code in accepted_codes or ():
        try:
            canonical = canonical_code(code)
        except InvalidEWCCode:
            continue
        if canonical is None or canonical in seen:
            continue
        seen.add(canonical)
        refusal = feed_refusal(canonical, material)
        if refusal is not None:
            problems.append(
                Problem(refusal.message(need_material=material or ""), row=row, column=column)
            )
    return problems


def listing_warnings(listings: pd.DataFrame, *, column: str = "ewc_code") -> list[Problem]:
    """Return the refusal warnings of every need of a canonical listings frame.

    :func:`flows.listing_file.parse_listings` stores them in ``frame.attrs["warnings"]``;
    they do not stop an import (the need's other codes still match).

    Parameters
    ----------
    listings
        A frame with ``kind``, ``material``, ``accepted_ewc_codes`` and optionally ``row``.
    column
        The column the warnings point at (``ewc_code`` in a listing file).

    Examples
    --------
    >>> frame = pd.DataFrame({"row": [2, 3], "kind": ["need", "offer"],
    ...     "material": ["organics.animal_feed", "organics.biowaste"],
    ...     "accepted_ewc_codes": [("02 07 01", "20 01 08"), ()]})
    >>> [(p.row, p.column) for p in listing_warnings(frame)]
    [(3, 'ewc_code')]
    """
    needed = {"kind", "material", "accepted_ewc_codes"}
    if not needed <= set(listings.columns):
        return []
    rows = listings["row"].tolist() if "row" in listings.columns else range(2, len(listings) + 2)
    problems: list[Problem] = []
    for row, kind, material, codes in zip(
        rows, listings["kind"], listings["material"], listings["accepted_ewc_codes"], strict=True
    ):
        if (
            kind == "need"
            and codes
            and is_feed_use(material if isinstance(material, str) else None)
        ):
            row_number = int(row) if row is not None and not pd.isna(row) else None
            problems += refusals_for_need(codes, material, row=row_number, column=column)
    return problems


def _use_of(material: str) -> str:
    try:
        from flows.taxonomy import category

        return category(material).name_en.lower()
    except KeyError:
        return material
