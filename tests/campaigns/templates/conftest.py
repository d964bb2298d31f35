"""Fixtures for the template library tests: English pages, a contact with everything merge fields read."""
import hashlib
from datetime import UTC, date, datetime
from itertools import count

import pytest
from django.utils import translation

from accounts.models import RepProfile
from campaigns.services_templates import starter_templates_ensure
from contacts.models import Company, Contact, Contract, ContractStatus, TouchEvent, TouchKind

NOW = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)  # 12:00 on 2026-07-01 in Tokyo
_serial = count()


@pytest.fixture(autouse=True)
def english(client):
    """Pages and messages in English: in this thread and in the pages the client requests."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def starters(db):
    """The starter library (the migration loads it; transactional tests flush it)."""
    starter_templates_ensure()


def make_event(contact, kind, occurred_at, *, bot=False):
    return TouchEvent.objects.create(
        contact=contact, kind=kind, occurred_at=occurred_at, flagged_as_bot=bot,
        fingerprint=hashlib.sha256(f"tpl-{next(_serial)}".encode()).hexdigest(),
    )


@pytest.fixture
def rich_contact(rep):
    """A lost deal owned by `rep` (with a profile), at a company, with touches, a meeting and a contract."""
    RepProfile.objects.create(user=rep, signature="佐藤 太郎\n営業部\nrep1@example.com",
                              scheduling_url="https://cal.example.com/sato")
    company = Company.objects.create(name="株式会社テスト工業")
    contact = Contact.objects.create(email="hanako@test-kogyo.example", last_name="山本", first_name="花子",
                                     title="総務部長", company=company, owner=rep, status="lost")
    make_event(contact, TouchKind.MEETING, datetime(2025, 12, 24, 16, 0, tzinfo=UTC))  # 25 Dec in Tokyo
    make_event(contact, TouchKind.MEETING, datetime(2026, 1, 20, 1, 0, tzinfo=UTC), bot=True)
    Contact.objects.filter(pk=contact.pk).update(last_touch_at=datetime(2026, 1, 10, 15, 30, tzinfo=UTC),
                                                 last_touch_kind=TouchKind.EMAIL_CLICK)
    contract = Contract.objects.create(contact=contact, external_id="C-100", plan="プロプラン",
                                       expires_at=date(2026, 7, 31), status=ContractStatus.ACTIVE)
    contact.refresh_from_db()
    return contact, contract
