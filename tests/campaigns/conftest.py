"""Every outreach test reads messages in English (the Japanese catalogue is complete, so they would differ)."""
import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages(client):
    client.defaults.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
    with translation.override("en"):
        yield
