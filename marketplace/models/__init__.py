"""ORM models, one module per aggregate. Import from here."""

from marketplace.models.audit import AuditEntry
from marketplace.models.engine_run import EngineRun
from marketplace.models.listing import Listing, ListingAcceptedCode
from marketplace.models.match import Delivery, Match
from marketplace.models.organisation import Organisation
from marketplace.models.outbox import OutboxMessage
from marketplace.models.reference import EWCCode, Municipality, Postcode4, SBICode
from marketplace.models.user import User

__all__ = [
    "AuditEntry",
    "Delivery",
    "EWCCode",
    "EngineRun",
    "Listing",
    "ListingAcceptedCode",
    "Match",
    "Municipality",
    "Organisation",
    "OutboxMessage",
    "Postcode4",
    "SBICode",
    "User",
]
