"""Who may get marketing mail at all: the one definition of a recorded legal basis.

Japan's Act on Specified Electronic Mail (art. 3) allows marketing mail to a
contact that opted in (`consent == opt_in`, with source and time as
evidence), or — the one exception Rekindle accepts — that handed over its
address in writing on a business card: `consent == none` with a
`consent_source` that starts with one of BUSINESS_CARD_SOURCES ("名刺交換
2025-04", "Business card, Expo 2025"), the source being the evidence. An
opted-out contact never qualifies, whatever its source says.

The sender (campaigns.policy) and the segment condition "can receive
marketing mail" (segments.rules) both use this, so a segment never promises
contacts the sender would then refuse, or the other way round.
"""
from django.db.models import Q

from .models import ConsentState

# Lower-cased prefixes of a consent source that records a business-card exchange.
BUSINESS_CARD_SOURCES = ("名刺交換", "名刺", "business card", "card exchange", "card_exchange")


def legal_basis_q(prefix=""):
    """Q on Contact (or on a relation through `prefix`, e.g. "contact__") for a recorded legal basis."""
    card = Q()
    for source in BUSINESS_CARD_SOURCES:
        card |= Q(**{f"{prefix}consent_source__istartswith": source})
    return Q(**{f"{prefix}consent": ConsentState.OPT_IN}) | (Q(**{f"{prefix}consent": ConsentState.NONE}) & card)


def has_legal_basis(contact):
    """The Python twin of legal_basis_q for one loaded contact (the same answer, case-insensitive prefix)."""
    if contact.consent == ConsentState.OPT_IN:
        return True
    source = (contact.consent_source or "").lower()
    return contact.consent == ConsentState.NONE and source.startswith(BUSINESS_CARD_SOURCES)
