"""``/api/v1/matches``: a firm's matches (a coordinator's: all), and acting on them.

Every action calls the exchanges slice's service (``accept``, ``decline``,
``record_delivery``, ``complete``, ``post_message``), which checks who may act for which
side and raises 409 (:class:`~marketplace.errors.Conflict`) for a state that moved; a
coordinator acting on behalf of a firm names the ``side``. What a caller sees of a match
(the counterpart, the exact distance) comes from :mod:`marketplace.core.disclosure`
through :func:`marketplace.exchanges.services.match_row`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.api.v1 import bp
from marketplace.api.v1.auth import login_required
from marketplace.api.v1.common import json_object, lang, page_args, paginate_select
from marketplace.api.v1.schemas import DATE, STRING, enum, nullable
from marketplace.api.v1.spec import (
    AUTHENTICATED,
    PAGE_PARAMETERS,
    json_body,
    json_response,
    operation,
    query,
    ref,
)
from marketplace.core.disclosure import actor_name
from marketplace.core.vocabulary import (
    DECLINE_REASONS,
    MATCH_SIDES,
    MATCH_STATUS_GROUPS,
    MATCH_STATUSES,
    UNITS,
)
from marketplace.errors import InvalidInput
from marketplace.exchanges import services as exchanges
from marketplace.exchanges.impact import realised
from marketplace.exchanges.models import Delivery, Match, Message
from marketplace.extensions import db
from marketplace.listings.access import get_visible_listing

TAG = "matches"


def match_json(match: Match) -> dict[str, Any]:
    """A match as the caller may see it (:func:`~marketplace.exchanges.services.match_row`)."""
    row = exchanges.match_row(match, current_user, lang())
    sides = sorted(exchanges.member_sides(current_user, match))
    done = realised(match)
    counterpart = None
    if len(sides) == 1:
        other = row.need if sides == ["offer"] else row.offer
        counterpart = other.organisation_name
    return {
        "id": match.public_id,
        "status": match.status,
        "offer_id": match.offer.public_id,
        "need_id": match.need.public_id,
        "quantity_per_year": match.quantity_per_year,
        "unit": match.unit,
        "road_km": None if row.distance_hidden else match.road_km,
        "road_band": row.road_text,
        "net_co2e_kg": match.net_co2e_kg,
        "realised_net_co2e_kg": done.net_co2e_kg,
        "delivered_quantity": done.quantity,
        "offer_accepted": match.offer_accepted_at is not None,
        "need_accepted": match.need_accepted_at is not None,
        "your_sides": sides,
        "offer_organisation": row.offer.organisation_name,
        "need_organisation": row.need.organisation_name,
        "counterpart_organisation": counterpart,
        "created_at": match.created_at.isoformat(),
        "updated_at": match.updated_at.isoformat(),
    }


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivered_on": delivery.delivered_on.isoformat(),
        "quantity": delivery.quantity,
        "unit": delivery.unit,
        "note": delivery.note,
        "document_number": delivery.document_number,
    }


def message_json(message: Message, match: Match) -> dict[str, Any]:
    """A message; its author is named as the match's history names it (disclosure)."""
    return {
        "side": message.side,
        "author": actor_name(message.user, match=match, viewer=current_user),
        "body": message.body,
        "created_at": message.created_at.isoformat(),
    }


def _side(data: dict[str, Any]) -> str | None:
    side = data.get("side")
    if side is not None and side not in MATCH_SIDES:
        message = _("side must be offer or need.")
        raise InvalidInput(message, {"side": [message]})
    return side  # type: ignore[no-any-return]


def _action_body(*extra: str) -> dict[str, Any]:
    """The body of an action: optional (empty means ``{}``), else a JSON object."""
    if not request.content_length and not request.is_json:
        return {}
    return json_object(allowed=("side", *extra))


def _text(data: dict[str, Any], name: str, *, max_length: int, required: bool = False) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            message = _("This field is required.")
            raise InvalidInput(message, {name: [message]})
        return ""
    if not isinstance(value, str) or "\x00" in value or len(value) > max_length:
        message = _("Give a text of at most %(n)d characters.", n=max_length)
        raise InvalidInput(message, {name: [message]})
    return value


# --- endpoints --------------------------------------------------------------------------------

SIDE_BODY = {
    "type": "object",
    "properties": {
        "side": {**enum(MATCH_SIDES), "description": "Coordinators: the firm acted for"}
    },
    "additionalProperties": False,
}


@operation(
    bp,
    "/matches",
    "GET",
    summary="The caller's matches",
    access=AUTHENTICATED,
    tag=TAG,
    parameters=[
        query(
            "status",
            enum((*MATCH_STATUSES, *MATCH_STATUS_GROUPS)),
            "Only matches in this status, or status group (open, agreed, closed)",
        ),
        query("listing", STRING, "Only matches of this listing (its public id)"),
        *PAGE_PARAMETERS,
    ],
    responses={200: json_response("A page of matches", ref("MatchPage"))},
    errors=(422,),
)
@login_required
def list_matches() -> Any:
    """The matches of the caller's firm's listings (coordinators: all), newest first."""
    page, per_page = page_args()
    status = request.args.get("status") or None
    allowed = (*MATCH_STATUSES, *MATCH_STATUS_GROUPS)
    if status is not None and status not in allowed:
        message = _("status must be one of %(allowed)s.", allowed=", ".join(allowed))
        raise InvalidInput(message, {"status": [message]})
    listing_key = request.args.get("listing")
    listing = get_visible_listing(current_user, listing_key) if listing_key else None
    stmt = exchanges.visible_matches(current_user, status=status, listing=listing)
    return paginate_select(stmt, match_json, page=page, per_page=per_page)


@operation(
    bp,
    "/matches/<pid:public_id>",
    "GET",
    summary="One match",
    access=AUTHENTICATED,
    tag=TAG,
    responses={200: json_response("The match as the caller may see it", ref("Match"))},
)
@login_required
def get_match(public_id: str) -> Any:
    """A match of the caller's firm (coordinators: any)."""
    return match_json(exchanges.get_visible_match(current_user, public_id))


def _side_action(public_id: str, action: Any) -> Any:
    """Run a lifecycle step whose body names at most the ``side``; answer the match."""
    match = exchanges.get_visible_match(current_user, public_id)
    data = _action_body()
    action(current_user, match, side=_side(data))
    db.session.commit()
    return match_json(match)


@operation(
    bp,
    "/matches/<pid:public_id>/accept",
    "POST",
    summary="Accept a proposal",
    access=AUTHENTICATED,
    tag=TAG,
    body=json_body(SIDE_BODY, required=False),
    responses={200: json_response("The match", ref("Match"))},
    errors=(409, 415, 422),
)
@login_required
def accept_match(public_id: str) -> Any:
    """Accept for the caller's firm; when both firms accepted the match is ``agreed``."""
    return _side_action(public_id, exchanges.accept)


DECLINE_BODY = {
    "type": "object",
    "properties": {
        "side": enum(MATCH_SIDES),
        "reason": enum(DECLINE_REASONS),
        "note": nullable({"type": "string", "maxLength": 2000}),
    },
    "additionalProperties": False,
}


@operation(
    bp,
    "/matches/<pid:public_id>/decline",
    "POST",
    summary="Decline a proposal",
    access=AUTHENTICATED,
    tag=TAG,
    body=json_body(DECLINE_BODY, required=False),
    responses={200: json_response("The match", ref("Match"))},
    errors=(409, 415, 422),
)
@login_required
def decline_match(public_id: str) -> Any:
    """Decline for the caller's firm (``reason``, ``note``); the pair is not proposed again."""
    match = exchanges.get_visible_match(current_user, public_id)
    data = _action_body("reason", "note")
    reason = _text(data, "reason", max_length=40)
    note = _text(data, "note", max_length=2000)
    exchanges.decline(current_user, match, side=_side(data), reason=reason, note=note)
    db.session.commit()
    return match_json(match)


DELIVERY_BODY = {
    "type": "object",
    "properties": {
        "side": enum(MATCH_SIDES),
        "delivered_on": DATE,
        "quantity": {"type": "number", "exclusiveMinimum": 0},
        "unit": enum(UNITS),
        "note": nullable({"type": "string", "maxLength": 500}),
        "document_number": nullable({"type": "string", "maxLength": 60}),
    },
    "required": ["delivered_on", "quantity", "unit"],
    "additionalProperties": False,
}


def _delivery_values(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    delivered_on = None
    raw = data.get("delivered_on")
    try:
        delivered_on = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        delivered_on = None
    if delivered_on is None:
        errors["delivered_on"] = [_("Give a date as YYYY-MM-DD.")]
    elif delivered_on > date.today():
        errors["delivered_on"] = [_("A delivery cannot lie in the future.")]
    quantity = data.get("quantity")
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int | float)
        or not (0 < quantity <= 10_000_000)
    ):
        errors["quantity"] = [_("The delivered quantity must be greater than 0.")]
    unit = data.get("unit")
    if unit not in UNITS:
        errors["unit"] = [_("unit must be one of %(allowed)s.", allowed=", ".join(UNITS))]
    texts = {}
    for name, max_length in (("note", 500), ("document_number", 60)):
        try:
            texts[name] = _text(data, name, max_length=max_length)
        except InvalidInput as exc:
            errors.update(exc.errors)
    if errors:
        raise InvalidInput(_("Please correct the marked fields."), errors)
    return {"delivered_on": delivered_on, "quantity": float(quantity), "unit": unit, **texts}


@operation(
    bp,
    "/matches/<pid:public_id>/deliveries",
    "POST",
    summary="Record a delivery",
    access=AUTHENTICATED,
    tag=TAG,
    body=json_body(DELIVERY_BODY),
    responses={201: json_response("The delivery", ref("Delivery"))},
    errors=(409, 415, 422),
)
@login_required
def record_delivery(public_id: str) -> Any:
    """Record a delivery under an agreed or active match (it becomes ``active``)."""
    match = exchanges.get_visible_match(current_user, public_id)
    data = json_object(
        allowed=("side", "delivered_on", "quantity", "unit", "note", "document_number")
    )
    values = _delivery_values(data)
    delivery = exchanges.record_delivery(current_user, match, side=_side(data), **values)
    db.session.commit()
    return delivery_json(delivery), 201


@operation(
    bp,
    "/matches/<pid:public_id>/complete",
    "POST",
    summary="Complete an exchange",
    access=AUTHENTICATED,
    tag=TAG,
    body=json_body(SIDE_BODY, required=False),
    responses={200: json_response("The match", ref("Match"))},
    errors=(409, 415, 422),
)
@login_required
def complete_match(public_id: str) -> Any:
    """Mark an agreed or active exchange completed."""
    return _side_action(public_id, exchanges.complete)


MESSAGE = {
    "type": "object",
    "properties": {
        "side": nullable(enum(MATCH_SIDES)),
        "author": nullable(STRING),
        "body": STRING,
        "created_at": STRING,
    },
    "required": ["side", "author", "body", "created_at"],
}
MESSAGE_LIST = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": MESSAGE}},
    "required": ["items"],
}
MESSAGE_BODY = {
    "type": "object",
    "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 5000}},
    "required": ["body"],
    "additionalProperties": False,
}


@operation(
    bp,
    "/matches/<pid:public_id>/messages",
    "GET",
    summary="The messages of a match",
    access=AUTHENTICATED,
    tag=TAG,
    responses={200: json_response("Oldest first", MESSAGE_LIST)},
)
@login_required
def list_messages(public_id: str) -> Any:
    """The messages the two firms (and coordinators) exchanged on an agreed match."""
    match = exchanges.get_visible_match(current_user, public_id)
    return {"items": [message_json(m, match) for m in exchanges.list_messages(current_user, match)]}


@operation(
    bp,
    "/matches/<pid:public_id>/messages",
    "POST",
    summary="Send a message to the other firm",
    access=AUTHENTICATED,
    tag=TAG,
    body=json_body(MESSAGE_BODY),
    responses={201: json_response("The message", MESSAGE)},
    errors=(409, 415, 422),
)
@login_required
def post_message(public_id: str) -> Any:
    """Post a plain-text message; only once both firms agreed (409 before)."""
    match = exchanges.get_visible_match(current_user, public_id)
    data = json_object(allowed=("body",))
    body = _text(data, "body", max_length=5000, required=True)
    message = exchanges.post_message(current_user, match, body=body)
    db.session.commit()
    return message_json(message, match), 201
