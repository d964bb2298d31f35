"""Fixtures for tracking: a tracked site, contacts, a clean event buffer, helpers to post beacons and forms."""
import json

import pytest
import redis
from django.conf import settings

from contacts.models import Contact
from tracking import buffer, selectors
from tracking.models import TrackingSite

ORIGIN = "https://www.example.co.jp"
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"
VISITOR = "v1234567890abcdef"


@pytest.fixture(autouse=True)
def clean_buffer():
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = (buffer.QUEUE, buffer.INFLIGHT, buffer.LOCK, buffer.BELL, buffer.DEAD)
    client.delete(*keys)
    selectors.cache_clear()
    yield client
    client.delete(*keys)
    selectors.cache_clear()
    client.close()


@pytest.fixture
def site(db):
    return TrackingSite.objects.create(name="Corporate site", allowed_origins=[ORIGIN, "http://localhost:8080"])


@pytest.fixture
def contact(db):
    return Contact.objects.create(email="taro@example.co.jp", first_name="Taro", last_name="Yamada")


@pytest.fixture
def other_contact(db):
    return Contact.objects.create(email="hanako@example.co.jp", first_name="Hanako", last_name="Suzuki")


def beacon(client, site, *, origin=ORIGIN, agent=BROWSER, **fields):
    payload = {"k": site.key, "u": f"{origin}/pricing", "t": "Pricing", "r": "", "v": VISITOR, **fields}
    headers = {"HTTP_USER_AGENT": agent}
    if origin:
        headers["HTTP_ORIGIN"] = origin
    return client.post("/t/e", json.dumps(payload), content_type="text/plain", **headers)


def form_post(client, site, *, origin=ORIGIN, agent=BROWSER, key=None, **fields):
    data = {"site": key or site.key, "email": "new@example.com", "form": "Whitepaper", **fields}
    return client.post("/t/f", data, HTTP_ORIGIN=origin, HTTP_USER_AGENT=agent)
