"""The documentation of the listing file: one help line per column, and a template.

The help text (English and Dutch) is what the import page, the template's ``help`` sheet
and ``python -m flows`` show; the template's two rows pass
:func:`~flows.listing_file.parse_listings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Final

import pandas as pd

from flows.listing_file.columns import FileFormat
from flows.listing_file.rules import MAX_DESCRIPTION_CHARS, MAX_REF_CHARS, MAX_TITLE_CHARS
from flows.listing_file.write import _write_xlsx, write_listing_file
from flows.schema import (
    CURRENT_ROUTES,
    CURRENT_SOURCES,
    FREQUENCIES,
    LISTING_COLUMNS,
    TRANSPORT_MODES,
    UNITS,
)

__all__ = ["column_help", "template_frame", "write_template"]


_HELP: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "ref": f"Your own id of the listing; required, unique per organisation, at most "
        f"{MAX_REF_CHARS} characters. Example: OFF-2025-001",
        "organisation": "Name or KvK number of the organisation; required in coordinator "
        "imports. Example: Houtbewerking Deventer BV",
        "kind": "offer (a residual stream you have) or need (an input you want); also "
        "aanbod, vraag. Example: offer",
        "title": f"Short title; required, at most {MAX_TITLE_CHARS} characters. "
        "Example: Clean pallet wood",
        "material": "Material category key of the taxonomy (python -m flows taxonomy); "
        "may be left empty when ewc_code is given. Example: organics.wood.residues",
        "ewc_code": "EWC waste code (02 01 03, 020103 or 02 01 03*); required for offers "
        "except energy and water; for needs a ;-separated list of accepted codes. "
        "A need's list is honoured as written: exactly the offers under those codes "
        "qualify, whatever their categories; the need shows the category of its first "
        "code as its material. The law still holds: a feed need never receives catering "
        "waste, animal by-products, manure or other codes feed law bans (the import warns), "
        "and hazardous waste (an entry marked *, e.g. 17 05 03*) only when the list names it. "
        "Example: 03 01 05",
        "quantity": "Amount per frequency, greater than 0; decimal point or comma "
        "(1234,5 or 1234.5; not 1.234, which is ambiguous). Example: 120",
        "unit": f"{', '.join(UNITS)} (also ton, m³, stuks). Example: t",
        "frequency": f"{', '.join(FREQUENCIES)}; empty means year. Example: month",
        "postcode": "Dutch postcode of the site (1234 AB or 1234); or give lat and lon. "
        "Example: 7411 AB",
        "lat": "Latitude in WGS84 degrees, with lon instead of a postcode. Example: 52.2525",
        "lon": "Longitude in WGS84 degrees, with lat instead of a postcode. Example: 6.1593",
        "max_distance_km": "Needs only: farthest distance you would fetch from, in km, "
        "greater than 0; empty means the default. Example: 50",
        "transport_mode": f"How the stream can travel: {', '.join(TRANSPORT_MODES)}; empty "
        "means truck. Barge, rail, sea and pipeline are used only when offer and need both "
        "state them (both sites have the quay, siding or pipe); heat, steam, water and CO2 "
        "always go by pipe, biogas by truck unless pipeline is stated. Example: barge",
        "available_from": "First day available or needed, YYYY-MM-DD; may be empty. "
        "Example: 2025-01-01",
        "available_until": "Last day, YYYY-MM-DD, not before available_from; may be empty. "
        "Example: 2025-12-31",
        "current_route": f"Offers only: where the stream goes today: "
        f"{', '.join(CURRENT_ROUTES)}; may be empty. Example: incineration",
        "current_source": f"Needs only: where you get it today: "
        f"{', '.join(CURRENT_SOURCES)}; may be empty. Example: virgin",
        "current_source_km": "Needs only: distance in km to today's supplier, 0 or more; "
        "may be empty. Example: 120",
        "current_source_transport_mode": f"Needs only: how today's supply travels: "
        f"{', '.join(TRANSPORT_MODES)}; empty means truck. Example: truck",
        "visibility": "public (your name is shown) or anonymous; empty means public. "
        "Example: public",
        "description": f"Free text, at most {MAX_DESCRIPTION_CHARS} characters. "
        "Example: Untreated pine, dry, stored indoors",
    },
    "nl": {
        "ref": f"Uw eigen kenmerk van de listing; verplicht, uniek per organisatie, "
        f"hoogstens {MAX_REF_CHARS} tekens. Voorbeeld: OFF-2025-001",
        "organisation": "Naam of KvK-nummer van de organisatie; verplicht bij import door "
        "de coördinator. Voorbeeld: Houtbewerking Deventer BV",
        "kind": "offer of aanbod (een reststroom die u heeft) of need of vraag (een "
        "grondstof die u zoekt). Voorbeeld: aanbod",
        "title": f"Korte titel; verplicht, hoogstens {MAX_TITLE_CHARS} tekens. "
        "Voorbeeld: Schoon palethout",
        "material": "Materiaalcategorie uit de taxonomie (python -m flows taxonomy); mag "
        "leeg als ewc_code is ingevuld. Voorbeeld: organics.wood.residues",
        "ewc_code": "Euralcode (02 01 03, 020103 of 02 01 03*); verplicht voor aanbod "
        "behalve energie en water; bij vraag een door ; gescheiden lijst van geaccepteerde "
        "codes. De lijst van een vraag geldt zoals geschreven: precies het aanbod met die "
        "codes komt in aanmerking, ongeacht de categorie; als materiaal toont de vraag de "
        "categorie van de eerste code. De wet blijft gelden: een vraag naar diervoeder "
        "krijgt nooit keukenafval, dierlijke bijproducten, mest of andere codes die de "
        "diervoederwetgeving verbiedt (de import waarschuwt), en gevaarlijk afval "
        "(een code met *, bijv. 17 05 03*) alleen als de lijst die code zelf noemt. "
        "Voorbeeld: 03 01 05",
        "quantity": "Hoeveelheid per frequentie, groter dan 0; decimale komma of punt "
        "(1234,5 of 1234.5; niet 1.234, dat is dubbelzinnig). Voorbeeld: 120",
        "unit": f"{', '.join(UNITS)} (ook ton, m³, stuks). Voorbeeld: t",
        "frequency": "once (eenmalig), week, month (maand) of year (jaar); leeg is year. "
        "Voorbeeld: month",
        "postcode": "Postcode van de locatie (1234 AB of 1234); of vul lat en lon in. "
        "Voorbeeld: 7411 AB",
        "lat": "Breedtegraad in WGS84-graden, met lon in plaats van een postcode. "
        "Voorbeeld: 52.2525",
        "lon": "Lengtegraad in WGS84-graden, met lat in plaats van een postcode. Voorbeeld: 6.1593",
        "max_distance_km": "Alleen vraag: grootste afstand in km waarvandaan u wilt halen, "
        "groter dan 0; leeg is de standaard. Voorbeeld: 50",
        "transport_mode": f"Hoe de stroom kan reizen: {', '.join(TRANSPORT_MODES)} "
        "(vrachtwagen, binnenvaart, spoor, zee, pijpleiding); leeg is truck. Binnenvaart, "
        "spoor, zee en pijpleiding tellen alleen als aanbod en vraag ze allebei noemen "
        "(beide locaties hebben de kade, het spoor of de leiding); warmte, stoom, water en "
        "CO2 gaan altijd per leiding, biogas per vrachtwagen tenzij pipeline is vermeld. "
        "Voorbeeld: barge",
        "available_from": "Eerste dag beschikbaar of nodig, JJJJ-MM-DD; mag leeg. "
        "Voorbeeld: 2025-01-01",
        "available_until": "Laatste dag, JJJJ-MM-DD, niet vóór available_from; mag leeg. "
        "Voorbeeld: 2025-12-31",
        "current_route": f"Alleen aanbod: waar de stroom nu heen gaat: "
        f"{', '.join(CURRENT_ROUTES)}; mag leeg. Voorbeeld: incineration",
        "current_source": f"Alleen vraag: waar u het nu vandaan haalt: "
        f"{', '.join(CURRENT_SOURCES)} (nieuw of secundair); mag leeg. Voorbeeld: virgin",
        "current_source_km": "Alleen vraag: afstand in km tot de huidige leverancier, 0 of "
        "meer; mag leeg. Voorbeeld: 120",
        "current_source_transport_mode": f"Alleen vraag: hoe de huidige aanvoer reist: "
        f"{', '.join(TRANSPORT_MODES)}; leeg is truck. Voorbeeld: truck",
        "visibility": "public (uw naam is zichtbaar), anonymous (of openbaar, anoniem); "
        "leeg is public. Voorbeeld: public",
        "description": f"Vrije tekst, hoogstens {MAX_DESCRIPTION_CHARS} tekens. "
        "Voorbeeld: Onbehandeld grenen, droog, binnen opgeslagen",
    },
}

_TEMPLATE_ROWS: Final = (
    {
        "ref": "OFF-001",
        "organisation": "Houtbewerking Deventer BV",
        "kind": "offer",
        "title": "Clean pallet wood",
        "material": "organics.wood.residues",
        "ewc_code": "03 01 05",
        "quantity": "120",
        "unit": "t",
        "frequency": "year",
        "postcode": "7411",
        "current_route": "incineration",
        "transport_mode": "truck",
        "visibility": "public",
        "description": "Untreated pine, dry, stored indoors",
    },
    {
        "ref": "NEED-001",
        "organisation": "Warmte Zutphen BV",
        "kind": "need",
        "title": "Wood chips for a biomass boiler",
        "material": "organics.biomass_fuel",
        "ewc_code": "03 01 05;03 01 01",
        "quantity": "15",
        "unit": "t",
        "frequency": "month",
        "postcode": "7201",
        "max_distance_km": "40",
        "available_from": "2025-01-01",
        "current_source": "virgin",
        "current_source_km": "120",
        "current_source_transport_mode": "truck",
        "transport_mode": "truck",
        "visibility": "anonymous",
        "description": "Chips up to 5 cm",
    },
)


def column_help(lang: str = "en") -> dict[str, str]:
    """One line per column (meaning, allowed values, example), for the import page.

    Parameters
    ----------
    lang
        ``"en"`` or ``"nl"``.

    Examples
    --------
    >>> column_help("en")["unit"]
    't, kg, m3, MWh, pcs (also ton, m³, stuks). Example: t'
    >>> list(column_help("nl")) == list(LISTING_COLUMNS)
    True
    """
    if lang not in _HELP:
        raise ValueError(f"lang {lang!r} is not one of {', '.join(map(repr, _HELP))}")
    return {column: _HELP[lang][column] for column in LISTING_COLUMNS}


def template_frame() -> pd.DataFrame:
    """Two example rows, an offer and a need, as file text in every listing column.

    The rows pass :func:`parse_listings` (with ``require_organisation=True``).

    Examples
    --------
    >>> template_frame()[["ref", "kind", "ewc_code"]].to_dict("list")
    {'ref': ['OFF-001', 'NEED-001'], 'kind': ['offer', 'need'], 'ewc_code': ['03 01 05', '03 01 05;03 01 01']}
    """  # noqa: E501
    return pd.DataFrame(
        {
            column: pd.Series([row.get(column, "") for row in _TEMPLATE_ROWS], dtype=object)
            for column in LISTING_COLUMNS
        }
    )


def write_template(
    target: str | os.PathLike[str] | IO[bytes],
    *,
    fmt: FileFormat = "xlsx",
    lang: str = "en",
    delimiter: str = ",",
) -> None:
    """Write :func:`template_frame` as a file; an XLSX gets a ``help`` sheet too.

    Examples
    --------
    >>> import io
    >>> from flows.listing_file import read_listing_file
    >>> buffer = io.BytesIO()
    >>> write_template(buffer, fmt="xlsx", lang="nl")
    >>> read_listing_file(buffer.getvalue())["ref"].tolist()
    ['OFF-001', 'NEED-001']
    """
    if fmt == "xlsx":
        frame = template_frame()
        columns = list(frame.columns)
        rows = [[str(value) for value in values] for values in frame.itertuples(False)]
        _write_xlsx(target, columns, rows, help_lines=column_help(lang))
    else:
        column_help(lang)  # the same argument check as for XLSX
        write_listing_file(template_frame(), target, fmt=fmt, delimiter=delimiter)
