"""Material taxonomy: what a residual stream or an input need *is*, and what can replace what.

Design
------
**Categories** form a tree of stable dotted keys (``minerals``, ``minerals.gypsum``,
``organics.wood.residues``); the parent of a key is the key without its last segment.
Keys are identifiers stored in listings and files: never rename one, add a new key
and map the old one instead. Each :class:`Category` carries Dutch and English
names, a default unit with its unit family, an optional density hint (to turn m3
into tonnes for transport and CO2) and whether it holds hazardous waste.

Some categories exist only as *needs* (``organics.animal_feed``,
``organics.biomass_fuel``, ``minerals.cement``, ``water.process``...): nobody offers
"animal feed" as waste, but a farmer needs it and spent grain can supply it.

**EWC codes.** Every one of the 842 entries of the European List of Waste maps to
exactly one category (:func:`category_for_ewc`, :func:`ewc_mapping`), resolved in
this order:

1. codes listed explicitly in a category's ``ewc_codes``;
2. :data:`SUBCHAPTER_RULES` (``"02 03"`` -> food-processing residues);
3. :data:`CHAPTER_RULES` (chapter ``"13"`` -> waste mineral oils);
4. ``other``.

A hazardous (asterisk) entry never lands in a non-hazardous category: if steps 2-4
would put it there it goes to :data:`HAZARDOUS_FALLBACK` of that branch (hazardous
sludges) or to ``other.hazardous``. So ``17 05 04`` is soil, but ``17 05 03*`` (soil
containing hazardous substances) is ``other.hazardous`` and never matches a need
for soil. The list cannot tell untreated from painted wood or one polymer from
another, so ``organics.wood.clean`` and ``plastics.pp`` have no codes of their own:
a lister declares them by choosing the category.

Compatibility
-------------
:func:`match_rule` decides whether an *offered* category can fill a *needed* one:

``same``
    The keys are equal. Always compatible, hazardous categories included.
``parent_child``
    The offered category is a descendant of the needed one and counts in the same
    unit family: a need for ``metals`` is met by ``metals.ferrous``. (CO2 gas is
    filed under ``energy`` for browsing, but tonnes of CO2 do not meet a need for
    MWh of energy.) The reverse is deliberately **not** compatible: an
    offer of mixed ``metals`` does not meet a need for ``metals.copper``, because a
    general category promises nothing about the specific material.
``substitution``
    An explicit :class:`Rule` in :data:`RULES` with a physical reason in Dutch and
    English (FGD gypsum replaces natural gypsum; spent grain is cattle feed). A rule
    also applies to descendants of its offered key (``organics.wood`` ->
    ``organics.biomass_fuel`` covers wood residues); the rule on the nearest
    ancestor wins. Rules are not chained and do not extend to ancestors of the
    needed key.

Hazardous categories (``chemicals.*``, ``oils_fats.mineral``, ``sludges.hazardous``,
``organics.wood.treated``, ``other.hazardous``) only match themselves: no
``parent_child``, no substitutions. :func:`compatibility_table` lists every
compatible ``(offered, needed)`` pair so the engine can join candidate pairs on it.

Examples
--------
>>> category_for_ewc("10 01 05")
'minerals.gypsum_fgd'
>>> match_rule("minerals.gypsum_fgd", "minerals.gypsum").kind
'substitution'
>>> match_rule("metals.ferrous", "metals").kind
'parent_child'
>>> match_rule("metals.mixed", "metals.copper") is None
True
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import cache
from types import MappingProxyType
from typing import Final, Literal

import pandas as pd

from flows.errors import UnknownCategory
from flows.ewc import ewc_table, normalise_ewc_code
from flows.schema import UNIT_FAMILY

__all__ = [
    "CATEGORIES",
    "CHAPTER_RULES",
    "COMPATIBILITY_COLUMNS",
    "HAZARDOUS_FALLBACK",
    "RULES",
    "SUBCHAPTER_RULES",
    "Category",
    "Rule",
    "ancestors",
    "category",
    "category_choices",
    "category_for_ewc",
    "category_keys",
    "children",
    "compatibility_table",
    "descendants",
    "ewc_codes_for",
    "ewc_mapping",
    "format_taxonomy",
    "is_category",
    "match_rule",
    "root",
]

Lang = Literal["nl", "en"]
RuleKind = Literal["same", "parent_child", "substitution"]

#: Units a category may default to (a subset of :data:`flows.schema.UNITS`).
DEFAULT_UNITS: Final = ("t", "m3", "MWh", "pcs")
#: Columns of :func:`compatibility_table`.
COMPATIBILITY_COLUMNS: Final = ("offered", "needed", "kind", "reason_en", "reason_nl")

_KEY_RE: Final = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")


@dataclass(frozen=True)
class Category:
    """One material category of the taxonomy.

    Attributes
    ----------
    key : str
        Stable dotted key, e.g. ``"minerals.gypsum"``.
    parent : str or None
        Key of the parent category; ``None`` for a top-level category.
    name_nl, name_en : str
        Display names.
    ewc_codes : tuple of str
        Canonical EWC codes listed explicitly for this category. Sub-chapter and
        chapter rules map more codes to it; :func:`ewc_codes_for` gives them all.
    default_unit : str
        ``"t"``, ``"m3"``, ``"MWh"`` or ``"pcs"``.
    family : str
        Unit family of ``default_unit``: ``"mass"``, ``"volume"``, ``"energy"`` or
        ``"count"``.
    density_t_per_m3 : float or None
        Typical bulk density, to convert a volume to a mass when no measured value is
        given; ``None`` where volumes are unusual or too variable to guess.
    description_en : str
        One sentence on what belongs here.
    hazardous : bool
        The category holds hazardous waste and only matches itself.
    mass_t_per_piece : float or None
        Typical mass of one piece, for categories counted in ``pcs``.
    """

    key: str
    parent: str | None
    name_nl: str
    name_en: str
    ewc_codes: tuple[str, ...]
    default_unit: str
    family: str
    density_t_per_m3: float | None
    description_en: str
    hazardous: bool = False
    mass_t_per_piece: float | None = None

    def name(self, lang: Lang = "nl") -> str:
        """Return the name in ``lang`` (``"nl"`` or ``"en"``)."""
        _check_lang(lang)
        return self.name_nl if lang == "nl" else self.name_en

    @property
    def label_nl(self) -> str:
        """Dutch display label (the Dutch name)."""
        return self.name_nl

    @property
    def label_en(self) -> str:
        """English display label (the English name)."""
        return self.name_en

    @property
    def depth(self) -> int:
        """Number of ancestors: 0 for a top-level category."""
        return self.key.count(".")


@dataclass(frozen=True)
class Rule:
    """Why an offered category can meet a needed one.

    ``kind`` is ``"same"``, ``"parent_child"`` or ``"substitution"``; the reasons are
    one short sentence each, shown to users next to a proposed match.
    """

    offered: str
    needed: str
    kind: RuleKind
    reason_en: str
    reason_nl: str

    def reason(self, lang: Lang = "nl") -> str:
        """Return the reason in ``lang`` (``"nl"`` or ``"en"``)."""
        _check_lang(lang)
        return self.reason_nl if lang == "nl" else self.reason_en


# --------------------------------------------------------------------------- categories
# Density hints (bulk, as delivered). Sources:
#  [CR]  CalRecycle, "Calculations" (Solid Waste Facilities, CDI tools), approximate
#        pounds per cubic yard; 1 lb/yd3 = 0.000593 t/m3.
#  [BR]  Briggs, D. (1994) Forest Products Measurements and Conversion Factors,
#        Table 7-2: loose bulk density of wet sawmill chips 227-255 kg/m3.
#  [EPA] US EPA ORCR (2016) Volume-to-Weight Conversion Factors: fats, oils and
#        grease 7.5 lb/US gal = 0.90 t/m3.
#  [ME]  Metcalf & Eddy, Wastewater Engineering, sludge volume-mass relationship:
#        water plus 2-30 % solids of specific gravity 1.3-2.5 gives 1.01-1.1; 1.05
#        is mid-range. Slurry manure (8-10 % dry matter) follows the same rule: 1.02.
#  [EPAL] EPAL Euro pallet (1200 x 800 mm): about 25 kg.
_CR_CONCRETE_LOOSE = 1.42  # [CR] construction debris, asphalt or concrete, loose: 2400 lb/yd3
_CR_EARTH_EXCAVATED = 1.78  # [CR] earth, excavated/wet: 3000 lb/yd3
_CR_SAND_LOOSE = 1.42  # [CR] sand, loose/dry: 2400 lb/yd3
_CR_GRAVEL_LOOSE = 1.54  # [CR] gravel or crushed stone, loose/dry: 2600 lb/yd3
_CR_YARD_WASTE = 0.36  # [CR] yard waste (vegetation), loose: 600 lb/yd3
_CR_CD_WOOD = 0.24  # [CR] construction debris, wood, uncompacted: 400 lb/yd3
_CR_WASTE_OIL = 0.84  # [CR] liquid waste (waste oil, solvent): about 7 lb/US gal
_BR_WOOD_CHIPS = 0.25  # [BR] wet sawmill chips, loose
_EPA_FATS = 0.90  # [EPA]
_ME_SLUDGE = 1.05  # [ME]
_ME_MANURE = 1.02  # [ME]
_WATER = 1.0  # by definition, at ambient temperature
_EPAL_PALLET_T = 0.025  # [EPAL]


def _codes_of_family(*suffixes: str) -> str:
    """Codes ``07 0x <suffix>`` for the seven sub-chapters of chapter 07 that share them."""
    return ", ".join(f"07 0{sub} {suffix}" for sub in range(1, 8) for suffix in suffixes)


def _c(
    key: str,
    name_nl: str,
    name_en: str,
    description_en: str,
    *,
    unit: str = "t",
    codes: str = "",
    density: float | None = None,
    hazardous: bool = False,
    per_piece: float | None = None,
) -> Category:
    parent = key.rsplit(".", 1)[0] if "." in key else None
    return Category(
        key=key,
        parent=parent,
        name_nl=name_nl,
        name_en=name_en,
        ewc_codes=tuple(code.strip() for code in codes.split(",") if code.strip()),
        default_unit=unit,
        family=UNIT_FAMILY.get(unit, "?"),
        density_t_per_m3=density,
        description_en=description_en,
        hazardous=hazardous,
        mass_t_per_piece=per_piece,
    )


_CATEGORY_LIST: Final[tuple[Category, ...]] = (
    # ---- organics
    _c("organics", "Organische reststromen", "Organic materials",
       "Biomass and biodegradable residues of plant or animal origin."),
    _c("organics.food_residues", "Reststromen voedingsindustrie", "Food-processing residues",
       "Plant-based, dairy and bakery residues unfit for human consumption "
       "(peels, pulp, off-specification batches)."),
    _c("organics.spent_grain", "Bierbostel en spoeling", "Spent grain and distillers' grains",
       "Residues of brewing and distilling.", codes="02 07 01, 02 07 02"),
    _c("organics.animal_by_products", "Dierlijke bijproducten", "Animal by-products",
       "Animal tissue and other animal by-products under Regulation (EC) No 1069/2009.",
       codes="02 01 02, 04 01 01"),
    _c("organics.manure", "Mest", "Manure",
       "Animal faeces, urine and manure including spoiled straw.",
       codes="02 01 06", density=_ME_MANURE),
    _c("organics.green_waste", "Groenafval", "Green waste",
       "Garden, park and plant-tissue waste: grass, leaves, prunings, crop residues.",
       codes="02 01 03, 20 02 01", density=_CR_YARD_WASTE),
    _c("organics.biowaste", "Keuken- en kantineafval", "Kitchen, canteen and market waste",
       "Separately collected biodegradable kitchen, canteen and market waste; catering "
       "waste may not be fed to farmed animals.", codes="20 01 08, 20 03 02"),
    _c("organics.wood", "Hout", "Wood",
       "Non-hazardous wood, untreated or painted and glued (A- and B-grade).",
       codes="03 01 99, 17 02 01, 19 12 07, 20 01 38", density=_CR_CD_WOOD),
    _c("organics.wood.residues", "Houtresten (zaagsel, krullen, schors)",
       "Wood residues (sawdust, shavings, bark)",
       "Sawmill, joinery and forestry residues.",
       codes="02 01 07, 03 01 01, 03 01 05, 03 03 01", density=_BR_WOOD_CHIPS),
    _c("organics.wood.clean", "Schoon hout (A-hout)", "Clean wood (untreated, A-grade)",
       "Untreated solid wood and offcuts; the List of Waste has no code of its own for it.",
       density=_CR_CD_WOOD),
    _c("organics.wood.treated", "Verduurzaamd hout (C-hout)", "Treated wood (hazardous)",
       "Wood impregnated with preservatives or otherwise containing hazardous substances.",
       codes="03 01 04, 19 12 06, 20 01 37", hazardous=True),
    _c("organics.animal_feed", "Diervoeder", "Animal feed",
       "Feed materials for livestock (a need that food-industry by-products can fill)."),
    _c("organics.biogas_feedstock", "Vergistingsinput", "Digestion feedstock",
       "Biodegradable input for anaerobic digestion to biogas."),
    _c("organics.compost_feedstock", "Grondstof voor compost", "Compost feedstock",
       "Biodegradable input for composting."),
    _c("organics.biomass_fuel", "Biomassabrandstof", "Biomass fuel",
       "Solid biomass for boilers and biomass power plants, such as wood chips.",
       density=_BR_WOOD_CHIPS),
    _c("organics.soil_improver", "Compost, digestaat en bodemverbeteraars",
       "Compost, digestate and soil improvers",
       "Compost, digestate and liming materials applied to land.",
       codes="02 04 02, 19 05 03, 19 06 03, 19 06 04, 19 06 05, 19 06 06"),
    # ---- paper
    _c("paper", "Papier en karton", "Paper and cardboard",
       "Paper, cardboard and paper packaging for recycling.",
       codes="03 03 08, 15 01 01, 19 12 01, 20 01 01"),
    _c("paper.cardboard", "Karton", "Cardboard",
       "Sorted corrugated cardboard and boxes (OCC)."),
    # ---- plastics
    _c("plastics", "Kunststoffen", "Plastics", "Plastics, sorted by polymer where known."),
    _c("plastics.pe_film", "PE-folie", "PE film", "Polyethylene film and bags (LDPE, LLDPE)."),
    _c("plastics.hdpe", "HDPE", "HDPE", "Sorted rigid high-density polyethylene."),
    _c("plastics.pp", "Polypropeen (PP)", "Polypropylene (PP)", "Sorted polypropylene."),
    _c("plastics.pet", "PET", "PET", "Sorted PET bottles, trays and flakes."),
    _c("plastics.ps", "Polystyreen (PS, EPS)", "Polystyrene (PS, EPS)",
       "Sorted polystyrene, including expanded polystyrene."),
    _c("plastics.pvc", "PVC", "PVC", "Sorted PVC such as pipes, profiles and window frames."),
    _c("plastics.mixed", "Gemengde kunststoffen", "Mixed plastics",
       "Unsorted or mixed plastics and plastic packaging.",
       codes="02 01 04, 07 02 13, 12 01 05, 15 01 02, 16 01 19, 17 02 03, 19 12 04, 20 01 39"),
    # ---- metals
    _c("metals", "Metalen", "Metals", "Metal scrap and metal-rich residues."),
    _c("metals.ferrous", "IJzer en staal", "Ferrous metals (iron and steel)",
       "Iron and steel scrap, turnings and shredder fractions.",
       codes="12 01 01, 12 01 02, 16 01 16, 16 01 17, 17 04 05, 19 01 02, 19 10 01, 19 12 02"),
    _c("metals.aluminium", "Aluminium", "Aluminium", "Aluminium scrap.", codes="17 04 02"),
    _c("metals.copper", "Koper, brons en messing", "Copper, bronze and brass",
       "Copper and copper-alloy scrap.", codes="17 04 01"),
    _c("metals.non_ferrous", "Overige non-ferrometalen", "Other non-ferrous metals",
       "Lead, zinc, tin and unsorted non-ferrous fractions.",
       codes="11 05 01, 11 05 02, 12 01 03, 12 01 04, 16 01 18, 17 04 03, 17 04 04, "
       "17 04 06, 19 10 02, 19 12 03"),
    _c("metals.mixed", "Gemengde metalen", "Mixed metals",
       "Mixed metal scrap, metal packaging, cables and drained end-of-life vehicles.",
       codes="02 01 10, 15 01 04, 16 01 06, 17 04 07, 17 04 11, 20 01 40"),
    # ---- minerals and construction
    _c("minerals", "Mineralen en bouwmaterialen", "Minerals and construction materials",
       "Stony, mineral and construction materials and residues."),
    _c("minerals.concrete_rubble", "Betonpuin", "Concrete rubble",
       "Concrete from demolition and concrete production.",
       codes="10 13 14, 17 01 01", density=_CR_CONCRETE_LOOSE),
    _c("minerals.bricks", "Metselwerkpuin, tegels en keramiek", "Bricks, tiles and ceramics",
       "Bricks, roof tiles, tiles and ceramics.", codes="10 12 08, 17 01 02, 17 01 03"),
    _c("minerals.mixed_rubble", "Gemengd puin", "Mixed rubble",
       "Mixtures of concrete, bricks, tiles and ceramics.",
       codes="17 01 07", density=_CR_CONCRETE_LOOSE),
    _c("minerals.asphalt", "Asfaltgranulaat (teervrij)", "Reclaimed asphalt (tar-free)",
       "Tar-free bituminous mixtures and bitumen.",
       codes="05 01 17, 17 03 02", density=_CR_CONCRETE_LOOSE),
    _c("minerals.aggregates", "Granulaat en grind", "Aggregates",
       "Gravel, crushed stone, track ballast and recycled granulate.",
       codes="01 04 08, 17 05 08, 19 12 09", density=_CR_GRAVEL_LOOSE),
    _c("minerals.sand", "Zand", "Sand", "Sand and clays.",
       codes="01 04 09, 19 08 02", density=_CR_SAND_LOOSE),
    _c("minerals.gypsum", "Gips", "Gypsum", "Gypsum and gypsum-based construction materials.",
       codes="17 08 02"),
    _c("minerals.gypsum_fgd", "Rookgasontzwavelingsgips", "FGD gypsum",
       "Calcium-based reaction products of flue-gas desulphurisation.",
       codes="10 01 05, 10 01 07"),
    _c("minerals.fly_ash", "Vliegas", "Fly ash",
       "Coal and co-combustion fly ash.", codes="10 01 02, 10 01 17"),
    _c("minerals.bottom_ash", "Bodemas", "Bottom ash",
       "Bottom ash and slag from power plants and waste incinerators.",
       codes="10 01 01, 10 01 15, 19 01 12"),
    _c("minerals.slag", "Slakken (ijzer en staal)", "Slag (iron and steel)",
       "Blast-furnace, steelmaking and ferrous foundry slags.",
       codes="10 02 01, 10 02 02, 10 09 03"),
    _c("minerals.cement", "Cement en bindmiddelen", "Cement and binders",
       "Cement and mineral binders (a need that fly ash and slag can partly fill)."),
    _c("minerals.soil", "Grond", "Soil and stones",
       "Excavated soil, stones, dredging spoil and remediated soil.",
       codes="02 04 01, 17 05 04, 17 05 06, 19 13 02, 20 02 02", density=_CR_EARTH_EXCAVATED),
    _c("minerals.other", "Overige minerale reststromen", "Other mineral residues",
       "Mining, metallurgical, ceramic and other mineral residues.",
       codes="12 01 17, 12 01 21"),
    # ---- glass, textiles
    _c("glass", "Glas", "Glass", "Container and flat glass cullet.",
       codes="10 11 12, 15 01 07, 16 01 20, 17 02 02, 19 12 05, 20 01 02"),
    _c("textiles", "Textiel", "Textiles", "Textile fibres, fabrics and clothing.",
       codes="04 02 21, 04 02 22, 15 01 09, 19 12 08, 20 01 10, 20 01 11"),
    # ---- chemicals (hazardous: same category only)
    _c("chemicals", "Chemicaliën en oplosmiddelen", "Chemicals and solvents",
       "Chemical wastes; they only match the same category.", hazardous=True),
    _c("chemicals.solvents", "Oplosmiddelen", "Solvents",
       "Organic solvents, washing liquids and refrigerants.",
       codes="04 01 03, 04 02 14, 20 01 13, " + _codes_of_family("03", "04"), hazardous=True),
    _c("chemicals.acids", "Zuren", "Acids", "Spent and waste acids.",
       codes="10 01 09, 11 01 05, 11 01 06, 16 06 06, 20 01 14", hazardous=True),
    _c("chemicals.bases", "Basen (logen)", "Bases (alkalis)", "Spent and waste alkalis.",
       codes="11 01 07, 20 01 15", hazardous=True),
    _c("chemicals.paints", "Verf, inkt, lijm en kleurstoffen", "Paints, inks, adhesives and dyes",
       "Paints, varnishes, inks, adhesives, sealants, dyes and pigments.",
       codes="04 02 16, 04 02 17, 20 01 27, 20 01 28", hazardous=True),
    _c("chemicals.other", "Overige chemicaliën", "Other chemicals",
       "Other chemical wastes: salts, catalysts, agrochemicals, laboratory chemicals.",
       codes="02 01 08, 02 01 09, 04 01 04, 04 01 05, 04 02 15, 05 01 16, 05 07 01, 05 07 02, "
       "08 03 16, 08 04 17, 08 05 01, 11 01 11, 16 01 13, 16 01 14, 16 01 15, 16 03 03, "
       "16 03 04, 16 03 07, 16 10 01, 16 10 03, 19 08 06, 19 08 07, 19 08 08, 19 13 07, "
       "20 01 17, 20 01 19, 20 01 29, 20 01 30",
       hazardous=True),
    # ---- oils and fats
    _c("oils_fats", "Oliën en vetten", "Oils and fats", "Oils and fats."),
    _c("oils_fats.edible", "Frituurvet en spijsolie", "Edible oils and fats",
       "Used cooking oil, edible fats and grease from grease traps.",
       codes="19 08 09, 20 01 25", density=_EPA_FATS),
    _c("oils_fats.mineral", "Afgewerkte olie en brandstoffen", "Waste mineral oils and fuels",
       "Waste lubricating, hydraulic and machining oils, fuels and oily wastes (hazardous).",
       codes="08 03 19, 12 01 06, 12 01 07, 12 01 08, 12 01 09, 12 01 10, 12 01 12, 12 01 19, "
       "16 07 08, 19 02 07, 19 08 10, 20 01 26",
       density=_CR_WASTE_OIL, hazardous=True),
    _c("oils_fats.biofuel_feedstock", "Grondstof voor biodiesel", "Biodiesel feedstock",
       "Oils and fats for biodiesel production.", density=_EPA_FATS),
    # ---- sludges
    _c("sludges", "Slib", "Sludges", "Sludges and filter cakes.", density=_ME_SLUDGE),
    _c("sludges.organic", "Organisch slib", "Organic sludges",
       "Sewage sludge and sludges from food-industry and biological effluent treatment.",
       codes="02 01 01, 02 02 01, 02 02 04, 02 03 01, 02 03 05, 02 04 03, 02 05 02, 02 06 03, "
       "02 07 05, 03 03 11, 19 08 05, 19 08 12, 20 03 04",
       density=_ME_SLUDGE),
    _c("sludges.other", "Overig slib", "Other sludges",
       "Non-hazardous mineral, paper-mill and treatment sludges and filter cakes.",
       codes="03 03 02, 03 03 05, 03 03 09, 03 03 10, 04 01 06, 04 01 07, 04 02 20, 05 01 10, "
       "05 01 13, 06 05 03, 10 01 21, 10 01 23, 10 02 14, 10 02 15, 10 03 26, 10 07 05, "
       "10 08 18, 10 11 14, 10 11 18, 10 12 05, 10 12 13, 10 13 07, 11 01 10, 12 01 15, "
       "19 02 06, 19 08 14, 19 09 02, 19 09 03, 19 09 06, 19 11 06, 19 13 04, 19 13 06, "
       "20 03 06, " + _codes_of_family("12"),
       density=_ME_SLUDGE),
    _c("sludges.hazardous", "Gevaarlijk slib", "Hazardous sludges",
       "Sludges and filter cakes containing hazardous substances.",
       codes="04 02 19, 05 01 09, 06 05 02, 10 01 20, 10 01 22, 10 02 13, 10 03 25, 10 04 07, "
       "10 05 06, 10 06 07, 10 08 17, 10 11 13, 10 11 17, 11 01 08, 11 01 09, 12 01 14, "
       "12 01 18, 19 01 05, 19 02 05, 19 08 11, 19 08 13, 19 13 03, 19 13 05, "
       + _codes_of_family("11"),
       density=_ME_SLUDGE, hazardous=True),
    # ---- water
    _c("water", "Water", "Water", "Water streams.", unit="m3", density=_WATER),
    _c("water.process", "Proceswater", "Process water",
       "Water used in production (a need that effluent and cooling water can fill).",
       unit="m3", density=_WATER),
    _c("water.treated_effluent", "Gezuiverd effluent", "Treated effluent",
       "Effluent from a treatment plant, fit for reuse.", unit="m3", density=_WATER),
    _c("water.cooling", "Koelwater", "Cooling water",
       "Once-through cooling water, warmed but otherwise clean.", unit="m3", density=_WATER),
    _c("water.wastewater", "Afvalwater", "Wastewater",
       "Aqueous liquid wastes and leachate destined for treatment.",
       unit="m3", codes="11 01 12, 16 10 02, 16 10 04, 19 07 03, 19 13 08", density=_WATER),
    # ---- energy
    _c("energy", "Energie", "Energy", "Residual energy and energy carriers.", unit="MWh"),
    _c("energy.heat", "Warmte", "Heat",
       "Heat whose temperature the lister leaves open; steam meets any heat need.",
       unit="MWh"),
    _c("energy.steam", "Stoom", "Steam", "Process steam.", unit="MWh"),
    _c("energy.hot_water", "Warm water", "Hot water",
       "Hot water for space or process heating, roughly 50-90 °C.", unit="MWh"),
    _c("energy.heat_low_temperature", "Lagetemperatuurwarmte", "Low-temperature heat",
       "Residual heat below about 50 °C, e.g. from cooling circuits and condensers.",
       unit="MWh"),
    _c("energy.biogas", "Biogas", "Biogas", "Raw or upgraded biogas.", unit="MWh"),
    _c("energy.fuel_gas", "Brandstof (gas)", "Fuel gas",
       "Gas to fire boilers or CHP engines in place of natural gas.", unit="MWh"),
    _c("energy.co2_gas", "CO2-gas", "CO2 gas",
       "Carbon dioxide captured from fermentation, digestion or flue gas."),
    _c("energy.co2_greenhouse", "CO2 voor kassen", "CO2 for greenhouses",
       "CO2 dosed in greenhouses to boost crop growth."),
    # ---- pallets and packaging
    _c("packaging", "Pallets en verpakkingen", "Pallets and packaging",
       "Pallets, reusable containers and packaging.", unit="pcs"),
    _c("packaging.pallets", "Pallets en houten verpakking", "Pallets and wooden packaging",
       "Wooden pallets, crates and other wooden packaging.",
       unit="pcs", codes="15 01 03", per_piece=_EPAL_PALLET_T),
    _c("packaging.containers", "Herbruikbare verpakking", "Reusable containers",
       "IBCs, drums, crates and boxes fit for reuse.", unit="pcs"),
    _c("packaging.mixed", "Gemengde verpakkingen", "Mixed packaging",
       "Composite and mixed packaging.", codes="15 01 05, 15 01 06"),
    # ---- other
    _c("other", "Overig", "Other", "Materials that fit no other category.",
       codes="02 01 99, 02 03 02, 02 03 03, 02 06 02, 02 07 03, 03 03 07, 03 03 99, 04 02 10, "
       "05 01 14, 05 01 99, 05 06 04, 05 06 99, 05 07 99, 10 11 03, 12 01 13, 12 01 99, "
       "15 02 03, 16 01 03, 16 05 05, 17 09 04, 19 02 10, 19 12 10, 19 12 12, 20 03 01"),
    _c("other.hazardous", "Overig gevaarlijk afval", "Other hazardous waste",
       "Hazardous waste that fits no other category.", hazardous=True),
)  # fmt: skip

#: Every category by key, parents before children, in display order.
CATEGORIES: Final[Mapping[str, Category]] = MappingProxyType(
    {cat.key: cat for cat in _CATEGORY_LIST}
)

#: Sub-chapter (``"02 03"``) -> category, for codes not listed explicitly.
SUBCHAPTER_RULES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "01 05": "sludges.other",  # drilling muds
        "02 02": "organics.animal_by_products",  # meat and fish processing
        "02 03": "organics.food_residues",  # fruit, vegetables, cereals, oils, coffee, tea
        "02 04": "organics.food_residues",  # sugar processing
        "02 05": "organics.food_residues",  # dairy
        "02 06": "organics.food_residues",  # baking and confectionery
        "02 07": "organics.food_residues",  # beverages
        "03 02": "chemicals.other",  # wood preservatives
        "04 02": "textiles",  # textile industry
        "06 01": "chemicals.acids",
        "06 02": "chemicals.bases",
        "12 03": "chemicals.other",  # water and steam degreasing
        "15 01": "packaging.mixed",
        "16 05": "chemicals.other",  # discarded chemicals
        "16 08": "chemicals.other",  # spent catalysts
        "16 09": "chemicals.other",  # oxidising substances
        "16 11": "minerals.other",  # linings and refractories
        "19 01": "minerals.other",  # incineration residues
        "19 11": "oils_fats.mineral",  # oil regeneration
    }
)

#: Chapter (``"13"``) -> category, for codes matched by no explicit code or sub-chapter.
CHAPTER_RULES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "01": "minerals.other",  # mining and quarrying
        "05": "oils_fats.mineral",  # petroleum refining
        "06": "chemicals.other",  # inorganic chemical processes
        "07": "chemicals.other",  # organic chemical processes
        "08": "chemicals.paints",  # paints, inks, adhesives
        "09": "chemicals.other",  # photographic industry
        "10": "minerals.other",  # thermal processes
        "11": "chemicals.other",  # surface treatment of metals
        "13": "oils_fats.mineral",  # oil wastes and liquid fuels
        "14": "chemicals.solvents",  # organic solvents, refrigerants
    }
)

#: Top-level key -> hazardous category for hazardous entries that a rule would
#: otherwise put in a non-hazardous category of that branch; default ``other.hazardous``.
HAZARDOUS_FALLBACK: Final[Mapping[str, str]] = MappingProxyType({"sludges": "sludges.hazardous"})
_DEFAULT_HAZARDOUS: Final = "other.hazardous"


def _r(offered: str, needed: str, reason_en: str, reason_nl: str) -> Rule:
    return Rule(offered, needed, "substitution", reason_en, reason_nl)


#: Explicit substitutions, each with its physical reason.
RULES: Final[tuple[Rule, ...]] = (
    _r("organics.spent_grain", "organics.animal_feed",
       "Brewers' and distillers' grains are a protein-rich cattle feed.",
       "Bierbostel en spoeling zijn eiwitrijk veevoer."),
    _r("organics.spent_grain", "organics.biogas_feedstock",
       "Spent grain digests well and yields biogas.",
       "Bierbostel is goed vergistbaar en levert biogas."),
    _r("organics.food_residues", "organics.animal_feed",
       "Plant-based and dairy by-products of the food industry are fed to livestock "
       "when they meet EU feed law.",
       "Plantaardige en zuivelreststromen uit de voedingsindustrie worden veevoer als ze "
       "aan de EU-diervoederwetgeving voldoen."),
    _r("organics.food_residues", "organics.biogas_feedstock",
       "Food-processing residues are digested to biogas.",
       "Reststromen uit de voedingsindustrie worden vergist tot biogas."),
    _r("organics.animal_by_products", "organics.biogas_feedstock",
       "Category 2 and 3 animal by-products may be digested after the treatment "
       "Regulation (EC) No 1069/2009 prescribes.",
       "Dierlijke bijproducten van categorie 2 en 3 mogen worden vergist na de "
       "behandeling die Verordening (EG) nr. 1069/2009 voorschrijft."),
    _r("organics.biowaste", "organics.biogas_feedstock",
       "Kitchen and canteen waste is digested to biogas.",
       "Keuken- en kantineafval wordt vergist tot biogas."),
    _r("organics.biowaste", "organics.compost_feedstock",
       "Kitchen and canteen waste is composted together with green waste.",
       "Keuken- en kantineafval wordt samen met groenafval gecomposteerd."),
    _r("organics.manure", "organics.biogas_feedstock",
       "Manure is co-digested in farm and regional biogas plants.",
       "Mest wordt in (co-)vergisters omgezet in biogas."),
    _r("organics.manure", "organics.soil_improver",
       "Manure is an organic fertiliser and soil improver, within the limits of the "
       "Dutch Fertilisers Act.",
       "Mest is organische meststof en bodemverbeteraar, binnen de grenzen van de "
       "Meststoffenwet."),
    _r("organics.green_waste", "organics.compost_feedstock",
       "Green waste is the classic compost feedstock.",
       "Groenafval is de klassieke grondstof voor compost."),
    _r("organics.green_waste", "organics.biomass_fuel",
       "The woody fraction of green waste (prunings) is chipped into biomass fuel.",
       "De houtige fractie van groenafval (snoeihout) wordt versnipperd tot "
       "biomassabrandstof."),
    _r("organics.wood", "organics.biomass_fuel",
       "Non-hazardous wood is chipped into biomass fuel; painted or glued wood only for "
       "plants permitted to burn it.",
       "Niet-gevaarlijk hout wordt versnipperd tot biomassabrandstof; geverfd of verlijmd "
       "hout alleen voor installaties met een vergunning daarvoor."),
    _r("packaging.pallets", "organics.wood",
       "Broken pallets are untreated or heat-treated wood and are recycled as wood.",
       "Kapotte pallets zijn onbehandeld of hittebehandeld hout en worden als hout "
       "gerecycled."),
    _r("minerals.concrete_rubble", "minerals.aggregates",
       "Crushed concrete (recycled granulate) replaces gravel in concrete and road bases.",
       "Gebroken betonpuin (betongranulaat) vervangt grind in beton en wegfunderingen."),
    _r("minerals.concrete_rubble", "minerals.sand",
       "The fine fraction of crushed concrete replaces sand in fills and mortar.",
       "De fijne fractie van gebroken beton vervangt zand in ophogingen en mortel."),
    _r("minerals.mixed_rubble", "minerals.aggregates",
       "Crushed mixed rubble (mixed granulate) is used in road foundations.",
       "Gebroken gemengd puin (menggranulaat) wordt gebruikt in wegfunderingen."),
    _r("minerals.bricks", "minerals.aggregates",
       "Crushed masonry is used as granulate in road foundations.",
       "Gebroken metselwerkpuin wordt als granulaat in wegfunderingen toegepast."),
    _r("minerals.fly_ash", "minerals.cement",
       "Coal fly ash replaces part of the cement in concrete (EN 450-1).",
       "Poederkoolvliegas vervangt een deel van het cement in beton (NEN-EN 450-1)."),
    _r("minerals.slag", "minerals.aggregates",
       "Iron and steel slags are crushed into aggregates for roads and hydraulic works.",
       "IJzer- en staalslakken worden gebroken tot granulaat voor wegen en waterbouw."),
    _r("minerals.slag", "minerals.cement",
       "Granulated blast-furnace slag is ground into slag cement (CEM III).",
       "Gegranuleerde hoogovenslak wordt gemalen tot hoogovencement (CEM III)."),
    _r("minerals.bottom_ash", "minerals.aggregates",
       "Treated bottom ash is used as granulate in road foundations.",
       "Behandelde bodemas wordt als granulaat in wegfunderingen gebruikt."),
    _r("minerals.gypsum_fgd", "minerals.gypsum",
       "FGD gypsum replaces natural gypsum in plasterboard and cement.",
       "Rookgasontzwavelingsgips vervangt natuurgips in gipsplaten en cement."),
    _r("water.treated_effluent", "water.process",
       "Treated effluent, polished where needed, replaces tap or groundwater as process water.",
       "Gezuiverd effluent vervangt, zo nodig nagezuiverd, leiding- of grondwater als "
       "proceswater."),
    _r("water.cooling", "water.process",
       "Once-through cooling water is only warmed, so it can be reused as process water.",
       "Doorstroomkoelwater is alleen opgewarmd en kan als proceswater worden hergebruikt."),
    _r("energy.steam", "energy.heat",
       "Steam is the highest grade of heat and can meet any heat demand.",
       "Stoom is warmte van de hoogste kwaliteit en kan elke warmtevraag dekken."),
    _r("energy.steam", "energy.hot_water",
       "Steam heats water through a heat exchanger.",
       "Stoom verwarmt water via een warmtewisselaar."),
    _r("energy.steam", "energy.heat_low_temperature",
       "Steam can meet any low-temperature heat demand through a heat exchanger.",
       "Stoom kan via een warmtewisselaar elke lagetemperatuurwarmtevraag dekken."),
    _r("energy.hot_water", "energy.heat_low_temperature",
       "Hot water can meet any low-temperature heat demand.",
       "Warm water kan elke lagetemperatuurwarmtevraag dekken."),
    _r("energy.heat_low_temperature", "energy.hot_water",
       "A heat pump lifts low-temperature residual heat to hot-water level, or the heat "
       "pre-heats water.",
       "Een warmtepomp brengt lagetemperatuur-restwarmte op warmwaterniveau, of de "
       "warmte verwarmt water voor."),
    _r("energy.biogas", "energy.fuel_gas",
       "Biogas fires boilers and CHP engines in place of natural gas.",
       "Biogas stookt ketels en WKK-motoren in plaats van aardgas."),
    _r("energy.co2_gas", "energy.co2_greenhouse",
       "Clean CO2 (e.g. from fermentation or biogas upgrading) is dosed in greenhouses "
       "to boost crop growth.",
       "Schone CO2 (bijv. uit fermentatie of biogasopwerking) wordt in kassen gedoseerd "
       "voor extra gewasgroei."),
    _r("oils_fats.edible", "oils_fats.biofuel_feedstock",
       "Used cooking oil and fats are refined into biodiesel.",
       "Gebruikt frituurvet en spijsolie worden tot biodiesel verwerkt."),
    _r("oils_fats.edible", "organics.biogas_feedstock",
       "Fats are co-digested for their high biogas yield.",
       "Vetten worden meevergist vanwege hun hoge biogasopbrengst."),
    _r("sludges.organic", "organics.biogas_feedstock",
       "Organic sludge is digested to biogas.",
       "Organisch slib wordt vergist tot biogas."),
)  # fmt: skip

_RULES_BY_PAIR: Final[Mapping[tuple[str, str], Rule]] = MappingProxyType(
    {(rule.offered, rule.needed): rule for rule in RULES}
)


# ------------------------------------------------------------------------- integrity
def _check_definitions() -> None:
    """Fail at import if the literal definitions above contradict each other."""
    problems: list[str] = []
    seen: set[str] = set()
    explicit: dict[str, str] = {}
    for cat in _CATEGORY_LIST:
        if cat.key in seen:
            problems.append(f"category {cat.key!r} is defined twice")
        if not _KEY_RE.fullmatch(cat.key):
            problems.append(f"category key {cat.key!r} is not lower-case dotted words")
        if cat.parent is not None and cat.parent not in seen:
            problems.append(f"category {cat.key!r}: parent {cat.parent!r} is not defined before it")
        if cat.default_unit not in DEFAULT_UNITS:
            problems.append(
                f"category {cat.key!r}: unit {cat.default_unit!r} not in {DEFAULT_UNITS}"
            )
        if cat.density_t_per_m3 is not None and not 0 < cat.density_t_per_m3 < 10:
            problems.append(f"category {cat.key!r}: density {cat.density_t_per_m3!r} implausible")
        parent = CATEGORIES.get(cat.parent) if cat.parent else None
        if parent is not None and parent.hazardous and not cat.hazardous:
            problems.append(f"category {cat.key!r} must be hazardous like its parent")
        for code in cat.ewc_codes:
            if not re.fullmatch(r"\d\d \d\d \d\d", code):
                problems.append(f"category {cat.key!r}: EWC code {code!r} is not canonical")
            if code in explicit:
                problems.append(f"EWC code {code} is listed by {explicit[code]!r} and {cat.key!r}")
            explicit[code] = cat.key
        seen.add(cat.key)
    for prefix, key in (*SUBCHAPTER_RULES.items(), *CHAPTER_RULES.items()):
        if key not in seen:
            problems.append(f"EWC rule {prefix!r} -> {key!r}: unknown category")
    for fallback in (*HAZARDOUS_FALLBACK.values(), _DEFAULT_HAZARDOUS):
        if fallback not in seen or not CATEGORIES[fallback].hazardous:
            problems.append(f"hazardous fallback {fallback!r} must be a hazardous category")
    if len(_RULES_BY_PAIR) != len(RULES):
        problems.append("RULES holds the same (offered, needed) pair twice")
    for rule in RULES:
        ends = (rule.offered, rule.needed)
        if any(key not in seen for key in ends):
            problems.append(f"rule {ends}: unknown category")
            continue
        if any(CATEGORIES[key].hazardous for key in ends):
            problems.append(f"rule {ends}: hazardous categories only match themselves")
        if rule.offered == rule.needed or rule.needed in ancestors(rule.offered):
            problems.append(f"rule {ends} is already a same or parent_child match")
        if not (rule.reason_en.strip() and rule.reason_nl.strip()):
            problems.append(f"rule {ends} needs a reason in both languages")
    if problems:
        raise AssertionError("taxonomy definitions are inconsistent:\n" + "\n".join(problems))


# ---------------------------------------------------------------------------- lookup
def is_category(key: object) -> bool:
    """Return whether ``key`` is a category key.

    Examples
    --------
    >>> is_category("minerals.gypsum"), is_category("gypsum")
    (True, False)
    """
    return isinstance(key, str) and key in CATEGORIES


def category_keys() -> tuple[str, ...]:
    """Return every category key, parents before children, in display order.

    Examples
    --------
    >>> category_keys()[:2]
    ('organics', 'organics.food_residues')
    """
    return tuple(CATEGORIES)


def category(key: str) -> Category:
    """Return the category with this key.

    Raises
    ------
    UnknownCategory
        If ``key`` is not a category; the message suggests close matches.

    Examples
    --------
    >>> category("minerals.gypsum").name_nl
    'Gips'
    >>> category("gypsum")
    Traceback (most recent call last):
    ...
    flows.errors.UnknownCategory: category 'gypsum' is not in the taxonomy; did you mean \
'minerals.gypsum', 'minerals.gypsum_fgd'? (python -m flows taxonomy lists every key)
    """
    if isinstance(key, str) and key in CATEGORIES:
        return CATEGORIES[key]
    suggestions = _close_matches(key) if isinstance(key, str) else []
    hint = f"; did you mean {', '.join(map(repr, suggestions))}?" if suggestions else ""
    raise UnknownCategory(
        f"category {key!r} is not in the taxonomy{hint} (python -m flows taxonomy lists every key)"
    )


def _close_matches(key: str, *, n: int = 5) -> list[str]:
    wanted = key.strip().casefold()
    by_segment = [
        k
        for k, cat in CATEGORIES.items()
        if wanted
        and (
            wanted in k.rsplit(".", 1)[-1]
            or wanted in cat.name_nl.casefold()
            or wanted in cat.name_en.casefold()
        )
    ]
    fuzzy = difflib.get_close_matches(wanted, list(CATEGORIES), n=n, cutoff=0.6)
    return list(dict.fromkeys([*by_segment, *fuzzy]))[:n]


def root(key: str) -> str:
    """Return the top-level key of ``key``.

    Examples
    --------
    >>> root("organics.wood.residues")
    'organics'
    """
    return category(key).key.split(".", 1)[0]


def children(key: str) -> tuple[str, ...]:
    """Return the keys of the direct children of ``key``, in display order.

    Examples
    --------
    >>> children("organics.wood")
    ('organics.wood.residues', 'organics.wood.clean', 'organics.wood.treated')
    """
    category(key)
    return tuple(k for k, cat in CATEGORIES.items() if cat.parent == key)


def descendants(key: str, *, include_self: bool = True) -> tuple[str, ...]:
    """Return ``key`` (optionally) and every key below it, in display order.

    Examples
    --------
    >>> descendants("organics.wood", include_self=False)
    ('organics.wood.residues', 'organics.wood.clean', 'organics.wood.treated')
    """
    category(key)
    below = tuple(k for k in CATEGORIES if k.startswith(key + "."))
    return (key, *below) if include_self else below


def ancestors(key: str) -> tuple[str, ...]:
    """Return the keys above ``key``, nearest first.

    Examples
    --------
    >>> ancestors("organics.wood.residues")
    ('organics.wood', 'organics')
    """
    parent = category(key).parent
    chain: list[str] = []
    while parent is not None:
        chain.append(parent)
        parent = CATEGORIES[parent].parent
    return tuple(chain)


def category_choices(*, lang: Lang = "nl") -> list[tuple[str, str]]:
    """Return ``(key, label)`` pairs for a select box, children indented under parents.

    Examples
    --------
    >>> category_choices(lang="en")[1]
    ('organics.food_residues', '\\u2003Food-processing residues')
    """
    _check_lang(lang)
    return [(k, "\u2003" * cat.depth + cat.name(lang)) for k, cat in CATEGORIES.items()]


# ----------------------------------------------------------------------- EWC mapping
@cache
def _mapping() -> pd.Series:
    table = ewc_table()
    explicit = {code: cat.key for cat in _CATEGORY_LIST for code in cat.ewc_codes}
    problems = [
        f"EWC code {code} of {key!r} is not on the list"
        for code, key in explicit.items()
        if code not in table.index
    ]
    keys: list[str] = []
    for code, sub, chapter, hazardous in zip(
        table.index, table["subchapter"], table["chapter"], table["hazardous"], strict=True
    ):
        key = explicit.get(code) or SUBCHAPTER_RULES.get(sub) or CHAPTER_RULES.get(chapter)
        key = key or "other"
        if hazardous and not CATEGORIES[key].hazardous:
            if code in explicit:
                problems.append(f"hazardous EWC code {code} is listed by non-hazardous {key!r}")
            key = HAZARDOUS_FALLBACK.get(key.split(".", 1)[0], _DEFAULT_HAZARDOUS)
        keys.append(key)
    if problems:
        raise AssertionError("EWC mapping is inconsistent:\n" + "\n".join(problems))
    return pd.Series(keys, index=table.index, name="category", dtype=str)


def ewc_mapping() -> pd.Series:
    """Return the category of every EWC code: a Series indexed by canonical code.

    Computed once; each call returns a cheap copy.

    Examples
    --------
    >>> mapping = ewc_mapping()
    >>> len(mapping), mapping["02 01 06"], mapping["13 02 05"]
    (842, 'organics.manure', 'oils_fats.mineral')
    """
    return _mapping().copy(deep=False)


def category_for_ewc(code: str) -> str:
    """Return the category key of an EWC code (any form :func:`normalise_ewc_code` accepts).

    Raises
    ------
    InvalidEWCCode
        If the code is malformed or not on the list.

    Examples
    --------
    >>> category_for_ewc("170802"), category_for_ewc("17 05 03*")
    ('minerals.gypsum', 'other.hazardous')
    """
    return str(_mapping()[normalise_ewc_code(code)])


def ewc_codes_for(key: str, *, include_descendants: bool = False) -> tuple[str, ...]:
    """Return every EWC code that maps to ``key`` (and its descendants), in list order.

    Examples
    --------
    >>> ewc_codes_for("minerals.gypsum_fgd")
    ('10 01 05', '10 01 07')
    >>> len(ewc_codes_for("metals", include_descendants=True))
    26
    """
    keys = descendants(key) if include_descendants else (category(key).key,)
    mapping = _mapping()
    return tuple(str(code) for code in mapping.index[mapping.isin(keys)])


# --------------------------------------------------------------------- compatibility
def match_rule(offered_key: str, needed_key: str) -> Rule | None:
    """Return why ``offered_key`` can meet ``needed_key``, or ``None`` if it cannot.

    See the module docstring for the semantics of ``same``, ``parent_child`` and
    ``substitution``. An inherited substitution is returned with ``offered`` set to
    ``offered_key`` and the reasons of the rule it comes from.

    Raises
    ------
    UnknownCategory
        If either key is not a category.

    Examples
    --------
    >>> match_rule("organics.wood.residues", "organics.biomass_fuel").kind
    'substitution'
    >>> match_rule("metals.copper", "metals").reason_en
    'Copper, bronze and brass is a kind of Metals'
    >>> match_rule("chemicals.acids", "chemicals") is None
    True
    """
    offered, needed = category(offered_key), category(needed_key)
    if offered.key == needed.key:
        return Rule(offered.key, needed.key, "same", "Same material category.",
                    "Zelfde materiaalcategorie.")  # fmt: skip
    if offered.hazardous or needed.hazardous:
        return None
    lineage = ancestors(offered.key)
    if needed.key in lineage and offered.family == needed.family:
        return Rule(
            offered.key,
            needed.key,
            "parent_child",
            f"{offered.name_en} is a kind of {needed.name_en}",
            f"{offered.name_nl} valt onder {needed.name_nl}",
        )
    for source in (offered.key, *lineage):
        rule = _RULES_BY_PAIR.get((source, needed.key))
        if rule is not None:
            return rule if source == offered.key else replace(rule, offered=offered.key)
    return None


@cache
def _compatibility() -> pd.DataFrame:
    rows = [
        (rule.offered, rule.needed, rule.kind, rule.reason_en, rule.reason_nl)
        for rule in _all_matches()
    ]
    return pd.DataFrame(rows, columns=list(COMPATIBILITY_COLUMNS), dtype=str)


def _all_matches() -> Iterator[Rule]:
    for offered in CATEGORIES:
        for needed in CATEGORIES:
            rule = match_rule(offered, needed)
            if rule is not None:
                yield rule


def compatibility_table() -> pd.DataFrame:
    """Return every compatible ``(offered, needed)`` pair of category keys.

    Columns are :data:`COMPATIBILITY_COLUMNS`; one row per pair, exactly the pairs
    for which :func:`match_rule` returns a rule, with that rule's kind and reasons.
    Computed once; each call returns a cheap copy.

    Examples
    --------
    >>> table = compatibility_table()
    >>> pair = table[(table.offered == "minerals.fly_ash") & (table.needed == "minerals.cement")]
    >>> pair["kind"].item()
    'substitution'
    >>> bool(((table.offered == "metals.mixed") & (table.needed == "metals.copper")).any())
    False
    """
    return _compatibility().copy(deep=False)


# ------------------------------------------------------------------------ formatting
_LABELS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "nl": {
            "title": "Materiaaltaxonomie: {n} categorieën, {codes} Euralcodes",
            "key": "sleutel",
            "name": "naam (nl / en)",
            "unit": "eenheid",
            "ewc": "EWC",
            "hazardous": "gevaarlijk",
            "rules": "Vervangingsregels",
            "semantics": (
                "Een aanbod past bij een vraag als de categorie gelijk is, als het aanbod "
                "onder de gevraagde categorie valt (ouder-kind), of via een regel hieronder.\n"
                "Een algemene categorie (bijv. metals) voldoet niet aan een specifieke vraag "
                "(bijv. metals.copper). Gevaarlijke categorieën passen alleen bij zichzelf."
            ),
        },
        "en": {
            "title": "Material taxonomy: {n} categories, {codes} EWC codes",
            "key": "key",
            "name": "name (en / nl)",
            "unit": "unit",
            "ewc": "EWC",
            "hazardous": "hazardous",
            "rules": "Substitution rules",
            "semantics": (
                "An offer meets a need when the category is the same, when the offer is a "
                "kind of the needed category (parent-child), or through a rule below.\n"
                "A general category (e.g. metals) does not meet a specific need "
                "(e.g. metals.copper). Hazardous categories only match themselves."
            ),
        },
    }
)


def format_taxonomy(*, lang: Lang = "nl") -> str:
    """Return the taxonomy and its rules as plain text, headings in ``lang``.

    Each category shows its key (indented by depth), both names (``lang`` first), its
    default unit, the number of EWC codes mapped to it and a hazardous marker; then
    every substitution rule with its reason.

    Examples
    --------
    >>> text = format_taxonomy(lang="en")
    >>> "minerals.gypsum_fgd -> minerals.gypsum" in text
    True
    """
    _check_lang(lang)
    labels = _LABELS[lang]
    other: Lang = "en" if lang == "nl" else "nl"
    counts = _mapping().value_counts()
    key_width = max(len(k) + 2 * cat.depth for k, cat in CATEGORIES.items())
    names = {k: f"{cat.name(lang)} / {cat.name(other)}" for k, cat in CATEGORIES.items()}
    name_width = max(len(name) for name in names.values())
    lines = [
        labels["title"].format(n=len(CATEGORIES), codes=int(counts.sum())),
        "",
        f"{labels['key']:<{key_width}}  {labels['name']:<{name_width}}  "
        f"{labels['unit']:<7}  {labels['ewc']:>4}",
    ]
    for key, cat in CATEGORIES.items():
        flag = f"  [{labels['hazardous']}]" if cat.hazardous else ""
        indented = "  " * cat.depth + key
        lines.append(
            f"{indented:<{key_width}}  {names[key]:<{name_width}}  "
            f"{cat.default_unit:<7}  {int(counts.get(key, 0)):>4}{flag}"
        )
    lines += ["", labels["rules"], "", labels["semantics"], ""]
    width = max(len(f"{rule.offered} -> {rule.needed}") for rule in RULES)
    for rule in RULES:
        pair = f"{rule.offered} -> {rule.needed}"
        lines.append(f"{pair:<{width}}  {rule.reason(lang)}")
    return "\n".join(lines) + "\n"


def _check_lang(lang: str) -> None:
    if lang not in ("nl", "en"):
        raise ValueError(f"lang {lang!r} is not one of 'nl', 'en'")


_check_definitions()
