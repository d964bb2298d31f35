"""The page-view beacon: signed contact tokens, origins and CORS, visitors, bots, the anonymous → known merge."""
import json

import pytest
from django.core import signing

from contacts.models import Contact, TouchEvent
from tracking import tokens
from tracking.models import AnonymousPageView, TrackingSite, VisitorIdentity

from .conftest import BROWSER, ORIGIN, VISITOR, beacon, form_post

pytestmark = pytest.mark.django_db


def writes():
    return (TouchEvent.objects.count(), AnonymousPageView.objects.count(), VisitorIdentity.objects.count(),
            list(Contact.objects.order_by("id").values_list("last_touch_at", flat=True)))


def test_a_page_view_with_a_valid_token_is_the_contacts_touch(client, site, contact):
    response = beacon(client, site, rk=tokens.contact_token_make(contact.pk), r="https://search.example/?q=x")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    event = TouchEvent.objects.get()
    assert (event.contact_id, event.kind, event.url, event.detail, event.source, event.flagged_as_bot) == (
        contact.pk, "page_view", f"{ORIGIN}/pricing", "Pricing ← https://search.example/?q=x", "tracking", False)
    contact.refresh_from_db()
    assert (contact.last_touch_kind, contact.last_touch_at) == ("page_view", event.occurred_at)
    assert VisitorIdentity.objects.get().contact_id == contact.pk


def _flip(token, position):
    chars = list(token)
    chars[position] = "A" if chars[position] != "A" else "B"
    return "".join(chars)


@pytest.mark.parametrize("tamper", ["flip_signature", "flip_payload", "flip_timestamp", "truncate", "truncate_more",
                                    "other_payload", "other_salt", "empty_signature", "garbage", "huge"])
def test_a_tampered_token_attributes_nothing_and_writes_nothing(client, site, contact, other_contact, tamper):
    good = tokens.contact_token_make(contact.pk)
    other = tokens.contact_token_make(other_contact.pk)
    payload, stamp, signature = good.split(":")
    bad = {
        "flip_signature": _flip(good, len(good) - 5),
        "flip_payload": _flip(good, 0),
        "flip_timestamp": f"{payload}:{_flip(stamp, 0)}:{signature}",
        "truncate": good[:-1],
        "truncate_more": good[: len(good) // 2],
        # Another contact's id with this token's signature: the signature covers the id.
        "other_payload": f"{other.split(':')[0]}:{stamp}:{signature}",
        "other_salt": signing.TimestampSigner(salt="rekindle.unsubscribe").sign(signing.b62_encode(contact.pk)),
        "empty_signature": f"{payload}:{stamp}:",
        "garbage": "<script>alert(1)</script>",
        "huge": good + "x" * 500,
    }[tamper]
    before = writes()
    response = beacon(client, site, rk=bad)
    assert response.status_code == 400
    assert writes() == before


def test_an_expired_token_is_refused(client, site, contact, monkeypatch, settings):
    token = tokens.contact_token_make(contact.pk)
    real_now = tokens._now()
    monkeypatch.setattr(tokens, "_now", lambda: real_now + settings.TRACKING_TOKEN_MAX_AGE_DAYS * 86400 + 10)
    assert beacon(client, site, rk=token).status_code == 400
    assert TouchEvent.objects.count() == 0


def test_another_contacts_valid_token_attributes_to_that_contact_only(client, site, contact, other_contact):
    assert beacon(client, site, rk=tokens.contact_token_make(other_contact.pk)).status_code == 204
    assert list(TouchEvent.objects.values_list("contact_id", flat=True)) == [other_contact.pk]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://www.example.co.jp", "https://www.example.co.jp:8443",
                                    "null", ""])
def test_a_page_outside_the_allowed_origins_is_refused_without_cors_and_writes_nothing(client, site, contact, origin):
    response = beacon(client, site, origin=origin, rk=tokens.contact_token_make(contact.pk))
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    assert writes()[:3] == (0, 0, 0)


def test_an_unknown_or_inactive_site_key_is_refused(client, site, contact):
    assert beacon(client, site, k="not-a-site-key").status_code == 403
    site.is_active = False
    site.save()
    from tracking import selectors
    selectors.cache_clear()
    assert beacon(client, site).status_code == 403
    assert writes()[:3] == (0, 0, 0)


def test_a_page_url_of_another_origin_is_refused(client, site):
    assert beacon(client, site, u="https://evil.example/x").status_code == 400
    assert writes()[:3] == (0, 0, 0)


def test_preflight_answers_allowed_origins_only(client, site):
    ok = client.options("/t/e", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert ok.status_code == 204 and ok["Access-Control-Allow-Origin"] == ORIGIN
    assert ok["Access-Control-Allow-Methods"] == "POST"
    refused = client.options("/t/e", HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]", json.dumps({"k": 1}), "{" * 10000])
def test_malformed_beacons_are_refused_without_a_write(client, site, body):
    response = client.post("/t/e", body, content_type="text/plain", HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER)
    assert response.status_code in (400, 403)
    assert writes()[:3] == (0, 0, 0)


def test_the_token_is_never_stored_in_urls(client, site, contact):
    token = tokens.contact_token_make(contact.pk)
    beacon(client, site, rk=token, u=f"{ORIGIN}/pricing?a=1&rk={token}", r=f"{ORIGIN}/?rk={token}")
    event = TouchEvent.objects.get()
    assert token not in event.url and token not in event.detail
    assert event.url == f"{ORIGIN}/pricing?a=1"


# -- bots ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("agent", ["Mozilla/5.0 (compatible; Googlebot/2.1)", "HeadlessChrome/120", "",
                                   "python-requests/2.31", "Mozilla/5.0 (compatible; bingbot/2.0)"])
def test_crawler_page_views_are_stored_flagged_and_move_nothing(client, site, contact, agent):
    assert beacon(client, site, agent=agent, rk=tokens.contact_token_make(contact.pk)).status_code == 204
    event = TouchEvent.objects.get()
    assert event.flagged_as_bot is True
    contact.refresh_from_db()
    assert (contact.last_touch_at, contact.last_touch_kind) == (None, "")
    assert contact.touch_summaries.count() == 0


def test_head_is_not_a_page_view(client, site):
    assert client.head("/t/e", HTTP_ORIGIN=ORIGIN).status_code == 405
    assert writes()[:3] == (0, 0, 0)


# -- anonymous → known ---------------------------------------------------------------------------------


def test_anonymous_page_views_are_kept_then_merged_when_a_tokened_visit_names_the_visitor(client, site, contact):
    beacon(client, site, u=f"{ORIGIN}/", t="Home")
    beacon(client, site, u=f"{ORIGIN}/case-studies", t="Case studies")
    beacon(client, site, v="another-visitor-1", u=f"{ORIGIN}/jobs", t="Jobs")
    assert (TouchEvent.objects.count(), AnonymousPageView.objects.count()) == (0, 3)

    beacon(client, site, rk=tokens.contact_token_make(contact.pk), u=f"{ORIGIN}/pricing", t="Pricing")
    urls = sorted(TouchEvent.objects.filter(contact=contact).values_list("url", flat=True))
    assert urls == [f"{ORIGIN}/", f"{ORIGIN}/case-studies", f"{ORIGIN}/pricing"]
    assert list(AnonymousPageView.objects.values_list("visitor_id", flat=True)) == ["another-visitor-1"]

    # Later visits of the same browser without the token still count for the contact.
    beacon(client, site, u=f"{ORIGIN}/contact", t="Contact")
    assert TouchEvent.objects.filter(contact=contact).count() == 4
    assert AnonymousPageView.objects.count() == 1


def test_a_merge_takes_the_named_visitors_on_their_sites_only(client, site, contact, other_contact):
    """Visitor ids are each site's own (a first-party cookie). One batch naming visitor 1 on the site and visitor 2
    on the shop merges those two; visitor 2 on the site and visitor 1 on the shop stay anonymous."""
    from django.utils import timezone

    from tracking.records import identify_record
    from tracking.store import records_store

    shop = TrackingSite.objects.create(name="Shop", allowed_origins=["https://shop.example.com"])
    beacon(client, site, v="visitor-1-abcdef", u=f"{ORIGIN}/a", t="A")
    beacon(client, site, v="visitor-2-abcdef", u=f"{ORIGIN}/b", t="B")
    beacon(client, shop, origin="https://shop.example.com", v="visitor-1-abcdef", u="https://shop.example.com/c")
    beacon(client, shop, origin="https://shop.example.com", v="visitor-2-abcdef", u="https://shop.example.com/d")
    now = timezone.now()
    records_store([identify_record(site_id=site.pk, visitor_id="visitor-1-abcdef", contact_id=contact.pk,
                                   occurred_at=now),
                   identify_record(site_id=shop.pk, visitor_id="visitor-2-abcdef", contact_id=other_contact.pk,
                                   occurred_at=now)], now=now)
    assert sorted(TouchEvent.objects.values_list("contact_id", "url")) == sorted([
        (contact.pk, f"{ORIGIN}/a"), (other_contact.pk, "https://shop.example.com/d")])
    assert sorted(AnonymousPageView.objects.values_list("site_id", "visitor_id", "url")) == sorted([
        (site.pk, "visitor-2-abcdef", f"{ORIGIN}/b"), (shop.pk, "visitor-1-abcdef", "https://shop.example.com/c")])


def test_anonymous_page_views_merge_into_the_contact_a_form_creates(client, site):
    beacon(client, site, u=f"{ORIGIN}/whitepaper", t="Whitepaper")
    assert form_post(client, site, email="New@Example.com", visitor=VISITOR, consent="1").status_code == 204
    contact = Contact.objects.get(email="new@example.com")
    assert sorted(TouchEvent.objects.filter(contact=contact).values_list("kind", flat=True)) == [
        "form_submit", "page_view"]
    assert AnonymousPageView.objects.count() == 0
    assert VisitorIdentity.objects.get(visitor_id=VISITOR).contact_id == contact.pk


def test_a_merge_is_idempotent(client, site, contact):
    from django.utils import timezone

    from tracking.records import identify_record
    from tracking.store import records_store

    beacon(client, site, u=f"{ORIGIN}/a", t="A")
    record = identify_record(site_id=site.pk, visitor_id=VISITOR, contact_id=contact.pk, occurred_at=timezone.now())
    records_store([record], now=timezone.now())
    records_store([record], now=timezone.now())
    assert TouchEvent.objects.filter(contact=contact).count() == 1


def test_old_anonymous_page_views_are_pruned(client, site, settings):
    from datetime import timedelta

    from django.utils import timezone

    from tracking.services import anonymous_views_prune

    beacon(client, site)
    AnonymousPageView.objects.update(occurred_at=timezone.now() - timedelta(days=91))
    beacon(client, site, u=f"{ORIGIN}/new")
    assert anonymous_views_prune(now=timezone.now()) == 1
    assert list(AnonymousPageView.objects.values_list("url", flat=True)) == [f"{ORIGIN}/new"]


# -- the snippet and limits ----------------------------------------------------------------------------------


def test_the_snippet_is_small_cacheable_javascript(client):
    response = client.get("/t.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "max-age" in response["Cache-Control"]
    assert len(response.content) < 6 * 1024
    assert b"/t/e" in response.content and b"_rk" in response.content


def test_the_beacon_is_rate_limited_per_ip(client, site, settings, clean_buffer):
    settings.PUBLIC_BEACON_RATE_PER_MINUTE = 3
    for key in clean_buffer.scan_iter("rk:throttle:tracking-beacon:*"):
        clean_buffer.delete(key)
    codes = [beacon(client, site, u=f"{ORIGIN}/{n}").status_code for n in range(5)]
    assert codes == [204, 204, 204, 429, 429]
    assert AnonymousPageView.objects.count() == 3


def test_the_form_endpoint_is_rate_limited_per_ip(client, site, settings, clean_buffer):
    settings.PUBLIC_FORM_RATE_PER_MINUTE = 1
    for key in clean_buffer.scan_iter("rk:throttle:tracking-form:*"):
        clean_buffer.delete(key)
    assert form_post(client, site, email="a@example.com").status_code == 204
    assert form_post(client, site, email="b@example.com").status_code == 429
    assert not Contact.objects.filter(email="b@example.com").exists()
