"""Organisations: registration with a first member, profile edits, and who may see what.

Members see and edit only their own organisation; coordinators and administrators may
see and edit any, and each of their edits of another firm's profile leaves an
:class:`~marketplace.core.audit.AuditEntry` (via :func:`permissions.audit_on_behalf`). Functions
flush; the caller commits once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from geo.errors import InvalidPostcode, UnknownPostcode
from geo.geocode import geocode_postcode, normalise_postcode
from geo.regions import municipality_at
from marketplace.accounts.mail import send_mail
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.services import (
    Errors,
    add_error,
    add_user,
    find_user_by_email,
    user_problems,
)
from marketplace.core.area import outside_message
from marketplace.core.audit import audit_on_behalf
from marketplace.core.permissions import can_manage_organisation
from marketplace.core.public_ids import by_public_id
from marketplace.core.reference_data import sbi_choices
from marketplace.errors import InvalidInput, NotFound, PermissionDenied
from marketplace.extensions import db

_KVK = re.compile(r"[0-9]{8}")
#: Editable profile fields, in form order.
PROFILE_FIELDS = (
    "name",
    "kvk",
    "sbi_code",
    "address",
    "postcode",
    "city",
    "website",
    "description",
)


@dataclass(frozen=True)
class Location:
    """A normalised postcode with its WGS84 point and municipality (None outside the NL)."""

    postcode: str
    lon: float
    lat: float
    municipality_code: str | None


def locate_postcode(postcode: str, *, errors: Errors, field: str = "postcode") -> Location | None:
    """Normalise and geocode a full Dutch postcode; add a message to ``errors`` if unusable."""
    raw = (postcode or "").strip()
    if not raw:
        add_error(errors, field, _("Enter a postcode."))
        return None
    try:
        normalised = normalise_postcode(raw)
    except InvalidPostcode:
        add_error(
            errors,
            field,
            _(
                "Postcode %(value)s is not a Dutch postcode: use four digits, the first not 0, "
                "and two letters, like 7411 AB (SA, SD and SS are never issued).",
                value=repr(raw),
            ),
        )
        return None
    if len(normalised) != 7:
        add_error(
            errors,
            field,
            _("Postcode %(value)s lacks its two letters; use the form 7411 AB.", value=repr(raw)),
        )
        return None
    try:
        lon, lat = geocode_postcode(normalised)
    except UnknownPostcode:
        add_error(
            errors,
            field,
            _(
                "Postcode %(value)s is not in our postcode table; check it for typing errors.",
                value=repr(normalised),
            ),
        )
        return None
    outside = outside_message(lon, lat)
    if outside is not None:
        add_error(errors, field, outside)
        return None
    municipality = municipality_at(lon, lat)
    return Location(normalised, lon, lat, municipality.code if municipality else None)


def _text(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    return str(value).strip() if value is not None else ""


def _organisation_problems(
    values: Mapping[str, Any],
    *,
    errors: Errors,
    existing: Organisation | None = None,
    kvk_must_be_new: bool = True,
) -> dict[str, Any]:
    """Check organisation fields; return them cleaned (postcode located, blanks as None)."""
    cleaned: dict[str, Any] = {}
    lengths = {"name": 200, "address": 200, "city": 80, "website": 200}
    required = {
        "name": _("Enter the organisation's name."),
        "address": _("Enter the street and number."),
        "city": _("Enter the place."),
    }
    for key in ("name", "address", "city", "website", "description"):
        text = _text(values, key)
        if not text and key in required:
            add_error(errors, key, required[key])
        elif key in lengths and len(text) > lengths[key]:
            add_error(errors, key, _("Use at most %(n)d characters.", n=lengths[key]))
        cleaned[key] = text or None
    if cleaned["website"] and not re.match(r"https?://", cleaned["website"]):
        cleaned["website"] = "https://" + cleaned["website"]

    kvk = re.sub(r"[\s.]", "", _text(values, "kvk"))
    if kvk and not _KVK.fullmatch(kvk):
        add_error(
            errors,
            "kvk",
            _("KvK number %(value)s must be exactly 8 digits.", value=repr(_text(values, "kvk"))),
        )
    elif kvk and kvk_must_be_new:
        query = sa.select(Organisation.id).where(Organisation.kvk == kvk)
        if existing is not None:
            query = query.where(Organisation.id != existing.id)
        if db.session.scalar(query) is not None:
            add_error(
                errors,
                "kvk",
                _(
                    "An organisation with KvK number %(kvk)s is already registered; "
                    "ask one of its members to add you, or contact the regional coordinator.",
                    kvk=kvk,
                ),
            )
    cleaned["kvk"] = kvk or None

    sbi = _text(values, "sbi_code")
    if not sbi:
        add_error(errors, "sbi_code", _("Choose the main activity (SBI code)."))
    elif sbi not in {code for code, _label in sbi_choices([sbi])}:
        add_error(
            errors,
            "sbi_code",
            _("SBI code %(value)s is not an SBI 2008 class or subclass.", value=repr(sbi)),
        )
    cleaned["sbi_code"] = sbi or None

    postcode = _text(values, "postcode")
    if existing is not None and existing.postcode and _same_postcode(postcode, existing.postcode):
        # Keep the stored point: it may be more precise than the PC4 point.
        cleaned["postcode"] = existing.postcode
    else:
        location = locate_postcode(postcode, errors=errors)
        if location is not None:
            cleaned.update(
                postcode=location.postcode,
                lon=location.lon,
                lat=location.lat,
                municipality_code=location.municipality_code,
            )
    return cleaned


def _same_postcode(a: str, b: str) -> bool:
    try:
        return normalise_postcode(a) == normalise_postcode(b)
    except InvalidPostcode:
        return False


def _registration_problems(
    values: Mapping[str, Any],
    *,
    contact_name: str,
    email: str,
    password: str,
    locale: str,
    must_be_new: bool = True,
) -> tuple[dict[str, Any], str]:
    """Check a registration's organisation and first member, every problem at once;
    return the cleaned organisation fields and the normalised address.

    With ``must_be_new=False`` a known address or KvK number is not a problem (the
    caller decides what to do about it without telling the applicant).
    """
    errors: Errors = {}
    cleaned = _organisation_problems(values, errors=errors, kvk_must_be_new=must_be_new)
    normalised = user_problems(
        email=email,
        name=contact_name,
        password=password,
        role="member",
        has_organisation=True,
        locale=locale,
        errors=errors,
        name_field="contact_name",
        email_must_be_new=must_be_new,
    )
    if errors:
        raise InvalidInput(_("The registration could not be completed."), errors)
    return cleaned, normalised


def register_organisation(
    *,
    name: str,
    kvk: str | None,
    sbi_code: str,
    address: str,
    postcode: str,
    city: str,
    contact_name: str,
    email: str,
    password: str,
    locale: str = "nl",
) -> User:
    """Create an organisation with its first member; return that member.

    Every problem with every field is reported at once in one :class:`InvalidInput`,
    with the field names of the registration form (``contact_name`` for the person).
    """
    values = {
        "name": name,
        "kvk": kvk,
        "sbi_code": sbi_code,
        "address": address,
        "postcode": postcode,
        "city": city,
    }
    cleaned, normalised_email = _registration_problems(
        values, contact_name=contact_name, email=email, password=password, locale=locale
    )
    organisation = Organisation(**cleaned)
    db.session.add(organisation)
    return add_user(
        email=normalised_email,
        name=contact_name,
        password=password,
        role="member",
        organisation=organisation,
        locale=locale,
    )


def _site_link(endpoint: str) -> str:
    base_url = current_app.config.get("BASE_URL")
    if base_url:
        # Never from the Host header: a forged Host would put another site in the mail.
        return str(base_url).rstrip("/") + url_for(endpoint)
    return url_for(endpoint, _external=True)


def request_registration(
    *,
    name: str,
    kvk: str | None,
    sbi_code: str,
    address: str,
    postcode: str,
    city: str,
    contact_name: str,
    email: str,
    password: str,
    locale: str = "nl",
) -> User | None:
    """Register like :func:`register_organisation`, without telling who is registered.

    Problems with the fields themselves raise :class:`InvalidInput` as usual. An address
    that already has an account, or a KvK number already registered, is *not* an error
    here: the owner of the address is mailed instead (or the applicant, about the KvK
    number), and the caller answers "check your e-mail" exactly as for a new
    registration, which gets a welcome mail. Returns the new member, or None.
    """
    values = {
        "name": name,
        "kvk": kvk,
        "sbi_code": sbi_code,
        "address": address,
        "postcode": postcode,
        "city": city,
    }
    cleaned, normalised = _registration_problems(
        values,
        contact_name=contact_name,
        email=email,
        password=password,
        locale=locale,
        must_be_new=False,
    )
    owner = find_user_by_email(normalised)
    login_link, reset_link = _site_link("auth.login"), _site_link("auth.forgot_password")
    if owner is not None:
        with force_locale(owner.locale):
            send_mail(
                recipient=owner.email,
                subject=_("Someone tried to register with your address"),
                body=_(
                    "Hello %(name)s,\n\nSomeone (hopefully you) tried to register a new "
                    "organisation on Reststroom with this e-mail address, which already has an "
                    "account. If that was you, log in at %(login)s. Forgot your password? "
                    "Choose a new one at %(reset)s.\n\nIf it was not you, ignore this message; "
                    "nothing was changed.\n",
                    name=owner.name,
                    login=login_link,
                    reset=reset_link,
                ),
            )
        return None
    taken = cleaned["kvk"] and db.session.scalar(
        sa.select(Organisation.id).where(Organisation.kvk == cleaned["kvk"])
    )
    if taken:
        with force_locale(locale):
            send_mail(
                recipient=normalised,
                subject=_("Your registration on Reststroom"),
                body=_(
                    "Hello %(name)s,\n\nAn organisation with KvK number %(kvk)s is already "
                    "registered on Reststroom, so no new account was made. Ask one of its "
                    "members to add you, or contact the regional coordinator.\n",
                    name=contact_name.strip(),
                    kvk=cleaned["kvk"],
                ),
            )
        return None
    user = register_organisation(
        name=name,
        kvk=kvk,
        sbi_code=sbi_code,
        address=address,
        postcode=postcode,
        city=city,
        contact_name=contact_name,
        email=email,
        password=password,
        locale=locale,
    )
    with force_locale(locale):
        send_mail(
            recipient=user.email,
            subject=_("Welcome to Reststroom"),
            body=_(
                "Hello %(name)s,\n\n%(organisation)s is registered on Reststroom. Log in with "
                "this address and the password you chose at %(login)s.\n",
                name=user.name,
                organisation=cleaned["name"],
                login=login_link,
            ),
        )
    return user


def update_organisation(
    organisation: Organisation, *, actor: User, values: Mapping[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Apply profile edits by ``actor``; return the changes as ``{field: (old, new)}``.

    Raises :class:`PermissionDenied` if ``actor`` may not edit this organisation and
    :class:`InvalidInput` listing every problem. An edit by a coordinator or an
    administrator is recorded in the audit trail.
    """
    ensure_can_edit(actor, organisation)
    errors: Errors = {}
    cleaned = _organisation_problems(
        {k: values.get(k) for k in PROFILE_FIELDS}, errors=errors, existing=organisation
    )
    if errors:
        raise InvalidInput(_("The organisation was not saved."), errors)
    changes = {
        key: (getattr(organisation, key), value)
        for key, value in cleaned.items()
        if getattr(organisation, key) != value
    }
    for key, (_old, new) in changes.items():
        setattr(organisation, key, new)
    if changes:
        # Recorded only when a coordinator acts for a firm that is not their own.
        audit_on_behalf(
            actor,
            organisation,
            "organisation.update",
            organisation,
            changes={k: [old, new] for k, (old, new) in changes.items()},
        )
    db.session.flush()
    return changes


def can_view(user: User, organisation: Organisation) -> bool:
    """Whether ``user`` may see the full profile (members list included)."""
    return can_manage_organisation(user, organisation.id)


def can_edit(user: User, organisation: Organisation) -> bool:
    """Whether ``user`` may change the profile."""
    return can_view(user, organisation)


def ensure_can_edit(user: User, organisation: Organisation) -> None:
    if not can_edit(user, organisation):
        raise PermissionDenied(_("Only members of this organisation may change it."))


def get_organisation(key: int | str) -> Organisation:
    """The organisation with database id ``key`` (int, server side) or public id (str)."""
    organisation = (
        by_public_id(Organisation, key)
        if isinstance(key, str)
        else db.session.get(Organisation, key)
    )
    if organisation is None:
        raise NotFound(_("This organisation does not exist."))
    return organisation


def organisation_for(user: User, key: int | str) -> Organisation:
    """Load an organisation ``user`` may see (``key``: its id or, from a URL, its public
    id); raise NotFound or PermissionDenied."""
    organisation = get_organisation(key)
    if not can_view(user, organisation):
        raise PermissionDenied(_("You may only see your own organisation."))
    return organisation


def members_of(organisation: Organisation) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.organisation_id == organisation.id).order_by(User.name)
        )
    )


def all_organisations() -> list[tuple[Organisation, int]]:
    """Every organisation with its number of members, by name (for coordinators)."""
    members = (
        sa.select(User.organisation_id, sa.func.count().label("n"))
        .group_by(User.organisation_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Organisation, sa.func.coalesce(members.c.n, 0))
        .options(selectinload(Organisation.municipality))
        .outerjoin(members, members.c.organisation_id == Organisation.id)
        .order_by(Organisation.name, Organisation.id)
    ).all()
    return [(org, int(n)) for org, n in rows]


def find_organisation(name_or_kvk: str) -> Organisation:
    """Find one organisation by KvK number or by exact name (case-insensitive)."""
    key = (name_or_kvk or "").strip()
    if _KVK.fullmatch(key):
        found: Organisation | None = db.session.scalar(
            sa.select(Organisation).where(Organisation.kvk == key)
        )
        if found is not None:
            return found
    matches: list[Organisation] = list(
        db.session.scalars(
            sa.select(Organisation).where(sa.func.lower(Organisation.name) == key.lower())
        )
    )
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(_("No organisation has the name or KvK number %(value)s.", value=repr(key)))
    raise InvalidInput(
        _(
            "%(n)d organisations are called %(value)s; give the KvK number instead.",
            n=len(matches),
            value=repr(key),
        ),
        {"organisation": [_("Ambiguous organisation name.")]},
    )
