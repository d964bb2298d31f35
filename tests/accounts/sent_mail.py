"""A real send (materialise, claim, render, the locmem mail backend) and a rescue timeline, for tests that need
the public links exactly as recipients get them: the access tests and the security tests."""
import re
from datetime import UTC, date, datetime, timedelta

from django.core import mail
from django.utils import timezone

from campaigns.flows import services as flows
from campaigns.flows.run import flows_run
from campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStep,
    Delivery,
    DeliveryStatus,
    MessageTemplate,
    PlaybookTimeline,
    RescueOptionKind,
    SenderProfile,
    SendingSettings,
    StepKind,
)
from campaigns.sending.materialize import campaign_start
from campaigns.sending.send import deliveries_send
from contacts.models import Contact, Contract
from segments.models import Segment, SegmentMembership

PUBLIC_BASE_URL = "https://mail.rekindle.example.co.jp"
HTML = ('<html><body><p>Hello {{ contact.first_name }}</p>'
        '<a href="https://example.co.jp/pricing">Pricing</a></body></html>')
LINK_RE = re.compile(r"https://mail\.rekindle\.example\.co\.jp/[^\s\"'<>]+")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 10:00 in Tokyo


def sender_complete():
    return SenderProfile.objects.create(
        name="Sec", from_name="Rekindle", from_email="news@rekindle.example.co.jp", organisation="株式会社リキンドル",
        postal_address="東京都千代田区千代田1-1", inquiry_contact="03-1234-5678",
        unsubscribe_email="unsubscribe@rekindle.example.co.jp")


def broadcast_send(settings, count=2, prefix="sec"):
    """Send a broadcast to `count` opted-in contacts now; returns (deliveries, sent messages)."""
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    moment = timezone.now() - timedelta(minutes=1)
    contacts = Contact.objects.bulk_create([
        Contact(email=f"{prefix}{i}@example.com", first_name=f"Name{i}", last_name="Test", consent="opt_in",
                consent_source="web form", consent_at=moment) for i in range(count)])
    segment = Segment.objects.create(name=f"{prefix} all", definition={"op": "and", "items": []}, refreshed_at=moment)
    SegmentMembership.objects.bulk_create([SegmentMembership(segment=segment, contact=c, entered_at=moment)
                                           for c in contacts])
    template = MessageTemplate.objects.create(name=f"{prefix} news", language="en", subject="News",
                                              body_text="Hello\nhttps://example.co.jp/pricing", body_html=HTML)
    campaign = Campaign.objects.create(name=f"{prefix} broadcast", kind=CampaignKind.BROADCAST,
                                       sender=sender_complete(), segment=segment)
    CampaignStep.objects.create(campaign=campaign, position=1, kind=StepKind.EMAIL, template=template)
    policy = SendingSettings.load()
    policy.quiet_weekends = policy.quiet_holidays = False
    policy.quiet_start = policy.quiet_end = policy.quiet_start.replace(hour=0)
    policy.save()
    campaign_start(campaign, now=moment)
    Delivery.objects.filter(step__campaign=campaign).update(scheduled_at=moment)
    outbox_before = len(mail.outbox)
    deliveries_send(ids=list(Delivery.objects.filter(step__campaign=campaign).values_list("id", flat=True)),
                    clock=lambda: moment)
    rows = list(Delivery.objects.filter(step__campaign=campaign).select_related("contact").order_by("id"))
    assert [row.status for row in rows] == [DeliveryStatus.SENT] * count
    return rows, mail.outbox[outbox_before:]


def message_links(message):
    """Every public link in a sent message: text and HTML bodies and the List-Unsubscribe header."""
    parts = [message.body, message.extra_headers.get("List-Unsubscribe", "")]
    parts += [body for body, _kind in getattr(message, "alternatives", [])]
    return sorted({link.rstrip(">") for part in parts for link in LINK_RE.findall(part)})


def rescue_timeline(owner=None):
    """A playbook enrolled on one lapsing contract: its timeline carries the rescue-options page's token."""
    template = MessageTemplate.objects.create(name="Sec rescue", subject="Renewal", body_text="Hi")
    contact = Contact.objects.create(email="sec-rescue@example.jp", last_name="山田", owner=owner, consent="opt_in")
    Contract.objects.create(contact=contact, external_id="SEC1", plan="Standard", expires_at=date(2026, 4, 1))
    campaign = flows.playbook_save(
        name="Sec rescue", sender=sender_complete(), segment=None, all_active_contracts=True, lapse_text="レポート",
        deadline_rule="before_lapse", deadline_days=1, holdout_percent=0,
        phases=[{"kind": StepKind.EMAIL, "phase": "notice", "offset_days": -30, "template": template}],
        options=[{"kind": RescueOptionKind.RENEW, "label": "Renew", "description": ""},
                 {"kind": RescueOptionKind.REDUCED, "label": "Smaller plan", "description": ""}])
    flows.flow_start(campaign=campaign, now=T0)
    flows_run(now=T0)
    return PlaybookTimeline.objects.select_related("contract", "campaign").get(campaign=campaign)
