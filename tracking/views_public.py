"""Public tracking endpoints (no login): the mail open pixel and click redirect, t.js, the page-view beacon and
the form endpoint.

Each validates cheaply, hands one record to tracking.pipeline (the Redis
buffer) and answers at once. Nothing from the request becomes a redirect
target or is trusted as an identity: a click goes to the URL stored at send
time, a contact comes only from a valid signed token (or a form's email),
and the beacon and form answer only pages of a site's allowed origins
(CORS), refusing others with 403 and writing nothing.
"""
import base64
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotFound,
    HttpResponseRedirect,
    JsonResponse,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from campaigns.sending import signed_links
from campaigns.sending.message import safe_http_url
from campaigns.sending.public import MAX_USER_AGENT, looks_like_bot
from config.throttle import client_ip, per_ip_limit, too_many_requests
from contacts.models import TouchKind
from contacts.rules import is_valid_email, normalize_email

from . import selectors, services
from .buffer import record_id
from .pipeline import event_accept
from .records import MAX_REFERRER, MAX_TITLE, MAX_URL, clip, page_view_record, touch_record
from .tokens import contact_token_make, contact_token_read

TOKEN_PARAM = "rk"  # noqa: S105 - a query parameter name, not a secret
VISITOR_RE = re.compile(r"^[A-Za-z0-9_-]{8,40}$")
MAX_BEACON_BYTES = 8 * 1024
MAX_FORM_BYTES = 32 * 1024
TRUE_VALUES = {"1", "true", "on", "yes"}
FORM_KEYS = {"site", "email", "form", "consent", "consent_text", "kind", "visitor", "next", "page", "fields"}
SCRIPT = (Path(__file__).parent / "js" / "t.js").read_bytes()
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # 1×1 transparent GIF


# -- mail: open pixel and click redirect ------------------------------------------------------------


def _agent(request):
    return request.META.get("HTTP_USER_AGENT", "")[:MAX_USER_AGENT]


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
@per_ip_limit("mail-tracking", "PUBLIC_TRACKING_RATE_PER_MINUTE")
def open_pixel(request, token):
    """An email_open touch; repeated loads within the same minute are one fact (the fingerprint)."""
    found = selectors.delivery_for_open(token)
    if found is None:
        raise Http404
    contact_id, sent_at, delivery_id = found
    now = timezone.now()
    bot = looks_like_bot(method=request.method, user_agent=_agent(request), sent_at=sent_at, now=now)
    event_accept(touch_record(contact_id=contact_id, kind=TouchKind.EMAIL_OPEN,
                              occurred_at=now.replace(second=0, microsecond=0), delivery_id=delivery_id, bot=bot))
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
@per_ip_limit("mail-tracking", "PUBLIC_TRACKING_RATE_PER_MINUTE")
def click(request, token, position):
    """Redirect to the link stored at send time; to a tracked site, with the contact's signed token added."""
    found = selectors.delivery_link_for_click(token, int(position))
    if found is None:
        raise Http404
    url, contact_id, sent_at, delivery_id = found
    now = timezone.now()
    bot = looks_like_bot(method=request.method, user_agent=_agent(request), sent_at=sent_at, now=now)
    event_accept(touch_record(contact_id=contact_id, kind=TouchKind.EMAIL_CLICK, occurred_at=now.replace(microsecond=0),
                              url=url, delivery_id=delivery_id, bot=bot))
    return _redirect(url, contact_id, bot)


# The signed forms every mail sent now carries (campaigns.sending.signed_links): the path itself proves the
# delivery, contact and issue time, so a request costs one Redis round trip (limit + buffer + doorbell) and no
# database read; the drain checks the delivery row in bulk. Kept lean on purpose: they take most of the traffic.


def _signed_touch(request, *, contact_id, kind, occurred_at, delivery_id, issued, url=""):
    """(accepted, bot): the touch buffered under the client's per-minute limit; accepted is False past it."""
    now = timezone.now()
    bot = looks_like_bot(method=request.method, user_agent=_agent(request),
                         sent_at=datetime.fromtimestamp(issued, UTC), now=now)
    record = touch_record(contact_id=contact_id, kind=kind, occurred_at=occurred_at(now), url=url,
                          delivery_id=delivery_id, bot=bot, requested_at=now)
    throttle = ("mail-tracking", client_ip(request), settings.PUBLIC_TRACKING_RATE_PER_MINUTE)
    return event_accept(record, throttle=throttle), bot


def _not_found():
    # Plain: these may run ahead of the session and auth middleware, which the site's 404 page reads.
    return HttpResponseNotFound("Not found: this link is not valid.", content_type="text/plain; charset=utf-8")


@login_not_required
def open_signed(request, key):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    found = signed_links.open_read(key)
    if found is None:
        return _not_found()
    delivery_id, contact_id, issued = found
    accepted, _bot = _signed_touch(request, contact_id=contact_id, kind=TouchKind.EMAIL_OPEN, delivery_id=delivery_id,
                                   issued=issued, occurred_at=lambda now: now.replace(second=0, microsecond=0))
    if not accepted:
        return too_many_requests()
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response


@login_not_required
def click_signed(request, key, target):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    found = signed_links.click_read(key, target)
    if found is None or not safe_http_url(found[3]):
        return _not_found()
    delivery_id, contact_id, issued, url = found
    accepted, bot = _signed_touch(request, contact_id=contact_id, kind=TouchKind.EMAIL_CLICK, url=url,
                                  delivery_id=delivery_id, issued=issued,
                                  occurred_at=lambda now: now.replace(microsecond=0))
    if not accepted:
        return too_many_requests()
    return _redirect(url, contact_id, bot)


def _redirect(url, contact_id, bot):
    # Only a person's click, and only to a site that carries our snippet: the token never reaches other hosts,
    # and a link scanner does not carry it into the site.
    if not bot and selectors.origin_is_tracked(selectors.origin_of(url)):
        url = with_param(url, TOKEN_PARAM, contact_token_make(contact_id))
    response = HttpResponseRedirect(url)
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store, private"
    return response


def with_param(url, name, value):
    """The URL with name=value appended to its query; the rest of the stored URL is kept byte for byte."""
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=f"{query}{name}={quote(value, safe=':')}"))


def without_param(url, name):
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if f"{name}=" not in parts.query:
        return url
    query = [(key, val) for key, val in parse_qsl(parts.query, keep_blank_values=True) if key != name]
    return urlunsplit(parts._replace(query=urlencode(query)))


# -- website: t.js, beacon, forms -------------------------------------------------------------------


@login_not_required
@require_GET
def script(request):
    response = HttpResponse(SCRIPT, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def request_origin(request):
    """The page's origin: the Origin header, or the Referer's origin when a browser sent no Origin."""
    origin = request.META.get("HTTP_ORIGIN", "")[:300]
    if origin and origin != "null":
        return selectors.origin_of(origin)
    return selectors.origin_of(request.META.get("HTTP_REFERER", "")[:MAX_REFERRER])


def _cors(response, origin):
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def _preflight(origin):
    if not selectors.origin_is_tracked(origin):
        return HttpResponse(status=403)
    response = _cors(HttpResponse(status=204), origin)
    response["Access-Control-Allow-Methods"] = "POST"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = "86400"
    return response


def _refused(message, status, origin=None):
    response = JsonResponse({"errors": [{"field": None, "message": message}]}, status=status)
    return _cors(response, origin) if origin else response


def _json_body(request, limit):
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit or len(request.body) > limit:
        return None
    try:
        payload = json.loads(request.body)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the decoder's stack ("[[[[…")
        return None
    return payload if isinstance(payload, dict) else None


def _text(payload, key, limit):
    value = payload.get(key, "")
    return clip(value, limit) if isinstance(value, str) else ""


@login_not_required
@csrf_exempt
def beacon(request):
    """A page view from t.js: {k: site key, u: URL, t: title, r: referrer, rk: contact token, v: visitor id}.

    204 when buffered. 403 (no CORS header) from a page outside the site's
    allowed origins; 400 for a token that does not verify (t.js then drops
    its cookie): nothing is attributed and nothing written. 429 past the
    client's per-minute limit, counted in the buffer's round trip. Served
    in front of Django's handler (tracking.wsgi), like the mail pixel, or
    ahead of most middleware (tracking.middleware).
    """
    if request.method not in ("POST", "OPTIONS"):
        return HttpResponseNotAllowed(["POST", "OPTIONS"])
    origin = request_origin(request)
    if request.method == "OPTIONS":
        return _preflight(origin)
    payload = _json_body(request, MAX_BEACON_BYTES)
    if payload is None:
        return _refused(_("Send one page view as a JSON object."), 400)
    site = selectors.active_site(payload.get("k"))
    if site is None or origin not in site.origins:
        return _refused(_("This page is not on a tracked site's allowed origins."), 403)
    url = without_param(_text(payload, "u", MAX_URL), TOKEN_PARAM)
    if selectors.origin_of(url) != origin:
        return _refused(_("The page URL is not on this origin."), 400, origin)
    contact_id, token = None, payload.get("rk")
    if token:
        contact_id = contact_token_read(token)
        if contact_id is None:
            return _refused(_("The contact token is not valid."), 400, origin)
    visitor = payload.get("v") if isinstance(payload.get("v"), str) and VISITOR_RE.match(payload["v"]) else ""
    if not (contact_id or visitor):
        return _refused(_("Send a visitor id or a contact token."), 400, origin)
    now = timezone.now()
    agent = _agent(request)
    accepted = event_accept(page_view_record(
        record_id=record_id(), site_id=site.id, visitor_id=visitor, contact_id=contact_id, occurred_at=now, url=url,
        title=_text(payload, "t", MAX_TITLE), referrer=without_param(_text(payload, "r", MAX_REFERRER), TOKEN_PARAM),
        user_agent=agent, bot=looks_like_bot(method=request.method, user_agent=agent, sent_at=None, now=now)),
        throttle=("tracking-beacon", client_ip(request), settings.PUBLIC_BEACON_RATE_PER_MINUTE))
    if not accepted:
        return _cors(too_many_requests(), origin)
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store, private"
    return _cors(response, origin)


@login_not_required
@never_cache
@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
@per_ip_limit("tracking-form", "PUBLIC_FORM_RATE_PER_MINUTE")
def form(request):
    """A form post from a tracked site (form-encoded, or JSON with `fields` as an object).

    Keys: site, email, form (its name), consent ("1" when the form records
    consent) and consent_text, kind ("download" for a download form), visitor
    (t.js fills it), page, next (where to send the browser: a page of the
    site), and the form's own fields. 204, or 303 to `next`.
    """
    origin = request_origin(request)
    if request.method == "OPTIONS":
        return _preflight(origin)
    if request.content_type == "application/json":
        payload = _json_body(request, MAX_FORM_BYTES)
        if payload is None:
            return _refused(_("Send the form as a JSON object."), 400)
        fields = payload.get("fields") if isinstance(payload.get("fields"), dict) else {}
    else:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_FORM_BYTES:
            return _refused(_("The form is too large."), 413)
        payload = {key: request.POST.get(key, "") for key in FORM_KEYS}
        fields = [(key, value) for key, value in request.POST.items() if key not in FORM_KEYS]
    site = selectors.active_site(payload.get("site"))
    if site is None or origin not in site.origins:
        return _refused(_("This page is not on a tracked site's allowed origins."), 403)
    email = normalize_email(_text(payload, "email", 254))
    if not is_valid_email(email):
        return _refused(_("Enter a valid email address."), 400, origin)
    consent = str(payload.get("consent", "")).strip().lower() in TRUE_VALUES
    visitor = _text(payload, "visitor", 40)
    page = _text(payload, "page", MAX_URL) or request.META.get("HTTP_REFERER", "")[:MAX_URL]
    now = timezone.now()
    agent = _agent(request)
    services.form_submission_record(
        site=site, email=email, form_name=_text(payload, "form", services.MAX_FORM_NAME).strip() or "form",
        fields=services.form_fields_clean(fields), consent=consent,
        consent_text=_text(payload, "consent_text", services.MAX_CONSENT_TEXT).strip(),
        download=_text(payload, "kind", 20) == "download",
        page_url=without_param(page, TOKEN_PARAM) if selectors.origin_of(page) in site.origins else "",
        visitor_id=visitor if VISITOR_RE.match(visitor) else "",
        bot=looks_like_bot(method=request.method, user_agent=agent, sent_at=None, now=now), now=now)
    follow = _text(payload, "next", MAX_URL)
    if follow and selectors.origin_of(follow) in site.origins:
        response = HttpResponseRedirect(follow)
        response.status_code = 303
        return _cors(response, origin)
    return _cors(HttpResponse(status=204), origin)
