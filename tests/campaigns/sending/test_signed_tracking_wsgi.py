"""test_signed_tracking again, every request through config.wsgi.application as gunicorn serves it (the signed
pixel and click by tracking/wsgi.py's fast path, the stored-token forms by Django's handler)."""
import pytest

from tests.wsgi_client import WsgiClient

from .test_signed_tracking import *  # noqa: F403 - the same tests, collected here with the client below


@pytest.fixture
def client():
    return WsgiClient()
