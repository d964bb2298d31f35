"""test_beacon again, every request through config.wsgi.application as gunicorn serves it (tracking/wsgi.py's
fast path for the beacon, Django's handler for t.js and the form endpoint)."""
import pytest

from tests.wsgi_client import WsgiClient

from .test_beacon import *  # noqa: F403 - the same tests, collected here with the client below


@pytest.fixture
def client():
    return WsgiClient()
