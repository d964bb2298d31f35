"""Fixtures of the report tests."""
import pytest

from . import report_data as data


@pytest.fixture
def english(client):
    """Pages and figures in English, the source language of the report strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with data.english():
        yield
