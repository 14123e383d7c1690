"""Quantities to one yearly rate per unit family, and availability windows to day numbers.

After :mod:`flows.validate`, every listing is brought to the form the matcher works in:

* **Remaining quantity.** ``committed_quantity`` (already promised in agreed or active
  matches, same unit and frequency as ``quantity``) is subtracted first; listings with
  nothing left are dropped.
* **Yearly rate in the family's base unit.** ``kg`` becomes ``t``; ``week`` counts 52
  times a year, ``month`` 12, ``year`` once; ``once`` is a single batch, counted as its
  quantity within its availability window.
* **Matching family.** Flows only run between listings of the same matching family:
  ``mass`` (t), ``volume`` (m3), ``energy`` (MWh) or ``count`` (pcs). A listing in m3
  whose taxonomy category gives a density hint (``density_t_per_m3``) is matched **by
  mass**: its volume times the density. That is the only conversion between families,
  so an offer in m3 and a need in t of a material with a known density can match, while
  m3 and t without a density cannot. Converting by the listing's own category keeps the
  problem a plain min-cost flow (each node carries one factor, never an edge). One
  consequence, accepted and documented: an m3 listing with a density hint and an m3
  listing without one are in different families and do not match.
* **Availability window** as integer day numbers, missing dates open-ended.

Examples
--------
>>> import pandas as pd
>>> offers = pd.DataFrame({"ref": ["o1"], "organisation": ["A"], "material": ["x"],
...                        "quantity": [500.0], "unit": ["kg"], "frequency": ["month"],
...                        "lat": [52.2], "lon": [6.1], "committed_quantity": [100.0]})
>>> out = normalise_listings(offers, density_t_per_m3=lambda material: None)
>>> float(out["quantity_per_year"].iloc[0]), out["flow_unit"].iloc[0]
(4.8, 't')
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from flows.schema import FAMILY_BASE_UNIT, PER_YEAR, TO_BASE_UNIT, UNIT_FAMILY

__all__ = [
    "FAMILY_CODES",
    "OPEN_END_DAY",
    "OPEN_START_DAY",
    "NormalisedListings",
    "normalise",
    "normalise_listings",
    "taxonomy_density",
]

#: Integer code of each matching family (a compact column for the hot path).
FAMILY_CODES: Final = {"mass": 0, "volume": 1, "energy": 2, "count": 3}
#: Day numbers (days since 1970-01-01) that stand for an open start or end of a window.
OPEN_START_DAY: Final = np.iinfo(np.int32).min
OPEN_END_DAY: Final = np.iinfo(np.int32).max

DensityLookup = Callable[[str], float | None]


@dataclass(frozen=True)
class NormalisedListings:
    """Offers and needs ready for candidate generation.

    Each frame keeps the caller's columns and adds ``source_position`` (row position in
    the frame passed in), ``family`` / ``family_code``, ``flow_unit`` (base unit of the
    matching family), ``to_flow_unit`` (flow units per base unit of the listing's own
    family: the density for m3 listings matched by mass, else 1), ``quantity_per_year``
    (remaining, in the flow unit), ``own_unit`` (base unit of the listing's own
    family), ``start_day`` / ``end_day`` and ``once``.
    """

    offers: pd.DataFrame
    needs: pd.DataFrame
    dropped_offers: int
    dropped_needs: int


def taxonomy_density(material: str) -> float | None:
    """Density hint of a taxonomy category in t per m3, or None when the taxonomy has none.

    Examples
    --------
    >>> taxonomy_density("no such category") is None
    True
    """
    from flows.taxonomy import category, is_category

    if not is_category(material):
        return None
    density = getattr(category(material), "density_t_per_m3", None)
    if density is None:
        return None
    density = float(density)
    return density if math.isfinite(density) and density > 0 else None


def normalise(
    offers: pd.DataFrame,
    needs: pd.DataFrame,
    *,
    density_t_per_m3: DensityLookup = taxonomy_density,
) -> NormalisedListings:
    """Normalise validated offers and needs (see the module docstring).

    Parameters
    ----------
    offers, needs
        Frames that passed :func:`flows.validate.validate_listings`.
    density_t_per_m3
        Density hint per material category; defaults to the taxonomy.
    """
    offers_n = normalise_listings(offers, density_t_per_m3=density_t_per_m3)
    needs_n = normalise_listings(needs, density_t_per_m3=density_t_per_m3)
    return NormalisedListings(
        offers=offers_n,
        needs=needs_n,
        dropped_offers=len(offers) - len(offers_n),
        dropped_needs=len(needs) - len(needs_n),
    )


def normalise_listings(
    df: pd.DataFrame, *, density_t_per_m3: DensityLookup = taxonomy_density
) -> pd.DataFrame:
    """Return the listings with something left, with the normalised columns added.

    The result has a fresh ``RangeIndex``; ``source_position`` points back into ``df``.
    """
    quantity = pd.to_numeric(df["quantity"], errors="coerce").to_numpy(dtype="float64")
    if "committed_quantity" in df.columns:
        committed = (
            pd.to_numeric(df["committed_quantity"], errors="coerce")
            .fillna(0.0)
            .to_numpy(dtype="float64")
        )
    else:
        committed = np.zeros(len(df))
    remaining = quantity - committed
    unit = df["unit"].astype(str).to_numpy()
    frequency = df["frequency"].astype(str).to_numpy()
    to_base = np.array([TO_BASE_UNIT[u] for u in unit], dtype="float64")
    per_year = np.array([PER_YEAR[f] for f in frequency], dtype="float64")
    own_family = np.array([UNIT_FAMILY[u] for u in unit], dtype=object)

    densities = {str(m): density_t_per_m3(str(m)) for m in pd.unique(df["material"])}
    material = df["material"].astype(str).to_numpy()
    density = np.array(
        [densities[m] if densities[m] is not None else np.nan for m in material], dtype="float64"
    )
    by_mass = (own_family == "volume") & np.isfinite(density)
    family = np.where(by_mass, "mass", own_family)
    to_flow = np.where(by_mass, density, 1.0)

    keep = remaining > 0
    out = df.loc[keep].copy() if not keep.all() else df.copy()
    out = out.reset_index(drop=True)
    out["source_position"] = np.flatnonzero(keep).astype("int64")
    out["family"] = family[keep].astype(str)
    out["family_code"] = np.array([FAMILY_CODES[f] for f in family[keep]], dtype="int8")
    out["flow_unit"] = np.array([FAMILY_BASE_UNIT[f] for f in family[keep]], dtype=object).astype(
        str
    )
    out["own_unit"] = np.array(
        [FAMILY_BASE_UNIT[f] for f in own_family[keep]], dtype=object
    ).astype(str)
    out["to_flow_unit"] = to_flow[keep]
    # Occurrences first: 400 kg x 12 x 0.001 is 4.8, 400 x 0.001 x 12 is 4.800000000000001.
    out["quantity_per_year"] = (remaining * per_year * to_base * to_flow)[keep]
    out["once"] = frequency[keep] == "once"
    out["start_day"] = _day_numbers(df, "available_from", OPEN_START_DAY)[keep]
    out["end_day"] = _day_numbers(df, "available_until", OPEN_END_DAY)[keep]
    return out


def _day_numbers(df: pd.DataFrame, column: str, open_value: int) -> np.ndarray:
    if column not in df.columns:
        return np.full(len(df), open_value, dtype="int32")
    dates = pd.to_datetime(df[column], errors="coerce", format="ISO8601")
    days = (dates - pd.Timestamp("1970-01-01")).dt.days
    result: np.ndarray = days.fillna(open_value).to_numpy(dtype="int64").astype("int32")
    return result
