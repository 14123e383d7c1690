"""The European List of Waste (EWC codes, Dutch *Euralcodes*).

The list (Commission Decision 2000/532/EC as amended by 2014/955/EU) has 842
six-digit entries in 20 chapters. An entry marked with an asterisk is hazardous.
The table ships in ``flows/data/ewc_codes.csv`` with English (DEFRA) and Dutch
(*Regeling Afvalstoffenlijst*) descriptions; ``flows/data/README.md`` records where
both come from.

Codes are written in many ways in the wild: ``02 01 03``, ``020103``, ``02.01.03``,
``13 02 05*``. :func:`normalise_ewc_code` turns each of them into the canonical
form the engine uses everywhere, ``"02 01 03"`` (three pairs, single spaces, no
asterisk). The asterisk is accepted but not trusted: whether an entry is hazardous
is a property of the list, see :func:`is_hazardous`.

Examples
--------
>>> normalise_ewc_code("020103")
'02 01 03'
>>> is_hazardous("13 02 05*")
True
>>> describe("17 08 02", lang="en")
'Gypsum-based construction materials other than those mentioned in 17 08 01'
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources
from typing import Final, Literal

import pandas as pd

from flows.errors import InvalidEWCCode

__all__ = [
    "EWC_COLUMNS",
    "describe",
    "ewc_codes",
    "ewc_table",
    "is_ewc_code",
    "is_hazardous",
    "normalise_ewc_code",
    "search_ewc",
]

Lang = Literal["nl", "en"]

#: Columns of :func:`ewc_table` (the index is ``code``).
EWC_COLUMNS: Final = (
    "chapter",
    "subchapter",
    "description_en",
    "description_nl",
    "hazardous",
    "code_compact",
    "code_display",
    "entry_type",
    "chapter_title_en",
    "chapter_title_nl",
    "subchapter_title_en",
    "subchapter_title_nl",
)

# Three pairs of digits; between pairs any spaces and at most one dot or hyphen;
# an optional trailing asterisk (the list's hazardous marker).
_CODE_RE: Final = re.compile(r"(\d{2})\s*[.\-]?\s*(\d{2})\s*[.\-]?\s*(\d{2})\s*(\*?)")
_ACCEPTED_FORMS: Final = "'02 01 03', '020103', '02.01.03' or '02-01-03', optionally ending in '*'"


@cache
def _load() -> pd.DataFrame:
    with resources.files("flows").joinpath("data/ewc_codes.csv").open("rb") as fh:
        raw = pd.read_csv(fh, dtype=str, keep_default_na=False)
    bad_flags = sorted(set(raw["hazardous"]) - {"True", "False"})
    if bad_flags:  # a corrupted data file must fail loudly, not flip hazard flags
        raise ValueError(f"ewc_codes.csv: hazardous must be True or False, found {bad_flags}")
    table = raw.assign(hazardous=raw["hazardous"] == "True")
    # Three entries added in 2014 have no Dutch text in the (2012) Dutch source.
    for level in ("description", "chapter_title", "subchapter_title"):
        nl = table[f"{level}_nl"].str.strip()
        table[f"{level}_nl"] = nl.where(nl != "", table[f"{level}_en"])
    table = table.set_index("code")
    if not table.index.is_unique:
        dupes = sorted(set(table.index[table.index.duplicated()]))
        raise ValueError(f"ewc_codes.csv: codes {dupes} occur more than once")
    return table.loc[:, list(EWC_COLUMNS)]


def ewc_table() -> pd.DataFrame:
    """Return the European List of Waste, one row per entry, indexed by canonical code.

    The file is read once; every call returns a cheap copy, so a caller may add
    columns without affecting others.

    Returns
    -------
    pandas.DataFrame
        842 rows indexed by ``code`` (``"02 01 03"``) with the columns in
        :data:`EWC_COLUMNS`; ``hazardous`` is boolean and every Dutch text is
        filled (English where the Dutch source has none).

    Examples
    --------
    >>> table = ewc_table()
    >>> len(table), int(table["hazardous"].sum())
    (842, 408)
    >>> table.loc["02 01 06", "code_compact"]
    '020106'
    """
    return _load().copy(deep=False)


def ewc_codes() -> tuple[str, ...]:
    """Return every canonical code on the list, in list order.

    Examples
    --------
    >>> codes = ewc_codes()
    >>> codes[0], len(codes)
    ('01 01 01', 842)
    """
    return _codes()


@cache
def _codes() -> tuple[str, ...]:
    return tuple(str(code) for code in _load().index)


@cache
def _code_set() -> frozenset[str]:
    return frozenset(_codes())


def normalise_ewc_code(text: str) -> str:
    """Return the canonical form ``"02 01 03"`` of an EWC code written in any usual way.

    Parameters
    ----------
    text : str
        ``02 01 03``, ``020103``, ``02.01.03``, ``02-01-03``, each optionally
        followed by the hazardous marker ``*``; surrounding and inner spaces are
        ignored. The marker is not checked against the list.

    Returns
    -------
    str
        Three pairs of digits separated by single spaces.

    Raises
    ------
    InvalidEWCCode
        If ``text`` is not shaped like an EWC code, or names a code that is not
        on the European List of Waste.

    Examples
    --------
    >>> normalise_ewc_code(" 13 02 05* ")
    '13 02 05'
    >>> normalise_ewc_code("02.01.03")
    '02 01 03'
    """
    if not isinstance(text, str):
        raise InvalidEWCCode(
            f"EWC code {text!r} must be text such as {_ACCEPTED_FORMS}, "
            f"not {type(text).__name__} (numbers lose their leading zero)"
        )
    match = _CODE_RE.fullmatch(text.strip())
    if match is None:
        raise InvalidEWCCode(f"EWC code {text!r} is not in an accepted form; use {_ACCEPTED_FORMS}")
    code = " ".join(match.group(1, 2, 3))
    if code not in _code_set():
        raise InvalidEWCCode(
            f"EWC code {text!r} ({code}) is not on the European List of Waste "
            "(Decision 2000/532/EC as amended by 2014/955/EU)"
        )
    return code


def is_ewc_code(text: object) -> bool:
    """Return whether ``text`` is a code on the list in an accepted form.

    Examples
    --------
    >>> is_ewc_code("020103"), is_ewc_code("99 99 99"), is_ewc_code(20103)
    (True, False, False)
    """
    if not isinstance(text, str):
        return False
    try:
        normalise_ewc_code(text)
    except InvalidEWCCode:
        return False
    return True


def is_hazardous(code: str) -> bool:
    """Return whether the entry is hazardous (an asterisk entry) on the list.

    Raises
    ------
    InvalidEWCCode
        If ``code`` is malformed or not on the list.

    Examples
    --------
    >>> is_hazardous("13 02 05"), is_hazardous("020103")
    (True, False)
    """
    return bool(_load().at[normalise_ewc_code(code), "hazardous"])


def describe(code: str, *, lang: Lang = "nl", with_code: bool = False) -> str:
    """Return the description of an entry in Dutch (``"nl"``) or English (``"en"``).

    Parameters
    ----------
    code : str
        Any form accepted by :func:`normalise_ewc_code`.
    lang : {"nl", "en"}
        Language; the three entries without Dutch text fall back to English.
    with_code : bool
        Prefix the display code (``"13 02 05* "``), handy for picker labels.

    Examples
    --------
    >>> describe("020103", lang="en")
    'Plant-tissue waste'
    >>> describe("13 02 05", lang="en", with_code=True)
    '13 02 05* Mineral-based non-chlorinated engine, gear and lubricating oils'
    """
    _check_lang(lang)
    canonical = normalise_ewc_code(code)
    row = _load().loc[canonical]
    text = str(row[f"description_{lang}"])
    return f"{row['code_display']} {text}" if with_code else text


def search_ewc(query: str, *, lang: Lang | None = None, limit: int | None = 20) -> pd.DataFrame:
    """Find entries whose code or description matches ``query``, best matches first.

    A query of digits (with optional spaces, dots, hyphens or ``*``) is a code
    search: ``"1708"``, ``"17 08"`` and ``"17.08"`` all return the entries of
    sub-chapter 17 08. Any other query is a text search: every word must occur in a
    description (case and accents ignored); entries where every word starts a word
    of the text rank before plain substring matches, and ties keep list order.

    Parameters
    ----------
    query : str
        Words or a (partial) code.
    lang : {"nl", "en"} or None
        Search only that language's descriptions; ``None`` searches both.
    limit : int or None
        Maximum number of rows; ``None`` returns every match.

    Returns
    -------
    pandas.DataFrame
        Rows of :func:`ewc_table` (same index and columns), possibly empty.

    Examples
    --------
    >>> list(search_ewc("gypsum", lang="en").index)
    ['17 08 01', '17 08 02']
    >>> list(search_ewc("17 08").index)
    ['17 08 01', '17 08 02']
    >>> search_ewc("gips", lang="nl").loc["17 08 02", "description_nl"]
    'niet onder 17 08 01 vallend gipshoudend bouwmateriaal'
    """
    if lang is not None:
        _check_lang(lang)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit {limit!r} must be a positive integer or None")
    table = _load()
    digits = re.sub(r"[\s.\-*]", "", query)
    if digits.isdigit():  # a (partial) code: match codes only, not codes cited in texts
        chosen = table.index[table["code_compact"].str.startswith(digits)]
    else:
        words = _fold(query).split()
        if not words:
            return table.iloc[0:0].copy()
        languages: tuple[Lang, ...] = (lang,) if lang is not None else ("nl", "en")
        text = pd.Series("", index=table.index)
        for language in languages:
            text = text + " " + table[f"description_{language}"].map(_fold)
        padded = text.str.replace(r"\W+", " ", regex=True) + " "
        substring = pd.Series(True, index=table.index)
        word_start = pd.Series(True, index=table.index)
        for word in words:
            substring &= text.str.contains(word, regex=False)
            word_start &= padded.str.contains(" " + word, regex=False)
        rank = pd.Series(1, index=table.index).mask(word_start, 0)[substring]
        order = pd.DataFrame({"rank": rank, "pos": range(len(rank))})
        chosen = order.sort_values(["rank", "pos"]).index
    if limit is not None:
        chosen = chosen[:limit]
    return table.loc[chosen].copy()


def _fold(text: str) -> str:
    """Lower-case and strip accents so that ``"Cafeïne"`` matches ``"cafeine"``."""
    decomposed = unicodedata.normalize("NFKD", str(text).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _check_lang(lang: str) -> None:
    if lang not in ("nl", "en"):
        raise ValueError(f"lang {lang!r} is not one of 'nl', 'en'")
