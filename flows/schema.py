"""Vocabulary shared by the engine, the listing file format and the web app.

The allowed values of every enumerated listing field live here once; the web
forms, the import validator and the engine all read them from this module.
"""

from __future__ import annotations

from typing import Final

#: A listing is either a residual stream on offer or an input need.
KINDS: Final = ("offer", "need")
#: Dutch synonyms accepted in files (``aanbod`` = offer, ``vraag`` = need).
KIND_SYNONYMS: Final = {"offer": "offer", "need": "need", "aanbod": "offer", "vraag": "need"}

#: Units a quantity may be given in.
UNITS: Final = ("t", "kg", "m3", "MWh", "pcs")
#: Unit family of each unit, and the unit the engine normalises the family to.
UNIT_FAMILY: Final = {"t": "mass", "kg": "mass", "m3": "volume", "MWh": "energy", "pcs": "count"}
FAMILY_BASE_UNIT: Final = {"mass": "t", "volume": "m3", "energy": "MWh", "count": "pcs"}
#: Factor that converts a quantity in this unit to its family's base unit.
TO_BASE_UNIT: Final = {"t": 1.0, "kg": 0.001, "m3": 1.0, "MWh": 1.0, "pcs": 1.0}

#: How often the quantity recurs. ``once`` is a single batch.
FREQUENCIES: Final = ("once", "week", "month", "year")
#: Occurrences per year; a one-off batch counts once.
PER_YEAR: Final = {"once": 1.0, "week": 52.0, "month": 12.0, "year": 1.0}

#: Where an offered residual stream goes today.
CURRENT_ROUTES: Final = (
    "landfill",
    "incineration",
    "recycling",
    "composting",
    "digestion",
    "land_spreading",
    "other",
)
#: Where a need is supplied from today.
CURRENT_SOURCES: Final = ("virgin", "secondary")

PRICE_TERMS: Final = ("free", "pay", "paid_to_take", "negotiable")
VISIBILITIES: Final = ("public", "anonymous")
STATUSES: Final = ("draft", "active", "paused", "closed")

#: Top-level material categories that are not waste: their listings need no EWC code.
EWC_FREE_ROOTS: Final = frozenset({"energy", "water"})


def needs_ewc_code(material: str) -> bool:
    """Whether an offer of ``material`` (a taxonomy key) must carry an EWC code.

    Energy and water are not waste, so the European List of Waste does not code them.

    Examples
    --------
    >>> needs_ewc_code("minerals.gypsum"), needs_ewc_code("energy.heat"), needs_ewc_code("water")
    (True, False, False)
    """
    return material.split(".")[0] not in EWC_FREE_ROOTS


#: Columns of the listing file (import, export, ``python -m flows match``), in export order.
LISTING_COLUMNS: Final = (
    "ref",
    "organisation",
    "kind",
    "title",
    "material",
    "ewc_code",
    "quantity",
    "unit",
    "frequency",
    "postcode",
    "lat",
    "lon",
    "max_distance_km",
    "available_from",
    "available_until",
    "current_route",
    "current_source",
    "current_source_km",
    "visibility",
    "description",
)

#: Columns of a parsed listing frame: the file's columns plus the spreadsheet ``row`` and the
#: ``accepted_ewc_codes`` tuple of a need (split from its ``ewc_code`` cell).
CANONICAL_LISTING_COLUMNS: Final = (
    "row",
    *LISTING_COLUMNS[: LISTING_COLUMNS.index("ewc_code") + 1],
    "accepted_ewc_codes",
    *LISTING_COLUMNS[LISTING_COLUMNS.index("ewc_code") + 1 :],
)

#: Output columns of the engine's proposals, in order.
PROPOSAL_COLUMNS: Final = (
    "offer_ref",
    "need_ref",
    "offer_organisation",
    "need_organisation",
    "material",
    "need_material",
    "quantity_per_year",
    "unit",
    "distance_km",
    "road_km",
    "mass_t_per_year",
    "tonne_km",
    "tonne_km_saved",
    "avoided_production_co2e_kg",
    "avoided_disposal_co2e_kg",
    "transport_co2e_kg",
    "avoided_transport_co2e_kg",
    "avoided_co2e_kg",
    "net_co2e_kg",
    "closes_loop",
    "loop_id",
    "rule",
    "reason",
)
