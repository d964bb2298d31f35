"""seed_demo: deterministic for a seed, idempotent, and internally consistent."""
from collections import Counter
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Max, Min, OuterRef, Q, Subquery

from contacts.demo import DEMO_DOMAIN, demo_data_present, demo_data_seed
from contacts.demo.vocab import TITLES
from contacts.models import Company, Contact, ContactTouchSummary, Contract, TouchEvent
from contacts.services import event_fingerprint

pytestmark = pytest.mark.django_db
NOW = datetime(2025, 6, 15, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
SIZE = 200


def snapshot():
    """Everything a seed decides, without database ids."""
    contacts = list(Contact.objects.order_by("email").values_list(
        "email", "last_name", "first_name", "last_name_kana", "title", "status", "lost_reason", "deal_stage",
        "acquired_at", "consent", "consent_source", "company__name", "owner__username", "last_touch_at",
    ))
    return {
        "contacts": contacts,
        "companies": sorted(Company.objects.values_list("name", "industry", "employee_count", "domain")),
        "events": Counter(TouchEvent.objects.values_list("contact__email", "kind", "occurred_at", "flagged_as_bot")),
        "contracts": sorted(Contract.objects.values_list("contact__email", "external_id", "plan", "expires_at",
                                                         "amount", "status")),
        "tags": sorted(Contact.tags.through.objects.values_list("contact__email", "tag__name")),
    }


def demo_remove():
    Contact.objects.all().delete()
    Company.objects.all().delete()


def test_same_seed_gives_the_same_people_companies_touches_and_contracts():
    first_stats = demo_data_seed(contacts=SIZE, seed=7, now=NOW)
    first = snapshot()
    demo_remove()

    second_stats = demo_data_seed(contacts=SIZE, seed=7, now=NOW)

    assert snapshot() == first
    assert (second_stats.contacts, second_stats.events, second_stats.contracts, second_stats.tags) == (
        first_stats.contacts, first_stats.events, first_stats.contracts, first_stats.tags)
    assert first_stats.contacts == SIZE
    assert first_stats.companies == SIZE // 8


def test_executemany_writer_stores_exactly_what_copy_stores():
    demo_data_seed(contacts=SIZE, seed=3, now=NOW)
    copied = snapshot()
    demo_remove()

    demo_data_seed(contacts=SIZE, seed=3, now=NOW, prefer_copy=False)

    assert snapshot() == copied


def test_another_seed_gives_other_people():
    demo_data_seed(contacts=SIZE, seed=1, now=NOW)
    emails = set(Contact.objects.values_list("email", flat=True))
    demo_remove()

    demo_data_seed(contacts=SIZE, seed=2, now=NOW)

    assert len(emails & set(Contact.objects.values_list("email", flat=True))) < SIZE // 2


def test_second_run_finds_the_demo_data_and_adds_nothing():
    out = StringIO()
    call_command("seed_demo", contacts=SIZE, seed=5, stdout=out)
    counts = (Contact.objects.count(), TouchEvent.objects.count(), Contract.objects.count(), Company.objects.count())

    again = StringIO()
    call_command("seed_demo", contacts=SIZE, seed=6, stdout=again)

    assert "demo data created: 25 companies, 200 contacts" in out.getvalue()
    assert again.getvalue().strip() == "demo data already present"
    assert counts[0] == SIZE
    assert (Contact.objects.count(), TouchEvent.objects.count(), Contract.objects.count(),
            Company.objects.count()) == counts
    assert demo_data_present() is True


@pytest.fixture
def seeded():
    return demo_data_seed(contacts=SIZE, seed=11, now=NOW)


def test_seeded_rows_satisfy_every_foreign_key(seeded):
    connection.check_constraints()


def test_emails_live_at_their_company_domain_under_the_demo_domain(seeded):
    pairs = list(Contact.objects.values_list("email", "company__domain"))

    assert len(pairs) == SIZE
    assert all(email.endswith("@" + domain) and domain.endswith("." + DEMO_DOMAIN) for email, domain in pairs)
    assert Contact.objects.values("email").distinct().count() == SIZE


def test_status_story_is_consistent(seeded):
    statuses = Counter(Contact.objects.values_list("status", flat=True))
    decision_titles = {t[0] for t in TITLES if t[1]}

    assert set(statuses) == {"lead", "opportunity", "customer", "former_customer", "lost"}
    assert not Contact.objects.filter(status__in=["lost", "former_customer"], lost_reason="").exists()
    assert not Contact.objects.exclude(status__in=["lost", "former_customer"]).exclude(lost_reason="").exists()
    assert set(Contact.objects.filter(status="lost").values_list("deal_stage", flat=True)) == {"失注"}
    for title, decision_maker in Contact.objects.values_list("title", "is_decision_maker"):
        assert decision_maker == (title.split(" ")[-1] in decision_titles), title
    assert set(Contract.objects.values_list("contact__status", flat=True)) == {"customer", "former_customer"}
    assert set(Contract.objects.filter(status="active").values_list("contact__status", flat=True)) == {"customer"}


def test_consent_carries_its_source_and_time(seeded):
    opted_in = Contact.objects.filter(consent="opt_in")

    assert opted_in.count() > SIZE // 2
    assert not opted_in.filter(Q(consent_source="") | Q(consent_at__isnull=True)).exists()
    assert not Contact.objects.filter(consent="none").exclude(consent_source="", consent_at__isnull=True).exists()


def test_touches_span_two_years_and_the_summary_matches_them(seeded):
    newest = TouchEvent.objects.filter(contact=OuterRef("pk"), flagged_as_bot=False).order_by("-occurred_at")
    mismatched = Contact.objects.annotate(expected=Subquery(newest.values("occurred_at")[:1])).exclude(
        Q(expected__isnull=True, last_touch_at__isnull=True) | Q(last_touch_at=F("expected"))
    )
    span = TouchEvent.objects.aggregate(oldest=Min("occurred_at"), newest=Max("occurred_at"))

    assert mismatched.count() == 0
    assert NOW - timedelta(days=731) <= span["oldest"] < span["newest"] <= NOW
    assert 15 <= seeded.events / SIZE <= 30
    assert TouchEvent.objects.filter(flagged_as_bot=True).exists()
    assert ContactTouchSummary.objects.count() == (
        TouchEvent.objects.filter(flagged_as_bot=False).values("contact", "kind").distinct().count())
    silent = Contact.objects.filter(last_touch_at__lt=NOW - timedelta(days=200)).count()
    recent = Contact.objects.filter(last_touch_at__gte=NOW - timedelta(days=30)).count()
    assert silent > SIZE // 5 and recent > SIZE // 10


def test_fingerprints_are_the_ones_an_import_of_the_same_event_computes(seeded):
    events = TouchEvent.objects.values_list("contact_id", "kind", "occurred_at", "url", "detail", "fingerprint")

    mismatches = [row for row in events if event_fingerprint(
        contact_id=row[0], kind=row[1], occurred_at=row[2], url=row[3], detail=row[4]) != row[5]]

    assert mismatches == []
