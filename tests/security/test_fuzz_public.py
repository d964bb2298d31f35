"""Hostile input on every public endpoint: no 5xx, a clear 4xx, and nothing written when a request is refused.

The endpoints are the ones anybody can reach: the mail open pixel and click redirect (signed /m/p/, /m/r/ and
stored-token /m/o/, /m/c/ forms), unsubscribe and its RFC 8058 one-click POST, the rescue options page, the
website beacon /t/e and form endpoint /t/f, and the provider webhook. Hypothesis generates paths, tokens and
bodies (bounded and derandomized); hand-picked cases cover what generators rarely hit: deeply nested JSON, NUL
bytes, non-UTF-8, huge bodies and headers, wrong methods and content types, an odd Content-Length.
"""
import hashlib
import hmac
import json
from datetime import date
from urllib.parse import quote

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaigns import rescue
from campaigns.models import (
    ContactMailPreference,
    ContactTopicOptOut,
    Delivery,
    PlaybookTimeline,
    RescueChoice,
    Suppression,
)
from campaigns.sending import signed_links
from contacts.models import Contact, TouchEvent
from tests.campaigns.flows.conftest import T0, contract, playbook, run
from tests.campaigns.sending.conftest import (  # noqa: F401 (fixtures: sent mail with real tokens)
    BROWSER,
    SECRET,
    sender,
    sending_settings,
    sent,
    template,
)
from tracking import buffer, selectors
from tracking.models import AnonymousPageView, TrackingSite, VisitorIdentity

pytestmark = pytest.mark.django_db
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
ORIGIN = "https://www.example.co.jp"
BUFFER_KEYS = (buffer.QUEUE, buffer.INFLIGHT, buffer.DEAD)
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
NESTED = ("[" * 50_000, '{"a":' * 20_000 + "1" + "}" * 20_000, "[" * 5_000 + "]" * 5_000)
BAD_BODIES = (b"", b"\x00" * 64, b"\xff\xfe\xfd not utf-8", b"{", b'{"k": "\xff"}', b"null", b"[]", b'"text"',
              b"1e999999", b"{" + b'"a":1,' * 2000 + b'"a":1}', b"x" * (2 * 1024 * 1024),
              *(text.encode() for text in NESTED))
HEADERS = ({}, {"HTTP_USER_AGENT": "A" * 100_000}, {"HTTP_REFERER": "https://x.example/" + "r" * 100_000},
           {"HTTP_USER_AGENT": "bad\x00agent\x7f"}, {"HTTP_ORIGIN": "null"}, {"HTTP_ORIGIN": "\x00" * 10},
           {"HTTP_ORIGIN": ORIGIN * 1000}, {"CONTENT_LENGTH": "-5"}, {"CONTENT_LENGTH": "99999999999999999999"})
# Not here: a Content-Length that is not a number. Django's own request.body fails on it (500), and gunicorn
# refuses such a request with 400 before Django sees it.
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data; boundary=zz", "multipart/form-data",
              "application/json", "text/plain")


def encode_path(raw):
    """Raw bytes as a path segment, every byte percent-encoded (so NULs, slashes and non-UTF-8 arrive as such)."""
    return quote(raw, safe="")


def call(client, method, path, body=b"", content_type="application/octet-stream", **headers):
    headers.setdefault("HTTP_USER_AGENT", BROWSER)
    return client.generic(method, path, body, content_type=content_type, **headers)


def assert_refused_without_writes(response, before, after, allowed=(400, 403, 404, 405, 413)):
    assert response.status_code in allowed, (response.status_code, response.content[:300])
    assert after == before


# -- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english(settings, client):
    """Messages are asserted in English; the beacon runs ahead of the locale middleware (default language)."""
    settings.LANGUAGE_CODE = "en"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def redis_client():
    """This test's view of the tracking buffer, emptied before and after."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    keys = (*BUFFER_KEYS, buffer.LOCK, buffer.BELL)
    client.delete(*keys)
    selectors.cache_clear()
    yield client
    client.delete(*keys)
    selectors.cache_clear()
    client.close()


@pytest.fixture
def site(db):
    return TrackingSite.objects.create(name="Corporate site", allowed_origins=[ORIGIN])


@pytest.fixture
def rescue_path(sender, template, monkeypatch):  # noqa: F811
    """The options page of a contract lapsing 2026-04-01, seen on T0 (the choice is still open)."""
    contact = Contact.objects.create(email="rescue@example.jp", last_name="山田", consent="opt_in")
    contract(contact, date(2026, 4, 1))
    playbook(sender, template)
    run(now=T0)
    monkeypatch.setattr("campaigns.views_rescue.timezone.now", lambda: T0)
    return f"/r/{rescue.rescue_token(PlaybookTimeline.objects.get())}/"


@pytest.fixture
def snapshot(redis_client):
    """snapshot() -> everything a public request may write: rows (with the facts that matter) and the buffer."""

    def take():
        return {
            "touches": TouchEvent.objects.count(),
            "page_views": AnonymousPageView.objects.count(),
            "visitors": VisitorIdentity.objects.count(),
            "contacts": list(Contact.objects.order_by("id").values_list("id", "email", "consent", "consent_source")),
            "suppressions": Suppression.objects.count(),
            "preferences": ContactMailPreference.objects.count(),
            "topic_opt_outs": ContactTopicOptOut.objects.count(),
            "deliveries": list(Delivery.objects.order_by("id").values_list("id", "status", "reason")),
            "rescue_choices": RescueChoice.objects.count(),
            "buffer": [redis_client.llen(key) for key in BUFFER_KEYS],
        }

    return take


# -- mail links: pixel, click, unsubscribe, one-click; rescue options ---------------------------------------

LINK_PATHS = ("/m/p/{t}.gif", "/m/r/{t}/{u}", "/m/o/{t}.gif", "/m/c/{t}/{n}", "/m/u/{t}/", "/m/u/{t}/one-click",
              "/r/{t}/")


@FUZZ
@given(token=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
       target=st.binary(max_size=40), position=st.integers(min_value=-10, max_value=10**30),
       method=st.sampled_from(METHODS))
def test_made_up_mail_and_rescue_links_are_refused_and_write_nothing(client, sent, snapshot, token, target, position,  # noqa: F811
                                                                     method):
    before = snapshot()
    for pattern in LINK_PATHS:
        path = pattern.format(t=encode_path(token), u=encode_path(target), n=position)
        response = call(client, method, path, b"choice=all&option=1", "application/x-www-form-urlencoded")
        assert response.status_code in (400, 404, 405), (path, response.status_code)
    assert snapshot() == before


def _tampered(text):
    """Variants of a real key or token: one character changed, cut short, lengthened, with a NUL or a slash."""
    flipped = text[:-1] + ("A" if text[-1] != "A" else "B")
    return (flipped, text[:-1], text[: len(text) // 2], text + "A", text + "%00", text.upper(), text + "%2F..%2F",
            "%00" + text[1:], text[:8] + "%FF" + text[9:])


def test_tampered_real_links_are_404_and_write_nothing(client, sent, snapshot, rescue_path):  # noqa: F811
    delivery = sent[0]
    key = signed_links.open_path(delivery.id, delivery.contact_id, 1_780_000_000)[len("/m/p/"):-len(".gif")]
    click = signed_links.click_path(delivery.id, delivery.contact_id, 1_780_000_000, "https://example.co.jp/pricing")
    click_key, target = click[len("/m/r/"):].split("/")
    rescue_token = rescue_path[len("/r/"):-1]
    before = snapshot()
    paths = [
        *(f"/m/p/{bad}.gif" for bad in _tampered(key)),
        *(f"/m/r/{bad}/{target}" for bad in _tampered(click_key)),
        # The MAC covers the destination: another URL, bad base64, a target that decodes to non-UTF-8 or NULs.
        *(f"/m/r/{click_key}/{bad}" for bad in (*_tampered(target), "aHR0cHM6Ly9ldmlsLmV4YW1wbGU", "_w", "AAAA",
                                                 "!!!!", "A" * 1401)),
        *(f"/m/o/{bad}.gif" for bad in _tampered(delivery.token)),
        *(f"/m/c/{delivery.token}/{bad}" for bad in ("99999", "-1", "1.5", "x", "0" * 6, "%00")),
        *(f"/m/u/{bad}/" for bad in _tampered(delivery.token)),
        *(f"/r/{bad}/" for bad in _tampered(rescue_token)),
    ]
    for path in paths:
        for method in ("GET", "POST"):
            response = call(client, method, path, b"choice=all", "application/x-www-form-urlencoded")
            assert_refused_without_writes(response, before, snapshot())


def test_a_refused_link_says_so_in_words_a_person_understands(client, sent, rescue_path):  # noqa: F811
    for path in (f"/m/u/{'x' * 20}/", f"/m/u/{sent[0].token}A/", "/r/not-a-real-link/", rescue_path[:-3] + "/"):
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404
        page = response.content.decode()
        assert response["Content-Type"].startswith("text/html")
        assert "This link is not valid" in page and "open it again from the email" in page


def test_wrong_methods_on_real_links_are_405_and_write_nothing(client, sent, snapshot, rescue_path):  # noqa: F811
    delivery = sent[0]
    open_path = signed_links.open_path(delivery.id, delivery.contact_id, 1_780_000_000)
    before = snapshot()
    for path, methods in ((open_path, ("POST", "PUT", "DELETE", "PATCH")),
                          (f"/m/o/{delivery.token}.gif", ("POST", "PUT", "DELETE")),
                          (f"/m/u/{delivery.token}/", ("PUT", "DELETE", "PATCH")),
                          (f"/m/u/{delivery.token}/one-click", ("PUT", "DELETE")),
                          (rescue_path, ("PUT", "DELETE", "PATCH")),
                          ("/m/webhook/bounce", ("GET", "PUT")), ("/t/e", ("GET", "PUT", "DELETE")),
                          ("/t/f", ("GET", "PUT"))):
        for method in methods:
            response = call(client, method, path)
            assert_refused_without_writes(response, before, snapshot(), allowed=(405,))


@FUZZ
@given(fields=st.lists(st.tuples(st.sampled_from(["choice", "shown", "topic", "x"]),
                                 st.text(max_size=40) | st.sampled_from(["all", "pause3", "pause6", "topics"])),
                       max_size=8))
def test_unsubscribe_form_with_anything_in_it_never_fails(client, sent, snapshot, fields):  # noqa: F811
    """A real token and a forged form: a valid choice applies (200), anything else is a 400 that writes nothing."""
    before = snapshot()
    body = "&".join(f"{quote(name)}={quote(value)}" for name, value in fields)
    response = call(client, "POST", f"/m/u/{sent[1].token}/", body.encode(), "application/x-www-form-urlencoded")
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert snapshot() == before
        assert "Choose one of the options." in response.content.decode()


def test_unsubscribe_and_rescue_with_garbage_bodies_are_400_and_write_nothing(client, sent, snapshot, rescue_path):  # noqa: F811
    before = snapshot()
    for body in BAD_BODIES:
        for content_type in FORM_TYPES[:3]:
            for path in (f"/m/u/{sent[1].token}/", rescue_path):
                response = call(client, "POST", path, body, content_type)
                assert_refused_without_writes(response, before, snapshot(), allowed=(400,))


@FUZZ
@given(option=st.text(max_size=50) | st.integers(min_value=-(10**40), max_value=10**40).map(str))
def test_rescue_choice_with_any_option_value_never_fails(client, snapshot, rescue_path, option):
    before = snapshot()
    response = call(client, "POST", rescue_path, f"option={quote(option)}".encode(),
                    "application/x-www-form-urlencoded")
    if option.strip() in ("1", "2", "3"):  # a real option: chosen once, then the page
        assert response.status_code == 302
    else:
        assert_refused_without_writes(response, before, snapshot(), allowed=(400,))
        assert "Please choose one of the options." in response.content.decode()


# -- website: page-view beacon and form endpoint -------------------------------------------------------------


def beacon(site, **fields):
    return {"k": site.key, "u": f"{ORIGIN}/pricing", "t": "Pricing", "r": "", "v": "v1234567890abcdef", **fields}


@FUZZ
@given(payload=JSON, content_type=st.sampled_from(["text/plain", "application/json", "multipart/form-data", ""]))
def test_beacon_with_any_json_is_refused_and_writes_nothing(client, site, snapshot, payload, content_type):
    """Generated JSON lacks the site key: 400 or 403, nothing buffered or stored."""
    before = snapshot()
    response = call(client, "POST", "/t/e", json.dumps(payload).encode(), content_type, HTTP_ORIGIN=ORIGIN)
    assert_refused_without_writes(response, before, snapshot(), allowed=(400, 403))


@FUZZ
@given(overrides=st.dictionaries(st.sampled_from(["k", "u", "t", "r", "rk", "v"]), JSON, max_size=6))
def test_beacon_with_odd_field_values_never_fails(client, site, snapshot, overrides):
    """The site key is right, the rest is anything: 204 (stored) or a 4xx that writes nothing."""
    before = snapshot()
    response = call(client, "POST", "/t/e", json.dumps(beacon(site, **overrides)).encode(), "text/plain",
                    HTTP_ORIGIN=ORIGIN)
    if response.status_code != 204:
        assert_refused_without_writes(response, before, snapshot())


def test_beacon_with_garbage_bodies_is_400_and_writes_nothing(client, site, snapshot):
    before = snapshot()
    for body in BAD_BODIES:
        response = call(client, "POST", "/t/e", body, "text/plain", HTTP_ORIGIN=ORIGIN)
        assert_refused_without_writes(response, before, snapshot(), allowed=(400,))
        assert response.json()["errors"][0]["message"] == "Send one page view as a JSON object."


def test_beacon_with_hostile_headers_never_fails(client, site, snapshot):
    for headers in HEADERS:
        before = snapshot()
        response = call(client, "POST", "/t/e", json.dumps(beacon(site)).encode(), "text/plain",
                        **{"HTTP_ORIGIN": ORIGIN, **headers})
        if response.status_code != 204:
            assert_refused_without_writes(response, before, snapshot())


def test_beacon_text_with_nul_bytes_is_stored_without_them(client, site, snapshot):
    """PostgreSQL refuses NUL in text: a NUL from the page must not poison the buffer (or fail the request)."""
    body = json.dumps(beacon(site, t="Pri\x00cing", r=f"{ORIGIN}/\x00", u=f"{ORIGIN}/pri\x00cing"))
    response = call(client, "POST", "/t/e", body.encode(), "text/plain", HTTP_ORIGIN=ORIGIN,
                    HTTP_USER_AGENT=BROWSER + "\x00")
    assert response.status_code == 204
    view = AnonymousPageView.objects.get()
    assert "\x00" not in view.title + view.url + view.referrer + view.user_agent
    assert view.title == "Pricing"


def form_body(site, **fields):
    return {"site": site.key, "email": "new@example.com", "form": "Whitepaper"} | fields


@FUZZ
@given(overrides=st.dictionaries(st.sampled_from(["site", "email", "form", "consent", "consent_text", "kind", "visitor",
                                                  "next", "page", "fields", "x"]), JSON, max_size=6))
def test_json_form_with_odd_field_values_never_fails(client, site, snapshot, overrides):
    before = snapshot()
    response = call(client, "POST", "/t/f", json.dumps(form_body(site) | overrides).encode(), "application/json",
                    HTTP_ORIGIN=ORIGIN)
    if response.status_code not in (204, 303):
        assert_refused_without_writes(response, before, snapshot())


@FUZZ
@given(pairs=st.lists(st.tuples(st.text(max_size=20), st.text(max_size=60)), max_size=12),
       email=st.sampled_from(["new@example.com", "", "not-an-email", "a@b", "x" * 300 + "@example.com"]))
def test_posted_form_with_any_fields_never_fails(client, site, snapshot, pairs, email):
    before = snapshot()
    body = "&".join(f"{quote(name)}={quote(value)}" for name, value in [("site", site.key), ("email", email), *pairs])
    response = call(client, "POST", "/t/f", body.encode(), "application/x-www-form-urlencoded", HTTP_ORIGIN=ORIGIN)
    if response.status_code not in (204, 303):
        assert_refused_without_writes(response, before, snapshot())


def test_form_with_garbage_bodies_is_refused_and_writes_nothing(client, site, snapshot):
    before = snapshot()
    for body in BAD_BODIES:
        for content_type in FORM_TYPES:
            response = call(client, "POST", "/t/f", body, content_type, HTTP_ORIGIN=ORIGIN)
            assert_refused_without_writes(response, before, snapshot())


def test_form_with_hostile_headers_never_fails(client, site, snapshot):
    for headers in HEADERS:
        before = snapshot()
        body = f"site={site.key}&email=new%40example.com".encode()
        response = call(client, "POST", "/t/f", body, "application/x-www-form-urlencoded",
                        **{"HTTP_ORIGIN": ORIGIN, **headers})
        if response.status_code not in (204, 303):
            assert_refused_without_writes(response, before, snapshot())


def test_form_text_with_nul_bytes_is_stored_without_them(client, site, snapshot):
    body = json.dumps(form_body(site, form="White\x00paper", consent="1", consent_text="I agree\x00",
                                fields={"na\x00me": "Taro\x00"}))
    response = call(client, "POST", "/t/f", body.encode(), "application/json", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 204
    contact = Contact.objects.get(email="new@example.com")
    event = TouchEvent.objects.get(contact=contact)
    assert "\x00" not in contact.consent_source + event.detail
    assert event.detail == "Whitepaper: name=Taro"


# -- provider webhook ----------------------------------------------------------------------------------------


def signed(body):
    return {"HTTP_X_REKINDLE_SIGNATURE": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}


@FUZZ
@given(payload=JSON)
def test_signed_webhook_with_any_json_never_fails(client, sent, snapshot, payload):  # noqa: F811
    """The signature is right, the events are anything: applied (200) or refused (400) without a write."""
    before = snapshot()
    body = json.dumps(payload).encode()
    response = call(client, "POST", "/m/webhook/bounce", body, "application/json", **signed(body))
    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400 or response.json()["applied"] == 0:
        assert snapshot() == before


@FUZZ
@given(event=st.fixed_dictionaries({"email": st.sampled_from(["c0@example.com", "C0@EXAMPLE.COM", "x\x00@example.com",
                                                              "", "c0@example.com\x00"]) | st.text(max_size=30),
                                    "type": st.sampled_from(["bounce", "complaint", "unsubscribe", "x"]),
                                    "bounce_type": st.text(max_size=10) | JSON,
                                    "detail": st.text(max_size=400) | JSON}))
def test_signed_webhook_events_with_odd_values_never_fail(client, sent, snapshot, event):  # noqa: F811
    before = snapshot()
    body = json.dumps([event]).encode()
    response = call(client, "POST", "/m/webhook/bounce", body, "application/json", **signed(body))
    assert response.status_code == 200, response.content[:300]
    if response.json()["applied"] == 0:
        assert snapshot() == before


def test_signed_webhook_with_garbage_bodies_is_refused_and_writes_nothing(client, sent, snapshot):  # noqa: F811
    """Refused (400, 413), or for an empty list of events 200 with nothing applied: never a write."""
    before = snapshot()
    for body in BAD_BODIES:
        for content_type in FORM_TYPES:
            response = call(client, "POST", "/m/webhook/bounce", body, content_type, **signed(body))
            assert_refused_without_writes(response, before, snapshot(), allowed=(400, 413, 200))
            if response.status_code == 200:
                assert response.json()["applied"] == 0


def test_unsigned_or_badly_signed_webhook_is_403_and_writes_nothing(client, sent, snapshot):  # noqa: F811
    before = snapshot()
    body = json.dumps({"type": "complaint", "email": sent[0].contact.email}).encode()
    for headers in (*HEADERS, {"HTTP_X_REKINDLE_SIGNATURE": "sha256=" + "0" * 64},
                    {"HTTP_X_REKINDLE_SIGNATURE": "\x00" * 300}, {"HTTP_X_REKINDLE_SIGNATURE": "é"}):
        response = call(client, "POST", "/m/webhook/bounce", body, "application/json", **headers)
        assert_refused_without_writes(response, before, snapshot(), allowed=(403, 413))
