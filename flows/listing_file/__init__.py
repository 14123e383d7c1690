"""The listing spreadsheet: read it in every dialect firms use, validate it, write it back.

One file format serves four doors: ``python -m flows match LISTINGS.csv``, ``flask
listings import``, the web upload (with a preview) and the export. Its columns are
:data:`flows.schema.LISTING_COLUMNS`; :func:`column_help` explains each one.

The package follows the file's seams: :mod:`~flows.listing_file.read` (bytes, CSV and XLSX
dialects), :mod:`~flows.listing_file.rules` (one listing: :func:`check_listing`, used by the
import, the web form and the API alike), :mod:`~flows.listing_file.parse` (a whole file,
row by row through the rules), :mod:`~flows.listing_file.write` (export) and
:mod:`~flows.listing_file.help` (help text and template); :mod:`~flows.listing_file.cells`
and :mod:`~flows.listing_file.columns` hold what they share.

The pipeline is three pure steps:

1. :func:`read_listing_file` turns bytes (CSV or XLSX) into a *raw* frame of strings, one
   column per file column plus ``row``, the spreadsheet row number (header = row 1).
2. :func:`parse_listings` validates every cell, collects **every** problem into one
   :class:`~flows.errors.ValidationError`, and otherwise returns the *canonical* typed
   frame (:data:`CANONICAL_COLUMNS`) the engine and the web app work with. Each row goes
   through :func:`check_listing`, which validates and normalises one listing.
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

from flows.listing_file.columns import CANONICAL_COLUMNS, REQUIRED_COLUMNS, FileFormat
from flows.listing_file.help import column_help, template_frame, write_template
from flows.listing_file.parse import parse_listings, split_offers_needs
from flows.listing_file.read import XLSX_MAX_INFLATION, ListingSource, read_listing_file
from flows.listing_file.rules import (
    MAX_DESCRIPTION_CHARS,
    MAX_REF_CHARS,
    MAX_TITLE_CHARS,
    NL_LAT_RANGE,
    NL_LON_RANGE,
    check_listing,
)
from flows.listing_file.write import to_export_frame, write_listing_file

__all__ = [
    "CANONICAL_COLUMNS",
    "MAX_DESCRIPTION_CHARS",
    "MAX_REF_CHARS",
    "MAX_TITLE_CHARS",
    "NL_LAT_RANGE",
    "NL_LON_RANGE",
    "REQUIRED_COLUMNS",
    "XLSX_MAX_INFLATION",
    "FileFormat",
    "ListingSource",
    "check_listing",
    "column_help",
    "parse_listings",
    "read_listing_file",
    "split_offers_needs",
    "template_frame",
    "to_export_frame",
    "write_listing_file",
    "write_template",
]
