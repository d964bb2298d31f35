"""test_fuzz_public again, every request through config.wsgi.application as gunicorn serves it: the pixel, click
and beacon by tracking/wsgi.py's fast path, every other public endpoint by Django's handler."""
import pytest

from tests.wsgi_client import WsgiClient

from .test_fuzz_public import *  # noqa: F403 - the same tests, collected here with the client below


@pytest.fixture
def client():
    return WsgiClient()
