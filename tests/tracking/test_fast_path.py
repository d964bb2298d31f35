"""tracking/wsgi.py: the pixel, click and beacon answered in front of Django's handler, keeping what they need of it.

The behaviour of the three endpoints themselves is tested twice, through Django's
test client and through the WSGI app (test_beacon_wsgi, test_signed_tracking_wsgi).
Here: that the wrapper really serves them alone, and what it keeps of the handler.
"""
import json
import logging

import pytest
from django.db import connection
from django.test import RequestFactory

from campaigns.sending import signed_links
from config import wsgi
from contacts.models import TouchEvent
from tests.wsgi_client import WsgiClient
from tracking import tokens, views_public
from tracking.wsgi import TrackingFastPath, route

from .conftest import BROWSER, ORIGIN, VISITOR

pytestmark = pytest.mark.django_db


def call(app, method, path, body=b"", **headers):
    """(status line, {header: value}, body) of one request through the WSGI app."""
    environ = RequestFactory()._base_environ(PATH_INFO=path, REQUEST_METHOD=method, CONTENT_TYPE="text/plain",
                                             CONTENT_LENGTH=str(len(body)), **headers)
    environ["wsgi.input"].__init__(body)
    answer = {}
    chunks = app(environ, lambda status, headers, exc_info=None: answer.update(status=status, headers=headers))
    return answer["status"], dict(answer["headers"]), b"".join(chunks)


def beacon_body(site, **fields):
    return json.dumps({"k": site.key, "u": f"{ORIGIN}/pricing", "t": "Pricing", "r": "", "v": VISITOR,
                       **fields}).encode()


def signed(contact):
    return (signed_links.open_path(1, contact.pk, 1_700_000_000),
            signed_links.click_path(1, contact.pk, 1_700_000_000, "https://www.example.co.jp/pricing"))


def test_only_the_three_paths_are_answered_in_front_of_django(site, contact, monkeypatch):
    def django_handler(environ, start_response):
        raise AssertionError(f"Django's handler got {environ['PATH_INFO']}")

    app = TrackingFastPath(django_handler)
    pixel, click = signed(contact)
    assert call(app, "GET", pixel, HTTP_USER_AGENT=BROWSER)[0] == "200 OK"
    assert call(app, "GET", click, HTTP_USER_AGENT=BROWSER)[0] == "302 Found"
    body = beacon_body(site, rk=tokens.contact_token_make(contact.pk))
    assert call(app, "POST", "/t/e", body, HTTP_ORIGIN=ORIGIN, HTTP_USER_AGENT=BROWSER)[0] == "204 No Content"
    for path in ("/t.js", "/t/e/", "/t/f", "/m/p/not-a-key.gif", "/m/o/0123456789abcdef0123456789abcdef.gif",
                 "/login/"):
        assert route(path) is None, path
        with pytest.raises(AssertionError, match="Django's handler got"):
            call(app, "GET", path)


def test_the_answers_keep_the_security_headers_and_set_no_cookie(site, contact):
    pixel, _click = signed(contact)
    status, headers, body = call(wsgi.application, "GET", pixel, HTTP_USER_AGENT=BROWSER)
    assert (status, headers["Content-Type"], headers["X-Content-Type-Options"]) == ("200 OK", "image/gif", "nosniff")
    assert headers["Referrer-Policy"] and body.startswith(b"GIF89a")
    assert "Set-Cookie" not in headers and "Vary" not in headers


def test_https_is_enforced_when_the_site_requires_it(site, contact, settings):
    settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS = True, 3600
    app = TrackingFastPath(wsgi.django_application)  # SecurityMiddleware reads its settings when it is made
    pixel, _click = signed(contact)
    status, headers, _body = call(app, "GET", pixel, HTTP_USER_AGENT=BROWSER)
    assert (status, headers["Location"]) == ("301 Moved Permanently", f"https://testserver{pixel}")
    assert TouchEvent.objects.count() == 0
    status, headers, _body = call(app, "GET", pixel, HTTP_USER_AGENT=BROWSER, **{"wsgi.url_scheme": "https"})
    assert (status, headers["Strict-Transport-Security"]) == ("200 OK", "max-age=3600")


def test_an_error_in_the_view_is_a_logged_500_and_the_worker_goes_on(site, contact, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the buffer broke")

    monkeypatch.setattr(views_public, "event_accept", broken)
    body = beacon_body(site, rk=tokens.contact_token_make(contact.pk))
    with caplog.at_level(logging.ERROR, logger="django.request"):
        status, _headers, _body = call(wsgi.application, "POST", "/t/e", body, HTTP_ORIGIN=ORIGIN,
                                       HTTP_USER_AGENT=BROWSER)
    assert status.startswith("500")
    assert any("/t/e" in record.getMessage() and record.exc_info for record in caplog.records)
    monkeypatch.undo()
    status, _headers, _body = call(wsgi.application, "POST", "/t/e", body, HTTP_ORIGIN=ORIGIN,
                                   HTTP_USER_AGENT=BROWSER)
    assert status == "204 No Content" and TouchEvent.objects.count() == 1


def test_a_refused_beacon_is_logged_as_djangos_handler_logs_it(site, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        status, _headers, body = call(wsgi.application, "POST", "/t/e", b"[1, 2]", HTTP_ORIGIN=ORIGIN)
    assert status == "400 Bad Request" and json.loads(body)["errors"][0]["message"]
    assert [record.getMessage() for record in caplog.records if record.name == "django.request"] == [
        "Bad Request: /t/e"]


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_view_opened_is_closed_after_the_request_when_not_kept(site, contact, settings):
    """CONN_MAX_AGE=0 (a pooler in front, say): the site cache's refresh opened one; it does not outlive the
    request, as with Django's handler."""
    connection.close()
    connection.settings_dict["CONN_MAX_AGE"] = 0
    try:
        body = beacon_body(site, rk=tokens.contact_token_make(contact.pk))
        status, _headers, _body = call(wsgi.application, "POST", "/t/e", body, HTTP_ORIGIN=ORIGIN,
                                       HTTP_USER_AGENT=BROWSER)
        assert status == "204 No Content"
        assert connection.connection is None
    finally:
        connection.settings_dict["CONN_MAX_AGE"] = settings.DATABASES["default"].get("CONN_MAX_AGE", 0)
    assert TouchEvent.objects.filter(contact=contact).count() == 1


def test_the_suites_run_again_through_the_wsgi_app_really_take_the_fast_path(site):
    """test_beacon_wsgi, test_signed_tracking_wsgi and test_fuzz_public_wsgi rely on it."""
    client = WsgiClient()
    beacon = client.post("/t/e", b"[]", content_type="text/plain", HTTP_ORIGIN=ORIGIN)
    assert beacon.status_code == 400 and getattr(beacon, "served_by_fast_path", False)
    form = client.post("/t/f", {"site": site.key}, HTTP_ORIGIN=ORIGIN)
    assert form.status_code == 400 and not getattr(form, "served_by_fast_path", False)
