"""Read a listing file (CSV or XLSX, in every dialect firms use) into a raw frame of strings.

The dialect decisions (encodings, delimiters, headers, XLSX cells, formula guards) are
explained in :mod:`flows.listing_file`.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Final, TypeAlias

import pandas as pd

from flows.errors import Problem, ValidationError
from flows.listing_file.cells import _ESCAPED_FORMULA, _cell_text
from flows.listing_file.columns import (
    _DELIMITERS,
    _TEXT_COLUMNS,
    _XLSX_SHEET,
    _column_key,
    _header_problems,
)
from flows.schema import LISTING_COLUMNS

__all__ = [
    "XLSX_MAX_CELLS",
    "XLSX_MAX_INFLATION",
    "XLSX_MAX_RATIO",
    "XLSX_MAX_SHARED_STRINGS",
    "ListingSource",
    "read_listing_file",
]

#: What :func:`read_listing_file` reads: a path, the file's bytes, or a binary file object.
ListingSource: TypeAlias = "str | os.PathLike[str] | bytes | bytearray | IO[bytes]"

#: An XLSX is a zip archive; one that inflates to more than this multiple of ``max_bytes``
#: is refused before parsing (a zip bomb guard; real workbooks inflate 5 to 10 times).
XLSX_MAX_INFLATION: Final = 30
#: ... and more than this multiple of its own size (unless it stays under
#: ``XLSX_SMALL_BYTES``): a 150 kB file that unpacks to 150 MB is refused before any XML
#: is parsed. Real workbooks compress 5 to 20 times.
XLSX_MAX_RATIO: Final = 100
XLSX_SMALL_BYTES: Final = 10_000_000
#: At most this many shared strings (counted while streaming, before openpyxl loads them
#: all into memory) and this many cells in the sheet that is read.
XLSX_MAX_SHARED_STRINGS: Final = 200_000
XLSX_MAX_CELLS: Final = 2_000_000
_ZIP_MAGIC: Final = b"PK\x03\x04"
_OLE2_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)


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
    # Python's zipfile never inflates a member past the size its header declares (it
    # stops and fails the CRC check), so the declared sizes bound the work below.
    limit = min(XLSX_MAX_INFLATION * max_bytes, max(XLSX_MAX_RATIO * len(data), XLSX_SMALL_BYTES))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated_bytes = sum(info.file_size for info in archive.infolist())
            if inflated_bytes > limit:
                raise _file_problem(
                    f"the workbook unpacks to {inflated_bytes:,} bytes, more than {limit:,}; "
                    "save the listings alone as a new .xlsx or CSV"
                )
            _check_shared_strings(archive)
    except zipfile.BadZipFile as error:
        raise _file_problem(f"the file is not a valid .xlsx workbook ({error})") from None
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
        cells = 0
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells += len(values)
            if cells > XLSX_MAX_CELLS:
                raise _file_problem(
                    f"the worksheet has more than {XLSX_MAX_CELLS:,} cells; save the listings "
                    "alone (only the columns of the template) as a new .xlsx or CSV"
                )
            yield number, values
    finally:
        workbook.close()


def _check_shared_strings(archive: zipfile.ZipFile) -> None:
    """Refuse a workbook with more than XLSX_MAX_SHARED_STRINGS shared strings.

    openpyxl reads every shared string into a list even in read-only mode; counting the
    ``<si>`` elements while streaming keeps the memory flat.
    """
    from xml.etree.ElementTree import iterparse

    names = [n for n in archive.namelist() if n.casefold().endswith("sharedstrings.xml")]
    for name in names:
        count = 0
        root = None
        with archive.open(name) as stream:
            try:
                for event, element in iterparse(stream, events=("start", "end")):  # noqa: S314
                    if root is None:
                        root = element
                    if event == "end" and (element.tag.endswith("}si") or element.tag == "si"):
                        count += 1
                        if count > XLSX_MAX_SHARED_STRINGS:
                            raise _file_problem(
                                f"the workbook has more than {XLSX_MAX_SHARED_STRINGS:,} "
                                "different texts; save the listings alone as a new .xlsx or CSV"
                            )
                        root.clear()  # drop the strings read so far: flat memory
            except SyntaxError as error:  # ParseError
                raise _file_problem(
                    f"the file is not a readable .xlsx workbook ({error})"
                ) from None


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
