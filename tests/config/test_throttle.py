"""Public endpoints answer 429 past their per-IP limit, write nothing then, and let requests through without Redis."""
import random

import pytest
import redis
from django.urls import reverse

from campaigns.models import ContactMailPreference, Suppression
from config import throttle


def fresh_ip():
    """A client address no other test has counted against (the counters live in the shared Redis)."""
    return f"198.51.100.{random.randint(1, 254)}-{random.getrandbits(32)}"


@pytest.fixture
def limited(settings):
    settings.PUBLIC_PAGE_RATE_PER_MINUTE = 3
    settings.PUBLIC_TRACKING_RATE_PER_MINUTE = 5
    return settings


@pytest.mark.django_db
def test_unsubscribe_pages_get_429_past_the_limit_and_nothing_is_written(client, limited):
    ip = fresh_ip()
    url = reverse("mail:unsubscribe", args=["x" * 32])
    answers = [client.get(url, REMOTE_ADDR=ip).status_code for _ in range(3)]
    assert answers == [404, 404, 404]  # an unknown token: the limit counts, the view still answers
    refused = client.post(reverse("mail:one_click", args=["x" * 32]), REMOTE_ADDR=ip)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert not Suppression.objects.exists() and not ContactMailPreference.objects.exists()
    assert client.get(url, REMOTE_ADDR=fresh_ip()).status_code == 404  # another address is not affected


@pytest.mark.django_db
def test_tracking_has_its_own_higher_limit(client, limited):
    ip = fresh_ip()
    pixel = reverse("mail:open", args=["y" * 32])
    assert [client.get(pixel, REMOTE_ADDR=ip).status_code for _ in range(6)] == [404] * 5 + [429]
    assert client.get(reverse("mail:unsubscribe", args=["y" * 32]), REMOTE_ADDR=ip).status_code == 404


@pytest.mark.django_db
def test_rescue_page_is_limited(client, limited):
    ip = fresh_ip()
    url = reverse("rescue:options", args=["nope"])
    assert [client.get(url, REMOTE_ADDR=ip).status_code for _ in range(4)] == [404, 404, 404, 429]


def test_forwarded_address_counts_only_behind_a_trusted_proxy(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1")
    settings.BEHIND_PROXY = False
    assert throttle.client_ip(request) == "10.0.0.1"
    settings.BEHIND_PROXY = True
    assert throttle.client_ip(request) == "203.0.113.9"


def test_without_redis_requests_go_through(monkeypatch):
    class Down:
        def pipeline(self):
            raise redis.ConnectionError("down")

    monkeypatch.setattr(throttle, "_redis", lambda: Down())
    assert throttle.over_limit("mail-page", "192.0.2.1", 1) is False
