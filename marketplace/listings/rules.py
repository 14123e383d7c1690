"""The rules of one listing as the web form gives it: every field error at once.

:func:`clean_listing_data` checks the cross-field rules (kind-specific fields, EWC codes,
location, limits) and returns the values to store, or raises
:class:`~marketplace.errors.InvalidInput` naming every field that is wrong.
"""

from __future__ import annotations

import math
from typing import Any

from flask_babel import gettext as _

from flows import taxonomy
from geo.errors import GeoError
from geo.geocode import geocode_postcode, normalise_postcode
from geo.regions import municipality_at
from marketplace.accounts.models import Organisation
from marketplace.core.disclosure import DISTANCE_LIMIT_STEP_KM, stepped_distance_limit_km
from marketplace.core.reference import EWCCode
from marketplace.core.vocabulary import KINDS, needs_ewc_code
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.listings.limits import check_listing_limits

#: Fields only meaningful for one kind of listing.
OFFER_ONLY = ("current_route", "ewc_code")
NEED_ONLY = ("max_distance_km", "current_source", "current_source_km", "accepted_ewc_codes")


def _ewc_exists(code: str) -> bool:
    return db.session.get(EWCCode, code) is not None


def _normalise_codes(raw: str | list[str] | tuple[str, ...] | None) -> tuple[list[str], list[str]]:
    """Split and normalise a `;`-separated list of EWC codes: (codes, error messages)."""
    from flows.errors import InvalidEWCCode
    from flows.ewc import normalise_ewc_code

    if raw is None:
        return [], []
    parts = (
        raw if isinstance(raw, list | tuple) else [p for p in str(raw).replace(",", ";").split(";")]
    )
    codes, errors = [], []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        try:
            code = normalise_ewc_code(part)
        except InvalidEWCCode:
            errors.append(
                _(
                    "%(value)s is not a code of the European List of Waste (use 02 01 03).",
                    value=part,
                )
            )
            continue
        if code not in codes:
            codes.append(code)
    return codes, errors


def distance_limit_notice(given_km: float | None, stored_km: float | None) -> str | None:
    """The notice for a distance limit that was rounded up to a 5 km step, else None."""
    if given_km is None or stored_km is None or float(given_km) == stored_km:
        return None
    given, stored = f"{float(given_km):g}", f"{stored_km:g}"
    return _(
        "The maximum distance %(given)s km was rounded up to %(stored)s km: distance limits "
        "are kept in steps of %(step)d km, so that they cannot be used to locate an "
        "anonymous firm.",
        given=given,
        stored=stored,
        step=DISTANCE_LIMIT_STEP_KM,
    )


def clean_listing_data(data: dict[str, Any], organisation: Organisation) -> dict[str, Any]:
    """Check the cross-field rules of a listing and return the values to store.

    ``data`` holds the form's typed values. Raises :class:`InvalidInput` with every
    field error at once.
    """
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, messages in check_listing_limits(data).items():
        errors.setdefault(name, []).extend(messages)

    kind = data.get("kind")
    if kind not in KINDS:
        err("kind", _("Choose offer or need."))
    material = data.get("material") or ""
    if not taxonomy.is_category(material):
        err("material", _("Choose a material category from the list."))

    values: dict[str, Any] = {
        k: data.get(k)
        for k in (
            "kind",
            "title",
            "description",
            "material",
            "quantity",
            "unit",
            "frequency",
            "available_from",
            "available_until",
            "price_terms",
            "price_eur_per_unit",
            "visibility",
        )
    }
    values["title"] = (values["title"] or "").strip()
    if not values["title"]:
        err("title", _("Give the listing a title."))
    values["description"] = (values.get("description") or "").strip() or None
    quantity = data.get("quantity")
    if quantity is None or not math.isfinite(float(quantity)) or float(quantity) <= 0:
        err("quantity", _("The quantity must be greater than 0."))
    else:
        values["quantity"] = float(quantity)
    if values.get("price_eur_per_unit") is not None:
        values["price_eur_per_unit"] = float(values["price_eur_per_unit"])
        if values["price_eur_per_unit"] < 0:
            err(
                "price_eur_per_unit",
                _("The price cannot be negative; choose 'paid to take' instead."),
            )
    start, end = data.get("available_from"), data.get("available_until")
    if start and end and end < start:
        err("available_until", _("The end of the availability window lies before its start."))
    if values.get("frequency") == "once" and not (start or end):
        pass  # a one-off batch without a window is available from now on

    # EWC codes: required for offers unless energy or water.
    ewc_raw = (data.get("ewc_code") or "").strip()
    ewc_code = None
    if ewc_raw:
        codes, code_errors = _normalise_codes(ewc_raw)
        for m in code_errors:
            err("ewc_code", m)
        if codes:
            ewc_code = codes[0]
            if len(codes) > 1:
                err("ewc_code", _("Give one EWC code for an offer."))
            elif not _ewc_exists(ewc_code):
                err("ewc_code", _("%(value)s is not on the European List of Waste.", value=ewc_raw))
    accepted, accepted_errors = _normalise_codes(data.get("accepted_ewc_codes"))
    for m in accepted_errors:
        err("accepted_ewc_codes", m)

    if kind == "offer":
        if not ewc_code and material and needs_ewc_code(material) and "ewc_code" not in errors:
            err("ewc_code", _("An offer needs an EWC code, unless it is energy or water."))
        for name in NEED_ONLY:
            if data.get(name) not in (None, "", [], ()):
                err(name, _("This field is for needs only."))
        values.update(ewc_code=ewc_code, current_route=data.get("current_route") or None)
        values.update(max_distance_km=None, current_source=None, current_source_km=None)
        accepted = []
    elif kind == "need":
        if data.get("current_route"):
            err("current_route", _("This field is for offers only."))
        if ewc_code and not accepted:
            accepted = [ewc_code]  # a need that names one code accepts that code
        max_km = data.get("max_distance_km")
        if max_km is not None and float(max_km) <= 0:
            err("max_distance_km", _("The maximum distance must be greater than 0 km."))
        source_km = data.get("current_source_km")
        if source_km is not None and float(source_km) < 0:
            err("current_source_km", _("The distance cannot be negative."))
        values.update(
            ewc_code=None,
            current_route=None,
            # Stored in 5 km steps (rounded up): see disclosure.stepped_distance_limit_km.
            max_distance_km=stepped_distance_limit_km(max_km) if max_km is not None else None,
            current_source=data.get("current_source") or None,
            current_source_km=float(source_km) if source_km is not None else None,
        )

    # Location: the organisation's site, a postcode, or a point picked on the map.
    mode = data.get("location_mode") or "site"
    if mode == "site":
        if organisation.lon is None or organisation.lat is None:
            err("location_mode", _("Your organisation has no site location yet; give a postcode."))
        else:
            values.update(
                lon=organisation.lon,
                lat=organisation.lat,
                postcode=organisation.postcode,
                municipality_code=organisation.municipality_code,
            )
    elif mode == "postcode":
        raw_pc = (data.get("postcode") or "").strip()
        try:
            postcode = normalise_postcode(raw_pc)
            lon, lat = geocode_postcode(postcode)
        except GeoError:
            err(
                "postcode",
                _("%(value)s is not a known Dutch postcode (use 1234 AB).", value=raw_pc),
            )
        else:
            values.update(lon=lon, lat=lat, postcode=postcode)
    elif mode == "map":
        lon, lat = data.get("lon"), data.get("lat")
        if (
            lon is None
            or lat is None
            or not (3.2 <= float(lon) <= 7.3 and 50.7 <= float(lat) <= 53.6)
            # The box also holds Flanders and a strip of Germany: only a municipality counts.
            or municipality_at(float(lon), float(lat)) is None
        ):
            err("lat", _("Pick a point in the Netherlands on the map."))
        else:
            values.update(lon=float(lon), lat=float(lat), postcode=None)
    else:
        err("location_mode", _("Choose where the material is."))
    if "lon" in values and mode != "site" and not errors:
        found = municipality_at(values["lon"], values["lat"])
        values["municipality_code"] = found.code if found else None

    if errors:
        raise InvalidInput(_("Please correct the marked fields."), errors)
    values["accepted"] = accepted
    return values
