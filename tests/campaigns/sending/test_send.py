"""The sending path against a real SMTP server: headers, footer, links, retries, bounces, compliance at claim."""
from datetime import timedelta

import pytest

from campaigns.models import (
    CampaignStatus,
    ContactMailPreference,
    Delivery,
    DeliveryLink,
    DeliveryStatus,
    MessageTemplate,
    SendingSettings,
    SkipReason,
    Suppression,
)
from campaigns.sending import signed_links
from campaigns.sending.materialize import campaign_start
from campaigns.sending.message import message_id_for
from campaigns.sending.public import contact_unsubscribe
from campaigns.sending.send import deliveries_send
from contacts.models import Contact, TouchEvent

from .conftest import WORKDAY, make_broadcast, make_contacts, make_segment, now_fn

BASE = "https://mail.rekindle.example.co.jp"


@pytest.fixture
def started(sender, template, sending_settings):
    """A running broadcast to five opted-in contacts; returns (campaign, contacts)."""
    def start(count=5, **extra):
        contacts = make_contacts(count, prefix=extra.pop("prefix", "c"))
        campaign = make_broadcast(sender=sender, template=extra.pop("template", template),
                                  segment=make_segment(contacts), **extra)
        campaign_start(campaign, now=WORKDAY)
        return campaign, contacts
    return start


def ids_of(campaign):
    return list(Delivery.objects.filter(step__campaign=campaign).order_by("id").values_list("id", flat=True))


def test_every_marketing_message_carries_the_headers_and_the_footer(started, smtp):
    campaign, contacts = started()
    result = deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    assert (result.sent, result.failed, result.retried) == (5, 0, 0)
    assert smtp.sessions == 1  # one SMTP connection for the batch
    for row in Delivery.objects.filter(step__campaign=campaign).select_related("contact"):
        (message,) = smtp.to(row.contact.email)
        assert (row.status, row.sent_at, row.to_email) == (DeliveryStatus.SENT, WORKDAY, row.contact.email)
        assert message["Message-ID"] == row.message_id == message_id_for(row.pk, "rekindle.example.co.jp")
        assert message["List-Unsubscribe"].strip() == (f"<{BASE}/m/u/{row.token}/one-click>, "
                                               f"<mailto:unsubscribe@rekindle.example.co.jp?subject=unsubscribe-"
                                               f"{row.token}>")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["From"].addresses[0].display_name == "Rekindle Demo"
        assert message["Reply-To"] == "support@rekindle.example.co.jp"
        assert message["Subject"] == f"News for {row.contact.first_name}"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        for part in (text, html):
            for detail in ("Rekindle Demo", "株式会社リキンドル", "〒100-0001", "東京都千代田区千代田1-1",
                           "03-1234-5678 / info@rekindle.example.co.jp", f"{BASE}/m/u/{row.token}/"):
                assert detail in part
        assert "To stop receiving these emails, go to the" in text
        # The open pixel is signed: delivery, contact and the sending time, no database read when it loads.
        assert f'<img src="{BASE}{signed_links.open_path(row.pk, row.contact_id, WORKDAY.timestamp())}"' in html


def test_html_links_are_rewritten_and_their_destinations_stored_before_sending(started, smtp):
    campaign, contacts = started(count=1)
    deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    row = Delivery.objects.get(step__campaign=campaign)
    html = smtp.messages[0].get_body(("html",)).get_content()
    assert list(DeliveryLink.objects.filter(delivery=row).order_by("position").values_list("position", "url")) == [
        (1, "https://example.co.jp/pricing?a=1&b=2"), (2, "http://docs.example.com/guide")]
    first, second = (signed_links.click_path(row.pk, row.contact_id, WORKDAY.timestamp(), url)
                     for url in ("https://example.co.jp/pricing?a=1&b=2", "http://docs.example.com/guide"))
    assert html.count(f'href="{BASE}{first}"') == 2 and f'href="{BASE}{second}"' in html
    assert 'href="mailto:sales@example.co.jp"' in html and 'href="#"' in html and "javascript:" not in html
    assert "example.co.jp/pricing" not in html  # only through the click endpoint
    text = smtp.messages[0].get_body(("plain",)).get_content()
    assert "https://example.co.jp/pricing" in text  # the text part keeps its links as written


def test_smtp_421_is_retried_with_backoff_and_then_sent_once(started, smtp):
    campaign, contacts = started()
    smtp.fail(contacts[2].email, 421)
    first = deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    assert (first.sent, first.retried) == (4, 1)
    row = Delivery.objects.get(contact=contacts[2])
    assert (row.status, row.attempts, row.scheduled_at) == (DeliveryStatus.QUEUED, 1, WORKDAY + timedelta(seconds=60))
    assert row.last_error.startswith("421")
    assert smtp.sessions == 2  # 421 closes the channel; the rest of the batch went over a new one
    assert deliveries_send(ids=[row.pk], clock=now_fn(WORKDAY + timedelta(seconds=30))).sent == 0  # not due yet
    second = deliveries_send(ids=[row.pk], clock=now_fn(WORKDAY + timedelta(seconds=61)))
    row.refresh_from_db()
    assert (second.sent, row.status, row.attempts) == (1, DeliveryStatus.SENT, 2)
    assert len(smtp.to(contacts[2].email)) == 1
    assert set(smtp.message_ids().values()) == {1}


def test_a_connection_lost_after_the_message_was_handed_over_is_interrupted_not_resent(started, smtp):
    campaign, contacts = started(count=3)
    smtp.drop(contacts[1].email, at="data")
    result = deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    assert (result.sent, result.interrupted, result.retried) == (2, 1, 0)
    row = Delivery.objects.get(contact=contacts[1])
    assert row.status == DeliveryStatus.UNKNOWN and "may have been delivered" in row.last_error
    assert row.message_id == str(smtp.to(contacts[1].email)[0]["Message-ID"])  # to look up in the server's log
    later = deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY + timedelta(hours=2)))
    assert (later.sent, later.retried) == (0, 0)
    assert len(smtp.to(contacts[1].email)) == 1 and set(smtp.message_ids().values()) == {1}


def test_a_connection_lost_before_the_message_was_handed_over_is_retried(started, smtp):
    campaign, contacts = started(count=3)
    smtp.drop(contacts[1].email, at="rcpt")
    result = deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    assert (result.sent, result.interrupted, result.retried) == (2, 0, 1)
    row = Delivery.objects.get(contact=contacts[1])
    assert row.status == DeliveryStatus.QUEUED and smtp.to(contacts[1].email) == []
    again = deliveries_send(ids=[row.pk], clock=now_fn(row.scheduled_at + timedelta(seconds=1)))
    assert again.sent == 1 and len(smtp.to(contacts[1].email)) == 1


def test_a_temporary_failure_that_persists_ends_failed_after_the_last_attempt(started, smtp):
    campaign, contacts = started(count=1)
    smtp.fail(contacts[0].email, 421, 421, 421, 421)
    moment = WORKDAY
    for attempt in range(1, 4):
        deliveries_send(ids=ids_of(campaign), clock=now_fn(moment))
        row = Delivery.objects.get()
        assert row.attempts == attempt
        moment = row.scheduled_at + timedelta(seconds=1)
    assert (row.status, row.last_error[:3]) == (DeliveryStatus.FAILED, "421")
    assert smtp.messages == []


def test_smtp_550_fails_the_delivery_and_suppresses_the_address(started, smtp, template):
    campaign, contacts = started()
    smtp.fail(contacts[1].email, 550)
    result = deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    assert (result.sent, result.failed) == (4, 1)
    row = Delivery.objects.get(contact=contacts[1])
    assert (row.status, row.reason, row.last_error[:3]) == (DeliveryStatus.FAILED, SkipReason.SMTP_REJECTED, "550")
    assert Suppression.objects.get(email=contacts[1].email).reason == "bounced"
    # The next campaign to that address never reaches SMTP.
    later = make_broadcast(sender=campaign.sender, template=template, segment=campaign.segment, name="Later")
    campaign_start(later, now=WORKDAY)
    deliveries_send(ids=ids_of(later), clock=now_fn(WORKDAY))
    assert Delivery.objects.get(step__campaign=later, contact=contacts[1]).reason == SkipReason.BOUNCED
    assert smtp.to(contacts[1].email) == []


def test_an_unsubscribe_committed_mid_campaign_stops_everything_to_that_contact(started, smtp):
    campaign, contacts = started(count=6)
    ids = ids_of(campaign)
    deliveries_send(ids=ids[:3], clock=now_fn(WORKDAY))
    first = Delivery.objects.get(pk=ids[0])
    target = Delivery.objects.get(pk=ids[4])
    target.status, target.token = DeliveryStatus.SENT, target.token  # a token from an earlier mail to that contact
    assert contact_unsubscribe(delivery=Delivery.objects.get(pk=ids[4]), now=WORKDAY, source="test") is True
    result = deliveries_send(ids=ids[3:], clock=now_fn(WORKDAY))
    assert result.sent == 2
    target.refresh_from_db()
    assert (target.status, target.reason) == (DeliveryStatus.SUPPRESSED, SkipReason.UNSUBSCRIBED)
    assert smtp.to(contacts[4].email) == [] and len(smtp.to(first.contact.email)) == 1


def test_unsubscribed_after_the_claim_check_is_still_caught_by_the_suppression_list(started, smtp):
    campaign, contacts = started(count=2)
    Suppression.objects.create(email=contacts[0].email, reason="unsubscribed")  # e.g. the mailto route
    deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    assert Delivery.objects.get(contact=contacts[0]).reason == SkipReason.UNSUBSCRIBED
    assert [str(m["To"]) for m in smtp.messages] == [contacts[1].email]


def test_frequency_cap_counts_mail_from_every_campaign(started, smtp, template, sender):
    policy = SendingSettings.load()
    policy.frequency_cap_count, policy.frequency_cap_days = 2, 7
    policy.save()
    first, contacts = started(count=3)
    Delivery.objects.update(scheduled_at=WORKDAY - timedelta(days=6))
    deliveries_send(ids=ids_of(first), clock=now_fn(WORKDAY - timedelta(days=6)))
    second = make_broadcast(sender=sender, template=template, segment=make_segment(contacts[:2]), name="Second")
    campaign_start(second, now=WORKDAY - timedelta(days=6))
    Delivery.objects.filter(step__campaign=second).update(scheduled_at=WORKDAY - timedelta(days=6))
    deliveries_send(ids=ids_of(second), clock=now_fn(WORKDAY - timedelta(days=6)))
    third = make_broadcast(sender=sender, template=template, segment=make_segment(contacts), name="Third")
    campaign_start(third, now=WORKDAY)
    deliveries_send(ids=ids_of(third), clock=now_fn(WORKDAY))
    outcome = dict(Delivery.objects.filter(step__campaign=third).values_list("contact_id", "reason"))
    assert outcome == {contacts[0].pk: SkipReason.FREQUENCY_CAP, contacts[1].pk: SkipReason.FREQUENCY_CAP,
                       contacts[2].pk: ""}
    # A week later the window has moved on.
    fourth = make_broadcast(sender=sender, template=template, segment=make_segment(contacts[:1]), name="Fourth")
    campaign_start(fourth, now=WORKDAY + timedelta(days=2))
    deliveries_send(ids=ids_of(fourth), clock=now_fn(WORKDAY + timedelta(days=2)))
    assert Delivery.objects.get(step__campaign=fourth).status == DeliveryStatus.SENT


def test_frequency_cap_holds_for_two_campaigns_claimed_in_one_batch(started, smtp, template, sender):
    policy = SendingSettings.load()
    policy.frequency_cap_count = 1
    policy.save()
    first, contacts = started(count=2)
    second = make_broadcast(sender=sender, template=template, segment=make_segment(contacts), name="Second")
    campaign_start(second, now=WORKDAY)
    result = deliveries_send(ids=ids_of(first) + ids_of(second), clock=now_fn(WORKDAY))
    assert (result.sent, result.skipped["frequency_cap"]) == (2, 2)
    assert len(smtp.messages) == 2 and {str(m["To"]) for m in smtp.messages} == {c.email for c in contacts}


@pytest.mark.parametrize(("moment", "slot"), [
    (WORKDAY + timedelta(hours=11), WORKDAY + timedelta(hours=22)),                  # 21:00 → 08:00 next day
    (WORKDAY.replace(month=5, day=4), WORKDAY.replace(month=5, day=6, hour=23)),     # みどりの日 → 7 May 08:00
    (WORKDAY.replace(month=1, day=1), WORKDAY.replace(month=1, day=1, hour=23)),     # 元日 → 2 Jan 08:00
])
def test_quiet_hours_and_holidays_at_claim_time_put_the_row_back_for_the_next_slot(started, smtp, moment, slot):
    campaign, contacts = started(count=2)
    Delivery.objects.update(scheduled_at=moment - timedelta(minutes=1))
    result = deliveries_send(ids=ids_of(campaign), clock=now_fn(moment))
    assert (result.sent, result.deferred) == (0, 2)
    assert set(Delivery.objects.values_list("status", "scheduled_at", "attempts")) == {(DeliveryStatus.QUEUED, slot, 0)}
    assert smtp.messages == []


def test_consent_is_checked_at_claim_time(started, smtp):
    campaign, contacts = started(count=4)
    Contact.objects.filter(pk=contacts[0].pk).update(consent="none", consent_source="")
    Contact.objects.filter(pk=contacts[1].pk).update(consent="none", consent_source="名刺交換 2025-04")
    Contact.objects.filter(pk=contacts[2].pk).update(consent="opted_out")
    ContactMailPreference.objects.create(contact=contacts[3], paused_until=WORKDAY + timedelta(days=90))
    result = deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    reasons = dict(Delivery.objects.values_list("contact_id", "reason"))
    assert reasons == {contacts[0].pk: SkipReason.NO_CONSENT, contacts[1].pk: "",
                       contacts[2].pk: SkipReason.UNSUBSCRIBED, contacts[3].pk: SkipReason.PAUSED}
    assert result.sent == 1 and [str(m["To"]) for m in smtp.messages] == [contacts[1].email]


def test_a_template_that_fails_to_render_fails_the_delivery_without_retrying(started, smtp):
    broken = MessageTemplate.objects.create(name="Broken", language="en", subject="Hi {{ nope.field }}",
                                            body_text="x")
    campaign, contacts = started(count=1, template=broken)
    result = deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    row = Delivery.objects.get()
    assert (result.failed, row.status, row.reason) == (1, DeliveryStatus.FAILED, SkipReason.RENDER_ERROR)
    assert "nope" in row.last_error and smtp.messages == []


def test_paused_or_cancelled_campaigns_send_nothing(started, smtp):
    campaign, contacts = started(count=2)
    campaign.status = CampaignStatus.PAUSED
    campaign.save()
    assert deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY)).sent == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.QUEUED}
    assert smtp.messages == []


def test_sending_refuses_a_profile_that_lost_its_legal_details_after_start(started, smtp):
    campaign, contacts = started(count=1)
    campaign.sender.inquiry_contact = ""
    campaign.sender.save()
    result = deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    assert result.sent == 0 and smtp.messages == []
    assert Delivery.objects.get().status == DeliveryStatus.QUEUED


def test_sent_mail_gets_the_report_answers_its_facts_already_give(started, smtp, django_capture_on_commit_callbacks):
    """Recording the outcome asks the campaign report's questions for the sent rows (reports.campaign_answers):
    a visit stored before the outcome was recorded is a revisit and a return."""
    campaign, contacts = started()
    TouchEvent.objects.create(contact=contacts[0], kind="page_view", occurred_at=WORKDAY + timedelta(hours=1),
                              fingerprint="visit-before-the-outcome")
    with django_capture_on_commit_callbacks(execute=True):
        deliveries_send(ids=ids_of(campaign), clock=now_fn(WORKDAY))
    answers = {contact_id: (touches, came) for contact_id, touches, came in Delivery.objects.filter(
        step__campaign=campaign).values_list("contact_id", "report_touches", "report_came_back")}
    assert answers == {contact.pk: (16, True) if contact == contacts[0] else (0, False) for contact in contacts}
