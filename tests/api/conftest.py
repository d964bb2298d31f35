"""Fixtures for API tests: clients authenticated by API key or session, a fixed day, English messages."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.services import api_key_create

TZ = ZoneInfo("Asia/Tokyo")
TODAY = date(2026, 6, 15)
NOW = datetime.combine(TODAY, time(12), tzinfo=TZ)


def at(day, hour=12):
    return datetime.combine(day, time(hour), tzinfo=TZ)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in their English source; the workspace default is Japanese."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def make_key(db):
    """make_key(user) -> (ApiKey, token)."""

    def make(user, name="CI"):
        return api_key_create(name=name, user=user)

    return make


@pytest.fixture
def key_client(make_key):
    """key_client(user) -> an APIClient sending a fresh key of `user` in the Authorization header."""

    def build(user, scheme="Api-Key"):
        _key, token = make_key(user)
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"{scheme} {token}")
        return client

    return build


@pytest.fixture
def anon_client():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


def messages(response):
    """The error messages of an API error response, in order."""
    return [error["message"] for error in response.json()["errors"]]
