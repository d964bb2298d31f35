"""Near-expiry: the expiring_list command and the phase page."""
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from contacts.models import Contact, Contract, ContractStatus
from dormancy.selectors import workspace_today

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 6, 15)


@pytest.fixture
def contracts():
    contact = Contact.objects.create(email="keiyaku@example.jp")
    for external_id, days, status in [("K-before", -1, "active"), ("K-today", 0, "active"), ("K-30", 30, "active"),
                                      ("K-31", 31, "active"), ("K-renewed", 10, "renewed"),
                                      ("K-cancelled", 10, "cancelled"), ("=K-evil", 5, "active")]:
        Contract.objects.create(contact=contact, external_id=external_id, expires_at=AS_OF + timedelta(days=days),
                                status=status)


def test_expiring_list_prints_active_contracts_in_window(contracts, capsys):
    call_command("expiring_list", "--within", "30", "--as-of", "2026-06-15")
    assert capsys.readouterr().out == (
        "K-today,keiyaku@example.jp,2026-06-15\n"
        "'=K-evil,keiyaku@example.jp,2026-06-20\n"
        "K-30,keiyaku@example.jp,2026-07-15\n"
    )


def test_expiring_list_rejects_bad_date(contracts):
    with pytest.raises(CommandError, match="--as-of wants a date as YYYY-MM-DD"):
        call_command("expiring_list", "--within", "30", "--as-of", "15/06/2026")


def test_expiring_page_groups_by_phase(persona_client, marketer):
    today = workspace_today()
    contact = Contact.objects.create(email="phase@example.jp")
    for external_id, days, status in [("P60", 60, "active"), ("P31", 31, "active"), ("N30", 30, "active"),
                                      ("N8", 8, "active"), ("F7", 7, "active"), ("F0", 0, "active"),
                                      ("L1", -1, "lapsed"), ("L7", -7, "active"), ("L8", -8, "lapsed"),
                                      ("R5", 5, ContractStatus.RENEWED), ("X61", 61, "active")]:
        Contract.objects.create(contact=contact, external_id=external_id, expires_at=today + timedelta(days=days),
                                status=status)
    response = persona_client(marketer).get(reverse("segments:expiring"))
    phases = {p["phase"]: [c.external_id for c in p["contracts"]] for p in response.context["phases"]}
    assert phases == {"pre_notice": ["P31", "P60"], "notice": ["N8", "N30"], "final_days": ["F0", "F7"],
                      "lapsed": ["L7", "L1"]}
    narrower = persona_client(marketer).get(reverse("segments:expiring"),
                                            {"pre_notice": 40, "notice": 20, "final_days": 3, "lapsed": 1})
    phases = {p["phase"]: [c.external_id for c in p["contracts"]] for p in narrower.context["phases"]}
    assert phases == {"pre_notice": ["N30", "P31"], "notice": ["F7", "N8"], "final_days": ["F0"], "lapsed": ["L1"]}


def test_expiring_page_bad_offsets_fall_back_to_defaults(persona_client, marketer):
    response = persona_client(marketer).get(reverse("segments:expiring"), {"pre_notice": "7", "notice": "30"})
    assert response.status_code == 200
    assert response.context["offsets"].pre_notice == 60
    assert "The offsets must run pre-notice &gt; notice &gt; final days." in response.content.decode()
