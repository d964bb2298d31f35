"""The signed open pixel and click redirect every mail now carries: proven by their path, checked by the drain.

The request reads no database row: the path carries the delivery, the
contact and the sending time, opaque (a keyed permutation: no sequential id
shows) under a MAC. The drain checks the delivery in bulk (still there, this
contact's, sent) and applies the exact seconds-after-sending bot rule. Mail
sent before carries the legacy form, ids in hex, and keeps working.
"""
import base64
import hashlib
import hmac
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


def key_of(path):
    return re.match(r"/m/[pr]/(.+?)(?:\.gif|/[^/]+)\Z", path).group(1)


def legacy_path(delivery_id, contact_id, issued, url=None, *, secret=None):
    """The path of mail sent before the opaque form: hex ids in clear, the MAC (same key) over them."""
    mac_key = hashlib.sha256(b"rekindle.signed-links:" + (secret or settings.SECRET_KEY).encode()).digest()
    ids = f"{delivery_id:x}-{contact_id:x}-{int(issued):x}"
    message = f"click:{ids}:{url}" if url else f"open:{ids}"
    mac = base64.urlsafe_b64encode(hmac.new(mac_key, message.encode(), hashlib.sha256).digest()).decode()[:16]
    if url is None:
        return f"/m/p/{ids}-{mac}.gif"
    return f"/m/r/{ids}-{mac}/{base64.urlsafe_b64encode(url.encode()).decode().rstrip('=')}"


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


def _flipped(char, bit):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return alphabet[alphabet.index(char) ^ 1 << bit]


def _tampered(path, other):
    """Every way of changing a signed path: the blob (first and last character, another delivery's), the MAC
    (changed, cut short), the destination (another, cut short, a header injected). `other`: another mail's."""
    prefix, key, rest = re.match(r"(/m/[pr]/)([^/.]+)(.*)", path).groups()
    blob, mac = key[:-17], key[-16:]
    evil = base64.urlsafe_b64encode(b"https://evil.example/").decode().rstrip("=")
    variants = [f"{blob[:1]}{_flipped(blob[1], 0)}{blob[2:]}-{mac}", f"{blob[:-1]}{_flipped(blob[-1], 5)}-{mac}",
                f"{key_of(other)[:-17]}-{mac}", f"{blob}-{mac[:-1]}{_flipped(mac[-1], 0)}", f"{blob}-{mac[:-2]}"]
    paths = [prefix + variant + rest for variant in variants]
    if prefix == "/m/r/":
        paths += [f"{prefix}{key}/{evil}", f"{prefix}{key}/{rest[1:-3]}", f"{prefix}{key}/{rest[1:]}%0d%0aX:1"]
    return paths


def test_a_tampered_pixel_or_link_is_404_and_writes_nothing(client, sent):
    before = writes()
    paths = _tampered(pixel_of(sent[0]), pixel_of(sent[1])) + _tampered(links_of(sent[0])[0], links_of(sent[1])[0])
    assert len(paths) == 5 + 8
    for path in paths:
        response = client.get(path, HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 404, path
        assert "evil" not in response.get("Location", "")
    assert writes() == before and buffer.pending() == 0


def test_a_bit_flipped_anywhere_in_the_key_is_404_and_buffers_nothing(client, sent, queued):
    before = writes()
    for path in (pixel_of(sent[0]), links_of(sent[0])[0]):
        key = key_of(path)
        for at, char in enumerate(key):
            for bit in range(6):  # the "v", the blob, the separator, the MAC: every bit of every character
                changed = path.replace(key, key[:at] + _flipped(char, bit) + key[at + 1:], 1)
                assert client.get(changed, HTTP_USER_AGENT=BROWSER).status_code == 404, changed
    assert writes() == before and buffer.pending() == 0
    assert client.get(pixel_of(sent[0]), HTTP_USER_AGENT=BROWSER).status_code == 200 and buffer.pending() == 1


def test_the_path_shows_no_id_and_consecutive_deliveries_look_unrelated():
    issued, url = 1_780_000_000, "https://example.co.jp/pricing"
    for delivery_id, contact_id in ((48_213_777, 9_876_543), (2**48 - 1, 2**40 - 1), (1, 1)):
        for path in (signed_links.open_path(delivery_id, contact_id, issued),
                     signed_links.click_path(delivery_id, contact_id, issued, url)):
            key = key_of(path)
            assert re.fullmatch(r"v[A-Za-z0-9_-]{22}-[A-Za-z0-9_-]{16}", key), path
            if delivery_id > 1:
                for value in (delivery_id, contact_id, issued):
                    assert str(value) not in path and f"{value:x}" not in path.lower(), (value, path)
        assert signed_links.open_read(key_of(signed_links.open_path(delivery_id, contact_id, issued))) == (
            delivery_id, contact_id, issued)
    blobs = [int.from_bytes(base64.urlsafe_b64decode(key_of(signed_links.open_path(n, 9_876_543, issued))[1:23]
                                                     + "=="), "big") for n in range(48_213_777, 48_213_777 + 20)]
    distances = [bin(a ^ b).count("1") for a, b in zip(blobs, blobs[1:], strict=False)]
    assert all(32 <= distance <= 96 for distance in distances), distances  # about half of 128 bits, as random
    assert 52 <= sum(distances) / len(distances) <= 76, distances
    other_time = key_of(signed_links.open_path(48_213_777, 9_876_543, issued + 1))
    assert bin(blobs[0] ^ int.from_bytes(base64.urlsafe_b64decode(other_time[1:23] + "=="), "big")).count("1") >= 32


def test_a_sent_mails_paths_name_its_delivery_only_through_the_opaque_key(sent):
    for path in (pixel_of(sent[0]), *links_of(sent[0])):
        assert re.fullmatch(r"v[A-Za-z0-9_-]{22}-[A-Za-z0-9_-]{16}", key_of(path)), path
    found = signed_links.open_read(key_of(pixel_of(sent[0])))
    assert found[:2] == (sent[0].pk, sent[0].contact_id)
    assert abs(found[2] - sent[0].sent_at.timestamp()) < 120


def test_mail_sent_with_the_legacy_hex_form_still_works(client, sent):
    issued = timezone.now().timestamp() - 60
    pixel = legacy_path(sent[0].pk, sent[0].contact_id, issued)
    link = legacy_path(sent[1].pk, sent[1].contact_id, issued, "https://example.co.jp/pricing?a=1&b=2")
    assert signed_links.open_read(key_of(pixel)) == (sent[0].pk, sent[0].contact_id, int(issued))
    assert client.get(pixel, HTTP_USER_AGENT=BROWSER).status_code == 200
    response = client.get(link, HTTP_USER_AGENT=BROWSER)
    assert (response.status_code, response["Location"]) == (302, "https://example.co.jp/pricing?a=1&b=2")
    assert sorted(TouchEvent.objects.values_list("contact_id", "kind")) == sorted(
        [(sent[0].contact_id, "email_open"), (sent[1].contact_id, "email_click")])
    before = writes()
    prefix, ids, mac = re.match(r"(/m/p/)(.+)-(.{16})\.gif", pixel).groups()
    delivery, contact, stamp = ids.split("-")
    for bad in (f"{sent[1].pk:x}-{contact}-{stamp}", f"{delivery}-{sent[1].contact_id:x}-{stamp}",
                f"{delivery}-{contact}-{int(stamp, 16) - 60:x}"):
        assert client.get(f"{prefix}{bad}-{mac}.gif", HTTP_USER_AGENT=BROWSER).status_code == 404
    assert client.get(pixel.replace(mac, mac[::-1]), HTTP_USER_AGENT=BROWSER).status_code == 404
    assert client.get(link.rsplit("/", 1)[0] + "/aHR0cHM6Ly9ldmlsLmV4YW1wbGUv", HTTP_USER_AGENT=BROWSER
                      ).status_code == 404
    assert writes() == before


def test_links_signed_before_a_key_rotation_still_work_in_both_forms(client, sent, settings, queued):
    old_secret = "an-old-secret-key-of-this-install-0123456789"
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    current = settings.SECRET_KEY
    settings.SECRET_KEY = old_secret
    issued = timezone.now().timestamp() - 60
    opaque = signed_links.open_path(sent[0].pk, sent[0].contact_id, issued)
    click = signed_links.click_path(sent[1].pk, sent[1].contact_id, issued, "https://example.co.jp/pricing")
    settings.SECRET_KEY = current  # rotated: the old key is now only a fallback
    legacy = legacy_path(sent[2].pk, sent[2].contact_id, issued, secret=old_secret)
    assert opaque != signed_links.open_path(sent[0].pk, sent[0].contact_id, issued)  # the blob is keyed too
    assert signed_links.open_read(key_of(opaque)) == (sent[0].pk, sent[0].contact_id, int(issued))
    for path in (opaque, legacy):
        assert client.get(path, HTTP_USER_AGENT=BROWSER).status_code == 200
    assert client.get(click, HTTP_USER_AGENT=BROWSER)["Location"] == "https://example.co.jp/pricing"
    pipeline.events_drain_run(gather_ms=0)
    assert sorted(TouchEvent.objects.values_list("contact_id", "kind")) == sorted(
        [(sent[0].contact_id, "email_open"), (sent[1].contact_id, "email_click"), (sent[2].contact_id, "email_open")])
    settings.SECRET_KEY_FALLBACKS = []
    for path in (opaque, click, legacy):
        assert client.get(path, HTTP_USER_AGENT=BROWSER).status_code == 404
    assert buffer.pending() == 0


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
    assert "/m/r/v" in body and "/m/c/TOKEN/2" in body


def test_ids_or_a_time_too_large_for_the_blob_get_no_signed_path():
    url, issued = "https://example.co.jp/a", 1_800_000_000
    assert signed_links.open_path(2**48 - 1, 2**40 - 1, 2**40 - 1) and signed_links.click_path(2**48 - 1, 1, 0, url)
    for delivery_id, contact_id, when in ((2**48, 1, issued), (1, 2**40, issued), (1, 1, 2**40), (-1, 1, issued),
                                          (1, -1, issued), (1, 1, -1)):
        assert signed_links.open_path(delivery_id, contact_id, when) is None
        assert signed_links.click_path(delivery_id, contact_id, when, url) is None
    body, links = rewrite_links('<a href="https://example.co.jp/a">a</a>', "TOKEN",
                                signer=lambda url: signed_links.click_path(2**48, 9, issued, url))
    assert links == (url,) and "/m/c/TOKEN/1" in body and "/m/r/" not in body


def test_a_mail_whose_ids_do_not_fit_carries_the_stored_token_forms(client, request, monkeypatch):
    monkeypatch.setattr(signed_links, "_DELIVERY_END", 1)  # every delivery id is too large
    sent = request.getfixturevalue("sent")
    html = mail_html(sent[0])
    assert "/m/p/" not in html and "/m/r/" not in html
    pixel = re.search(r'<img src="https?://[^/"]+(/m/o/[^"]+)"', html).group(1)
    link = re.search(r'href="https?://[^/"]+(/m/c/[^"]+)"', html).group(1)
    assert (pixel, link) == (f"/m/o/{sent[0].token}.gif", f"/m/c/{sent[0].token}/1")
    assert client.get(pixel, HTTP_USER_AGENT=BROWSER).status_code == 200
    assert client.get(link, HTTP_USER_AGENT=BROWSER)["Location"] == "https://example.co.jp/pricing?a=1&b=2"


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


