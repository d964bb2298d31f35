"""Public endpoints: unsubscribe page and one-click, open pixel, click redirect, provider webhook."""
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import ContactMailPreference, Delivery, SkipReason, Suppression
from campaigns.sending.materialize import campaign_start
from contacts.models import Contact, TouchEvent

from .conftest import BROWSER, SECRET, make_broadcast, make_segment, writes

# -- unsubscribe --------------------------------------------------------------------


def test_unsubscribe_get_shows_the_choices_and_changes_nothing(client, sent):
    before = writes()
    response = client.get(f"/m/u/{sent[0].token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="all"' in page and 'value="pause3"' in page and 'value="pause6"' in page
    assert "c***@example.com" in page and sent[0].contact.email not in page
    assert writes() == before


def test_unsubscribe_post_opts_out_with_evidence_and_drops_queued_mail(client, sent, template, sender):
    later = make_broadcast(sender=sender, template=template, segment=make_segment([sent[0].contact]), name="Later")
    campaign_start(later, now=timezone.now())
    response = client.post(f"/m/u/{sent[0].token}/", {"choice": "all"})
    assert response.status_code == 200 and 'id="result"' in response.content.decode()
    contact = Contact.objects.get(pk=sent[0].contact_id)
    assert (contact.consent, contact.consent_source) == ("opted_out", "unsubscribe page")
    assert contact.consent_at is not None
    assert Suppression.objects.get().email == contact.email
    assert Delivery.objects.get(step__campaign=later).reason == SkipReason.UNSUBSCRIBED
    assert TouchEvent.objects.count() == 0  # an unsubscribe is not interest


def test_pause_for_three_months_keeps_consent_and_stops_mail_until_then(client, sent):
    response = client.post(f"/m/u/{sent[1].token}/", {"choice": "pause3"})
    assert response.status_code == 200
    preference = ContactMailPreference.objects.get(contact=sent[1].contact)
    assert 89 <= (preference.paused_until - timezone.now()).days <= 92
    assert Contact.objects.get(pk=sent[1].contact_id).consent == "opt_in"
    assert Suppression.objects.count() == 0


def test_an_unknown_choice_changes_nothing(client, sent):
    before = writes()
    assert client.post(f"/m/u/{sent[0].token}/", {"choice": "<script>x</script>"}).status_code == 400
    assert writes() == before


def test_one_click_unsubscribes_at_once_and_is_idempotent(client, sent):
    url = f"/m/u/{sent[0].token}/one-click"
    first = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    consent_at = Contact.objects.get(pk=sent[0].contact_id).consent_at
    second = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert (first.status_code, second.status_code) == (200, 200)
    contact = Contact.objects.get(pk=sent[0].contact_id)
    assert (contact.consent, contact.consent_at) == ("opted_out", consent_at)
    assert list(Suppression.objects.values_list("email", "reason")) == [(contact.email, "unsubscribed")]


def test_one_click_get_only_shows_the_page(client, sent):
    before = writes()
    assert client.get(f"/m/u/{sent[0].token}/one-click").status_code == 200
    assert writes() == before


# -- tokens --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/m/u/{bad}/", "/m/u/{bad}/one-click", "/m/o/{bad}.gif", "/m/c/{bad}/1",
])
@pytest.mark.parametrize("bad", ["0" * 32, "{token}x", "{short}", "{token}%00", "..%2F..%2Fadmin"])
def test_unknown_tampered_or_truncated_tokens_get_404_and_write_nothing(client, sent, path, bad):
    token = sent[0].token
    bad = bad.format(token=token, short=token[:12])
    before = writes()
    for method in ("get", "post"):
        response = getattr(client, method)(path.format(bad=bad))
        assert response.status_code in (404, 405)
    assert writes() == before


def test_a_token_of_a_delivery_that_was_never_sent_is_unknown(client, sent, sender, template):
    queued = make_broadcast(sender=sender, template=template, segment=make_segment([sent[0].contact]), name="Q")
    campaign_start(queued, now=timezone.now() + timedelta(days=1))
    token = Delivery.objects.get(step__campaign=queued).token
    assert client.post(f"/m/u/{token}/one-click").status_code == 404
    assert Contact.objects.get(pk=sent[0].contact_id).consent == "opt_in"


# -- opens and clicks -------------------------------------------------------------------


def test_open_pixel_records_an_open_touch_and_flags_scanners(client, sent):
    response = client.get(f"/m/o/{sent[0].token}.gif", HTTP_USER_AGENT=BROWSER)
    assert (response.status_code, response["Content-Type"]) == (200, "image/gif")
    assert response.content.startswith(b"GIF89a")
    client.head(f"/m/o/{sent[1].token}.gif", HTTP_USER_AGENT=BROWSER)
    client.get(f"/m/o/{sent[2].token}.gif", HTTP_USER_AGENT="Mozilla/5.0 (compatible; Barracuda Sentinel)")
    events = {e.contact_id: (e.kind, e.flagged_as_bot, e.source) for e in TouchEvent.objects.all()}
    assert events == {sent[0].contact_id: ("email_open", False, "tracking"),
                      sent[1].contact_id: ("email_open", True, "tracking"),
                      sent[2].contact_id: ("email_open", True, "tracking")}
    assert Contact.objects.get(pk=sent[0].contact_id).last_touch_kind == "email_open"
    assert Contact.objects.get(pk=sent[1].contact_id).last_touch_kind == ""


def test_an_open_within_seconds_of_sending_is_flagged(client, sent):
    Delivery.objects.filter(pk=sent[0].pk).update(sent_at=timezone.now())
    client.get(f"/m/o/{sent[0].token}.gif", HTTP_USER_AGENT=BROWSER)
    assert TouchEvent.objects.get().flagged_as_bot is True


def test_click_redirects_to_the_stored_link_and_records_a_click(client, sent):
    response = client.get(f"/m/c/{sent[0].token}/1", HTTP_USER_AGENT=BROWSER)
    assert (response.status_code, response["Location"]) == (302, "https://example.co.jp/pricing?a=1&b=2")
    event = TouchEvent.objects.get()
    assert (event.kind, event.url, event.flagged_as_bot) == ("email_click", "https://example.co.jp/pricing?a=1&b=2",
                                                              False)
    assert client.get(f"/m/c/{sent[0].token}/2", HTTP_USER_AGENT=BROWSER)["Location"] == "http://docs.example.com/guide"


@pytest.mark.parametrize("suffix", [
    "3", "0", "99999", "1?next=https://evil.example", "1/https://evil.example", "//evil.example",
    "https:evil.example", "%5C%5Cevil.example", "javascript:alert(1)", "1%0d%0aLocation:%20https://evil.example",
])
def test_click_never_sends_a_location_the_message_did_not_contain(client, sent, suffix):
    response = client.get(f"/m/c/{sent[0].token}/{suffix}", HTTP_USER_AGENT=BROWSER)
    location = response.get("Location", "")
    assert location in ("", "https://example.co.jp/pricing?a=1&b=2")
    assert "evil" not in location
    if response.status_code != 302:
        assert response.status_code == 404 and TouchEvent.objects.count() == 0


def test_another_deliverys_token_does_not_reach_this_deliverys_links(client, sent):
    from campaigns.models import DeliveryLink

    DeliveryLink.objects.filter(delivery=sent[1]).delete()
    assert client.get(f"/m/c/{sent[1].token}/1").status_code == 404
    assert TouchEvent.objects.count() == 0


def test_a_stored_link_that_is_not_http_is_never_redirected_to(client, sent):
    from campaigns.models import DeliveryLink

    DeliveryLink.objects.filter(delivery=sent[0], position=1).update(url="javascript:alert(1)")
    DeliveryLink.objects.filter(delivery=sent[0], position=2).update(url="https:evil.example")
    assert client.get(f"/m/c/{sent[0].token}/1").status_code == 404
    assert client.get(f"/m/c/{sent[0].token}/2").status_code == 404


def test_public_pages_escape_what_they_show(client, sent):
    sender = sent[0].step.campaign.sender
    sender.from_name = "<script>alert(1)</script>"
    sender.save()
    page = client.get(f"/m/u/{sent[0].token}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


# -- provider webhook -------------------------------------------------------------------


def signed(body, secret=SECRET):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_webhook(client, payload, signature=None):
    body = json.dumps(payload).encode()
    return client.post("/m/webhook/bounce", body, content_type="application/json",
                       HTTP_X_REKINDLE_SIGNATURE=signed(body) if signature is None else signature)


def test_webhook_suppresses_bounces_and_complaints_when_signed(client, sent):
    events = [{"email": sent[0].contact.email.upper(), "type": "bounce", "bounce_type": "hard"},
              {"email": sent[1].contact.email, "type": "complaint"},
              {"email": sent[2].contact.email, "type": "bounce", "bounce_type": "soft"},
              {"email": "nobody", "type": "bounce"}]
    response = post_webhook(client, events)
    assert (response.status_code, response.json()) == (200, {"applied": 2, "ignored": 2})
    assert dict(Suppression.objects.values_list("email", "reason")) == {sent[0].contact.email: "bounced",
                                                                          sent[1].contact.email: "complained"}
    assert Contact.objects.get(pk=sent[1].contact_id).consent == "opted_out"
    assert Contact.objects.get(pk=sent[0].contact_id).consent == "opt_in"  # a bounce says nothing about consent


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "deadbeef", signed(b"other body"),
                                       signed(b"x", secret="wrong")])
def test_webhook_with_a_bad_signature_is_refused_and_writes_nothing(client, sent, signature):
    response = post_webhook(client, {"email": sent[0].contact.email, "type": "bounce"}, signature=signature)
    assert response.status_code == 403 and Suppression.objects.count() == 0


def test_webhook_is_refused_when_no_secret_is_configured(client, sent, settings):
    settings.MAIL_WEBHOOK_SECRET = ""
    body = json.dumps({"email": sent[0].contact.email, "type": "bounce"}).encode()
    response = client.post("/m/webhook/bounce", body, content_type="application/json",
                           HTTP_X_REKINDLE_SIGNATURE=signed(body, secret=""))
    assert response.status_code == 403 and Suppression.objects.count() == 0


def test_webhook_rejects_oversized_and_malformed_bodies(client, sent):
    big = json.dumps([{"email": "a@example.com", "type": "bounce", "detail": "x" * 70000}]).encode()
    assert client.post("/m/webhook/bounce", big, content_type="application/json",
                       HTTP_X_REKINDLE_SIGNATURE=signed(big)).status_code == 413
    assert post_webhook(client, [{"email": "a@example.com", "type": "bounce"}] * 101).status_code == 400
    assert post_webhook(client, ["not an object"]).status_code == 400
    assert client.get("/m/webhook/bounce").status_code == 405
    assert Suppression.objects.count() == 0
