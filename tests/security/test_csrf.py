"""CSRF: a POST without the token is refused on every URL, except the few public endpoints that are token-less by
design, each of which has a protection of its own; and every POST form a page renders carries the token.

The walk POSTs to every named URL (the access matrix's list, the 405-on-GET
actions included) as a logged-in admin with CSRF checks on and no token, and
compares a fingerprint of every table before and after: a refused request
must change nothing.
"""
import hashlib
import hmac
import json

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import api_key_create
from campaigns.models import Delivery, Suppression
from contacts.models import Contact
from segments.models import Segment
from tests.accounts.snapshots import db_fingerprint, posts_refused
from tests.accounts.test_access import EXPECTED

from .page_audit import PageAudit, html_pages, url_args  # noqa: F401  (fixtures)

# Token-less on purpose. Each one's own protection is asserted below (test_exempt_endpoints_have_their_own_guard).
CSRF_EXEMPT = {
    "mail:unsubscribe": "the unsubscribe page's forms: the unguessable delivery token in the URL is the capability "
                        "(like a password-reset link); the recipient has no session",
    "mail:one_click": "RFC 8058 one-click unsubscribe: the mail provider POSTs without any session or cookie",
    "mail:bounce_webhook": "provider webhook: HMAC-SHA256 of the body with MAIL_WEBHOOK_SECRET",
    "track:beacon": "page views from customers' sites (CORS): only a site key whose allowed origins hold the "
                    "page's Origin is accepted, and it only records a page view",
    "track:form": "form posts from customers' sites: the same site key and allowed-origin check",
    # The REST API also skips CSRF for requests authenticated by an API key (a header browsers never add on their
    # own); with the session, as here, DRF's SessionAuthentication enforces it, so every api: URL is refused below.
}
# Served by tracking.middleware ahead of the CSRF middleware (the mail links' lean path): GET and HEAD only.
GET_ONLY_LEAN = {
    "mail:open_signed": "the signed open pixel: 405 for any other method, then a MAC that does not verify is 404",
    "mail:click_signed": "the signed click redirect: the same",
}
# Forms rendered without the token on purpose: the unsubscribe page's (mail:unsubscribe above), for recipients.
TOKENLESS_FORMS = ("/m/u/",)
FORM = {"choice": "all", "option": "1", "outcome": "reached", "duration": "1h", "on_duty": "1", "name": "CSRF",
        "language": "en", "next": "/", "username": "admin1", "password": "x", "definition": "{}",
        "email": "csrf@example.com", "List-Unsubscribe": "One-Click"}


@pytest.mark.django_db
def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(admin_user, url_args):  # noqa: F811
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert set(CSRF_EXEMPT) | set(GET_ONLY_LEAN) < set(EXPECTED)
    names = [name for name in EXPECTED if name not in CSRF_EXEMPT and name not in GET_ONLY_LEAN]
    failures = posts_refused(client, names, url_args, FORM)
    assert failures == [], "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(GET_ONLY_LEAN))
def test_public_get_only_links_refuse_a_post(client, url_args, name):  # noqa: F811
    before = db_fingerprint()
    response = Client(enforce_csrf_checks=True).post(reverse(name, kwargs=url_args.get(name)), FORM)
    assert response.status_code == 405
    assert db_fingerprint() == before


@pytest.mark.django_db
def test_exempt_endpoints_have_their_own_guard(url_args, settings):  # noqa: F811
    """Without their capability (a real delivery token, a signature, an allowed origin) they refuse, write nothing."""
    settings.MAIL_WEBHOOK_SECRET = "whsec-csrf-test"
    client = Client(enforce_csrf_checks=True)
    before = db_fingerprint()
    made_up = {"token": "A" * 32}
    assert client.post(reverse("mail:unsubscribe", kwargs=made_up), {"choice": "all"}).status_code == 404
    assert client.post(reverse("mail:one_click", kwargs=made_up), "List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded").status_code == 404
    body = json.dumps({"email": "walk@example.com", "type": "complaint"}).encode()
    forged = hmac.new(b"not-the-secret", body, hashlib.sha256).hexdigest()
    for signature in ("", forged):
        response = client.post(reverse("mail:bounce_webhook"), body, content_type="application/json",
                               HTTP_X_REKINDLE_SIGNATURE=signature)
        assert (response.status_code, response.json()) == (403, {"error": "bad signature"})
    beacon = json.dumps({"k": "no-such-site", "u": "https://evil.example/", "v": "v" * 20})
    assert client.post(reverse("track:beacon"), beacon, content_type="application/json",
                       HTTP_ORIGIN="https://evil.example").status_code == 403
    assert client.post(reverse("track:form"), {"site": "no-such-site", "email": "x@example.com"},
                       HTTP_ORIGIN="https://evil.example").status_code == 403
    assert db_fingerprint() == before
    assert Suppression.objects.count() == 0 and Contact.objects.filter(email="x@example.com").count() == 0


@pytest.mark.django_db
def test_api_needs_the_csrf_token_with_the_session_but_not_with_an_api_key(admin_user, marketer):
    segment = Segment.objects.create(
        name="CSRF", definition={"op": "and", "items": [{"type": "consent", "can_receive_marketing": True}]})
    client = Client(enforce_csrf_checks=True)
    url = reverse("api:segment_detail", kwargs={"id": segment.pk})
    payload = json.dumps({"name": "Renamed"})
    assert client.patch(url, payload, content_type="application/json").status_code == 401  # no credentials
    client.force_login(marketer)
    assert client.patch(url, payload, content_type="application/json").status_code == 403  # session, no token
    assert Segment.objects.get(pk=segment.pk).name == "CSRF"
    _key, token = api_key_create(name="CSRF", user=marketer)
    keyed = Client(enforce_csrf_checks=True)
    response = keyed.patch(url, payload, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {token}")
    assert response.status_code == 200  # a header browsers never send on their own: no CSRF token needed
    assert Segment.objects.get(pk=segment.pk).name == "Renamed"


@pytest.mark.django_db
def test_the_exempt_unsubscribe_page_still_acts_only_on_its_own_delivery(settings):
    """The token is the capability: posting with one recipient's token never touches another recipient."""
    from tests.accounts.sent_mail import broadcast_send

    deliveries, _messages = broadcast_send(settings)
    response = Client(enforce_csrf_checks=True).post(reverse("mail:unsubscribe", args=[deliveries[0].token]),
                                                     {"choice": "all"})
    assert response.status_code == 200
    consent = dict(Contact.objects.filter(pk__in=[d.contact_id for d in deliveries]).values_list("id", "consent"))
    assert consent == {deliveries[0].contact_id: "opted_out", deliveries[1].contact_id: "opt_in"}
    assert Delivery.objects.filter(token=deliveries[1].token).exists()


@pytest.mark.django_db
def test_every_rendered_post_form_carries_the_csrf_token(client, admin_user, html_pages):  # noqa: F811
    client.force_login(admin_user)
    failures, forms = [], 0
    for url, _name in html_pages:
        response = client.get(url)
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for action, has_token in PageAudit(response.content.decode()).post_forms:
            forms += 1
            if not has_token and not (action or url).startswith(TOKENLESS_FORMS):
                failures.append(f"{url}: <form method=post action={action!r}> without csrfmiddlewaretoken")
    assert failures == [], "\n".join(failures)
    assert forms >= 50
