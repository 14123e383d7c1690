"""Write listings back as a file: the export frame, CSV (UTF-8 with BOM) and XLSX.

What :func:`write_listing_file` writes, :func:`~flows.listing_file.read_listing_file` and
:func:`~flows.listing_file.parse_listings` read back to the same canonical frame.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Final

import pandas as pd

from flows.listing_file.cells import _FORMULA_START, _cell_text, _format_decimal
from flows.listing_file.columns import (
    _DELIMITERS,
    _FLOAT_COLUMNS,
    _TEXT_COLUMNS,
    _XLSX_SHEET,
    CANONICAL_COLUMNS,
    FileFormat,
)
from flows.schema import LISTING_COLUMNS

__all__ = ["to_export_frame", "write_listing_file"]

_HELP_SHEET: Final = "help"


def to_export_frame(listings: pd.DataFrame) -> pd.DataFrame:
    """Turn a canonical frame into file columns, every value a ``str``.

    EWC codes of a need are joined with ``;``, dates written ``YYYY-MM-DD``, numbers
    with a decimal point and no trailing zeros (except the one that keeps ``1.2340``
    from reading as one thousand), empty values as ``""``. The result is not yet
    guarded against spreadsheet formulas; write it with :func:`write_listing_file`.

    Examples
    --------
    >>> from flows.listing_file import parse_listings
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
    >>> from flows.listing_file import template_frame
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
