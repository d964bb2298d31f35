"""The consent condition ("can receive marketing mail") is the sender's legal basis, business cards included."""
import pytest

from campaigns.policy import has_legal_basis, legal_basis_q
from contacts.models import Contact
from segments.rules import segment_q, validate_definition

from .conftest import TODAY, TZ

pytestmark = pytest.mark.django_db


def members(can_receive):
    tree = validate_definition({"op": "and", "items": [{"type": "consent", "can_receive_marketing": can_receive}]})
    return set(Contact.objects.filter(segment_q(tree, today=TODAY, tz=TZ)).values_list("pk", flat=True))


@pytest.mark.parametrize(("consent", "source", "expected"), [
    ("opt_in", "web form", True),
    ("opt_in", "", True),
    ("none", "名刺交換 2025-04", True),
    ("none", "名刺", True),
    ("none", "Business card, Expo 2025", True),
    ("none", "BUSINESS CARD", True),
    ("none", "card_exchange", True),
    ("none", "", False),
    ("none", "purchased list", False),
    ("none", "展示会 名刺交換", False),  # the exchange must be what the source starts with
    ("opted_out", "名刺交換 2025-04", False),
    ("opted_out", "web form", False),
])
def test_can_receive_marketing_matches_the_senders_legal_basis(consent, source, expected):
    contact = Contact.objects.create(email="someone@example.jp", consent=consent, consent_source=source)
    assert (contact.pk in members(True), contact.pk in members(False)) == (expected, not expected)
    assert has_legal_basis(contact) is expected
    assert Contact.objects.filter(legal_basis_q(), pk=contact.pk).exists() is expected


def test_a_business_card_contact_is_in_the_segment_the_sender_will_mail():
    card = Contact.objects.create(email="card@example.jp", consent="none", consent_source="名刺交換 2025-04")
    opted_in = Contact.objects.create(email="in@example.jp", consent="opt_in", consent_source="web form")
    Contact.objects.create(email="none@example.jp", consent="none")
    assert members(True) == {card.pk, opted_in.pk} == set(Contact.objects.filter(legal_basis_q())
                                                           .values_list("pk", flat=True))
