"""Fixtures for segment tests: a fixed day, and a random but seeded population."""
import hashlib
import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import translation

from contacts.models import (
    Company,
    ConsentState,
    Contact,
    ContactStatus,
    Contract,
    ContractStatus,
    LostReason,
    Tag,
    TouchEvent,
    TouchKind,
)

TZ = ZoneInfo("Asia/Tokyo")
TODAY = date(2026, 6, 15)
TEXTS = ["", "abc", "ABD", "営業部長", "アルファ", "a%b", "x_y", "bc"]
INDUSTRIES = ["", "IT", "製造", "it"]
URLS = ["", "https://ex.jp/pricing", "https://ex.jp/PRICING/plan", "https://ex.jp/case"]
KINDS = [TouchKind.PAGE_VIEW, TouchKind.EMAIL_CLICK, TouchKind.MEETING]
TAGS = ["vip", "展示会"]
# Consent sources, some recording a business-card exchange (a legal basis with consent "none"), some not.
SOURCES = ["", "web form", "名刺交換 2025-04", "名刺", "Business card, Expo 2025", "BUSINESS CARD", "card_exchange",
           "展示会 名刺交換", "purchased list"]


def at(day, hour=12, minute=0):
    """An aware instant on `day` in Tokyo."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


_counter = iter(range(10**9))


def make_event(contact, kind, occurred_at, *, url="", bot=False):
    n = next(_counter)
    return TouchEvent.objects.create(contact=contact, kind=kind, occurred_at=occurred_at, url=url,
                                     flagged_as_bot=bot, fingerprint=hashlib.sha256(f"e{n}".encode()).hexdigest())


def build_population(seed, size=40, owners=()):
    rng = random.Random(seed)
    companies = [None] + [Company.objects.create(name=f"社{seed}-{i}", industry=rng.choice(INDUSTRIES),
                                                 employee_count=rng.choice([None, 5, 50, 500]))
                          for i in range(4)]
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]

    def some_day(low=-400, high=60):
        return TODAY + timedelta(days=rng.randint(low, high))

    for i in range(size):
        attributes = {}
        if rng.random() < 0.6:
            attributes["product"] = rng.choice(TEXTS)
        contact = Contact.objects.create(
            email=f"p{seed}-{i}@example.jp", first_name=rng.choice(TEXTS), last_name=rng.choice(TEXTS),
            title=rng.choice(TEXTS), is_decision_maker=rng.random() < 0.5,
            status=rng.choice(ContactStatus.values), lost_reason=rng.choice([""] + LostReason.values),
            deal_stage=rng.choice(TEXTS), deal_stage_changed_at=rng.choice([None, some_day(-300, 0)]),
            acquired_at=rng.choice([None, some_day(-900, 0)]), consent=rng.choice(ConsentState.values),
            # Not drawn from rng, so the rest of the seeded population stays what it was.
            consent_source=SOURCES[(seed + i) % len(SOURCES)],
            owner=rng.choice([None, *owners]), company=rng.choice(companies), attributes=attributes,
            last_touch_at=rng.choice([None, at(some_day(-400, 0), rng.choice([0, 9, 23]), rng.choice([0, 59]))]),
        )
        Contact.objects.filter(pk=contact.pk).update(created_at=at(some_day(-900, 0)))
        contact.tags.set(rng.sample(tags, rng.randint(0, 2)))
        for _ in range(rng.randint(0, 5)):
            make_event(contact, rng.choice(KINDS), at(some_day(-90, 0), rng.choice([0, 8, 23]), rng.choice([0, 59])),
                       url=rng.choice(URLS), bot=rng.random() < 0.15)
        for j in range(rng.randint(0, 2)):
            Contract.objects.create(contact=contact, external_id=f"C{seed}-{i}-{j}", expires_at=some_day(-60, 60),
                                    status=rng.choice(ContractStatus.values))


@pytest.fixture
def tz():
    return TZ


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in their English source; the workspace default is Japanese."""
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")
