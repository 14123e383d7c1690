"""The rules of one listing as the web form gives it: every field error at once.

:func:`clean_listing_data` checks a listing with the same rules as the file import
(:func:`flows.listing_file.check_listing`: kinds, kind-specific fields, EWC codes,
quantities and their limits, the availability window), words each problem for its form
field, adds the form's own fields (price, location) and returns the values to store,
or raises :class:`~marketplace.errors.InvalidInput` naming every field that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from flows.errors import Problem
from flows.legal import canonical_code, feed_refusal, refusals_for_need
from flows.listing_file import check_listing
from flows.schema import DEFAULT_TRANSPORT_MODE, TRANSPORT_MODES
from geo.errors import GeoError
from geo.geocode import geocode_postcode, normalise_postcode
from geo.regions import municipality_at
from marketplace.accounts.models import Organisation
from marketplace.core.area import outside_message
from marketplace.core.disclosure import DISTANCE_LIMIT_STEP_KM, stepped_distance_limit_km
from marketplace.core.vocabulary import label
from marketplace.errors import InvalidInput
from marketplace.listings.limits import LIMITS, check_listing_limits

#: Form fields stored as given (after the rules), for both kinds.
_COMMON_FIELDS = (
    "kind",
    "title",
    "description",
    "material",
    "quantity",
    "unit",
    "frequency",
    "available_from",
    "available_until",
    "visibility",
    "transport_mode",
)
#: Form fields of one kind only (the listing rules refuse them on the other).
_KIND_FIELDS = (
    "max_distance_km",
    "current_route",
    "current_source",
    "current_source_km",
    "current_source_transport_mode",
)
#: The form's own fields: the listing file has no price.
_PRICE_FIELDS = ("price_terms", "price_eur_per_unit")


def _messages() -> dict[tuple[str | None, str | None], Any]:
    """(column, problem code) -> the form's message; ``None`` matches any column or code."""
    return {
        ("kind", None): _l("Choose offer or need."),
        ("title", "required"): _l("Give the listing a title."),
        ("material", None): _l("Choose a material category from the list."),
        ("quantity", "required"): _l("The quantity must be greater than 0."),
        ("quantity", "not_positive"): _l("The quantity must be greater than 0."),
        ("max_distance_km", "not_positive"): _l("The maximum distance must be greater than 0 km."),
        ("current_source_km", "negative"): _l("The distance cannot be negative."),
        ("ewc_code", "ewc_several"): _l("Give one EWC code for an offer."),
        ("ewc_code", "ewc_required"): _l(
            "An offer needs an EWC code, unless it is energy or water."
        ),
        ("available_until", "window_order"): _l(
            "The end of the availability window lies before its start."
        ),
        (None, "need_only"): _l("This field is for needs only."),
        (None, "offer_only"): _l("This field is for offers only."),
    }


def _message(problem: Problem) -> str:
    """A problem of the listing rules in the form's words (the rule's own words otherwise)."""
    column, code = problem.column, problem.code
    if code == "ewc_invalid":
        return _(
            "%(value)s is not a code of the European List of Waste (use 02 01 03).",
            value=problem.value,
        )
    if column in ("transport_mode", "current_source_transport_mode") and code == "not_allowed":
        return _(
            "%(value)s is not a transport mode; choose one of: %(allowed)s.",
            value=repr(problem.value) if problem.value else _("this value"),
            allowed=", ".join(label(mode, "transport_mode") for mode in TRANSPORT_MODES),
        )
    if column in LIMITS and code in ("too_large", "not_a_number"):
        return str(LIMITS[column][1])
    messages = _messages()
    for key in ((column, code), (column, None), (None, code)):
        if key in messages:
            return str(messages[key])
    return problem.message


def _rules_record(data: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The form's values as a listing record, and the form field of its EWC codes."""
    kind = data.get("kind")
    accepted = data.get("accepted_ewc_codes")
    codes_field = "accepted_ewc_codes" if kind == "need" and accepted else "ewc_code"
    record = {column: data.get(column) for column in (*_COMMON_FIELDS, *_KIND_FIELDS)}
    codes = data.get(codes_field)
    if isinstance(codes, str):
        codes = codes.replace(",", ";")
    record["ewc_code"] = codes
    return record, codes_field


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
    """Check a listing against the listing rules and return the values to store.

    ``data`` holds the form's typed values. The rules are the file import's
    (:func:`flows.listing_file.check_listing`, with the limits); their problems become
    field errors in the form's words. The price and the location are the form's own.
    Raises :class:`InvalidInput` with every field error at once.
    """
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        if message not in errors.get(name, []):
            errors.setdefault(name, []).append(message)

    record, codes_field = _rules_record(data)
    checked, problems = check_listing(
        record, require_ref=False, allow_missing_location=True, geocode=False, limits=True
    )
    for problem in problems:
        field = codes_field if problem.column == "ewc_code" else str(problem.column)
        err(field, _message(problem))
    kind = data.get("kind")
    if kind == "offer" and data.get("accepted_ewc_codes"):
        err("accepted_ewc_codes", _("This field is for needs only."))
    price = data.get("price_eur_per_unit")
    for name, messages in check_listing_limits({"price_eur_per_unit": price}).items():
        for message in messages:
            err(name, message)
    if price is not None and "price_eur_per_unit" not in errors and float(price) < 0:
        err(
            "price_eur_per_unit",
            _("The price cannot be negative; choose 'paid to take' instead."),
        )

    values: dict[str, Any] = {name: data.get(name) for name in (*_COMMON_FIELDS, *_PRICE_FIELDS)}
    values["title"] = (values["title"] or "").strip()
    values["description"] = (values.get("description") or "").strip() or None
    if values.get("quantity") is not None:
        values["quantity"] = float(values["quantity"])
    if price is not None:
        values["price_eur_per_unit"] = float(price)
    accepted = list(checked["accepted_ewc_codes"] or ())
    values["transport_mode"] = checked.get("transport_mode") or DEFAULT_TRANSPORT_MODE
    if kind == "offer":
        values.update(ewc_code=checked["ewc_code"], current_route=data.get("current_route") or None)
        values.update(max_distance_km=None, current_source=None, current_source_km=None)
        values["current_source_transport_mode"] = None
        accepted = []
    elif kind == "need":
        max_km, source_km = data.get("max_distance_km"), data.get("current_source_km")
        values.update(
            ewc_code=None,
            current_route=None,
            # Stored in 5 km steps (rounded up): see disclosure.stepped_distance_limit_km.
            max_distance_km=stepped_distance_limit_km(max_km) if max_km is not None else None,
            current_source=data.get("current_source") or None,
            current_source_km=float(source_km) if source_km is not None else None,
            current_source_transport_mode=checked.get("current_source_transport_mode")
            or DEFAULT_TRANSPORT_MODE,
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
            if (outside := outside_message(lon, lat)) is not None:
                err("postcode", outside)
            values.update(lon=lon, lat=lat, postcode=postcode)
    elif mode == "map":
        lon, lat = data.get("lon"), data.get("lat")
        if lon is None or lat is None:
            err("lat", _("Pick a point on the map."))
        elif (outside := outside_message(float(lon), float(lat))) is not None:
            err("lat", outside)
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


def _feed_rules() -> dict[str, Any]:
    """The feed-law rules of :mod:`flows.legal` in the user's words."""
    return {
        "feed.catering_waste": _l("catering and kitchen waste may not be fed to farmed animals"),
        "feed.animal_by_products": _l("animal by-products are kept out of feed for farmed animals"),
        "feed.manure": _l("faeces, urine and manure are prohibited in feed"),
        "feed.waste_water": _l("waste from the treatment of waste water is prohibited in feed"),
        "feed.municipal_waste": _l("solid municipal waste is prohibited in feed"),
        "feed.packaging": _l("packaging is prohibited in feed"),
        "feed.tanned_hide": _l("hide treated with tanning substances is prohibited in feed"),
        "feed.hazardous": _l("hazardous waste may not become feed"),
    }


def accepted_code_warnings(kind: str | None, accepted: Any, material: str | None) -> list[str]:
    """Warnings (not errors) for accepted codes the law keeps from this need.

    The same refusals as :func:`flows.legal.refusals_for_need` (which the import stores in
    ``frame.attrs["warnings"]``), each naming the code, the rule and its legal reference
    in the user's language. The need is saved; offers under these codes are not proposed.
    """
    if kind != "need" or not accepted:
        return []
    if isinstance(accepted, str):
        accepted = [part for part in accepted.replace(",", ";").split(";") if part.strip()]
    codes: list[str] = []
    for code in accepted:
        try:
            canonical = canonical_code(code)
        except ValueError:
            continue  # an invalid code is the rules' error, not a warning
        if canonical is not None and canonical not in codes:
            codes.append(canonical)
    if not refusals_for_need(codes, material):
        return []
    rules = _feed_rules()
    warnings = []
    for code in codes:
        refusal = feed_refusal(code, material)
        if refusal is not None:
            warnings.append(
                _(
                    "Accepted EWC code %(code)s cannot supply animal feed: %(rule)s "
                    "(%(reference)s). Offers under this code are not proposed for this need.",
                    code=refusal.code,
                    rule=rules.get(refusal.rule, refusal.what_en),
                    reference=refusal.reference,
                )
            )
    return warnings
