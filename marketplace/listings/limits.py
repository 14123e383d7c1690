"""Upper limits on a listing's numbers, in the user's words.

The limits themselves live with the listing rules in :mod:`flows.listing_file.rules`
(:data:`~flows.listing_file.rules.LIMITS`); this module words them for the forms, the
service and the import.

>>> check_listing_limits({"quantity": 25.0, "price_eur_per_unit": None})
{}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from flows.errors import Problem
from flows.listing_file.rules import (
    MAX_DISTANCE_KM,
    MAX_PRICE_EUR_PER_UNIT,
    MAX_QUANTITY_PER_UNIT,
    check_limits,
)

__all__ = [
    "DISTANCE_LIMIT_MESSAGE",
    "LIMITS",
    "MAX_DISTANCE_KM",
    "MAX_PRICE_EUR_PER_UNIT",
    "MAX_QUANTITY_PER_UNIT",
    "PRICE_LIMIT_MESSAGE",
    "QUANTITY_LIMIT_MESSAGE",
    "check_listing_limits",
    "worded",
]

# The numbers are written out in the messages so that translators can format them for
# their language; a test keeps them equal to the limits.
QUANTITY_LIMIT_MESSAGE = _l(
    "The quantity must be a number of at most 10,000,000 per unit; "
    "for more, choose a larger unit (t instead of kg)."
)
PRICE_LIMIT_MESSAGE = _l("The price must be a number of at most 1,000,000 EUR per unit.")
DISTANCE_LIMIT_MESSAGE = _l("The distance must be a number of at most 1,000 km.")

#: Field name -> (largest allowed value, message when it is exceeded or not a number).
LIMITS: dict[str, tuple[float, Any]] = {
    "quantity": (MAX_QUANTITY_PER_UNIT, QUANTITY_LIMIT_MESSAGE),
    "price_eur_per_unit": (MAX_PRICE_EUR_PER_UNIT, PRICE_LIMIT_MESSAGE),
    "max_distance_km": (MAX_DISTANCE_KM, DISTANCE_LIMIT_MESSAGE),
    "current_source_km": (MAX_DISTANCE_KM, DISTANCE_LIMIT_MESSAGE),
}


def check_listing_limits(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field errors for the numbers of ``values`` that are not finite or too large.

    ``values`` holds a listing's typed values (a form's data, an import row); missing
    and ``None`` fields are skipped, lower bounds are the caller's business. Every
    problem is reported at once, as ``{field: [message, ...]}``; an empty dict means
    the numbers are fine.

    >>> sorted(check_listing_limits({"quantity": 1e308, "max_distance_km": float("nan")}))
    ['max_distance_km', 'quantity']
    """
    return {
        str(problem.column): [str(LIMITS[str(problem.column)][1])]
        for problem in check_limits(values)
    }


def worded(problem: Problem) -> Problem:
    """``problem`` with the message above when it is a number beyond its limit."""
    if problem.code != "too_large" or problem.column not in LIMITS:
        return problem
    return Problem(
        str(LIMITS[problem.column][1]),
        row=problem.row,
        column=problem.column,
        code=problem.code,
        value=problem.value,
    )
