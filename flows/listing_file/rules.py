"""The rules for one listing: validate and normalise a record, and name every problem.

:func:`check_listing` is the one place that decides whether a listing is valid. The file
import (:func:`~flows.listing_file.parse_listings`, once per row), the web form and the API
call it, and map its :class:`~flows.errors.Problem` objects (each with the ``column`` and a
message that quotes the value and lists what is allowed) to cells, fields or JSON.

Examples
--------
>>> record, problems = check_listing(
...     {"ref": "o1", "kind": "aanbod", "title": "Pallet wood", "ewc_code": "030105",
...      "quantity": "1.234,5", "unit": "Ton", "lat": "52,25", "lon": "6.16"}
... )
>>> problems
[]
>>> record["kind"], record["ewc_code"], record["material"], record["quantity"], record["unit"]
('offer', '03 01 05', 'organics.wood.residues', 1234.5, 't')
>>> _, problems = check_listing({"ref": "n1", "kind": "need", "title": "Wood",
...     "material": "organics.biomass_fuel", "quantity": "0", "unit": "bags",
...     "postcode": "7411"}, row=7)
>>> for problem in problems:
...     print(problem)
row 7, column 'quantity': quantity '0' must be greater than 0
row 7, column 'unit': unit 'bags' is not one of t, kg, m3, MWh, pcs (any case; also ton, tonne, tonnes = t; m³ = m3; stuks = pcs)
"""  # noqa: E501

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from flows.errors import InvalidEWCCode, Problem, UnknownCategory
from flows.ewc import normalise_ewc_code
from flows.listing_file.cells import (
    _SPACE_RUN,
    _BadValue,
    _cell_text,
    _control_character,
    _parse_coordinate,
    _parse_date,
    _parse_grouped_number,
)
from flows.listing_file.columns import _column_key, _header_problems
from flows.schema import (
    CANONICAL_LISTING_COLUMNS,
    CURRENT_ROUTES,
    CURRENT_SOURCES,
    DEFAULT_TRANSPORT_MODE,
    FREQUENCIES,
    KIND_SYNONYMS,
    KINDS,
    LISTING_COLUMNS,
    TRANSPORT_MODES,
    UNITS,
    VISIBILITIES,
    needs_ewc_code,
)
from flows.taxonomy import category, category_for_ewc, is_category
from geo.errors import GeoError
from geo.geocode import geocode_postcodes, normalise_postcode

__all__ = [
    "LIMITS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_DISTANCE_KM",
    "MAX_PRICE_EUR_PER_UNIT",
    "MAX_QUANTITY_PER_UNIT",
    "MAX_REF_CHARS",
    "MAX_TITLE_CHARS",
    "NL_LAT_RANGE",
    "NL_LON_RANGE",
    "PROBLEM_CODES",
    "check_limits",
    "check_listing",
    "within_limit",
]

MAX_REF_CHARS: Final = 100
MAX_TITLE_CHARS: Final = 200
MAX_DESCRIPTION_CHARS: Final = 5000
#: Rough WGS84 bounding box of the Netherlands, in degrees: catches swapped, foreign
#: and projected (RD metres) coordinates.
NL_LON_RANGE: Final = (3.2, 7.3)
NL_LAT_RANGE: Final = (50.7, 53.6)

# Upper limits. Nothing on a regional marketplace comes near them, but without them a
# single listing of ``1e308`` tonnes (or a price that overflows to infinity) stops the
# engine for the whole region: the allocation cannot scale such numbers to integers.
# They hold per unit of the listing (t, kg, m3, MWh or pieces) and per period of its
# frequency, so a firm with more than 10,000,000 kg chooses tonnes instead.
#: The largest quantity of a listing, per unit of the listing and per period.
MAX_QUANTITY_PER_UNIT: Final = 10_000_000.0
#: The largest price, in EUR per unit of the listing.
MAX_PRICE_EUR_PER_UNIT: Final = 1_000_000.0
#: The largest distance a listing may name (maximum transport, current supplier).
MAX_DISTANCE_KM: Final = 1_000.0
#: Field -> its largest allowed value.
LIMITS: Final[Mapping[str, float]] = {
    "quantity": MAX_QUANTITY_PER_UNIT,
    "price_eur_per_unit": MAX_PRICE_EUR_PER_UNIT,
    "max_distance_km": MAX_DISTANCE_KM,
    "current_source_km": MAX_DISTANCE_KM,
}

#: The ``code`` of every problem :func:`check_listing` reports, for callers that word
#: problems themselves (the web form, in the user's language).
PROBLEM_CODES: Final = frozenset(
    {
        "required",
        "control_character",
        "too_long",
        "not_allowed",
        "not_a_number",
        "not_positive",
        "negative",
        "too_large",
        "not_a_date",
        "window_order",
        "expired",
        "offer_only",
        "need_only",
        "unknown_material",
        "ewc_several",
        "ewc_invalid",
        "ewc_required",
        "postcode_invalid",
        "postcode_unknown",
        "swapped",
        "outside",
    }
)


def within_limit(value: object, limit: float) -> bool:
    """Whether ``value`` is a finite number no larger than ``limit`` (no lower bound).

    >>> within_limit(1e7, MAX_QUANTITY_PER_UNIT), within_limit(float("inf"), 1.0)
    (True, False)
    >>> within_limit("abc", 1.0)
    False
    """
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ArithmeticError):
        # "abc", or Decimal("sNaN"), which refuses to become a float.
        return False
    return math.isfinite(number) and number <= limit


def check_limits(values: Mapping[str, object], *, row: int | None = None) -> list[Problem]:
    """A problem for every number of :data:`LIMITS` in ``values`` that is not finite or too large.

    ``values`` holds typed values (a form's data, an import row); missing and ``None``
    fields are skipped, lower bounds are :func:`check_listing`'s business.

    >>> [p.column for p in check_limits({"quantity": 1e308, "max_distance_km": float("nan")})]
    ['quantity', 'max_distance_km']
    >>> check_limits({"quantity": 25.0, "price_eur_per_unit": None})
    []
    """
    return [
        Problem(
            f"{column} {value!r} must be a number of at most {limit:,.0f}",
            row=row,
            column=column,
            code="too_large",
            value=str(value),
        )
        for column, limit in LIMITS.items()
        if (value := values.get(column)) is not None and not within_limit(value, limit)
    ]


#: Columns that belong to one kind only.
_KIND_OF_COLUMN: Final = {
    "max_distance_km": "need",
    "current_source": "need",
    "current_source_km": "need",
    "current_source_transport_mode": "need",
    "current_route": "offer",
}

_KIND_ALIASES: Final = dict(KIND_SYNONYMS)
_UNIT_ALIASES: Final = {
    **{unit.casefold(): unit for unit in UNITS},
    "ton": "t",
    "tonne": "t",
    "tonnes": "t",
    "m³": "m3",
    "stuks": "pcs",
}
_FREQUENCY_ALIASES: Final = {
    **{frequency: frequency for frequency in FREQUENCIES},
    "eenmalig": "once",
    "maand": "month",
    "jaar": "year",
}
_VISIBILITY_ALIASES: Final = {
    **{visibility: visibility for visibility in VISIBILITIES},
    "openbaar": "public",
    "anoniem": "anonymous",
}
_ROUTE_ALIASES: Final = {route: route for route in CURRENT_ROUTES}
_SOURCE_ALIASES: Final = {source: source for source in CURRENT_SOURCES}
_TRANSPORT_ALIASES: Final = {
    **{mode: mode for mode in TRANSPORT_MODES},
    "road": "truck",
    "lorry": "truck",
    "vrachtwagen": "truck",
    "binnenvaart": "barge",
    "binnenvaartschip": "barge",
    "inland_waterway": "barge",
    "spoor": "rail",
    "trein": "rail",
    "zee": "sea",
    "zeeschip": "sea",
    "pijpleiding": "pipeline",
    "leiding": "pipeline",
}
_COLUMN_ORDER: Final = {column: i for i, column in enumerate(LISTING_COLUMNS)}


def check_listing(
    record: Mapping[str, object],
    *,
    row: int | None = None,
    require_organisation: bool = False,
    require_ref: bool = True,
    allow_missing_location: bool = False,
    default_max_distance_km: float | None = None,
    today: date | None = None,
    geocode: bool = True,
    limits: bool = False,
) -> tuple[dict[str, Any], list[Problem]]:
    """Validate and normalise one listing; return it with every problem found.

    Parameters
    ----------
    record
        One listing: listing file column names (any case; spaces or hyphens for
        underscores) mapped to values as a user typed them (text) or as a frame or a
        form holds them (numbers, dates, ``None``). ``ewc_code`` may also be a list or
        tuple of codes. An absent column counts as empty; a key ``row`` is ignored.
    row
        The spreadsheet row, put on every problem and on the record (``None`` for a form).
    require_organisation, allow_missing_location, default_max_distance_km, today
        As for :func:`~flows.listing_file.parse_listings`.
    require_ref
        Whether the firm's own ``ref`` must be given (a file row needs one; a form gives
        none, the app assigns it).
    limits
        Hold ``quantity``, ``max_distance_km`` and ``current_source_km`` to :data:`LIMITS`
        (the marketplace does; the file format and ``python -m flows`` take any number).
    geocode
        Look up ``lat``/``lon`` of a listing located by postcode alone (a postcode that is
        not known is then a problem). ``False`` leaves them NaN for the caller to look up
        in bulk, as :func:`~flows.listing_file.parse_listings` does.

    Returns
    -------
    tuple
        The normalised record (every column of
        :data:`~flows.listing_file.CANONICAL_COLUMNS`, typed as in the frame
        :func:`~flows.listing_file.parse_listings` returns; a value with a problem is
        ``None`` or NaN) and the list of problems (empty when the listing is valid), at
        most one per column, in column order. Each problem has the ``column`` and a
        message that quotes the value and says what is allowed.
    """
    options = _options(
        require_organisation=require_organisation,
        require_ref=require_ref,
        allow_missing_location=allow_missing_location,
        default_max_distance_km=default_max_distance_km,
        today=today,
    )
    problems: list[Problem] = []
    cells = _record_cells(record, row=row, problems=problems)
    checked = _parse_row(_Row(cells, row, problems, limits=limits), options)
    if geocode and _wants_geocoding(cells, checked):
        _geocode([checked], problems)
    problems.sort(key=lambda p: _COLUMN_ORDER.get(p.column or "", -1))
    return {column: checked[column] for column in CANONICAL_LISTING_COLUMNS}, problems


def _record_cells(
    record: Mapping[str, object], *, row: int | None, problems: list[Problem]
) -> dict[str, str]:
    """Turn a record's keys into column names and its values into cell text."""
    names = [str(name) for name in record if name != "row"]
    if not all(name in _COLUMN_ORDER for name in names):
        problems += _header_problems(names, header_row=row)
    cells: dict[str, str] = {}
    for name, value in record.items():
        key = _column_key(str(name))
        if name == "row" or key not in _COLUMN_ORDER or key in cells:
            continue
        if key == "ewc_code" and isinstance(value, list | tuple):
            cells[key] = ";".join(_cell_text(code, ewc=True) for code in value)
        else:
            cells[key] = _cell_text(value, ewc=key == "ewc_code")
    return cells


def _wants_geocoding(cells: Mapping[str, str], record: Mapping[str, Any]) -> bool:
    """Whether a checked record is located by its (valid) postcode alone."""
    no_coordinates = not cells.get("lat", "").strip() and not cells.get("lon", "").strip()
    return no_coordinates and record["postcode"] is not None


def _geocode(records: list[dict[str, Any]], problems: list[Problem]) -> None:
    """Set ``lat``/``lon`` of records from their postcodes, in one look-up."""
    if not records:
        return
    located = geocode_postcodes([record["postcode"] for record in records])
    for record, lat, lon, error in zip(
        records, located["lat"], located["lon"], located["error"], strict=True
    ):
        if isinstance(error, str) and error:
            problems.append(
                Problem(error, row=record["row"], column="postcode", code="postcode_unknown")
            )
        else:
            record["lat"], record["lon"] = float(lat), float(lon)


def _allowed(canonical: Sequence[str], aliases: Mapping[str, str]) -> str:
    """``t, kg, m3 (any case; also ton, tonne = t)``: the allowed values for a message."""
    extra: dict[str, list[str]] = {}
    for alias, target in aliases.items():
        if alias != target.casefold():
            extra.setdefault(target, []).append(alias)
    also = "; ".join(f"{', '.join(aliases_)} = {target}" for target, aliases_ in extra.items())
    return ", ".join(canonical) + (f" (any case; also {also})" if also else " (any case)")


@dataclass(frozen=True)
class _Options:
    require_organisation: bool
    require_ref: bool
    allow_missing_location: bool
    default_max_distance_km: float | None
    today: date | None


def _options(
    *,
    require_organisation: bool,
    require_ref: bool = True,
    allow_missing_location: bool,
    default_max_distance_km: float | None,
    today: date | None,
) -> _Options:
    if default_max_distance_km is not None and not (
        math.isfinite(default_max_distance_km) and default_max_distance_km > 0
    ):
        raise ValueError(
            f"default_max_distance_km {default_max_distance_km!r} must be a number greater than 0"
        )
    return _Options(
        require_organisation=require_organisation,
        require_ref=require_ref,
        allow_missing_location=allow_missing_location,
        default_max_distance_km=default_max_distance_km,
        today=today,
    )


class _Row:
    """The cells of one row and the problems found in them (at most one per cell)."""

    def __init__(
        self,
        cells: Mapping[str, str],
        number: int | None,
        problems: list[Problem],
        *,
        limits: bool = False,
    ) -> None:
        self.cells = cells
        self.row_number = number
        self.problems = problems
        #: Hold numbers to :data:`LIMITS`.
        self.limits = limits

    def text(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def fail(self, column: str, message: str, code: str, *, value: str | None = None) -> None:
        self.problems.append(
            Problem(message, row=self.row_number, column=column, code=code, value=value)
        )

    def bad(self, column: str, reason: str, code: str) -> None:
        text = self.text(column)
        self.fail(column, f"{column} {text!r} {reason}", code, value=text)

    def line(self, column: str, *, required: bool, max_chars: int | None = None) -> str | None:
        """Single-line text: runs of white space (tabs, line breaks) become one space."""
        text = _SPACE_RUN.sub(" ", self.text(column))
        return self._checked_text(column, text, required=required, max_chars=max_chars)

    def free_text(self, column: str, *, max_chars: int) -> str:
        # XLSX stores line breaks as "\n" only, so the canonical form does too.
        text = self.text(column).replace("\r\n", "\n").replace("\r", "\n")
        return self._checked_text(column, text, required=False, max_chars=max_chars) or ""

    def _checked_text(
        self, column: str, text: str, *, required: bool, max_chars: int | None
    ) -> str | None:
        if not text:
            if required:
                self.fail(column, f"{column} is empty; every listing needs one", "required")
            return None
        bad_char = _control_character(text)
        if bad_char:
            self.fail(
                column,
                f"{column} contains the control character {bad_char}; remove it",
                "control_character",
            )
            return None
        if max_chars is not None and len(text) > max_chars:
            self.fail(
                column,
                f"{column} is {len(text):,} characters long; at most {max_chars:,} are allowed",
                "too_long",
            )
            return None
        return text

    def choice(
        self,
        column: str,
        aliases: Mapping[str, str],
        canonical: Sequence[str],
        *,
        required: bool = False,
        default: str | None = None,
    ) -> str | None:
        text = self.text(column)
        if not text:
            if required:
                self.fail(
                    column,
                    f"{column} is empty; give one of {_allowed(canonical, aliases)}",
                    "required",
                )
            return default
        # "Land spreading" and "land-spreading" mean land_spreading.
        value = aliases.get(_column_key(text))
        if value is None:
            self.bad(column, f"is not one of {_allowed(canonical, aliases)}", "not_allowed")
        return value

    def number(self, column: str, *, required: bool = False, allow_zero: bool = False) -> float:
        text = self.text(column)
        if not text:
            if required:
                self.fail(column, f"{column} is empty; give a number greater than 0", "required")
            return math.nan
        try:
            value = _parse_grouped_number(text)
        except _BadValue as error:
            self.bad(column, str(error), "not_a_number")
            return math.nan
        if value < 0 or (value == 0 and not allow_zero):
            if allow_zero:
                self.bad(column, "must be 0 or more", "negative")
            else:
                self.bad(column, "must be greater than 0", "not_positive")
            return math.nan
        limit = LIMITS.get(column) if self.limits else None
        if limit is not None and not within_limit(value, limit):
            self.bad(
                column, f"is more than {limit:,.0f}, the largest {column} allowed", "too_large"
            )
            return math.nan
        return value if value else 0.0  # "-0" is 0

    def date(self, column: str) -> date | None:
        text = self.text(column)
        if not text:
            return None
        try:
            return _parse_date(text)
        except _BadValue as error:
            self.bad(column, str(error), "not_a_date")
            return None


def _parse_row(row: _Row, options: _Options) -> dict[str, Any]:
    kind = row.choice("kind", _KIND_ALIASES, KINDS, required=True)
    record: dict[str, Any] = {
        "row": row.row_number,
        "ref": row.line("ref", required=options.require_ref, max_chars=MAX_REF_CHARS),
        "organisation": row.line("organisation", required=options.require_organisation),
        "kind": kind,
        "title": row.line("title", required=True, max_chars=MAX_TITLE_CHARS),
        "quantity": row.number("quantity", required=True),
        "unit": row.choice("unit", _UNIT_ALIASES, UNITS, required=True),
        "frequency": row.choice("frequency", _FREQUENCY_ALIASES, FREQUENCIES, default="year"),
        "visibility": row.choice("visibility", _VISIBILITY_ALIASES, VISIBILITIES, default="public"),
        "transport_mode": row.choice(
            "transport_mode", _TRANSPORT_ALIASES, TRANSPORT_MODES, default=DEFAULT_TRANSPORT_MODE
        ),
        "description": row.free_text("description", max_chars=MAX_DESCRIPTION_CHARS),
        "available_from": row.date("available_from"),
        "available_until": row.date("available_until"),
    }
    _parse_kind_fields(row, kind, record, options)
    _parse_material(row, kind, record)
    _parse_location(row, record, options)

    start, end = record["available_from"], record["available_until"]
    if start is not None and end is not None and end < start:
        row.fail(
            "available_until",
            f"available_until {end.isoformat()} is before available_from {start.isoformat()}",
            "window_order",
        )
    elif end is not None and options.today is not None and end < options.today:
        row.fail(
            "available_until",
            f"available_until {end.isoformat()} has passed (today is "
            f"{options.today.isoformat()}); remove the listing or extend the date",
            "expired",
        )
    return record


def _parse_kind_fields(
    row: _Row, kind: str | None, record: dict[str, Any], options: _Options
) -> None:
    """Read the columns that belong to one kind; on the other kind they must be empty."""
    belongs: dict[str, bool] = {}
    for column, owner in _KIND_OF_COLUMN.items():
        # With an invalid kind the values are still checked, so every problem shows.
        belongs[column] = kind is None or kind == owner
        if not belongs[column] and row.text(column):
            row.fail(
                column,
                f"{column} is for {owner}s only; leave it empty on {_a(kind or '')} "
                f"(it is {row.text(column)!r})",
                f"{owner}_only",
                value=row.text(column),
            )
    max_distance_km = row.number("max_distance_km") if belongs["max_distance_km"] else math.nan
    if kind == "need" and not row.text("max_distance_km"):
        default = options.default_max_distance_km
        max_distance_km = math.nan if default is None else default
    record["max_distance_km"] = max_distance_km
    record["current_route"] = (
        row.choice("current_route", _ROUTE_ALIASES, CURRENT_ROUTES)
        if belongs["current_route"]
        else None
    )
    record["current_source"] = (
        row.choice("current_source", _SOURCE_ALIASES, CURRENT_SOURCES)
        if belongs["current_source"]
        else None
    )
    record["current_source_km"] = (
        row.number("current_source_km", allow_zero=True)
        if belongs["current_source_km"]
        else math.nan
    )
    record["current_source_transport_mode"] = (
        row.choice(
            "current_source_transport_mode",
            _TRANSPORT_ALIASES,
            TRANSPORT_MODES,
            default=DEFAULT_TRANSPORT_MODE,
        )
        if belongs["current_source_transport_mode"]
        else None
    )


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _parse_material(row: _Row, kind: str | None, record: dict[str, Any]) -> None:
    material_text, ewc_text = row.text("material"), row.text("ewc_code")
    material: str | None = None
    if material_text:
        material = _material_key(material_text)
        if material is None:
            row.fail("material", _unknown_material(material_text), "unknown_material")

    parts = [part.strip() for part in ewc_text.split(";") if part.strip()]
    codes: list[str] = []
    ewc_ok = True
    if kind == "offer" and len(parts) > 1:
        row.bad(
            "ewc_code",
            "lists several codes; an offer has one EWC code (a ';'-separated list of "
            "accepted codes is for needs)",
            "ewc_several",
        )
        ewc_ok = False
    else:
        for part in parts:
            try:
                code = normalise_ewc_code(part)
            except InvalidEWCCode as error:
                # flows.ewc quotes the value and lists the accepted forms.
                row.fail("ewc_code", str(error), "ewc_invalid", value=part)
                ewc_ok = False
                break
            if code not in codes:
                codes.append(code)

    record["ewc_code"] = codes[0] if kind == "offer" and codes else None
    record["accepted_ewc_codes"] = tuple(codes) if kind == "need" else ()
    record["material"] = material
    if not material_text and not parts:
        if kind == "offer":
            row.fail(
                "ewc_code",
                "an offer needs an ewc_code (the material is then derived from it); "
                "only energy and water offers may give just a material",
                "ewc_required",
            )
        else:
            row.fail(
                "material",
                f"{_a(kind or 'listing')} needs a material or an ewc_code"
                + (" (a ';'-separated list of accepted codes)" if kind == "need" else ""),
                "required",
            )
        return
    if not material_text and ewc_ok:
        # Every code on the list maps to a category (at worst ``other``).
        record["material"] = category_for_ewc(codes[0])
    if kind == "offer" and not parts and material is not None and needs_ewc_code(material):
        row.fail(
            "ewc_code",
            f"ewc_code is empty; an offer of {material!r} needs an EWC code (only energy "
            "and water offers may leave it empty)",
            "ewc_required",
        )


def _material_key(text: str) -> str | None:
    for key in (text, text.casefold()):
        if is_category(key):
            return key
    return None


def _unknown_material(text: str) -> str:
    try:
        category(text)
    except UnknownCategory as error:
        # The taxonomy suggests close keys; name the column instead of "category".
        message = str(error)
        if message.startswith("category "):
            return "material " + message.removeprefix("category ")
        return f"material {text!r}: {message}"
    raise AssertionError(f"{text!r} is a category")  # pragma: no cover - callers check first


def _parse_location(row: _Row, record: dict[str, Any], options: _Options) -> None:
    postcode_text, lat_text, lon_text = row.text("postcode"), row.text("lat"), row.text("lon")
    record["postcode"] = None
    record["lat"] = record["lon"] = math.nan
    if postcode_text:
        try:
            record["postcode"] = normalise_postcode(postcode_text)
        except (GeoError, ValueError) as error:
            # geo quotes the value and lists the accepted forms.
            row.fail("postcode", str(error), "postcode_invalid", value=postcode_text)
    if lat_text or lon_text:
        _parse_coordinates(row, record)
    elif not postcode_text and not options.allow_missing_location:
        row.fail("postcode", "postcode is empty; give a postcode or lat and lon", "required")


def _parse_coordinates(row: _Row, record: dict[str, Any]) -> None:
    values: dict[str, float] = {}
    for column, other in (("lat", "lon"), ("lon", "lat")):
        if not row.text(column):
            row.fail(
                column,
                f"{column} is empty but {other} is {row.text(other)!r}; give both or neither",
                "required",
            )
            continue
        try:
            values[column] = _parse_coordinate(row.text(column))
        except _BadValue as error:
            row.bad(column, str(error), "not_a_number")
    if len(values) < 2:
        return
    lat, lon = values["lat"], values["lon"]
    # Any valid WGS84 point is a location (firms trade across borders; the web app keeps
    # its own service-area check). Dutch coordinates written the other way round land in
    # open sea east of Somalia, where no firm lists anything: say so.
    if NL_LAT_RANGE[0] <= lon <= NL_LAT_RANGE[1] and NL_LON_RANGE[0] <= lat <= NL_LON_RANGE[1]:
        row.fail(
            "lat",
            f"lat {row.text('lat')!r} and lon {row.text('lon')!r} look swapped: in the "
            f"Netherlands lat is {_span(NL_LAT_RANGE)} and lon {_span(NL_LON_RANGE)}",
            "swapped",
        )
        return
    ok = True
    for column, value, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        if not -limit <= value <= limit:
            projected = " (it looks like metres; give WGS84 degrees)" if abs(value) > 1000 else ""
            row.bad(
                column,
                f"is not between -{limit:g} and {limit:g} (WGS84 degrees){projected}",
                "outside",
            )
            ok = False
    if ok:
        record["lat"], record["lon"] = lat, lon


def _span(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:g} to {bounds[1]:g}"
