"""Exceptions raised by :mod:`geo`.

One small hierarchy: callers at the edge (the web app, the CLI, :mod:`flows`) catch
:class:`GeoError` and show its message. The subclasses also derive from the built-in
exception a caller would naturally expect (``ValueError`` for a malformed value,
``KeyError`` for a lookup miss), so generic handlers keep working.
"""

from __future__ import annotations

__all__ = [
    "GeoError",
    "GeographicCRSError",
    "InvalidArgument",
    "InvalidCoordinates",
    "InvalidPostcode",
    "MissingCRSError",
    "UnknownPostcode",
]


class GeoError(Exception):
    """Base class of every error :mod:`geo` raises on purpose."""


class InvalidArgument(GeoError, ValueError):
    """An argument has a value :mod:`geo` cannot use (e.g. a circuity below 1)."""


class InvalidCoordinates(InvalidArgument):
    """Longitudes or latitudes are out of range, of mismatched shape, or outside the CRS area.

    The message counts the offending values and quotes the first one; swapped
    ``lon``/``lat`` is the usual cause and the message says so.
    """


class GeographicCRSError(GeoError, ValueError):
    """A metric operation (distance, buffer, area) was asked of data in a non-metric CRS.

    Raised by :func:`geo.crs.require_metric` for geographic (degree) CRSs, for projected
    CRSs whose unit is not the metre, and for Mercator projections, whose "metres" are
    stretched by ``1 / cos(latitude)`` (a factor of about 1.6 in the Netherlands).
    """


class MissingCRSError(GeographicCRSError):
    """A GeoDataFrame or GeoSeries has no CRS, so its units are unknown.

    A subclass of :class:`GeographicCRSError` because the metric guard must refuse it
    for the same reason: nothing says its coordinates are metres.
    """


class InvalidPostcode(GeoError, ValueError):
    """A string is not shaped like a Dutch postcode (``1234 AB``, ``1234AB`` or ``1234``)."""


class UnknownPostcode(GeoError, KeyError):
    """A well-formed postcode whose four-digit area (PC4) is not in the shipped table."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else ""
