"""CO2 credits of the classic industrial-symbiosis exchanges, each from published figures.

:mod:`flows.co2` credits an exchange with the primary production of the *need's* material
that it avoids. For the exchanges industrial symbiosis is known for, that generic factor
misses the point: fly ash replaces clinker-rich cement, not "minerals"; digestate replaces
mineral fertiliser through its nutrients; wood chips replace natural gas through their
calorific value. This module holds one credit per such (offered, needed) pair of taxonomy
categories, in kg CO2e per tonne of the offer, computed from the cited figures in
``flows/data/emission_factors_symbiosis_cited.csv`` (each row with its source, year, place in
the source and a verbatim excerpt; provenance in ``flows/data/README.md``).

A credit applies to the pair and to their descendants (the nearest pair wins), and replaces
the generic avoided-production term ``P`` of that exchange. The formulas, with the numbers,
are in ``docs/co2-method.md`` section 1.4. An exchange the figures cannot support has no
credit here and keeps the generic term; the known gaps are listed in :data:`KNOWN_GAPS`.

Examples
--------
>>> credit = credit_for("minerals.fly_ash", "minerals.cement")
>>> credit.co2e_kg_per_t, credit.inputs
(942.0, ('g1_ice_cem_i_co2e', 'g2_ice_flyash'))
>>> credit_for("minerals.fly_ash", "minerals.aggregates") is None
True
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Final

from flows import taxonomy

__all__ = [
    "CITED_RESOURCE",
    "KNOWN_GAPS",
    "CitedFigure",
    "Credit",
    "cited_figures",
    "credit_for",
    "credits",
]

#: The published figures the credits use, one row each, with source, year and excerpt.
CITED_RESOURCE: Final = resources.files("flows") / "data" / "emission_factors_symbiosis_cited.csv"

#: Molar masses, g/mol (IUPAC standard atomic weights): gypsum CaSO4.2H2O and the
#: hemihydrate CaSO4.0.5H2O that calcining it gives. A tonne of gypsum gives 0.843 t of
#: calcined gypsum, so a credit per tonne of calcined gypsum is scaled by this ratio.
GYPSUM_DIHYDRATE_G_PER_MOL: Final = 172.17
GYPSUM_HEMIHYDRATE_G_PER_MOL: Final = 145.15
#: Nutrient content of the mineral fertilisers the model replaces, as a mass fraction:
#: ammonium nitrate 33.5 % N (in the Fertilizers Europe row's excerpt), triple superphosphate
#: 45 % P2O5 and potassium chloride 60 % K2O (NMI BAAT catalogue, entries TSP p_p_rt=450 and
#: KCl p_k_rt=600 g/kg, named in the note of the cited manure rows).
AN_N_FRACTION: Final = 0.335
TSP_P2O5_FRACTION: Final = 0.45
MOP_K2O_FRACTION: Final = 0.60
#: UK brewers' spent grain a year in the study behind ``g5_feed_bsg_uk_scenario`` ("more than
#: 130,000 t", the row's item text): dividing the scenario's total by it gives an upper bound.
BSG_UK_T_PER_YEAR: Final = 130_000.0
GJ_PER_MWH: Final = 3.6

#: Symbiosis exchanges the figures cannot yet support: no credit, listed in the method.
KNOWN_GAPS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "recovered sulphur": "no published production footprint of sulphur was found, and "
        "the taxonomy has no sulphur category",
        "sewage sludge as fertiliser": "nutrients are published per tonne of dry solids "
        "(Loehr 1979) but no dry-solids content per tonne of sludge was found",
        "yeast and other feed-grade by-products as feed": "no per-tonne figure; the spent "
        "grain figure is specific to brewers' grains",
        "green waste as biomass fuel": "no calorific value of green waste was found",
    }
)


@dataclass(frozen=True, slots=True)
class CitedFigure:
    """One published number, as it stands in the cited table."""

    key: str
    item: str
    value: float
    unit: str
    source: str
    url_or_repo_path: str
    year: str
    where_in_source: str
    excerpt: str
    note: str


@dataclass(frozen=True, slots=True)
class Credit:
    """The avoided emissions of one tonne of ``offered`` meeting a need for ``needed``."""

    offered: str
    needed: str
    co2e_kg_per_t: float
    formula: str
    inputs: tuple[str, ...]

    @property
    def key(self) -> str:
        """Factor key of the credit, as reported in ``production_factor_key``."""
        return f"credit.{self.offered}.{self.needed}"

    def as_factor(self) -> dict[str, object]:
        """The credit as a factor row (the shape :class:`flows.co2.Factor` has)."""
        figures = cited_figures()
        used = [figures[key] for key in self.inputs]
        return {
            "factor_key": self.key,
            "category": self.needed,
            "term": "symbiosis_credit",
            "route": "",
            "value": self.co2e_kg_per_t,
            "unit": "kg CO2e/t",
            "source": "; ".join(
                f"{f.source}, {f.where_in_source} ({f.key}, {f.year})" for f in used
            ),
            "year": max(_first_year(f.year) for f in used),
            "note": self.formula,
        }


def _first_year(text: str) -> int:
    digits = "".join(ch if ch.isdigit() else " " for ch in text).split()
    years = [int(d) for d in digits if len(d) == 4]
    if not years:
        raise ValueError(f"cited year {text!r} names no year")
    return max(years)


@functools.cache
def cited_figures() -> Mapping[str, CitedFigure]:
    """Return the cited figures by key (read once).

    Examples
    --------
    >>> figure = cited_figures()["g2_ice_flyash"]
    >>> figure.value, figure.unit, figure.year
    (0.008, 'kg CO2/kg fly ash', '2011')
    """
    with CITED_RESOURCE.open("r", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    figures = {
        row["key"]: CitedFigure(
            key=row["key"],
            item=row["item"],
            value=float(row["value"]),
            unit=row["unit"],
            source=row["source"],
            url_or_repo_path=row["url_or_repo_path"],
            year=row["year"],
            where_in_source=row["where_in_source"],
            excerpt=row["excerpt"],
            note=row["note"],
        )
        for row in rows
    }
    if len(figures) != len(rows):
        raise AssertionError("emission_factors_symbiosis_cited.csv repeats a key")
    return MappingProxyType(figures)


def _v(key: str) -> float:
    return cited_figures()[key].value


# -- one function per credit: kg CO2e per tonne of the offer --------------------------------


def _cement_by_fly_ash() -> float:
    # 1 t fly ash replaces 1 t CEM I (ICE's CEM II/B-V figure is consistent with that).
    return _v("g1_ice_cem_i_co2e") * 1000 - _v("g2_ice_flyash") * 1000


def _cement_by_slag() -> float:
    # 1 t ground blast-furnace slag replaces 1 t CEM I; grinding it costs 67 kg CO2e/t.
    return _v("g1_ice_cem_i_co2e") * 1000 - _v("g2_csma_ggbs_2010")


def _gypsum_by_fgd_gypsum() -> float:
    fgd = _v("g3_calcined_gypsum_fgd")
    natural = fgd / (1 - _v("g3_calcined_gypsum_fgd_vs_natural") / 100)
    return (natural - fgd) * GYPSUM_HEMIHYDRATE_G_PER_MOL / GYPSUM_DIHYDRATE_G_PER_MOL


def _fertiliser_kg_per_kg_nutrient() -> tuple[float, float, float]:
    """kg CO2e of making one kg N, P2O5 and K2O as mineral fertiliser."""
    return (
        _v("g4_fert_an_eu_fe2020") / AN_N_FRACTION,
        _v("g4_fert_tsp_eu_brentrup2016") / TSP_P2O5_FRACTION,
        _v("g4_fert_mop_eu_brentrup2016") / MOP_K2O_FRACTION,
    )


def _nutrients(prefix: str) -> float:
    per_n, per_p2o5, per_k2o = _fertiliser_kg_per_kg_nutrient()
    return (
        _v(f"{prefix}_n") * per_n + _v(f"{prefix}_p2o5") * per_p2o5 + _v(f"{prefix}_k2o") * per_k2o
    )


def _fertiliser_by_manure() -> float:
    return _nutrients("g4_nutr_rundveedrijfmest_nmi_baat")


def _fertiliser_by_digestate() -> float:
    return _nutrients("g4_nutr_digestate_raw_vlaco")


def _feed_by_spent_grain() -> float:
    return _v("g5_feed_bsg_uk_scenario") * 1e6 / BSG_UK_T_PER_YEAR


def _gas_by_wood_chips() -> float:
    gas_kg_per_gj = _v("g6_desnz2025_natgas_kwh_net") * 1000 / GJ_PER_MWH
    return _v("g6_desnz2025_woodchips_ncv") * gas_kg_per_gj - _v("g6_desnz2025_woodchips_scope1")


def _greenhouse_gas_by_co2() -> float:
    return _v("g8_ocap_co2_avoided_factsheet") / (_v("g8_ocap_co2_delivered") * 1000) * 1000


_NUTRIENT_FORMULA: Final = (
    "N x (AN 1.112 / 0.335) + P2O5 x (TSP 0.18 / 0.45) + K2O x (MOP 0.23 / 0.60), "
    "total nutrients per t fresh, kg CO2e per kg nutrient of mineral fertiliser; an upper "
    "bound (part of the N is not plant-available in the first year)"
)

#: (offered, needed, function, formula, cited keys) of every credit.
_DEFINITIONS: Final[tuple[tuple[str, str, Callable[[], float], str, tuple[str, ...]], ...]] = (
    (
        "minerals.fly_ash",
        "minerals.cement",
        _cement_by_fly_ash,
        "CEM I 950 kg CO2e/t - fly ash handling 8 kg CO2/t; 1 t fly ash replaces 1 t cement",
        ("g1_ice_cem_i_co2e", "g2_ice_flyash"),
    ),
    (
        "minerals.slag",
        "minerals.cement",
        _cement_by_slag,
        "CEM I 950 kg CO2e/t - GGBS grinding 67 kg CO2e/t; 1 t slag replaces 1 t cement",
        ("g1_ice_cem_i_co2e", "g2_csma_ggbs_2010"),
    ),
    (
        "minerals.gypsum_fgd",
        "minerals.gypsum",
        _gypsum_by_fgd_gypsum,
        "(105.3 / (1 - 0.252) - 105.3) kg CO2/t calcined gypsum x 145.15 / 172.17 t calcined "
        "gypsum per t gypsum",
        ("g3_calcined_gypsum_fgd", "g3_calcined_gypsum_fgd_vs_natural"),
    ),
    (
        "organics.manure",
        "organics.soil_improver",
        _fertiliser_by_manure,
        "cattle slurry 4.1 kg N, 1.4 kg P2O5, 5.3 kg K2O per t: " + _NUTRIENT_FORMULA,
        (
            "g4_nutr_rundveedrijfmest_nmi_baat_n",
            "g4_nutr_rundveedrijfmest_nmi_baat_p2o5",
            "g4_nutr_rundveedrijfmest_nmi_baat_k2o",
            "g4_fert_an_eu_fe2020",
            "g4_fert_tsp_eu_brentrup2016",
            "g4_fert_mop_eu_brentrup2016",
        ),
    ),
    (
        "organics.soil_improver",
        "organics.soil_improver",
        _fertiliser_by_digestate,
        "raw digestate 4.0 kg N, 3.8 kg P2O5, 4.0 kg K2O per t (compost has more; the "
        "category cannot tell them apart, so the lower is used): " + _NUTRIENT_FORMULA,
        (
            "g4_nutr_digestate_raw_vlaco_n",
            "g4_nutr_digestate_raw_vlaco_p2o5",
            "g4_nutr_digestate_raw_vlaco_k2o",
            "g4_fert_an_eu_fe2020",
            "g4_fert_tsp_eu_brentrup2016",
            "g4_fert_mop_eu_brentrup2016",
        ),
    ),
    (
        "organics.spent_grain",
        "organics.animal_feed",
        _feed_by_spent_grain,
        "39 kt CO2e a year / 130,000 t spent grain a year (UK, feed vs digestion with soya "
        "replacing the grain); an upper bound, the study counts more than 130,000 t",
        ("g5_feed_bsg_uk_scenario",),
    ),
    (
        "organics.wood",
        "organics.biomass_fuel",
        _gas_by_wood_chips,
        "wood chips 13.6 GJ/t (net CV) x natural gas 0.2027 kg CO2e/kWh net / 3.6 GJ/MWh "
        "- wood chip combustion CH4 and N2O 43.43964 kg CO2e/t; same boiler efficiency "
        "assumed, biogenic CO2 not counted",
        (
            "g6_desnz2025_woodchips_ncv",
            "g6_desnz2025_natgas_kwh_net",
            "g6_desnz2025_woodchips_scope1",
        ),
    ),
    (
        "energy.co2_gas",
        "energy.co2_greenhouse",
        _greenhouse_gas_by_co2,
        "OCAP: 205,000 t CO2 a year avoided / 400 kt CO2 a year delivered: the gas firing "
        "for CO2 that supplied CO2 displaces, per t delivered",
        ("g8_ocap_co2_avoided_factsheet", "g8_ocap_co2_delivered"),
    ),
)


@functools.cache
def credits() -> tuple[Credit, ...]:
    """Return every symbiosis credit, computed once from the cited figures.

    Examples
    --------
    >>> [(c.offered, round(c.co2e_kg_per_t, 1)) for c in credits()][:3]
    [('minerals.fly_ash', 942.0), ('minerals.slag', 883.0), ('minerals.gypsum_fgd', 29.9)]
    """
    result = []
    for offered, needed, compute, formula, inputs in _DEFINITIONS:
        for key in (offered, needed):
            if key not in taxonomy.CATEGORIES:
                raise AssertionError(f"credit ({offered}, {needed}): unknown category {key!r}")
        missing = [key for key in inputs if key not in cited_figures()]
        if missing:
            raise AssertionError(f"credit ({offered}, {needed}): no cited figure {missing}")
        result.append(Credit(offered, needed, compute(), formula, inputs))
    return tuple(result)


@functools.cache
def _by_pair() -> Mapping[tuple[str, str], Credit]:
    return MappingProxyType({(c.offered, c.needed): c for c in credits()})


@functools.cache
def credit_for(offered: str, needed: str) -> Credit | None:
    """Return the credit of an offered category meeting a needed one, or ``None``.

    The nearest pair of ancestors (offered first, then needed) that has a credit wins:
    wood residues meeting a biomass-fuel need use the ``organics.wood`` credit.

    Examples
    --------
    >>> credit_for("organics.wood.residues", "organics.biomass_fuel").offered
    'organics.wood'
    """
    pairs = _by_pair()
    for offer_key in (offered, *taxonomy.ancestors(offered)):
        for need_key in (needed, *taxonomy.ancestors(needed)):
            if (offer_key, need_key) in pairs:
                return pairs[(offer_key, need_key)]
    return None
