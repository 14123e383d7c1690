"""Validation of the offer and need frames at the engine boundary.

:func:`flows.propose.propose` accepts frames built by anyone: the listing file
reader, the web app's adapters or a notebook. Before any arithmetic the frames are
checked here, and **every** problem is reported at once in one
:class:`~flows.errors.ValidationError`, so that a user can fix a whole file in one go.

The frames hold the canonical listing columns of :mod:`flows.listing_file` plus two
optional engine columns:

``committed_quantity``
    Quantity already committed in agreed or active matches, in the listing's own unit
    and frequency (default 0). The engine only allocates what is left.
``listing_id``
    An opaque identifier the caller wants echoed back in the proposals.

Rows are named as a spreadsheet user counts them: the frame's ``row`` column when it
has one (the listing file reader fills it), otherwise the position in the frame plus
two (row 1 is the header).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from flows.errors import Problem, ValidationError
from flows.schema import CURRENT_ROUTES, CURRENT_SOURCES, FREQUENCIES, UNITS

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "listing_problems",
    "validate_listings",
    "validate_needs",
    "validate_offers",
]

Side = Literal["offer", "need"]

#: Columns the engine cannot work without, for offers and needs alike.
REQUIRED_COLUMNS: Final = (
    "ref",
    "organisation",
    "material",
    "quantity",
    "unit",
    "frequency",
    "lat",
    "lon",
)
#: Columns the engine reads when present (absent or empty means the documented default).
OPTIONAL_COLUMNS: Final = {
    "offer": (
        "ewc_code",
        "available_from",
        "available_until",
        "current_route",
        "committed_quantity",
        "listing_id",
    ),
    "need": (
        "ewc_code",
        "accepted_ewc_codes",
        "available_from",
        "available_until",
        "max_distance_km",
        "current_source",
        "current_source_km",
        "committed_quantity",
        "listing_id",
    ),
}


def validate_offers(df: pd.DataFrame) -> None:
    """Check an offers frame; raise one :class:`ValidationError` listing every problem.

    Parameters
    ----------
    df
        Offers in the canonical listing columns (see the module docstring).

    Raises
    ------
    ValidationError
        With one :class:`~flows.errors.Problem` per problem found.

    Examples
    --------
    >>> import pandas as pd
    >>> bad = pd.DataFrame({"ref": ["a"], "organisation": ["x"], "material": ["wood"],
    ...                     "quantity": [-1.0], "unit": ["ton"], "frequency": ["year"],
    ...                     "lat": [52.2], "lon": [6.0]})
    >>> try:
    ...     validate_offers(bad)
    ... except ValidationError as error:
    ...     print(len(error.problems) >= 2)
    True
    """
    _raise_if_any(listing_problems(df, side="offer"))


def validate_needs(df: pd.DataFrame) -> None:
    """Check a needs frame; raise one :class:`ValidationError` listing every problem.

    See :func:`validate_offers`; needs additionally carry ``max_distance_km``,
    ``accepted_ewc_codes``, ``current_source`` and ``current_source_km``.
    """
    _raise_if_any(listing_problems(df, side="need"))


def validate_listings(offers: pd.DataFrame, needs: pd.DataFrame) -> None:
    """Check both frames together and raise once with the problems of both.

    Beyond :func:`validate_offers` and :func:`validate_needs` this finds an
    (organisation, ref) pair used by an offer *and* a need: a ref names one listing
    of an organisation.
    """
    problems = listing_problems(offers, side="offer") + listing_problems(needs, side="need")
    if {"organisation", "ref"} <= set(offers.columns) and {"organisation", "ref"} <= set(
        needs.columns
    ):
        offer_keys = set(zip(offers["organisation"], offers["ref"], strict=True))
        need_rows = _row_labels(needs)
        for position, key in enumerate(zip(needs["organisation"], needs["ref"], strict=True)):
            if key in offer_keys:
                problems.append(
                    Problem(
                        f"need ref {key[1]!r} of organisation {key[0]!r} is also used by an "
                        "offer; each (organisation, ref) must name one listing",
                        row=need_rows[position],
                        column="ref",
                    )
                )
    _raise_if_any(problems)


def listing_problems(df: pd.DataFrame, *, side: Side) -> list[Problem]:
    """Return every problem of an offers (``side="offer"``) or needs frame, without raising.

    Examples
    --------
    >>> import pandas as pd
    >>> listing_problems(pd.DataFrame({"ref": ["a"]}), side="need")[0].message
    "missing required column 'organisation'"
    """
    if side not in ("offer", "need"):
        raise ValueError(f"side {side!r} is not one of 'offer', 'need'")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{side}s must be a pandas DataFrame, got {type(df).__name__}")
    problems = [
        Problem(f"missing required column {column!r}")
        for column in REQUIRED_COLUMNS
        if column not in df.columns
    ]
    rows = _row_labels(df)
    checks: tuple[Callable[[pd.DataFrame, list[int], Side], Iterable[Problem]], ...] = (
        _check_identity,
        _check_quantity,
        _check_unit_and_frequency,
        _check_material,
        _check_coordinates,
        _check_ewc,
        _check_dates,
        _check_side_specific,
    )
    for check in checks:
        problems.extend(check(df, rows, side))
    return problems


# -- helpers -------------------------------------------------------------------------------


def _show(value: Any) -> str:
    """repr() of a cell as the user wrote it: 0.0, not np.float64(0.0)."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def _positions(mask: Any) -> list[int]:
    positions: list[int] = np.flatnonzero(np.asarray(mask, dtype=bool)).tolist()
    return positions


def _raise_if_any(problems: list[Problem]) -> None:
    if problems:
        raise ValidationError(problems)


def _row_labels(df: pd.DataFrame) -> list[int]:
    if "row" in df.columns:
        labels = pd.to_numeric(df["row"], errors="coerce")
        if labels.notna().all():
            return [int(v) for v in labels]
    return list(range(2, len(df) + 2))


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, str) and not value.strip()


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(df[column], errors="coerce").astype("float64")


def _bad_numbers(df: pd.DataFrame, column: str) -> tuple[pd.Series, pd.Series]:
    """Return (values as float, mask of non-blank values that are not numbers)."""
    values = _numeric(df, column)
    blank = df[column].map(_is_blank).astype(bool)
    return values, values.isna() & ~blank


def _check_identity(df: pd.DataFrame, rows: list[int], side: Side) -> Iterable[Problem]:
    for column in ("ref", "organisation"):
        if column not in df.columns:
            continue
        for position in _positions(df[column].map(_is_blank).to_numpy(dtype=bool)):
            yield Problem(f"{side} has no {column}", row=rows[position], column=column)
    if {"ref", "organisation"} <= set(df.columns):
        keys = df[["organisation", "ref"]].astype(str)
        duplicated = keys.duplicated(keep="first").to_numpy(dtype=bool)
        first_row: dict[tuple[str, str], int] = {}
        for position, key in enumerate(zip(keys["organisation"], keys["ref"], strict=True)):
            first_row.setdefault(key, rows[position])
            if duplicated[position]:
                yield Problem(
                    f"ref {key[1]!r} of organisation {key[0]!r} is used more than once "
                    f"(first on row {first_row[key]}); each (organisation, ref) must be unique",
                    row=rows[position],
                    column="ref",
                )


def _check_quantity(df: pd.DataFrame, rows: list[int], side: Side) -> Iterable[Problem]:
    if "quantity" in df.columns:
        values = _numeric(df, "quantity")
        bad = ~(values > 0) | ~np.isfinite(values.fillna(0.0))
        for position in _positions(bad.to_numpy(dtype=bool)):
            yield Problem(
                f"quantity {_show(df['quantity'].iloc[position])} is not a positive number",
                row=rows[position],
                column="quantity",
            )
    if "committed_quantity" in df.columns:
        values, not_number = _bad_numbers(df, "committed_quantity")
        bad = not_number | (values < 0) | np.isinf(values)
        for position in _positions(bad.to_numpy(dtype=bool)):
            yield Problem(
                f"committed_quantity {_show(df['committed_quantity'].iloc[position])} is not a "
                "number >= 0",
                row=rows[position],
                column="committed_quantity",
            )


def _check_unit_and_frequency(df: pd.DataFrame, rows: list[int], side: Side) -> Iterable[Problem]:
    for column, allowed in (("unit", UNITS), ("frequency", FREQUENCIES)):
        if column not in df.columns:
            continue
        bad = ~df[column].isin(allowed).to_numpy(dtype=bool)
        for position in _positions(bad):
            yield Problem(
                f"{column} {_show(df[column].iloc[position])} is not one of {', '.join(allowed)}",
                row=rows[position],
                column=column,
            )


def _check_material(df: pd.DataFrame, rows: list[int], side: Side) -> Iterable[Problem]:
    if "material" not in df.columns:
        return
    from flows.taxonomy import is_category

    known: dict[str, bool] = {}
    for position, material in enumerate(df["material"]):
        key = "" if _is_blank(material) else str(material)
        if key not in known:
            known[key] = bool(key) and is_category(key)
        if not known[key]:
            yield Problem(
                f"material {material!r} is not a category of the taxonomy "
                "(see `python -m flows taxonomy`)",
                row=rows[position],
                column="material",
            )


def _check_coordinates(df: pd.DataFrame, rows: list[int], side: Side) -> Iterable[Problem]:
    for column, limit in (("lat", 90.0), ("lon", 180.0)):
        if column not in df.columns:
            continue
        values = _numeric(df, column)
        bad = ~(values.abs() <= limit)
        for position in _positions(bad.to_numpy(dtype=bool)):
            value = df[column].iloc[position]
            message = (
                f"{side} has no {column}; give a postcode or coordinates"
                if _is_blank(value)
                else f"{column} {_show(value)} is not a number between -{limit:g} and {limit:g}"
            )
            yield Problem(message, row=rows[position], column=column)


def _ewc_status(code: Any) -> str | None:
    """Return None for a known code, otherwise the reason it is not."""
    from flows.errors import InvalidEWCCode
    from flows.ewc import normalise_ewc_code

    try:
        normalise_ewc_code(str(code))
    except (InvalidEWCCode, ValueError, KeyError) as error:
        return str(error) or "not a code of the European Waste Catalogue"
    return None


def _check_ewc(df: pd.DataFrame, rows: list[int], side: Side) -> Iterable[Problem]:
    cache: dict[str, str | None] = {}

    def status(code: Any) -> str | None:
        key = str(code).strip()
        if key not in cache:
            cache[key] = _ewc_status(key)
        return cache[key]

    if "ewc_code" in df.columns:
        for position, code in enumerate(df["ewc_code"]):
            if _is_blank(code):
                continue
            reason = status(code)
            if reason is not None:
                yield Problem(
                    f"ewc_code {code!r} is not a code of the European Waste Catalogue ({reason})",
                    row=rows[position],
                    column="ewc_code",
                )
    if side == "need" and "accepted_ewc_codes" in df.columns:
        for position, codes in enumerate(df["accepted_ewc_codes"]):
            if _is_blank(codes):
                continue
            if isinstance(codes, str) or not isinstance(codes, Iterable):
                yield Problem(
                    f"accepted_ewc_codes {codes!r} is not a tuple of EWC codes",
                    row=rows[position],
                    column="accepted_ewc_codes",
                )
                continue
            for code in codes:
                reason = status(code)
                if reason is not None:
                    yield Problem(
                        f"accepted EWC code {code!r} is not a code of the European Waste "
                        f"Catalogue ({reason})",
                        row=rows[position],
                        column="accepted_ewc_codes",
                    )


def _check_dates(df: pd.DataFrame, rows: list[int], side: Side) -> Iterable[Problem]:
    parsed: dict[str, pd.Series] = {}
    for column in ("available_from", "available_until"):
        if column not in df.columns:
            continue
        values = pd.to_datetime(df[column], errors="coerce", format="ISO8601")
        blank = df[column].map(_is_blank).astype(bool)
        for position in _positions((values.isna() & ~blank).to_numpy(dtype=bool)):
            yield Problem(
                f"{column} {_show(df[column].iloc[position])} is not a date (YYYY-MM-DD)",
                row=rows[position],
                column=column,
            )
        parsed[column] = values
    if len(parsed) == 2:
        reversed_window = (parsed["available_until"] < parsed["available_from"]).to_numpy(
            dtype=bool
        )
        for position in _positions(reversed_window):
            yield Problem(
                f"available_until {_show(df['available_until'].iloc[position])} is before "
                f"available_from {_show(df['available_from'].iloc[position])}",
                row=rows[position],
                column="available_until",
            )


def _check_side_specific(df: pd.DataFrame, rows: list[int], side: Side) -> Iterable[Problem]:
    choices = (
        ("current_route", CURRENT_ROUTES)
        if side == "offer"
        else ("current_source", CURRENT_SOURCES)
    )
    column, allowed = choices
    if column in df.columns:
        for position, value in enumerate(df[column]):
            if not _is_blank(value) and value not in allowed:
                yield Problem(
                    f"{column} {value!r} is not one of {', '.join(allowed)}",
                    row=rows[position],
                    column=column,
                )
    if side != "need":
        return
    for column, allow_zero in (("max_distance_km", False), ("current_source_km", True)):
        if column not in df.columns:
            continue
        values, not_number = _bad_numbers(df, column)
        out_of_range = (values < 0) if allow_zero else (values <= 0)
        bad = not_number | out_of_range | np.isinf(values)
        allowed_text = "a number >= 0" if allow_zero else "a positive number"
        for position in _positions(bad.to_numpy(dtype=bool)):
            yield Problem(
                f"{column} {_show(df[column].iloc[position])} is not {allowed_text}",
                row=rows[position],
                column=column,
            )
