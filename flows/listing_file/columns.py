"""The columns of a listing file, and the check of a header (or a record's keys).

Shared by every step of :mod:`flows.listing_file`: reading, the rules, parsing and writing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Final, Literal, TypeAlias

from flows.errors import Problem
from flows.schema import CANONICAL_LISTING_COLUMNS, LISTING_COLUMNS

FileFormat: TypeAlias = Literal["csv", "xlsx"]

#: Columns a file must have (``organisation`` too when ``require_organisation=True``).
REQUIRED_COLUMNS: Final = ("ref", "kind", "title", "quantity", "unit")

#: Columns of the frame :func:`~flows.listing_file.parse_listings` returns, in order.
CANONICAL_COLUMNS: Final = CANONICAL_LISTING_COLUMNS
_FLOAT_COLUMNS: Final = frozenset(
    {"quantity", "lat", "lon", "max_distance_km", "current_source_km"}
)
#: Numbers that may carry thousands separators (and so must be written unambiguously).
_GROUPED_NUMBER_COLUMNS: Final = ("quantity", "max_distance_km", "current_source_km")
#: Free-text columns, the only ones a spreadsheet formula could hide in.
_TEXT_COLUMNS: Final = ("ref", "organisation", "title", "description")

_XLSX_SHEET: Final = "listings"
_DELIMITERS: Final = (";", ",", "\t")


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def _header_problems(names: Sequence[str], *, header_row: int | None) -> list[Problem]:
    """Return the problems of a header: unknown and duplicate column names."""
    problems: list[Problem] = []
    allowed = ", ".join(LISTING_COLUMNS)
    seen: dict[str, str] = {}
    for name in names:
        key = _column_key(name)
        if key not in LISTING_COLUMNS:
            close = difflib.get_close_matches(key, LISTING_COLUMNS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                Problem(
                    f"unknown column {name!r}; {hint}the allowed columns are {allowed}",
                    row=header_row,
                    column=name,
                )
            )
        elif key in seen:
            problems.append(
                Problem(
                    f"column {key!r} appears more than once ({seen[key]!r} and {name!r})",
                    row=header_row,
                    column=key,
                )
            )
        else:
            seen[key] = name
    return problems
