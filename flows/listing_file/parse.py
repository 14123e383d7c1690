"""Parse a raw listing frame into the canonical typed frame, row by row through the rules.

Every row goes through :func:`~flows.listing_file.rules.check_listing`; what only a whole
file can get wrong (its columns, a ``ref`` used twice) is checked here, and the postcodes of
all rows are looked up at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from flows.errors import Problem, ValidationError
from flows.legal import listing_warnings
from flows.listing_file.cells import _cell_text
from flows.listing_file.columns import (
    _FLOAT_COLUMNS,
    CANONICAL_COLUMNS,
    REQUIRED_COLUMNS,
    _column_key,
    _header_problems,
)
from flows.listing_file.rules import _geocode, _options, _wants_geocoding, check_listing
from flows.schema import LISTING_COLUMNS

__all__ = ["parse_listings", "split_offers_needs"]


def parse_listings(
    raw: pd.DataFrame,
    *,
    require_organisation: bool = False,
    allow_missing_location: bool = False,
    default_max_distance_km: float | None = None,
    today: date | None = None,
    limits: bool = False,
) -> pd.DataFrame:
    """Validate a raw listing frame and return the canonical typed frame.

    Every cell is checked and every problem collected; a cell gets at most one problem,
    the most basic one (a value on the wrong kind is reported as such, not as a bad value).

    Parameters
    ----------
    raw
        The frame :func:`read_listing_file` returns, or any frame with listing columns
        (names as in a file header; values as text, or numbers and dates). Without a
        ``row`` column rows are numbered from 2, as under a header.
    require_organisation
        Require the ``organisation`` column and a value in every row (coordinator
        imports, the engine CLI). Otherwise an empty organisation is ``None``.
    allow_missing_location
        Let a row leave ``postcode``, ``lat`` and ``lon`` all empty (``lat``/``lon`` are
        then NaN and the caller supplies a location, e.g. the organisation's site).
    default_max_distance_km
        ``max_distance_km`` of a need that leaves it empty; ``None`` keeps NaN (the
        engine's own default applies).
    today
        When given, a listing whose ``available_until`` is before ``today`` is refused.
        ``None`` skips the check, so that archived files and fixtures stay valid.
    limits
        Hold quantities and distances to :data:`~flows.listing_file.rules.LIMITS` (the
        marketplace's import does; files for ``python -m flows`` may hold any number).

    Returns
    -------
    pandas.DataFrame
        :data:`CANONICAL_COLUMNS`, one row per listing: ``row`` (int); ``quantity``,
        ``lat``, ``lon``, ``max_distance_km``, ``current_source_km`` (float, NaN when
        empty); ``ewc_code`` (offers: ``"02 01 03"`` or None; needs: None);
        ``accepted_ewc_codes`` (needs: tuple of codes; offers: ``()``);
        ``available_from``/``available_until`` (``datetime.date`` or None);
        ``organisation``, ``postcode``, ``current_route``, ``current_source`` (str or
        None); the rest str. ``material`` is always set: when only EWC codes are given it
        is the taxonomy category of the (first) code. ``lat``/``lon`` come from the
        postcode's centroid when the row gives no coordinates.
        ``frame.attrs["warnings"]`` lists :class:`~flows.errors.Problem` warnings that do
        not stop the import: a need's accepted codes that feed law keeps from it
        (:func:`flows.legal.listing_warnings`).

    Raises
    ------
    ValidationError
        Listing every problem, each with its row, column and a message that quotes the
        value and says what is allowed.

    Examples
    --------
    >>> raw = pd.DataFrame({"ref": ["n1", "n1"], "kind": ["need", "vraag"],
    ...                     "title": ["Wood", ""], "material": ["", ""],
    ...                     "ewc_code": ["030105;03 01 01", "03 01 05"],
    ...                     "quantity": ["1,5", "1.000"], "unit": ["kg", "kg"],
    ...                     "lat": ["52.25", "52.25"], "lon": ["6.16", "6.16"]})
    >>> try:
    ...     parse_listings(raw)
    ... except ValidationError as error:
    ...     print(error)
    3 problem(s) found:
    row 3, column 'ref': ref 'n1' is already used on row 2
    row 3, column 'title': title is empty; every listing needs one
    row 3, column 'quantity': quantity '1.000' is ambiguous: '.' may separate thousands (1000) or decimals; write 1000 without the separator, or 1.0000 for a fraction
    >>> parse_listings(raw.iloc[:1])["accepted_ewc_codes"].tolist()
    [('03 01 05', '03 01 01')]
    """  # noqa: E501
    if not isinstance(raw, pd.DataFrame):
        raise TypeError(f"raw must be a pandas DataFrame, not {type(raw).__name__}")
    _options(
        require_organisation=require_organisation,
        allow_missing_location=allow_missing_location,
        default_max_distance_km=default_max_distance_km,
        today=today,
    )  # fails fast on a bad option, before any row is read
    names = [str(name) for name in raw.columns if name != "row"]
    problems = _header_problems(names, header_row=None)
    required = REQUIRED_COLUMNS + (("organisation",) if require_organisation else ())
    present = {_column_key(name): name for name in names}
    problems += [
        Problem(
            f"required column {column!r} is missing; a listing file needs the columns "
            f"{', '.join(required)}",
            column=column,
        )
        for column in required
        if column not in present
    ]
    if problems:
        raise ValidationError(problems)

    texts = {
        key: [_cell_text(value, ewc=key == "ewc_code") for value in raw[name].tolist()]
        for key, name in present.items()
    }
    records: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for position, number in enumerate(_row_numbers(raw)):
        cells = {key: column[position] for key, column in texts.items()}
        record, row_problems = check_listing(
            cells,
            row=number,
            require_organisation=require_organisation,
            allow_missing_location=allow_missing_location,
            default_max_distance_km=default_max_distance_km,
            today=today,
            geocode=False,
            limits=limits,
        )
        records.append(record)
        problems += row_problems
        if _wants_geocoding(cells, record):
            pending.append(record)
    _check_unique_refs(records, problems)
    _geocode(pending, problems)  # one look-up for the whole file
    if problems:
        order = {column: i for i, column in enumerate(LISTING_COLUMNS)}
        problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", -1)))
        raise ValidationError(problems)
    frame = _canonical_frame(records)
    # Warnings do not stop an import: accepted codes the law keeps from the need.
    frame.attrs["warnings"] = listing_warnings(frame)
    return frame


def _row_numbers(raw: pd.DataFrame) -> list[int]:
    if "row" in raw.columns:
        numbers = pd.to_numeric(raw["row"], errors="coerce")
        if numbers.notna().all():
            return [int(number) for number in numbers]
    return list(range(2, len(raw) + 2))


def _check_unique_refs(records: list[dict[str, Any]], problems: list[Problem]) -> None:
    first_row: dict[tuple[str, str], int] = {}
    for record in records:
        if record["ref"] is None:
            continue
        organisation = record["organisation"]
        key = ((organisation or "").casefold(), record["ref"])
        if key in first_row:
            owner = f" by organisation {organisation!r}" if organisation else ""
            problems.append(
                Problem(
                    f"ref {record['ref']!r} is already used on row {first_row[key]}{owner}",
                    row=record["row"],
                    column="ref",
                )
            )
        else:
            first_row[key] = record["row"]


def _canonical_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    data: dict[str, pd.Series] = {}
    for column in CANONICAL_COLUMNS:
        values = [record[column] for record in records]
        if column == "row":
            data[column] = pd.Series(values, dtype="int64")
        elif column in _FLOAT_COLUMNS:
            data[column] = pd.Series(values, dtype="float64")
        else:
            # object keeps None as None (pandas' string dtype would turn it into NaN)
            # and holds the date and tuple columns.
            data[column] = pd.Series(values, dtype=object)
    return pd.DataFrame(data)


def split_offers_needs(listings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a canonical frame into (offers, needs), each with a fresh 0-based index.

    Examples
    --------
    >>> frame = pd.DataFrame({"ref": ["a", "b", "c"], "kind": ["need", "offer", "need"]})
    >>> offers, needs = split_offers_needs(frame)
    >>> offers["ref"].tolist(), needs["ref"].tolist()
    (['b'], ['a', 'c'])
    """
    is_offer = (listings["kind"] == "offer").to_numpy(dtype=bool)
    is_need = (listings["kind"] == "need").to_numpy(dtype=bool)
    return (
        listings.loc[is_offer].reset_index(drop=True),
        listings.loc[is_need].reset_index(drop=True),
    )
