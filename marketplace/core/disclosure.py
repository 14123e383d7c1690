"""What a viewer may see: every anonymity rule of the marketplace, in one place.

A firm lists *publicly* (name and site shown) or *anonymously* (only category, quantity
and municipality shown). Pages, JSON, GeoJSON, match pages and exports all ask this
module, and no view decides for itself:

- :func:`disclose_listing`: of one listing, for one viewer: the firm (id and name), the
  site (postcode, exact point) or the point shown instead (inside the municipality),
  timestamps (exact, or the date only), the firm's own ``ref``, and how distances read
  (kilometres, or a coarse band: :func:`distance_text`).
- Order: where a list puts an anonymous listing must not depend on what is hidden.
  Hidden listings sort by creation *date* (:func:`recency_s`) and ties break by
  :func:`order_key`, a keyed hash of the id that carries no ownership or batch order.
- :func:`disclose_match`: of a match, for one of its firms: the counterpart stays
  anonymous until both agree (:func:`counterpart_revealed`), and so does every figure
  that would give the exact distance away (road km, CO2 breakdown, the reason).
- :func:`neutral_reason`: the engine's explanation without the firms' keys.

Coordinators and members of the listing's own firm *manage* it and see everything.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from babel.numbers import format_decimal
from flask import current_app

from geo.regions import netherlands_municipalities
from marketplace.core.permissions import can_manage_organisation
from marketplace.core.vocabulary import AGREED_STATUSES

#: Upper bounds (km) of the distance bands shown instead of an exact distance.
DISTANCE_BANDS_KM = (5, 10, 25, 50, 100)


# --- listings ---------------------------------------------------------------------------------


def reveals(viewer: Any, *, organisation_id: int, visibility: str) -> bool:
    """Whether ``viewer`` may see the firm and the exact site of such a listing."""
    return visibility == "public" or can_manage_organisation(viewer, organisation_id)


@cache
def municipality_points() -> dict[str, tuple[float, float]]:
    """A representative point (lon, lat) inside each municipality, for anonymous listings."""
    gdf = netherlands_municipalities()
    points = gdf.geometry.representative_point()
    return {
        str(code): (float(p.x), float(p.y))
        for code, p in zip(gdf["gemeente_code"], points, strict=True)
    }


def shown_point(
    *, revealed: bool, lon: float | None, lat: float | None, municipality_code: str | None
) -> tuple[float | None, float | None]:
    """The point a map shows: the site, or (hidden) a point inside the municipality."""
    if revealed:
        return lon, lat
    return municipality_points().get(municipality_code or "", (None, None))


def order_key(listing_id: int) -> int:
    """A keyed pseudo-random 64-bit number for a listing id, to break ties in listings.

    Ordering by id would put a firm's listings of one batch side by side, and an
    unkeyed hash could be recomputed from guessed ids; this one needs ``SECRET_KEY``.
    The same id always gets the same number, so pages and exports are stable.

    Examples
    --------
    >>> from flask import Flask
    >>> app = Flask("doc")
    >>> app.config["SECRET_KEY"] = "not-a-real-secret-key"
    >>> with app.app_context():
    ...     order_key(7) == order_key(7), order_key(7) != order_key(8), order_key(7) < 2**64
    (True, True, True)
    """
    secret = current_app.config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("SECRET_KEY is not set; listing order keys are derived from it")
    digest = hmac.new(
        str(secret).encode("utf-8"),
        f"reststroom.listing-order:{listing_id}".encode("ascii"),
        hashlib.sha256,
    ).digest()
    return int.from_bytes(digest[:8], "big")


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC (SQLite hands back naive datetimes; every stored one is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def shown_moment(moment: datetime, *, revealed: bool) -> datetime | date:
    """A timestamp as shown: exact, or (hidden) its UTC date only.

    Exact times would pair an anonymous listing with the firm's public ones created in
    the same batch.
    """
    return moment if revealed else as_utc(moment).date()


def recency_s(listing_id: int, created_at: datetime, *, revealed: bool) -> float:
    """The moment "newest first" sorts a listing by, in seconds since 1970 (UTC).

    The exact creation time for listings the viewer may see in full. For a hidden
    (anonymous) listing only its UTC date counts, plus a keyed pseudo-random time of
    that day: its place among the day's listings then says nothing about which firm
    created what in the same batch.

    Examples
    --------
    >>> from flask import Flask
    >>> app = Flask("doc")
    >>> app.config["SECRET_KEY"] = "not-a-real-secret-key"
    >>> moment = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    >>> with app.app_context():
    ...     exact = recency_s(7, moment, revealed=True)
    ...     hidden = recency_s(7, moment, revealed=False)
    >>> exact == moment.timestamp()
    True
    >>> day_start_s = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
    >>> day_start_s <= hidden < day_start_s + 86_400
    True
    """
    moment = as_utc(created_at)
    if revealed:
        return moment.timestamp()
    day_start_s = datetime.combine(moment.date(), time(), tzinfo=UTC).timestamp()
    return day_start_s + order_key(listing_id) / 2**64 * 86_400


def distance_band(km: float) -> str:
    """A coarse distance for anonymous listings, so that distances cannot be triangulated."""
    for upper in DISTANCE_BANDS_KM:
        if km < upper:
            return f"< {upper} km"
    return f"≥ {DISTANCE_BANDS_KM[-1]} km"


def distance_text(km: float | None, *, revealed: bool, lang: str) -> str | None:
    """A distance as shown: ``12,3 km`` when revealed, a band (:func:`distance_band`) if not."""
    if km is None:
        return None
    if revealed:
        return f"{format_decimal(km, format='#,##0.0', locale=lang)} km"
    return distance_band(km)


@dataclass(frozen=True)
class ListingDisclosure:
    """What one viewer may see of one listing's identifying fields."""

    #: The viewer manages the listing's firm (its member, or a coordinator).
    manages: bool
    #: The firm and the exact site are shown (public listing, or managed).
    revealed: bool
    #: The firm's public id (never its database id) and name, when revealed.
    organisation_public_id: str | None
    organisation_name: str | None
    postcode: str | None
    #: The firm's own reference: only for whoever manages the firm.
    ref: str | None
    map_lon: float | None
    map_lat: float | None
    created_at: datetime | date
    updated_at: datetime | date

    def distance_km(self, km: float | None) -> float | None:
        """An exact distance is only given for a revealed listing."""
        return km if self.revealed else None

    def distance_text(self, km: float | None, lang: str) -> str | None:
        return distance_text(km, revealed=self.revealed, lang=lang)


def disclose_listing(listing: Any, viewer: Any) -> ListingDisclosure:
    """What ``viewer`` may see of ``listing`` (a listing row, or any object with its fields)."""
    manages = can_manage_organisation(viewer, listing.organisation_id)
    revealed = manages or listing.visibility == "public"
    map_lon, map_lat = shown_point(
        revealed=revealed,
        lon=listing.lon,
        lat=listing.lat,
        municipality_code=listing.municipality_code,
    )
    return ListingDisclosure(
        manages=manages,
        revealed=revealed,
        organisation_public_id=listing.organisation.public_id if revealed else None,
        organisation_name=listing.organisation.name if revealed else None,
        postcode=listing.postcode if revealed else None,
        ref=listing.ref if manages else None,
        map_lon=map_lon,
        map_lat=map_lat,
        created_at=shown_moment(listing.created_at, revealed=revealed),
        updated_at=shown_moment(listing.updated_at, revealed=revealed),
    )


def export_identity(listing: Any, viewer: Any | None) -> dict[str, Any]:
    """The identifying columns of an exported listing row (``viewer`` None: the system).

    Hidden rows leave out the firm, its reference, postcode and coordinates.
    """
    revealed = viewer is None or reveals(
        viewer, organisation_id=listing.organisation_id, visibility=listing.visibility
    )
    if not revealed:
        return {"ref": "", "organisation": "", "postcode": None, "lat": None, "lon": None}
    return {
        "ref": listing.ref or listing.public_id,
        "organisation": listing.organisation.name,
        "postcode": listing.postcode,
        "lat": listing.lat,
        "lon": listing.lon,
    }


def market_order_key(listing: Any) -> tuple[Any, ...]:
    """How the market's export orders listings: nothing about the firm, ties by
    :func:`order_key`, so an anonymous row does not sit among its firm's rows."""
    return (
        listing.kind,
        listing.material,
        listing.title.casefold(),
        listing.title,
        order_key(listing.id),
    )


# --- matches ----------------------------------------------------------------------------------


def counterpart_revealed(status: str) -> bool:
    """Whether the firms of a match see each other: only once both agreed."""
    return status in AGREED_STATUSES


@dataclass(frozen=True)
class MatchDisclosure:
    """What one of its firms (or a coordinator) may see of a match."""

    #: Both firms' names are shown (they agreed).
    counterpart_revealed: bool
    #: Exact distances, the CO2 breakdown and the engine's reason are withheld.
    distance_hidden: bool
    #: The road distance as shown: kilometres, or a band while hidden.
    road_text: str
    #: The loop the exchange closes (loop ids name no firm: every viewer sees them).
    loop_id: str | None


def disclose_match(
    match: Any, *, offer: ListingDisclosure, need: ListingDisclosure, lang: str
) -> MatchDisclosure:
    """What the viewer whose listings' disclosures are ``offer`` and ``need`` sees of ``match``.

    Until both agree, exact distances to an anonymous firm would let a firm with several
    sites triangulate it: a band instead, and no explanation that quotes the km.
    """
    agreed = counterpart_revealed(match.status)
    hidden = not agreed and not (offer.revealed and need.revealed)
    return MatchDisclosure(
        counterpart_revealed=agreed,
        distance_hidden=hidden,
        road_text=distance_text(match.road_km, revealed=not hidden, lang=lang) or "",
        loop_id=match.loop_id,
    )


def neutral_reason(text: str, *, offer_key: Any, need_key: Any, lang: str) -> str:
    """The engine's reason without the firms' keys (``org-17``).

    Both firms read the reason while either may still be anonymous to the other; a key
    would let them tell anonymous listings of one firm apart from another's.
    """
    if lang == "nl":
        pairs = [
            (f"{offer_key} biedt ", "Het ene bedrijf biedt "),
            (f" aan en {need_key} zoekt ", " aan en een ander bedrijf zoekt "),
        ]
    else:
        pairs = [
            (f"{offer_key} offers ", "One firm offers "),
            (f" and {need_key} needs ", " and another firm needs "),
        ]
    for old, new in pairs:
        text = text.replace(old, new, 1)
    return text


@dataclass(frozen=True)
class ContactDisclosure:
    """How to reach the firm on one side of a match: shown to the other firm once agreed."""

    organisation_name: str
    contact_name: str | None
    email: str | None


def disclose_contact(
    match: Any, *, organisation: Any, contact: Any | None, viewer: Any
) -> ContactDisclosure | None:
    """The firm ``organisation`` of ``match`` and its ``contact`` person, as ``viewer`` may
    see them: after agreement to the firms of the match (and coordinators), never before.

    Before agreement an anonymous firm stays anonymous, and even a public firm's contact
    person and e-mail are withheld: a proposal is not yet a reason to contact each other.
    """
    if not counterpart_revealed(match.status) and not viewer_manages(viewer, organisation):
        return None
    return ContactDisclosure(
        organisation_name=organisation.name,
        contact_name=contact.name if contact is not None else None,
        email=contact.email if contact is not None else None,
    )


def viewer_manages(viewer: Any, organisation: Any) -> bool:
    """The viewer is a member of ``organisation`` or a coordinator."""
    return can_manage_organisation(viewer, organisation.id)


def actor_name(actor: Any | None, *, match: Any, viewer: Any) -> str | None:
    """The name of whoever acted on a match, as ``viewer`` may see it in its history.

    A firm's member is named to the other firm only once both agreed (the name could
    give an anonymous firm away); coordinators and the engine (``None``) act openly.
    """
    if actor is None:
        return None
    if actor.organisation_id is None or counterpart_revealed(match.status):
        return str(actor.name)
    if can_manage_organisation(viewer, actor.organisation_id):
        return str(actor.name)
    return None
