"""The open pixel, the click redirect and the page-view beacon, answered in front of Django's request handler.

They take most of the public traffic and need next to nothing of Django: no
session, user, language, form, URL resolver or template. Django's handler
costs about as much as their own work on every request (the request_started
and request_finished signals with their receivers, the middleware chain, the
resolver, the response's close), so `TrackingFastPath` wraps the WSGI
application and answers these three paths itself, keeping what they need of
the handler:

- SecurityMiddleware's headers and HTTPS redirect;
- an exception becomes Django's 500 (logged, got_request_exception sent),
  and 4xx/5xx answers are logged like Django's handler logs them;
- the database connection's upkeep when the view used one (the site
  cache's refresh, the synchronous store when Redis is down): a connection
  that broke or outlived CONN_MAX_AGE is closed, as request_started and
  request_finished would.

Every other request, and any path here that does not match, goes to Django
as before. The same views stay routed in tracking.urls_mail behind
tracking.middleware.SignedMailTracking (the test client, an ASGI server, and
TRACKING_FAST_PATH=0 take that way). bench/tracking_bench.py measures it
against a bare Django view.
"""
import re

from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest
from django.db import connections
from django.middleware.security import SecurityMiddleware
from django.utils.log import log_response

from campaigns.sending.signed_links import KEY, TARGET

from . import views_public

PREFIXES = ("/m/p/", "/m/r/", "/t/e")
ROUTES = ((re.compile(rf"/m/p/{KEY}\.gif\Z"), views_public.open_signed),
          (re.compile(rf"/m/r/{KEY}/{TARGET}\Z"), views_public.click_signed),
          (re.compile(r"/t/e\Z"), views_public.beacon))


def route(path):
    """(view, keyword arguments) for one of the three paths, or None; tracking.middleware routes with it too."""
    if path.startswith(PREFIXES):
        for pattern, view in ROUTES:
            match = pattern.match(path)
            if match:
                return view, match.groupdict()
    return None


class TrackingFastPath:
    def __init__(self, application):
        self.application = application
        self.security = SecurityMiddleware(application)  # only its process_request and process_response are used

    def __call__(self, environ, start_response):
        found = route(environ.get("PATH_INFO", ""))
        if found is None:
            return self.application(environ, start_response)
        view, kwargs = found
        request = WSGIRequest(environ)
        connections_upkeep()
        try:
            response = self.security.process_request(request) or view(request, **kwargs)
            response = self.security.process_response(request, response)
        except Exception as exc:  # noqa: BLE001 - as Django's handler does: a logged 500, not a dead worker
            response = response_for_exception(request, exc)
        if response.status_code >= 400:
            log_response("%s: %s", response.reason_phrase, request.path, response=response, request=request)
        body = b"".join(response)
        request.close()
        connections_upkeep()
        cookies = [("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values()]
        headers = [*response.items(), *cookies]
        start_response(f"{response.status_code} {response.reason_phrase}", headers)
        return [body]


def connections_upkeep():
    """Close the database connections that broke or outlived CONN_MAX_AGE (Django's close_old_connections), only
    those that are open and outside a transaction (a test's, say); most requests here open none."""
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
