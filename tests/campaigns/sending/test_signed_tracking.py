"""The signed open pixel and click redirect every mail now carries: proven by their path, checked by the drain.

The request reads no database row: the path carries the delivery, the
contact and the sending time under a MAC. The drain checks the delivery in
bulk (still there, this contact's, sent) and applies the exact
seconds-after-sending bot rule.
"""
import base64
import re
from datetime import timedelta

import pytest
import redis
from celery import current_app
from django.conf import settings
from django.core import mail
from django.utils import timezone

from campaigns.models import Delivery, DeliveryStatus
from campaigns.sending import signed_links
from campaigns.sending.message import rewrite_links
from contacts.models import TouchEvent
from tracking import buffer, fastredis, pipeline, selectors
from tracking.models import TrackingSite
from tracking.tokens import contact_token_read

from .conftest import BROWSER, writes

SCANNER = "Mozilla/5.0 (compatible; Barracuda Sentinel)"


@pytest.fixture(autouse=True)
def clean_buffer():
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [buffer.QUEUE, buffer.INFLIGHT, buffer.LOCK, buffer.BELL, buffer.DEAD,
            *client.scan_iter("rk:throttle:mail-tracking:*")]
    client.delete(*keys)
    selectors.cache_clear()
    yield client
    client.delete(buffer.QUEUE, buffer.INFLIGHT, buffer.LOCK, buffer.BELL, buffer.DEAD,
                  *client.scan_iter("rk:throttle:mail-tracking:*"))
    client.close()


@pytest.fixture
def queued(monkeypatch):
    """Celery not eager: events wait in Redis until the test drains them."""
    previous = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    monkeypatch.setattr(current_app, "send_task", lambda *args, **kwargs: None)
    yield
    current_app.conf.task_always_eager = previous


def mail_html(delivery):
    message = next(m for m in mail.outbox if m.to == [delivery.to_email])
    return next(body for body, kind in message.alternatives if kind == "text/html")


def pixel_of(delivery):
    return re.search(r'<img src="https?://[^/"]+(/m/p/[^"]+)"', mail_html(delivery)).group(1)


def links_of(delivery):
    return re.findall(r'href="https?://[^/"]+(/m/r/[^"]+)"', mail_html(delivery))


def test_the_mails_pixel_records_an_open_without_a_database_read(client, sent, queued, django_assert_num_queries):
    path = pixel_of(sent[0])
    with django_assert_num_queries(0):
        response = client.get(path, HTTP_USER_AGENT=BROWSER)
    assert (response.status_code, response["Content-Type"], response["Cache-Control"]) == (
        200, "image/gif", "no-store, private")
    assert response.content.startswith(b"GIF89a")
    assert buffer.pending() == 1 and TouchEvent.objects.count() == 0
    pipeline.events_drain_run(gather_ms=0)
    event = TouchEvent.objects.get()
    assert (event.contact_id, event.kind, event.flagged_as_bot, event.detail) == (
        sent[0].contact_id, "email_open", False, sent[0].step.campaign.name)


def test_the_signed_paths_skip_sessions_but_keep_the_security_headers(client, sent):
    response = client.get(pixel_of(sent[0]), HTTP_USER_AGENT=BROWSER)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response and "Cookie" not in response.get("Vary", "")
    assert client.post(pixel_of(sent[0])).status_code == 405


def test_the_mails_links_redirect_and_record_clicks(client, sent):
    first, second = links_of(sent[0])[0], links_of(sent[0])[-1]
    response = client.get(first, HTTP_USER_AGENT=BROWSER)
    assert (response.status_code, response["Location"]) == (302, "https://example.co.jp/pricing?a=1&b=2")
    assert client.get(second, HTTP_USER_AGENT=BROWSER)["Location"] == "http://docs.example.com/guide"
    assert sorted(TouchEvent.objects.values_list("kind", "url", "flagged_as_bot")) == [
        ("email_click", "http://docs.example.com/guide", False),
        ("email_click", "https://example.co.jp/pricing?a=1&b=2", False)]


def test_a_click_to_a_tracked_site_carries_the_contact_token_but_not_a_scanners(client, sent):
    TrackingSite.objects.create(name="Corporate", allowed_origins=["https://example.co.jp"])
    link = links_of(sent[0])[0]
    location = client.get(link, HTTP_USER_AGENT=BROWSER)["Location"]
    token = location.split("&rk=", 1)[1]
    assert location.startswith("https://example.co.jp/pricing?a=1&b=2&rk=")
    assert contact_token_read(token) == sent[0].contact_id
    assert client.get(link, HTTP_USER_AGENT=SCANNER)["Location"] == "https://example.co.jp/pricing?a=1&b=2"


def _tampered(path):
    """Every way of changing a signed path: each id, the time, the MAC, the destination, truncation."""
    prefix, key, rest = re.match(r"(/m/[pr]/)([^/.]+)(.*)", path).groups()
    delivery, contact, issued, mac = key.split("-", 3)
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    evil = base64.urlsafe_b64encode(b"https://evil.example/").decode().rstrip("=")
    variants = [f"{int(delivery, 16) + 1:x}-{contact}-{issued}-{mac}",
                f"{delivery}-{int(contact, 16) + 1:x}-{issued}-{mac}",
                f"{delivery}-{contact}-{int(issued, 16) - 60:x}-{mac}", f"{delivery}-{contact}-{issued}-{flipped}",
                f"{delivery}-{contact}-{issued}-{mac[:-2]}"]
    paths = [prefix + variant + rest for variant in variants]
    if prefix == "/m/r/":
        paths += [f"{prefix}{key}/{evil}", f"{prefix}{key}/{rest[1:-3]}", f"{prefix}{key}/{rest[1:]}%0d%0aX:1"]
    return paths


def test_a_tampered_pixel_or_link_is_404_and_writes_nothing(client, sent):
    before = writes()
    for path in _tampered(pixel_of(sent[0])) + _tampered(links_of(sent[0])[0]):
        response = client.get(path, HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 404, path
        assert "evil" not in response.get("Location", "")
    assert writes() == before and buffer.pending() == 0


def test_links_signed_before_a_key_rotation_still_work(client, sent, settings):
    settings.SECRET_KEY_FALLBACKS = ["an-old-secret-key-of-this-install-0123456789"]
    old_key_settings = settings.SECRET_KEY
    settings.SECRET_KEY = settings.SECRET_KEY_FALLBACKS[0]
    path = signed_links.open_path(sent[0].pk, sent[0].contact_id, timezone.now().timestamp() - 60)
    settings.SECRET_KEY = old_key_settings  # rotated: the old key is now only a fallback
    assert client.get(path, HTTP_USER_AGENT=BROWSER).status_code == 200
    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(path, HTTP_USER_AGENT=BROWSER).status_code == 404


def test_the_drain_drops_opens_of_deliveries_not_sent_or_gone(client, sent, queued):
    paths = [pixel_of(row) for row in sent]
    Delivery.objects.filter(pk=sent[0].pk).update(status=DeliveryStatus.FAILED)
    Delivery.objects.filter(pk=sent[1].pk).delete()
    for path in paths:
        assert client.get(path, HTTP_USER_AGENT=BROWSER).status_code == 200  # the request cannot know
    pipeline.events_drain_run(gather_ms=0)
    assert list(TouchEvent.objects.values_list("contact_id", flat=True)) == [sent[2].contact_id]


def test_the_drain_flags_an_open_seconds_after_the_real_sending_time(client, sent, queued):
    """The URL's time is when the message was rendered; the delivery's sent_at is the truth, read by the drain."""
    path = pixel_of(sent[0])
    Delivery.objects.filter(pk=sent[0].pk).update(sent_at=timezone.now() - timedelta(seconds=3))
    client.get(path, HTTP_USER_AGENT=BROWSER)
    Delivery.objects.filter(pk=sent[1].pk).update(status=DeliveryStatus.SENDING, sent_at=None)
    client.get(pixel_of(sent[1]), HTTP_USER_AGENT=BROWSER)  # its outcome not written yet: seconds old
    pipeline.events_drain_run(gather_ms=0)
    assert set(TouchEvent.objects.values_list("contact_id", "flagged_as_bot")) == {
        (sent[0].contact_id, True), (sent[1].contact_id, True)}


def test_heads_and_scanners_are_flagged_at_the_request(client, sent):
    client.head(pixel_of(sent[0]), HTTP_USER_AGENT=BROWSER)
    client.get(pixel_of(sent[1]), HTTP_USER_AGENT=SCANNER)
    client.get(pixel_of(sent[2]), HTTP_USER_AGENT="")
    assert set(TouchEvent.objects.values_list("flagged_as_bot", flat=True)) == {True}


def test_past_the_per_ip_limit_the_pixel_is_429_and_buffers_nothing(client, sent, queued, settings):
    settings.PUBLIC_TRACKING_RATE_PER_MINUTE = 2
    codes = [client.get(pixel_of(sent[0]), HTTP_USER_AGENT=BROWSER).status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]
    assert buffer.pending() == 2


def test_a_destination_too_long_to_sign_keeps_the_stored_link_form():
    long_url = "https://example.co.jp/?" + "q" * signed_links.MAX_SIGNED_URL
    body, links = rewrite_links(f'<a href="https://example.co.jp/a">a</a><a href="{long_url}">b</a>', "TOKEN",
                                signer=lambda url: signed_links.click_path(7, 9, 1_800_000_000, url))
    assert links == ("https://example.co.jp/a", long_url)
    assert "/m/r/7-9-" in body and "/m/c/TOKEN/2" in body


# -- the lean Redis connection -------------------------------------------------------------


def test_the_push_reloads_its_script_after_redis_forgot_it(client, sent, queued, clean_buffer):
    clean_buffer.script_flush()
    assert client.get(pixel_of(sent[0]), HTTP_USER_AGENT=BROWSER).status_code == 200
    assert buffer.pending() == 1


def test_the_push_reconnects_after_redis_dropped_the_connection(client, sent, queued, clean_buffer):
    client.get(pixel_of(sent[0]), HTTP_USER_AGENT=BROWSER)
    clean_buffer.execute_command("CLIENT", "KILL", "TYPE", "normal")  # every client, the lean one included
    assert client.get(pixel_of(sent[1]), HTTP_USER_AGENT=BROWSER).status_code == 200
    assert buffer.pending() == 2


def test_when_redis_is_down_the_signed_open_is_stored_in_the_request(client, sent, queued, monkeypatch):
    monkeypatch.setattr(buffer, "_fast", fastredis.FastConnection(host="127.0.0.1", port=1, db=0, username=None,
                                                                  password=None, timeout=0.2))
    assert client.get(pixel_of(sent[0]), HTTP_USER_AGENT=BROWSER).status_code == 200
    assert TouchEvent.objects.get().contact_id == sent[0].contact_id


