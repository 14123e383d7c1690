"""A fictional but realistic Cleantech Regio economy: firms and their listings, seeded.

:func:`generate` builds a deterministic economy of firms and the residual streams they
offer and the inputs they need. It feeds the web app's demo data
(``flask demo load --size small|region|national --seed N``) and the engine benchmark
(``bench/engine.py``). Everything is drawn from one :func:`numpy.random.default_rng`
seeded with ``seed``; there is no other source of randomness, so the same arguments
give identical frames on every machine and in every process.

What the economy looks like
---------------------------
* **Firms** belong to an *archetype* (brewery, dairy farm, paper mill, demolition
  contractor, ...) in one of eleven sectors that fit the region (see :data:`SECTORS`,
  :data:`ARCHETYPES`). Each archetype has a real SBI 2008 code and a list of typical
  streams it offers or needs, with plausible quantity ranges per occurrence.
* **Locations** are PC4 points of :func:`geo.geocode.pc4_table` plus a deterministic
  jitter of at most :data:`JITTER_M` metres (drawn in RD New metres, so firms that share
  a PC4 do not stack on one point). ``small`` and ``region`` place firms in the eight
  Cleantech Regio municipalities only; ``national`` spreads them over every PC4 point
  in the Netherlands, with region PC4s :data:`REGION_WEIGHT` times as likely.
* **Anchor firms** (:data:`ANCHORS`) open every economy at fixed region PC4s: a
  brewery, a dairy farm, a digester, a paper mill, ... chosen so that the engine always
  finds closed loops (brewery -> dairy farm -> digester -> brewery; arable farm <->
  digester; concrete plant <-> rubble recycler; ...) and short heat links.
* **Listings**: each firm lists its archetype's signature stream, and the remaining
  listings are drawn by weighted sampling without replacement over all firms' other
  typical streams until the requested total is reached exactly.

Fictional identities
--------------------
No generated firm can be mistaken for a real one:

* every **name** ends in the marker ``" (demo)"`` (:data:`FICTIONAL_MARKER`), e.g.
  ``"Brouwerij Korenaar (demo)"``; the middle is an invented Dutch-sounding compound
  (a prefix such as *Koren*, *Linde*, *Ravens* and a suffix such as *-aar*, *-hof*,
  *-horst*) after a trade word;
* every **KvK number** is eight digits starting with ``99`` (:data:`KVK_RANGE`), drawn
  without replacement. The Chamber of Commerce publishes no reserved test range, so no
  block is guaranteed never to be issued; the ``(demo)`` name marker is what makes a
  firm recognisably fictional, and the fixed ``99`` prefix makes demo rows easy to find
  and delete. Never load these numbers outside demo data.

The frames
----------
Text columns are ``object`` with ``None`` for a missing value, as in the canonical
frame of :mod:`flows.listing_file`; ``accepted_ewc_codes`` holds tuples (empty for
offers), ``available_from``/``available_until`` hold :class:`datetime.date` or
``None``, and numbers are ``float64`` with ``NaN`` for a missing reach or distance.
An offer's ``ewc_code`` maps to its material (:func:`flows.taxonomy.category_for_ewc`),
except PE film, which the List of Waste cannot tell from other plastic packaging: it
carries ``15 01 02`` and the material says what the lister knows. Energy and water
listings carry no code.

Quantities
----------
Ranges are per occurrence in the template's unit (``t`` per week for spent grain, MWh
per week for heat, ...), drawn log-uniformly and rounded as a person would type them
(integers from 10 up, one decimal from 1, two below). They are sized for small and
medium firms in the region; see the ``quantity`` of each :class:`StreamTemplate`.

Examples
--------
>>> economy = generate(size="small", seed=1)
>>> len(economy.firms), len(economy.listings)
(40, 200)
>>> economy.firms["name"].str.endswith(" (demo)").all()
np.True_
>>> generate(size="small", seed=1).listings.equals(economy.listings)
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pyproj import Transformer

from flows.schema import CANONICAL_LISTING_COLUMNS, CURRENT_ROUTES, FREQUENCIES, UNITS

__all__ = [
    "ANCHORS",
    "ARCHETYPES",
    "FICTIONAL_MARKER",
    "FIRM_COLUMNS",
    "JITTER_M",
    "KVK_RANGE",
    "LISTINGS_PER_FIRM",
    "REFERENCE_DATE",
    "REGION_WEIGHT",
    "SECTORS",
    "SIZES",
    "SYNTHETIC_LISTING_COLUMNS",
    "Archetype",
    "SizeSpec",
    "StreamTemplate",
    "SyntheticEconomy",
    "generate",
    "to_listing_file_frame",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]

Kind = Literal["offer", "need"]
Scope = Literal["region", "national"]

# -- public constants ----------------------------------------------------------------------

#: Every generated firm name ends with this marker, so it can never pass for a real firm.
FICTIONAL_MARKER: Final = " (demo)"
#: KvK numbers are drawn without replacement from this half-open range (see module doc).
KVK_RANGE: Final = (99_000_000, 100_000_000)
#: Largest distance between a firm and its PC4 point, in metres.
JITTER_M: Final = 400.0
#: In ``national`` economies a region PC4 is this many times as likely as any other PC4.
REGION_WEIGHT: Final = 5.0
#: Listings per firm when only one of ``n_firms`` / ``n_listings`` is given.
LISTINGS_PER_FIRM: Final = 5.0
#: Day from which one-off batches become available (a fixed date keeps runs identical).
REFERENCE_DATE: Final = date(2025, 1, 6)

#: Shares of listings that are drafts or paused; the rest are active.
_STATUS_SHARES: Final = (("active", 0.9), ("draft", 0.05), ("paused", 0.05))
#: Share of firms that list anonymously.
_ANONYMOUS_SHARE: Final = 0.2
#: Share of needs supplied from secondary material today (the rest: virgin).
_SECONDARY_SOURCE_SHARE: Final = 0.2
#: Share of needs whose current supplier distance the firm does not know.
_UNKNOWN_SOURCE_KM_SHARE: Final = 0.25

#: Columns of :attr:`SyntheticEconomy.firms`, in order.
FIRM_COLUMNS: Final = (
    "firm_ref",
    "name",
    "kvk",
    "sbi_code",
    "sector",
    "archetype",
    "postcode",
    "pc4",
    "lon",
    "lat",
    "municipality",
    "municipality_code",
    "public",
)

#: Columns of :attr:`SyntheticEconomy.listings`, in order: the listing file's columns plus
#: ``firm_ref``, ``accepted_ewc_codes`` and ``status``.
SYNTHETIC_LISTING_COLUMNS: Final = (
    "ref",
    "organisation",
    "firm_ref",
    *(c for c in CANONICAL_LISTING_COLUMNS if c not in ("row", "ref", "organisation")),
    "status",
)


@dataclass(frozen=True, slots=True)
class SizeSpec:
    """Target size of a preset economy: firm and listing counts and where firms sit."""

    n_firms: int
    n_listings: int
    scope: Scope


#: Presets of :func:`generate`: ``small`` and ``region`` stay inside the eight region
#: municipalities; ``national`` spreads 20,000 firms over the Netherlands.
SIZES: Final[Mapping[str, SizeSpec]] = MappingProxyType(
    {
        "small": SizeSpec(n_firms=40, n_listings=200, scope="region"),
        "region": SizeSpec(n_firms=400, n_listings=2_000, scope="region"),
        "national": SizeSpec(n_firms=20_000, n_listings=100_000, scope="national"),
    }
)


@dataclass(frozen=True, slots=True)
class StreamTemplate:
    """A stream a firm of some archetype typically offers or needs.

    Attributes
    ----------
    kind
        ``"offer"`` or ``"need"``.
    material
        Taxonomy key (:mod:`flows.taxonomy`).
    label
        Dutch noun phrase; the title is ``f"{label}, {frequency in Dutch}"``.
    unit, frequency
        From :data:`flows.schema.UNITS` and :data:`flows.schema.FREQUENCIES`.
    quantity
        ``(low, high)`` per occurrence, in ``unit``; drawn log-uniformly.
    ewc_codes
        Offers: the codes one is drawn from (each maps to ``material``, or to its branch
        for a category the List of Waste cannot name, such as PE film). Needs: the
        accepted codes (empty: any code, or no code at all for energy and water).
    weight
        Relative propensity to be listed beyond the signature stream.
    routes
        Offers: ``(current_route, share)`` pairs; shares sum to 1.
    max_distance_km
        Needs: the round distances a firm picks its limit from.
    source_km
        Needs: ``(low, high)`` distance to today's supplier in km, or ``None`` where a
        distance means nothing (grid heat, groundwater).
    description
        Dutch sentence shown on the listing.
    """

    kind: Kind
    material: str
    label: str
    unit: str
    frequency: str
    quantity: tuple[float, float]
    ewc_codes: tuple[str, ...] = ()
    weight: float = 1.0
    routes: tuple[tuple[str, float], ...] = ()
    max_distance_km: tuple[float, ...] = ()
    source_km: tuple[float, float] | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Archetype:
    """A kind of firm: sector, SBI 2008 code, name words and typical streams.

    The first stream is the *signature* stream every firm of the archetype lists.
    """

    key: str
    sector: str
    sbi_code: str
    weight: float
    name_words: tuple[str, ...]
    streams: tuple[StreamTemplate, ...]


@dataclass(frozen=True)
class SyntheticEconomy:
    """A generated economy: the ``firms`` and the ``listings`` they publish.

    ``firms`` has :data:`FIRM_COLUMNS`, one row per firm; ``listings`` has
    :data:`SYNTHETIC_LISTING_COLUMNS`, one row per offer or need, linked by ``firm_ref``.
    """

    firms: pd.DataFrame
    listings: pd.DataFrame


# -- the sector table ----------------------------------------------------------------------

#: Sector key -> (Dutch label, share of firms). Shares follow the region's economy:
#: strong agri-food and hospitality, paper in Eerbeek, metal in Apeldoorn, logistics
#: along the A1 at Deventer.
SECTORS: Final[Mapping[str, tuple[str, float]]] = MappingProxyType(
    {
        "agriculture": ("Landbouw", 0.17),
        "food_and_drink": ("Voedingsmiddelen en dranken", 0.12),
        "hospitality": ("Horeca", 0.13),
        "construction_and_demolition": ("Bouw en sloop", 0.12),
        "metal_and_machinery": ("Metaal en machinebouw", 0.10),
        "logistics": ("Logistiek", 0.08),
        "wood_and_furniture": ("Hout en meubels", 0.06),
        "paper_and_packaging": ("Papier en verpakking", 0.05),
        "chemicals_and_plastics": ("Chemie en kunststof", 0.05),
        "waste_processing": ("Afvalverwerking en recycling", 0.07),
        "energy": ("Energie", 0.05),
    }
)

# Distances a need's maximum is picked from (road km); bulky low-value streams travel
# less far than metals or paper, and heat only a few kilometres through a pipe.
_NEAR: Final = (10.0, 15.0, 20.0, 25.0, 30.0)
_REGIONAL: Final = (15.0, 20.0, 25.0, 30.0, 40.0, 50.0)
_WIDE: Final = (25.0, 30.0, 40.0, 50.0, 60.0, 75.0)
_HEAT: Final = (2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
_PIPE: Final = (2.0, 4.0, 5.0, 8.0, 10.0)

_FEED_CODES: Final = ("02 07 01", "02 06 01", "02 05 01", "02 03 04")


def _offer(
    material: str,
    label: str,
    unit: str,
    frequency: str,
    quantity: tuple[float, float],
    ewc_codes: tuple[str, ...],
    routes: tuple[tuple[str, float], ...],
    *,
    weight: float = 1.0,
    description: str = "",
) -> StreamTemplate:
    return StreamTemplate(
        kind="offer",
        material=material,
        label=label,
        unit=unit,
        frequency=frequency,
        quantity=quantity,
        ewc_codes=ewc_codes,
        weight=weight,
        routes=routes,
        description=description,
    )


def _need(
    material: str,
    label: str,
    unit: str,
    frequency: str,
    quantity: tuple[float, float],
    accepted: tuple[str, ...],
    max_distance_km: tuple[float, ...],
    source_km: tuple[float, float] | None,
    *,
    weight: float = 1.0,
    description: str = "",
) -> StreamTemplate:
    return StreamTemplate(
        kind="need",
        material=material,
        label=label,
        unit=unit,
        frequency=frequency,
        quantity=quantity,
        ewc_codes=accepted,
        weight=weight,
        max_distance_km=max_distance_km,
        source_km=source_km,
        description=description,
    )


_TO_FEED: Final = (("other", 0.6), ("digestion", 0.3), ("composting", 0.1))
_TO_DIGESTER: Final = (("digestion", 0.6), ("composting", 0.3), ("incineration", 0.1))
_TO_RECYCLING: Final = (("recycling", 0.8), ("incineration", 0.2))
_TO_INCINERATION: Final = (("incineration", 0.7), ("recycling", 0.3))
_MINERALS: Final = (("recycling", 0.7), ("landfill", 0.3))
_METALS: Final = (("recycling", 1.0),)
_WOOD: Final = (("incineration", 0.6), ("recycling", 0.4))
_LAND: Final = (("land_spreading", 0.8), ("digestion", 0.2))
# Heat, gas and water that are not used today are vented, flared or discharged.
_UNUSED: Final = (("other", 1.0),)

# fmt: off
# Streams many archetypes share.
_PALLETS = _offer("packaging.pallets", "Houten pallets", "pcs", "month", (40, 400),
                  ("15 01 03",), (("recycling", 0.7), ("incineration", 0.3)), weight=0.6,
                  description="Gebruikte europallets en blokpallets, deels herstelbaar.")
_FILM = _offer("plastics.pe_film", "PE-folie (stretch- en krimpfolie)", "t", "month", (0.3, 4),
               ("15 01 02",), _TO_INCINERATION, weight=0.6,
               description="Schone transparante PE-folie, geperst in balen.")
_CARDBOARD = _offer("paper", "Karton en papier", "t", "month", (0.5, 12), ("15 01 01",),
                    _TO_RECYCLING, weight=0.6,
                    description="Golfkarton en papier, los of in balen, droog opgeslagen.")
_GLASS = _offer("glass", "Glazen flessen en potten", "t", "month", (0.2, 2), ("15 01 07",),
                _TO_RECYCLING, weight=0.5, description="Gemengd verpakkingsglas, zonder deksels.")
_FOOD_WASTE = _offer("organics.biowaste", "Swill en etensresten", "kg", "week", (80, 900),
                     ("20 01 08",), _TO_DIGESTER,
                     description="Keuken- en etensresten, gescheiden ingezameld in rolcontainers.")
_COOKING_OIL = _offer("oils_fats.edible", "Gebruikt frituurvet", "kg", "month", (40, 400),
                      ("20 01 25",), (("recycling", 0.9), ("other", 0.1)),
                      description="Gebruikte frituurolie en -vet in vaten van 20 liter.")
_NEED_PALLETS = _need("packaging.pallets", "Gebruikte pallets", "pcs", "month", (50, 500),
                      ("15 01 03",), _REGIONAL, (20, 80), weight=0.4,
                      description="Europallets in redelijke staat voor intern transport.")
_NEED_WATER = _need("water.process", "Proceswater", "m3", "week", (100, 800), (), _PIPE, None,
                    weight=0.7,
                    description="Gezuiverd proces- of koelwater ter vervanging van grondwater.")
_NEED_HEAT = _need("energy.heat_low_temperature", "Warmte voor ruimteverwarming", "MWh", "week",
                   (10, 80), (), _HEAT, None, weight=0.8,
                   description="Warmte vanaf 35 °C voor vloerverwarming of een warmtepomp.")
_NEED_FUEL_GAS = _need("energy.fuel_gas", "Groen gas voor de ketel", "MWh", "week", (20, 150),
                       (), _REGIONAL, None, weight=0.6,
                       description="Biogas of groen gas ter vervanging van aardgas.")
_CANTEEN = _offer("organics.biowaste", "Kantineafval", "kg", "week", (20, 200), ("20 01 08",),
                  _TO_DIGESTER, weight=0.3,
                  description="GFT uit de bedrijfskantine, gescheiden ingezameld.")
_SCRAP = _offer("metals.mixed", "Oud metaal uit onderhoud", "t", "year", (1, 10), ("20 01 40",),
                _METALS, weight=0.4,
                description="Gemengd oud metaal uit onderhoud en reparaties, in een container.")
_COFFEE = _offer("organics.biowaste", "Koffiedik", "kg", "week", (10, 80), ("20 01 08",),
                 _TO_DIGESTER, weight=0.5,
                 description="Koffiedik uit de espressomachines, droog bewaard.")
_NEED_STEAM = _need("energy.steam", "Stoom", "MWh", "week", (30, 300), (), _HEAT, None,
                    weight=0.7, description="Processtoom van 8-12 bar.")

#: Every archetype; the first stream of each is its signature stream.
ARCHETYPES: Final[tuple[Archetype, ...]] = (
    # -- food and drink --------------------------------------------------------------------
    Archetype("brewery", "food_and_drink", "11.05", 1.0,
              ("Brouwerij", "Bierbrouwerij", "Stadsbrouwerij"), (
        _offer("organics.spent_grain", "Bierbostel", "t", "week", (10, 40), ("02 07 01",),
               _TO_FEED,
               description="Vers bierbostel (ca. 22 % droge stof), direct na het brouwen."),
        _offer("energy.co2_gas", "Gistings-CO2", "t", "month", (5, 40), (), _UNUSED, weight=0.6,
               description="Opgevangen CO2 uit de gisting, zuiver na drogen."),
        _NEED_WATER,
        _NEED_FUEL_GAS,
        _NEED_HEAT,
        _PALLETS,
        _CARDBOARD,
        _GLASS,
    )),
    Archetype("bakery", "food_and_drink", "10.71", 1.2,
              ("Bakkerij", "Broodbakkerij", "Banketbakkerij"), (
        _offer("organics.food_residues", "Brood- en banketresten", "t", "week", (0.5, 4),
               ("02 06 01",), _TO_FEED,
               description="Onverkocht brood en productieresten, verpakkingsvrij."),
        _offer("paper", "Papieren meelzakken", "t", "month", (0.3, 2), ("15 01 01",),
               _TO_RECYCLING, description="Lege papieren meelzakken, uitgeklopt."),
        _NEED_FUEL_GAS,
        _FILM,
        _NEED_HEAT,
        _NEED_PALLETS,
        _CARDBOARD,
    )),
    Archetype("dairy_processor", "food_and_drink", "10.51", 0.5,
              ("Zuivelfabriek", "Kaasmakerij", "Zuivelbedrijf"), (
        _offer("energy.heat_low_temperature", "Restwarmte uit koeling", "MWh", "week", (30, 250),
               (), _UNUSED, description="Warm water van 30-45 °C uit de koelinstallaties."),
        _offer("water.treated_effluent", "Koewater (gezuiverd condensaat)", "m3", "week",
               (300, 2_000), (), _UNUSED,
               description="Condensaat uit het indampen van melk, nagezuiverd."),
        _offer("organics.food_residues", "Wei en zuivelresten", "t", "week", (5, 40),
               ("02 05 01",), _TO_FEED,
               description="Zure wei en afgekeurde zuivel, geschikt als diervoeder."),
        _offer("sludges.organic", "Slib uit de eigen waterzuivering", "t", "month", (10, 80),
               ("02 05 02",), _TO_DIGESTER,
               description="Ontwaterd slib uit de bedrijfswaterzuivering."),
        _need("energy.steam", "Stoom", "MWh", "week", (50, 300), (), _HEAT, None,
              description="Stoom van 10 bar voor pasteurisatie en reiniging."),
        _PALLETS,
        _FILM,
        _CANTEEN,
    )),
    Archetype("vegetable_processor", "food_and_drink", "10.39", 0.6,
              ("Groenteverwerking", "Aardappelverwerking", "Versverwerking"), (
        _offer("organics.food_residues", "Groente- en aardappelschillen", "t", "week", (5, 30),
               ("02 03 04",), _TO_FEED,
               description="Schillen, snijresten en afgekeurde partijen, vers."),
        _offer("sludges.organic", "Zetmeelhoudend slib", "t", "month", (10, 60), ("02 03 05",),
               _TO_DIGESTER, description="Slib uit de bedrijfswaterzuivering en zetmeelwinning."),
        _offer("water.treated_effluent", "Gezuiverd proceswater", "m3", "week", (200, 1_500),
               (), _UNUSED, weight=0.6,
               description="Effluent van de eigen waterzuivering, geschikt voor hergebruik."),
        _NEED_WATER,
        _NEED_HEAT,
        _NEED_PALLETS,
        _CARDBOARD,
    )),
    Archetype("feed_mill", "food_and_drink", "10.91", 0.4,
              ("Mengvoederbedrijf", "Veevoederfabriek", "Voederbedrijf"), (
        _need("organics.animal_feed", "Natte bijproducten als voergrondstof", "t", "week",
              (10, 80), _FEED_CODES, _WIDE, (40, 200),
              description="Bostel, brood-, zuivel- en groenteresten voor brij- en mengvoer."),
        _offer("paper", "Papieren grondstofzakken", "t", "month", (0.5, 3), ("15 01 01",),
               _TO_RECYCLING, description="Lege papieren grondstofzakken."),
        _NEED_STEAM,
        _FILM,
        _PALLETS,
        _SCRAP,
        _NEED_HEAT,
    )),
    # -- agriculture -----------------------------------------------------------------------
    Archetype("dairy_farm", "agriculture", "01.41.1", 1.5,
              ("Melkveebedrijf", "Melkveehouderij", "Zuivelboerderij"), (
        _offer("organics.manure", "Rundveedrijfmest", "t", "week", (20, 120), ("02 01 06",),
               _LAND, description="Rundveedrijfmest, bemonsterd; afvoer met tankwagen."),
        _need("organics.animal_feed", "Veevoer (natte bijproducten)", "t", "week", (5, 30),
              _FEED_CODES, _REGIONAL, (30, 150),
              description="Bierbostel of andere natte bijproducten voor het rantsoen."),
        _need("organics.wood.residues", "Zaagsel als boxstrooisel", "t", "month", (2, 15),
              ("03 01 05",), _REGIONAL, (40, 150), weight=0.8,
              description="Droog, onbehandeld zaagsel voor de ligboxen."),
        _offer("plastics.pe_film", "Kuilfolie", "t", "year", (1, 5), ("02 01 04",),
               _TO_INCINERATION, weight=0.8,
               description="Gebruikte kuil- en wikkelfolie, veegschoon."),
        _need("minerals.gypsum", "Gips als boxstrooisel", "t", "year", (10, 60), ("17 08 02",),
              _REGIONAL, (50, 200), weight=0.4,
              description="Gerecycled gipspoeder, vrij van papier en spijkers."),
        _need("minerals.sand", "Zand voor de ligboxen", "t", "year", (20, 120),
              ("01 04 09", "19 08 02"), _NEAR, (15, 60), weight=0.5,
              description="Schoon, droog zand als boxbedekking."),
        _SCRAP,
    )),
    Archetype("pig_farm", "agriculture", "01.46.3", 0.8,
              ("Varkensbedrijf", "Varkenshouderij", "Zeugenhouderij"), (
        _need("organics.animal_feed", "Brijvoergrondstoffen", "t", "week", (5, 40), _FEED_CODES,
              _REGIONAL, (30, 150),
              description="Brood-, zuivel- en aardappelresten voor brijvoer."),
        _offer("organics.manure", "Varkensdrijfmest", "t", "week", (20, 100), ("02 01 06",),
               _LAND, description="Varkensdrijfmest, met analyserapport."),
        _NEED_HEAT,
        _need("organics.biomass_fuel", "Houtsnippers voor de biomassaketel", "t", "month",
              (5, 30), ("03 01 05", "03 01 01", "17 02 01", "20 02 01"), _REGIONAL, (30, 120),
              weight=0.5, description="Droge houtsnippers voor de stalverwarming."),
        _FILM,
        _SCRAP,
    )),
    Archetype("poultry_farm", "agriculture", "01.47.2", 0.6,
              ("Pluimveebedrijf", "Kuikenmesterij", "Pluimveehouderij"), (
        _offer("organics.manure", "Pluimveemest", "t", "month", (20, 120), ("02 01 06",),
               (("other", 0.6), ("land_spreading", 0.4)),
               description="Droge pluimveemest, geschikt voor verbranding of export."),
        _need("organics.wood.residues", "Houtkrullen als strooisel", "t", "month", (3, 15),
              ("03 01 05",), _REGIONAL, (40, 150),
              description="Stofarme houtkrullen voor de stalvloer."),
        _NEED_HEAT,
        _need("organics.biomass_fuel", "Biomassa voor de stalverwarming", "t", "month", (5, 25),
              ("03 01 05", "03 01 01", "20 02 01"), _REGIONAL, (30, 120), weight=0.5,
              description="Houtsnippers of houtpellets voor de biomassaketel."),
        _FILM,
        _CARDBOARD,
    )),
    Archetype("arable_farm", "agriculture", "01.13.4", 0.9,
              ("Akkerbouwbedrijf", "Landbouwbedrijf", "Akkerbouw"), (
        _offer("organics.green_waste", "Gewasresten (loof en stro)", "t", "year", (20, 200),
               ("02 01 03",), (("land_spreading", 0.6), ("digestion", 0.4)),
               description="Aardappelloof, bietenblad en stro na de oogst."),
        _need("organics.soil_improver", "Digestaat of compost", "t", "year", (100, 800),
              ("19 06 06", "19 05 03", "02 01 06"), _NEAR, (10, 60),
              description="Organische mest voor het voorjaar, met analyse op N en P."),
        _need("organics.manure", "Drijfmest", "t", "year", (200, 1_500), ("02 01 06",), _NEAR,
              (5, 40), description="Rundvee- of varkensdrijfmest, aan te voeren februari-mei."),
        _offer("plastics.pe_film", "Landbouwfolie", "t", "year", (0.5, 3), ("02 01 04",),
               _TO_INCINERATION, weight=0.5, description="Afdekfolie, grof gereinigd."),
        _offer("organics.green_waste", "Uitgesorteerde aardappelen en uien", "t", "year",
               (10, 80), ("02 01 03",), (("digestion", 0.6), ("composting", 0.4)), weight=0.6,
               description="Uitval uit de sorteerlijn, te klein of beschadigd."),
        _SCRAP,
    )),
    Archetype("greenhouse", "agriculture", "01.13.2", 0.5,
              ("Kwekerij", "Tuinderij", "Glastuinbouw"), (
        _need("energy.hot_water", "Warmte voor de kassen", "MWh", "week", (50, 400), (), _HEAT,
              None, description="Warm water vanaf 50 °C voor kasverwarming, jaarrond."),
        _need("energy.co2_greenhouse", "CO2 voor gewasbemesting", "t", "month", (20, 150), (),
              _WIDE, (40, 150), description="Zuivere CO2 voor dosering in de kas."),
        _offer("organics.green_waste", "Groenafval uit de kas", "t", "month", (5, 40),
               ("02 01 03",), (("composting", 0.8), ("digestion", 0.2)),
               description="Stengels, blad en afgekeurde planten, zonder substraat."),
        _need("energy.fuel_gas", "Biogas voor de WKK", "MWh", "week", (30, 200), (), _REGIONAL,
              None, weight=0.5,
              description="Biogas ter vervanging van aardgas in de warmtekrachtinstallatie."),
        _FILM,
        _offer("other", "Steenwol substraatmatten", "t", "year", (20, 150), ("17 06 04",),
               (("recycling", 0.6), ("landfill", 0.4)), weight=0.6,
               description="Gebruikte steenwolmatten na de teelt, zonder folie."),
    )),
    Archetype("mushroom_grower", "agriculture", "01.13.3", 0.15,
              ("Champignonkwekerij", "Paddenstoelenkwekerij", "Champignonteelt"), (
        _offer("organics.green_waste", "Champost", "t", "week", (20, 100), ("02 01 03",),
               (("land_spreading", 0.7), ("composting", 0.3)),
               description="Uitgeteelde champignoncompost, rijk aan organische stof."),
        _need("organics.manure", "Paardenmest en kippenmest voor substraat", "t", "week",
              (10, 60), ("02 01 06",), _REGIONAL, (30, 120),
              description="Mest als grondstof voor champignonsubstraat."),
        _need("organics.green_waste", "Stro voor substraat", "t", "week", (10, 50),
              ("02 01 03",), _REGIONAL, (30, 150), description="Tarwestro, droog geperst."),
        _need("organics.biowaste", "Koffiedik voor oesterzwammen", "kg", "week", (100, 800),
              ("20 01 08",), _NEAR, None, weight=0.6,
              description="Vers koffiedik, binnen twee dagen na inzameling."),
        _NEED_HEAT,
        _FILM,
    )),
    # -- paper and packaging ---------------------------------------------------------------
    Archetype("paper_mill", "paper_and_packaging", "17.12.2", 0.4,
              ("Papierfabriek", "Kartonfabriek", "Papierindustrie"), (
        _need("paper", "Oud papier en karton", "t", "week", (50, 400),
              ("15 01 01", "20 01 01", "19 12 01"), _WIDE, (50, 250),
              description="Gesorteerd oud papier en golfkarton (kwaliteit 1.04/1.05)."),
        _offer("sludges.other", "Ontinktingsslib", "t", "week", (20, 120), ("03 03 05",),
               (("incineration", 0.6), ("recycling", 0.3), ("landfill", 0.1)),
               description="Ontwaterd papierslib (ca. 50 % droge stof), rijk aan vezels en kalk."),
        _offer("energy.hot_water", "Restwarmte uit de droogpartij", "MWh", "week", (100, 600), (),
               _UNUSED, description="Warm water van 60-80 °C uit de wasemkap."),
        _need("energy.steam", "Processtoom", "MWh", "week", (300, 1_500), (), _HEAT, None,
              description="Stoom van 12 bar voor de droogcilinders."),
        _offer("other", "Rejects uit de pulper", "t", "month", (20, 120), ("03 03 07",),
               (("incineration", 0.9), ("recycling", 0.1)), weight=0.4,
               description="Kunststoffen, nietjes en vezels uit het verpulpen van oud papier."),
        _NEED_WATER,
        _CANTEEN,
        _SCRAP,
    )),
    Archetype("packaging_maker", "paper_and_packaging", "17.21.2", 0.6,
              ("Kartonnagefabriek", "Verpakkingsbedrijf", "Golfkartonfabriek"), (
        _offer("paper", "Snijafval golfkarton", "t", "week", (3, 30), ("15 01 01",),
               _TO_RECYCLING, description="Schone stansresten en snijafval, in balen geperst."),
        _need("energy.steam", "Stoom voor de golfkartonmachine", "MWh", "week", (30, 150), (),
              _HEAT, None, weight=0.7, description="Stoom van 10-12 bar voor de golfkartonstraat."),
        _FILM,
        _PALLETS,
        _NEED_PALLETS,
        _CANTEEN,
        _SCRAP,
    )),
    Archetype("printer", "paper_and_packaging", "18.12", 0.5,
              ("Drukkerij", "Grafisch Bedrijf", "Offsetdrukkerij"), (
        _offer("paper", "Inschiet- en snijpapier", "t", "month", (1, 10), ("20 01 01",),
               _TO_RECYCLING, description="Wit en bedrukt snijafval, gesorteerd."),
        _PALLETS,
        _FILM,
        _CARDBOARD,
        _NEED_PALLETS,
        _NEED_HEAT,
    )),
    # -- metal and machinery ---------------------------------------------------------------
    Archetype("metal_workshop", "metal_and_machinery", "25.62", 1.5,
              ("Metaalbewerking", "Constructiebedrijf", "Machinefabriek"), (
        _offer("metals.ferrous", "Staalkrullen en snijresten", "t", "month", (1, 15),
               ("12 01 01",), _METALS,
               description="Ontoliede staalkrullen en plaatresten, per soort gescheiden."),
        _offer("metals.non_ferrous", "Aluminium spanen", "t", "month", (0.2, 3), ("12 01 03",),
               _METALS, weight=0.8, description="Droge aluminium spanen, vrij van staal."),
        _PALLETS,
        _FILM,
        _CARDBOARD,
        _NEED_PALLETS,
        _NEED_HEAT,
        _CANTEEN,
    )),
    Archetype("foundry", "metal_and_machinery", "24.51", 0.3,
              ("Gieterij", "IJzergieterij", "Metaalgieterij"), (
        _need("metals.ferrous", "Staalschroot als smeltgrondstof", "t", "week", (20, 150),
              ("12 01 01", "17 04 05", "19 12 02"), _WIDE, (50, 250),
              description="Schoon staalschroot en krullen, analyse gewenst."),
        _offer("minerals.other", "Gebruikt vormzand", "t", "week", (10, 80), ("10 09 08",),
               _MINERALS, description="Uitgebroken vormzand, bentoniet-gebonden."),
        _offer("energy.hot_water", "Restwarmte uit de ovenkoeling", "MWh", "week", (50, 300), (),
               _UNUSED, description="Koelwater van 70-90 °C uit de inductieovens."),
        _offer("minerals.slag", "Gieterijslak", "t", "month", (5, 40), ("10 09 03",), _MINERALS,
               weight=0.6, description="Slak uit de inductieovens, gebroken."),
        _PALLETS,
        _FILM,
        _CANTEEN,
    )),
    Archetype("machine_builder", "metal_and_machinery", "28.30", 0.6,
              ("Machinebouw", "Werktuigenbouw", "Machinefabriek"), (
        _offer("metals.ferrous", "Staalresten", "t", "month", (2, 20), ("12 01 01", "12 01 02"),
               _METALS, description="Plaat- en profielresten van constructiestaal."),
        _PALLETS,
        _FILM,
        _CARDBOARD,
        _NEED_PALLETS,
        _offer("metals.non_ferrous", "Koper- en aluminiumspanen", "t", "month", (0.1, 2),
               ("12 01 03",), _METALS, weight=0.6,
               description="Non-ferro spanen uit het verspanen, per soort."),
        _NEED_HEAT,
    )),
    # -- construction and demolition -------------------------------------------------------
    Archetype("demolition", "construction_and_demolition", "43.11", 0.8,
              ("Sloopbedrijf", "Sloop- en Demontagebedrijf", "Sloopwerken"), (
        _offer("minerals.concrete_rubble", "Betonpuin", "t", "once", (200, 3_000), ("17 01 01",),
               _MINERALS,
               description="Schoon betonpuin uit selectieve sloop, asbestvrij verklaard."),
        _offer("minerals.bricks", "Metselwerkpuin en stenen", "t", "once", (50, 800),
               ("17 01 02",), _MINERALS,
               description="Baksteen en metselwerk, deels geschikt voor hergebruik."),
        _offer("organics.wood", "Sloophout (B-hout)", "t", "once", (10, 120), ("17 02 01",),
               _WOOD, description="Gesorteerd sloophout, ontdaan van glas en beslag."),
        _offer("minerals.gypsum", "Gipsplaten uit sloop", "t", "once", (5, 60), ("17 08 02",),
               _MINERALS, description="Gipskartonplaten, droog en zonder tegels."),
        _offer("metals.ferrous", "Wapenings- en constructiestaal", "t", "once", (10, 200),
               ("17 04 05",), _METALS, description="Staal uit sloop, op lengte geknipt."),
        _offer("metals.aluminium", "Aluminium kozijnen", "t", "once", (1, 15), ("17 04 02",),
               _METALS, weight=0.6, description="Aluminium kozijnen, zonder glas."),
        _offer("glass", "Vlakglas", "t", "once", (2, 20), ("17 02 02",), _MINERALS, weight=0.5,
               description="Enkel en dubbel glas uit kozijnen."),
    )),
    Archetype("contractor", "construction_and_demolition", "41.20", 1.3,
              ("Bouwbedrijf", "Aannemersbedrijf", "Bouwonderneming"), (
        _offer("minerals.soil", "Grond en stenen", "t", "once", (100, 2_000), ("17 05 04",),
               _MINERALS, description="Vrijkomende grond, onderzocht volgens BRL SIKB 1000."),
        _need("minerals.aggregates", "Granulaat voor funderingen", "t", "once", (100, 1_500),
              ("17 01 01", "17 01 07", "17 01 02", "19 12 09"), _NEAR, (20, 80),
              description="Menggranulaat of betongranulaat 0/31,5 voor wegfundering."),
        _need("minerals.sand", "Ophoogzand", "t", "once", (200, 2_000),
              ("01 04 09", "17 01 01"), _NEAR, (20, 80),
              description="Zand of breekzand voor ophoging en cunet."),
        _need("minerals.soil", "Grond voor ophoging", "t", "once", (100, 1_500), ("17 05 04",),
              _NEAR, (10, 50), weight=0.6, description="Schone grond, klasse landbouw/natuur."),
        _offer("minerals.gypsum", "Gipsplaatresten", "t", "month", (0.5, 5), ("17 08 02",),
               _MINERALS, description="Zaagresten van gipsplaat, gescheiden ingezameld."),
        _offer("organics.wood", "Bouwhout (A- en B-hout)", "t", "month", (1, 8), ("17 02 01",),
               _WOOD, description="Resthout van de bouwplaats, zonder verf of impregnering."),
        _PALLETS,
    )),
    Archetype("concrete_plant", "construction_and_demolition", "23.63", 0.4,
              ("Betoncentrale", "Betonmortelcentrale", "Betonfabriek"), (
        _need("minerals.aggregates", "Betongranulaat als toeslagmateriaal", "t", "week",
              (50, 400), ("17 01 01", "19 12 09"), _REGIONAL, (30, 120),
              description="Betongranulaat 4/16 of 4/32 ter vervanging van grind."),
        _need("minerals.sand", "Zand als toeslagmateriaal", "t", "week", (50, 500),
              ("01 04 09", "19 08 02", "17 01 01"), _REGIONAL, (30, 120),
              description="Gewassen zand 0/4 voor betonmortel."),
        _need("minerals.cement", "Vliegas als cementvervanger", "t", "month", (20, 200),
              ("10 01 02", "10 01 17"), _WIDE, (80, 250),
              description="Vliegas volgens NEN-EN 450-1."),
        _offer("minerals.concrete_rubble", "Restbeton en spoelresten", "t", "week", (5, 40),
               ("10 13 14",), _MINERALS,
               description="Uitgeharde retourbeton en slib uit de spoelinstallatie."),
        _NEED_WATER,
        _PALLETS,
        _SCRAP,
    )),
    Archetype("plasterboard_maker", "construction_and_demolition", "23.62", 0.15,
              ("Gipsplatenfabriek", "Gipsindustrie", "Gipsfabriek"), (
        _need("minerals.gypsum", "Gerecycled gips", "t", "week", (30, 200),
              ("17 08 02", "10 01 05"), _WIDE, (60, 250),
              description="Gipsplaatresten, gerecycled gipspoeder of REA-gips."),
        _offer("minerals.gypsum", "Productieafval gipsplaat", "t", "week", (2, 15), ("17 08 02",),
               _MINERALS, description="Breuk en randstroken uit de productie."),
        _need("paper", "Oud karton voor de plaatbekleding", "t", "week", (10, 60),
              ("15 01 01", "19 12 01"), _WIDE, (50, 250), weight=0.6,
              description="Golfkarton en karton als grondstof voor de kartonlaag."),
        _NEED_HEAT,
        _PALLETS,
        _FILM,
        _NEED_WATER,
    )),
    Archetype("brickworks", "construction_and_demolition", "23.32", 0.2,
              ("Steenfabriek", "Baksteenfabriek", "Kleiwarenfabriek"), (
        _need("sludges.other", "Papierslib als porisant", "t", "week", (10, 60),
              ("03 03 05", "03 03 10"), _WIDE, (50, 200),
              description="Papierslib dat de klei lichter maakt en brandstof bespaart."),
        _need("minerals.sand", "Zand voor de klei", "t", "week", (20, 150), ("01 04 09",),
              _REGIONAL, (20, 100), description="Fijn zand om de klei te magereren."),
        _offer("minerals.bricks", "Breukstenen", "t", "month", (20, 150), ("10 12 08",),
               _MINERALS, description="Afgekeurde en gebroken bakstenen, gebakken."),
        _offer("energy.hot_water", "Restwarmte uit de tunneloven", "MWh", "week", (40, 250), (),
               _UNUSED, description="Warme lucht en water uit de koelzone van de oven."),
        _need("organics.wood.residues", "Zaagsel als porisant", "t", "month", (10, 60),
              ("03 01 05",), _REGIONAL, (50, 200), weight=0.6,
              description="Fijn zaagsel dat in de oven uitbrandt en poriën achterlaat."),
        _PALLETS,
        _FILM,
    )),
    # -- chemicals and plastics ------------------------------------------------------------
    Archetype("plastics_processor", "chemicals_and_plastics", "22.22", 0.8,
              ("Kunststofverwerking", "Folie-industrie", "Kunststoffabriek"), (
        _need("plastics.pe_film", "PE-folie als grondstof", "t", "month", (10, 80),
              ("15 01 02", "02 01 04", "07 02 13"), _WIDE, (100, 400),
              description="Gesorteerde LDPE-folie voor eigen regranulering."),
        _offer("plastics.pe_film", "Productieafval PE", "t", "month", (1, 10), ("07 02 13",),
               _TO_RECYCLING, description="Randstroken en opstartmateriaal, sortzuiver LDPE."),
        _CARDBOARD,
        _PALLETS,
        _NEED_HEAT,
        _CANTEEN,
        _SCRAP,
    )),
    Archetype("chemical_plant", "chemicals_and_plastics", "20.59", 0.3,
              ("Chemische Fabriek", "Chemiebedrijf", "Specialiteitenchemie"), (
        _need("energy.steam", "Stoom", "MWh", "week", (100, 600), (), _HEAT, None,
              description="Stoom van 15 bar voor reactoren en destillatie."),
        _offer("energy.heat_low_temperature", "Restwarmte uit koelwater", "MWh", "week",
               (40, 250), (), _UNUSED,
               description="Koelwater van 30-45 °C, geschikt voor warmtepompen."),
        _offer("water.cooling", "Koelwater", "m3", "week", (500, 3_000), (), _UNUSED, weight=0.6,
               description="Doorstroomkoelwater, alleen opgewarmd."),
        _need("oils_fats.biofuel_feedstock", "Gebruikt frituurvet als grondstof", "t", "month",
              (5, 40), ("20 01 25",), _WIDE, (100, 500), weight=0.8,
              description="Ingezameld frituurvet voor biodiesel en oleochemie."),
        _NEED_WATER,
        _PALLETS,
        _SCRAP,
        _CANTEEN,
    )),
    # -- wood and furniture ----------------------------------------------------------------
    Archetype("sawmill", "wood_and_furniture", "16.10.1", 0.4,
              ("Houtzagerij", "Zagerij", "Houthandel"), (
        _offer("organics.wood.residues", "Zaagsel en schaafkrullen", "t", "week", (3, 25),
               ("03 01 05",), (("incineration", 0.5), ("recycling", 0.5)),
               description="Onbehandeld zaagsel en krullen van naald- en loofhout."),
        _offer("organics.wood.residues", "Schors en zaagranden", "t", "month", (20, 120),
               ("03 01 01",), (("incineration", 1.0),),
               description="Schors en kapresten, geschikt als biomassabrandstof."),
        _NEED_HEAT,
        _NEED_PALLETS,
        _FILM,
        _SCRAP,
    )),
    Archetype("furniture_maker", "wood_and_furniture", "31.09", 0.8,
              ("Meubelmakerij", "Interieurbouw", "Meubelfabriek"), (
        _offer("organics.wood.residues", "Houtresten en zaagsel", "t", "month", (1, 10),
               ("03 01 05",), _WOOD,
               description="Resthout en zaagsel van massief hout en plaatmateriaal."),
        _CARDBOARD,
        _FILM,
        _NEED_PALLETS,
        _offer("textiles", "Stofresten", "kg", "month", (50, 500), ("04 02 22",),
               _TO_INCINERATION, weight=0.5, description="Snijresten van meubelstof."),
        _NEED_HEAT,
        _PALLETS,
    )),
    Archetype("pallet_maker", "wood_and_furniture", "16.24", 0.3,
              ("Pallethandel", "Palletfabriek", "Emballagebedrijf"), (
        _need("packaging.pallets", "Gebruikte pallets voor reparatie", "pcs", "week",
              (200, 2_000), ("15 01 03",), _WIDE, (30, 120),
              description="Alle maten pallets, ook beschadigd."),
        _offer("organics.wood.residues", "Zaagsel en klossen", "t", "month", (5, 40),
               ("03 01 05",), _WOOD, description="Zaagsel en afgekeurde klossen."),
        _need("organics.wood", "Resthout voor palletreparatie", "t", "month", (10, 60),
              ("17 02 01", "19 12 07", "20 01 38"), _REGIONAL, (50, 200), weight=0.5,
              description="Bruikbare planken en balken, onbehandeld."),
        _SCRAP,
        _NEED_HEAT,
        _FILM,
    )),
    # -- logistics -------------------------------------------------------------------------
    Archetype("distribution_centre", "logistics", "52.10.9", 1.0,
              ("Distributiecentrum", "Logistiek Centrum", "Warehousing"), (
        _offer("plastics.pe_film", "Stretchfolie", "t", "month", (1, 12), ("15 01 02",),
               _TO_INCINERATION,
               description="Transparante stretchfolie, in balen van ca. 400 kg."),
        _offer("packaging.pallets", "Pallets", "pcs", "week", (50, 600), ("15 01 03",),
               (("recycling", 0.7), ("incineration", 0.3)),
               description="Wegwerp- en europallets, gesorteerd op maat."),
        _offer("paper", "Golfkarton", "t", "week", (2, 20), ("15 01 01",), _TO_RECYCLING,
               description="Golfkarton uit orderpicking, in balen."),
        _NEED_PALLETS,
        _CANTEEN,
        _SCRAP,
        _NEED_HEAT,
    )),
    Archetype("haulier", "logistics", "49.41", 0.8,
              ("Transportbedrijf", "Transport en Logistiek", "Expeditie"), (
        _offer("packaging.pallets", "Retourpallets", "pcs", "month", (50, 400), ("15 01 03",),
               (("recycling", 0.8), ("incineration", 0.2)),
               description="Pallets die klanten niet terugnemen."),
        _FILM,
        _offer("other", "Afgedankte vrachtwagenbanden", "t", "year", (2, 15), ("16 01 03",),
               _TO_RECYCLING, weight=0.5,
               description="Banden zonder velg, deels geschikt voor loopvlakvernieuwing."),
        _CARDBOARD,
        _SCRAP,
        _NEED_PALLETS,
    )),
    # -- hospitality -----------------------------------------------------------------------
    Archetype("restaurant", "hospitality", "56.10.1", 1.5,
              ("Restaurant", "Eetcafé", "Brasserie"),
              (_FOOD_WASTE, _COOKING_OIL, _GLASS, _CARDBOARD, _COFFEE, _FILM)),
    Archetype("hotel", "hospitality", "55.10.1", 0.8,
              ("Hotel", "Hotel-Restaurant", "Landgoedhotel"), (
        _FOOD_WASTE,
        _COOKING_OIL,
        _offer("textiles", "Afgeschreven linnengoed", "kg", "month", (50, 400), ("20 01 11",),
               _TO_INCINERATION, description="Lakens, handdoeken en badjassen, gewassen."),
        _GLASS,
        _CARDBOARD,
        _NEED_HEAT,
        _COFFEE,
    )),
    Archetype("caterer", "hospitality", "56.29", 0.6,
              ("Catering", "Bedrijfscatering", "Cateringservice"), (
        _offer("organics.biowaste", "Keukenafval", "t", "week", (0.5, 4), ("20 01 08",),
               _TO_DIGESTER, description="Voorbereidings- en bordresten uit bedrijfsrestaurants."),
        _COOKING_OIL,
        _CARDBOARD,
        _COFFEE,
        _GLASS,
        _FILM,
    )),
    # -- waste processing ------------------------------------------------------------------
    Archetype("digester", "waste_processing", "38.21", 0.4,
              ("Biogasinstallatie", "Vergistingsinstallatie", "Bio-energie"), (
        _need("organics.manure", "Mest voor covergisting", "t", "week", (100, 600),
              ("02 01 06",), _NEAR, (5, 30),
              description="Runder- en varkensdrijfmest, vers aangevoerd."),
        _offer("organics.soil_improver", "Digestaat", "t", "week", (80, 500), ("19 06 06",),
               (("land_spreading", 0.9), ("other", 0.1)),
               description="Digestaat met analyse; afzet in het voorjaar als meststof."),
        _offer("energy.biogas", "Biogas", "MWh", "week", (100, 600), (), _UNUSED,
               description="Ruw biogas (ca. 55 % methaan), via leiding of na opwerking."),
        _need("organics.biogas_feedstock", "Co-substraat (voedselresten)", "t", "week", (10, 80),
              ("02 03 04", "02 06 01", "02 05 01", "02 07 01", "20 01 08", "02 05 02",
               "02 03 05"), _REGIONAL, (20, 100),
              description="Energierijke resten uit de voedingsindustrie en horeca."),
        _need("organics.green_waste", "Gewasresten en groenafval", "t", "month", (50, 300),
              ("02 01 03", "20 02 01"), _NEAR, (10, 50),
              description="Maïsstro, loof en bermgras als co-substraat."),
        _offer("energy.hot_water", "Restwarmte van de gasmotor", "MWh", "week", (40, 200), (),
               _UNUSED, description="Warm water van 80-90 °C uit de motorkoeling."),
        _offer("energy.co2_gas", "CO2 uit de biogasopwerking", "t", "month", (20, 100), (),
               _UNUSED, weight=0.6,
               description="Afgescheiden CO2, na zuivering geschikt voor de glastuinbouw."),
    )),
    Archetype("composter", "waste_processing", "38.21", 0.3,
              ("Composteerbedrijf", "Groencompostering", "Compostering"), (
        _need("organics.compost_feedstock", "Groen- en keukenafval", "t", "week", (20, 200),
              ("20 02 01", "02 01 03", "20 01 08"), _NEAR, (5, 30),
              description="Snoei- en maaisel, blad, tuin- en keukenafval."),
        _offer("organics.soil_improver", "Groencompost", "t", "month", (100, 800), ("19 05 03",),
               (("land_spreading", 0.8), ("other", 0.2)),
               description="Compost, zeefgrootte 0-10 mm, met keurmerk."),
        _offer("organics.green_waste", "Houtige zeeffractie", "t", "month", (20, 150),
               ("20 02 01",), (("incineration", 1.0),),
               description="Grove houtige fractie uit de compostzeef, geschikt als brandstof."),
        _offer("plastics.mixed", "Kunststof uit de compostzeef", "t", "month", (2, 15),
               ("19 12 04",), (("incineration", 1.0),), weight=0.5,
               description="Folie- en kunststofresten die met het groenafval meekwamen."),
        _SCRAP,
    )),
    Archetype("plastics_recycler", "waste_processing", "38.32", 0.3,
              ("Kunststofrecycling", "Recyclingbedrijf", "Polymeerrecycling"), (
        _need("plastics.pe_film", "PE-folie", "t", "week", (5, 60),
              ("15 01 02", "02 01 04", "07 02 13"), _WIDE, (80, 300),
              description="Stretch-, krimp- en landbouwfolie, ook licht vervuild."),
        _need("plastics", "Kunststoffen (gemengd en gesorteerd)", "t", "week", (10, 80),
              ("15 01 02", "20 01 39", "19 12 04", "07 02 13", "02 01 04", "12 01 05"), _WIDE,
              (80, 300), description="Harde kunststoffen en folies voor de sorteerlijn."),
        _offer("plastics.mixed", "Sorteerresidu", "t", "week", (5, 30), ("19 12 04",),
               (("incineration", 1.0),), weight=0.5,
               description="Niet-recyclebare kunststoffen uit de sorteerlijn."),
        _NEED_WATER,
        _PALLETS,
        _CARDBOARD,
        _NEED_HEAT,
    )),
    Archetype("rubble_recycler", "waste_processing", "38.32", 0.3,
              ("Puinbreker", "Puinrecycling", "Recyclingcentrale"), (
        _need("minerals.concrete_rubble", "Betonpuin om te breken", "t", "week", (100, 800),
              ("17 01 01", "10 13 14"), _NEAR, (10, 50),
              description="Betonpuin en restbeton, asbestvrij verklaard."),
        _need("minerals.bricks", "Metselwerkpuin", "t", "week", (50, 400),
              ("17 01 02", "10 12 08"), _NEAR, (10, 50),
              description="Baksteenpuin voor menggranulaat."),
        _offer("minerals.aggregates", "Betongranulaat", "t", "week", (100, 600), ("19 12 09",),
               (("recycling", 1.0),), description="Betongranulaat 4/31,5 met CE-markering."),
        _offer("minerals.sand", "Zeefzand", "t", "week", (30, 200), ("19 08 02",),
               (("recycling", 0.8), ("landfill", 0.2)), weight=0.7,
               description="Fijne fractie uit zandvang en zeven, gewassen."),
        _need("minerals.mixed_rubble", "Gemengd bouw- en sloopafval (steenachtig)", "t", "week",
              (50, 400), ("17 01 07",), _NEAR, (10, 50),
              description="Gemengd puin van beton, metselwerk en tegels."),
        _offer("metals.ferrous", "Wapeningsstaal uit puin", "t", "month", (5, 40),
               ("19 12 02",), _METALS, description="Uitgezeefd wapeningsstaal, magnetisch."),
        _NEED_WATER,
    )),
    Archetype("scrap_dealer", "waste_processing", "46.77", 0.3,
              ("Metaalrecycling", "Oud IJzerhandel", "Schroothandel"), (
        _need("metals", "Oud ijzer en non-ferro", "t", "week", (10, 100),
              ("12 01 01", "12 01 02", "12 01 03", "17 04 05", "17 04 02", "20 01 40"), _WIDE,
              (20, 100), description="Alle soorten ferro en non-ferro, ook gemengd."),
        _need("metals.aluminium", "Aluminium", "t", "month", (2, 30), ("17 04 02",), _WIDE,
              (20, 100), description="Aluminium profielen, kozijnen en plaat."),
        _offer("metals.ferrous", "Gesorteerd staalschroot", "t", "week", (20, 150),
               ("19 12 02",), _METALS, description="Geknipt en gesorteerd schroot, smeltklaar."),
        _offer("metals.non_ferrous", "Gesorteerd non-ferro", "t", "month", (2, 20),
               ("19 12 03",), _METALS, description="Aluminium, koper en messing, per soort."),
        _PALLETS,
        _FILM,
    )),
    Archetype("waste_collector", "waste_processing", "38.11", 0.4,
              ("Afvalinzameling", "Container- en Recyclingbedrijf", "Milieuservice"), (
        _offer("paper", "Gesorteerd oud papier", "t", "week", (20, 150), ("19 12 01",),
               _TO_RECYCLING, description="Oud papier en karton, nagesorteerd en geperst."),
        _need("oils_fats.edible", "Gebruikt frituurvet", "kg", "month", (500, 5_000),
              ("20 01 25",), _REGIONAL, (20, 80),
              description="Inzameling van frituurvet bij horeca; vaten worden omgeruild."),
        _need("organics.biowaste", "Swill en keukenafval", "t", "week", (2, 20), ("20 01 08",),
              _REGIONAL, (20, 80),
              description="Keukenafval uit horeca, afgevoerd naar vergisting."),
        _need("paper", "Oud papier en karton", "t", "week", (5, 40), ("15 01 01", "20 01 01"),
              _REGIONAL, (20, 80), description="Bedrijfskarton en papier, met perscontainer."),
        _need("textiles", "Textiel", "kg", "month", (200, 2_000), ("20 01 10", "20 01 11"),
              _REGIONAL, (20, 80), weight=0.5,
              description="Textiel en linnengoed voor hergebruik en vezelrecycling."),
        _need("glass", "Verpakkingsglas", "t", "month", (2, 20), ("15 01 07",), _REGIONAL,
              (20, 80), weight=0.5, description="Verpakkingsglas uit horeca en bedrijven."),
    )),
    # -- energy ----------------------------------------------------------------------------
    Archetype("biomass_plant", "energy", "35.11.1", 0.3,
              ("Bio-energiecentrale", "Biomassacentrale", "Warmtekrachtcentrale"), (
        _need("organics.biomass_fuel", "Biomassa (houtsnippers en schors)", "t", "week",
              (50, 400), ("03 01 01", "03 01 05", "02 01 07", "20 02 01"), _WIDE, (50, 250),
              description="Schone houtige biomassa, vochtgehalte onder 50 %."),
        _need("organics.wood", "B-hout", "t", "week", (30, 200),
              ("17 02 01", "19 12 07", "20 01 38", "03 01 05"), _WIDE, (50, 250),
              description="Gebruikt hout als brandstof, vrij van verduurzamingsmiddelen."),
        _offer("energy.steam", "Stoom", "MWh", "week", (200, 1_500), (), _UNUSED,
               description="Hogedrukstoom voor industriële afnemers."),
        _offer("energy.hot_water", "Warmte voor een warmtenet", "MWh", "week", (100, 800), (),
               _UNUSED, description="Warm water van 70-90 °C, levering via warmtenet."),
        _offer("minerals.fly_ash", "Vliegas uit meestook", "t", "month", (20, 150),
               ("10 01 17",), _MINERALS, description="Vliegas, analyse volgens NEN-EN 450-1."),
        _offer("minerals.bottom_ash", "Bodemas", "t", "month", (30, 200), ("10 01 01",),
               _MINERALS, description="Bodemas en slakken uit de ketel."),
        _NEED_WATER,
    )),
    Archetype("heat_network", "energy", "35.30", 0.3,
              ("Warmtebedrijf", "Warmtenet", "Energiecoöperatie"), (
        _need("energy.hot_water", "Restwarmte voor het warmtenet", "MWh", "week", (100, 1_000),
              (), _HEAT, None,
              description="Warmte vanaf 60 °C, of lager als bron voor een warmtepomp."),
        _offer("energy.hot_water", "Zomeroverschot warmte", "MWh", "week", (20, 150), (),
               _UNUSED, weight=0.5, description="Warmte die het net in de zomer over heeft."),
        _need("energy.heat_low_temperature", "Bronwarmte voor de warmtepomp", "MWh", "week",
              (20, 200), (), _HEAT, None, weight=0.7,
              description="Warmte van 20-40 °C uit koelwater of riothermie."),
    )),
)
# fmt: on

#: Firms that open every economy, at fixed region PC4s: ``(archetype, pc4)``. Chosen
#: so the engine always has closed loops and short heat links to find.
ANCHORS: Final[tuple[tuple[str, str], ...]] = (
    ("brewery", "7418"),  # Deventer: spent grain -> dairy farm, CO2 -> greenhouse
    ("dairy_farm", "7391"),  # Voorst (Twello): manure -> digester
    ("digester", "7383"),  # Voorst: biogas -> brewery and bakery, digestate -> arable farm
    ("arable_farm", "7384"),  # Voorst: crop residues -> digester
    ("bakery", "7411"),  # Deventer: bread residues -> pig farm
    ("pig_farm", "7395"),  # Voorst: manure -> digester
    ("paper_mill", "6961"),  # Brummen (Eerbeek): hot water -> greenhouse
    ("greenhouse", "6961"),  # Brummen (Eerbeek): next to the paper mill
    ("distribution_centre", "7418"),  # Deventer: cardboard -> paper mill
    ("demolition", "7324"),  # Apeldoorn: concrete rubble -> rubble recycler
    ("rubble_recycler", "7332"),  # Apeldoorn: granulate -> concrete plant
    ("concrete_plant", "7325"),  # Apeldoorn: returned concrete -> rubble recycler
    ("metal_workshop", "7202"),  # Zutphen: steel and aluminium -> scrap dealer
    ("scrap_dealer", "7231"),  # Zutphen: sorted scrap -> foundry
    ("foundry", "7241"),  # Lochem: needs scrap
    ("restaurant", "7311"),  # Apeldoorn: food waste and cooking oil -> waste collector
    ("waste_collector", "7321"),  # Apeldoorn: sorted paper -> paper mill
)

# -- names ---------------------------------------------------------------------------------

# Invented Dutch-sounding compounds: prefix + suffix, e.g. "Korenaar", "Lindehorst".
_NAME_PREFIXES: Final = (
    "Koren", "Linde", "Beuke", "Eike", "Heide", "Klaver", "Haver", "Rogge",
    "Molen", "Wilgen", "Berken", "Vlier", "Hazel", "Essen", "Elzen", "Zonne",
    "Water", "Veld", "Bos", "Hooi", "Vlas", "Tarwe", "Gerst", "Hoppe",
    "Wolde", "Ravens", "Reiger", "Kievit", "Merel", "Ooie", "Uiter", "Leeuwe",
)  # fmt: skip
_NAME_SUFFIXES: Final = (
    "aar", "hof", "kamp", "stede", "brink", "horst", "veen", "weerd", "beek", "dijk",
    "laar", "hoeve", "wijk", "hage", "schot", "burg", "mond", "sloot", "rade", "lo",
)  # fmt: skip
_LEGAL_FORMS: Final = ("", "", " B.V.", " V.O.F.", " & Zn.")

# PostNL letters: F, I, O, Q, U and Y are not used, and SA, SD, SS are never issued.
_POSTCODE_LETTERS: Final = "ABCDEGHJKLMNPRSTVWXZ"
_UNISSUED_PAIRS: Final = frozenset({"SA", "SD", "SS"})

_FREQUENCY_NL: Final = {
    "once": "eenmalige partij",
    "week": "wekelijks",
    "month": "maandelijks",
    "year": "jaarlijks",
}

# Lengths of availability windows of one-off batches, in days.
_WINDOW_DAYS: Final = (14, 30, 30, 60, 90)
# One-off batches become available within this many days of the reference date.
_START_SPREAD_DAYS: Final = 120

# SBI 2008 codes as CBS writes them: class "10.71" or subclass "01.41.1".
_SBI_SHAPE: Final = re.compile(r"[0-9]{2}\.[0-9]{2}(\.[0-9])?")
# Energy and water are not waste: their listings carry no EWC code.
_CODELESS_ROOTS: Final = frozenset({"energy", "water"})


# -- flattened tables (built once) ---------------------------------------------------------


@dataclass(frozen=True)
class _Tables:
    """The archetype and stream tables as parallel numpy arrays, for vectorised draws."""

    archetype_p: FloatArray  # probability of each archetype for a non-anchor firm
    archetype_start: IntArray  # first template of each archetype
    archetype_count: IntArray  # number of templates of each archetype
    kind: ObjArray
    material: ObjArray
    title: ObjArray  # label and frequency in Dutch: "Bierbostel, wekelijks"
    unit: ObjArray
    frequency: ObjArray
    q_low: FloatArray
    q_high: FloatArray
    weight: FloatArray
    ewc: ObjArray  # (n_templates, max codes), None-padded
    ewc_count: IntArray
    accepted: ObjArray  # tuple per template (needs) or ()
    route: ObjArray  # (n_templates, max routes), None-padded
    route_cum: FloatArray  # cumulative shares, padded with 1.0
    distance: FloatArray  # (n_templates, max choices), NaN-padded
    distance_count: IntArray
    src_low: FloatArray  # NaN where the source distance means nothing
    src_high: FloatArray
    description: ObjArray


def _padded_objects(rows: Sequence[Sequence[object]]) -> ObjArray:
    """Stack ragged rows into a 2-D object array, padded with ``None``."""
    out = np.full((len(rows), max(1, *(len(r) for r in rows))), None, dtype=object)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _padded_floats(rows: Sequence[Sequence[float]], *, fill: float) -> FloatArray:
    """Stack ragged rows into a 2-D float array, padded with ``fill``."""
    out = np.full((len(rows), max(1, *(len(r) for r in rows))), fill, dtype=np.float64)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _code_fits(code: str, material: str) -> bool:
    """Whether an offer of ``material`` may carry EWC ``code``.

    The code must map to the material (:func:`flows.taxonomy.category_for_ewc`), except
    for categories the List of Waste cannot tell apart (PE film, clean wood): they have
    no code of their own, so the lister declares them and the code names their branch
    (``15 01 02`` plastic packaging for PE film).
    """
    from flows.taxonomy import category_for_ewc, ewc_codes_for, root

    mapped = category_for_ewc(code)
    if mapped == material:
        return True
    return not ewc_codes_for(material, include_descendants=True) and root(mapped) == root(material)


def _table_problems() -> list[str]:
    """Return every inconsistency of :data:`ARCHETYPES`, :data:`SECTORS` and :data:`ANCHORS`."""
    from flows.ewc import is_ewc_code, is_hazardous
    from flows.taxonomy import category_for_ewc, is_category, match_rule
    from geo.geocode import region_pc4s

    problems: list[str] = []
    keys = [a.key for a in ARCHETYPES]
    if len(set(keys)) != len(keys):
        problems.append(f"archetype keys are not unique: {sorted(keys)}")
    for a in ARCHETYPES:
        where = f"archetype {a.key!r}"
        if a.sector not in SECTORS:
            problems.append(f"{where}: sector {a.sector!r} is not one of {', '.join(SECTORS)}")
        if not _SBI_SHAPE.fullmatch(a.sbi_code):
            problems.append(f"{where}: sbi_code {a.sbi_code!r} is not shaped like '10.71(.1)'")
        if not a.streams or a.streams[0].weight <= 0 or not a.name_words or a.weight <= 0:
            problems.append(f"{where}: needs streams, name words and positive weights")
        for t in a.streams:
            at = f"{where}, stream {t.label!r}"
            if not is_category(t.material):
                problems.append(f"{at}: material {t.material!r} is not a taxonomy category")
                continue
            if t.unit not in UNITS:
                problems.append(f"{at}: unit {t.unit!r} is not one of {', '.join(UNITS)}")
            if t.frequency not in FREQUENCIES:
                problems.append(
                    f"{at}: frequency {t.frequency!r} is not one of {', '.join(FREQUENCIES)}"
                )
            if not 0 < t.quantity[0] <= t.quantity[1] or t.weight <= 0:
                problems.append(f"{at}: quantity {t.quantity!r} or weight {t.weight!r} invalid")
            for code in t.ewc_codes:
                if not is_ewc_code(code) or is_hazardous(code):
                    problems.append(f"{at}: EWC {code!r} is not a non-hazardous code of the list")
                elif t.kind == "offer" and not _code_fits(code, t.material):
                    problems.append(
                        f"{at}: EWC {code!r} maps to {category_for_ewc(code)!r}, "
                        f"not to {t.material!r}"
                    )
                elif t.kind == "need" and not (
                    match_rule(category_for_ewc(code), t.material) or _code_fits(code, t.material)
                ):
                    problems.append(
                        f"{at}: accepted EWC {code!r} ({category_for_ewc(code)!r}) cannot "
                        f"meet a need for {t.material!r}"
                    )
            if t.kind == "offer":
                if len(t.ewc_codes) == 0 and t.material.split(".")[0] not in _CODELESS_ROOTS:
                    problems.append(f"{at}: an offer of {t.material!r} needs an EWC code")
                routes = [r for r, _ in t.routes]
                if not routes or any(r not in CURRENT_ROUTES for r in routes):
                    problems.append(f"{at}: routes {routes!r} are not from {CURRENT_ROUTES}")
                if abs(sum(s for _, s in t.routes) - 1.0) > 1e-9:
                    problems.append(f"{at}: route shares {t.routes!r} do not sum to 1")
            elif not t.max_distance_km or min(t.max_distance_km) <= 0:
                problems.append(f"{at}: a need needs positive max_distance_km choices")
    anchor_pc4s = set(region_pc4s().index)
    for archetype, pc4 in ANCHORS:
        if archetype not in keys or pc4 not in anchor_pc4s:
            problems.append(f"anchor ({archetype!r}, {pc4!r}) is not an archetype at a region PC4")
    if abs(sum(share for _, share in SECTORS.values()) - 1.0) > 1e-9:
        problems.append("sector shares do not sum to 1")
    return problems


@cache
def _tables() -> _Tables:
    problems = _table_problems()
    if problems:
        # A programming error in this module's tables, not a user error.
        raise ValueError("synthetic economy tables are inconsistent:\n" + "\n".join(problems))
    templates = [t for a in ARCHETYPES for t in a.streams]
    counts = np.array([len(a.streams) for a in ARCHETYPES], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    sector_total = {s: sum(a.weight for a in ARCHETYPES if a.sector == s) for s in SECTORS}
    p = np.array(
        [SECTORS[a.sector][1] * a.weight / sector_total[a.sector] for a in ARCHETYPES],
        dtype=np.float64,
    )

    def column(values: list[object]) -> ObjArray:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out

    route_names = [tuple(r for r, _ in t.routes) for t in templates]
    route_cum = [tuple(np.cumsum([s for _, s in t.routes]).tolist()) for t in templates]
    cum = _padded_floats(route_cum, fill=1.0)
    cum[:, -1] = 1.0  # guard against shares that sum to 0.999...
    return _Tables(
        archetype_p=p / p.sum(),
        archetype_start=starts,
        archetype_count=counts,
        kind=column([t.kind for t in templates]),
        material=column([t.material for t in templates]),
        title=column([f"{t.label}, {_FREQUENCY_NL[t.frequency]}" for t in templates]),
        unit=column([t.unit for t in templates]),
        frequency=column([t.frequency for t in templates]),
        q_low=np.array([t.quantity[0] for t in templates], dtype=np.float64),
        q_high=np.array([t.quantity[1] for t in templates], dtype=np.float64),
        weight=np.array([t.weight for t in templates], dtype=np.float64),
        ewc=_padded_objects([t.ewc_codes for t in templates]),
        ewc_count=np.array([len(t.ewc_codes) for t in templates], dtype=np.int64),
        accepted=column([t.ewc_codes if t.kind == "need" else () for t in templates]),
        route=_padded_objects(route_names),
        route_cum=cum,
        distance=_padded_floats([t.max_distance_km for t in templates], fill=np.nan),
        distance_count=np.array([len(t.max_distance_km) for t in templates], dtype=np.int64),
        src_low=np.array(
            [t.source_km[0] if t.source_km else np.nan for t in templates], dtype=np.float64
        ),
        src_high=np.array(
            [t.source_km[1] if t.source_km else np.nan for t in templates], dtype=np.float64
        ),
        description=column([t.description for t in templates]),
    )


@cache
def _to_rd() -> Transformer:
    from geo.crs import RD_NEW, WGS84

    return Transformer.from_crs(WGS84, RD_NEW, always_xy=True)


@cache
def _from_rd() -> Transformer:
    from geo.crs import RD_NEW, WGS84

    return Transformer.from_crs(RD_NEW, WGS84, always_xy=True)


# -- public API ----------------------------------------------------------------------------


def generate(
    *,
    size: str = "region",
    seed: int = 0,
    n_firms: int | None = None,
    n_listings: int | None = None,
    reference_date: date = REFERENCE_DATE,
) -> SyntheticEconomy:
    """Return a fictional economy of firms and listings, identical for identical arguments.

    Parameters
    ----------
    size
        A key of :data:`SIZES`: ``"small"`` (40 firms, 200 listings, region),
        ``"region"`` (400 firms, 2,000 listings, region) or ``"national"`` (20,000
        firms, 100,000 listings over the Netherlands). It sets the scope and the default
        counts.
    seed
        Seed of :func:`numpy.random.default_rng`; any integer >= 0.
    n_firms, n_listings
        Override the preset counts. Given one, the other follows at
        :data:`LISTINGS_PER_FIRM` listings per firm. Every firm has at least one listing,
        so ``n_firms <= n_listings`` is required.
    reference_date
        Day from which one-off batches become available; fixed by default so that runs
        are identical. The web app's demo loader may pass today.

    Returns
    -------
    SyntheticEconomy
        ``firms`` with :data:`FIRM_COLUMNS`, ``listings`` with
        :data:`SYNTHETIC_LISTING_COLUMNS`, exactly ``n_firms`` and ``n_listings`` rows.

    Raises
    ------
    ValueError
        If ``size`` is unknown, ``seed`` is negative, a count is not a positive integer,
        ``n_listings < n_firms``, or ``n_listings`` exceeds what the firms can list.

    Examples
    --------
    >>> economy = generate(size="small", seed=7)
    >>> economy.firms.loc[0, ["firm_ref", "sector"]].tolist()
    ['F0001', 'food_and_drink']
    >>> sorted(economy.listings["kind"].unique())
    ['need', 'offer']
    >>> len(generate(size="region", seed=0, n_firms=10).listings)
    50
    """
    spec = _resolve_size(size=size, seed=seed, n_firms=n_firms, n_listings=n_listings)
    if not isinstance(reference_date, date):
        raise ValueError(f"reference_date {reference_date!r} is not a datetime.date")
    rng = np.random.default_rng(seed)
    tables = _tables()
    firms = _firms(rng, tables, n_firms=spec.n_firms, scope=spec.scope)
    listings = _listings(
        rng,
        tables,
        firms,
        n_listings=spec.n_listings,
        reference_date=reference_date,
    )
    return SyntheticEconomy(firms=firms, listings=listings)


def to_listing_file_frame(economy: SyntheticEconomy) -> pd.DataFrame:
    """Return the listings in the listing file's columns, every value as text.

    The columns are :data:`flows.schema.LISTING_COLUMNS`, formatted by
    :func:`flows.listing_file.to_export_frame`: an offer's ``ewc_code`` is its code, a
    need's is its accepted codes joined by ``;``; dates are ISO (``YYYY-MM-DD``);
    missing values are ``""``. Written with ``to_csv(index=False)`` it is a file that
    ``python -m flows match`` reads back to the same listings.

    Examples
    --------
    >>> from flows.schema import LISTING_COLUMNS
    >>> frame = to_listing_file_frame(generate(size="small", seed=0))
    >>> tuple(frame.columns) == LISTING_COLUMNS
    True
    >>> frame.loc[0, ["ref", "ewc_code", "quantity"]].tolist()
    ['F0001-01', '02 07 01', '25']
    """
    from flows.listing_file import to_export_frame

    return to_export_frame(economy.listings)


# -- size and argument checks --------------------------------------------------------------


def _resolve_size(*, size: str, seed: int, n_firms: int | None, n_listings: int | None) -> SizeSpec:
    if size not in SIZES:
        raise ValueError(f"size {size!r} is not one of {', '.join(SIZES)}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed {seed!r} is not an integer >= 0")
    for name, value in (("n_firms", n_firms), ("n_listings", n_listings)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1
        ):
            raise ValueError(f"{name} {value!r} is not a positive integer")
    preset = SIZES[size]
    if n_firms is None and n_listings is None:
        return preset
    if n_firms is None:
        assert n_listings is not None
        n_firms = max(1, round(n_listings / LISTINGS_PER_FIRM))
    if n_listings is None:
        n_listings = round(n_firms * LISTINGS_PER_FIRM)
    if n_listings < n_firms:
        raise ValueError(
            f"n_listings {n_listings!r} is smaller than n_firms {n_firms!r}; every firm "
            "lists at least one stream"
        )
    return SizeSpec(n_firms=int(n_firms), n_listings=int(n_listings), scope=preset.scope)


# -- firms ---------------------------------------------------------------------------------


def _firms(
    rng: np.random.Generator, tables: _Tables, *, n_firms: int, scope: Scope
) -> pd.DataFrame:
    keys = [a.key for a in ARCHETYPES]
    n_anchor = min(n_firms, len(ANCHORS))
    archetype = np.empty(n_firms, dtype=np.int64)
    archetype[:n_anchor] = [keys.index(a) for a, _ in ANCHORS[:n_anchor]]
    archetype[n_anchor:] = rng.choice(
        len(ARCHETYPES), size=n_firms - n_anchor, p=tables.archetype_p
    )

    table = _pc4_points()
    in_region = table["in_cleantech_regio"].to_numpy(dtype=bool)
    if scope == "region":
        weights = in_region.astype(np.float64)
    else:
        weights = np.where(in_region, REGION_WEIGHT, 1.0)
    pc4_pos = np.empty(n_firms, dtype=np.int64)
    pc4_pos[:n_anchor] = table.index.get_indexer([pc4 for _, pc4 in ANCHORS[:n_anchor]])
    pc4_pos[n_anchor:] = rng.choice(len(table), size=n_firms - n_anchor, p=weights / weights.sum())
    pc4 = table.index.to_numpy(dtype=object)[pc4_pos]
    lon, lat = _jitter(
        rng,
        table["x_m"].to_numpy(dtype=np.float64)[pc4_pos],
        table["y_m"].to_numpy(dtype=np.float64)[pc4_pos],
        table["max_jitter_m"].to_numpy(dtype=np.float64)[pc4_pos],
    )

    width = max(4, len(str(n_firms)))
    firm_ref = [f"F{i:0{width}d}" for i in range(1, n_firms + 1)]
    kvk_low, kvk_high = KVK_RANGE
    kvk = rng.choice(kvk_high - kvk_low, size=n_firms, replace=False) + kvk_low
    letters = _postcode_letter_pairs()
    postcode = pc4.astype(str) + " " + letters[rng.integers(len(letters), size=n_firms)]

    public = rng.random(n_firms) >= _ANONYMOUS_SHARE
    archetypes = np.asarray(ARCHETYPES, dtype=object)[archetype]
    return _frame(
        {
            "firm_ref": np.asarray(firm_ref, dtype=object),
            "name": np.asarray(_names(rng, archetype), dtype=object),
            "kvk": np.char.zfill(kvk.astype(str), 8).astype(object),
            "sbi_code": np.array([a.sbi_code for a in archetypes], dtype=object),
            "sector": np.array([a.sector for a in archetypes], dtype=object),
            "archetype": np.array([a.key for a in archetypes], dtype=object),
            "postcode": postcode.astype(object),
            "pc4": pc4,
            "lon": lon,
            "lat": lat,
            "municipality": table["municipality"].to_numpy(dtype=object)[pc4_pos],
            "municipality_code": table["municipality_code"].to_numpy(dtype=object)[pc4_pos],
            "public": public,
        },
        columns=FIRM_COLUMNS,
    )


def _frame(data: dict[str, npt.NDArray[Any]], *, columns: tuple[str, ...]) -> pd.DataFrame:
    """Build a frame whose text columns are ``object`` (as :mod:`flows.listing_file` does).

    pandas 3 would infer its ``str`` dtype and turn ``None`` into ``NaN``; ``object``
    keeps ``None`` for a missing EWC code, route or date.
    """
    return pd.DataFrame(
        {
            name: pd.Series(values, dtype=object if values.dtype == object else values.dtype)
            for name, values in data.items()
        },
        columns=list(columns),
    )


def _postcode_letter_pairs() -> npt.NDArray[np.str_]:
    pairs = [a + b for a in _POSTCODE_LETTERS for b in _POSTCODE_LETTERS]
    return np.array([p for p in pairs if p not in _UNISSUED_PAIRS])


@cache
def _pc4_points() -> pd.DataFrame:
    """PC4 points (sorted by PC4) with RD New ``x_m``, ``y_m`` and ``max_jitter_m``.

    ``max_jitter_m`` is :data:`JITTER_M`, capped at 90 % of the distance from the point to
    the boundary of its own municipality, so that a jittered firm stays in the
    municipality its PC4 names (and region firms stay in the region). The five GeoNames
    points that lie just outside every polygon (coast, border) are not jittered.
    """
    import shapely

    from geo.crs import RD_NEW, to_metric
    from geo.geocode import pc4_table
    from geo.regions import netherlands_municipalities

    table = pc4_table().sort_index()
    x_m, y_m = _to_rd().transform(
        table["lon"].to_numpy(dtype=np.float64), table["lat"].to_numpy(dtype=np.float64)
    )
    municipalities = to_metric(netherlands_municipalities(), crs=RD_NEW)
    polygon = (
        municipalities.set_index("gemeente_code")
        .geometry.reindex(table["municipality_code"])
        .to_numpy()
    )
    points = shapely.points(x_m, y_m)
    inside = shapely.contains(polygon, points)
    to_border_m = shapely.distance(shapely.boundary(polygon), points)
    table["x_m"] = np.asarray(x_m, dtype=np.float64)
    table["y_m"] = np.asarray(y_m, dtype=np.float64)
    table["max_jitter_m"] = np.where(inside, np.minimum(JITTER_M, 0.9 * to_border_m), 0.0)
    return table


def _jitter(
    rng: np.random.Generator, x_m: FloatArray, y_m: FloatArray, max_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Return WGS84 ``(lon, lat)`` of RD New points moved uniformly within ``max_m`` metres."""
    n = x_m.shape[0]
    radius_m = max_m * np.sqrt(rng.random(n))  # sqrt: uniform over the disc's area
    angle = rng.random(n) * 2.0 * math.pi
    lon, lat = _from_rd().transform(x_m + radius_m * np.cos(angle), y_m + radius_m * np.sin(angle))
    # 6 decimals is ~0.1 m: enough, and keeps the CSV short.
    return (
        np.asarray(lon, dtype=np.float64).round(6),
        np.asarray(lat, dtype=np.float64).round(6),
    )


def _names(rng: np.random.Generator, archetype: IntArray) -> list[str]:
    """Draw unique fictional names ``f"{word} {Stem}{legal form} (demo)"``.

    Duplicates are redrawn (a few rounds suffice: each archetype has ~12,000 names); if
    any remain, a running number keeps them apart.
    """
    n = archetype.shape[0]
    n_words = np.array([len(a.name_words) for a in ARCHETYPES], dtype=np.int64)[archetype]
    word = np.zeros(n, dtype=np.int64)
    prefix = np.zeros(n, dtype=np.int64)
    suffix = np.zeros(n, dtype=np.int64)
    legal = np.zeros(n, dtype=np.int64)
    todo = np.ones(n, dtype=bool)
    names = np.empty(n, dtype=object)
    for _ in range(8):
        k = int(todo.sum())
        if k == 0:
            break
        word[todo] = rng.integers(n_words[todo])
        prefix[todo] = rng.integers(len(_NAME_PREFIXES), size=k)
        suffix[todo] = rng.integers(len(_NAME_SUFFIXES), size=k)
        legal[todo] = rng.integers(len(_LEGAL_FORMS), size=k)
        for i in np.flatnonzero(todo):
            names[i] = (
                f"{ARCHETYPES[archetype[i]].name_words[word[i]]} "
                f"{_NAME_PREFIXES[prefix[i]]}{_NAME_SUFFIXES[suffix[i]]}{_LEGAL_FORMS[legal[i]]}"
            )
        todo = pd.Series(names).duplicated(keep="first").to_numpy(dtype=bool)
    if todo.any():
        repeat = pd.Series(names).groupby(names).cumcount().to_numpy()
        for i in np.flatnonzero(todo):
            names[i] = f"{names[i]} {repeat[i] + 1}"
    return [f"{name}{FICTIONAL_MARKER}" for name in names]


# -- listings ------------------------------------------------------------------------------


def _listings(
    rng: np.random.Generator,
    tables: _Tables,
    firms: pd.DataFrame,
    *,
    n_listings: int,
    reference_date: date,
) -> pd.DataFrame:
    keys = [a.key for a in ARCHETYPES]
    archetype = np.array([keys.index(k) for k in firms["archetype"]], dtype=np.int64)
    n_firms = archetype.shape[0]
    count = tables.archetype_count[archetype]
    capacity = int(count.sum())
    if n_listings > capacity:
        raise ValueError(
            f"n_listings {n_listings!r} is more than the {capacity} distinct streams "
            f"{n_firms} firms can list; ask for more firms or fewer listings"
        )

    # Candidates: every (firm, template of its archetype).
    cand_firm = np.repeat(np.arange(n_firms), count)
    first = np.repeat(np.cumsum(count) - count, count)
    within = np.arange(capacity) - first
    cand_template = tables.archetype_start[archetype][cand_firm] + within

    # Priority tiers: each firm's signature stream, then every stream of an anchor firm,
    # then weighted sampling without replacement (Efraimidis-Spirakis keys log(u) / w).
    tier = np.where(within == 0, 2, np.where(cand_firm < len(ANCHORS), 1, 0))
    key = np.log(rng.random(capacity)) / tables.weight[cand_template]
    order = np.lexsort((-key, -tier))
    chosen = np.sort(order[:n_listings])  # back in (firm, template) order
    firm = cand_firm[chosen]
    template = cand_template[chosen]
    n = int(chosen.shape[0])

    kind = tables.kind[template]
    is_need = kind == "need"
    frequency = tables.frequency[template]
    unit = tables.unit[template]

    quantity = _round_quantity(
        np.exp(
            np.log(tables.q_low[template])
            + rng.random(n) * np.log(tables.q_high[template] / tables.q_low[template])
        ),
        unit,
    )

    # Offers carry one code drawn from the template's; needs carry the accepted codes.
    code_pick = (rng.random(n) * np.maximum(tables.ewc_count[template], 1)).astype(np.int64)
    nothing = np.full(n, None, dtype=object)
    ewc_code = np.where(
        is_need | (tables.ewc_count[template] == 0), nothing, tables.ewc[template, code_pick]
    )
    accepted = tables.accepted[template]

    u_route = rng.random(n)
    route_pick = (u_route[:, None] > tables.route_cum[template]).sum(axis=1)
    route = np.where(
        is_need, nothing, tables.route[template, np.minimum(route_pick, tables.route.shape[1] - 1)]
    )

    dist_pick = (rng.random(n) * np.maximum(tables.distance_count[template], 1)).astype(np.int64)
    max_distance_km = np.where(is_need, tables.distance[template, dist_pick], np.nan)

    secondary = rng.random(n) < _SECONDARY_SOURCE_SHARE
    source = np.where(is_need, np.where(secondary, "secondary", "virgin").astype(object), nothing)
    src_low, src_high = tables.src_low[template], tables.src_high[template]
    src_km = np.round((src_low + rng.random(n) * (src_high - src_low)) / 5.0) * 5.0
    unknown = rng.random(n) < _UNKNOWN_SOURCE_KM_SHARE
    current_source_km = np.where(is_need & ~unknown, np.maximum(src_km, 5.0), np.nan)

    once = frequency == "once"
    start_offset = rng.integers(_START_SPREAD_DAYS, size=n)
    window = np.asarray(_WINDOW_DAYS)[rng.integers(len(_WINDOW_DAYS), size=n)]
    start = np.datetime64(reference_date, "D") + start_offset
    available_from = np.where(once, start, np.datetime64("NaT", "D")).astype(object)
    available_until = np.where(once, start + window, np.datetime64("NaT", "D")).astype(object)

    status_names = np.array([s for s, _ in _STATUS_SHARES], dtype=object)
    status_cum = np.cumsum([share for _, share in _STATUS_SHARES])
    status = status_names[np.minimum(np.searchsorted(status_cum, rng.random(n), side="right"), 2)]

    # Refs count each firm's listings from 1: F0001-01, F0001-02, ...
    first_of_firm = np.r_[True, firm[1:] != firm[:-1]]
    sequence = np.arange(n) - np.maximum.accumulate(np.where(first_of_firm, np.arange(n), 0))
    firm_ref = firms["firm_ref"].to_numpy(dtype=object)[firm]
    ref = firm_ref + "-" + np.char.zfill((sequence + 1).astype(str), 2).astype(object)
    public = firms["public"].to_numpy(dtype=bool)[firm]

    return _frame(
        {
            "ref": ref,
            "organisation": firms["name"].to_numpy(dtype=object)[firm],
            "firm_ref": firm_ref,
            "kind": kind,
            "title": tables.title[template],
            "material": tables.material[template],
            "ewc_code": ewc_code.astype(object),
            "accepted_ewc_codes": accepted,
            "quantity": quantity,
            "unit": unit,
            "frequency": frequency,
            "postcode": firms["postcode"].to_numpy(dtype=object)[firm],
            "lat": firms["lat"].to_numpy(dtype=np.float64)[firm],
            "lon": firms["lon"].to_numpy(dtype=np.float64)[firm],
            "max_distance_km": max_distance_km,
            "available_from": available_from,
            "available_until": available_until,
            "current_route": route.astype(object),
            "current_source": source.astype(object),
            "current_source_km": current_source_km,
            "visibility": np.where(public, "public", "anonymous").astype(object),
            "description": tables.description[template],
            "status": status,
        },
        columns=SYNTHETIC_LISTING_COLUMNS,
    )


def _round_quantity(quantity: FloatArray, unit: ObjArray) -> FloatArray:
    """Round as a person types: integers from 10 (and for pieces), one decimal from 1."""
    whole = (quantity >= 10.0) | (unit == "pcs")
    rounded = np.where(
        whole,
        np.round(quantity),
        np.where(quantity >= 1.0, np.round(quantity, 1), np.round(quantity, 2)),
    )
    return np.maximum(rounded, np.where(whole, 1.0, 0.01)).astype(np.float64)
