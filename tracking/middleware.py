"""The signed open pixel, the click redirect and the page-view beacon, served ahead of the session, locale,
CSRF, auth and message middleware.

Under gunicorn these paths never get here: tracking/wsgi.py answers them in
front of Django's handler (TRACKING_FAST_PATH). This middleware is their way
through Django when that is off, and under the test client or an ASGI server.

They take most of the public traffic and need none of it: no session, no
user, no language, no form. Placed right after SecurityMiddleware (whose
headers and HTTPS redirect still apply), this answers those three paths itself,
which halves their cost (bench/tracking_bench.py). Every other request, and
any path here that does not match, goes down the stack as usual; the same
views stay routed in tracking.urls_mail, so `reverse` and the stack without
this middleware work the same.
"""
from .wsgi import route


class SignedMailTracking:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = route(request.path_info)  # the same three paths as the fast path's
        if found is None:
            return self.get_response(request)
        view, kwargs = found
        return view(request, **kwargs)
