"""Fixtures for the sending tests: a sender, templates, contacts in a segment snapshot, a broadcast, SMTP."""
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStep,
    ContactMailPreference,
    Delivery,
    DeliveryStatus,
    MessageTemplate,
    SenderProfile,
    StepKind,
    Suppression,
)
from campaigns.sending.materialize import campaign_start
from campaigns.sending.send import deliveries_send
from contacts.models import Contact, TouchEvent
from segments.models import Segment, SegmentMembership

from .smtp import SmtpServer

# Tuesday 2026-06-02 10:00 in Tokyo: an ordinary working morning.
WORKDAY = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)
HTML = ('<html><body><p>Hello {{ contact.first_name }}</p>'
        '<a href="https://example.co.jp/pricing?a=1&amp;b=2">Pricing</a> '
        '<a href="https://example.co.jp/pricing?a=1&amp;b=2">again</a> '
        "<a href='http://docs.example.com/guide'>Guide</a> <a href=\"mailto:sales@example.co.jp\">Mail us</a> "
        '<a href="javascript:alert(1)">x</a></body></html>')


def stub_context(*, contact, contract=None, links=None, now=None, **_ignored):
    """Stands in for campaigns.merge in tests that call the service directly: plain data only."""
    return {"contact": {"first_name": contact.first_name, "last_name": contact.last_name, "email": contact.email},
            "unsubscribe_url": links["unsubscribe_url"], "preferences_url": links["preferences_url"]}


def make_sender():
    return SenderProfile.objects.create(
        name="Main", from_name="Rekindle Demo", from_email="news@rekindle.example.co.jp",
        reply_to="support@rekindle.example.co.jp", organisation="株式会社リキンドル",
        postal_address="〒100-0001\n東京都千代田区千代田1-1",
        inquiry_contact="03-1234-5678 / info@rekindle.example.co.jp",
        unsubscribe_email="unsubscribe@rekindle.example.co.jp")


def make_template():
    return MessageTemplate.objects.create(name="News", language="en", subject="News for {{ contact.first_name }}",
                                          body_text="Hello {{ contact.first_name }}\nhttps://example.co.jp/pricing",
                                          body_html=HTML)


@pytest.fixture
def sender(db):
    return make_sender()


@pytest.fixture
def template(db):
    return make_template()


def make_contacts(count, *, prefix="c", consent="opt_in", **extra):
    contacts = [Contact(email=f"{prefix}{i}@example.com", first_name=f"Name{i}", last_name="Test", consent=consent,
                        consent_source="web form" if consent == "opt_in" else "",
                        consent_at=WORKDAY if consent == "opt_in" else None, **extra) for i in range(count)]
    return Contact.objects.bulk_create(contacts)


def make_segment(contacts, name="Everyone"):
    segment = Segment.objects.create(name=name, definition={"op": "and", "items": []}, refreshed_at=WORKDAY)
    SegmentMembership.objects.bulk_create([SegmentMembership(segment=segment, contact=c, entered_at=WORKDAY)
                                           for c in contacts])
    return segment


def make_broadcast(*, sender, template, segment, name="Broadcast", scheduled_at=None, template_b=None, **extra):
    campaign = Campaign.objects.create(name=name, kind=CampaignKind.BROADCAST, sender=sender, segment=segment,
                                       scheduled_at=scheduled_at, **extra)
    CampaignStep.objects.create(campaign=campaign, position=1, kind=StepKind.EMAIL, template=template,
                                template_b=template_b)
    return campaign


@pytest.fixture
def smtp(settings):
    with SmtpServer() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield server.recorder


@pytest.fixture
def sending_settings(settings):
    settings.PUBLIC_BASE_URL = "https://mail.rekindle.example.co.jp"
    settings.SENDING_RETRY_BASE_SECONDS = 60
    settings.SENDING_MAX_ATTEMPTS = 3
    return settings


def now_fn(moment):
    return lambda: moment


__all__ = ["WORKDAY", "make_broadcast", "make_contacts", "make_segment", "now_fn", "stub_context", "timezone"]


# -- sent mail, for the public endpoints' tests ------------------------------------------------

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
SECRET = "whsec-test-0123456789"


@pytest.fixture
def sent(sender, template, sending_settings):
    """Two deliveries sent a minute ago (through the in-memory backend); returns them."""
    sending_settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sending_settings.MAIL_WEBHOOK_SECRET = SECRET
    contacts = make_contacts(3)
    campaign = make_broadcast(sender=sender, template=template, segment=make_segment(contacts))
    moment = timezone.now() - timedelta(minutes=1)
    campaign_start(campaign, now=moment)
    Delivery.objects.update(scheduled_at=moment)
    policy_off_quiet_hours()
    deliveries_send(ids=list(Delivery.objects.values_list("id", flat=True)), clock=now_fn(moment))
    rows = list(Delivery.objects.select_related("contact").order_by("id"))
    assert all(row.status == DeliveryStatus.SENT for row in rows)
    return rows


def policy_off_quiet_hours():
    from campaigns.models import SendingSettings

    policy = SendingSettings.load()
    policy.quiet_weekends = policy.quiet_holidays = False
    policy.quiet_start = policy.quiet_end = policy.quiet_start.replace(hour=0)
    policy.save()


def writes():
    return (Suppression.objects.count(), TouchEvent.objects.count(), ContactMailPreference.objects.count(),
            list(Contact.objects.order_by("id").values_list("consent", flat=True)))
