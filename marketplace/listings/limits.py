"""Upper limits on a listing's numbers, shared by the forms, the service and the import.

Nothing on a regional marketplace comes near these limits, but without them a single
listing of ``1e308`` tonnes (or a price that overflows to infinity) stops the engine
for the whole region: the allocation cannot scale such numbers to integers. The limits
hold per unit of the listing (t, kg, m3, MWh or pieces) and per period of its frequency,
so a firm with more than 10,000,000 kg chooses tonnes instead.

>>> check_listing_limits({"quantity": 25.0, "price_eur_per_unit": None})
{}
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

#: The largest quantity of a listing, per unit of the listing and per period.
MAX_QUANTITY_PER_UNIT = 10_000_000.0
#: The largest price, in EUR per unit of the listing.
MAX_PRICE_EUR_PER_UNIT = 1_000_000.0
#: The largest distance a listing may name (maximum transport, current supplier).
MAX_DISTANCE_KM = 1_000.0

# The numbers are written out in the messages so that translators can format them for
# their language; a test keeps them equal to the constants above.
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


def within_limit(value: Any, limit: float) -> bool:
    """Whether ``value`` is a finite number no larger than ``limit`` (no lower bound).

    >>> within_limit(1e7, MAX_QUANTITY_PER_UNIT), within_limit(float("inf"), 1.0)
    (True, False)
    """
    try:
        number = float(value)
    except (TypeError, ValueError, ArithmeticError):
        # "abc", or Decimal("sNaN"), which refuses to become a float.
        return False
    return math.isfinite(number) and number <= limit


def check_listing_limits(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Field errors for the numbers of ``values`` that are not finite or too large.

    ``values`` holds a listing's typed values (a form's data, an import row); missing
    and ``None`` fields are skipped, lower bounds are the caller's business. Every
    problem is reported at once, as ``{field: [message, ...]}``; an empty dict means
    the numbers are fine.

    >>> sorted(check_listing_limits({"quantity": 1e308, "max_distance_km": float("nan")}))
    ['max_distance_km', 'quantity']
    """
    errors: dict[str, list[str]] = {}
    for name, (limit, message) in LIMITS.items():
        value = values.get(name)
        if value is None or within_limit(value, limit):
            continue
        errors[name] = [str(message)]
    return errors
