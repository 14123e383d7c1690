"""Dutch postcodes: normalisation, validation and geocoding to a PC4 point.

We ship one representative point per four-digit postcode area (PC4, GeoNames 2017; see
``geo/data/README.md``), so a full postcode such as ``7411 AB`` is located at the point
of its PC4 ``7411``: good to a few kilometres, which is what regional transport
distances need.

Examples
--------
>>> from geo.geocode import geocode_postcode, normalise_postcode
>>> normalise_postcode(" 7411ab ")
'7411 AB'
>>> geocode_postcode("7411 AB")
(6.1593, 52.2525)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd

from geo.errors import InvalidPostcode, UnknownPostcode
from geo.regions import DATA_DIR

__all__ = [
    "ALLOWED_POSTCODE_FORMS",
    "geocode_postcode",
    "geocode_postcodes",
    "is_valid_postcode",
    "normalise_postcode",
    "pc4_table",
    "region_pc4s",
]

_PC4_FILE: Final = DATA_DIR / "nl_pc4_centroids.csv"

ALLOWED_POSTCODE_FORMS: Final = (
    "use 1234 AB, 1234AB or 1234 (four digits, the first not 0, optionally followed by "
    "two letters; SA, SD and SS are never issued)"
)

# PostNL never issues the letter pairs SA, SD and SS (their connotations in WWII).
_UNISSUED_LETTERS: Final = frozenset({"SA", "SD", "SS"})
_SHAPE: Final = re.compile(r"([0-9]{4})\s*([A-Za-z]{2})?")


def normalise_postcode(text: str) -> str:
    """Return a Dutch postcode in canonical form: ``"1234 AB"``, or ``"1234"`` for a PC4.

    Parameters
    ----------
    text
        ``"1234 AB"``, ``"1234AB"``, ``"1234 ab"`` or ``"1234"``; surrounding whitespace
        and any whitespace between digits and letters are ignored.

    Returns
    -------
    str
        ``"1234 AB"`` (upper-case letters, one space) or ``"1234"``.

    Raises
    ------
    InvalidPostcode
        If ``text`` is not text, empty, starts with 0, uses an unissued letter pair
        (SA, SD, SS) or is otherwise not shaped like a Dutch postcode. The message quotes
        the value and lists the allowed forms.

    Examples
    --------
    >>> normalise_postcode("7411ab")
    '7411 AB'
    >>> normalise_postcode("7411")
    '7411'
    >>> normalise_postcode("0123 AB")
    Traceback (most recent call last):
    ...
    geo.errors.InvalidPostcode: postcode '0123 AB' starts with 0, ...
    """
    if not isinstance(text, str):
        what = "missing" if text is None or _is_nan(text) else "not text"
        raise InvalidPostcode(f"postcode {text!r} is {what}; {ALLOWED_POSTCODE_FORMS}")
    stripped = text.strip()
    if not stripped:
        raise InvalidPostcode(f"postcode {text!r} is empty; {ALLOWED_POSTCODE_FORMS}")
    match = _SHAPE.fullmatch(stripped)
    if match is None:
        raise InvalidPostcode(
            f"postcode {text!r} is not a Dutch postcode; {ALLOWED_POSTCODE_FORMS}"
        )
    digits, letters = match.group(1), match.group(2)
    if digits[0] == "0":
        raise InvalidPostcode(
            f"postcode {text!r} starts with 0, which no Dutch postcode does; "
            f"{ALLOWED_POSTCODE_FORMS}"
        )
    if letters is None:
        return digits
    letters = letters.upper()
    if letters in _UNISSUED_LETTERS:
        raise InvalidPostcode(
            f"postcode {text!r} ends in {letters!r}, a letter pair never issued in Dutch "
            f"postcodes; {ALLOWED_POSTCODE_FORMS}"
        )
    return f"{digits} {letters}"


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and value != value


def is_valid_postcode(text: object) -> bool:
    """Return whether ``text`` is a well-formed Dutch postcode (full or PC4).

    It checks the form only, not whether the postcode exists; see :func:`geocode_postcode`.

    Examples
    --------
    >>> is_valid_postcode("7411 AB"), is_valid_postcode("1234 SS"), is_valid_postcode(7411)
    (True, False, False)
    """
    try:
        normalise_postcode(text)  # type: ignore[arg-type]
    except InvalidPostcode:
        return False
    return True


@lru_cache(maxsize=1)
def _pc4_table() -> pd.DataFrame:
    raw = pd.read_csv(
        _PC4_FILE,
        dtype={
            "pc4": str,
            "municipality": str,
            "municipality_code": str,
            "province": str,
            "places": str,
            "in_cleantech_regio": str,
        },
        keep_default_na=False,
    )
    table = pd.DataFrame(
        {
            "lon": raw["lon"].astype(np.float64).to_numpy(),
            "lat": raw["lat"].astype(np.float64).to_numpy(),
            "municipality": raw["municipality"].to_numpy(),
            "municipality_code": raw["municipality_code"].to_numpy(),
            "province": raw["province"].to_numpy(),
            "places": raw["places"].to_numpy(),
            "in_cleantech_regio": (raw["in_cleantech_regio"] == "True").to_numpy(),
        },
        index=pd.Index(raw["pc4"].to_numpy(), name="pc4"),
    )
    return table


def pc4_table() -> pd.DataFrame:
    """Return the PC4 points of the Netherlands (GeoNames 2017, 4,064 areas).

    Returns
    -------
    pandas.DataFrame
        Index ``pc4`` (4-digit string); columns ``lon``, ``lat`` (WGS84 float),
        ``municipality``, ``municipality_code`` (CBS 2022, e.g. ``GM0150``), ``province``,
        ``places`` (GeoNames place names joined by ``|``) and ``in_cleantech_regio``
        (bool). A fresh copy each call.

    Examples
    --------
    >>> table = pc4_table()
    >>> len(table), table.loc["7411", "municipality"]
    (4064, 'Deventer')
    """
    return _pc4_table().copy()


def region_pc4s() -> pd.DataFrame:
    """Return the rows of :func:`pc4_table` whose point lies in the Cleantech Regio (100).

    Examples
    --------
    >>> len(region_pc4s())
    100
    """
    table = _pc4_table()
    return table[table["in_cleantech_regio"]].copy()


def geocode_postcode(text: str) -> tuple[float, float]:
    """Return ``(lon, lat)`` in WGS84 for a Dutch postcode, at the point of its PC4.

    Parameters
    ----------
    text
        A full postcode or a PC4, in any form :func:`normalise_postcode` accepts.

    Returns
    -------
    tuple of float
        ``(lon, lat)``.

    Raises
    ------
    InvalidPostcode
        If ``text`` is not shaped like a postcode.
    UnknownPostcode
        If its PC4 is not in the shipped table (e.g. issued after 2017).

    Examples
    --------
    >>> geocode_postcode("7311")
    (5.9609, 52.213)
    """
    pc4 = normalise_postcode(text)[:4]
    table = _pc4_table()
    if pc4 not in table.index:
        raise UnknownPostcode(_unknown_message(text, pc4))
    row = table.loc[pc4]
    return float(row["lon"]), float(row["lat"])


def _unknown_message(text: str, pc4: str) -> str:
    return (
        f"postcode {text!r}: PC4 area {pc4!r} is not in the postcode table "
        "(GeoNames 2017, 4,064 areas); check the postcode, or enter the location on the map"
    )


def geocode_postcodes(values: Iterable[str]) -> pd.DataFrame:
    """Geocode many postcodes at once, reporting every bad one instead of stopping at the first.

    Parameters
    ----------
    values
        Postcodes in any accepted form. A pandas Series keeps its index in the result, so
        rows can be traced back to the input.

    Returns
    -------
    pandas.DataFrame
        One row per value with ``postcode`` (normalised, or None), ``pc4`` (or None),
        ``lon``, ``lat`` (NaN when not found) and ``error`` (None, or the message of the
        :class:`InvalidPostcode` / :class:`UnknownPostcode` that value raises).

    Examples
    --------
    >>> df = geocode_postcodes(["7411 AB", "0123", "1099"])
    >>> df["pc4"].tolist()
    ['7411', None, '1099']
    >>> df["error"].notna().tolist()
    [False, True, True]
    """
    items = list(values)
    table = _pc4_table()
    postcodes: list[str | None] = []
    pc4s: list[str | None] = []
    errors: list[str | None] = []
    for value in items:
        try:
            postcode = normalise_postcode(value)
        except InvalidPostcode as exc:
            postcodes.append(None)
            pc4s.append(None)
            errors.append(str(exc))
            continue
        pc4 = postcode[:4]
        postcodes.append(postcode)
        pc4s.append(pc4)
        errors.append(None if pc4 in table.index else _unknown_message(value, pc4))
    located = table.reindex(
        [pc4 if error is None else None for pc4, error in zip(pc4s, errors, strict=True)]
    )
    index = values.index if isinstance(values, pd.Series) else pd.RangeIndex(len(items))
    return pd.DataFrame(
        {
            # object dtype keeps None as None (pandas 3 would turn it into NaN in a str column)
            "postcode": pd.Series(postcodes, index=index, dtype=object),
            "pc4": pd.Series(pc4s, index=index, dtype=object),
            "lon": located["lon"].to_numpy(dtype=np.float64),
            "lat": located["lat"].to_numpy(dtype=np.float64),
            "error": pd.Series(errors, index=index, dtype=object),
        },
        index=index,
    )
