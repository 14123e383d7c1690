"""Rendered search output kept per process until a listing changes.

The market page's results and the map's GeoJSON are the same for every viewer of one
*scope* (:func:`~marketplace.listings.ranking.viewer_scope`: anonymous visitors, the
members of one firm, coordinators) asking the same thing: the disclosure rules
(:mod:`marketplace.core.disclosure`) depend on the viewer only through that scope, and
distances on the viewer's site. So the output is kept under the scope, the site, the
request's own key and the listings' change stamp (as
:func:`~marketplace.listings.ranking.change_stamp`) and the firms' (their latest
``updated_at``); any change of a listing or a firm makes a new stamp; nothing is
trusted longer than :data:`~marketplace.listings.memo.TTL_S` (a deleted listing).
A firm that renames itself is no change of its listings: the firms' stamp covers it.

Measured on the region demo (``bench/README.md``): the map's GeoJSON is a fifth of the
CPU of the load benchmark's mix, and the search form's choice lists and the result rows
most of a market page's.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import sqlalchemy as sa

from marketplace.accounts.models import Organisation
from marketplace.extensions import db
from marketplace.listings.memo import ProcessStore, process_key
from marketplace.listings.models import Listing
from marketplace.listings.ranking import viewer_scope

T = TypeVar("T", str, bytes)

#: Bytes of output kept per process (the region demo's map JSON is ~0.6 MB a search).
BUDGET_BYTES = 48 * 1024 * 1024

_kept: ProcessStore[str | bytes] = ProcessStore(BUDGET_BYTES, weigh=len)


def viewer_origin(viewer: Any) -> tuple[float, float] | None:
    """The site distances are measured from: the viewer's firm's, if it has one."""
    if not getattr(viewer, "is_authenticated", False):
        return None
    org = getattr(viewer, "organisation", None)
    if org is None or org.lon is None or org.lat is None:
        return None
    return (org.lon, org.lat)


def _stamp() -> tuple[Any, ...]:
    """The listings' change stamp and the firms' (a firm's name shows in its public
    listings), in one statement: four index look-ups."""
    firms = sa.select(sa.func.max(Organisation.updated_at)).scalar_subquery()
    stamp = sa.select(sa.func.max(Listing.updated_at), sa.func.max(Listing.id), firms)
    return tuple(db.session.execute(stamp).one())


def kept(viewer: Any, key: Hashable, build: Callable[[], T]) -> T:
    """``build()``'s output for ``viewer`` and ``key``, kept as the module says.

    ``key`` must name everything else the output depends on (the request's parameters,
    the language); ``build`` must depend on the viewer only through its scope and site.
    """
    full_key = (*process_key(), viewer_scope(viewer), viewer_origin(viewer), key, _stamp())
    hit = _kept.get(full_key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    output = build()
    _kept.put(full_key, output)
    return output


def forget() -> None:
    """Drop everything kept (tests, and after bulk changes in this process)."""
    _kept.clear()
