"""The event buffer page: what waits, what the drain set aside, and retry / discard of set-aside records."""
import re

import pytest
from django.utils import timezone

from contacts.models import TouchEvent
from tracking import buffer
from tracking.records import touch_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def set_aside_open(contact, url):
    record = touch_record(contact_id=contact.pk, kind="email_click", occurred_at=timezone.now().replace(microsecond=0),
                          url=url)
    buffer.set_aside(record)


def digests(page):
    return re.findall(r'name="record" value="([0-9a-f]{16})"', page)


def test_the_page_shows_the_buffer_and_the_set_aside_records_escaped(admin_client, contact, clean_buffer):
    set_aside_open(contact, "https://www.example.co.jp/<script>alert(1)</script>")
    clean_buffer.rpush(buffer.DEAD, b"\xff not json")
    clean_buffer.rpush(buffer.QUEUE, b"{}")
    page = admin_client.get("/tracking/buffer/").content.decode()
    assert re.search(r"Waiting</div>\s*<div class=\"fs-4\">1<", page)
    assert re.search(r"Set aside</div>\s*<div class=\"fs-4\">2<", page)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "unreadable" in page and len(digests(page)) == 2
    assert f'href="/contacts/{contact.pk}/"' in page


def test_retry_puts_a_record_back_and_the_drain_stores_it(admin_client, contact, clean_buffer):
    set_aside_open(contact, "https://www.example.co.jp/pricing")
    [digest] = digests(admin_client.get("/tracking/buffer/").content.decode())
    response = admin_client.post("/tracking/buffer/resolve/", {"record": digest, "action": "retry"}, follow=True)
    assert "1 records are back in the queue" in response.content.decode()
    assert TouchEvent.objects.get().url == "https://www.example.co.jp/pricing"  # eager Celery: drained at once
    assert clean_buffer.llen(buffer.DEAD) == 0


def test_discard_deletes_only_the_picked_record(admin_client, contact, clean_buffer):
    set_aside_open(contact, "https://www.example.co.jp/a")
    set_aside_open(contact, "https://www.example.co.jp/b")
    first, second = digests(admin_client.get("/tracking/buffer/").content.decode())
    admin_client.post("/tracking/buffer/resolve/", {"record": first, "action": "discard"})
    assert digests(admin_client.get("/tracking/buffer/").content.decode()) == [second]
    assert TouchEvent.objects.count() == 0
    # Picked twice (two admins, or a double submit): the second finds nothing and changes nothing.
    response = admin_client.post("/tracking/buffer/resolve/", {"record": first, "action": "discard"}, follow=True)
    assert "0 records discarded" in response.content.decode()


def test_nothing_picked_or_an_unknown_action_changes_nothing(admin_client, contact, clean_buffer):
    set_aside_open(contact, "https://www.example.co.jp/a")
    [digest] = digests(admin_client.get("/tracking/buffer/").content.decode())
    for data in ({"action": "retry"}, {"record": digest, "action": "explode"}):
        response = admin_client.post("/tracking/buffer/resolve/", data, follow=True)
        assert "Pick at least one record" in response.content.decode()
    assert clean_buffer.llen(buffer.DEAD) == 1 and clean_buffer.llen(buffer.QUEUE) == 0
