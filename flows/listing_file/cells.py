"""One cell of a listing file: as text, as a number, as a date, and back.

The number rules (decimal comma or point, unambiguous thousands separators) are explained
in :mod:`flows.listing_file`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Final

import numpy as np
import pandas as pd


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
