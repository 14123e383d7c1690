"""The listing spreadsheet: read it in every dialect firms use, validate it, write it back.

One file format serves four doors: ``python -m flows match LISTINGS.csv``, ``flask
listings import``, the web upload (with a preview) and the export. Its columns are
:data:`flows.schema.LISTING_COLUMNS`; :func:`column_help` explains each one.

The pipeline is three pure steps:

1. :func:`read_listing_file` turns bytes (CSV or XLSX) into a *raw* frame of strings, one
   column per file column plus ``row``, the spreadsheet row number (header = row 1).
2. :func:`parse_listings` validates every cell, collects **every** problem into one
   :class:`~flows.errors.ValidationError`, and otherwise returns the *canonical* typed
   frame (:data:`CANONICAL_COLUMNS`) the engine and the web app work with.
3. :func:`to_export_frame` and :func:`write_listing_file` turn a canonical frame back into
   a file that :func:`read_listing_file` and :func:`parse_listings` read to the same frame.

Dialect decisions
-----------------
Encoding
    UTF-8 with or without a byte order mark, and UTF-16 with a byte order mark (Excel's
    "Unicode text"). Bytes that are not valid UTF-8 are read as Windows-1252, which is
    what Excel on a Dutch or English Windows writes for "CSV (comma delimited)"; the
    fallback is silent because Windows-1252 maps every letter Dutch and English text
    uses, and a file that is neither is refused. Exports are UTF-8 with a byte order
    mark, so that Excel opens them with the right accents.
Delimiter
    ``,``, ``;`` or tab, whichever occurs most often (outside quotes) in the header line.
Headers
    In any order; case, surrounding spaces, and spaces or hyphens for underscores do not
    matter (``Max distance km`` is ``max_distance_km``). An unknown or duplicated column
    is refused. Only ``ref``, ``kind``, ``title``, ``quantity`` and ``unit`` (and
    ``organisation`` when required) must be present; an absent optional column counts as
    empty.
Numbers
    ``quantity``, ``max_distance_km`` and ``current_source_km`` take a decimal point or a
    decimal comma, and thousands separators (``.``, ``,`` or a space) where they cannot
    be misread: ``1.234,5``, ``1,234.5``, ``1.234.567`` and ``1 234`` are fine, but
    ``1.234`` and ``1,234`` (one separator followed by exactly three digits) could mean
    one thousand or one point something and are refused with both readings spelt out.
    ``lat`` and ``lon`` take a decimal point or comma and no thousands separators.
    Exports write a plain decimal point and, for the one ambiguous shape, a trailing zero
    (``1.2340``), so that exports always read back.
XLSX
    The sheet named ``listings`` if there is one, otherwise the first sheet. Cells typed
    as numbers or dates are converted to the text the CSV would hold; an ``ewc_code``
    typed as a number gets back the leading zero Excel dropped (``20103`` -> ``020103``).
    Legacy ``.xls`` and ``.ods`` are refused with a request to save as ``.xlsx`` or CSV.
Spreadsheet formulas
    A text cell that starts with ``=``, ``+``, ``-`` or ``@`` would run as a formula when
    an export is opened in Excel (CSV injection). CSV exports therefore prefix such
    ``ref``, ``organisation``, ``title`` and ``description`` values with an apostrophe,
    and the CSV reader removes exactly that prefix again; XLSX exports store them as
    typed text, which Excel never evaluates.

Examples
--------
>>> import io
>>> text = (
...     "Ref;Organisation;Kind;Title;Material;EWC_code;Quantity;Unit;Postcode\\n"
...     "o1;Acme BV;aanbod;Pallet wood;;03 01 05;1.234,5;T;7411\\n"
... )
>>> raw = read_listing_file(text.encode("utf-8"), filename="acme.csv")
>>> raw.loc[0, "quantity"], int(raw.loc[0, "row"])
('1.234,5', 2)
>>> listings = parse_listings(raw)
>>> listings[["kind", "material", "quantity", "unit", "frequency", "lat"]].to_dict("records")
[{'kind': 'offer', 'material': 'organics.wood.residues', 'quantity': 1234.5, 'unit': 't',
  'frequency': 'year', 'lat': 52.2525}]
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import math
import os
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Final, Literal, TypeAlias

import numpy as np
import pandas as pd

from flows.errors import InvalidEWCCode, Problem, UnknownCategory, ValidationError
from flows.ewc import normalise_ewc_code
from flows.schema import (
    CANONICAL_LISTING_COLUMNS,
    CURRENT_ROUTES,
    CURRENT_SOURCES,
    FREQUENCIES,
    KIND_SYNONYMS,
    KINDS,
    LISTING_COLUMNS,
    UNITS,
    VISIBILITIES,
)
from flows.taxonomy import category, category_for_ewc, is_category, root
from geo.errors import GeoError
from geo.geocode import geocode_postcodes, normalise_postcode

__all__ = [
    "CANONICAL_COLUMNS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_REF_CHARS",
    "MAX_TITLE_CHARS",
    "NL_LAT_RANGE",
    "NL_LON_RANGE",
    "REQUIRED_COLUMNS",
    "ListingSource",
    "column_help",
    "parse_listings",
    "read_listing_file",
    "split_offers_needs",
    "template_frame",
    "to_export_frame",
    "write_listing_file",
    "write_template",
]

#: What :func:`read_listing_file` reads: a path, the file's bytes, or a binary file object.
ListingSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | IO[bytes]"
FileFormat: TypeAlias = Literal["csv", "xlsx"]

MAX_REF_CHARS: Final = 100
MAX_TITLE_CHARS: Final = 200
MAX_DESCRIPTION_CHARS: Final = 5000
#: Rough WGS84 bounding box of the Netherlands, in degrees: catches swapped, foreign
#: and projected (RD metres) coordinates.
NL_LON_RANGE: Final = (3.2, 7.3)
NL_LAT_RANGE: Final = (50.7, 53.6)
#: An XLSX is a zip archive; one that inflates to more than this multiple of ``max_bytes``
#: is refused before parsing (a zip bomb guard; real workbooks inflate 5 to 10 times).
XLSX_MAX_INFLATION: Final = 30

#: Columns a file must have (``organisation`` too when ``require_organisation=True``).
REQUIRED_COLUMNS: Final = ("ref", "kind", "title", "quantity", "unit")

#: Columns of the frame :func:`parse_listings` returns, in order.
CANONICAL_COLUMNS: Final = CANONICAL_LISTING_COLUMNS
_FLOAT_COLUMNS: Final = frozenset(
    {"quantity", "lat", "lon", "max_distance_km", "current_source_km"}
)
#: Numbers that may carry thousands separators (and so must be written unambiguously).
_GROUPED_NUMBER_COLUMNS: Final = ("quantity", "max_distance_km", "current_source_km")
#: Columns that belong to one kind only.
_KIND_OF_COLUMN: Final = {
    "max_distance_km": "need",
    "current_source": "need",
    "current_source_km": "need",
    "current_route": "offer",
}
#: Free-text columns, the only ones a spreadsheet formula could hide in.
_TEXT_COLUMNS: Final = ("ref", "organisation", "title", "description")

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

_XLSX_SHEET: Final = "listings"
_HELP_SHEET: Final = "help"
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)
_DELIMITERS: Final = (";", ",", "\t")


# -- reading ---------------------------------------------------------------------------------


def read_listing_file(
    source: ListingSource,
    *,
    filename: str | None = None,
    max_bytes: int = 5_000_000,
    max_rows: int = 10_000,
) -> pd.DataFrame:
    """Read a listing file (CSV or XLSX) into a raw frame of strings.

    Parameters
    ----------
    source
        A path (``str`` or path-like), the file's bytes, or a binary file object (an
        upload stream). A ``str`` is always a path, never the file's content.
    filename
        The name the user gave the file; its extension helps tell XLSX from CSV when
        ``source`` is bytes or a stream. Defaults to the path's name.
    max_bytes
        Larger files are refused.
    max_rows
        Files with more data rows (blank rows not counted) are refused.

    Returns
    -------
    pandas.DataFrame
        Column ``row`` (int: the spreadsheet row, header = 1, so blank lines keep their
        numbers) followed by the file's columns, named as in
        :data:`~flows.schema.LISTING_COLUMNS` and in that order, every value a ``str``
        (empty cells are ``""``, leading zeros kept). Blank rows are left out.

    Raises
    ------
    ValidationError
        For a file that cannot be read as a listing file at all: too large, too many
        rows, not CSV or XLSX, undecodable, or a header with unknown, duplicate or
        unnamed columns. Cell values are not checked here; see :func:`parse_listings`.

    Examples
    --------
    >>> raw = read_listing_file(b"\\xef\\xbb\\xbfREF\\tKind\\n007\\tvraag\\n\\n008\\toffer\\n")
    >>> raw.to_dict("list")
    {'row': [2, 4], 'ref': ['007', '008'], 'kind': ['vraag', 'offer']}
    """
    if max_bytes <= 0 or max_rows <= 0:
        raise ValueError(f"max_bytes {max_bytes!r} and max_rows {max_rows!r} must be positive")
    data, name = _read_bytes(source, filename=filename, max_bytes=max_bytes)
    if _is_xlsx(data, name):
        return _frame_from_rows(_xlsx_rows(data, max_bytes=max_bytes), max_rows=max_rows)
    return _frame_from_rows(_csv_rows(data), max_rows=max_rows, formula_escaped=True)


def _file_problem(message: str) -> ValidationError:
    return ValidationError([Problem(message)])


def _read_bytes(
    source: ListingSource, *, filename: str | None, max_bytes: int
) -> tuple[bytes, str]:
    too_large = (
        f"the file is larger than {max_bytes:,} bytes, the most a listing file may be; "
        "split it into smaller files"
    )
    if isinstance(source, bytes | bytearray):
        if len(source) > max_bytes:
            raise _file_problem(too_large)
        return bytes(source), filename or ""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if path.stat().st_size > max_bytes:
            raise _file_problem(too_large)
        return path.read_bytes(), filename or path.name
    # A stream: read one byte past the limit instead of trusting a declared length.
    data = source.read(max_bytes + 1)
    if not isinstance(data, bytes):
        raise TypeError(f"source must be a path, bytes or a binary file, not {type(source)!r}")
    if len(data) > max_bytes:
        raise _file_problem(too_large)
    return data, filename or str(getattr(source, "name", "") or "")


def _is_xlsx(data: bytes, name: str) -> bool:
    suffix = Path(name).suffix.casefold()
    if data.startswith(_OLE2_MAGIC):
        raise _file_problem(
            "the file is a legacy Excel 97-2003 workbook, which cannot be read; save the "
            "sheet as .xlsx (Excel workbook) or as CSV UTF-8"
        )
    if suffix in (".xls", ".ods", ".numbers"):
        raise _file_problem(
            f"{suffix} files cannot be read; save the sheet as .xlsx (Excel workbook) or as "
            "CSV UTF-8"
        )
    if data.startswith(_ZIP_MAGIC):
        return True
    if suffix in (".xlsx", ".xlsm"):
        raise _file_problem(f"the file is named {suffix} but is not an Excel workbook")
    return False


# Rows as (spreadsheet row number, cell values); values are str, or what openpyxl gives.
_Rows: TypeAlias = Iterator[tuple[int, Sequence[object]]]


def _csv_rows(data: bytes) -> _Rows:
    text = _decode(data)
    if "\x00" in text:
        raise _file_problem(
            "the file contains NUL bytes, so it is not a CSV text file; save the sheet as "
            "CSV UTF-8 or as .xlsx"
        )
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first_line))
    try:
        # A record, not a physical line, is a row: a quoted cell may span lines.
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise ValidationError(
            [Problem(f"the file is not valid CSV ({error})", row=reader.line_num)]
        ) from None


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise _file_problem(f"the file is marked as UTF-16 but is not ({error})") from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        except UnicodeDecodeError as error:
            raise _file_problem(
                f"the file is marked as UTF-8 but byte {error.start + 3} is not valid UTF-8"
            ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise _file_problem(
            f"the file is neither UTF-8 nor Windows-1252 text (byte {error.start}); "
            "save the sheet as CSV UTF-8 or as .xlsx"
        ) from None


def _sniff_delimiter(line: str) -> str:
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _xlsx_rows(data: bytes, *, max_bytes: int) -> _Rows:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated_bytes = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise _file_problem(f"the file is not a valid .xlsx workbook ({error})") from None
    if inflated_bytes > XLSX_MAX_INFLATION * max_bytes:
        raise _file_problem(
            f"the workbook unpacks to {inflated_bytes:,} bytes, more than "
            f"{XLSX_MAX_INFLATION * max_bytes:,}; save the listings alone as a new .xlsx or CSV"
        )
    import openpyxl  # only XLSX needs it; keeps `python -m flows` on CSV light

    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (styles, extensions) that a
            # listing file never needs.
            warnings.simplefilter("ignore", UserWarning)
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises a zoo of types for damaged workbooks
        raise _file_problem(f"the file is not a readable .xlsx workbook ({error})") from None
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise _file_problem("the workbook has no worksheet")
        sheet = next((s for s in sheets if s.title.strip().casefold() == _XLSX_SHEET), sheets[0])
        # Some writers store a wrong <dimension>; read what is there instead.
        sheet.reset_dimensions()
        yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
    finally:
        workbook.close()


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def _header_problems(names: Sequence[str], *, header_row: int | None) -> list[Problem]:
    """Return the problems of a header: unknown and duplicate column names."""
    problems: list[Problem] = []
    allowed = ", ".join(LISTING_COLUMNS)
    seen: dict[str, str] = {}
    for name in names:
        key = _column_key(name)
        if key not in LISTING_COLUMNS:
            close = difflib.get_close_matches(key, LISTING_COLUMNS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(
                Problem(
                    f"unknown column {name!r}; {hint}the allowed columns are {allowed}",
                    row=header_row,
                    column=name,
                )
            )
        elif key in seen:
            problems.append(
                Problem(
                    f"column {key!r} appears more than once ({seen[key]!r} and {name!r})",
                    row=header_row,
                    column=key,
                )
            )
        else:
            seen[key] = name
    return problems


def _frame_from_rows(
    rows: Iterable[tuple[int, Sequence[object]]], *, max_rows: int, formula_escaped: bool = False
) -> pd.DataFrame:
    iterator = iter(rows)
    header: list[str] | None = None
    header_row = 0
    for number, values in iterator:
        texts = [_cell_text(value) for value in values]
        if any(text.strip() for text in texts):
            header, header_row = [text.strip() for text in texts], number
            break
    if header is None:
        raise _file_problem("the file is empty; its first row must name the columns")
    problems = _header_problems([name for name in header if name], header_row=header_row)
    if problems:
        raise ValidationError(problems)
    positions = {_column_key(name): i for i, name in enumerate(header) if name}
    unnamed_with_data: set[int] = set()
    numbers: list[int] = []
    columns: dict[str, list[str]] = {name: [] for name in positions}
    for number, values in iterator:
        texts = [
            _cell_text(value, ewc=i == positions.get("ewc_code")) for i, value in enumerate(values)
        ]
        if not any(text.strip() for text in texts):
            continue
        if len(numbers) == max_rows:
            raise _file_problem(
                f"the file has more than {max_rows:,} listing rows; split it into files of "
                f"at most {max_rows:,} rows"
            )
        numbers.append(number)
        for i, text in enumerate(texts):
            if text.strip() and (i >= len(header) or not header[i]):
                unnamed_with_data.add(i)
        for name, i in positions.items():
            text = texts[i] if i < len(texts) else ""
            if formula_escaped and name in _TEXT_COLUMNS and _ESCAPED_FORMULA.match(text):
                text = text[1:]
            columns[name].append(text)
    if unnamed_with_data:
        raise ValidationError(
            Problem(
                f"column {i + 1} holds values but has no name in the header row",
                row=header_row,
            )
            for i in sorted(unnamed_with_data)
        )
    frame = {"row": pd.Series(numbers, dtype="int64")}
    for name in sorted(columns, key=LISTING_COLUMNS.index):
        frame[name] = pd.Series(columns[name], dtype=object)
    return pd.DataFrame(frame)


def _cell_text(value: object, *, ewc: bool = False) -> str:
    """Render one cell (str, or a number or date from openpyxl, a frame or a database) as text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, datetime | pd.Timestamp):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | np.integer):
        # Exact, even beyond 2**53 (a reference number typed as a number).
        return f"{int(value):06d}" if ewc and 0 < value < 1_000_000 else str(int(value))
    if isinstance(value, float | np.floating | Decimal):
        number = float(value)
        if math.isnan(number):
            return ""
        if ewc and number.is_integer() and 0 < number < 1_000_000:
            # Excel turns a typed 020103 into the number 20103.
            return f"{int(number):06d}"
        return _format_decimal(number)
    return str(value)


# -- numbers, dates, text --------------------------------------------------------------------


class _BadValue(ValueError):
    """A cell's text failed to parse; the message continues ``"<column> <value!r> "``."""


# re.ASCII: \d is 0-9 only, not every script's digits.
_INTEGER = re.compile(r"\d+", re.ASCII)
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?[eE][+-]?\d+", re.ASCII)
_ONE_SEPARATOR = re.compile(r"(\d*)([.,])(\d+)", re.ASCII)
_GROUPED = re.compile(
    r"([1-9]\d{0,2})((?:[., \u00a0\u202f\u2009]\d{3})+)(?:([.,])(\d+))?", re.ASCII
)
_NUMBER_AND_UNIT = re.compile(r"[\d.,\s]*\d\s*([^\d\s.,]+)", re.ASCII)
#: The one shape :func:`_parse_grouped_number` refuses: ``1.234`` or ``1,234``.
_AMBIGUOUS = re.compile(r"-?[1-9]\d{0,2}[.,]\d{3}", re.ASCII)
_COORDINATE = re.compile(r"([+-]?\d+)(?:[.,](\d+))?", re.ASCII)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?", re.ASCII)
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", re.ASCII)
_ESCAPED_FORMULA: Final = re.compile(r"'+[=+\-@\t\r]")
_FORMULA_START: Final = re.compile(r"'*[=+\-@\t\r]")
_SPACE_RUN = re.compile(r"\s+")


def _parse_grouped_number(text: str) -> float:
    """Parse a decimal written the Dutch or the English way; see the module docstring.

    >>> [_parse_grouped_number(t) for t in ("12,5", "1.234,5", "1,234.5", "1 234", "0,250")]
    [12.5, 1234.5, 1234.5, 1234.0, 0.25]
    """
    body = text.strip()
    sign = 1.0
    if body[:1] in ("+", "-", "\u2212"):
        sign = 1.0 if body[0] == "+" else -1.0
        body = body[1:]
    value: float | None = None
    if _INTEGER.fullmatch(body) or _SCIENTIFIC.fullmatch(body):
        value = float(body)
    elif match := _ONE_SEPARATOR.fullmatch(body):
        whole, separator, fraction = match.groups()
        if len(fraction) == 3 and 1 <= len(whole) <= 3 and whole[0] != "0":
            raise _BadValue(
                f"is ambiguous: {separator!r} may separate thousands ({whole}{fraction}) or "
                f"decimals; write {whole}{fraction} without the separator, or "
                f"{whole}{separator}{fraction}0 for a fraction"
            )
        value = float(f"{whole or '0'}.{fraction}")
    elif match := _GROUPED.fullmatch(body):
        lead, groups, decimal_separator, fraction = match.groups()
        group_separators = set(groups[::4])
        if len(group_separators) == 1 and decimal_separator not in group_separators:
            digits = lead + re.sub(r"\D", "", groups, flags=re.ASCII)
            value = float(f"{digits}.{fraction}" if fraction else digits)
    if value is None:
        unit = _NUMBER_AND_UNIT.fullmatch(body)
        if unit:
            raise _BadValue(
                f"is not a number; write the number alone (the unit {unit[1]!r} goes in "
                "the unit column)"
            )
        raise _BadValue("is not a number")
    if not math.isfinite(value):
        raise _BadValue("is too large")
    return sign * value


def _format_decimal(value: float, *, unambiguous: bool = True) -> str:
    """Write a float so that it reads back exactly (and, by default, unambiguously).

    >>> [_format_decimal(v) for v in (12.0, 0.1, 1234.5, 1.234, 1e20)]
    ['12', '0.1', '1234.5', '1.2340', '1e+20']
    >>> _format_decimal(52.141, unambiguous=False)
    '52.141'
    """
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)  # the shortest text that reads back as the same float
    return text + "0" if unambiguous and _AMBIGUOUS.fullmatch(text) else text


def _parse_coordinate(text: str) -> float:
    match = _COORDINATE.fullmatch(text.strip())
    if match is None:
        raise _BadValue("is not a number of decimal degrees (e.g. 52.2525)")
    whole, fraction = match.groups()
    return float(f"{whole}.{fraction}" if fraction else whole)


def _parse_date(text: str) -> date:
    match = _ISO_DATE.fullmatch(text.strip())
    if match is None:
        day_first = _DAY_FIRST_DATE.fullmatch(text.strip())
        hint = ""
        if day_first:
            day, month, year = day_first.groups()
            hint = f"; if it means day-month-year, write {year}-{int(month):02d}-{int(day):02d}"
        raise _BadValue(f"is not a date in the form YYYY-MM-DD (e.g. 2025-03-31){hint}")
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError as error:
        raise _BadValue(f"is not a calendar date ({error})") from None


def _control_character(text: str) -> str | None:
    for char in text:
        if char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cs"):
            return f"U+{ord(char):04X}"
    return None


def _allowed(canonical: Sequence[str], aliases: Mapping[str, str]) -> str:
    """``t, kg, m3 (any case; also ton, tonne = t)``: the allowed values for a message."""
    extra: dict[str, list[str]] = {}
    for alias, target in aliases.items():
        if alias != target.casefold():
            extra.setdefault(target, []).append(alias)
    also = "; ".join(f"{', '.join(aliases_)} = {target}" for target, aliases_ in extra.items())
    return ", ".join(canonical) + (f" (any case; also {also})" if also else " (any case)")


# -- validating ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    require_organisation: bool
    allow_missing_location: bool
    default_max_distance_km: float | None
    today: date | None


class _Row:
    """The cells of one row and the problems found in them (at most one per cell)."""

    def __init__(self, cells: Mapping[str, str], number: int, problems: list[Problem]) -> None:
        self.cells = cells
        self.row_number = number
        self.problems = problems

    def text(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def fail(self, column: str, message: str) -> None:
        self.problems.append(Problem(message, row=self.row_number, column=column))

    def bad(self, column: str, reason: str) -> None:
        self.fail(column, f"{column} {self.text(column)!r} {reason}")

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
                self.fail(column, f"{column} is empty; every listing needs one")
            return None
        bad_char = _control_character(text)
        if bad_char:
            self.fail(column, f"{column} contains the control character {bad_char}; remove it")
            return None
        if max_chars is not None and len(text) > max_chars:
            self.fail(
                column,
                f"{column} is {len(text):,} characters long; at most {max_chars:,} are allowed",
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
                self.fail(column, f"{column} is empty; give one of {_allowed(canonical, aliases)}")
            return default
        # "Land spreading" and "land-spreading" mean land_spreading.
        value = aliases.get(_column_key(text))
        if value is None:
            self.bad(column, f"is not one of {_allowed(canonical, aliases)}")
        return value

    def number(self, column: str, *, required: bool = False, allow_zero: bool = False) -> float:
        text = self.text(column)
        if not text:
            if required:
                self.fail(column, f"{column} is empty; give a number greater than 0")
            return math.nan
        try:
            value = _parse_grouped_number(text)
        except _BadValue as error:
            self.bad(column, str(error))
            return math.nan
        if value < 0 or (value == 0 and not allow_zero):
            self.bad(column, "must be 0 or more" if allow_zero else "must be greater than 0")
            return math.nan
        return value if value else 0.0  # "-0" is 0

    def date(self, column: str) -> date | None:
        text = self.text(column)
        if not text:
            return None
        try:
            return _parse_date(text)
        except _BadValue as error:
            self.bad(column, str(error))
            return None


def parse_listings(
    raw: pd.DataFrame,
    *,
    require_organisation: bool = False,
    allow_missing_location: bool = False,
    default_max_distance_km: float | None = None,
    today: date | None = None,
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
    if default_max_distance_km is not None and not (
        math.isfinite(default_max_distance_km) and default_max_distance_km > 0
    ):
        raise ValueError(
            f"default_max_distance_km {default_max_distance_km!r} must be a number greater than 0"
        )
    options = _Options(
        require_organisation=require_organisation,
        allow_missing_location=allow_missing_location,
        default_max_distance_km=default_max_distance_km,
        today=today,
    )
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
    for position, number in enumerate(_row_numbers(raw)):
        cells = {key: column[position] for key, column in texts.items()}
        records.append(_parse_row(_Row(cells, number, problems), options))
    _check_unique_refs(records, problems)
    _geocode(records, problems)
    if problems:
        order = {column: i for i, column in enumerate(LISTING_COLUMNS)}
        problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", -1)))
        raise ValidationError(problems)
    return _canonical_frame(records)


def _row_numbers(raw: pd.DataFrame) -> list[int]:
    if "row" in raw.columns:
        numbers = pd.to_numeric(raw["row"], errors="coerce")
        if numbers.notna().all():
            return [int(number) for number in numbers]
    return list(range(2, len(raw) + 2))


def _parse_row(row: _Row, options: _Options) -> dict[str, Any]:
    kind = row.choice("kind", _KIND_ALIASES, KINDS, required=True)
    record: dict[str, Any] = {
        "row": row.row_number,
        "ref": row.line("ref", required=True, max_chars=MAX_REF_CHARS),
        "organisation": row.line("organisation", required=options.require_organisation),
        "kind": kind,
        "title": row.line("title", required=True, max_chars=MAX_TITLE_CHARS),
        "quantity": row.number("quantity", required=True),
        "unit": row.choice("unit", _UNIT_ALIASES, UNITS, required=True),
        "frequency": row.choice("frequency", _FREQUENCY_ALIASES, FREQUENCIES, default="year"),
        "visibility": row.choice("visibility", _VISIBILITY_ALIASES, VISIBILITIES, default="public"),
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
        )
    elif end is not None and options.today is not None and end < options.today:
        row.fail(
            "available_until",
            f"available_until {end.isoformat()} has passed (today is "
            f"{options.today.isoformat()}); remove the listing or extend the date",
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


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _parse_material(row: _Row, kind: str | None, record: dict[str, Any]) -> None:
    material_text, ewc_text = row.text("material"), row.text("ewc_code")
    material: str | None = None
    if material_text:
        material = _material_key(material_text)
        if material is None:
            row.fail("material", _unknown_material(material_text))

    parts = [part.strip() for part in ewc_text.split(";") if part.strip()]
    codes: list[str] = []
    ewc_ok = True
    if kind == "offer" and len(parts) > 1:
        row.bad(
            "ewc_code",
            "lists several codes; an offer has one EWC code (a ';'-separated list of "
            "accepted codes is for needs)",
        )
        ewc_ok = False
    else:
        for part in parts:
            try:
                code = normalise_ewc_code(part)
            except InvalidEWCCode as error:
                # flows.ewc quotes the value and lists the accepted forms.
                row.fail("ewc_code", str(error))
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
            )
        else:
            row.fail(
                "material",
                f"{_a(kind or 'listing')} needs a material or an ewc_code"
                + (" (a ';'-separated list of accepted codes)" if kind == "need" else ""),
            )
        return
    if not material_text and ewc_ok:
        # Every code on the list maps to a category (at worst ``other``).
        record["material"] = category_for_ewc(codes[0])
    if kind == "offer" and not parts and material is not None and not _is_energy_or_water(material):
        row.fail(
            "ewc_code",
            f"ewc_code is empty; an offer of {material!r} needs an EWC code (only energy "
            "and water offers may leave it empty)",
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


def _is_energy_or_water(material: str) -> bool:
    return root(material) in ("energy", "water")


def _parse_location(row: _Row, record: dict[str, Any], options: _Options) -> None:
    postcode_text, lat_text, lon_text = row.text("postcode"), row.text("lat"), row.text("lon")
    record["postcode"] = None
    record["lat"] = record["lon"] = math.nan
    record["geocode"] = False
    if postcode_text:
        try:
            record["postcode"] = normalise_postcode(postcode_text)
        except (GeoError, ValueError) as error:
            # geo quotes the value and lists the accepted forms.
            row.fail("postcode", str(error))
    if lat_text or lon_text:
        _parse_coordinates(row, record)
    elif postcode_text:
        record["geocode"] = record["postcode"] is not None
    elif not options.allow_missing_location:
        row.fail("postcode", "postcode is empty; give a postcode or lat and lon")


def _parse_coordinates(row: _Row, record: dict[str, Any]) -> None:
    values: dict[str, float] = {}
    for column, other in (("lat", "lon"), ("lon", "lat")):
        if not row.text(column):
            row.fail(
                column,
                f"{column} is empty but {other} is {row.text(other)!r}; give both or neither",
            )
            continue
        try:
            values[column] = _parse_coordinate(row.text(column))
        except _BadValue as error:
            row.bad(column, str(error))
    if len(values) < 2:
        return
    lat, lon = values["lat"], values["lon"]
    in_lat = NL_LAT_RANGE[0] <= lat <= NL_LAT_RANGE[1]
    in_lon = NL_LON_RANGE[0] <= lon <= NL_LON_RANGE[1]
    if in_lat and in_lon:
        record["lat"], record["lon"] = lat, lon
        return
    if NL_LAT_RANGE[0] <= lon <= NL_LAT_RANGE[1] and NL_LON_RANGE[0] <= lat <= NL_LON_RANGE[1]:
        row.fail(
            "lat",
            f"lat {row.text('lat')!r} and lon {row.text('lon')!r} look swapped: in the "
            f"Netherlands lat is {_span(NL_LAT_RANGE)} and lon {_span(NL_LON_RANGE)}",
        )
        return
    for column, value, inside, span in (
        ("lat", lat, in_lat, NL_LAT_RANGE),
        ("lon", lon, in_lon, NL_LON_RANGE),
    ):
        if not inside:
            projected = " (it looks like metres; give WGS84 degrees)" if abs(value) > 1000 else ""
            row.bad(column, f"is outside the Netherlands ({column} {_span(span)}){projected}")


def _span(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:g} to {bounds[1]:g}"


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


def _geocode(records: list[dict[str, Any]], problems: list[Problem]) -> None:
    pending = []
    for record in records:
        if record.pop("geocode"):
            pending.append(record)
    if not pending:
        return
    located = geocode_postcodes([record["postcode"] for record in pending])
    for record, lat, lon, error in zip(
        pending, located["lat"], located["lon"], located["error"], strict=True
    ):
        if isinstance(error, str) and error:
            problems.append(Problem(error, row=record["row"], column="postcode"))
        else:
            record["lat"], record["lon"] = float(lat), float(lon)


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


# -- writing ---------------------------------------------------------------------------------


def to_export_frame(listings: pd.DataFrame) -> pd.DataFrame:
    """Turn a canonical frame into file columns, every value a ``str``.

    EWC codes of a need are joined with ``;``, dates written ``YYYY-MM-DD``, numbers
    with a decimal point and no trailing zeros (except the one that keeps ``1.2340``
    from reading as one thousand), empty values as ``""``. The result is not yet
    guarded against spreadsheet formulas; write it with :func:`write_listing_file`.

    Examples
    --------
    >>> raw = pd.DataFrame({"ref": ["n1"], "kind": ["need"], "title": ["Wood"],
    ...                     "ewc_code": ["030105;030101"], "quantity": ["1,2340"],
    ...                     "unit": ["t"], "lat": ["52.25"], "lon": ["6.16"],
    ...                     "available_from": ["2025-01-31"]})
    >>> row = to_export_frame(parse_listings(raw)).iloc[0]
    >>> row[["ewc_code", "quantity", "frequency", "available_from", "lat"]].tolist()
    ['03 01 05;03 01 01', '1.2340', 'year', '2025-01-31', '52.25']
    """
    missing = [c for c in CANONICAL_COLUMNS if c != "row" and c not in listings.columns]
    if missing:
        raise ValueError(f"listings lacks the canonical columns {', '.join(missing)}")
    out: dict[str, pd.Series] = {}
    for column in LISTING_COLUMNS:
        if column == "ewc_code":
            texts = [
                ";".join(accepted) if accepted else _export_text(code)
                for code, accepted in zip(
                    listings["ewc_code"], listings["accepted_ewc_codes"], strict=True
                )
            ]
        elif column in ("lat", "lon"):
            # Coordinates take no thousands separators, so need no guard zero.
            texts = [
                "" if math.isnan(value) else _format_decimal(value, unambiguous=False)
                for value in listings[column].astype("float64")
            ]
        else:
            texts = [_export_text(value) for value in listings[column]]
        out[column] = pd.Series(texts, index=listings.index, dtype=object)
    return pd.DataFrame(out)


def _export_text(value: object) -> str:
    if isinstance(value, tuple):
        return ";".join(value)
    return _cell_text(value)


def write_listing_file(
    frame: pd.DataFrame,
    target: str | os.PathLike[str] | IO[bytes],
    *,
    fmt: FileFormat = "csv",
    delimiter: str = ",",
) -> None:
    """Write listings as a CSV (UTF-8 with byte order mark) or XLSX listing file.

    Parameters
    ----------
    frame
        A canonical frame (it goes through :func:`to_export_frame`) or a frame of file
        columns as text, such as :func:`template_frame` or :func:`to_export_frame` returns.
    target
        A path or a binary file object.
    fmt
        ``"csv"`` or ``"xlsx"``. The XLSX has the listings on a sheet ``listings``, with
        numbers as number cells and everything else as text cells.
    delimiter
        CSV only: ``","`` or ``";"`` (what Excel in Dutch expects) or ``"\\t"``.

    Examples
    --------
    >>> buffer = io.BytesIO()
    >>> write_listing_file(template_frame(), buffer, fmt="csv", delimiter=";")
    >>> buffer.getvalue().decode("utf-8-sig").splitlines()[0][:30]
    'ref;organisation;kind;title;ma'
    """
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"fmt {fmt!r} is not one of 'csv', 'xlsx'")
    if delimiter not in _DELIMITERS:
        raise ValueError(f"delimiter {delimiter!r} is not one of ',', ';', '\\t'")
    if "accepted_ewc_codes" in frame.columns:
        frame = to_export_frame(frame)
    unknown = [str(c) for c in frame.columns if c not in LISTING_COLUMNS]
    if unknown:
        raise ValueError(
            f"frame has columns {', '.join(unknown)} that are not listing file columns "
            f"({', '.join(LISTING_COLUMNS)})"
        )
    columns = [c for c in LISTING_COLUMNS if c in frame.columns]
    rows = [[_cell_text(value) for value in values] for values in frame[columns].itertuples(False)]
    if fmt == "csv":
        _write_bytes(target, _csv_bytes(columns, rows, delimiter=delimiter))
    else:
        _write_xlsx(target, columns, rows, help_lines=None)


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _write_bytes(target: str | os.PathLike[str] | IO[bytes], data: bytes) -> None:
    if isinstance(target, str | os.PathLike):
        Path(target).write_bytes(data)
    else:
        target.write(data)


def _csv_bytes(columns: list[str], rows: list[list[str]], *, delimiter: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    text_positions = [i for i, column in enumerate(columns) if column in _TEXT_COLUMNS]
    for row in rows:
        for i in text_positions:
            if _FORMULA_START.match(row[i]):
                row[i] = "'" + row[i]
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8-sig")


def _write_xlsx(
    target: str | os.PathLike[str] | IO[bytes],
    columns: list[str],
    rows: list[list[str]],
    *,
    help_lines: Mapping[str, str] | None,
) -> None:
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one sheet
    sheet.title = _XLSX_SHEET
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    numeric = {i for i, column in enumerate(columns) if column in _FLOAT_COLUMNS}
    for r, row in enumerate(rows, start=2):
        for c, text in enumerate(row, start=1):
            if not text:
                continue
            cell = sheet.cell(row=r, column=c)
            number = _float_or_none(text) if c - 1 in numeric else None
            if number is not None:
                cell.value = number
            else:
                cell.value = text
                # Typed text: openpyxl would otherwise store "=..." as a formula.
                cell.data_type = "s"
    for c, column in enumerate(columns, start=1):
        width = max([len(column), *(min(len(row[c - 1]), 60) for row in rows)])
        sheet.column_dimensions[get_column_letter(c)].width = width + 2
    if help_lines is not None:
        help_sheet = workbook.create_sheet(_HELP_SHEET)
        help_sheet.append(["column", "help"])
        for column, line in help_lines.items():
            help_sheet.append([column, line])
        help_sheet.column_dimensions["A"].width = 20
        help_sheet.column_dimensions["B"].width = 120
    if isinstance(target, str | os.PathLike):
        workbook.save(Path(target))
    else:
        buffer = io.BytesIO()
        workbook.save(buffer)
        target.write(buffer.getvalue())


# -- documentation and template --------------------------------------------------------------

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
        "codes. Voorbeeld: 03 01 05",
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
